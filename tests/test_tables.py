"""glassnet.tables: reading people's own tables, deciding the task, the split and the Columns step."""

import json
import re

import numpy as np
import pytest

from glassnet import tables
from glassnet.preprocessing import Pipeline, Standardize, preprocessing_from_config


def write(path, text):
    path.write_text(text)
    return path


def penguin_like(path, n=60, seed=0, delimiter=",", missing_every=0):
    """A small messy table: an id, a text column, numbers (some missing), a whole-number year and a species."""
    rng = np.random.default_rng(seed)
    species = np.array(["Adelie", "Chinstrap", "Gentoo"])
    lines = [delimiter.join(["id", "island", "bill_mm", "mass_g", "year", "species"])]
    for i in range(n):
        k = i % 3
        bill = f"{38 + 5 * k + rng.normal():.1f}"
        if missing_every and i % missing_every == 4:
            bill = "NA"
        mass = f"{3500 + 700 * k + int(rng.integers(-200, 200))}"
        island = ["Biscoe", "Dream", "Torgersen"][(i + k) % 3]
        lines.append(delimiter.join([str(100 + i), island, bill, mass, str(2007 + i % 3), species[k]]))
    return write(path, "\n".join(lines) + "\n")


# ------------------------------------------------------------------ read_table


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_read_table_detects_the_delimiter(tmp_path, delimiter):
    frame = tables.read_table(penguin_like(tmp_path / "p.csv", delimiter=delimiter))
    assert frame.delimiter == delimiter
    assert frame.names == ["id", "island", "bill_mm", "mass_g", "year", "species"]
    assert frame.n_rows == 60
    assert frame.is_numeric("bill_mm") and not frame.is_numeric("island")
    assert list(frame["island"][:3]) == ["Biscoe", "Torgersen", "Dream"]


def test_a_given_delimiter_is_used_as_given(tmp_path):
    path = write(tmp_path / "a.csv", "a;b,c\n1;2,5\n3;4,5\n")
    # both split every line in two; with semicolons the cells are numbers (decimal commas), so they win
    assert tables.read_table(path).names == ["a", "b,c"]
    assert tables.read_table(path, delimiter=",").names == ["a;b", "c"]
    assert list(tables.read_table(path, delimiter=";")["b,c"]) == [2.5, 4.5]  # decimal commas with ';'


def test_a_headerless_semicolon_file_with_decimal_commas_is_read_as_such(tmp_path):
    path = write(tmp_path / "h.csv", "5,1;8,6;1\n4,9;7,5;0\n6,2;9,1;1\n")
    frame = tables.read_table(path)
    assert frame.delimiter == ";" and frame.names == ["column 1", "column 2", "column 3"]
    assert frame["column 1"].tolist() == [5.1, 4.9, 6.2] and frame["column 3"].tolist() == [1.0, 0.0, 1.0]


def test_missing_cells_become_nan_or_none(tmp_path):
    path = write(tmp_path / "m.csv", "x,colour,y\n1.5,red,a\nNA,,b\n?,blue,a\n2,N/A,b\n")
    frame = tables.read_table(path)
    assert np.isnan(frame["x"][1]) and np.isnan(frame["x"][2]) and frame["x"][3] == 2.0
    assert list(frame["colour"]) == ["red", None, "blue", None]
    assert list(tables.missing_mask(frame["colour"])) == [False, True, False, True]


def test_a_file_of_plain_numbers_takes_the_fast_reader_and_keeps_exact_values(tmp_path):
    path = write(tmp_path / "n.csv", "a,b\n0.1,2\n1e-3,4\n")
    frame = tables.read_table(path)
    assert frame["a"].tolist() == [0.1, 0.001] and frame["b"].tolist() == [2.0, 4.0]
    assert frame.sha256 == tables.file_sha256(path) and len(frame.sha256) == 64


def test_a_table_of_numbers_and_one_text_column_is_read_into_one_matrix(tmp_path):
    rng = np.random.default_rng(5)
    X = np.round(rng.normal(size=(40, 3)), 3)
    labels = rng.choice(["b", "a", "c"], size=40)
    path = write(tmp_path / "t.csv", "x,label,y,z\n" + "".join(
        f"{r[0]},{lab},{r[1]},{r[2]}\n" for r, lab in zip(X, labels)))
    frame = tables.read_table(path)
    assert frame.matrix is not None and frame.matrix_names == ["x", "y", "z"]
    assert frame.names == ["x", "label", "y", "z"]
    np.testing.assert_array_equal(frame.matrix, X)
    assert list(frame["label"]) == list(labels)
    # the same file with one blank cell goes cell by cell, and gives the same values elsewhere
    slow = tables.read_table(write(tmp_path / "s.csv", path.read_text().replace("\n" + str(X[0, 0]) + ",", "\n,", 1)))
    assert slow.matrix is None and np.isnan(slow["x"][0])
    np.testing.assert_array_equal(slow["x"][1:], X[1:, 0])
    assert list(slow["label"]) == list(labels)
    # rows taken from the matrix, and the columns the model takes, are the same either way
    rows = np.array([5, 1, 30])
    taken = frame.take(rows)
    np.testing.assert_array_equal(taken.matrix, X[rows])
    assert list(taken["label"]) == list(labels[rows])
    prep = tables.Columns().fit(frame.select(["z", "x"]))
    np.testing.assert_array_equal(prep.transform(taken), X[rows][:, [2, 0]])
    np.testing.assert_array_equal(prep.transform(slow.take(rows[1:])), X[rows[1:]][:, [2, 0]])


def test_ragged_rows_name_the_line(tmp_path):
    path = write(tmp_path / "r.csv", "a,b,c\nx,1,2\ny,3\n")
    with pytest.raises(ValueError, match=r"line 3 of .*r.csv has 2 cells, expected 3"):
        tables.read_table(path)


# ------------------------------------------------------------------ tasks


def frame_of(**columns):
    return tables.as_frame({k: np.asarray(v, dtype=object if isinstance(v[0], str) else float)
                            for k, v in columns.items()})


@pytest.mark.parametrize(
    "values, kind, classes",
    [
        (["a", "b", "a", "c"], "classification", ["a", "b", "c"]),
        ([1, 2, 3, 1, 2], "classification", [1, 2, 3]),  # no phantom class 0
        ([-1, 1, 1, -1], "classification", [-1, 1]),
        ([0, 1, 0, 1], "classification", [0, 1]),
        ([2007, 2008, 2009, 2008], "classification", [2007, 2008, 2009]),  # not 2010 classes
        ([0.5, 1.25, 3.0, 2.0], "regression", None),
        (list(range(3000, 3000 + 94)), "regression", None),  # 94 whole-number values: a quantity
    ],
)
def test_the_task_is_decided_as_documented(values, kind, classes):
    task = tables.decide_task(frame_of(t=values), ["t"])
    assert task.kind == kind and task.classes == classes
    assert task.reason.startswith(f"treating 't' as a {kind} target")


def test_the_reason_says_why():
    task = tables.decide_task(frame_of(body_mass_g=list(range(3000, 3094))), ["body_mass_g"])
    assert task.reason == "treating 'body_mass_g' as a regression target: 94 distinct values"
    task = tables.decide_task(frame_of(s=["x", "y", "x"]), ["s"])
    assert task.reason == "treating 's' as a classification target: 2 text values (x, y)"


def test_tasks_asked_for_are_checked():
    with pytest.raises(ValueError, match=r"fractional values such as 0.5; .*task='regression'"):
        tables.decide_task(frame_of(t=[0.5, 1.0]), ["t"], task="classification")
    with pytest.raises(ValueError, match=r"holds text such as 'a'; task='regression' needs numbers"):
        tables.decide_task(frame_of(t=["a", "b"]), ["t"], task="regression")
    assert tables.decide_task(frame_of(t=[1, 2, 3]), ["t"], task="regression").kind == "regression"
    with pytest.raises(ValueError, match="too many classes"):
        tables.decide_task(frame_of(t=list(range(1500)) * 2), ["t"], task="classification")
    with pytest.raises(ValueError, match="a different value in every row, like an ID"):
        tables.decide_task(frame_of(t=[f"n{i}" for i in range(30)]), ["t"])
    with pytest.raises(ValueError, match="only one value"):
        tables.decide_task(frame_of(t=["a", "a"]), ["t"])


def test_labels_keep_their_values_and_unknown_ones_are_refused():
    task = tables.decide_task(frame_of(t=[-1, 1, 1]), ["t"])
    assert task.labels(frame_of(t=[1, -1])).tolist() == [1, 0]
    assert task.class_names == ["-1", "1"]
    with pytest.raises(ValueError, match=r"row 2: class label 5 is not one the model knows: \[-1, 1\]"):
        task.labels(frame_of(t=[1, 5]))


def test_regression_targets_are_standardized_and_folded_back_into_the_output_layer():
    import glassnet

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = 1000 + 250 * X[:, 0]
    frame = tables.as_frame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    prepared = tables.prepare(frame, "y", test_split=0)
    task = prepared.task
    assert task.kind == "regression"
    np.testing.assert_allclose(task.encode(prepared.y_train).mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(task.encode(prepared.y_train).std(axis=0), 1)
    net = glassnet.Network([glassnet.Dense(3, 1, "linear")], loss="squared_error", seed=0)
    before = net.forward(X)
    task.fold_into(net)
    np.testing.assert_allclose(net.forward(X), before * task.scale + task.mean, rtol=1e-12)


# ------------------------------------------------------------------ Columns


def test_columns_one_hot_encode_text_and_fill_missing_values():
    train = {"size": np.array([1.0, np.nan, 3.0, 5.0]), "colour": np.array(["red", "blue", None, "red"], object)}
    prep = tables.Columns(missing="median").fit(train)
    assert prep.output_names() == ["size", "colour=blue", "colour=red"]
    assert prep.fill == [3.0, "red"]  # the median of 1, 3, 5; the most frequent colour
    out = prep.transform(train)
    np.testing.assert_array_equal(out, [[1, 0, 1], [3, 1, 0], [3, 0, 1], [5, 0, 1]])


@pytest.mark.parametrize("strategy, fill", [("mean", 3.0), ("median", 1.5), ("most_frequent", 1.0)])
def test_fill_values_are_learned_from_the_training_rows(strategy, fill):
    prep = tables.Columns(missing=strategy).fit({"x": np.array([1.0, 1.0, 2.0, 8.0, np.nan])})
    assert prep.fill == [fill]
    assert prep.transform({"x": np.array([np.nan])}).tolist() == [[fill]]


def test_missing_values_are_refused_by_default_naming_the_column_and_the_way_out():
    with pytest.raises(tables.MissingValues, match=r"column 'x' has 1 missing cell \(first at row 2\); .*missing="):
        tables.Columns().fit({"x": np.array([1.0, np.nan])})


def test_columns_match_by_name_in_any_order_and_refuse_a_missing_one():
    rng = np.random.default_rng(1)
    data = {"a": rng.normal(size=5), "b": rng.normal(size=5), "c": np.array(["x", "y", "x", "y", "x"], object)}
    prep = tables.Columns().fit(data)
    reordered = {k: data[k] for k in ("c", "b", "a")}
    reordered["extra"] = np.ones(5)
    np.testing.assert_array_equal(prep.transform(reordered), prep.transform(data))
    assert prep.extra_columns(reordered) == ["extra"]
    with pytest.raises(ValueError, match="X has no column 'b', which the model needs"):
        prep.transform({"a": data["a"], "c": data["c"]})
    # a plain array is taken by position
    positional = np.column_stack([data["a"], data["b"], data["c"]]).astype(object)
    np.testing.assert_array_equal(prep.transform(positional), prep.transform(data))


def test_unknown_categories_give_zeros_and_are_counted_or_refused():
    prep = tables.Columns().fit({"c": np.array(["x", "y"], object)})
    new = {"c": np.array(["x", "z", "z"], object)}
    assert prep.transform(new).tolist() == [[1, 0], [0, 0], [0, 0]]
    assert prep.unknown_categories(new) == {"c": 2}
    strict = tables.Columns(unknown="error").fit({"c": np.array(["x", "y"], object)})
    with pytest.raises(ValueError, match=r"row 2: column 'c' has the category 'z', which the model never saw"):
        strict.transform(new)


def test_overrides_make_numbers_categorical_and_check_numeric_columns():
    data = {"zip": np.array([1010.0, 2020.0, 1010.0]), "n": np.array(["1", "2", "3"], object)}
    prep = tables.Columns(categorical=["zip"], numeric=["n"]).fit(data)
    assert prep.kinds == ["categorical", "numeric"]
    assert prep.output_names() == ["zip=1010", "zip=2020", "n"]
    with pytest.raises(ValueError, match=r"row 2: column 'n' is numeric but holds 'two'"):
        prep.transform({"zip": np.array([1010.0, 1010.0]), "n": np.array(["1", "two"], object)})
    with pytest.raises(ValueError, match="categorical: 'nope' is not a feature column"):
        tables.Columns(categorical=["nope"]).fit(data)


def test_columns_round_trip_through_config_and_inside_a_pipeline():
    data = {"a": np.array([1.0, np.nan, 3.0]), "c": np.array(["x", "y", None], object)}
    prep = Pipeline([tables.Columns(missing="mean"), Standardize()])
    prep.fit(data)
    assert prep.takes_tables and prep.n_features_ == 2 and prep.n_outputs_ == 3
    config = json.loads(json.dumps(prep.config()))
    again = preprocessing_from_config(config, prep.arrays())
    np.testing.assert_array_equal(again.transform(data), prep.transform(data))
    assert preprocessing_from_config(config).steps[0].names is None  # no arrays: as before fit


@pytest.mark.parametrize(
    "fitted",
    [
        {"names": ["a"], "kinds": ["weird"], "fill": [None], "categories": [None]},
        {"names": ["a"], "kinds": ["categorical"], "fill": ["q"], "categories": [["x"]]},
        {"names": ["a"], "kinds": ["numeric"], "fill": [float("inf")], "categories": [None]},
        {"names": ["a", "a"], "kinds": ["numeric"] * 2, "fill": [None] * 2, "categories": [None] * 2},
    ],
)
def test_a_damaged_columns_config_is_refused(fitted):
    config = {"name": "columns", "missing": "mean", "unknown": "ignore", "fitted": fitted}
    with pytest.raises(ValueError):
        preprocessing_from_config(config, {})


# ------------------------------------------------------------------ prepare


def test_prepare_splits_stratified_and_fits_on_training_rows_only(tmp_path):
    frame = tables.read_table(penguin_like(tmp_path / "p.csv", missing_every=7))
    prepared = tables.prepare(frame, "species", missing="mean", ignore=["id"], test_split=0.25, seed=3)
    assert prepared.task.classes == ["Adelie", "Chinstrap", "Gentoo"]
    assert len(prepared.train_rows) == 45 and len(prepared.test_rows) == 15
    assert np.bincount(prepared.y_test).tolist() == [5, 5, 5]
    assert set(prepared.train_rows).isdisjoint(prepared.test_rows)
    bills = frame["bill_mm"][prepared.train_rows]
    assert prepared.columns.fill[prepared.columns.names.index("bill_mm")] == pytest.approx(np.nanmean(bills))
    assert prepared.columns.names == ["island", "bill_mm", "mass_g", "year"]
    assert prepared.notes[0] == (
        "treating 'species' as a classification target: 3 text values (Adelie, Chinstrap, Gentoo)")
    again = tables.prepare(frame, "species", missing="mean", ignore=["id"], test_split=0.25, seed=3)
    assert again.test_rows.tolist() == prepared.test_rows.tolist()


def test_prepare_warns_about_id_like_and_constant_columns(tmp_path):
    frame = tables.read_table(penguin_like(tmp_path / "p.csv"))
    frame.columns["const"] = np.full(frame.n_rows, 7.0)
    frame.names.append("const")
    prepared = tables.prepare(frame, "species", say=tables.cli_words)
    assert prepared.warnings == [
        "column 'id' looks like an ID (by its name) but is used as a feature; leave it out with --ignore id",
        "1 column has one value in every training row, which tells the network nothing: 'const' (7)",
    ]


def test_a_mostly_numeric_column_with_a_stray_text_cell_is_pointed_out(tmp_path):
    rows = "".join(f"{i % 7},{i * 1.5},{'yes' if i % 2 else 'no'}\n" for i in range(30))
    path = write(tmp_path / "s.csv", "a,b,label\n" + rows.replace("15.0,", "about 15,", 1))
    prepared = tables.prepare(tables.read_table(path), "label", say=tables.cli_words)
    assert prepared.columns.kinds == ["numeric", "categorical"]
    assert prepared.warnings[-1].startswith(
        "column 'b' is mostly numbers but line 12 of")
    assert prepared.warnings[-1].endswith(
        "holds 'about 15', so it is taken as 24 categories; if it is a quantity, fix that cell or give --numeric b "
        "to see each bad cell")


def test_missing_drop_leaves_out_rows_and_says_so(tmp_path):
    frame = tables.read_table(penguin_like(tmp_path / "p.csv", missing_every=10))
    prepared = tables.prepare(frame, "species", missing="drop", test_split=0)
    assert len(prepared.train_rows) == 54
    assert "left out 6 of 60 rows with missing cells (missing='drop')" in prepared.notes


def test_prepare_errors_name_the_cli_flags_when_asked(tmp_path):
    frame = tables.read_table(penguin_like(tmp_path / "p.csv", missing_every=7))
    with pytest.raises(tables.MissingValues) as info:
        tables.prepare(frame, "species", say=tables.cli_words)
    assert (info.value.column, info.value.count) == ("bill_mm", 8)
    with pytest.raises(ValueError, match=r"--target 'sp' is not a column of .*p.csv"):
        tables.prepare(frame, "sp", say=tables.cli_words)
    with pytest.raises(ValueError, match=r"--categorical: 'species' is the target"):
        tables.prepare(frame, "species", categorical=["species"], missing="mean", say=tables.cli_words)
    with pytest.raises(ValueError, match="test_split must be a number in"):
        tables.prepare(frame, "species", missing="mean", test_split=1.0)


def test_test_split_zero_keeps_every_row():
    train, test = tables.split_rows(10, 0)
    assert train.tolist() == list(range(10)) and test.size == 0


# ------------------------------------------------ found by a hostile tester


def test_numbers_with_gaps_given_as_a_list_stay_numbers():
    prepared = tables.prepare({"a": [1.0, None, 3.0, 4.0, 5.0] * 6, "y": ["p", "q"] * 15}, "y", missing="mean")
    assert prepared.columns.kinds == ["numeric"]
    assert prepared.warnings == []


@pytest.mark.parametrize("call, error, message", [
    (lambda f: tables.prepare(f, []), ValueError, "target names no column"),
    (lambda f: tables.prepare(f, "y", ignore="a"), TypeError, "ignore must be a list of column names or indexes"),
    (lambda f: tables.prepare(f, "y", ignore=0), TypeError, "ignore must be a list"),
    (lambda f: tables.prepare(f, "y", seed=1.5), TypeError, "seed must be a whole number >= 0, got 1.5 (float)"),
    (lambda f: tables.decide_task(f, "y"), ValueError, "targets must be a non-empty list of the frame's column"),
    (lambda f: tables.split_rows("5"), ValueError, "n_rows must be a whole number >= 1, got '5' (str)"),
    (lambda f: tables.Frame({"a": 1}), TypeError, "columns['a'] must be a 1-D numpy array, got 1 (int)"),
])
def test_wrong_arguments_get_one_line_errors_naming_them(call, error, message):
    frame = tables.as_frame({"a": np.arange(30.0), "y": np.array(["p", "q"] * 15, dtype=object)})
    with pytest.raises(error, match=re.escape(message)):
        call(frame)


def test_a_numeric_target_that_is_an_id_is_warned_about():
    rng = np.random.default_rng(0)
    prepared = tables.prepare({"x": rng.normal(size=40), "id": np.arange(40.0)}, "id")
    assert prepared.warnings == [
        "the target 'id' has a different whole number in every row, like an ID; is it the column to predict?"]


# ------------------------------------------------ named columns through the Network API


def iris_net(seed=0):
    import glassnet

    return glassnet.Network([glassnet.Dense(4, 8, "relu"), glassnet.Dense(8, 3, "softmax")], seed=seed)


IRIS_NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def test_fit_with_feature_names_matches_columns_by_name_from_then_on(tmp_path):
    import glassnet
    from glassnet.datasets import iris

    X, y = iris()
    net = iris_net()
    net.fit(X, y, feature_names=IRIS_NAMES, epochs=20, lr=0.1)
    assert tables.table_step(net.preprocessing).names == IRIS_NAMES
    expected = net.predict_proba(X)
    order = [2, 0, 3, 1]
    shuffled = {IRIS_NAMES[j]: X[:, j] for j in order}
    np.testing.assert_array_equal(net.predict_proba(shuffled), expected)
    np.testing.assert_array_equal(net.predict_proba(X[:, order], feature_names=[IRIS_NAMES[j] for j in order]),
                                  expected)
    assert net.evaluate(shuffled, y)["accuracy"] == net.evaluate(X, y)["accuracy"]
    with pytest.raises(ValueError, match="X has no column 'petal_width', which the model needs"):
        net.predict({name: X[:, j] for j, name in enumerate(IRIS_NAMES[:3])})
    net.save(tmp_path / "m.safetensors")
    again = glassnet.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(again.predict_proba(shuffled), expected)


def test_a_network_without_names_refuses_feature_names_and_takes_positions():
    from glassnet.datasets import iris

    X, y = iris()
    net = iris_net()
    net.fit(X, y, epochs=2, lr=0.1)
    assert net.preprocessing is None
    with pytest.raises(ValueError, match="feature_names was given but this network takes no named columns"):
        net.predict(X, feature_names=IRIS_NAMES)


def test_pandas_data_frames_are_matched_by_name():
    pd = pytest.importorskip("pandas")  # in the test extras: this skips only outside them
    from glassnet.datasets import iris

    X, y = iris()
    frame = pd.DataFrame(X, columns=IRIS_NAMES)
    net = iris_net()
    net.fit(frame, y, epochs=20, lr=0.1)
    expected = net.predict_proba(X)
    reordered = frame[["petal_width", "sepal_length", "petal_length", "sepal_width"]].assign(extra=1.0)
    np.testing.assert_array_equal(net.predict_proba(reordered), expected)
    with pytest.raises(ValueError, match="feature_names was given but X is a DataFrame"):
        net.predict(frame, feature_names=IRIS_NAMES)
    # text and gaps in a DataFrame: one-hot and filled by a Columns step built for them
    data = pd.DataFrame({"colour": ["red", "blue", None, "red"] * 10, "size": [1.0, None, 3.0, 4.0] * 10})
    prep = tables.Columns(missing="most_frequent").fit(data)
    assert prep.output_names() == ["colour=blue", "colour=red", "size"]
    assert prep.transform(data)[:4].tolist() == [[0, 1, 1], [1, 0, 1], [0, 1, 3], [0, 1, 4]]


def test_fit_refuses_names_whose_one_hot_width_does_not_fit_the_network():
    net = iris_net()
    data = {"a": np.arange(6.0), "b": np.arange(6.0), "c": np.arange(6.0), "colour": np.array(["x", "y"] * 3, object)}
    with pytest.raises(ValueError, match=r"X has 4 named columns, 5 inputs once its text columns \['colour'\] are "
                                         r"one-hot encoded, but the network takes 4"):
        net.fit(data, np.arange(6) % 3, epochs=1)
