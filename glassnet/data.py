"""Reading data from files.

``load_csv`` reads a user's own table, ``mnist`` reads MNIST as IDX files or
as CSV (label, then 784 pixels), ``read_idx`` reads one IDX file. They check
what they read and name the file, row and column of a problem. What is done
to the numbers afterwards lives in ``glassnet.preprocessing``.

Row numbers in error messages count the file's lines from 1, header included,
as a text editor shows them; column numbers count from 1, as a spreadsheet does.
"""

from __future__ import annotations

import csv
import gzip
import math
import numbers
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from glassnet.checks import describe, file_path

# ------------------------------------------------------------------ files


def _existing_path(path, what) -> Path:
    """``path`` as a ``Path`` to something that exists; ``what`` names it in the FileNotFoundError."""
    path = file_path("path", path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    return path


def _open_text(path: Path):
    """Open a text file, gunzipping a ``.gz`` one; a UTF-8 byte-order mark is dropped."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


# What a damaged gzip stream or a binary file raises while being read as text.
_READ_ERRORS = (UnicodeDecodeError, csv.Error, gzip.BadGzipFile, EOFError, zlib.error)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _names_preview(names, limit=8) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return f"[{shown}, ... {len(names) - limit} more]" if len(names) > limit else f"[{shown}]"


# -------------------------------------------------------------- load_csv


class Table(NamedTuple):
    """A table read by ``load_csv``.

    Attributes
    ----------
    X : ndarray of shape (N, n_features), float64
        The feature columns, in file order.
    y : ndarray of shape (N,), int64, or None
        Class indices: ``class_names[y[i]]`` is the label of row ``i``
        (None for a file read with ``labelled=False``).
    class_names : list of str
        ``class_names[k]`` names class ``k``.
    feature_names : list of str
        One name per column of ``X`` (``"column 3"`` when the file has no header).
    """

    X: np.ndarray
    y: np.ndarray
    class_names: list
    feature_names: list

    def __repr__(self):
        return (
            f"Table(X: {self.X.shape[0]} rows x {self.X.shape[1]} features, "
            f"{len(self.class_names)} classes {_names_preview(self.class_names)}, "
            f"features {_names_preview(self.feature_names)})"
        )


def _read_rows(path: Path, delimiter: str):
    """``(line number, stripped cells)`` for every row that has a non-empty cell."""
    rows = []
    try:
        with _open_text(path) as f:
            reader = csv.reader(f, delimiter=delimiter)
            for cells in reader:
                cells = [cell.strip() for cell in cells]
                if any(cells):
                    rows.append((reader.line_num, cells))
    except _READ_ERRORS as exc:
        raise ValueError(f"{path} could not be read as a UTF-8 CSV text file: {exc}") from exc
    return rows


def _has_header(rows) -> bool:
    """A first row is a header when it has text where the second row has a number."""
    first = rows[0][1]
    if len(rows) == 1:
        return not any(_is_number(cell) for cell in first)
    second = rows[1][1]
    return any(not _is_number(a) and _is_number(b) for a, b in zip(first, second))


def _column_index(arg, column, names, has_header, path) -> int:
    """The 0-based index of ``column`` (a header name or an index); ``arg`` names the argument."""
    n_cols = len(names)
    if isinstance(column, str):
        if not has_header:
            raise ValueError(
                f"{arg} {column!r} is a column name but {path} has no header row; "
                f"give the column's 0-based index instead (0 to {n_cols - 1}, or -1 for the last)"
            )
        matches = [j for j, name in enumerate(names) if name == column]
        if not matches:
            raise ValueError(f"{arg} {column!r} is not a column of {path}; its columns are {_names_preview(names)}")
        if len(matches) > 1:
            columns = ", ".join(str(j + 1) for j in matches)
            raise ValueError(f"{arg} {column!r} names several columns of {path} (columns {columns}); give its index")
        return matches[0]
    if isinstance(column, numbers.Integral) and not isinstance(column, bool):
        if not -n_cols <= column < n_cols:
            raise ValueError(
                f"{arg} index {column} is out of range: {path} has {n_cols} columns "
                f"(0-based indexes 0 to {n_cols - 1}, or -1 to {-n_cols} from the end)"
            )
        return int(column) % n_cols
    raise TypeError(f"{arg} must be a column name (str) or a 0-based column index (int), got {describe(column)}")


def load_csv(path, target=None, header="auto", delimiter=",", ignore=(), labelled=True):
    """Read a CSV file of numeric features and a class label into a ``Table``.

    Parameters
    ----------
    path : str or os.PathLike
        The file; a name ending in ``.gz`` is gunzipped. Blank lines, and rows
        whose cells are all empty, are skipped.
    target : str, int or None
        The label column: a header name, a 0-based index (negative counts from
        the end), or ``None`` for the last column. Every other column is a feature.
    header : "auto", True or False
        Whether the first row holds column names. ``"auto"`` decides it is a
        header when some cell of it is not a number while the cell below it is
        (a one-row file is a header when none of its cells is a number).
    delimiter : str
        The one character between cells.
    ignore : sequence of str or int
        Columns that are neither features nor the label, such as an ID column:
        names or 0-based indexes, as for ``target``.
    labelled : bool
        ``False`` for a file with no label column (data to predict): every
        column that is not ignored is a feature, ``y`` is None and
        ``class_names`` is empty.

    Returns
    -------
    Table
        ``(X, y, class_names, feature_names)``. Labels that are all whole
        numbers >= 0 are kept as they are, with ``class_names`` "0", "1", ...
        up to the largest; any other labels are names, sorted, and ``y`` holds
        each row's position in that sorted list.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        For an empty file, a header with no data, rows of different lengths,
        and an empty, non-numeric, NaN or infinite feature: the message gives
        the file, the row (1-based line number) and the column (1-based
        number and, with a header, its name).

    Examples
    --------
    >>> table = load_csv("flowers.csv", target="species")  # doctest: +SKIP
    >>> table.X.shape, table.class_names                   # doctest: +SKIP
    ((150, 4), ['setosa', 'versicolor', 'virginica'])
    """
    path = _existing_path(path, "CSV file")
    if path.is_dir():
        raise ValueError(f"{path} is a directory; load_csv expects a CSV file")
    if not (header is True or header is False or (isinstance(header, str) and header == "auto")):
        raise ValueError(f"header must be 'auto', True or False, got {describe(header)}")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be a single character such as ',' or ';', got {describe(delimiter)}")

    rows = _read_rows(path, delimiter)
    if not rows:
        raise ValueError(f"{path} is empty: it has no rows to read")
    has_header = _has_header(rows) if header == "auto" else header
    first_line, first = rows[0]
    n_cols = len(first)
    if has_header:
        names = [name or f"column {j + 1}" for j, name in enumerate(first)]
        rows = rows[1:]
        if not rows:
            raise ValueError(f"{path} has a header row but no data rows")
    else:
        names = [f"column {j + 1}" for j in range(n_cols)]
    if not labelled:
        if target is not None:
            raise ValueError(f"target={target!r} was given for a file read with labelled=False")
        t = None
    else:
        t = n_cols - 1 if target is None else _column_index("target", target, names, has_header, path)
    if not isinstance(ignore, (list, tuple)):
        raise TypeError(f"ignore must be a list or tuple of column names or indexes, got {describe(ignore)}")
    ignored = {_column_index("ignore", column, names, has_header, path) for column in ignore}
    if t in ignored:
        raise ValueError(f"column {t + 1} ({names[t]!r}) is the target; it cannot also be in ignore")

    def where(line, j):
        return f"{path}, row {line}, column {j + 1}" + (f" ({names[j]!r})" if has_header else "")

    features = [j for j in range(n_cols) if j != t and j not in ignored]
    if not features:
        raise ValueError(f"{path} has no feature column: every column is the target or ignored")
    X = np.empty((len(rows), len(features)))
    for i, (line, cells) in enumerate(rows):
        if len(cells) != n_cols:
            raise ValueError(
                f"{path}, row {line}: expected {n_cols} cells (as in row {first_line}), got {len(cells)}"
            )
        try:
            X[i] = [float(cells[j]) for j in features]
        except ValueError:
            j = next(j for j in features if not _is_number(cells[j]))
            if not cells[j]:
                raise ValueError(f"{where(line, j)}: the cell is empty; every feature needs a number") from None
            raise ValueError(f"{where(line, j)}: expected a number, got {cells[j]!r}") from None
    if not np.all(np.isfinite(X)):
        i, k = np.argwhere(~np.isfinite(X))[0]
        line, cells = rows[i]
        raise ValueError(f"{where(line, features[k])}: expected a finite number, got {cells[features[k]]!r}")

    feature_names = [names[j] for j in features]
    if t is None:
        return Table(X, None, [], feature_names)
    y, class_names = _labels([(line, cells[t]) for line, cells in rows], lambda line: where(line, t))
    return Table(X, y, class_names, feature_names)


def _labels(cells, where):
    """Class indices and class names for the label cells ``[(line, text), ...]``."""
    for line, text in cells:
        if not text:
            raise ValueError(f"{where(line)}: the class label is empty")
    if all(_is_number(text) for _, text in cells):
        for line, text in cells:
            value = float(text)
            if not (math.isfinite(value) and value >= 0 and value == round(value)):
                raise ValueError(
                    f"{where(line)}: class labels must be names or whole numbers >= 0, got {text!r}"
                )
        y = np.array([float(text) for _, text in cells]).astype(np.int64)
        return y, [str(k) for k in range(int(y.max()) + 1)]
    class_names = sorted({text for _, text in cells})
    index = {name: k for k, name in enumerate(class_names)}
    return np.array([index[text] for _, text in cells], dtype=np.int64), class_names


# ----------------------------------------------------------------- MNIST

# IDX type codes (third byte of the magic number) and the big-endian dtypes they stand for.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (count, rows, columns)
MNIST_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (count)
# The four files of the MNIST distribution; Kaggle's copies write ".idx" for "-idx".
_MNIST_FILES = {
    "train images": "train-images-idx3-ubyte",
    "train labels": "train-labels-idx1-ubyte",
    "test images": "t10k-images-idx3-ubyte",
    "test labels": "t10k-labels-idx1-ubyte",
}


def _read_bytes(path: Path) -> bytes:
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path} is not a complete gzip file: {exc}") from exc


def read_idx(path, magic=None):
    """Read one IDX file (plain or ``.gz``) into an array of the shape its header gives.

    An IDX file starts with a 4-byte magic number: two zero bytes, a type code
    (0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64) and the number of dimensions; then one big-endian uint32 per
    dimension, then the values, row-major.

    Parameters
    ----------
    path : str or os.PathLike
    magic : int, optional
        The magic number the file must have, e.g. ``MNIST_IMAGES_MAGIC``
        (0x00000803) or ``MNIST_LABELS_MAGIC`` (0x00000801).

    Returns
    -------
    ndarray
        In native byte order (``uint8`` for MNIST).

    Raises
    ------
    ValueError
        Naming the file, for a wrong magic number, a truncated file or bytes
        left over after the values the header describes.
    """
    path = _existing_path(path, "IDX file")
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, fewer than the 4 bytes of an IDX magic number")
    found = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES or data[3] == 0:
        raise ValueError(
            f"{path} is not an IDX file: its magic number is 0x{found:08X}; an IDX magic number is two zero "
            "bytes, a type code (0x08 for unsigned bytes) and the number of dimensions, e.g. 0x00000803"
        )
    if magic is not None and found != magic:
        raise ValueError(f"{path} has magic number 0x{found:08X}, expected 0x{magic:08X}")
    ndim = data[3]
    start = 4 + 4 * ndim
    if len(data) < start:
        raise ValueError(
            f"{path} is truncated: its header needs {start} bytes for {ndim} dimensions, the file has {len(data)}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:start])
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected, got = math.prod(shape) * dtype.itemsize, len(data) - start
    dims = " x ".join(str(d) for d in shape)
    if got < expected:
        raise ValueError(
            f"{path} is truncated: its header promises {dims} values ({expected:,} bytes) but only {got:,} bytes follow"
        )
    if got > expected:
        raise ValueError(
            f"{path} has {got - expected:,} bytes after the {dims} values its header describes; "
            "the file is damaged or not an IDX file"
        )
    return np.frombuffer(data, dtype, offset=start).reshape(shape).astype(dtype.newbyteorder("="))


def _mnist_idx(images_path: Path, labels_path: Path):
    images = read_idx(images_path, MNIST_IMAGES_MAGIC)
    labels = read_idx(labels_path, MNIST_LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(
            f"{labels_path} has {len(labels):,} labels but {images_path} has {len(images):,} images; "
            "they must be the same number"
        )
    return images.reshape(len(images), -1).astype(np.float64), labels.astype(np.int64)


def _mnist_csv(path: Path):
    """``X, y`` from an MNIST CSV file: each row a label, then 784 pixels 0-255; an optional header."""
    try:
        with _open_text(path) as f:
            first = next((line for line in f if line.strip()), None)
            if first is None:
                raise ValueError(f"{path} is empty: it has no rows to read")
            has_header = not _is_number(first.split(",")[0])
            if not has_header:
                f.seek(0)
            try:
                # numpy's C parser reads the 60,000-row file in seconds; the csv module takes minutes.
                table = np.loadtxt(f, delimiter=",", ndmin=2)
            except ValueError:
                table = None
    except _READ_ERRORS as exc:
        raise ValueError(f"{path} could not be read as a UTF-8 CSV text file: {exc}") from exc
    if table is None:
        # loadtxt stops at the first bad cell without naming the file; load_csv finds
        # it again and says where (it also reads quoted cells, which loadtxt does not).
        parsed = load_csv(path, target=0, header=has_header)
        if parsed.class_names != [str(k) for k in range(len(parsed.class_names))]:
            raise ValueError(
                f"{path}: column 1 must hold digit labels (whole numbers), got names such as "
                f"{parsed.class_names[-1]!r}"
            )
        X, y = parsed.X, parsed.y.astype(np.float64)
    else:
        X, y = table[:, 1:], table[:, 0]
    if X.shape[1] != 784:
        raise ValueError(
            f"{path} has {X.shape[1] + 1} columns; MNIST CSV has 785: the label, then 28 x 28 = 784 pixels"
        )
    first_row = 1 + has_header
    bad = np.flatnonzero(~np.isfinite(y) | (y < 0) | (y != np.round(y)))
    if len(bad):
        raise ValueError(
            f"{path}, row {first_row + bad[0]}, column 1: labels must be whole numbers >= 0, got {y[bad[0]].item()!r}"
        )
    bad = np.argwhere(~np.isfinite(X) | (X < 0) | (X > 255))
    if len(bad):
        i, j = bad[0]
        raise ValueError(f"{path}, row {first_row + i}, column {j + 2}: pixels must be 0-255, got {X[i, j].item()!r}")
    return X, y.astype(np.int64)


def _find_one(directory: Path, patterns, what):
    found = sorted({p for pattern in patterns for p in directory.glob(pattern)})
    if len(found) > 1:
        raise ValueError(f"{directory} has several {what} files ({', '.join(p.name for p in found)}); keep one")
    return found[0] if found else None


def mnist(path):
    """Read MNIST (or a data set in its format) from IDX or CSV files.

    Parameters
    ----------
    path : str or os.PathLike
        Either a directory holding

        - the four IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
          ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may end in
          ``.gz``, and ``.idx`` may stand for ``-idx``; a plain file wins over
          its ``.gz``), or
        - one ``mnist_train*.csv`` and one ``mnist_test*.csv`` (or ``.csv.gz``),

        or a single MNIST CSV file. In MNIST CSV every row is the label, then
        784 pixel values 0-255 (28 x 28, row by row); a header row is skipped.

    Returns
    -------
    X_train, X_test, y_train, y_test
        For a directory: float64 pixels of shape (N, 784) and int64 labels.
    X, y
        For a single CSV file.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        Naming the file: a missing IDX file, a wrong magic number, a truncated
        file, a label count that differs from the image count, train and test
        images of different sizes, or a bad CSV row.
    """
    path = _existing_path(path, "MNIST path")
    if not path.is_dir():
        return _mnist_csv(path)
    idx = {}
    for key, stem in _MNIST_FILES.items():
        candidates = [path / f"{name}{gz}" for gz in ("", ".gz") for name in (stem, stem.replace("-idx", ".idx"))]
        idx[key] = next((file for file in candidates if file.is_file()), None)
    if any(idx.values()):
        missing = [_MNIST_FILES[key] for key, found in idx.items() if found is None]
        if missing:
            raise ValueError(f"{path} lacks the MNIST IDX file(s) {', '.join(missing)} (plain or .gz)")
        X_train, y_train = _mnist_idx(idx["train images"], idx["train labels"])
        X_test, y_test = _mnist_idx(idx["test images"], idx["test labels"])
        if X_train.shape[1] != X_test.shape[1]:
            raise ValueError(
                f"{idx['train images']} holds images of {X_train.shape[1]} pixels but {idx['test images']} "
                f"holds images of {X_test.shape[1]}; train and test images must be the same size"
            )
        return X_train, X_test, y_train, y_test
    train = _find_one(path, ("mnist_train*.csv", "mnist_train*.csv.gz"), "mnist_train*.csv")
    test = _find_one(path, ("mnist_test*.csv", "mnist_test*.csv.gz"), "mnist_test*.csv")
    if train is None or test is None:
        raise ValueError(
            f"{path} holds neither the four MNIST IDX files ({', '.join(_MNIST_FILES.values())}, plain or .gz) "
            "nor a pair of mnist_train*.csv and mnist_test*.csv files"
        )
    X_train, y_train = _mnist_csv(train)
    X_test, y_test = _mnist_csv(test)
    return X_train, X_test, y_train, y_test
