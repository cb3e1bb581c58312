"""ONNX export (glassnet.onnx_export): the file, run by ONNX Runtime, gives what predict_proba gives."""

import argparse
import json
import sys

import numpy as np
import pytest

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
    net.preprocessing = Columns().fit({"size": [1.0, 2.0], "colour": ["red", "blue"]})
    with pytest.raises(ValueError, match=r"^the model's column 'colour' is categorical .* cannot be exported to ONNX "
                                         r"yet; only numeric columns can$"):
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
    with pytest.raises(ValueError, match="opset must be a whole number from 13"):
        to_onnx(net, tmp_path / "m.onnx", opset=9)
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
