"""The command line on people's own tables: each wrong-without-a-word case of issue 8, now right or refused."""

import csv

import numpy as np
import pytest

import glassnet
from glassnet.cli import main
from glassnet.datasets import IRIS_CLASSES, iris


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iris")
    X, y = iris()
    data = write_csv(folder / "iris.csv", [*FEATURES, "species"],
                     [[*row, IRIS_CLASSES[k]] for row, k in zip(X, y)])
    model = folder / "iris.safetensors"
    assert main(["train", "--data", str(data), "--layers", "8", "--epochs", "30", "--early-stopping", "0",
                 "--lr", "0.01", "--quiet", "--out", str(model)]) == 0
    return folder, model, X, y


def predictions(capsys, *argv):
    assert main(["predict", *argv]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_reordered_columns_give_identical_predictions(iris_model, capsys, tmp_path):
    folder, model, X, _ = iris_model
    same = write_csv(tmp_path / "same.csv", FEATURES, X[::25])
    order = [3, 1, 0, 2]
    shuffled = write_csv(tmp_path / "shuffled.csv", [FEATURES[j] for j in order], X[::25][:, order])
    out_same, err_same = predictions(capsys, str(model), "--data", str(same))
    out_shuffled, err_shuffled = predictions(capsys, str(model), "--data", str(shuffled))
    assert out_shuffled == out_same and err_same == err_shuffled == ""
    assert out_same.splitlines()[1].split(",")[1] == "setosa"  # the first flower is a setosa
    # by position, the shuffled file would be another flower: the model knows the difference
    net = glassnet.load(model)
    by_position = net.predict_proba(X[:1][:, order])
    by_name = net.predict_proba({name: X[:1, j] for j, name in enumerate(FEATURES)})
    assert np.abs(by_position - by_name).max() > 0.1


def test_extra_columns_are_ignored_with_one_note_and_a_missing_one_is_refused(iris_model, capsys, tmp_path):
    _, model, X, _ = iris_model
    extra = write_csv(tmp_path / "extra.csv", ["id", *FEATURES, "comment"],
                      [[i, *row, "ok"] for i, row in enumerate(X[:2])])
    out, err = predictions(capsys, str(model), "--data", str(extra))
    assert err == "glassnet: note: ignored 2 columns the model does not take: 'id', 'comment'\n"
    assert out.splitlines()[0] == "row,prediction,p_setosa,p_versicolor,p_virginica"
    lacking = write_csv(tmp_path / "lacking.csv", FEATURES[:3], X[:2, :3])
    assert main(["predict", str(model), "--data", str(lacking)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"glassnet: error: {lacking} has no column 'petal_width', which the model needs\n"


@pytest.mark.parametrize(
    "labels, kind, classes",
    [
        ([1, 2, 3], "classification", ["1", "2", "3"]),  # no phantom class 0
        ([-1, 1], "classification", ["-1", "1"]),  # once refused
        ([2007, 2008, 2009], "classification", ["2007", "2008", "2009"]),  # once 2010 outputs
    ],
)
def test_whole_number_labels_keep_their_values(tmp_path, capsys, labels, kind, classes):
    rng = np.random.default_rng(0)
    rows = [[*rng.normal(size=2) + labels.index(lab), lab] for lab in labels * 20]
    data = write_csv(tmp_path / "d.csv", ["a", "b", "label"], rows)
    model = tmp_path / "m.safetensors"
    assert main(["train", "--data", str(data), "--epochs", "5", "--quiet", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    shown = ", ".join(map(str, labels))
    assert f"treating 'label' as a classification target: {len(labels)} whole-number values ({shown})" in out
    net = glassnet.load(model)
    assert net.class_names == classes and net.n_out == len(labels)
    assert main(["predict", str(model), "--data", str(data)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "row,prediction," + ",".join(f"p_{c}" for c in classes)


def test_a_many_valued_whole_number_target_is_a_regression_said_out_loud(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    mass = np.round(4000 + 500 * X[:, 0] + 50 * rng.normal(size=200))
    data = write_csv(tmp_path / "p.csv", ["a", "b", "c", "body_mass_g"], [[*r, int(m)] for r, m in zip(X, mass)])
    model = tmp_path / "m.safetensors"
    assert main(["train", "--data", str(data), "--target", "body_mass_g", "--quiet", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    n_distinct = len(np.unique(mass))
    assert f"treating 'body_mass_g' as a regression target: {n_distinct} distinct values\n" in out
    net = glassnet.load(model)
    assert net.is_regression and [layer.n_out for layer in net.layers] == [256, 1]
    reported = float(out.split("test R² ")[1].split(",")[0])
    assert reported > 0.9  # mass is nearly linear in a
    # predictions are in grams, not standardized units
    assert main(["predict", str(model), "--data", str(data)]) == 0
    values = np.array([float(line.split(",")[1]) for line in capsys.readouterr().out.splitlines()[1:]])
    assert abs(values.mean() - mass.mean()) < 100 and values.std() > 300
    assert main(["evaluate", str(model), "--data", str(data)]) == 0
    assert f"R² {reported:.4f}," in capsys.readouterr().out


def test_an_id_column_is_warned_about(tmp_path, capsys):
    X, y = iris()
    data = write_csv(tmp_path / "d.csv", ["row_id", *FEATURES, "species"],
                     [[1000 + i, *r, IRIS_CLASSES[k]] for i, (r, k) in enumerate(zip(X, y))])
    assert main(["train", "--data", str(data), "--epochs", "2", "--quiet", "--out", str(tmp_path / "m.st")]) == 0
    err = capsys.readouterr().err
    assert err == ("glassnet: warning: column 'row_id' looks like an ID (by its name) but is used as a feature; "
                   "leave it out with --ignore row_id\n")


@pytest.mark.parametrize("delimiter, name", [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_and_tab_files_are_read(tmp_path, capsys, delimiter, name):
    X, y = iris()
    data = write_csv(tmp_path / "d.csv", [*FEATURES, "species"],
                     [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)], delimiter=delimiter)
    assert main(["train", "--data", str(data), "--epochs", "2", "--quiet", "--out", str(tmp_path / "m.st")]) == 0
    assert f"({name}-separated): 120 training and 30 test rows, 4 feature columns, 3 classes" in capsys.readouterr().out


def test_missing_cells_stop_the_run_with_the_flag_and_train_with_it(tmp_path, capsys):
    X, y = iris()
    rows = [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)]
    rows[7][1] = "NA"
    rows[20][2] = ""
    data = write_csv(tmp_path / "d.csv", [*FEATURES, "species"], rows)
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), "--quiet", "--out", str(model)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"glassnet: error: column 'sepal_width' has 1 missing cell (first at line 9 of {data}); "
                            "choose how to handle them with --missing drop, mean, median or most_frequent\n")
    for strategy in ("mean", "median", "most_frequent"):
        assert main(["train", "--data", str(data), "--missing", strategy, "--epochs", "2", "--quiet",
                     "--out", str(model)]) == 0
    assert "left out 2 of 150 rows with missing cells (--missing drop)" not in capsys.readouterr().out
    assert main(["train", "--data", str(data), "--missing", "drop", "--epochs", "2", "--quiet",
                 "--out", str(model)]) == 0
    assert "left out 2 of 150 rows with missing cells (--missing drop)" in capsys.readouterr().out


def test_text_feature_columns_are_one_hot_encoded(tmp_path, capsys):
    rng = np.random.default_rng(2)
    colours = np.array(["red", "green", "blue"])
    c = rng.integers(3, size=300)
    x = rng.normal(size=300)
    label = np.where((c == 0) ^ (x > 0), "yes", "no")  # needs the colour to be right
    data = write_csv(tmp_path / "d.csv", ["colour", "x", "label"], [[colours[a], b, lab] for a, b, lab in
                                                                    zip(c, x, label)])
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), "--layers", "16", "--lr", "0.01", "--quiet", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "2 feature columns -> 4 inputs, 2 classes" in out
    assert float(out.split("test accuracy: ")[1].split()[0]) > 0.9
    net = glassnet.load(model)
    columns = glassnet.tables.table_step(net.preprocessing)
    assert columns.output_names() == ["colour=blue", "colour=green", "colour=red", "x"]


def test_evaluate_reproduces_the_held_out_score_of_train(tmp_path, capsys):
    X, y = iris()
    data = write_csv(tmp_path / "d.csv", [*FEATURES, "species"], [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)])
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), "--seed", "4", "--test-split", "0.3", "--epochs", "20",
                 "--quiet", "--out", str(model)]) == 0
    printed = capsys.readouterr().out.split("test accuracy: ")[1].split()[0]
    assert main(["evaluate", str(model), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "evaluated on the 45 held-out rows" in out and "(seed 4, test split 0.3)" in out
    assert f"accuracy {printed}," in out
    # another file (same rows, one more) is scored whole, and a split flag for it is refused before any output
    other = write_csv(tmp_path / "o.csv", [*FEATURES, "species"],
                      [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)] + [[5.0, 3.4, 1.5, 0.2, "setosa"]])
    assert main(["evaluate", str(model), "--data", str(other)]) == 0
    assert "evaluated on all 151 rows of" in capsys.readouterr().out
    assert main(["evaluate", str(model), "--data", str(other), "--seed", "4"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--seed and --test-split re-create the split" in captured.err


def test_test_split_zero_trains_on_every_row(tmp_path, capsys):
    X, y = iris()
    data = write_csv(tmp_path / "d.csv", [*FEATURES, "species"], [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)])
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), "--test-split", "0", "--epochs", "2", "--quiet",
                 "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "all 150 rows for training (--test-split 0)" in out
    assert "no test rows (--test-split 0): every row was used for training" in out
    assert main(["evaluate", str(model), "--data", str(data)]) == 0
    assert "evaluated on all 150 rows of" in capsys.readouterr().out


def test_val_split_zero_needs_early_stopping_off_and_says_so_before_any_output(tmp_path, capsys):
    model = tmp_path / "m.st"
    assert main(["train", "--data", "iris", "--val-split", "0", "--quiet", "--out", str(model)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("glassnet: error: --early-stopping watches the validation data, and --val-split 0 "
                            "keeps none: give --early-stopping 0 as well, or a --val-split above 0\n")
    assert main(["train", "--data", "iris", "--val-split", "0", "--early-stopping", "0", "--epochs", "2",
                 "--quiet", "--out", str(model)]) == 0


def test_class_weight_balanced_weighs_the_rare_class(tmp_path, capsys):
    rng = np.random.default_rng(3)
    y = (rng.random(400) < 0.1).astype(int)
    X = rng.normal(size=(400, 2)) + y[:, None]
    data = write_csv(tmp_path / "d.csv", ["a", "b", "rare"], [[*r, k] for r, k in zip(X, y)])
    model = tmp_path / "m.st"
    argv = ["train", "--data", str(data), "--epochs", "30", "--early-stopping", "0", "--quiet", "--out", str(model)]
    assert main(argv) == 0
    plain = glassnet.load(model).predict(X).mean()
    assert main([*argv, "--class-weight", "balanced"]) == 0
    assert "balanced class weights" in capsys.readouterr().out
    balanced = glassnet.load(model).predict(X).mean()
    assert balanced > plain  # the rare class is predicted more often once it weighs as much as the common one
    rows = [[*r, v] for r, v in zip(X, rng.normal(size=400))]
    numbers = write_csv(tmp_path / "n.csv", ["a", "b", "v"], rows)
    assert main(["train", "--data", str(numbers), "--class-weight", "balanced", "--quiet", "--out", str(model)]) == 2
    assert "--class-weight applies to classification" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--task", "regression"], "--task regression needs numbers"),
        (["--categorical", "nope"], "--categorical: 'nope' is not a column"),
        (["--numeric", "species"], "--numeric: 'species' is the target"),
        (["--target", "kind"], "--target 'kind' is not a column of"),
        (["--target", "9"], "--target index 9 is out of range"),
        (["--ignore", "species"], "'species' is the target; it cannot also be in --ignore"),
        (["--test-split", "1"], "--test-split must be a share in [0, 1), got 1.0"),
        (["--delimiter", "ab"], "expected one character such as ';' or tab, got 'ab'"),
    ],
)
def test_table_flag_errors_name_the_flag_and_come_before_any_output(tmp_path, capsys, argv, message):
    X, y = iris()
    data = write_csv(tmp_path / "d.csv", [*FEATURES, "species"], [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)])
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), *argv, "--quiet", "--out", str(model)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and len(captured.err.splitlines()) == 1
    assert not model.exists()


def test_table_flags_are_refused_for_built_in_sets(capsys, tmp_path):
    assert main(["train", "--data", "iris", "--missing", "mean", "--out", str(tmp_path / "m.st")]) == 2
    assert "--missing: CSV files only, not 'iris'" in capsys.readouterr().err


# ------------------------------------------------ found by a hostile tester


def iris_file(path, rows=None):
    X, y = iris()
    rows = [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)] if rows is None else rows
    return write_csv(path, [*FEATURES, "species"], rows)


def refused_before_output(capsys, argv):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err
    return captured.err.strip()


def test_evaluate_says_when_another_split_may_hold_training_rows(iris_model, capsys):
    folder, model, _, _ = iris_model
    assert main(["evaluate", str(model), "--data", str(folder / "iris.csv"), "--seed", "3", "--test-split", "0.5"]) == 0
    out = capsys.readouterr().out
    assert (f"evaluated on the 75 rows of {folder / 'iris.csv'} that a split with seed 3, test split 0.5 holds out; "
            "training split it with seed 0, test split 0.2, so these may include rows the model was trained on") in out


def test_evaluate_refuses_to_score_against_another_column(iris_model, capsys):
    folder, model, _, _ = iris_model
    err = refused_before_output(capsys, ["evaluate", str(model), "--data", str(folder / "iris.csv"),
                                         "--target", "petal_width"])
    assert err == ("glassnet: error: the model was trained to predict ['species']; --target ['petal_width'] would "
                   "score it against another column")


def test_r2_of_one_row_is_undefined_not_zero(tmp_path, capsys):
    rows = [[i, 2.0 * i + 1] for i in range(5)]
    data = write_csv(tmp_path / "r.csv", ["x", "y"], rows)
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), "--task", "regression", "--val-split", "0", "--early-stopping", "0",
                 "--epochs", "3", "--quiet", "--out", str(model)]) == 0
    assert "test R² undefined (one row), MAE" in capsys.readouterr().out


@pytest.mark.parametrize("cell, flag, message", [
    ("inf", [], "column 'petal_width' has an infinite value"),
    ("purple", ["--numeric", "petal_width"], "column 'petal_width' is numeric but holds 'purple'"),
])
def test_a_bad_cell_among_the_test_rows_is_found_before_training(tmp_path, capsys, cell, flag, message):
    X, y = iris()
    rows = [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)]
    for i in range(150):  # in every row of one class, so that some land in the test split whatever the seed
        if i % 50 == 7:
            rows[i][3] = cell
    data = iris_file(tmp_path / "d.csv", rows)
    if not flag:
        err = refused_before_output(capsys, ["train", "--data", str(data), "--out", str(tmp_path / "m.st")])
    else:
        err = refused_before_output(capsys, ["train", "--data", str(data), *flag, "--out", str(tmp_path / "m.st")])
    assert message in err and "line " in err


def test_unknown_error_with_a_category_only_in_the_test_rows_is_refused_before_training(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = [[rng.choice(["red", "blue"]), rng.normal(), "a" if i % 2 else "b"] for i in range(60)]
    rows[0][0] = "purple"
    data = write_csv(tmp_path / "d.csv", ["colour", "x", "label"], rows)
    argv = ["train", "--data", str(data), "--unknown", "error", "--out", str(tmp_path / "m.st")]
    for seed in range(20):  # a seed whose split puts row 0 among the test rows
        if main([*argv, "--seed", str(seed), "--epochs", "1", "--quiet"]) == 2:
            break
        capsys.readouterr()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "line 2 of" in captured.err and "has the category 'purple', which the model never saw" in captured.err


def test_evaluate_plot_errors_come_before_the_scores(tmp_path, capsys):
    rows = [[i, 2.0 * i + 1] for i in range(30)]
    data = write_csv(tmp_path / "r.csv", ["x", "y"], rows)
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), "--task", "regression", "--epochs", "2", "--quiet",
                 "--out", str(model)]) == 0
    capsys.readouterr()
    err = refused_before_output(capsys, ["evaluate", str(model), "--data", str(data), "--plot", "c.png"])
    assert err == "glassnet: error: --plot draws a confusion matrix, which a regression model has not"
    err = refused_before_output(capsys, ["evaluate", str(model), "--data", str(data), "--plot", "c.txt"])
    assert err == "glassnet: error: --plot must name a .png file, got 'c.txt'"


def test_a_cut_gzip_file_is_an_input_error(iris_model, tmp_path, capsys):
    import gzip

    folder, model, _, _ = iris_model
    whole = gzip.compress((folder / "iris.csv").read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    err = refused_before_output(capsys, ["predict", str(model), "--data", str(cut)])
    assert err.startswith(f"glassnet: error: {cut} could not be read")


def test_huge_numbers_are_refused_naming_the_cell(tmp_path, capsys):
    X, y = iris()
    rows = [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)]
    rows[4][0] = "1e308"
    err = refused_before_output(capsys, ["train", "--data", str(iris_file(tmp_path / "d.csv", rows)),
                                         "--out", str(tmp_path / "m.st")])
    assert "column 'sepal_length' holds 1e+308; numbers beyond +-1e+150 cannot be scaled" in err


def test_a_bad_cell_is_named_by_its_place_in_the_file_not_in_the_split(tmp_path, capsys):
    X, y = iris()
    rows = [[*r, IRIS_CLASSES[k]] for r, k in zip(X, y)]
    data = iris_file(tmp_path / "d.csv", rows)
    err = refused_before_output(capsys, ["train", "--data", str(data), "--target", "sepal_length", "--numeric",
                                         "species", "--out", str(tmp_path / "m.st")])
    row = int(err.split("data row ")[1].split()[0])
    assert rows[row - 1][4] in err  # the row named holds the text the message quotes


@pytest.mark.parametrize("argv, message", [
    (["--categorical", "petal_width", "--numeric", "petal_width"],
     "column 'petal_width' is in both --categorical and --numeric"),
    (["--delimiter", ";"], "has one column, 'sepal_length,sepal_width,petal_length,petal_width,species' (read with "
                           "the delimiter ';': is it the right one?)"),
    (["--categorical", ","], "--categorical names no column, got ','"),
])
def test_more_flag_errors(tmp_path, capsys, argv, message):
    data = iris_file(tmp_path / "d.csv")
    err = refused_before_output(capsys, ["train", "--data", str(data), *argv, "--out", str(tmp_path / "m.st")])
    assert message in err


def test_predict_says_when_ignore_leaves_out_a_column_the_model_needs(iris_model, capsys):
    folder, model, _, _ = iris_model
    err = refused_before_output(capsys, ["predict", str(model), "--data", str(folder / "iris.csv"),
                                         "--ignore", "petal_width"])
    assert err == "glassnet: error: --ignore leaves out 'petal_width', which the model needs"


def test_several_target_columns_make_a_multi_output_regression(tmp_path, capsys):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([10 + 3 * X[:, 0], -5 + 2 * X[:, 1] - X[:, 2]])
    data = write_csv(tmp_path / "m.csv", ["a", "b", "c", "u", "v"], np.column_stack([X, Y]).round(4))
    model = tmp_path / "m.st"
    assert main(["train", "--data", str(data), "--target", "u,v", "--layers", "16", "--lr", "0.01", "--quiet",
                 "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "treating 'u', 'v' as 2 regression targets" in out and "3 feature columns, 2 targets" in out
    assert float(out.split("test R² ")[1].split(",")[0]) > 0.95
    features = write_csv(tmp_path / "f.csv", ["c", "b", "a"], X[:3][:, ::-1].round(4))
    assert main(["predict", str(model), "--data", str(features)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "row,u,v"
    predicted = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(predicted, Y[:3], atol=0.5)


def test_a_diverging_run_exits_1_with_one_line_and_writes_no_model(tmp_path, capsys):
    model = tmp_path / "m.st"
    assert main(["train", "--data", "iris", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "5",
                 "--early-stopping", "0", "--quiet", "--out", str(model)]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("glassnet: error: training diverged at epoch 1, batch ")
    assert "the learning rate 1e+30 is probably too large" in err and "Warning" not in err
    assert not model.exists()
