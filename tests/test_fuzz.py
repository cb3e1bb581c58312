"""Property-based fuzzing (hypothesis): odd inputs get the documented errors, never a crash, a hang or a NaN.

The default run is bounded (``FUZZ_EXAMPLES`` examples per property, well under a minute in all); set the
environment variable ``GLASSNET_FUZZ_EXAMPLES`` (e.g. 5000) for the longer run before a release.
"""

import contextlib
import csv
import io
import json
import math
import os
import re
import string
import struct
import time

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")  # in the test extras: this skips only outside them
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from safetensors.numpy import load as read_tensors  # noqa: E402

import glassnet  # noqa: E402
from glassnet import tables  # noqa: E402
from glassnet.cli import main  # noqa: E402
from glassnet.data import load_csv, read_idx  # noqa: E402
from glassnet.modelfile import CHECKSUM_KEY, METADATA_KEY, checksum  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("GLASSNET_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Bugs these properties found are fixed and kept as plain tests in tests/test_found_by_fuzzing.py.


CSV_ALPHABET = string.digits + "abcxyz,;\t|\"\n\r.-+e NA?\x00é"


@FUZZ
@given(text=st.text(alphabet=CSV_ALPHABET, max_size=300))
def test_csv_readers_return_finite_tables_or_raise_value_errors(tmp_path, text):
    path = tmp_path / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    try:
        table = load_csv(path)
    except ValueError:
        pass
    else:
        assert np.all(np.isfinite(table.X)) and len(table.y) == len(table.X)
    try:
        frame = tables.read_table(path)
    except ValueError:
        return
    for name in frame.names:
        column = frame[name]
        assert len(column) == frame.n_rows
        assert column.dtype == object or not np.any(np.isinf(column))


@FUZZ
@given(data=st.binary(max_size=200))
def test_idx_reader_returns_arrays_or_raises_value_errors(tmp_path, data):
    path = tmp_path / "fuzz.idx"
    path.write_bytes(data)
    try:
        arr = read_idx(path)
    except ValueError:
        return
    assert isinstance(arr, np.ndarray)


@FUZZ
@given(dims=st.lists(st.integers(0, 5), min_size=1, max_size=3), code=st.sampled_from([8, 9, 11, 12, 13, 14]))
def test_idx_reader_reads_what_a_valid_header_promises(tmp_path, dims, code):
    item = {8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8}[code]
    size = int(np.prod(dims)) * item
    path = tmp_path / "ok.idx"
    path.write_bytes(bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + b"\x00" * size)
    try:
        arr = read_idx(path)
    except ValueError:
        return  # an empty dimension may be refused; nothing else
    assert arr.shape == tuple(dims)


NUMBERS = st.one_of(st.integers(-3, 10**20), st.floats(allow_nan=True, allow_infinity=True), st.none(),
                    st.text(max_size=5), st.booleans(), st.complex_numbers(max_magnitude=10))


@FUZZ
@given(n_in=NUMBERS, n_out=NUMBERS, activation=st.one_of(st.sampled_from(["relu", "softmax", "swish"]), NUMBERS),
       init=st.one_of(st.sampled_from(["he", "glorot", "zeros"]), NUMBERS))
def test_dense_takes_good_arguments_and_refuses_bad_ones_with_value_or_type_errors(n_in, n_out, activation, init):
    try:
        layer = glassnet.Dense(n_in, n_out, activation, init=init)
    except (ValueError, TypeError) as exc:
        assert "\n" not in str(exc)
        return
    assert np.all(np.isfinite(layer.W)) and layer.W.shape == (layer.n_in, layer.n_out)


ARRAYS = st.one_of(
    st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=0, max_size=4),
             min_size=0, max_size=5),
    st.lists(st.integers(-5, 5), max_size=6),
    st.text(max_size=4), st.none(), st.integers(-3, 3),
)


@FUZZ
@given(X=ARRAYS, y=ARRAYS, epochs=st.one_of(st.integers(-1, 2), st.floats(allow_nan=True)),
       batch=st.one_of(st.none(), st.integers(-1, 3)))
def test_fit_and_predict_return_finite_results_or_raise_value_or_type_errors(X, y, epochs, batch):
    net = glassnet.Network([glassnet.Dense(3, 4, "relu"), glassnet.Dense(4, 2, "softmax")], seed=0)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # a NumPy warning would be an error here
        try:
            net.fit(X, y, epochs=epochs, batch_size=batch, lr=0.1)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc)
        try:
            P = net.predict_proba(X)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc)
            return
    assert np.all(np.isfinite(P))


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    X, y = glassnet.datasets.iris()
    net = glassnet.Network([glassnet.Dense(4, 5, "tanh"), glassnet.Dense(5, 3, "softmax")], seed=0)
    history = net.fit(X, y, epochs=3, lr=0.1)
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    net.save(path, history=history)
    return path.read_bytes(), X


@FUZZ
@given(cut=st.integers(0, 10**6), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), max_size=3))
def test_damaged_model_files_are_refused_or_predict_finite_numbers(tmp_path, saved_model, cut, flips):
    data, X = saved_model
    damaged = bytearray(data[: max(1, cut % (len(data) + 1))] if cut % 3 == 0 else data)
    for position, bit in flips:
        if damaged:
            damaged[position % len(damaged)] ^= 1 << bit
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(bytes(damaged))
    try:
        net = glassnet.load(path)
    except glassnet.ModelFileError as exc:
        assert "\n" not in str(exc)
        return
    with np.errstate(all="ignore"):
        P = net.predict_proba(X)
    assert np.all(np.isfinite(P)), "a damaged model file loaded and predicted NaN or inf"


CLI_WORDS = st.sampled_from([
    "train", "evaluate", "predict", "inspect", "datasets", "list", "export", "--data", "iris", "digits",
    "data.csv", "missing.csv", "m.safetensors", "--epochs", "1", "0", "-3", "x", "--layers", "", "4,0", "--lr",
    "1e30", "--target", "species", "--task", "regression", "--missing", "mean", "--test-split", "0", "0.99",
    "--val-split", "--early-stopping", "--out", "--quiet", "--seed", "--delimiter", ";", "--categorical",
    "--plot", "p.png", "--json", "--help-me", "\x1b[2J",
])


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    X, y = glassnet.datasets.iris()
    rows = "".join(f"{a},{b},{c},{d},{glassnet.datasets.IRIS_CLASSES[k]}\n" for (a, b, c, d), k in zip(X, y))
    (folder / "data.csv").write_text("sepal_length,sepal_width,petal_length,petal_width,species\n" + rows)
    return folder


@settings(max_examples=max(10, FUZZ_EXAMPLES // 2), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=st.lists(CLI_WORDS, min_size=1, max_size=8))
def test_the_cli_exits_0_1_or_2_with_one_line_on_error(cli_folder, monkeypatch, argv):
    if "--epochs" not in argv and argv[:1] == ["train"]:
        argv = [*argv, "--epochs", "1"]
    monkeypatch.chdir(cli_folder)  # anything written stays in the test's folder
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # --help and argparse's own exits
            code = exc.code
    assert code in (0, 1, 2), (argv, code)
    if code:
        lines = err.getvalue().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("glassnet: "), (argv, err.getvalue())
        assert "Traceback" not in err.getvalue()



# ------------------------------------------------------------------ model files: edited headers
# A model file is 8 bytes of little-endian header length, the safetensors JSON header (an entry per tensor,
# and "__metadata__", whose "glassnet" entry is the model's JSON description and "glassnet.sha256" its
# checksum), then the tensors' bytes. The property below edits the description, the tensor entries and the
# metadata, and mostly stores a recomputed checksum so that the edits get past it to the checks behind it.

def split_model(data):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join_model(header, body, pad=True):
    text = json.dumps(header).encode()
    if pad:  # as the writer does: the header padded with spaces to a multiple of 8 bytes
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


@pytest.fixture(scope="module")
def model_files(saved_model, tmp_path_factory):
    """Three small model files: iris (no preprocessing, a history), a table classifier (Columns then
    Standardize, class names, notes) and a float64 regression (MinMax, an output layer without bias)."""
    folder = tmp_path_factory.mktemp("models")

    def saved(net, name):
        net.save(folder / name)
        return (folder / name).read_bytes()

    rng = np.random.default_rng(0)
    prepared = tables.prepare({"a": rng.normal(size=30), "c": ["r", "g", "b"] * 10, "y": ["p", "q"] * 15}, "y",
                              missing="mean", test_split=0)
    table_net = glassnet.Network([glassnet.Dense(prepared.n_inputs, 3, "relu"),
                                  glassnet.Dense(3, prepared.n_outputs, "softmax")], seed=0)
    table_net.preprocessing = prepared.preprocessing()
    table_net.class_names = prepared.task.class_names
    table_net.notes = {"target": ["y"], "task": "classification", "seed": 0, "test_split": 0.0}
    table_net.fit(prepared.X_train, prepared.y_train, epochs=2, lr=0.1)
    regression = glassnet.Network([glassnet.Dense(2, 3, "tanh"), glassnet.Dense(3, 1, "linear", bias=False)],
                                   loss="squared_error", seed=1)
    for layer in regression.layers:
        layer.W = layer.W.astype(np.float64)
        layer.b = None if layer.b is None else layer.b.astype(np.float64)
    regression.preprocessing = glassnet.preprocessing.MinMax().fit(rng.normal(size=(20, 2)))
    return ModelFiles([saved_model[0], saved(table_net, "table.safetensors"),
                       saved(regression, "regression.safetensors")])


class ModelFiles(list):
    """The model files' bytes, shown briefly in a falsifying example."""

    def __repr__(self):
        return f"<{len(self)} model files>"


# JSON text that json.dumps cannot write, put in through a placeholder: non-finite and oversized numbers,
# nesting at and past the limit, raw control characters, a lone surrogate, a description past its size limit.
RAW_JSON = (
    "NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", "1" * 40, "1" * 41, "-" + "9" * 41, "1" + "0" * 400,
    "[" * 63 + "]" * 63, "[" * 64 + "]" * 64, "[" * 65 + "]" * 65, '{"a": ' * 70 + "1" + "}" * 70,
    "[" * 100_000 + "]" * 100_000, '"a\nb"', '"\x00\x1b[2J\x07"', '"\\ud800"', '"\\u0000\\u001b]0;x\\u0007"',
    '"' + "x" * 1_100_000 + '"', "-0", "1.5e308", "4.9e-324", "[]", "{}", '""',
)
RAW = st.integers(0, len(RAW_JSON) - 1).map(lambda i: f"<<raw:{i}>>")
WORDS = st.sampled_from([
    "Dense", "dense", "sigmoid", "tanh", "relu", "linear", "softmax", "cross_entropy", "binary_cross_entropy",
    "squared_error", "standardize", "minmax", "rashid", "pipeline", "columns", "numeric", "categorical", "mean",
    "median", "most_frequent", "drop", "error", "ignore", "he", "glorot", "constant", "uniform", "normal",
    "glassnet-model", "0.1.0", "99.0", "classification", "regression", "",
])
KEYS = st.one_of(st.sampled_from([
    "format", "format_version", "glassnet_version", "network", "preprocessing", "class_names", "history", "notes",
    "layers", "loss", "seed", "type", "n_in", "n_out", "activation", "bias", "init", "bias_init", "name", "value",
    "steps", "categorical", "numeric", "missing", "unknown", "fitted", "names", "kinds", "fill", "categories",
    "best_epoch", "loss", "accuracy", "val_loss", "restart", "restart_scores", "low", "high", "max_value",
    "target", "task", "classes", "__proto__",
]), st.text(max_size=4))
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 6), WORDS, RAW,
    st.sampled_from([2**31, 2**53 + 1, 2**63, 10**12, 10**40, -(10**40), 0.5, -0.0, 1e308, -1e308, 5e-324]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet="ab\x00\x01\x07\x1b\x7f\n\r\t\u2028\u202eé\"\\{}[]", max_size=8),
)
JSON_VALUES = st.recursive(LEAVES, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(KEYS, kids, max_size=3),
                           max_leaves=6)
TENSOR_NAMES = st.sampled_from(["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b", "layers.2.W", "layers.0.w",
                                "layers.-1.W", "layers.00.W", "preprocessing.mean", "preprocessing.1.mean",
                                "preprocessing.0.mean", "preprocessing.1.scale", "preprocessing.min", "x", ""])
DTYPE_SIZES = {"U8": 1, "I8": 1, "BOOL": 1, "F16": 2, "BF16": 2, "I16": 2, "F32": 4, "I32": 4, "U32": 4, "F64": 8,
               "I64": 8, "C64": 8}


def _paths(value, path=()):
    """The path (keys and indexes) of every value in a JSON document, the document's own () first."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*path, key))


def _at(document, path):
    for key in path:
        document = document[key]
    return document


def _edit_document(data, document):
    """One edit of the description: a value set, deleted, inserted, copied from elsewhere, or nudged."""
    paths = list(_paths(document))
    path = data.draw(st.sampled_from(paths), label="path")
    op = data.draw(st.sampled_from(["set", "delete", "insert", "copy", "nudge", "nudge"]), label="op")
    value = _at(document, path)
    if op == "set" or (op == "delete" and not path):
        new = data.draw(JSON_VALUES, label="value")
    elif op == "delete":
        del _at(document, path[:-1])[path[-1]]
        return document
    elif op == "insert" and isinstance(value, (dict, list)):
        if isinstance(value, dict):
            value[data.draw(KEYS, label="key")] = data.draw(JSON_VALUES, label="value")
        else:
            value.insert(data.draw(st.integers(0, len(value))), data.draw(JSON_VALUES, label="value"))
        return document
    elif op == "copy":
        new = json.loads(json.dumps(_at(document, data.draw(st.sampled_from(paths), label="from"))))
    elif isinstance(value, bool) or value is None:
        new = data.draw(st.sampled_from([not value, 0, 1, "true"]), label="value")
    elif isinstance(value, int):  # an off-by-one n_in or seed keeps the type and reaches the deeper checks
        new = value + data.draw(st.sampled_from([-1, 1, -value, -value - 1, 2**31, 10**9]), label="delta")
    elif isinstance(value, float):
        new = value * data.draw(st.sampled_from([-1.0, 0.0, 1e300, 1e-300, 1.5]), label="factor")
    elif isinstance(value, str):
        new = data.draw(st.one_of(WORDS, st.just(value.upper()), st.just(value + "\x1b")), label="value")
    else:
        new = data.draw(st.one_of(st.just([]), st.just({}), JSON_VALUES), label="value")
    if not path:
        return new
    _at(document, path[:-1])[path[-1]] = new
    return document


def _edit_tensors(data, header):
    """One edit of a tensor entry: its dtype, shape or offsets (sometimes consistent with its bytes, so that
    safetensors takes it and glassnet's own checks see it), its name, or the entry removed or doubled."""
    name = data.draw(st.sampled_from(sorted(header)), label="tensor")
    entry = header[name]
    if not isinstance(entry, dict):
        return
    op = data.draw(st.sampled_from(["dtype", "retype", "shape", "reshape", "offsets", "rename", "delete", "double"]),
                   label="tensor op")
    offsets, shape = entry.get("data_offsets"), entry.get("shape")  # as written, or as an earlier edit left them
    if op == "dtype":
        # safetensors quotes an unknown dtype raw in its message: "F\n" once gave a two-line ModelFileError
        entry["dtype"] = data.draw(st.one_of(st.sampled_from([*DTYPE_SIZES, "F8_E4M3", "X", "f32", "", " F32", "F\n"]),
                                             st.none(), st.integers(-1, 8), st.just(["F32"])), label="dtype")
    elif op == "retype" and isinstance(offsets, list) and len(offsets) == 2:  # the shape its bytes make in a dtype
        dtype = data.draw(st.sampled_from(sorted(DTYPE_SIZES)), label="dtype")
        entry["dtype"], entry["shape"] = dtype, [(offsets[1] - offsets[0]) // DTYPE_SIZES[dtype]]
    elif op == "reshape" and isinstance(shape, list) and all(isinstance(n, int) for n in shape):  # as many numbers
        size = math.prod(shape)
        entry["shape"] = data.draw(st.sampled_from([[size], [1, size], [size, 1], shape[::-1], [1, 1, size]]))
    elif op in ("shape", "retype", "reshape"):
        entry["shape"] = data.draw(st.one_of(
            st.lists(st.one_of(st.integers(-1, 6), st.sampled_from([2**40, 2**64 - 1])), max_size=3), LEAVES))
    elif op == "offsets":
        entry["data_offsets"] = data.draw(st.one_of(
            st.lists(st.integers(-1, 400), max_size=3),
            st.sampled_from([value.get("data_offsets") for value in header.values()]),
            st.just([0, 2**64 - 1]), LEAVES))
    elif op == "rename":
        header[data.draw(TENSOR_NAMES, label="new name")] = header.pop(name)
    elif op == "delete":
        del header[name]
    else:
        header[data.draw(TENSOR_NAMES, label="new name")] = dict(entry)


def _small_input(net):
    """Two rows the loaded network takes: a dict of its columns' values for a table model, else a matrix."""
    step = tables.table_step(net.preprocessing)
    if step is None:
        return np.linspace(-1.0, 1.0, 2 * net.n_in).reshape(2, net.n_in)
    return {name: [0.5, -0.5] if kind == "numeric" else [(categories or ["a"])[0], (categories or ["a"])[-1]]
            for name, kind, categories in zip(step.names, step.kinds, step.categories)}


@FUZZ
@given(which=st.integers(0, 2), n_edits=st.integers(0, 3), n_tensor_edits=st.sampled_from([0] * 6 + [1, 2]),
       metadata_op=st.sampled_from(["keep"] * 12 + ["no checksum", "unknown key", "not a string", "no description",
                                                    "no metadata"]),
       recompute=st.sampled_from([True, True, True, False]), ensure_ascii=st.booleans(),
       pad=st.sampled_from([True, True, False]), data=st.data())
def test_edited_model_headers_are_refused_with_model_file_errors_or_predict_finite_numbers(
        tmp_path, model_files, which, n_edits, n_tensor_edits, metadata_op, recompute, ensure_ascii, pad, data):
    header, body = split_model(model_files[which])
    metadata = header.pop("__metadata__")
    document = json.loads(metadata[METADATA_KEY])
    for _ in range(n_edits):
        document = _edit_document(data, document)
    text = re.sub(r'"<<raw:(\d+)>>"', lambda m: RAW_JSON[int(m[1])], json.dumps(document, ensure_ascii=ensure_ascii))
    for _ in range(n_tensor_edits):
        if header:
            _edit_tensors(data, header)
    metadata[METADATA_KEY] = text
    if metadata_op == "no checksum":  # as files written before the checksum existed: read without one
        del metadata[CHECKSUM_KEY]
    elif metadata_op == "unknown key":
        metadata["glassnet.other"] = "x"
    elif metadata_op == "not a string":
        metadata[CHECKSUM_KEY] = data.draw(LEAVES, label="checksum")
    elif metadata_op == "no description":
        del metadata[METADATA_KEY]
    if recompute and isinstance(metadata.get(CHECKSUM_KEY), str):
        try:  # the tensors as glassnet will read them, when safetensors can read them at all
            read = read_tensors(join_model({**header, "__metadata__": {}}, body))
            tensors = {name: np.array(tensor) for name, tensor in read.items()}
        except Exception:  # noqa: BLE001 (whatever it is, load must turn it into a ModelFileError)
            pass
        else:
            metadata[CHECKSUM_KEY] = checksum(text, tensors)
    if metadata_op != "no metadata":
        header["__metadata__"] = metadata
    path = tmp_path / "edited.safetensors"
    path.write_bytes(join_model(header, body, pad=pad))

    results = []
    for reader in (glassnet.load, glassnet.io.inspect):
        start = time.perf_counter()
        try:
            results.append(reader(path))
        except glassnet.ModelFileError as exc:
            assert "\n" not in str(exc), str(exc)
            results.append(exc)
        assert time.perf_counter() - start < 10, f"{reader.__name__} took {time.perf_counter() - start:.1f} s"
    net, info = results
    assert isinstance(net, Exception) == isinstance(info, Exception), f"load and inspect disagree: {results}"
    if isinstance(net, Exception):
        return
    json.dumps(info)  # what `glassnet inspect --json` prints
    with np.errstate(all="ignore"):
        P = net.predict_proba(_small_input(net))
    assert P.shape == (2, net.n_out) and np.all(np.isfinite(P)), P


# ------------------------------------------------------------------ evaluate's arguments
@pytest.fixture(scope="module")
def evaluate_nets():
    """A 3-class, a binary, a two-output regression network (3 inputs each) and one trained on a table with
    columns a, b (numbers) and c (text: r or g)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 3))
    table = glassnet.Network([glassnet.Dense(4, 3, "relu"), glassnet.Dense(3, 2, "softmax")], seed=0)
    table.fit({"a": X[:, 0], "b": X[:, 1], "c": ["r", "g"] * 6}, np.arange(12) % 2, epochs=1, lr=0.1)
    return {
        "classifier": glassnet.Network([glassnet.Dense(3, 4, "relu"), glassnet.Dense(4, 3, "softmax")], seed=0),
        "binary": glassnet.Network([glassnet.Dense(3, 2, "tanh"), glassnet.Dense(2, 1, "sigmoid")],
                                   loss="binary_cross_entropy", seed=0),
        "regression": glassnet.Network([glassnet.Dense(3, 2, "tanh"), glassnet.Dense(2, 2, "linear")],
                                       loss="squared_error", seed=0),
        "table": table,
    }


ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
ODD_VALUES = st.one_of(st.none(), st.text(max_size=3), st.integers(-3, 3), st.just(b"ab"), st.just({}),
                       st.just([[1.0, 2.0], [3.0]]), st.just([]), st.just(1.5))
ODD_ARRAYS = hnp.arrays(
    dtype=st.sampled_from(["float64", "float32", "float16", "int64", "int8", "uint8", "bool", "complex128", "<U3",
                           "datetime64[s]"]).map(np.dtype),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
CELLS = st.one_of(ANY_FLOAT, st.none(), st.text(max_size=2), st.booleans(), st.integers(-(10**20), 10**20))
SPOILS = ("X values", "X shape", "X kind", "y", "y length", "sample_weight", "feature_names")


@st.composite
def evaluate_cases(draw):
    """(network name, X, y, sample_weight, feature_names): arguments that fit the network, with up to three of
    them spoiled (odd values, shapes, dtypes, kinds, lengths)."""
    which = draw(st.sampled_from(["classifier", "binary", "regression", "table"]))
    n = draw(st.integers(1, 6))
    X = draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(-10, 10)))
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1 if which in ("binary", "table") else 2)))
    if which == "table":
        X = {"a": X[:, 0], "b": X[:, 1].tolist(), "c": draw(st.lists(st.sampled_from(["r", "g"]), min_size=n,
                                                                     max_size=n))}
    elif which == "regression":
        y = draw(hnp.arrays(np.float64, (n, 2), elements=st.floats(-10, 10)))
    sample_weight = feature_names = None
    m = n + draw(st.sampled_from([-1, 1, -n]))  # a wrong length, for what is spoiled by its length
    spoiled = draw(st.lists(st.sampled_from(SPOILS), max_size=3, unique=True))
    for spoil in sorted(spoiled, key=SPOILS.index):  # X's values, then its shape, then its kind
        if spoil == "X values" and isinstance(X, dict):
            column = draw(st.sampled_from(sorted(X)))
            X[column] = list(X[column])
            X[column][draw(st.integers(0, n - 1))] = draw(CELLS)
        elif spoil == "X values":
            X = X.astype(object) if draw(st.integers(0, 3)) == 0 else X
            X[draw(st.integers(0, n - 1)), draw(st.integers(0, 2))] = draw(CELLS if X.dtype == object else ANY_FLOAT)
        elif spoil == "X shape" and isinstance(X, dict):
            for name in draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True)):
                del X[name]
            X[draw(st.sampled_from(["a", "c", "d", ""]))] = draw(st.lists(st.floats(-1, 1), max_size=n + 1))
        elif spoil == "X shape":
            X = draw(st.sampled_from([X[:, :2], X[:, :0], X[:0], X[0], X.reshape(1, n, 3), np.hstack([X, X])]))
        elif spoil == "X kind":
            how = draw(st.sampled_from(["dtype", "dtype", "container", "odd array", "lists", "odd value"]))
            if how == "dtype" and not isinstance(X, dict):
                dtype = draw(st.sampled_from(["float32", "float16", "int8", "uint8", "bool", "complex128", "object",
                                              "<U4"]))
                with np.errstate(all="ignore"), contextlib.suppress(ValueError, TypeError, OverflowError):
                    X = X.astype(dtype)  # as far as the values cast: inf in float16, wrapped ints
            elif how in ("dtype", "container"):
                X = _dataframe(X) if isinstance(X, dict) else X.tolist()
            else:
                X = draw({"odd array": ODD_ARRAYS, "lists": ARRAYS, "odd value": ODD_VALUES}[how])
        elif spoil == "y":
            y = draw(st.one_of(
                hnp.arrays(np.int64, n, elements=st.integers(-1, 4)),
                hnp.arrays(np.float64, n, elements=ANY_FLOAT),
                hnp.arrays(np.float64, (n, draw(st.integers(1, 3))), elements=ANY_FLOAT),
                hnp.arrays(np.float64, (n, draw(st.integers(1, 3))), elements=st.floats(0, 1)),
                st.lists(st.sampled_from(["r", "g", "0", "1"]), min_size=n, max_size=n),
                st.sampled_from(["bool", "float16", "complex128", "object", "<U2"]).map(np.asarray(y).astype),
                ODD_ARRAYS, ODD_VALUES))
        elif spoil == "y length" and isinstance(y, np.ndarray) and y.ndim:
            y = np.resize(y, (max(m, 0), *y.shape[1:]))
        elif spoil == "sample_weight":
            length = draw(st.sampled_from([n, n, m]))
            sample_weight = draw(st.one_of(
                hnp.arrays(np.float64, max(length, 0), elements=st.floats(0, 1e300)),
                hnp.arrays(np.float64, max(length, 0), elements=ANY_FLOAT),
                st.lists(st.integers(-1, 2), min_size=max(length, 0), max_size=max(length, 0)),
                ODD_ARRAYS, ODD_VALUES))
        else:
            feature_names = draw(st.one_of(
                st.just(["a", "b", "c"]), st.lists(st.sampled_from(["a", "b", "c", "d", "", "\n"]), max_size=4),
                st.text(max_size=3), st.lists(st.integers(0, 3), max_size=3), st.just([None, 1.5, b"x"])))
    return which, X, y, sample_weight, feature_names


def _dataframe(columns):
    """``columns`` as a pandas DataFrame when pandas is there and the columns are of one length, else as they are."""
    try:
        import pandas as pd
    except ImportError:
        return columns
    if len({len(values) for values in columns.values()}) != 1:
        return columns
    return pd.DataFrame(columns)


@FUZZ
@given(case=evaluate_cases())
def test_evaluate_returns_finite_scores_or_raises_value_or_type_errors(evaluate_nets, case):
    which, X, y, sample_weight, feature_names = case
    net = evaluate_nets[which]
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # a NumPy warning would be an error here
        try:
            scores = net.evaluate(X, y, sample_weight=sample_weight, feature_names=feature_names)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc), str(exc)
            return
    scores_of_task = {"loss", "r2", "mae", "rmse"} if which == "regression" else {"loss", "accuracy"}
    assert set(scores) == {*scores_of_task, "n_samples"}
    assert isinstance(scores["n_samples"], int) and scores["n_samples"] >= 1
    assert all(np.isfinite(value) for value in scores.values()), scores
    assert scores["loss"] >= 0 and 0 <= scores.get("accuracy", 0) <= 1, scores


# ------------------------------------------------------------------ tables: prepare and read_table
TEXT_CELLS = st.sampled_from(["r", "g", "b", "r", "g", "b", "", " ", "NA", "?", "None", "x y", "1", "2.5", "-0",
                              "1e999", "nan", "inf", "True", "é", "a,b", 'q"t', "\t", "3,5", "\x00", "r\x00", "=1+1"])
COLUMN_NAMES = st.one_of(st.sampled_from(["a", "b", "c", "y", "id", "a", "b", "y", "", " ", "1", "a b", "é", "\n"]),
                         st.integers(0, 2))
CELL_KINDS = {
    "numbers": st.floats(-100, 100),
    "wide numbers": st.one_of(ANY_FLOAT, st.floats(-1e200, 1e200), st.integers(-(10**20), 10**20)),
    "labels": st.integers(0, 2),
    "text": TEXT_CELLS,
    "booleans": st.booleans(),
    "mixed": st.one_of(ANY_FLOAT, st.none(), TEXT_CELLS, st.booleans(), st.integers(-3, 3)),
}
TABLE_SPOILS = ("ragged", "one column", "few rows", "same names", "target", "task", "categorical", "numeric",
                "ignore", "missing", "unknown", "test_split", "seed")


@st.composite
def table_cases(draw):
    """(columns as (name, values) pairs, prepare's keyword arguments): 2 to 12 rows of 2 to 4 columns of
    numbers, labels, text, booleans or a mix, some cells missing (None, NaN), odd names, and valid arguments;
    then up to two of these spoiled (columns of other lengths, one column, no or one row, names repeated,
    arguments of the wrong kind or value)."""
    spoiled = draw(st.lists(st.sampled_from(TABLE_SPOILS), min_size=1, max_size=2, unique=True)) if draw(
        st.booleans()) else []
    n = draw(st.integers(0, 1) if "few rows" in spoiled else st.integers(2, 12))
    k = 1 if "one column" in spoiled else draw(st.integers(2, 4))
    names = draw(st.lists(COLUMN_NAMES, min_size=k, max_size=k, unique_by=None if "same names" in spoiled else str))
    columns = []
    for name in names:
        cell = CELL_KINDS[draw(st.sampled_from([*CELL_KINDS, "numbers", "labels", "text"]))]
        if draw(st.integers(0, 4)) == 0:
            cell = st.one_of(cell, st.none(), st.just(math.nan))
        length = draw(st.integers(0, 12)) if "ragged" in spoiled else n
        columns.append((name, draw(st.lists(cell, min_size=length, max_size=length))))
    names = sorted({str(name) for name, _ in columns})
    some_names = st.lists(st.sampled_from(names), max_size=2, unique=True)
    kwargs = {
        "target": draw(st.one_of(st.none(), st.sampled_from(names), st.integers(0, len(names) - 1),
                                 st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))),
        "task": draw(st.sampled_from(["auto", "auto", "classification", "regression"])),
        "categorical": draw(st.one_of(st.none(), st.none(), some_names)),
        "numeric": draw(st.one_of(st.none(), st.none(), some_names)),
        "ignore": draw(st.one_of(st.just(()), st.just(()), st.just(()), some_names)),
        "missing": draw(st.sampled_from(["mean", "median", "most_frequent", "drop", "error"])),
        "unknown": draw(st.sampled_from(["ignore", "error"])),
        "test_split": draw(st.sampled_from([0.2, 0.2, 0, 0, 0.5])),
        "seed": draw(st.sampled_from([0, 1, 12345])),
    }
    odd_names = st.one_of(st.sampled_from(["zz", "", 0, -1, 7, None, 1.5, True, b"a"]), st.text(max_size=2))
    wrong = {
        "target": st.one_of(odd_names, st.lists(st.one_of(st.sampled_from(names), odd_names), max_size=3)),
        "task": st.sampled_from(["Regression", "", None, 3, "auto "]),
        "categorical": st.one_of(odd_names, st.lists(odd_names, min_size=1, max_size=2)),
        "numeric": st.one_of(odd_names, st.lists(odd_names, min_size=1, max_size=2)),
        "ignore": st.one_of(odd_names, st.lists(st.one_of(st.sampled_from(names), odd_names), max_size=3)),
        "missing": st.sampled_from(["zero", "Mean", None, 0]),
        "unknown": st.sampled_from(["warn", None, True]),
        "test_split": st.sampled_from([1.0, -0.1, math.nan, math.inf, "0.2", None, 2, True]),
        "seed": st.sampled_from([-1, 1.5, True, None, "0", 2**70]),
    }
    for spoil in spoiled:
        if spoil in wrong:
            kwargs[spoil] = draw(wrong[spoil])
    return columns, kwargs


def _as_table(columns, how):
    """The generated columns as prepare takes them: a dict of lists or of arrays, or a DataFrame (whose
    column names may repeat)."""
    if how == "dataframe" and len({len(values) for _, values in columns}) == 1:
        try:
            import pandas as pd
        except ImportError:
            pass
        else:
            frame = pd.DataFrame({j: values for j, (_, values) in enumerate(columns)})
            frame.columns = [name for name, _ in columns]
            return frame
    if how == "arrays":
        return {name: np.array(values) for name, values in columns}
    return dict(columns)


def _check_prepared(prepared, names, ignore, scale):
    """What a prepared table promises: consistent row counts, finite inputs of n_inputs columns, labels
    within the classes or finite regression targets, one-line notes and warnings."""
    n_train, n_test = len(prepared.train_rows), len(prepared.test_rows)
    assert n_train >= 1 and not set(prepared.train_rows) & set(prepared.test_rows)
    assert prepared.X_train.n_rows == n_train == len(prepared.y_train)
    assert prepared.X_test.n_rows == n_test == len(prepared.y_test)
    assert prepared.X_train.names == prepared.X_test.names == prepared.columns.names
    assert not set(prepared.columns.names) & set(prepared.task.targets)
    # Every column of the table (``names``) is a feature, a target or ignored (dict keys that differ but print
    # alike, 1 and "1", are refused by prepare).
    ignored = {c if isinstance(c, str) and c in names else names[int(c)] for c in ignore or ()}
    parts = (set(prepared.columns.names), set(prepared.task.targets), ignored)
    assert set().union(*parts) == set(names) and sum(map(len, parts)) == len(names), (parts, names)
    for X, n_rows in ((prepared.X_train, n_train), (prepared.X_test, n_test)):
        if n_rows:
            encoded = prepared.columns.transform(X)
            assert encoded.shape == (n_rows, prepared.n_inputs) and np.all(np.isfinite(encoded))
    if prepared.task.kind == "classification":
        assert prepared.n_outputs >= 2 and len(prepared.task.targets) == 1
        for y in (prepared.y_train, prepared.y_test):
            assert y.dtype.kind == "i" and np.all((y >= 0) & (y < prepared.n_outputs))
    else:
        for y in (prepared.y_train, prepared.y_test):
            assert y.shape[1:] == (len(prepared.task.targets),) and np.all(np.isfinite(y))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        try:  # rashid refuses negative inputs and all-zero ones
            scaled = prepared.preprocessing(scale).transform(prepared.X_train)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc), str(exc)
        else:
            assert scaled.shape == (n_train, prepared.n_inputs) and np.all(np.isfinite(scaled))
    for line in (*prepared.notes, *prepared.warnings):
        assert isinstance(line, str) and "\n" not in line, line


@FUZZ
@given(case=table_cases(), how=st.sampled_from(["dict", "dict", "arrays", "dataframe"]),
       scale=st.sampled_from(["standardize", "minmax", "rashid", "none"]))
def test_prepare_gives_consistent_finite_arrays_or_raises_value_or_type_errors(case, how, scale):
    columns, kwargs = case
    prepared = _prepared_or_refused(_as_table(columns, how), kwargs)
    if prepared is not None:
        _check_prepared(prepared, list(dict.fromkeys(str(name) for name, _ in columns)), kwargs["ignore"], scale)


def _prepared_or_refused(table, kwargs):
    """``prepare(table, **kwargs)``, or None once it has raised a ValueError or TypeError of one line; NumPy
    warnings are errors here."""
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        try:
            return tables.prepare(table, **kwargs)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc), str(exc)
    return None


def _csv_cell(value):
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


@FUZZ
@given(case=table_cases(), delimiter=st.sampled_from([",", ",", ";", "\t", "|"]), header=st.booleans(),
       read_delimiter=st.sampled_from([None] * 6 + ["given"] * 2 + [",", ";", "", "ab", '"', 5]),
       read_header=st.sampled_from(["auto"] * 6 + [True, False, "yes"]),
       scale=st.sampled_from(["standardize", "minmax", "rashid", "none"]))
def test_read_table_then_prepare_give_consistent_finite_arrays_or_raise_value_or_type_errors(
        tmp_path, case, delimiter, header, read_delimiter, read_header, scale):
    columns, kwargs = case
    path = tmp_path / "table.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter)
        if header:
            writer.writerow([str(name) for name, _ in columns])
        for i in range(max(len(values) for _, values in columns)):
            writer.writerow([_csv_cell(values[i]) if i < len(values) else "" for _, values in columns])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        try:
            frame = tables.read_table(path, delimiter=delimiter if read_delimiter == "given" else read_delimiter,
                                      header=read_header)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc), str(exc)
            return
        assert frame.names and all(len(frame[name]) == frame.n_rows for name in frame.names)
    prepared = _prepared_or_refused(frame, kwargs)
    if prepared is not None:
        _check_prepared(prepared, frame.names, kwargs["ignore"], scale)
