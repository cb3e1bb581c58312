"""ONNX export (glassnet.onnx_export): the file, run by ONNX Runtime, gives what predict_proba gives."""

import argparse
import csv
import json
import sys

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Network, export
from glassnet.files import protected
from glassnet.onnx_export import to_onnx
from glassnet.preprocessing import MinMax, Pipeline, RashidScale, Standardize
from glassnet.tables import Columns

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install 'glassnet[onnx]'; in the test extras)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (in the test extras)")

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}
OUTPUTS = {  # output layer, loss
    "softmax": (Dense(5, 3, "softmax"), "cross_entropy"),
    "sigmoid": (Dense(5, 1, "sigmoid"), "binary_cross_entropy"),
    "linear": (Dense(5, 1, "linear"), "squared_error"),
    "linear-3": (Dense(5, 3, "linear"), "squared_error"),
}
RAW = np.random.default_rng(0).uniform(0, 255, size=(100, 4))


def network(output="softmax", dtype=np.float64, seed=0):
    """Every hidden activation in one network, then the output layer."""
    layer, loss = OUTPUTS[output]
    hidden = [Dense(4, 6, "sigmoid"), Dense(6, 6, "tanh"), Dense(6, 5, "relu"), Dense(5, 5, "linear")]
    net = Network([*hidden, Dense(5, layer.n_out, layer.activation.name)], loss=loss, seed=seed)
    net.cast(dtype)
    return net


def run_onnx(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X})[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output", list(OUTPUTS))
def test_the_onnx_model_gives_what_predict_proba_gives(tmp_path, output, dtype):
    net = network(output, dtype)
    net.preprocessing = Standardize().fit(RAW)
    path = to_onnx(net, tmp_path / "m.onnx")
    model = onnx.load(path)
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["values" if output.startswith("linear") else "probabilities"]
    assert {n.op_type for n in model.graph.node} <= {"Cast", "Sub", "Div", "MatMul", "Add", "Sigmoid", "Tanh", "Relu",
                                                     "Softmax", "Identity"}
    for rows in (RAW[:1], RAW):  # the batch axis is dynamic
        X = rows.astype(dtype)
        got = run_onnx(path, X)
        assert got.dtype == dtype and got.shape == (len(rows), net.n_out)
        np.testing.assert_allclose(got, net.predict_proba(X), rtol=0, atol=TOLERANCE[dtype])


def columns_with_fill():
    table = {f"c{j}": RAW[:, j].copy() for j in range(4)}
    table["c1"][[3, 7]] = np.nan
    return Columns(missing="median").fit(table)


PREPROCESSING = {
    "none": lambda: None,
    "standardize": lambda: Standardize().fit(RAW),
    "minmax": lambda: MinMax(-1, 1).fit(RAW[:50]),  # the other rows go beyond the range
    "rashid": lambda: RashidScale(255).fit(RAW),
    "pipeline": lambda: Pipeline([RashidScale(255), Standardize()]).fit(RAW),
    "columns": lambda: Pipeline([columns_with_fill(), Standardize()]).fit(RAW),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("prep", list(PREPROCESSING))
def test_the_preprocessing_travels_in_the_graph(tmp_path, prep, dtype):
    net = network("softmax", dtype, seed=1)
    net.preprocessing = PREPROCESSING[prep]()
    X = RAW.astype(dtype)
    if prep == "columns":  # missing cells take the fill value, as in predict
        X[[0, 5], 1] = np.nan
        expected = net.predict_proba(X)
        assert np.isfinite(expected).all()
    else:
        expected = net.predict_proba(X)
    got = run_onnx(to_onnx(net, tmp_path / "m.onnx"), X)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[dtype])


def test_class_names_and_input_columns_are_in_the_metadata(tmp_path):
    net = network("softmax")
    net.class_names = ["setosa", "versicolor", "virginica"]
    net.preprocessing = columns_with_fill()
    model = onnx.load(to_onnx(net, tmp_path / "m.onnx"))
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["class_names"]) == net.class_names
    assert json.loads(props["input_columns"]) == ["c0", "c1", "c2", "c3"]
    assert props["output"] == "probabilities"
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"


def test_what_cannot_be_exported_is_refused_in_one_line(tmp_path):
    net = network()
    columns = Columns().fit({"size": [1.0, 2.0], "colour": ["red", "blue"]})
    net.preprocessing = Pipeline([RashidScale(255), columns])  # a table step after a matrix step
    with pytest.raises(ValueError, match=r"^the preprocessing's step 1 \(of steps 0 to 1\) is a Columns step with "
                                         r"the categorical column 'colour', which can be exported to ONNX only as "
                                         r"step 0, where it takes the table$"):
        to_onnx(net, tmp_path / "m.onnx")
    net.preprocessing = Columns()
    with pytest.raises(ValueError, match=r"^the preprocessing step Columns\(missing='error'\) is not fitted, so it "
                                         r"has no columns to export; fit it \(or train the network with it\) first$"):
        to_onnx(net, tmp_path / "m.onnx")
    net.preprocessing = object()
    with pytest.raises(ValueError, match="cannot be exported to ONNX; these can: Standardize"):
        to_onnx(net, tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="net must be a glassnet Network"):
        to_onnx("net", tmp_path / "m.onnx")
    net.preprocessing = None
    with pytest.raises(ValueError, match=r"must name a \.onnx file"):
        to_onnx(net, tmp_path / "m.txt")
    with pytest.raises(FileNotFoundError):
        to_onnx(net, tmp_path / "no" / "m.onnx")
    for opset, given in ((9, "9"), ("17", "'17'"), (True, "True"), (17.0, "17.0")):
        with pytest.raises(ValueError, match=rf"^opset must be a whole number from 13 to \d+ \(this onnx's newest\), "
                                             rf"got {given}"):
            to_onnx(net, tmp_path / "m.onnx", opset=opset)
    assert list(tmp_path.iterdir()) == []


def test_without_onnx_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx then raises ImportError
    with pytest.raises(ModuleNotFoundError, match=r"^ONNX export needs the onnx package: pip install 'glassnet\[onnx"):
        to_onnx(network(), tmp_path / "m.onnx")


def export_command(argv):
    """``glassnet export`` as the CLI's main runs it: the command's inputs protected, errors raised."""
    parser = argparse.ArgumentParser(prog="glassnet")
    export.add_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    with protected({"MODEL": args.model}):
        args.run(args)


def test_the_export_command_writes_onnx_and_torch_files(tmp_path, capsys):
    net = network("softmax", np.float32)
    net.preprocessing = Standardize().fit(RAW)
    model = tmp_path / "m.safetensors"
    net.save(model)
    onnx_file, torch_file = tmp_path / "m.onnx", tmp_path / "t.safetensors"
    export_command(["export", str(model), "--onnx", str(onnx_file), "--torch", str(torch_file)])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"wrote {tmp_path / 'm.onnx'}: ONNX, input X (N, 4) float32 through Standardize()")
    assert "nn.Sequential(Linear(4, 6), Sigmoid(), Linear(6, 6), Tanh()" in out[1]
    X = RAW.astype(np.float32)
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", X), net.predict_proba(X), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="give --onnx FILE, --torch FILE or both"):
        export_command(["export", str(model)])
    with pytest.raises(ValueError, match=r"^--torch .* is the same file as MODEL"):
        export_command(["export", str(model), "--onnx", str(model)[: -len(".safetensors")] + ".onnx",
                        "--torch", str(model)])


# ---------------------------------------------------------------- tables with text columns: one input per column
COLOURS = np.array(["red", "green", "blue", "teal"], dtype=object)
CITIES = np.array(["Oslo", "Lima", "Pune"], dtype=object)


def table(n, seed=0):
    """A table with numbers, texts, number codes made categorical and a name that is no identifier, and ``y``:
    three classes that depend on all of them (the regression target is the class as a number)."""
    rng = np.random.default_rng(seed)
    t = {"size": rng.normal(10.0, 3.0, n), "colour": COLOURS[rng.integers(0, 4, n)],
         "grade": rng.integers(1, 4, n).astype(np.float64), "weight (kg)": rng.uniform(40.0, 90.0, n),
         "city": CITIES[rng.integers(0, 3, n)]}
    score = (t["size"] - 10) / 3 + (t["colour"] == "red") - (t["city"] == "Lima") + (t["grade"] - 2) / 2
    return t, np.digitize(score, [-0.5, 0.5])


def with_gaps(t, rows, columns):
    """``t`` with the cells of ``columns`` in ``rows`` missing (NaN, or None in a text column)."""
    t = {k: v.copy() for k, v in t.items()}
    for k in columns:
        t[k][rows] = None if t[k].dtype == object else np.nan
    return t


TABLE_OUTPUTS = {  # output layer size and activation, loss, targets from the classes
    "softmax": (3, "softmax", "cross_entropy", lambda y: y),
    "sigmoid": (1, "sigmoid", "binary_cross_entropy", lambda y: (y == 2).astype(int)),
    "regression": (1, "linear", "squared_error", lambda y: y.reshape(-1, 1) - 1.0),
}


def table_network(output="softmax", dtype=np.float64, missing="median", unknown="ignore", seed=0):
    """A small network trained a few epochs on a table with gaps; its preprocessing is Columns then Standardize."""
    t, y = table(80, seed)
    if missing != "error":
        t = with_gaps(t, [1, 4, 9], ["size", "colour", "grade"])
    n_out, activation, loss, targets = TABLE_OUTPUTS[output]
    columns = Columns(categorical=["grade"], missing=missing, unknown=unknown)
    prep = Pipeline([columns, Standardize()]).fit(t)
    net = Network([Dense(prep.n_outputs_, 6, "tanh"), Dense(6, 5, "relu"), Dense(5, n_out, activation)], loss=loss,
                  seed=seed)
    net.preprocessing = prep
    net.fit(t, targets(y), epochs=5, batch_size=16, lr=0.05, dtype=dtype)
    assert net.dtype == dtype
    return net


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def feed(sess, t):
    """The ONNX inputs for the table ``t`` (name -> column), found through the model's metadata: numbers as
    float64, texts as an object array as they are (None too: ONNX Runtime makes it "None"), each (N, 1)."""
    meta = sess.get_modelmeta().custom_metadata_map
    names = dict(zip(json.loads(meta["input_columns"]), json.loads(meta["input_names"])))
    types = {i.name: i.type for i in sess.get_inputs()}
    out = {}
    for column, name in names.items():
        values = np.asarray(t[column])
        out[name] = (values.astype(object) if types[name] == "tensor(string)"
                     else values.astype(np.float64)).reshape(-1, 1)
    return out


def run_table(path, t):
    sess = session(path)
    return sess.run(None, feed(sess, t))[0]


def odd_rows():
    """Rows beyond the training ones: unknown categories and codes, and missing cells in every kind of column."""
    t, _ = table(8, seed=5)
    t = with_gaps(t, [0, 3], ["size"])
    t = with_gaps(t, [1, 3], ["colour"])
    t = with_gaps(t, [2], ["grade"])
    t["colour"][4], t["city"][5], t["grade"][6] = "purple", "Paris", 7.0  # never seen in training
    return t


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output", list(TABLE_OUTPUTS))
def test_a_table_with_text_columns_gives_what_predict_proba_gives(tmp_path, output, dtype):
    net = table_network(output, dtype)
    path = to_onnx(net, tmp_path / "m.onnx")
    sess = session(path)
    assert [(i.name, i.type, i.shape) for i in sess.get_inputs()] == [
        ("size", "tensor(double)", ["N", 1]), ("colour", "tensor(string)", ["N", 1]),
        ("grade", "tensor(double)", ["N", 1]), ("weight__kg_", "tensor(double)", ["N", 1]),
        ("city", "tensor(string)", ["N", 1])]
    out = sess.get_outputs()[0]
    assert out.name == ("values" if output == "regression" else "probabilities")
    assert out.type == ("tensor(float)" if dtype == np.float32 else "tensor(double)")
    train, _ = table(80)
    train = with_gaps(train, [1, 4, 9], ["size", "colour", "grade"])
    for rows in (train, odd_rows(), {k: v[:1] for k, v in odd_rows().items()}):
        got = run_table(path, rows)
        expected = net.predict_proba(rows)
        assert got.dtype == dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[dtype])
        predicted = net.predict(rows)
        if output == "regression":
            np.testing.assert_allclose(got.reshape(-1), predicted, rtol=0, atol=TOLERANCE[dtype])
        elif output == "softmax":
            assert (got.argmax(axis=1) == predicted).all()
        else:
            assert ((got[:, 0] >= 0.5).astype(int) == predicted).all()


def test_the_metadata_names_the_columns_their_inputs_and_categories(tmp_path):
    net = table_network()
    net.class_names = ["low", "mid", "high"]
    model = onnx.load(to_onnx(net, tmp_path / "m.onnx"))
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["input_columns"]) == ["size", "colour", "grade", "weight (kg)", "city"]
    assert json.loads(props["input_names"]) == ["size", "colour", "grade", "weight__kg_", "city"]
    assert json.loads(props["categories"]) == {"colour": ["blue", "green", "red", "teal"], "grade": ["1", "2", "3"],
                                               "city": ["Lima", "Oslo", "Pune"]}
    assert json.loads(props["class_names"]) == ["low", "mid", "high"]
    docs = {i.name: i.doc_string for i in model.graph.input}
    assert docs["weight__kg_"] == "column 'weight (kg)': numbers (float64), NaN where missing"
    assert docs["grade"] == "column 'grade': the number codes of its 3 categories (float64), NaN where missing"
    assert docs["colour"].startswith("column 'colour': text, one of its 4 categories (metadata 'categories'); "
                                     "missing: '', '?', 'N/A', 'NA', ")
    assert {n.domain for n in model.graph.node} == {"", "ai.onnx.ml"}
    assert {o.domain: o.version for o in model.opset_import} == {"": 17, "ai.onnx.ml": 2}


def test_input_names_are_identifiers_none_taken_twice():
    from glassnet.onnx_export import input_names

    assert input_names(["size", "weight (kg)", "2nd", "a b", "a_b", "é", "€", "values"], taken={"values"}) == [
        "size", "weight__kg_", "_2nd", "a_b", "a_b_2", "_", "__2", "values_2"]


def test_columns_named_as_the_graph_names_its_own_tensors_are_renamed(tmp_path):
    t = {"values": np.linspace(0, 1, 6), "columns": np.array(["a", "b"] * 3, dtype=object),
         "X_prepared": np.linspace(2, 3, 6), "2nd": np.array(["x", "y", "y"] * 2, dtype=object)}
    net = Network([Dense(6, 1, "linear")], loss="squared_error", seed=0)
    net.preprocessing = Columns().fit(t)
    net.cast(np.float32)
    sess = session(to_onnx(net, tmp_path / "m.onnx"))
    assert [i.name for i in sess.get_inputs()] == ["values_2", "columns", "X_prepared_2", "_2nd"]
    np.testing.assert_allclose(sess.run(None, feed(sess, t))[0], net.predict_proba(t), rtol=0, atol=1e-5)


def test_missing_text_cells_are_the_missing_texts_and_take_the_fill_value(tmp_path):
    net = table_network("softmax", np.float64)
    path = to_onnx(net, tmp_path / "m.onnx")
    t, _ = table(6, seed=3)
    gaps = with_gaps(t, [0, 1, 2, 3, 4, 5], ["colour"])
    expected = net.predict_proba(gaps)  # None: the most frequent colour
    for text in ["", "NA", "None", "nan", "?", "null"]:
        written = {**t, "colour": np.full(6, text, dtype=object)}
        np.testing.assert_allclose(run_table(path, written), expected, rtol=0, atol=1e-12)
    # a str array rather than an object array, and a category the model knows
    sess = session(path)
    inputs = {**feed(sess, t), "colour": np.array([["teal"]] * 6)}
    np.testing.assert_allclose(sess.run(None, inputs)[0], net.predict_proba({**t, "colour": ["teal"] * 6}),
                               rtol=0, atol=1e-12)


def test_a_text_the_model_knows_as_a_category_is_that_category_not_missing(tmp_path):
    t = {"x": np.linspace(0, 1, 8), "tag": np.array(["NA", "b", "NA", "b", "c", "NA", "c", "b"], dtype=object)}
    net = Network([Dense(4, 2, "softmax")], loss="cross_entropy", seed=0)
    net.preprocessing = Columns(missing="most_frequent").fit(t)
    net.cast(np.float64)
    assert net.preprocessing.categories[1] == ["NA", "b", "c"]
    rows = {"x": np.full(3, 0.5), "tag": np.array(["NA", "", "c"], dtype=object)}
    expected = net.predict_proba({"x": rows["x"], "tag": ["NA", None, "c"]})  # "" is missing: the fill "NA" or "b"
    np.testing.assert_allclose(run_table(to_onnx(net, tmp_path / "m.onnx"), rows), expected, rtol=0, atol=1e-12)


def test_a_data_frame_goes_in_as_it_comes(tmp_path):
    pd = pytest.importorskip("pandas")
    net = table_network("softmax", np.float32)
    path = to_onnx(net, tmp_path / "m.onnx")
    frame = pd.DataFrame(odd_rows())
    frame.loc[6, "colour"] = np.nan  # pandas' own missing text
    sess = session(path)
    names = json.loads(sess.get_modelmeta().custom_metadata_map["input_names"])
    inputs = {name: frame[[column]].to_numpy() for name, column in zip(names, frame.columns)}
    assert inputs["colour"].dtype == object and inputs["size"].dtype == np.float64
    np.testing.assert_allclose(sess.run(None, inputs)[0], net.predict_proba(frame), rtol=0, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_predict_refuses_give_nan_and_the_other_rows_their_outputs(tmp_path, dtype):
    net = table_network("softmax", dtype, missing="error", unknown="error")
    path = to_onnx(net, tmp_path / "m.onnx")
    t, _ = table(9, seed=7)
    fine = net.predict_proba(t)
    bad = {k: v.copy() for k, v in t.items()}
    bad["size"][1] = np.nan  # a missing number, no fill value
    bad["colour"][2] = None  # a missing text, no fill value
    bad["colour"][3] = ""  # the same, written as ONNX takes it
    bad["city"][4] = "Paris"  # an unknown category with unknown="error"
    bad["grade"][5] = 9.0  # an unknown code
    bad["grade"][6] = np.nan  # a missing code
    bad["weight (kg)"][7] = np.inf  # predict refuses infinite numbers
    for k in range(1, 8):
        row = {name: v[k : k + 1] for name, v in bad.items()}
        with pytest.raises(ValueError):
            net.predict_proba(row if k != 3 else {**row, "colour": [None]})
    got = run_table(path, bad)
    assert np.isnan(got[1:8]).all()
    np.testing.assert_allclose(got[[0, 8]], fine[[0, 8]], rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("opset", [13, 19, "newest"])
def test_every_opset_from_13_expresses_text_columns(tmp_path, opset):
    net = table_network("softmax", np.float64)
    opset = onnx.defs.onnx_opset_version() if opset == "newest" else opset
    path = to_onnx(net, tmp_path / "m.onnx", opset=opset)
    assert {o.domain: o.version for o in onnx.load(path).opset_import}[""] == opset
    rows = odd_rows()
    np.testing.assert_allclose(run_table(path, rows), net.predict_proba(rows), rtol=0, atol=1e-12)


def test_a_model_of_numbers_keeps_its_one_input_x(tmp_path):
    net = network("softmax", np.float32)
    net.preprocessing = Pipeline([columns_with_fill(), Standardize()]).fit(RAW)
    model = onnx.load(to_onnx(net, tmp_path / "m.onnx"))
    assert [i.name for i in model.graph.input] == ["X"]
    assert {o.domain for o in model.opset_import} == {""}
    props = {p.key for p in model.metadata_props}
    assert "input_names" not in props and "categories" not in props


def test_export_trains_and_exports_a_csv_model_with_text_columns(tmp_path, capsys):
    from glassnet.cli import main
    from glassnet.tables import read_table

    rng = np.random.default_rng(1)
    t, y = table(120, seed=1)
    rows = [[f"{t['size'][i]:.3f}", t["colour"][i], int(t["grade"][i]), f"{t['weight (kg)'][i]:.2f}", t["city"][i],
             ["low", "mid", "high"][y[i]]] for i in range(120)]
    for i in rng.choice(120, 10, replace=False):
        rows[i][int(rng.choice([0, 1, 2, 4]))] = rng.choice(["", "NA"])  # missing cells as a CSV writes them
    data = tmp_path / "people.csv"
    with open(data, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["size", "colour", "grade", "weight (kg)", "city", "band"])
        writer.writerows(rows)
    model, exported = tmp_path / "people.safetensors", tmp_path / "people.onnx"
    assert main(["train", "--data", str(data), "--target", "band", "--categorical", "grade", "--missing", "median",
                 "--layers", "8", "--epochs", "5", "--early-stopping", "0", "--quiet", "--out", str(model)]) == 0
    capsys.readouterr()
    export_command(["export", str(model), "--onnx", str(exported)])
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {exported}: ONNX, inputs: 5 columns of shape (N, 1): 2 numeric (float64), "
                          "1 categorical of number codes (float64), 2 categorical (string) through Pipeline([Columns(")
    assert out.rstrip().endswith("and the network to probabilities (N, 3)")

    # the CSV's cells as they are, as a program that reads it with the csv module has them
    with open(data, newline="") as f:
        cells = list(csv.reader(f))[1:]
    number = lambda text: float(text) if text not in ("", "NA") else np.nan  # noqa: E731
    sess = session(exported)
    names = json.loads(sess.get_modelmeta().custom_metadata_map["input_names"])
    columns = [[number(r[0]) for r in cells], [r[1] for r in cells], [number(r[2]) for r in cells],
               [number(r[3]) for r in cells], [r[4] for r in cells]]
    inputs = {name: np.array(col, dtype=object if name in ("colour", "city") else np.float64).reshape(-1, 1)
              for name, col in zip(names, columns)}
    got = sess.run(None, inputs)[0]
    net = glassnet.load(model)
    assert net.dtype == np.float32
    np.testing.assert_allclose(got, net.predict_proba(read_table(data)), rtol=0, atol=1e-5)
    assert json.loads(sess.get_modelmeta().custom_metadata_map["class_names"]) == ["high", "low", "mid"]
