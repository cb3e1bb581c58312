"""Model files: round trips that predict bit for bit, and every kind of bad file."""

import json
import os
import stat
import struct

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

import glassnet
from glassnet import Dense, Network, io, modelfile, preprocessing

RNG = np.random.default_rng(7)
X = RNG.normal(size=(30, 4))
y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)


def make_net(dtype=np.float64, bias=True, hidden=("tanh",), out="softmax", loss="cross_entropy", n_out=3):
    sizes = [4] + [5] * len(hidden)
    layers = [Dense(a, 5, act, bias=bias) for a, act in zip(sizes, hidden)]
    layers.append(Dense(sizes[-1], n_out, out, bias=bias))
    net = Network(layers, loss=loss, seed=3)
    for layer in net.layers:
        layer.W = layer.W.astype(dtype)
        if bias:
            # a non-zero bias, so that losing it would change the predictions
            layer.b = RNG.normal(size=layer.n_out).astype(dtype)
    return net


def header(path):
    with safe_open(path, framework="numpy") as f:
        return json.loads(f.metadata()["glassnet"]), {name: f.get_tensor(name) for name in f.keys()}


def rewrite(path, edit_document=None, edit_tensors=None, raw_metadata=None):
    """Rewrite a valid model file with its JSON document and/or tensors edited."""
    document, tensors = header(path)
    if edit_document:
        edit_document(document)
    if edit_tensors:
        edit_tensors(tensors)
    text = raw_metadata if raw_metadata is not None else json.dumps(document)
    save_file(tensors, path, metadata={"glassnet": text})


@pytest.fixture
def model_file(tmp_path):
    net = make_net()
    history = net.fit(X, y, epochs=2, lr=0.3, validation_data=(X[:10], y[:10]))
    path = tmp_path / "model.safetensors"
    net.save(path, history=history)
    return path


# ------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    "hidden, out, loss, n_out",
    [
        (("tanh",), "softmax", "cross_entropy", 3),
        (("relu", "sigmoid"), "sigmoid", "binary_cross_entropy", 1),
        (("linear",), "sigmoid", "squared_error", 3),
        ((), "linear", "squared_error", 2),
    ],
)
def test_round_trip_predicts_bit_for_bit(tmp_path, dtype, bias, hidden, out, loss, n_out):
    net = make_net(dtype, bias, hidden, out, loss, n_out)
    path = tmp_path / "net.safetensors"
    io.save(net, str(path))
    loaded = io.load(path)
    assert loaded.config() == net.config()
    assert np.array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert np.array_equal(loaded.predict(X), net.predict(X))
    for saved, got in zip(net.parameters(), loaded.parameters()):
        assert got.dtype == np.dtype(dtype)
        assert np.array_equal(got, saved)
    assert len(loaded.parameters()) == len(net.layers) * (2 if bias else 1)
    assert loaded.history is None and loaded.class_names is None and loaded.preprocessing is None


def test_loaded_network_trains_like_the_original(model_file):
    loaded = io.load(model_file)
    twin = io.load(model_file)
    for layer in loaded.layers:
        assert layer.W.flags.writeable and layer.W.flags.owndata
    before = loaded.predict_proba(X)
    loaded.fit(X, y, epochs=1, lr=0.3, shuffle=False)
    twin.fit(X, y, epochs=1, lr=0.3, shuffle=False)
    assert not np.array_equal(loaded.predict_proba(X), before)
    assert np.array_equal(loaded.predict_proba(X), twin.predict_proba(X))


def test_restarts_on_a_loaded_network_draw_like_a_new_one(model_file):
    loaded = io.load(model_file)
    fresh = make_net()
    for net in (loaded, fresh):
        net.seed = 5
        net.fit(X, y, epochs=2, lr=0.3, restarts=2, validation_data=(X[:10], y[:10]))
    assert np.array_equal(loaded.predict_proba(X), fresh.predict_proba(X))


def test_class_names_and_history_survive(tmp_path):
    net = make_net()
    history = net.fit(X, y, epochs=3, lr=0.3, validation_data=(X[:10], y[:10]))
    net.class_names = np.array(["low", "mid", "high"])
    path = tmp_path / "m.safetensors"
    io.save(net, path, history=history)
    loaded = io.load(path)
    assert loaded.class_names == ["low", "mid", "high"]
    assert isinstance(loaded.history, glassnet.History)
    assert loaded.history.as_dict() == history.as_dict()
    assert set(loaded.history.as_dict()) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # saving a loaded model keeps its history without passing it again
    again = tmp_path / "again.safetensors"
    loaded.save(again)
    assert io.load(again).history.as_dict() == history.as_dict()


def test_numeric_class_names_and_a_diverged_epoch(tmp_path):
    net = make_net(n_out=1, out="sigmoid", loss="binary_cross_entropy")
    net.class_names = np.array([3, 8])
    history = glassnet.History(loss=[0.7, float("nan"), float("inf")], accuracy=[0.5, 0.5, 0.5])
    path = tmp_path / "m.safetensors"
    io.save(net, path, history=history)
    document, _ = header(path)
    assert document["history"]["loss"] == [0.7, None, None]  # JSON has no NaN
    loaded = io.load(path)
    assert loaded.class_names == [3, 8] and isinstance(loaded.class_names[0], int)
    assert loaded.history.loss[0] == 0.7 and np.isnan(loaded.history.loss[1]) and np.isnan(loaded.history.loss[2])


def test_early_stopping_and_restart_facts_survive(tmp_path):
    net = make_net()
    history = net.fit(X, y, epochs=30, lr=2.0, early_stopping=2, restarts=2, validation_split=0.3, dtype=np.float64)
    assert history.best_epoch is not None and len(history.restart_seeds) == 2
    path = tmp_path / "m.safetensors"
    io.save(net, path, history=history)
    loaded = io.load(path)
    assert loaded.history.run_info() == history.run_info()
    assert loaded.history.as_dict() == history.as_dict()
    assert loaded.history.epochs == history.epochs
    assert {k: v for k, v in io.inspect(path)["training"].items() if k not in ("final", "kept")} == {
        "epochs": history.epochs, **history.run_info()
    }


def test_history_fields_unknown_to_this_version_are_ignored(model_file):
    rewrite(model_file, lambda d: d["history"].update(learning_rate=[0.3, 0.3]))
    loaded = io.load(model_file)
    assert set(loaded.history.as_dict()) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert not hasattr(loaded.history, "learning_rate")


PREPROCESSING = {
    "standardize": lambda: preprocessing.Standardize(),
    "pipeline": lambda: preprocessing.Pipeline([preprocessing.MinMax(-1.0, 2.0), preprocessing.Standardize()]),
    "rashid": lambda: preprocessing.RashidScale(max_value=40.0),  # nothing fitted: a config and no arrays
}


@pytest.mark.parametrize("kind", PREPROCESSING)
def test_preprocessing_survives(tmp_path, kind):
    raw = np.abs(X * 3 + 1)
    net = make_net()
    net.preprocessing = PREPROCESSING[kind]().fit(raw)
    path = tmp_path / "m.safetensors"
    io.save(net, path)
    _, tensors = header(path)
    assert {name for name in tensors if name.startswith("preprocessing.")} == {
        f"preprocessing.{key}" for key in net.preprocessing.arrays()
    }
    loaded = io.load(path)
    assert type(loaded.preprocessing) is type(net.preprocessing)
    assert loaded.preprocessing.config() == net.preprocessing.config()
    for key, value in net.preprocessing.arrays().items():
        assert np.array_equal(loaded.preprocessing.arrays()[key], value)
    assert np.array_equal(loaded.predict_proba(raw), net.predict_proba(raw))
    assert not np.array_equal(loaded.predict_proba(raw), net.forward(raw))  # it really is applied


def test_damaged_preprocessing_is_reported(tmp_path):
    net = make_net()
    net.preprocessing = PREPROCESSING["pipeline"]().fit(X)
    path = tmp_path / "m.safetensors"
    io.save(net, path)
    rewrite(path, edit_tensors=lambda t: t.pop("preprocessing.1.mean"))
    with pytest.raises(io.ModelFileError, match="damaged glassnet model file: bad preprocessing: .*arrays"):
        io.load(path)
    rewrite(path, lambda d: d.update(preprocessing={"name": "exec", "code": "rm -rf /"}))
    with pytest.raises(io.ModelFileError, match="bad preprocessing: unknown preprocessing name 'exec'"):
        io.load(path)


def test_inspect_describes_the_file(model_file):
    info = io.inspect(model_file)
    net = io.load(model_file)
    assert info["glassnet_version"] == glassnet.__version__ and info["format_version"] == 1
    assert info["loss"] == "cross_entropy"
    shapes = [(lay["n_in"], lay["n_out"], lay["activation"]) for lay in info["layers"]]
    assert shapes == [(4, 5, "tanh"), (5, 3, "softmax")]
    assert [lay["parameters"] for lay in info["layers"]] == [25, 18]
    assert info["n_parameters"] == 43 == net.n_parameters()
    assert info["n_inputs"] == 4 and info["n_outputs"] == 3
    # fit trains in float32 by default, and the file keeps that dtype
    assert info["dtypes"] == dict.fromkeys(["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"], "float32")
    assert [lay["dtype"] for lay in info["layers"]] == ["float32", "float32"] and net.dtype == np.float32
    assert info["training"]["epochs"] == 2
    assert info["training"]["final"]["loss"] == net.history.loss[-1]
    assert info["training"]["final"]["val_accuracy"] == net.history.val_accuracy[-1]
    assert info["class_names"] is None and info["preprocessing"] is None
    json.dumps(info)  # plain data, ready for a --json flag


def test_inspect_validates_like_load(model_file):
    rewrite(model_file, edit_tensors=lambda t: t["layers.1.W"].__setitem__((0, 0), np.nan))
    with pytest.raises(io.ModelFileError, match="layers.1.W contains NaN"):
        io.inspect(model_file)


# ---------------------------------------------------------------- bad files
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.safetensors does not exist"):
        io.load(tmp_path / "nothere.safetensors")


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        io.load(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(io.ModelFileError, match=r"empty.safetensors is not a glassnet model file: the file is empty"):
        io.load(path)


def test_truncated_files(model_file):
    data = model_file.read_bytes()
    n_header = int.from_bytes(data[:8], "little")
    cuts = {
        "inside the header length": 5,
        "right after the header length": 8,
        "middle of the header": 8 + n_header // 2,
        "end of the header": 8 + n_header,
        "middle of the data": (8 + n_header + len(data)) // 2,
        "one byte short": len(data) - 1,
    }
    for where, cut in cuts.items():
        model_file.write_bytes(data[:cut])
        with pytest.raises(ValueError) as info:
            io.load(model_file)
        message = str(info.value)
        expected = f"{model_file} is not a glassnet model file: it is not a valid safetensors file"
        assert message.startswith(expected), where
        assert "truncated or corrupted" in message, where


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(io.ModelFileError, match="noise.safetensors is not a glassnet model file: it is not a valid"):
        io.load(path)


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": np.ones((2, 2), dtype=np.float32)}, path, metadata={"format": "pt"})
    with pytest.raises(io.ModelFileError, match="other.safetensors was not written by glassnet"):
        io.load(path)


def write_bfloat16_file(path, metadata):
    """A safetensors file holding one bfloat16 tensor, a dtype NumPy does not have."""
    head = json.dumps({"__metadata__": metadata, "x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}})
    path.write_bytes(struct.pack("<Q", len(head)) + head.encode() + bytes(4))


def test_foreign_file_with_a_dtype_numpy_lacks(tmp_path):
    path = tmp_path / "bf16.safetensors"
    write_bfloat16_file(path, {"format": "pt"})
    with pytest.raises(io.ModelFileError, match="bf16.safetensors was not written by glassnet"):
        io.load(path)


def test_glassnet_file_with_a_dtype_numpy_lacks(model_file):
    document, _ = header(model_file)
    write_bfloat16_file(model_file, {"glassnet": json.dumps(document)})
    with pytest.raises(io.ModelFileError, match="is a damaged glassnet model file: .*bfloat16"):
        io.load(model_file)


def test_other_glassnet_format(model_file):
    rewrite(model_file, lambda d: d.update(format="glassnet-dataset"))
    with pytest.raises(io.ModelFileError, match="its format is 'glassnet-dataset', expected 'glassnet-model'"):
        io.load(model_file)


@pytest.mark.parametrize("text", ['{"format": "glassnet-model", ', "[1, 2]", '{"format_version": NaN}'])
def test_bad_json_metadata(model_file, text):
    rewrite(model_file, raw_metadata=text)
    with pytest.raises(io.ModelFileError, match="is a damaged glassnet model file: its 'glassnet' metadata"):
        io.load(model_file)


def test_newer_format_version(model_file):
    rewrite(model_file, lambda d: d.update(format_version=2, glassnet_version="9.0"))
    with pytest.raises(io.ModelFileError, match="format version 2, written by glassnet 9.0.*upgrade glassnet"):
        io.load(model_file)


def edit_layer(index, **changes):
    return lambda d: d["network"]["layers"][index].update(changes)


def set_tensor(name, value):
    return lambda t: t.update({name: value})


@pytest.mark.parametrize(
    "edit_document, edit_tensors, message",
    [
        (edit_layer(0, activation="swish"), None, "layer 0: unknown activation 'swish'"),
        (edit_layer(1, activation=["relu"]), None, r"layer 1: activation must be a name .*got \['relu'\]"),
        (lambda d: d["network"].update(loss="hinge"), None, "unknown loss 'hinge'"),
        (edit_layer(1, type="Conv2D"), None, r"layer 1: unknown layer 'Conv2D'; expected one of \['Dense'\]"),
        (edit_layer(0, n_out=True), None, r"layers.0.W has shape \(4, 5\) but the architecture says \(4, True\)"),
        (edit_layer(1, bias="yes"), None, "layer 1: bias must be True or False, got 'yes'"),
        (lambda d: d["network"].update(layers=[]), None, "non-empty 'layers' list"),
        (lambda d: d.pop("history"), None, "its metadata has no 'history' entry"),
        (lambda d: d.update(format_version="1"), None, "format_version must be a positive integer"),
        (lambda d: d.update(class_names=["a", "b"]), None, "class_names has 2 names but the network has 3 output"),
        (lambda d: d.update(history={"loss": "low"}), None, "history 'loss' must be a list of numbers"),
        (lambda d: d.update(history={"loss": 0.5}), None, "history 'loss' must be a list of numbers"),
        (lambda d: d.update(history={"best_epoch": [2]}), None, "history 'best_epoch' must be a number"),
        (None, set_tensor("layers.1.b", np.zeros(3, dtype=np.float64)), "mix dtypes .*layers.1.b: float64"),
        (edit_layer(1, activation="tanh"), None, "loss 'cross_entropy' needs an output activation"),
        # both tensors and config changed consistently for layer 0's outputs, but layer 1 still expects 5 inputs
        (
            edit_layer(0, n_out=6),
            lambda t: t.update({"layers.0.W": np.zeros((4, 6)), "layers.0.b": np.zeros(6)}),
            r"layers\[0\] has 6 outputs but layers\[1\] expects 5 inputs",
        ),
        (None, set_tensor("layers.0.W", np.zeros((5, 4))), r"W has shape \(5, 4\) but the architecture says \(4, 5\)"),
        (None, set_tensor("layers.1.b", np.zeros((1, 3))), r"b has shape \(1, 3\) but the architecture says \(3,\)"),
        (None, lambda t: t.pop("layers.1.b"), r"tensor\(s\) \['layers.1.b'\] are missing"),
        (None, set_tensor("layers.2.W", np.zeros((3, 3))), r"unexpected tensor\(s\) \['layers.2.W'\]"),
        (None, set_tensor("preprocessing.mean", np.zeros(4)), r"unexpected tensor\(s\) \['preprocessing.mean'\]"),
        (edit_layer(0, bias=False), None, r"unexpected tensor\(s\) \['layers.0.b'\]"),
        (None, lambda t: t["layers.0.b"].__setitem__(2, np.nan), "tensor layers.0.b contains NaN or infinite values"),
        (None, lambda t: t["layers.1.W"].__setitem__((0, 1), -np.inf), "tensor layers.1.W contains NaN or infinite"),
        (None, set_tensor("layers.0.W", np.ones((4, 5), dtype=np.int64)), "has dtype int64; weights must be"),
    ],
)
def test_inconsistent_contents(model_file, edit_document, edit_tensors, message):
    rewrite(model_file, edit_document, edit_tensors)
    with pytest.raises(io.ModelFileError, match=message) as info:
        io.load(model_file)
    assert str(info.value).startswith(f"{model_file} is a damaged glassnet model file: ")


def test_bad_path_type():
    with pytest.raises(TypeError, match=r"path must be a file path \(str or os.PathLike\), got 3"):
        io.load(3)


# ------------------------------------------------------------------ writing
def test_save_to_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"folder .*nowhere' does not exist"):
        io.save(make_net(), tmp_path / "nowhere" / "m.safetensors")
    assert not (tmp_path / "nowhere").exists()


def test_save_onto_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory; give a file name"):
        io.save(make_net(), tmp_path)


def test_save_checks_its_arguments(tmp_path):
    path = tmp_path / "m.safetensors"
    with pytest.raises(TypeError, match="net must be a glassnet Network, got 'model'"):
        io.save("model", path)
    with pytest.raises(TypeError, match="history must be a glassnet History or None"):
        io.save(make_net(), path, history={"loss": [1.0]})
    net = make_net()
    net.layers[1].W[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"layers\[1\].W contains NaN or infinite values; the training diverged"):
        io.save(net, path)
    net = make_net()
    net.layers[0].b = net.layers[0].b.astype(np.float16)
    with pytest.raises(TypeError, match=r"layers\[0\].b must be a float32 or float64 array"):
        io.save(net, path)
    net = make_net()
    net.layers[1].W = net.layers[1].W.astype(np.float32)
    with pytest.raises(ValueError, match="the weights in net mix dtypes .*layers.1.W: float32"):
        io.save(net, path)
    net = make_net()
    net.class_names = ["a", "b"]
    with pytest.raises(ValueError, match="class_names has 2 names but the network has 3 output"):
        io.save(net, path)
    net.class_names = "abc"
    with pytest.raises(TypeError, match="class_names must be a list of names, got 'abc'"):
        io.save(net, path)
    net.class_names = ["a", None, "c"]
    with pytest.raises(TypeError, match="class_names must hold strings or numbers, got None"):
        io.save(net, path)
    assert list(tmp_path.iterdir()) == []


def test_unserializable_preprocessing_config(tmp_path):
    net = make_net()
    net.preprocessing = preprocessing.Standardize().fit(X)
    net.preprocessing.config = lambda: {"name": "standardize", "scale": np.float32(2.0)}
    with pytest.raises(TypeError, match="cannot be written as JSON.*plain dicts"):
        io.save(net, tmp_path / "m.safetensors")
    net.preprocessing = object()
    with pytest.raises(TypeError, match=r"net.preprocessing needs config\(\) and arrays\(\) methods"):
        io.save(net, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failing", ["fsync", "replace", "serialize"])
def test_failed_write_leaves_old_file_and_no_temp_file(model_file, monkeypatch, failing):
    old_bytes = model_file.read_bytes()
    old_predictions = io.load(model_file).predict_proba(X)

    def fail(*args, **kwargs):
        raise OSError(f"simulated failure in {failing}")

    if failing == "serialize":
        monkeypatch.setattr(modelfile, "safetensors_save", fail)
    else:
        monkeypatch.setattr(os, failing, fail)  # glassnet.files uses the os module
    with pytest.raises(OSError, match=f"simulated failure in {failing}"):
        io.save(make_net(bias=False), model_file)
    monkeypatch.undo()
    assert model_file.read_bytes() == old_bytes
    assert np.array_equal(io.load(model_file).predict_proba(X), old_predictions)
    assert [p.name for p in model_file.parent.iterdir()] == [model_file.name]


def test_overwrite_replaces_the_file(model_file):
    net = make_net(bias=False)
    io.save(net, model_file)
    assert np.array_equal(io.load(model_file).predict_proba(X), net.predict_proba(X))
    assert [p.name for p in model_file.parent.iterdir()] == [model_file.name]


def test_saved_file_gets_ordinary_permissions(tmp_path):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    io.save(make_net(), tmp_path / "m.safetensors")
    mode = stat.S_IMODE(os.stat(tmp_path / "m.safetensors").st_mode)
    assert mode == stat.S_IMODE(os.stat(plain).st_mode)


def test_notes_survive_a_round_trip(tmp_path):
    net = make_net()
    net.notes = {"data": "digits", "seed": 3, "test_split": 0.2, "ignore": None, "tags": ["a", 1.5]}
    path = tmp_path / "m.safetensors"
    io.save(net, path)
    assert io.load(path).notes == net.notes
    assert io.inspect(path)["notes"] == net.notes


def test_notes_must_be_plain_json(tmp_path):
    net = make_net()
    net.notes = ["not", "a", "dict"]
    with pytest.raises(TypeError, match="net.notes must be a dict with string keys"):
        io.save(net, tmp_path / "m.safetensors")
    net.notes = {"when": object()}
    with pytest.raises(TypeError, match="cannot be written as JSON"):
        io.save(net, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_a_file_without_notes_loads_and_bad_notes_are_reported(model_file):
    rewrite(model_file, edit_document=lambda d: d.pop("notes"))
    assert io.load(model_file).notes == {}
    rewrite(model_file, edit_document=lambda d: d.update(notes=[1, 2]))
    with pytest.raises(io.ModelFileError, match="notes must be a JSON object"):
        io.load(model_file)


# ------------------------------------------------------------- hostile descriptions
@pytest.mark.parametrize(
    "edit, message",
    [
        # nesting that would overflow the JSON parser's stack, in any entry
        (lambda d: d.update(notes={"deep": "__" + "[" * 900 + "]" * 900 + "__"}), "nests 902 levels deep; at most 64"),
        (lambda d: d["network"]["layers"][0].update(init="__" + "[" * 5000 + "]" * 5000 + "__"), "nests 5004 levels"),
        # numbers that are not finite floats, or integers far beyond any seed
        (lambda d: d.update(class_names=["__1e400__", 2, 3]), "the number 1e400 is too large for a float"),
        (lambda d: d["network"].update(seed="__" + "9" * 400 + "__"), "an integer of 400 digits is not allowed"),
        # a history that cannot describe one run
        (lambda d: d["history"].update(loss=[0.5]), r"history lists must have one length .*'loss': 1"),
        (lambda d: d["history"].update(best_epoch=9), "history best_epoch must be an epoch from 1 to 2, got 9"),
        # preprocessing that does not fit the network's inputs
        (
            lambda d: d.update(preprocessing={"name": "rashid", "max_value": 255.0, "n_features": 7}),
            "its preprocessing makes 7 columns but the network has 4 inputs",
        ),
        (
            lambda d: d.update(preprocessing={"name": "rashid", "max_value": 10**30, "n_features": None}),
            None,  # a large but finite number is fine
        ),
    ],
)
def test_hostile_descriptions_are_refused_with_one_clear_error(model_file, edit, message):
    document, _ = header(model_file)
    edit(document)
    # markers let a test write JSON that json.dumps would not (a bare 1e400, a 400-digit integer)
    text = json.dumps(document).replace('"__', "").replace('__"', "")
    rewrite(model_file, raw_metadata=text)
    if message is None:
        assert io.load(model_file).preprocessing.max_value == 1e30
        return
    with pytest.raises(io.ModelFileError, match=message) as info:
        io.load(model_file)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_a_description_far_larger_than_its_weights_is_refused_before_it_is_parsed(model_file):
    document, _ = header(model_file)
    document["network"]["layers"][0]["init"] = {"name": "array", "values": [1.5] * 400_000}
    rewrite(model_file, lambda d: d.update(document))
    with pytest.raises(io.ModelFileError, match="characters, more than its weights need"):
        io.load(model_file)


def test_messages_about_many_tensors_stay_short(model_file):
    many = {f"layers.{i}.W": np.zeros((1, 1)) for i in range(2, 3000)}
    rewrite(model_file, edit_tensors=lambda t: t.update(many))
    with pytest.raises(io.ModelFileError, match=r"unexpected tensor\(s\) \['layers.10.W', .*\(2993 more\)\]") as info:
        io.load(model_file)
    assert len(str(info.value)) < 600


def test_the_cli_reports_a_hostile_file_in_one_line(model_file, capsys):
    from glassnet.cli import main

    document, _ = header(model_file)
    document["notes"] = {"deep": "__"}
    rewrite(model_file, raw_metadata=json.dumps(document).replace('"__"', "[" * 3000 + "]" * 3000))
    assert main(["inspect", str(model_file)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "nests 3002 levels deep" in captured.err


def test_inspect_reports_the_metrics_of_the_epoch_whose_weights_were_kept(tmp_path):
    net = make_net()
    history = net.fit(X, y, epochs=30, lr=0.5, validation_data=(X[:10], y[:10]), early_stopping=3)
    net.save(tmp_path / "m.safetensors")
    training = io.inspect(tmp_path / "m.safetensors")["training"]
    best = history.best_epoch
    assert training["best_epoch"] == best and training["epochs"] == history.epochs
    assert training["kept"] == {k: v[best - 1] for k, v in history.as_dict().items()}
    assert training["kept"]["val_loss"] == min(history.val_loss)
