"""Bounded work and one-line messages for odd inputs (issue 9, items 4 and 6)."""

import os
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import tables
from glassnet.checks import describe, finite_matrix
from glassnet.data import MAX_LABEL, load_csv
from glassnet.memory import TooLarge, check_affordable, size_text


def test_a_huge_layer_is_refused_before_anything_is_allocated():
    with pytest.raises(TooLarge, match=r"a Dense\(784, 1,000,000,000\) layer would take about 22.8 TiB, more than"):
        glassnet.Dense(784, 10**9)
    assert isinstance(TooLarge("x"), ValueError)


def test_check_affordable_gives_the_estimate_and_the_limit():
    check_affordable("a small thing", 1000, limit=2000)
    with pytest.raises(TooLarge, match=r"^a big thing would take about 3.0 KiB, more than the 2.0 KiB .*; shrink it$"):
        check_affordable("a big thing", 3072, "shrink it", limit=2048)
    assert [size_text(n) for n in (12, 2048, 3 * 2**20, 1.5 * 2**30)] == ["12 bytes", "2.0 KiB", "3.0 MiB", "1.5 GiB"]


def test_a_label_that_would_make_millions_of_classes_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,label\n1,0\n2,2e6\n")
    with pytest.raises(ValueError, match=r"row 3, column 2 \('label'\): class label '2e6' would make 2,000,001 "
                                         r"classes \(labels 0 to 2,000,000\), more than 10,000"):
        load_csv(path)
    path.write_text(f"a,label\n1,0\n2,{MAX_LABEL - 1}\n")
    assert len(load_csv(path).class_names) == MAX_LABEL


def test_labels_beyond_int64_are_refused_not_wrapped(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(f"a,label\n1,0\n2,{2**63}\n")
    with pytest.raises(ValueError, match="would make"):
        load_csv(path)


def test_only_regular_files_are_read_as_data(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # reading it would block forever; it is refused without being opened
    with pytest.raises(ValueError, match="pipe.csv is not a regular file"):
        load_csv(fifo)
    with pytest.raises(ValueError, match="pipe.csv is not a regular file; expected a CSV file"):
        tables.read_table(fifo)


def test_messages_describe_a_data_frame_by_its_type_and_shape():
    pd = pytest.importorskip("pandas")  # in the test extras
    frame = pd.DataFrame({"a": range(100), "b": range(100)})
    assert describe(frame) == "a DataFrame of shape (100, 2)"
    with pytest.raises(TypeError) as info:
        glassnet.Dense(2, 2, init=frame)
    assert str(info.value) == ("init must be a name, a config dict, a number, an array or an Initializer, got a "
                               "DataFrame of shape (100, 2)")


def test_control_characters_are_escaped_in_descriptions():
    assert describe("a\x1b[2Jb") == "'a\\x1b[2Jb' (str)"


def test_masked_entries_are_not_read_as_numbers():
    X = np.ma.masked_array([[1.0, 2.0], [3.0, 4.0]], mask=[[0, 1], [0, 0]])
    with pytest.raises(ValueError, match="X is a masked array with 1 masked entries"):
        finite_matrix("X", X)
    np.testing.assert_array_equal(finite_matrix("X", np.ma.masked_array([[1.0, 2.0]])), [[1.0, 2.0]])


def test_a_number_beyond_float32_is_named_as_such_without_a_warning():
    net = glassnet.Network([glassnet.Dense(2, 2, "softmax")], seed=0)
    net.cast(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"X\[0, 1\] is 1e\+39, beyond float32's range"):
            net.predict([[1.0, 1e39]])


def test_a_complex_init_is_refused():
    with pytest.raises(TypeError, match="init array must be real numbers, got complex ones"):
        glassnet.Dense(2, 2, init=np.ones((2, 2)) * (1 + 1j))
