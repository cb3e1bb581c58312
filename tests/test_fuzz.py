"""Property-based fuzzing (hypothesis): odd inputs get the documented errors, never a crash, a hang or a NaN.

The default run is bounded (``FUZZ_EXAMPLES`` examples per property, well under a minute in all); set the
environment variable ``GLASSNET_FUZZ_EXAMPLES`` (e.g. 5000) for the longer run before a release.
"""

import contextlib
import io
import os
import string
import struct

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")  # in the test extras: this skips only outside them
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import glassnet  # noqa: E402
from glassnet import tables  # noqa: E402
from glassnet.cli import main  # noqa: E402
from glassnet.data import load_csv, read_idx  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("GLASSNET_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

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
