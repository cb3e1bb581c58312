"""glassnet.data: file loaders and their error messages."""

import gzip
import re
import struct

import numpy as np
import pytest

from glassnet import data as glassnet_data
from glassnet.data import MNIST_IMAGES_MAGIC, MNIST_LABELS_MAGIC, Table, load_csv, mnist, read_idx


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def raises(error, message):
    """``pytest.raises`` that matches ``message`` literally."""
    return pytest.raises(error, match=re.escape(message))


# ------------------------------------------------------------- load_csv

FLOWERS = "length,width,species\n1.5,0.2,setosa\n4.7,1.4,versicolor\n1.3,0.2,setosa\n6.0,2.5,virginica\n"


def test_load_csv_header_and_string_labels(tmp_path):
    table = load_csv(write(tmp_path / "f.csv", FLOWERS))
    assert isinstance(table, Table)
    assert table.X.dtype == np.float64 and table.y.dtype == np.int64
    assert table.X.tolist() == [[1.5, 0.2], [4.7, 1.4], [1.3, 0.2], [6.0, 2.5]]
    assert table.class_names == ["setosa", "versicolor", "virginica"]
    assert table.y.tolist() == [0, 1, 0, 2]
    assert table.feature_names == ["length", "width"]
    X, y, class_names, feature_names = table  # unpacks like a tuple
    assert repr(table).startswith("Table(X: 4 rows x 2 features, 3 classes ['setosa', 'versicolor', 'virginica']")


def test_load_csv_without_header_keeps_integer_labels(tmp_path):
    table = load_csv(write(tmp_path / "n.csv", "1,2,3\n4,5,1\n7,8,3.0\n"))
    assert table.X.tolist() == [[1, 2], [4, 5], [7, 8]]
    assert table.y.tolist() == [3, 1, 3]
    assert table.class_names == ["0", "1", "2", "3"]
    assert table.feature_names == ["column 1", "column 2"]


def test_load_csv_target_by_name_index_and_ignore(tmp_path):
    path = write(tmp_path / "s.csv", "id,label,a,b\n1,yes,0.5,1\n2,no,0.25,2\n")
    by_name = load_csv(path, target="label", ignore=["id"])
    assert by_name.X.tolist() == [[0.5, 1], [0.25, 2]]
    assert by_name.feature_names == ["a", "b"] and by_name.class_names == ["no", "yes"]
    assert by_name.y.tolist() == [1, 0]
    by_index = load_csv(path, target=1, ignore=(0,))
    assert np.array_equal(by_index.X, by_name.X) and np.array_equal(by_index.y, by_name.y)
    last = load_csv(path, target=-1, ignore=["label"])
    assert last.feature_names == ["id", "a"] and last.y.tolist() == [1, 2]


def test_load_csv_header_switch(tmp_path):
    path = write(tmp_path / "h.csv", "1,2,0\n3,4,1\n")
    assert load_csv(path, header=True).feature_names == ["1", "2"]
    assert len(load_csv(path, header=True).X) == 1
    with raises(ValueError, "h.csv, row 1, column 1: expected a number, got 'a'"):
        load_csv(write(tmp_path / "h.csv", "a,b,c\n3,4,1\n"), header=False)


def test_load_csv_delimiter_gzip_bom_quotes_and_blank_lines(tmp_path):
    text = "\ufeffx;y;city\n1;2;\"Paris; FR\"\n\n3;4;Oslo\n;;\n"
    with gzip.open(tmp_path / "c.csv.gz", "wt", encoding="utf-8") as f:
        f.write(text)
    table = load_csv(tmp_path / "c.csv.gz", delimiter=";")
    assert table.feature_names == ["x", "y"]
    assert table.X.tolist() == [[1, 2], [3, 4]]
    assert table.class_names == ["Oslo", "Paris; FR"] and table.y.tolist() == [1, 0]
    # a blank line still counts for the row numbers in messages
    with raises(ValueError, "b.csv, row 4, column 1 ('x'): expected a number, got 'oops'"):
        load_csv(write(tmp_path / "b.csv", "x,c\n1,a\n\noops,b\n"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b,label\n1,2,cat\n3,x,dog\n", ", row 3, column 2 ('b'): expected a number, got 'x'"),
        ("a,b,label\n1,2,cat\n3,,dog\n", ", row 3, column 2 ('b'): the cell is empty; every feature needs a number"),
        ("a,b,label\n1,nan,cat\n", ", row 2, column 2 ('b'): expected a finite number, got 'nan'"),
        ("1,2,0\n4,-inf,1\n", ", row 2, column 2: expected a finite number, got '-inf'"),
        ("a,b,label\n1,2,cat\n3,4\n", ", row 3: expected 3 cells (as in row 1), got 2"),
        ("a,b,label\n1,2,cat\n3,4,dog,5\n", ", row 3: expected 3 cells (as in row 1), got 4"),
        ("a,b,label\n1,2,\n", ", row 2, column 3 ('label'): the class label is empty"),
        ("a,b,c\n1,2,2.5\n", ", row 2, column 3 ('c'): class labels must be names or whole numbers >= 0, got '2.5'"),
        ("a,b,c\n1,2,-1\n", ", row 2, column 3 ('c'): class labels must be names or whole numbers >= 0, got '-1'"),
        ("", " is empty: it has no rows to read"),
        ("\n\n", " is empty: it has no rows to read"),
        ("a,b,label\n", " has a header row but no data rows"),
        ("label\n1\n", " has no feature column: every column is the target or ignored"),
    ],
)
def test_load_csv_bad_files(tmp_path, text, message):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError) as excinfo:
        load_csv(path)
    assert str(excinfo.value) == f"{path}{message}"


def test_load_csv_bad_arguments(tmp_path):
    path = write(tmp_path / "f.csv", FLOWERS)
    with raises(FileNotFoundError, f"CSV file not found: {tmp_path / 'missing.csv'}"):
        load_csv(tmp_path / "missing.csv")
    with raises(ValueError, "is a directory; load_csv expects a CSV file"):
        load_csv(tmp_path)
    with raises(ValueError, "target 'kind' is not a column of"):
        load_csv(path, target="kind")
    with raises(ValueError, "its columns are ['length', 'width', 'species']"):
        load_csv(path, target="kind")
    with raises(ValueError, "target index 3 is out of range"):
        load_csv(path, target=3)
    with raises(TypeError, "target must be a column name (str) or a 0-based column index (int), got 1.5 (float)"):
        load_csv(path, target=1.5)
    with raises(ValueError, "column 3 ('species') is the target; it cannot also be in ignore"):
        load_csv(path, ignore=["species"])
    with raises(TypeError, "ignore must be a list or tuple"):
        load_csv(path, ignore="length")
    with raises(ValueError, "header must be 'auto', True or False, got 'yes' (str)"):
        load_csv(path, header="yes")
    with raises(ValueError, "delimiter must be a single character"):
        load_csv(path, delimiter=", ")
    with raises(TypeError, "path must be a file path"):
        load_csv(42)
    nameless = write(tmp_path / "n.csv", "1,2,0\n")
    with raises(ValueError, "target 'species' is a column name but"):
        load_csv(nameless, target="species")


def test_load_csv_binary_file(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with raises(ValueError, "bin.csv could not be read as a UTF-8 CSV text file"):
        load_csv(tmp_path / "bin.csv")


# --------------------------------------------- load_csv on files of many blocks
# load_csv reads a file in blocks of lines (data._BLOCK_BYTES); the tests below make the blocks
# tiny so that small files span many of them.


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(glassnet_data, "_BLOCK_BYTES", 64)


def table_text(n_rows, seed=0, label=lambda k: ["cat", "dog", "emu"][k]):
    """A header ``a,b,c,label`` and rows of three plain decimals and a label."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-10**6, 10**6, size=(n_rows, 3)) / 1000
    labels = rng.integers(0, 3, size=n_rows)
    rows = [",".join(f"{v:g}" for v in row) + f",{label(k)}" for row, k in zip(values, labels)]
    return "a,b,c,label\n" + "\n".join(rows) + "\n", values, labels


def with_row(text, line, row):
    """``text`` with its line number ``line`` (1-based) replaced by ``row``."""
    lines = text.split("\n")
    lines[line - 1] = row
    return "\n".join(lines)


def test_load_csv_many_blocks_reads_every_row(tmp_path, small_blocks):
    text, values, labels = table_text(300)
    table = load_csv(write(tmp_path / "t.csv", text))
    assert table.X.shape == (300, 3) and table.X.dtype == np.float64 and table.X.flags.c_contiguous
    assert np.array_equal(table.X, values)
    assert table.y.tolist() == labels.tolist() and table.class_names == ["cat", "dog", "emu"]
    by_name = load_csv(tmp_path / "t.csv", target="label", ignore=["b"])
    assert by_name.feature_names == ["a", "c"] and np.array_equal(by_name.X, values[:, [0, 2]])
    by_index = load_csv(tmp_path / "t.csv", target=-1, ignore=(0,))
    assert by_index.feature_names == ["b", "c"] and np.array_equal(by_index.X, values[:, 1:])
    assert np.array_equal(by_index.y, table.y)


@pytest.mark.parametrize(
    "row, message",
    [
        ("1,x,2,cat", "row 250, column 2 ('b'): expected a number, got 'x'"),
        ("1,,2,cat", "row 250, column 2 ('b'): the cell is empty; every feature needs a number"),
        ("1,2,cat", "row 250: expected 4 cells (as in row 1), got 3"),
        ("1,2,3,4,cat", "row 250: expected 4 cells (as in row 1), got 5"),
        ("1,2,1e999,cat", "row 250, column 3 ('c'): expected a finite number, got '1e999'"),
        ("1,nan,2,cat", "row 250, column 2 ('b'): expected a finite number, got 'nan'"),
        ("1,2,3,", "row 250, column 4 ('label'): the class label is empty"),
        ('1,"2",3,"a, b"', None),  # quoted cells are read as the csv module reads them
    ],
)
def test_load_csv_error_in_a_later_block_names_its_row(tmp_path, small_blocks, row, message):
    text, _, _ = table_text(300)
    path = write(tmp_path / "bad.csv", with_row(text, 250, row))
    if message is None:
        table = load_csv(path)
        assert table.X[248].tolist() == [1, 2, 3] and table.class_names[table.y[248]] == "a, b"
        return
    with pytest.raises(ValueError) as excinfo:
        load_csv(path)
    assert str(excinfo.value) == f"{path}, {message}"


def test_load_csv_the_first_error_in_the_file_wins(tmp_path, small_blocks):
    text, _, _ = table_text(300)
    # A bad cell after a NaN is reported first, as when every row was read before any check.
    path = write(tmp_path / "b.csv", with_row(with_row(text, 20, "1,nan,2,cat"), 280, "1,2,oops,cat"))
    with raises(ValueError, "b.csv, row 280, column 3 ('c'): expected a number, got 'oops'"):
        load_csv(path)
    # A part that is not UTF-8 wins over everything, wherever it is; its position counts from the file's start.
    data_bytes = with_row(text, 20, "1,2,oops,cat").encode()
    broken = data_bytes + b"9,9,9,\xff\n"
    (tmp_path / "u.csv").write_bytes(broken)
    with raises(ValueError, f"u.csv could not be read as a UTF-8 CSV text file: 'utf-8' codec can't decode byte "
                f"0xff in position {len(data_bytes) + 6}: invalid start byte"):
        load_csv(tmp_path / "u.csv")
    with raises(ValueError, "u.csv could not be read as a UTF-8 CSV text file"):
        load_csv(tmp_path / "u.csv", target="nope")


def test_load_csv_many_blocks_gzip_bom_crlf_blank_lines(tmp_path, small_blocks):
    text, values, labels = table_text(200)
    lines = text.split("\n")
    lines.insert(100, "")  # a blank line still counts in row numbers
    lines.insert(150, ",,,")  # a row of empty cells is skipped
    crlf = "\ufeff" + "\r\n".join(lines)
    with gzip.open(tmp_path / "t.csv.gz", "wb") as f:
        f.write(crlf.encode("utf-8"))
    table = load_csv(tmp_path / "t.csv.gz")
    assert table.feature_names == ["a", "b", "c"] and np.array_equal(table.X, values)
    assert table.y.tolist() == labels.tolist()
    bad = with_row("\n".join(lines), 180, "1,2,x,cat").replace("\n", "\r\n")
    with gzip.open(tmp_path / "b.csv.gz", "wb") as f:
        f.write(bad.encode("utf-8"))
    with raises(ValueError, "b.csv.gz, row 180, column 3 ('c'): expected a number, got 'x'"):
        load_csv(tmp_path / "b.csv.gz")


def test_load_csv_gzip_of_several_members_grows_x(tmp_path, small_blocks):
    # The size in a .gz file's trailer counts only its last member: X starts too small and grows.
    text, values, labels = table_text(400)
    head, body = text.split("\n", 1)
    (tmp_path / "m.csv.gz").write_bytes(gzip.compress((head + "\n" + body).encode()) + gzip.compress(b"1,2,3,cat\n"))
    table = load_csv(tmp_path / "m.csv.gz")
    assert table.X.shape == (401, 3) and np.array_equal(table.X[:400], values) and table.X[400].tolist() == [1, 2, 3]


def test_load_csv_quoted_line_break_across_blocks(tmp_path, small_blocks):
    rows = [f"{i},{i / 4},\"name\n{i % 3}\"" if i % 7 == 0 else f"{i},{i / 4},n{i % 3}" for i in range(60)]
    path = write(tmp_path / "q.csv", "x,y,label\n" + "\n".join(rows) + "\n")
    table = load_csv(path)
    assert table.X[:, 0].tolist() == list(range(60)) and table.X[:, 1].tolist() == [i / 4 for i in range(60)]
    assert table.class_names == ["n0", "n1", "n2", "name\n0", "name\n1", "name\n2"]
    # the quoted line break counts as a line: row 3's cells end on line 4 (as the csv module counts)
    with raises(ValueError, "q.csv, row 4, column 2 ('y'): expected a number, got 'z'"):
        load_csv(write(tmp_path / "q.csv", 'x,y,label\n1,2,"a\nb"\n3,z,c\n'))


def test_load_csv_lone_cr_line_ends_with_quoted_line_breaks(tmp_path, small_blocks):
    # Blocks end at \n, here only inside quotes: every block reads on into the next one (1,500 times).
    rows = [f'{i},{i % 5},"name\n{i % 3}"' for i in range(1500)]
    path = tmp_path / "mac.csv"
    path.write_text("x,y,label\r" + "\r".join(rows) + "\r", newline="")
    table = load_csv(path)
    assert table.X.shape == (1500, 2) and table.X[:, 0].tolist() == list(range(1500))
    assert table.class_names == ["name\n0", "name\n1", "name\n2"] and table.y[:4].tolist() == [0, 1, 2, 0]
    path.write_text("x,y,label\r" + "\r".join(rows[:1000] + ['1,two,"a\nb"']) + "\r", newline="")
    with raises(ValueError, "mac.csv, row 2003, column 2 ('y'): expected a number, got 'two'"):
        load_csv(path)


def test_load_csv_reads_plain_decimals_exactly_as_float_does(tmp_path, small_blocks):
    rng = np.random.default_rng(1)
    cells = ["0", "-0", "+7", "5.", ".5", "-.25", "007", "255", "0.1", "-98765.4321", "123456789012345",
             "0.000000000000001", "9007199254740991", "1.7976931348623157"]
    cells += [f"{v:.{d}f}" for v, d in zip(rng.standard_normal(300) * 10.0 ** rng.integers(-3, 9, 300),
                                            rng.integers(0, 12, 300))]
    rows = [",".join(cells[i : i + 4]) + ",1" for i in range(0, len(cells) - 3, 4)]
    table = load_csv(write(tmp_path / "p.csv", "\n".join(rows) + "\n"))
    expected = np.array([[float(c) for c in row.split(",")[:4]] for row in rows])
    assert table.X.tobytes() == expected.tobytes()  # the same doubles, -0.0 included


def test_load_csv_takes_the_fast_readers_when_it_can(tmp_path, small_blocks, monkeypatch):
    def refuse(self, block):
        raise AssertionError("the csv module was used")

    plain, values, _ = table_text(100)
    lines = plain.splitlines()
    other = "\n".join(line.replace(",", ";", 2).replace(",", ",1e-3,").replace(";", ",") for line in lines) + "\n"
    monkeypatch.setattr(glassnet_data._Rows, "_add_csv", refuse)
    assert np.array_equal(load_csv(write(tmp_path / "p.csv", plain)).X, values)  # NumPy array operations
    assert np.array_equal(load_csv(write(tmp_path / "e.csv", other)).X[:, :3], values)  # np.loadtxt
    monkeypatch.setattr(glassnet_data._Rows, "_add_loadtxt", refuse)
    assert np.array_equal(load_csv(tmp_path / "p.csv").X, values)


def test_load_csv_float32(tmp_path, small_blocks):
    text, values, labels = table_text(100)
    path = write(tmp_path / "t.csv", text + "1e-3,2.5e1,-inf_is_not,cat\n".replace("-inf_is_not", "3"))
    table = load_csv(path, dtype="float32")
    assert table.X.dtype == np.float32 and table.X.shape == (101, 3)
    assert np.array_equal(table.X[:100], values.astype(np.float32))
    assert np.array_equal(table.X[100], np.array([0.001, 25, 3], np.float32))
    assert np.array_equal(load_csv(path, dtype=np.float32).X, table.X)
    with raises(ValueError, "t.csv, row 102, column 2 ('b'): expected a finite number, got '1e39' (beyond float32's"):
        load_csv(write(tmp_path / "t.csv", text + "1,1e39,2,cat\n"), dtype="float32")
    assert load_csv(tmp_path / "t.csv").X[100, 1] == 1e39  # fine in float64
    for bad in ("int64", "float16", "nonsense", 3):
        with raises(ValueError, "dtype must be float64 or float32, got"):
            load_csv(path, dtype=bad)


# ---------------------------------------------------------------- MNIST


def idx_bytes(values, code=0x08, dtype=">u1"):
    values = np.asarray(values)
    header = struct.pack(">BBBB", 0, 0, code, values.ndim) + struct.pack(f">{values.ndim}I", *values.shape)
    return header + values.astype(dtype).tobytes()


def mnist_arrays(n, seed, size=28):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, size, size)), rng.integers(0, 10, size=n)


def write_mnist_dir(directory, n_train=5, n_test=3, gz=False, sep="-"):
    directory.mkdir(exist_ok=True)
    parts = {"train": mnist_arrays(n_train, 1), "t10k": mnist_arrays(n_test, 2)}
    for prefix, (images, labels) in parts.items():
        for kind, values, dims in (("images", images, 3), ("labels", labels, 1)):
            data = idx_bytes(values)
            name = f"{prefix}-{kind}{sep}idx{dims}-ubyte"
            if gz:
                (directory / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (directory / name).write_bytes(data)
    return parts


@pytest.mark.parametrize("gz, sep", [(False, "-"), (True, "-"), (False, ".")])
def test_mnist_idx_directory(tmp_path, gz, sep):
    parts = write_mnist_dir(tmp_path / "m", gz=gz, sep=sep)
    X_train, X_test, y_train, y_test = mnist(tmp_path / "m")
    assert X_train.shape == (5, 784) and X_test.shape == (3, 784)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert np.array_equal(X_train, parts["train"][0].reshape(5, 784))
    assert np.array_equal(X_test[2], parts["t10k"][0][2].ravel())
    assert np.array_equal(y_train, parts["train"][1]) and np.array_equal(y_test, parts["t10k"][1])


def test_read_idx_other_types(tmp_path):
    values = np.array([[-3, 300], [7, -32000]])
    (tmp_path / "a.idx").write_bytes(idx_bytes(values, 0x0B, ">i2"))
    got = read_idx(tmp_path / "a.idx")
    assert got.dtype == np.int16 and got.tolist() == values.tolist()
    floats = np.array([0.5, -1.25, 3.0])
    (tmp_path / "f.idx").write_bytes(idx_bytes(floats, 0x0D, ">f4"))
    assert read_idx(tmp_path / "f.idx").tolist() == [0.5, -1.25, 3.0]


def test_read_idx_bad_files(tmp_path):
    good = idx_bytes(np.zeros((2, 3, 3)))
    cases = [
        (good[:2], "x is truncated: 2 bytes, fewer than the 4 bytes of an IDX magic number"),
        (b"\x1f\x8b\x08\x03" + good[4:], "x is not an IDX file: its magic number is 0x1F8B0803"),
        (good[:10], "x is truncated: its header needs 16 bytes for 3 dimensions, the file has 10"),
        (good[:-1], "x is truncated: its header promises 2 x 3 x 3 values (18 bytes) but only 17 bytes follow"),
        (good + b"\x00\x00", "x has 2 bytes after the 2 x 3 x 3 values its header describes"),
    ]
    for data, message in cases:
        (tmp_path / "x").write_bytes(data)
        with raises(ValueError, message):
            read_idx(tmp_path / "x")
    (tmp_path / "x").write_bytes(good)
    with raises(ValueError, "x has magic number 0x00000803, expected 0x00000801"):
        read_idx(tmp_path / "x", MNIST_LABELS_MAGIC)
    assert read_idx(tmp_path / "x", MNIST_IMAGES_MAGIC).shape == (2, 3, 3)
    (tmp_path / "x.gz").write_bytes(gzip.compress(good)[:-12])
    with raises(ValueError, "x.gz is not a complete gzip file"):
        read_idx(tmp_path / "x.gz")


def test_mnist_idx_directory_errors(tmp_path):
    d = tmp_path / "m"
    write_mnist_dir(d)
    labels = d / "train-labels-idx1-ubyte"
    labels.write_bytes(idx_bytes(np.arange(4)))
    with raises(ValueError, f"{labels} has 4 labels but {d / 'train-images-idx3-ubyte'} has 5 images"):
        mnist(d)
    labels.write_bytes(idx_bytes(np.zeros((5, 28, 28))))
    with raises(ValueError, f"{labels} has magic number 0x00000803, expected 0x00000801"):
        mnist(d)
    labels.write_bytes(idx_bytes(np.arange(5)))
    (d / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(mnist_arrays(3, 2, size=27)[0]))
    with raises(ValueError, "holds images of 784 pixels but"):
        mnist(d)
    (d / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(mnist_arrays(3, 2)[0])[:-5])
    with raises(ValueError, f"{d / 't10k-images-idx3-ubyte'} is truncated"):
        mnist(d)
    (d / "t10k-images-idx3-ubyte").unlink()
    with raises(ValueError, f"{d} lacks the MNIST IDX file(s) t10k-images-idx3-ubyte (plain or .gz)"):
        mnist(d)


def mnist_csv_text(n, seed, header=False):
    images, labels = mnist_arrays(n, seed)
    rows = [",".join(str(v) for v in [label, *image.ravel()]) for image, label in zip(images, labels)]
    head = ["label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))] if header else []
    return "\n".join(head + rows) + "\n", images.reshape(n, 784), labels


def test_mnist_csv_file_and_directory(tmp_path):
    text, images, labels = mnist_csv_text(4, 3)
    X, y = mnist(write(tmp_path / "digits.csv", text))
    assert X.shape == (4, 784) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(X, images) and np.array_equal(y, labels)
    (tmp_path / "windows.csv").write_bytes(text.replace("\n", "\r\n").encode())
    X_crlf, y_crlf = mnist(tmp_path / "windows.csv")
    assert np.array_equal(X_crlf, images) and np.array_equal(y_crlf, labels)
    # Kaggle's CSV copies start with a header row
    text_h, images_h, labels_h = mnist_csv_text(2, 4, header=True)
    d = tmp_path / "csvs"
    d.mkdir()
    write(d / "mnist_train_small.csv", text)
    with gzip.open(d / "mnist_test.csv.gz", "wt") as f:
        f.write(text_h)
    X_train, X_test, y_train, y_test = mnist(d)
    assert np.array_equal(X_train, images) and np.array_equal(y_test, labels_h)
    assert np.array_equal(X_test, images_h) and np.array_equal(y_train, labels)


def test_mnist_csv_errors(tmp_path):
    text, _, _ = mnist_csv_text(3, 5)
    rows = [line.split(",") for line in text.splitlines()]
    path = tmp_path / "bad.csv"

    def with_cells(i, **cells):
        """The file with row ``i`` (0-based) changed: ``c7="x"`` puts "x" in column 7."""
        changed = [list(row) for row in rows]
        for key, value in cells.items():
            changed[i][int(key[1:]) - 1] = value
        changed[i] = [cell for cell in changed[i] if cell is not None]
        return write(path, "\n".join(",".join(row) for row in changed) + "\n")

    with raises(ValueError, "bad.csv, row 2, column 7: expected a number, got 'x'"):
        mnist(with_cells(1, c7="x"))
    with raises(ValueError, "bad.csv, row 3: expected 785 cells (as in row 1), got 784"):
        mnist(with_cells(2, c785=None))
    with raises(ValueError, "bad.csv, row 1, column 2: pixels must be 0-255, got 256.0"):
        mnist(with_cells(0, c2="256"))
    with raises(ValueError, "bad.csv, row 3, column 785: pixels must be 0-255, got -1.0"):
        mnist(with_cells(2, c785="-1"))
    with raises(ValueError, "bad.csv, row 2, column 1: labels must be whole numbers >= 0, got 1.5"):
        mnist(with_cells(1, c1="1.5"))
    with raises(ValueError, "bad.csv: column 1 must hold digit labels (whole numbers), got names such as 'seven'"):
        mnist(with_cells(1, c1="seven"))
    with raises(ValueError, "bad.csv has 4 columns; MNIST CSV has 785"):
        mnist(write(path, "1,2,3,4\n5,6,7,8\n"))
    with raises(ValueError, "bad.csv is empty: it has no rows to read"):
        mnist(write(path, "\n"))
    with raises(FileNotFoundError, f"MNIST path not found: {tmp_path / 'nowhere'}"):
        mnist(tmp_path / "nowhere")


def test_mnist_csv_reads_plain_files_in_blocks_and_others_the_old_way(tmp_path, monkeypatch):
    text, images, labels = mnist_csv_text(3, 6, header=True)
    loadtxt = np.loadtxt

    def refuse(*args, **kwargs):
        raise AssertionError("np.loadtxt was used")

    monkeypatch.setattr(np, "loadtxt", refuse)
    X, y = mnist(write(tmp_path / "d.csv", text))
    assert np.array_equal(X, images) and np.array_equal(y, labels)
    monkeypatch.setattr(np, "loadtxt", loadtxt)
    # a comment line is skipped by np.loadtxt, as it always was
    X, y = mnist(write(tmp_path / "c.csv", text.replace("\n", "\n# a comment\n", 1)))
    assert np.array_equal(X, images) and np.array_equal(y, labels)


def test_mnist_directory_without_data(tmp_path):
    with raises(ValueError, "holds neither the four MNIST IDX files"):
        mnist(tmp_path)
    write(tmp_path / "mnist_train.csv", "")
    write(tmp_path / "mnist_train_100.csv", "")
    write(tmp_path / "mnist_test.csv", "")
    with raises(ValueError, "has several mnist_train*.csv files (mnist_train.csv, mnist_train_100.csv); keep one"):
        mnist(tmp_path)


def test_load_csv_without_labels_reads_every_column_as_a_feature(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,a,b\n7,1.5,2\n8,3,-4\n")
    table = load_csv(path, labelled=False, ignore=["id"])
    assert table.y is None and table.class_names == []
    assert table.feature_names == ["a", "b"]
    np.testing.assert_array_equal(table.X, [[1.5, 2.0], [3.0, -4.0]])
    with pytest.raises(ValueError, match="target='a' was given for a file read with labelled=False"):
        load_csv(path, labelled=False, target="a")
