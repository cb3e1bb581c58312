"""Bugs the fuzz properties of tests/test_fuzz.py found (issue 9, item 7), each kept as a plain test."""

import json
import struct
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import tables
from glassnet.metrics import regression_scores
from glassnet.preprocessing import MinMax, RashidScale, Standardize


def test_model_file_error_message_has_no_newline(tmp_path):
    net = glassnet.Network([glassnet.Dense(2, 1, "sigmoid")], loss="binary_cross_entropy", seed=0)
    net.save(tmp_path / "m.safetensors")
    data = (tmp_path / "m.safetensors").read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    header["layers.0.W"]["dtype"] = "F\n"  # safetensors quotes an unknown dtype raw in its error
    text = json.dumps(header).encode()
    (tmp_path / "bad.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n :])
    with pytest.raises(glassnet.ModelFileError) as caught:
        glassnet.load(tmp_path / "bad.safetensors")
    assert "\n" not in str(caught.value)


def test_prepare_with_only_text_features_from_a_csv(tmp_path):
    rows = "".join(f"{color},{i * 0.5 + 0.25}\n" for i, color in enumerate(["red", "blue"] * 20))
    (tmp_path / "t.csv").write_text("color,size\n" + rows)
    frame = tables.read_table(tmp_path / "t.csv")
    prepared = tables.prepare(frame, "size")  # IndexError in Frame.take
    assert prepared.n_inputs == 2


def test_dict_keys_that_print_alike_are_refused():
    table = {1: [1.0, 2.0, 3.0, 4.0], "1": ["a", "b", "a", "b"], "y": [0, 1, 0, 1]}
    # column 1 was silently dropped (its name, "1", was taken by the other)
    with pytest.raises(ValueError, match=r"^X has columns 1 and '1', which both read '1'; give every column its own"):
        tables.prepare(table, "y", test_split=0)


def test_dataframe_with_repeated_column_names_is_refused_by_name():
    import pandas as pd  # in the test extras
    frame = pd.DataFrame({0: [1.0, 2.0], 1: ["r", "g"], 2: [0, 1]})
    frame.columns = ["a", "a", "y"]
    with pytest.raises(ValueError, match="more than one column named 'a'"):
        tables.prepare(frame, "y")  # "The truth value of an array with more than one element is ambiguous"
    frame = pd.DataFrame({0: [1.0, 2.0], 1: [3.0, 4.0], 2: [0, 1]})
    frame.columns = ["a", "a", "y"]
    with pytest.raises(ValueError, match="more than one column named 'a'"):
        tables.prepare(frame, "y")  # TypeError: columns['a'] must be a 1-D numpy array, got ... shape (2, 2)


def test_mean_fill_of_huge_numbers_does_not_warn():
    table = {"a": [0.0, 9e307, 9e307, 0.0, 1.0], "y": [0, 1, 1, 1, 0]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # RuntimeWarning: overflow encountered in reduce, before the ValueError
        with pytest.raises(ValueError, match="cannot be scaled"):
            tables.prepare(table, "y", missing="mean", test_split=0)


def test_model_file_with_unfitted_columns_is_refused(tmp_path):
    from safetensors.numpy import load as read_tensors

    from glassnet.modelfile import checksum

    net = glassnet.Network([glassnet.Dense(2, 3, "relu"), glassnet.Dense(3, 2, "softmax")], seed=0)
    net.fit({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]}, [0, 1, 0, 1], epochs=1, lr=0.1)
    net.save(tmp_path / "m.safetensors")
    data = (tmp_path / "m.safetensors").read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    document = json.loads(header["__metadata__"]["glassnet"])
    del document["preprocessing"]["fitted"]  # a Columns step that was never fitted
    text = json.dumps(document)
    tensors = {name: np.array(tensor) for name, tensor in read_tensors(data).items()}
    header["__metadata__"] = {"glassnet": text, "glassnet.sha256": checksum(text, tensors)}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    (tmp_path / "unfitted.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n :])
    with pytest.raises(glassnet.ModelFileError):
        # loads; predict_proba({"a": [0.5], "b": [1.0]}) then raises RuntimeError "this Columns is not fitted
        # yet; call fit(X) first", and `glassnet inspect` prints half and exits 2 "'NoneType' object is not iterable"
        glassnet.load(tmp_path / "unfitted.safetensors")


def test_evaluate_r2_is_finite_for_targets_of_tiny_variance():
    net = glassnet.Network([glassnet.Dense(1, 1, "linear")], loss="squared_error", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # RuntimeWarning: overflow encountered in divide
        scores = net.evaluate([[1.0]] * 3, [0.0, 0.0, 1e-160])
    assert all(np.isfinite(value) for value in scores.values()), scores  # r2 was -inf
    assert scores["r2"] == -np.finfo(np.float64).max  # errors of 0.5 dwarf a spread of 1e-160
    # a tiny spread predicted about as well as its size is scored as any other: the squares do not underflow
    assert regression_scores([0, 0, 1e-160], [0, 0, 2e-160])["r2"] == pytest.approx(-0.5)


@pytest.mark.parametrize("X", [[[0.0], [0.0], [1e-200]], [[0.0], [0.0], [1e-310]], [[0.0], [1e-310]],
                               [[1.7e308], [1.7e308], [-1.0]], [[1e308], [-1e308]]])
@pytest.mark.parametrize("scaler", [Standardize, MinMax])
def test_scaling_a_column_of_tiny_or_huge_spread_gives_finite_numbers(X, scaler):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # divide by zero, overflow, invalid value
        scaled = scaler().fit_transform(X)  # Standardize gave +-inf for 1e-200 (its std underflowed); MinMax NaN
    assert np.all(np.isfinite(scaled)), scaled
    if X[-1] == [1e-200]:
        assert scaled.ravel() == pytest.approx([-2**-0.5, -2**-0.5, 2**0.5] if scaler is Standardize
                                               else [0, 0, 1])


def test_rashid_scale_of_a_tiny_maximum_gives_finite_numbers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = RashidScale(max_value=1e-310).fit_transform([[0.0], [1e-310]])
    assert scaled.ravel().tolist() == [0.01, 1.0]


def test_float16_class_labels_do_not_overflow_when_checked():
    net = glassnet.Network([glassnet.Dense(3, 3, "softmax")], seed=0)
    with np.errstate(over="raise"):  # FloatingPointError: overflow encountered in cast (2**63 as a float16)
        scores = net.evaluate([[0.0, 0.0, 0.0]], np.array([0.0], dtype=np.float16))
    assert scores["n_samples"] == 1
