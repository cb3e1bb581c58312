"""Bounded work and one-line messages for odd inputs (issue 9, items 4 and 6)."""

import gzip
import os
import re
import struct
import time
import tracemalloc
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import tables
from glassnet.checks import describe, finite_matrix
from glassnet.cli import main
from glassnet.data import MAX_LABEL, load_csv, read_idx
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


# ---------------------------------------------------------------- what a tiny input would make glassnet allocate
# Each hostile input is small; the limit is lowered (half of a pretend 2 MiB machine) so that the checks trigger
# without gigabytes being asked for, and each refusal must come at once, with the estimate.

SIZE = r"\d[\d,]*\.\d (KiB|MiB|GiB|TiB|PiB|EiB)"


@pytest.fixture
def small_machine(monkeypatch):
    monkeypatch.setattr(glassnet.memory, "physical_memory", lambda: 2 * 2**20)  # glassnet allows itself 1 MiB


def refused_quickly(call, error=TooLarge, seconds=2.0):
    """The exception ``call()`` raises, checked to be an ``error`` raised within ``seconds``."""
    start = time.perf_counter()
    with pytest.raises(error) as info:
        call()
    assert time.perf_counter() - start < seconds
    assert "\n" not in str(info.value)
    return str(info.value)


def write_rows(path, header, rows):
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def test_a_text_column_with_many_categories_is_refused_with_the_estimate(tmp_path, small_machine):
    # 2,000 rows, a 1,000-category column: 2,000 x 1,001 inputs of 8 bytes (15 MiB) from a 30 KB file
    path = write_rows(tmp_path / "t.csv", "x,city,label", (f"{i % 7},c{i % 1000},{i % 2}" for i in range(2000)))
    message = refused_quickly(lambda: tables.prepare(tables.read_table(path), "label", test_split=0))
    assert re.search(r"t\.csv: a 2,000 x 1,001 input matrix, one input per category of 'city' \(1,000 categories\), "
                     rf"and 2,000 x 2 one-hot targets of 'label' \(2 classes\) would take about {SIZE}, more than "
                     r"the 1\.0 MiB glassnet allows itself here .*; leave out 'city' with ignore='city', or use fewer "
                     r"rows$", message), message
    # the command line names its flag, exits 2, and writes no model
    out = tmp_path / "m.safetensors"
    assert main(["train", "--data", str(path), "--quiet", "--out", str(out)]) == 2
    assert not out.exists()


def test_the_input_matrix_of_a_wide_table_names_its_widest_columns(small_machine):
    table = {f"t{j}": [f"v{i % (10 + j)}" for i in range(300)] for j in range(6)}
    table["n"] = list(range(300))
    columns = tables.Columns().fit(table)  # learning the categories allocates nothing large
    assert columns.n_outputs_ == 10 + 11 + 12 + 13 + 14 + 15 + 1
    message = refused_quickly(lambda: columns.transform({k: v * 10 for k, v in table.items()}))
    assert re.match(rf"X: a 3,000 x 76 input matrix, one input per category of 't5' \(15 categories\), 't4' \(14 "
                    rf"categories\), 't3' \(13 categories\) and 3 more, would take about {SIZE}", message), message
    assert columns.transform(table).shape == (300, 76)  # 178 KiB: allowed


def test_a_classification_target_with_many_classes_counts_its_one_hot_targets(tmp_path, small_machine):
    # 1,000 classes (at most MAX_CLASSES), two rows each: 2,000 x 1,000 one-hot targets of 8 bytes (15 MiB)
    path = write_rows(tmp_path / "c.csv", "x,label", (f"{i % 5},k{i % 1000}" for i in range(2000)))
    message = refused_quickly(lambda: tables.prepare(tables.read_table(path), "label", test_split=0))
    assert re.search(rf"a 2,000 x 1 input matrix and 2,000 x 1,000 one-hot targets of 'label' \(1,000 classes\) "
                     rf"would take about {SIZE}", message), message


def test_one_long_text_cell_costs_its_own_length_not_every_rows(monkeypatch):
    # as a fixed-width array of str, 5,000 cells would each take the room of the longest (100,000 characters):
    # 5,000 x 100,000 x 4 bytes = 1.9 GiB from one 100 KB cell
    texts = ["a" * 100_000] + [f"c{i % 3}" for i in range(4999)]
    tracemalloc.start()
    try:
        columns = tables.Columns(missing="most_frequent").fit({"t": texts, "n": np.arange(5000.0)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
    assert columns.categories[0] == ["a" * 100_000, "c0", "c1", "c2"] and columns.fill[0] == "c0"


def test_wide_tables_take_linear_time():
    n = 20_000  # column bookkeeping was quadratic: 30 s here for Frame.take, minutes for 100,000 columns
    frame = tables.Frame.from_matrix(np.zeros((4, n)), [f"c{j}" for j in range(n)])
    start = time.perf_counter()
    assert frame.take(np.arange(2)).matrix.shape == (2, n)
    tables.Columns(numeric=[f"c{j}" for j in range(n)])
    assert time.perf_counter() - start < 2.0


def idx_header(code, *dims):
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def test_an_idx_header_promising_more_than_memory_is_refused_before_reading(tmp_path):
    # a plain file: its size gives it away before anything is read
    (tmp_path / "h.idx").write_bytes(idx_header(0x08, 4_000_000_000, 4_000_000_000))
    message = refused_quickly(lambda: read_idx(tmp_path / "h.idx"), ValueError)
    assert message.endswith("is truncated: its header promises 4000000000 x 4000000000 values "
                            "(16,000,000,000,000,000,000 bytes) but only 0 bytes follow")
    # a .gz says nothing of what it unpacks to: the header's promise is checked before any value is unpacked
    (tmp_path / "h.idx.gz").write_bytes(gzip.compress(idx_header(0x0E, 2**32 - 1, 2**32 - 1)))
    message = refused_quickly(lambda: read_idx(tmp_path / "h.idx.gz"))
    assert re.fullmatch(rf".*h\.idx\.gz: the 4294967295 x 4294967295 values its header promises would take about "
                        rf"{SIZE}, more than the .*; is the file damaged, or not an IDX file\?", message), message
    assert "128.0 EiB" in message


def test_a_small_gz_that_unpacks_to_more_than_memory_is_refused(tmp_path, small_machine):
    # 2 MiB of zeros pack into 2 KB; the header's promise (2,048 x 1,024 bytes) is over the limit of 1 MiB
    (tmp_path / "z.idx.gz").write_bytes(gzip.compress(idx_header(0x08, 2048, 1024) + bytes(2048 * 1024)))
    message = refused_quickly(lambda: read_idx(tmp_path / "z.idx.gz"))
    assert re.search(r"the 2048 x 1024 values its header promises would take about 2\.0 MiB, more than the 1\.0 MiB",
                     message), message


def test_bytes_after_the_values_of_a_gz_are_counted_only_so_far(tmp_path):
    # a header of six bytes, then 64 MiB of zeros (64 KB packed): the values are read, then at most 1 MiB more
    packed = gzip.compress(idx_header(0x08, 2, 3) + bytes(range(6)) + bytes(64 * 2**20), compresslevel=1)
    (tmp_path / "tail.idx.gz").write_bytes(packed)
    tracemalloc.start()
    try:
        message = refused_quickly(lambda: read_idx(tmp_path / "tail.idx.gz"), ValueError)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message.endswith("tail.idx.gz has more than 1,048,576 bytes after the 2 x 3 values its header describes; "
                            "the file is damaged or not an IDX file")
    assert peak < 8 * 2**20


def test_mnist_images_are_checked_as_the_float64_pixels_they_become(tmp_path, small_machine):
    # 300 images of 28 x 28 bytes (230 KiB) become 1.8 MiB of float64 pixels
    for prefix, n in (("train", 300), ("t10k", 10)):
        (tmp_path / f"{prefix}-images-idx3-ubyte").write_bytes(idx_header(0x08, n, 28, 28) + bytes(n * 784))
        (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_header(0x08, n) + bytes(n))
    message = refused_quickly(lambda: glassnet.data.mnist(tmp_path))
    assert re.search(r"train-images-idx3-ubyte: 300 images of 784 pixels as float64 would take about 1\.8 MiB",
                     message), message


def test_idx_values_are_read_in_native_order_in_place(tmp_path):
    values = np.array([[0.5, -1.25e300], [3.0, 2.0**-1000]])
    data = idx_header(0x0E, 2, 2) + values.astype(">f8").tobytes()
    (tmp_path / "f.idx").write_bytes(data)
    (tmp_path / "f.idx.gz").write_bytes(gzip.compress(data))
    for name in ("f.idx", "f.idx.gz"):
        got = read_idx(tmp_path / name)
        assert got.dtype == np.float64 and got.dtype.isnative and got.flags.writeable
        np.testing.assert_array_equal(got, values)


# ------------------------------------------------------------ labels beyond int64, and one-hot targets
def test_fit_refuses_labels_beyond_int64_or_its_outputs_without_wrapping():
    net = glassnet.Network([glassnet.Dense(2, 3, "softmax")], seed=0)
    X = np.zeros((2, 2))
    for y in ([0, 2**63], np.array([0, 2**63], dtype=np.uint64), np.array([0, 2**64 - 1], dtype=np.uint64),
              [0.0, 2.0**63], [0, 10**9], [0.0, 1e300]):
        message = refused_quickly(lambda y=y: net.fit(X, y, epochs=1), ValueError)
        assert re.fullmatch(r"y\[1\] is \S+; class labels must be whole numbers 0 to 2", message), message


BEYOND_INT64 = [[0, 2**63], [0, 2**64], [0, -(2**63) - 1], np.array([0, 2**63], dtype=object),
                np.array([0, 2**70], dtype=object)]


@pytest.mark.parametrize("y", BEYOND_INT64[1:], ids=["2**64", "-2**63-1", "object 2**63", "object 2**70"])
def test_fit_refuses_python_ints_beyond_int64_with_a_value_error(y):
    net = glassnet.Network([glassnet.Dense(2, 3, "softmax")], seed=0)
    message = refused_quickly(lambda: net.fit(np.zeros((2, 2)), y, epochs=1), ValueError)
    assert "y[1]" in message


@pytest.mark.parametrize("y", [[0, 2**63], np.array([0, 2**64 - 1], dtype=np.uint64), [0.0, 1e300]],
                         ids=["list 2**63", "uint64 max", "float 1e300"])
def test_labels_without_a_class_count_are_refused_beyond_int64(y):
    from glassnet.training import class_weights

    refused_quickly(lambda: class_weights(y, None), ValueError)


@pytest.mark.parametrize("call", ["class_weights", "confusion_counts", "one_hot"])
def test_arrays_sized_by_the_largest_label_are_checked(call, small_machine):
    from glassnet.metrics import confusion_counts
    from glassnet.preprocessing import one_hot
    from glassnet.training import class_weights

    calls = {"class_weights": lambda: class_weights([0, 10**6], None),  # 10**6 + 1 weights: 7.6 MiB
             "confusion_counts": lambda: confusion_counts([0, 3000], [0, 0]),  # 3,001 x 3,001 counts: 69 MiB
             "one_hot": lambda: one_hot([0, 1], 10**6)}  # 2 x 10**6 floats: 15 MiB
    assert re.search(f"would take about {SIZE}", refused_quickly(calls[call]))
