"""End-to-end tests of train / evaluate / predict / inspect / experiment on small data."""

import csv
import json
import re
import struct

import numpy as np
import pytest

import glassnet
from glassnet.cli import main
from glassnet.datasets import IRIS_CLASSES, iris


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    """iris as a user's CSV file: a header, an id column, string class labels."""
    folder = tmp_path_factory.mktemp("flowers")
    X, y = iris()
    path = folder / "flowers.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
        for i, (row, label) in enumerate(zip(X, y)):
            w.writerow([i, *row, IRIS_CLASSES[label]])
    features = folder / "features.csv"
    with open(features, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width"])
        w.writerows(X[::10])
    return path, features, X, y


@pytest.fixture(scope="module")
def trained(flowers, tmp_path_factory):
    path, *_ = flowers
    model = tmp_path_factory.mktemp("model") / "flowers.safetensors"
    code = main(["train", "--data", str(path), "--target", "species", "--ignore", "id", "--layers", "16",
                 "--epochs", "60", "--early-stopping", "0", "--lr", "0.01", "--quiet", "--out", str(model),
                 "--test-split", "0.2"])
    assert code == 0
    return model


def one_line_error(capsys, code, expected_code=2):
    assert code == expected_code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_train_on_a_csv_with_string_labels_saves_a_working_model(trained, flowers, capsys):
    net = glassnet.load(trained)
    assert net.class_names == ["setosa", "versicolor", "virginica"]  # sorted label names
    assert [layer.n_out for layer in net.layers] == [16, 3]
    assert net.preprocessing is not None  # standardize, fitted and saved with the model
    _, _, X, y = flowers
    # predict takes raw measurements: the saved preprocessing is applied inside
    assert np.mean(net.predict(X) == y) > 0.9


def test_train_output_reports_the_accuracy_of_the_saved_model(flowers, tmp_path, capsys):
    path, *_ = flowers
    model = tmp_path / "m.safetensors"
    assert main(["train", "--data", str(path), "--target", "species", "--ignore", "id", "--layers", "8",
                 "--epochs", "20", "--quiet", "--out", str(model), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    reported = float(re.search(r"test accuracy: (\d\.\d{4})", out).group(1))
    # rebuild the split the command used and score the saved model on it
    from glassnet.data import load_csv
    from glassnet.datasets import train_test_split

    table = load_csv(path, target="species", ignore=["id"])
    _, X_test, _, y_test = train_test_split(table.X, table.y, test_fraction=0.2, seed=3, stratify=True)
    assert round(glassnet.load(model).evaluate(X_test, y_test)["accuracy"], 4) == reported
    assert f"saved the model to {model}" in out


def test_evaluate_scores_the_held_out_rows_of_the_training_file(trained, flowers, capsys):
    path, _, X, y = flowers
    assert main(["evaluate", str(trained), "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"evaluated on the 30 held-out rows of {path}, the test split of training (seed 0, test split 0.2)" in out
    from glassnet.datasets import train_test_split

    _, test, _, _ = train_test_split(np.arange(150), y, test_fraction=0.2, seed=0, stratify=True)
    net = glassnet.load(trained)
    assert f"accuracy {np.mean(net.predict(X[test]) == y[test]):.4f}," in out
    # the held-out score train printed is the one evaluate prints


def test_evaluate_all_rows_prints_scores_that_match_the_model(trained, flowers, capsys):
    path, _, X, y = flowers
    assert main(["evaluate", str(trained), "--data", str(path), "--all-rows"]) == 0
    out = capsys.readouterr().out
    assert f"evaluated on all 150 rows of {path}; the model was trained on this file" in out
    net = glassnet.load(trained)
    accuracy = np.mean(net.predict(X) == y)
    assert f"accuracy {accuracy:.4f}" in out
    pred = net.predict(X)
    for k, name in enumerate(IRIS_CLASSES):
        precision = np.sum((pred == k) & (y == k)) / max(np.sum(pred == k), 1)
        recall = np.sum((pred == k) & (y == k)) / np.sum(y == k)
        assert re.search(rf"^{name}\s+{precision:.3f}\s+{recall:.3f}\s+\S+\s+50$", out, re.MULTILINE), name
    # the confusion matrix rows add up to the 50 flowers of each class
    rows = re.findall(r"^(setosa|versicolor|virginica)((?:\s+\d+){3})$", out, re.MULTILINE)
    assert [sum(map(int, r[1].split())) for r in rows] == [50, 50, 50]


def test_predict_writes_class_names_and_probabilities(trained, flowers, tmp_path, capsys):
    _, features, X, _ = flowers
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(trained), "--data", str(features), "--out", str(out)]) == 0
    assert f"wrote 15 predictions to {out}" in capsys.readouterr().out
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["row", "prediction", "p_setosa", "p_versicolor", "p_virginica"]
    net = glassnet.load(trained)
    P = net.predict_proba(X[::10])
    for row, p in zip(rows[1:], P):
        assert row[1] == IRIS_CLASSES[int(np.argmax(p))]
        np.testing.assert_allclose([float(v) for v in row[2:]], p, atol=1e-6)


def test_predict_to_stdout_and_ignoring_an_id_column(trained, flowers, capsys):
    path, _, X, _ = flowers
    # the labelled file has an id column and the label: skip both, keep the 4 features
    assert main(["predict", str(trained), "--data", str(path), "--ignore", "id,species"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + len(X)


def test_inspect_describes_the_model(trained, capsys):
    assert main(["inspect", str(trained)]) == 0
    out = capsys.readouterr().out
    assert "total parameters: 131" in out  # 4*16+16 + 16*3+3
    assert "classes: setosa, versicolor, virginica" in out
    assert "training: 60 epochs; last epoch: loss " in out  # no early stopping: the last epoch's weights
    assert main(["inspect", str(trained), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_parameters"] == 131 and info["class_names"] == list(IRIS_CLASSES)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_train_builtin_data_writes_learning_curves_and_weights(tmp_path, capsys):
    curves, weights = tmp_path / "curves.png", tmp_path / "weights.png"
    model = tmp_path / "digits.safetensors"
    assert main(["train", "--data", "digits", "--epochs", "3", "--quiet", "--out", str(model),
                 "--plot", str(curves), "--plot-weights", str(weights)]) == 0
    assert png_size(curves) == (1000, 400)
    assert png_size(weights) == (640, 640)
    assert glassnet.load(model).n_in == 64


def test_weights_plot_of_non_image_data_is_refused_before_training(flowers, tmp_path, capsys):
    path, *_ = flowers
    # with id and petal_width skipped, 3 features are left: not a square image
    line = one_line_error(capsys, main(["train", "--data", str(path), "--ignore", "id,petal_width", "--epochs", "2",
                                        "--quiet", "--out", str(tmp_path / "m.safetensors"),
                                        "--plot-weights", str(tmp_path / "w.png")]))
    assert "this data has 3 features, not a square number" in line
    assert list(tmp_path.iterdir()) == []  # refused before training: no model, no plot


def test_evaluate_builtin_data_uses_the_test_split_and_plots(tmp_path, capsys):
    model = tmp_path / "stairs.safetensors"
    assert main(["train", "--data", "stairs", "--epochs", "3", "--quiet", "--out", str(model)]) == 0
    reported = re.search(r"test accuracy: (\d\.\d{4})", capsys.readouterr().out).group(1)
    png = tmp_path / "confusion.png"
    assert main(["evaluate", str(model), "--data", "stairs", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert f"accuracy {reported}" in out and "the 1,000 test samples of generated stairs" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "--data", "no/such/file.csv"], "neither a built-in data set"),
        (["train", "--data", "iris", "--layers", "12,x"], "--layers must be comma-separated whole numbers"),
        (["train", "--data", "iris", "--layers", "0"], "--layers sizes must be >= 1"),
        (["train", "--data", "iris", "--lr", "-1"], "argument --lr: expected a number > 0, got '-1'"),
        (["train", "--data", "iris", "--lr", "nan"], "argument --lr: expected a number > 0, got 'nan'"),
        (["train", "--data", "iris", "--epochs", "0"], "argument --epochs: expected a whole number >= 1"),
        (["train", "--data", "iris", "--batch-size", "2.5"], "argument --batch-size: expected a whole number >= 1"),
        (["train", "--data", "iris", "--target", "species"], "--target and --ignore apply to CSV files only"),
        (["train", "--data", "iris", "--momentum", "1.5", "--optimizer", "sgd"], "momentum"),
        (["train", "--data", "iris", "--val-split", "1.5"], "--val-split must be a share in [0, 1), got 1.5"),
        (["experiment", "rashid-grid", "--gif", "x.gif"], "--gif animates the iris-slope experiment only"),
        (["experiment", "rashid-grid", "--epochs", "2"], "--epochs applies to the iris-slope experiment only"),
        (["train", "--data", "iris", "--momentum", "0.9"], "--momentum applies to --optimizer sgd only"),
        (["train", "--data", "iris", "--out", "no/such/dir/m.safetensors"], "folder"),
        (["train", "--data", "iris", "--plot", "curves.jpg"], "--plot must name a .png file, got 'curves.jpg'"),
        (["train", "--data", "iris", "--plot-weights", "no/dir/w.png"], "--plot-weights 'no/dir/w.png': folder"),
    ],
)
def test_bad_arguments_are_one_line_errors(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written, wherever the command runs
    line = one_line_error(capsys, main(argv))
    assert line.startswith("glassnet: error: ") and fragment in line
    assert list(tmp_path.iterdir()) == []


def test_bad_csv_cell_is_reported_with_row_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n9,10,x\n")
    line = one_line_error(capsys, main(["train", "--data", str(bad), "--numeric", "b",
                                        "--out", str(tmp_path / "m.safetensors")]))
    assert line == f"glassnet: error: line 3 of {bad}: column 'b' is numeric but holds 'oops'"
    assert not (tmp_path / "m.safetensors").exists()


def test_damaged_and_foreign_model_files_are_one_line_errors(trained, flowers, tmp_path, capsys):
    path, features, *_ = flowers
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(trained.read_bytes()[:100])
    for command in (["inspect", str(cut)], ["evaluate", str(cut), "--data", "iris"],
                    ["predict", str(cut), "--data", str(features)]):
        line = one_line_error(capsys, main(command))
        assert "cut.safetensors is not a glassnet model file" in line
    text = tmp_path / "notes.safetensors"
    text.write_text("hello")
    assert "is not a glassnet model file" in one_line_error(capsys, main(["inspect", str(text)]))
    missing = one_line_error(capsys, main(["inspect", str(tmp_path / "nope.safetensors")]))
    assert "nope.safetensors" in missing


def test_predict_without_the_columns_the_model_needs(trained, tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3,4,5\n6,7,8,9,10\n")
    line = one_line_error(capsys, main(["predict", str(trained), "--data", str(wide)]))
    assert line == (f"glassnet: error: {wide} has no column 'sepal_length', which the model needs (4 are missing: "
                    "'sepal_length', 'sepal_width', 'petal_length', 'petal_width')")


def test_evaluate_with_labels_the_model_does_not_know(trained, tmp_path, capsys):
    odd = tmp_path / "odd.csv"
    odd.write_text("sepal_length,sepal_width,petal_length,petal_width,species\n1,2,3,4,setosa\n1,2,3,4,tulip\n")
    line = one_line_error(capsys, main(["evaluate", str(trained), "--data", str(odd)]))
    assert line == (f"glassnet: error: data row 2 of {odd}: class label 'tulip' is not one the model knows: "
                    "['setosa', 'versicolor', 'virginica']")
    features = tmp_path / "features.csv"
    features.write_text("sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n")
    line = one_line_error(capsys, main(["evaluate", str(trained), "--data", str(features)]))
    assert line == (f"glassnet: error: the target column 'species' is missing from {features}; scoring needs it "
                    "(predictions need only the features)")


def test_predict_into_a_missing_folder_writes_nothing(trained, flowers, tmp_path, capsys):
    _, features, *_ = flowers
    line = one_line_error(capsys, main(["predict", str(trained), "--data", str(features),
                                        "--out", str(tmp_path / "no" / "p.csv")]))
    assert "does not exist" in line
    assert not (tmp_path / "no").exists()


def test_experiment_iris_slope_text_json_plot_and_gif(tmp_path, capsys):
    png, gif = tmp_path / "iris.png", tmp_path / "iris.gif"
    assert main(["experiment", "iris-slope", "--lr", "0.1", "0.5", "--plot", str(png), "--gif", str(gif)]) == 0
    out = capsys.readouterr().out
    assert f"saved the plot to {png}" in out and f"saved the animation to {gif}" in out
    assert png.read_bytes()[:4] == b"\x89PNG" and gif.read_bytes()[:6] == b"GIF89a"
    assert main(["experiment", "iris-slope", "--lr", "0.1", "0.5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    from glassnet.experiments import iris_slope

    again = iris_slope(learning_rates=(0.1, 0.5), seed=0)
    assert json.dumps(doc, sort_keys=True) == json.dumps(again.as_dict(), sort_keys=True)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "is empty"),
        ("a,b,label\n", "has a header row but no data rows"),
        ("a,b,label\n1,2,x\n3,4,x\n5,6,x\n", "target 'label' has only one value; a classifier needs at least two"),
        ("a,b,label\n1,nan,x\n3,4,y\n", "column 'b' has 1 missing cell (first at line 2 of DATA); choose how to "
                                         "handle them with --missing drop, mean, median or most_frequent"),
        ("a,b,label\n1,2,x\n3,4,y\n", "--test-split 0.2 of 2 rows leaves 0 for testing and 2 for training"),
    ],
    ids=["empty", "header only", "one class", "nan cell", "too few rows"],
)
def test_unusable_csv_files_are_one_line_errors(text, fragment, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(text)
    line = one_line_error(capsys, main(["train", "--data", str(path), "--quiet", "--out", str(tmp_path / "m.st")]))
    assert fragment.replace("DATA", str(path)) in line
    assert not (tmp_path / "m.st").exists()


def test_evaluate_rebuilds_the_split_train_used(tmp_path, capsys):
    model = tmp_path / "stairs.safetensors"
    assert main(["train", "--data", "stairs", "--epochs", "2", "--seed", "3", "--test-split", "0.3", "--quiet",
                 "--out", str(model)]) == 0
    reported = re.search(r"test accuracy: (\d\.\d{4}) on ([\d,]+)", capsys.readouterr().out)
    assert glassnet.load(model).notes == {"data": "stairs", "target": None, "ignore": None, "seed": 3,
                                          "test_split": 0.3}
    assert main(["evaluate", str(model), "--data", "stairs"]) == 0  # no --seed, no --test-split
    out = capsys.readouterr().out
    assert f"accuracy {reported.group(1)}" in out
    assert f"the {reported.group(2)} test samples of generated stairs (split with seed 3, test split 0.3)" in out
    assert main(["inspect", str(model)]) == 0
    assert "trained on: stairs (split seed 3, test split 0.3)" in capsys.readouterr().out


def test_train_refuses_an_unknown_glassnet_blas_in_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GLASSNET_BLAS", "mkl")
    out = tmp_path / "m.safetensors"
    line = one_line_error(capsys, main(["train", "--data", "iris", "--epochs", "2", "--quiet", "--out", str(out)]))
    assert line == "glassnet: error: the environment variable GLASSNET_BLAS must be 'auto' or 'numpy', got 'mkl'"
    assert not out.exists()


# ------------------------------------------------------------------ the kept epoch
EARLY = ["train", "--data", "iris", "--layers", "8", "--lr", "0.05", "--quiet", "--seed", "0"]


def kept_epoch_lines(out):
    """The epoch numbers and accuracies of train's summary: ``(trained, kept, training acc, validation acc)``."""
    match = re.search(r"^trained (\d+) epochs(?:; kept epoch (\d+))?: training accuracy (\d\.\d{4}), "
                      r"validation accuracy (\d\.\d{4})$", out, re.MULTILINE)
    assert match, out
    trained, kept, train_acc, val_acc = match.groups()
    return int(trained), int(kept or trained), train_acc, val_acc


def test_after_early_stopping_train_and_inspect_report_the_kept_epoch(tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    assert main([*EARLY, "--epochs", "300", "--early-stopping", "3", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    history = glassnet.load(model).history
    best, last = history.best_epoch, history.epochs
    assert best < last < 300  # the premise: this run stops early, and its last epoch is not the kept one
    assert history.val_loss[best - 1] == min(history.val_loss)  # the kept epoch is the best on validation data
    assert f"stopped early after epoch {last}; kept the weights of epoch {best}, the best on the validation data" in out
    assert kept_epoch_lines(out) == (last, best, f"{history.accuracy[best - 1]:.4f}",
                                     f"{history.val_accuracy[best - 1]:.4f}")
    assert main(["inspect", str(model)]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    values = ", ".join(f"{k} {v[best - 1]:.4f}" for k, v in history.as_dict().items())
    assert line == f"training: {last} epochs; kept epoch {best}, the best on the validation data: {values}"
    assert history.loss[best - 1] != history.loss[-1]  # so the last epoch's values would have been wrong

    # the same run cut off at its last epoch, with a patience that never runs out: every epoch runs, and the
    # weights kept are still those of the best epoch
    again = tmp_path / "again.safetensors"
    assert main([*EARLY, "--epochs", str(last), "--early-stopping", "100", "--out", str(again)]) == 0
    out = capsys.readouterr().out
    assert glassnet.load(again).history.best_epoch == best
    assert f"ran all {last} epochs; kept the weights of epoch {best}, the best on the validation data" in out
    assert kept_epoch_lines(out) == (last, best, f"{history.accuracy[best - 1]:.4f}",
                                     f"{history.val_accuracy[best - 1]:.4f}")


def test_when_the_last_epoch_is_the_best_the_summary_is_the_last_epochs(tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    assert main([*EARLY, "--epochs", "3", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    history = glassnet.load(model).history
    assert history.best_epoch == history.epochs == 3  # the premise: still improving after 3 epochs
    assert "kept the weights" not in out
    assert kept_epoch_lines(out) == (3, 3, f"{history.accuracy[-1]:.4f}", f"{history.val_accuracy[-1]:.4f}")
    assert main(["inspect", str(model)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("training: 3 epochs; kept epoch 3 (the last): loss ")


@pytest.mark.parametrize("layers, activation, shown", [("", "relu", "4-3 (softmax)"),
                                                        ("8", "sigmoid", "4-8-3 (sigmoid, softmax)"),
                                                        ("8,5", "tanh", "4-8-5-3 (tanh, softmax)")])
def test_the_network_line_names_only_the_activations_it_has(layers, activation, shown, tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    assert main(["train", "--data", "iris", "--layers", layers, "--activation", activation, "--epochs", "1",
                 "--quiet", "--out", str(model)]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith(f"network: {shown}, ")
    assert [layer.config()["activation"] for layer in glassnet.load(model).layers] == (
        [activation] * len(layers.split(",")) if layers else []) + ["softmax"]
