"""Reading data from files.

``load_csv`` reads a user's own table, ``mnist`` reads MNIST as IDX files or
as CSV (label, then 784 pixels), ``read_idx`` reads one IDX file. They check
what they read and name the file, row and column of a problem. What is done
to the numbers afterwards lives in ``glassnet.preprocessing``.

Row numbers in error messages count the file's lines from 1, header included,
as a text editor shows them; column numbers count from 1, as a spreadsheet does.

How ``load_csv`` reads a big file
---------------------------------
It used to hand every cell to Python (the csv module, then ``float()``) and to
keep every row's cells as a list: a 200 MB MNIST-like file took 43 s and 2.7 GB
over the 0.7 GB array (benchmarks/bench_csv.py). Now the
file is read in blocks of whole lines (256 KiB, so that one block's arrays stay
in the CPU cache) straight into a preallocated ``X`` of the final dtype, and
each block is parsed by the first of three readers that takes all of it:

1. NumPy array operations on the block's bytes, when every feature cell is a
   plain decimal number (an optional sign, digits, at most one point, up to
   15 significant digits: ``255``, ``-0.5``, ``3.25``), which is what most
   machine-written tables hold. Separators are found with one vectorised
   comparison, each row is checked to have its cells, and the cells' digits
   are combined column by column (``_plain_numbers``). The number is then
   ``m / 10**p`` with ``m < 2**53`` and ``p <= 17``, two floats that are
   exact, so the one division rounds correctly: the result is the very double
   ``float()`` gives for the text (Clinger's fast path), which is why this
   reader is not an approximation. It is 2 to 7 times faster than
   ``np.loadtxt`` (benchmarks/bench_csv.py): NumPy's C reader hands every
   number to Python's correctly rounding ``PyOS_string_to_double``, which is
   about as slow as the old Python loop on short numbers like MNIST's pixels.
2. ``np.loadtxt`` (NumPy's C reader, NumPy >= 1.23) on the block, for the
   numbers the first reader leaves (exponents, ``nan``, spaces around cells),
   with the label and ignored columns read through converters and
   ``comments=None``. Its numbers are those of ``float()`` too; it accepts no
   cell that ``float()`` refuses.
3. The csv module, row by row, for a block with quotes (a quoted cell may hold
   the delimiter or a line break), NUL bytes or lone ``\\r`` line ends, and for
   a block in which the others found a bad cell: it raises the same error, for
   the same row and column, as the old reader did.

Labels are kept as a code per row and one text per distinct label, and a row's
line number is kept as a run of lines, so the peak memory is about ``X`` plus
one block's arrays. Errors come in the order they came when the whole file was
read first: a part of the file that is not UTF-8 (or a damaged gzip stream),
then the first bad row, then the first non-finite feature, then labels.
pandas.read_csv (not a glassnet dependency) is faster on a table of floats and
slower on MNIST-like data, and peaks at 2.3 to 2.8 times what it returns.
"""

from __future__ import annotations

import bisect
import collections
import csv
import gzip
import io
import math
import numbers
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from glassnet.checks import describe, file_path, path_text, shown
from glassnet.memory import check_affordable

# ------------------------------------------------------------------ files


def _existing_path(path, what) -> Path:
    """``path`` as a ``Path`` to something that exists; ``what`` names it in the FileNotFoundError."""
    path = file_path("path", path)
    try:
        exists = path.exists()
    except OSError as exc:  # a name too long for the system, and the like
        raise ValueError(f"{what} {path_text(path)}: {exc.strerror or exc}") from None
    if not exists:
        raise FileNotFoundError(f"{what} not found: {path_text(path)}")
    if not path.is_dir() and not path.is_file():
        # a device (/dev/zero never ends), a FIFO or a socket: reading it could take unbounded time and memory
        raise ValueError(f"{path_text(path)} is not a regular file; a {what} must be a file (or, for MNIST, a folder)")
    return path


def open_text(path: Path):
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
    shown_names = ", ".join(shown(name, 40) for name in names[:limit])
    return f"[{shown_names}, ... {len(names) - limit} more]" if len(names) > limit else f"[{shown_names}]"


# -------------------------------------------------------------- load_csv


class Table(NamedTuple):
    """A table read by ``load_csv``.

    Attributes
    ----------
    X : ndarray of shape (N, n_features), float64 (or float32 when asked for)
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


# A block of about this many bytes is parsed at a time: big enough that NumPy's cost per call
# is small next to the work, small enough that one block's temporaries stay in the CPU cache.
_BLOCK_BYTES = 1 << 18
_UTF8_BOM = b"\xef\xbb\xbf"
_POW10_FLOAT = 10.0 ** np.arange(19)  # exact
_EXACT = 2**53  # integers below this are exact in float64
# whole-number labels are classes 0 to the largest: a larger label than this is refused, not a network with
# millions of outputs (a label 2e6 once asked for 2,000,001 classes and 4 GB)
MAX_LABEL = 10_000


def _count_lines(raw) -> int:
    """The lines in ``raw`` (bytes or str) as the csv module counts them: each ends at \\n, \\r or \\r\\n."""
    nl, cr = ("\n", "\r") if isinstance(raw, str) else (b"\n", b"\r")
    n = raw.count(nl)
    if cr in raw:
        n += raw.count(cr) - raw.count(cr + nl)
    return n + (bool(raw) and not raw.endswith((nl, cr)))


class _Block:
    """Whole lines of the file: ``raw`` bytes, their ``text``, the number of their first ``line`` and
    how many lines they are (``n_lines``)."""

    __slots__ = ("raw", "line", "_text", "_n_lines")

    def __init__(self, raw: bytes, line: int, text: str | None = None, n_lines: int | None = None):
        self.raw, self.line, self._text, self._n_lines = raw, line, text, n_lines

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.raw.decode("utf-8")  # already checked to be UTF-8 when it was read
        return self._text

    @property
    def n_lines(self) -> int:
        if self._n_lines is None:
            self._n_lines = _count_lines(self.raw)
        return self._n_lines


class _Reader:
    """A CSV file (plain or gzipped) as ``_Block``s of whole lines, a UTF-8 BOM dropped, each checked to be UTF-8."""

    def __init__(self, path: Path):
        self.path = path
        self.line = 1  # the number of the next line to be read
        self.bytes_read = 0  # of the text, after a BOM
        self._first = True
        self._broken = False
        self._last = None
        self._file = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._file.close()

    def size_hint(self) -> int:
        """The size of the text: the file's size, or for a .gz file the size its trailer gives (modulo 4 GiB)."""
        size = self.path.stat().st_size
        if self.path.suffix != ".gz" or size < 18:
            return size
        with open(self.path, "rb") as f:
            f.seek(-4, 2)
            return int.from_bytes(f.read(4), "little")

    def _failed(self, exc):
        self._broken = True
        return ValueError(f"{path_text(self.path)} could not be read as a UTF-8 CSV text file: {exc}")

    def _checked(self, raw: bytes) -> _Block:
        if self._first:
            self._first = False
            if raw.startswith(_UTF8_BOM):
                raw = raw[len(_UTF8_BOM) :]
        try:
            text = None if raw.isascii() else raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            # the position counts the bytes from the start of the text, after a BOM
            start, end = self.bytes_read + exc.start, self.bytes_read + exc.end
            if exc.end == exc.start + 1:
                problem = f"byte 0x{exc.object[exc.start]:02x} in position {start}"
            else:
                problem = f"bytes in position {start}-{end - 1}"
            raise self._failed(f"'{exc.encoding}' codec can't decode {problem}: {exc.reason}") from exc
        block = _Block(raw, self.line, text)
        self.bytes_read += len(raw)
        self.line += block.n_lines
        return block

    def read(self, size=None) -> _Block | None:
        """The next block of about ``size`` bytes (more to end on a line break); None at the end of the file."""
        try:
            raw = self._file.read(size or _BLOCK_BYTES)
            if raw and not raw.endswith(b"\n"):
                raw += self._file.readline()
        except _READ_ERRORS as exc:
            raise self._failed(exc) from exc
        self._last = raw  # kept until the next block is read, for the reason _Scratch.where gives
        return self._checked(raw) if raw else None

    def read_line(self) -> str:
        """The next line (which may hold more than one line that ends in a lone \\r); "" at the end of the file."""
        try:
            raw = self._file.readline()
        except _READ_ERRORS as exc:
            raise self._failed(exc) from exc
        return self._checked(raw).text

    def drain(self):
        """Read the rest of the file, so that a part that is not UTF-8 (or a damaged gzip stream) is reported first."""
        while not self._broken and self.read(1 << 22) is not None:
            pass


def _head(reader: _Reader, delimiter: str):
    """The file's first two rows that have a non-empty cell, as ``(line, stripped cells)``, and the block after
    the first of them (``body``) and the block from the file's start (``whole``); None for an empty one."""
    raw, text, eof = b"", "", False
    while True:
        block = reader.read()
        if block is None:
            eof = True
        else:
            raw, text = raw + block.raw, text + block.text
        rows = []
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for cells in records:
                cells = [cell.strip() for cell in cells]
                if any(cells):
                    rows.append((records.line_num, cells))
                    if len(rows) == 2:
                        break
        except csv.Error as exc:
            raise reader._failed(exc) from exc
        # a row that ends on the text's last line might go on in the next block (a quoted line break)
        if eof or (len(rows) == 2 and records.line_num < _count_lines(text)):
            break
    whole = _Block(raw, 1, text) if raw else None
    if not rows:
        return rows, None, whole
    head_lines = rows[0][0]
    lines = io.StringIO(text, newline="")
    head = "".join(next(lines) for _ in range(head_lines))
    offset = len(head.encode("utf-8"))
    body = _Block(raw[offset:], head_lines + 1, text[len(head) :]) if offset < len(raw) else None
    return rows, body, whole


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
                f"{arg} {shown(column)} is a column name but {path_text(path)} has no header row; "
                f"give the column's 0-based index instead (0 to {n_cols - 1}, or -1 for the last)"
            )
        matches = [j for j, name in enumerate(names) if name == column]
        if not matches:
            raise ValueError(
                f"{arg} {shown(column)} is not a column of {path_text(path)}; its columns are {_names_preview(names)}"
            )
        if len(matches) > 1:
            columns = ", ".join(str(j + 1) for j in matches)
            raise ValueError(
                f"{arg} {shown(column)} names several columns of {path_text(path)} (columns {columns}); give its index"
            )
        return matches[0]
    if isinstance(column, numbers.Integral) and not isinstance(column, bool):
        if not -n_cols <= column < n_cols:
            raise ValueError(
                f"{arg} index {shown(column)} is out of range: {path_text(path)} has {n_cols} columns "
                f"(0-based indexes 0 to {n_cols - 1}, or -1 to {-n_cols} from the end)"
            )
        return int(column) % n_cols
    raise TypeError(f"{arg} must be a column name (str) or a 0-based column index (int), got {describe(column)}")


def _float_dtype(dtype) -> np.dtype:
    try:
        found = np.dtype(dtype)
    except (TypeError, ValueError):
        found = None
    if found not in (np.float64, np.float32):
        raise ValueError(f"dtype must be float64 or float32, got {describe(dtype)}")
    return found


def load_csv(path, target=None, header="auto", delimiter=",", ignore=(), labelled=True, dtype=np.float64):
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
    dtype : float64 or float32
        The dtype of ``X``. float32 halves its memory; every number is read as
        a float64 first, then rounded to float32 (one beyond float32's range
        is reported as not finite).

    Returns
    -------
    Table
        ``(X, y, class_names, feature_names)``. Labels that are all whole
        numbers >= 0 are kept as they are, with ``class_names`` "0", "1", ...
        up to the largest (below ``MAX_LABEL``); any other labels are names, sorted, and ``y`` holds
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

    Notes
    -----
    The file is read in blocks of whole lines, straight into ``X``; how each
    block is parsed, and why the numbers are exactly those ``float()`` gives,
    is described in the module's docstring.

    Examples
    --------
    >>> table = load_csv("flowers.csv", target="species")  # doctest: +SKIP
    >>> table.X.shape, table.class_names                   # doctest: +SKIP
    ((150, 4), ['setosa', 'versicolor', 'virginica'])
    """
    path = _existing_path(path, "CSV file")
    if path.is_dir():
        raise ValueError(f"{path_text(path)} is a directory; load_csv expects a CSV file")
    if not (header is True or header is False or (isinstance(header, str) and header == "auto")):
        raise ValueError(f"header must be 'auto', True or False, got {describe(header)}")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be a single character such as ',' or ';', got {describe(delimiter)}")
    dtype = _float_dtype(dtype)
    with _Reader(path) as reader:
        try:
            return _load_csv(reader, target, header, delimiter, ignore, labelled, dtype)
        except (ValueError, TypeError):
            # The whole file used to be read before anything was checked: a part of it that
            # cannot be read is still the error reported, wherever it is.
            reader.drain()
            raise


def _load_csv(reader, target, header, delimiter, ignore, labelled, dtype):
    path = reader.path
    rows, body, whole = _head(reader, delimiter)
    if not rows:
        raise ValueError(f"{path_text(path)} is empty: it has no rows to read")
    has_header = _has_header(rows) if header == "auto" else header
    first_line, first = rows[0]
    n_cols = len(first)
    if has_header:
        names = [name or f"column {j + 1}" for j, name in enumerate(first)]
        if len(rows) == 1:
            raise ValueError(f"{path_text(path)} has a header row but no data rows")
    else:
        names = [f"column {j + 1}" for j in range(n_cols)]
        body = whole
    if not labelled:
        if target is not None:
            raise ValueError(f"target={shown(target)} was given for a file read with labelled=False")
        t = None
    else:
        t = n_cols - 1 if target is None else _column_index("target", target, names, has_header, path)
    if not isinstance(ignore, (list, tuple)):
        raise TypeError(f"ignore must be a list or tuple of column names or indexes, got {describe(ignore)}")
    ignored = {_column_index("ignore", column, names, has_header, path) for column in ignore}
    if t in ignored:
        raise ValueError(f"column {t + 1} ({shown(names[t], 40)}) is the target; it cannot also be in ignore")
    features = [j for j in range(n_cols) if j != t and j not in ignored]
    if not features:
        raise ValueError(f"{path_text(path)} has no feature column: every column is the target or ignored")

    # Room for the rows the file seems to hold, judged from the first block; pages that are
    # never written cost no memory, and the array grows if the guess was short.
    n_lines = body.n_lines
    rest = max(0, reader.size_hint() - reader.bytes_read)
    capacity = n_lines + math.ceil(1.05 * n_lines * rest / max(1, len(body.raw))) + 16
    table = _Rows(reader, delimiter, names, has_header, first_line, features, t, ignored, dtype, capacity)
    block = body
    while block is not None:
        table.add(block)
        block = reader.read()
    return table.result()


class _Rows:
    """The rows of ``load_csv``'s table as they are read: ``X``, label codes, and their line numbers."""

    def __init__(self, reader, delimiter, names, has_header, first_line, features, t, ignored, dtype, capacity):
        self.reader, self.path, self.delimiter = reader, reader.path, delimiter
        self.names, self.has_header, self.first_line = names, has_header, first_line
        self.n_cols, self.features, self.t, self.ignored, self.dtype = len(names), features, t, ignored, dtype
        contiguous = features == list(range(features[0], features[-1] + 1))
        self.feature_index = slice(features[0], features[-1] + 1) if contiguous else np.array(features)
        self.X = np.empty((capacity, len(features)), dtype)
        self.codes = None if t is None else np.empty(capacity, np.int64)
        self.label_codes = {}  # label text -> code, in the order first seen
        self.n = 0
        self._rows, self._lines = [], []  # row i is on line _lines[k] + i - _rows[k], k the last with _rows[k] <= i
        self.not_finite = None  # (line, column, text) of the first feature that is NaN or infinite
        ascii_delimiter = delimiter.isascii() and delimiter not in '"\r\n'
        self.delimiter_byte = ord(delimiter) if ascii_delimiter else None
        self.loadtxt_ok = delimiter not in '"\r\n'
        self.scratch = _Scratch()

    # ------------------------------------------------------------ storing

    def _reserve(self, n_rows) -> int:
        """Room for ``n_rows`` more rows; returns the index of the first."""
        need = self.n + n_rows
        if need > len(self.X):
            capacity = max(need, len(self.X) + len(self.X) // 4 + 1024)
            self.X.resize((capacity, self.X.shape[1]), refcheck=False)
            if self.codes is not None:
                self.codes.resize(capacity, refcheck=False)
        return self.n

    def _on_lines(self, row, line):
        """Row ``row`` (and those after it, until said otherwise) is on line ``line`` (and the lines after it)."""
        if not self._rows or line - self._lines[-1] != row - self._rows[-1]:
            self._rows.append(row)
            self._lines.append(line)

    def line_of(self, row) -> int:
        k = bisect.bisect_right(self._rows, row) - 1
        return self._lines[k] + row - self._rows[k]

    def _codes_of(self, texts):
        """The codes of the label ``texts``, new texts getting new codes."""
        codes = self.label_codes
        return np.array([codes.setdefault(text, len(codes)) for text in texts], dtype=np.int64)

    def where(self, line, j):
        name = f" ({shown(self.names[j], 40)})" if self.has_header else ""
        return f"{path_text(self.path)}, row {line}, column {j + 1}{name}"

    # ------------------------------------------------------------ parsing

    def add(self, block: _Block):
        """Parse the rows of ``block``: by NumPy array operations when its features are plain decimal numbers,
        else by ``np.loadtxt``, else (quotes, a bad cell) cell by cell with the csv module."""
        while block is not None and block.raw:
            raw = block.raw
            if self.delimiter_byte is not None and b'"' not in raw and b"\0" not in raw and self._add_plain(block):
                return
            text = block.text
            if self.loadtxt_ok and '"' not in text and "\0" not in text and self._add_loadtxt(block):
                return
            block = self._add_csv(block)

    def _add_plain(self, block) -> bool:
        raw = block.raw
        if b"\r" in raw:
            if raw.count(b"\r") != raw.count(b"\r\n"):
                return False
            raw = raw.replace(b"\r\n", b"\n")  # the same lines
        # The bytes with a line break in front, so that every cell has a separator before it as well as after it.
        n = len(raw)
        b = self.scratch("bytes", n + 2, np.uint8)
        b[0] = b[n + 1] = 10
        b[1 : n + 1] = np.frombuffer(raw, np.uint8)
        b = b[: n + 1] if raw.endswith(b"\n") else b
        is_sep = np.equal(b, self.delimiter_byte, out=self.scratch("is_sep", len(b), bool))
        is_sep |= np.equal(b, 10, out=self.scratch("is_newline", len(b), bool))
        seps = self.scratch.where("seps", is_sep)
        n_rows = (len(seps) - 1) // self.n_cols
        if n_rows * self.n_cols != len(seps) - 1 or block.n_lines != n_rows:
            return False
        ends = seps[1:].reshape(n_rows, self.n_cols)  # where each cell ends,
        before = seps[:-1].reshape(n_rows, self.n_cols)  # and the separator before it
        if not (b[ends[:, -1]] == 10).all():
            return False  # every row has n_cols cells, or one of them is not where a row ends
        f = self.feature_index
        r = self._reserve(n_rows)
        signs, points = b"-" in raw or b"+" in raw, b"." in raw
        if not _plain_numbers(b, ends[:, f], before[:, f], self.X[r : r + n_rows], self.scratch, signs, points):
            return False
        if self.t is not None:
            texts, inverse = _cell_texts(b, ends[:, self.t], before[:, self.t] + 1)
            self.codes[r : r + n_rows] = self._codes_of(texts)[inverse]
        self._on_lines(r, block.line)
        self.n += n_rows
        return True

    def _add_loadtxt(self, block) -> bool:
        text = block.text
        if not text.strip():
            return True  # blank lines only
        texts = {}
        converters = {j: _ignored_cell for j in self.ignored}
        if self.t is not None:
            converters[self.t] = lambda cell: texts.setdefault(cell.strip(), len(texts))
        # comments=None: '#' is not a comment; encoding=None: the converters get str (NumPy 1 gave them bytes).
        # The numbers are those float() gives: both use PyOS_string_to_double.
        options = {"delimiter": self.delimiter, "comments": None, "converters": converters or None, "encoding": None}
        try:
            table = np.loadtxt(io.StringIO(text), ndmin=2, **options)
        except ValueError:
            return False
        n_rows = len(table)
        if table.shape[1] != self.n_cols:
            return False
        offsets = None
        if n_rows != block.n_lines:
            # np.loadtxt skips empty lines: find which rows are on which lines
            lines = list(io.StringIO(text, newline=""))
            offsets = [i for i, line in enumerate(lines) if line not in ("\n", "\r\n")]
            if len(offsets) != n_rows:
                return False
        r = self._reserve(n_rows)
        with np.errstate(over="ignore"):  # float32: a number beyond its range becomes inf, reported below
            self.X[r : r + n_rows] = table[:, self.feature_index]
        if self.t is not None:
            self.codes[r : r + n_rows] = self._codes_of(texts)[table[:, self.t].astype(np.intp)]
        if offsets is None:
            self._on_lines(r, block.line)
        else:
            for i, offset in enumerate(offsets):
                self._on_lines(r + i, block.line + offset)
        if self.not_finite is None:
            bad = np.argwhere(~np.isfinite(self.X[r : r + n_rows]))
            if len(bad):
                i, k = bad[0]
                offset = i if offsets is None else offsets[i]
                line = list(io.StringIO(text, newline=""))[offset]
                j = self.features[k]
                self.not_finite = (block.line + offset, j, line.split(self.delimiter)[j].strip())
        self.n += n_rows
        return True

    def _add_csv(self, block) -> _Block | None:
        """The old way, cell by cell. A quoted line break at the end of the block reads on into the file; the
        lines read with the end of that row (ended by a lone \r) come back as a block of their own."""
        text, reader, n_lines = block.text, self.reader, block.n_lines
        read = 0
        pulled = collections.deque()  # lines read from the file after the block, not yet given to the csv reader

        def lines():
            nonlocal read
            for line in io.StringIO(text, newline=""):
                read += 1
                yield line
            while pulled or (more := reader.read_line()):
                if not pulled:
                    pulled.extend(io.StringIO(more, newline=""))
                read += 1
                yield pulled.popleft()

        records = csv.reader(lines(), delimiter=self.delimiter)
        try:
            for cells in records:
                cells = [cell.strip() for cell in cells]
                if any(cells):
                    self._add_row(block.line - 1 + records.line_num, cells)
                if read >= n_lines:
                    break
        except csv.Error as exc:
            raise reader._failed(exc) from exc
        if not pulled:
            return None
        rest = "".join(pulled)
        return _Block(rest.encode("utf-8"), block.line + read, rest)

    def _add_row(self, line, cells):
        if len(cells) != self.n_cols:
            raise ValueError(
                f"{path_text(self.path)}, row {line}: expected {self.n_cols} cells (as in row {self.first_line}), "
                f"got {len(cells)}"
            )
        try:
            values = [float(cells[j]) for j in self.features]
        except ValueError:
            j = next(j for j in self.features if not _is_number(cells[j]))
            if not cells[j]:
                raise ValueError(f"{self.where(line, j)}: the cell is empty; every feature needs a number") from None
            raise ValueError(f"{self.where(line, j)}: expected a number, got {shown(cells[j])}") from None
        r = self._reserve(1)
        with np.errstate(over="ignore"):
            self.X[r] = values
        if self.not_finite is None and not np.isfinite(self.X[r]).all():
            j = self.features[int(np.argmin(np.isfinite(self.X[r])))]
            self.not_finite = (line, j, cells[j])
        if self.t is not None:
            self.codes[r] = self._codes_of([cells[self.t]])[0]
        self._on_lines(r, line)
        self.n += 1

    # ------------------------------------------------------------ the table

    def result(self) -> Table:
        X, codes, n = self.X, self.codes, self.n
        X.resize((n, X.shape[1]), refcheck=False)  # in place: the unused end is given back
        if self.not_finite is not None:
            line, j, text = self.not_finite
            beyond = " (beyond float32's range)" if self.dtype == np.float32 and math.isfinite(float(text)) else ""
            raise ValueError(f"{self.where(line, j)}: expected a finite number, got {shown(text)}{beyond}")
        feature_names = [self.names[j] for j in self.features]
        if codes is None:
            return Table(X, None, [], feature_names)
        codes.resize(n, refcheck=False)
        y, class_names = self._class_labels(list(self.label_codes), codes)
        return Table(X, y, class_names, feature_names)

    def _class_labels(self, texts, codes):
        """Class indices and class names from the label ``texts`` (one per code) and each row's code."""

        def first_row_with(bad_codes):
            mask = np.zeros(len(texts), bool)
            mask[bad_codes] = True
            row = int(np.argmax(mask[codes]))
            return self.where(self.line_of(row), self.t), texts[codes[row]]

        if "" in self.label_codes:
            where, _ = first_row_with([self.label_codes[""]])
            raise ValueError(f"{where}: the class label is empty")
        if all(_is_number(text) for text in texts):
            values = [float(text) for text in texts]
            bad = [k for k, v in enumerate(values) if not (math.isfinite(v) and v >= 0 and v == round(v))]
            if bad:
                where, text = first_row_with(bad)
                raise ValueError(f"{where}: class labels must be names or whole numbers >= 0, got {shown(text)}")
            top = max(values)
            if top >= MAX_LABEL:
                where, text = first_row_with([values.index(top)])
                raise ValueError(
                    f"{where}: class label {shown(text)} would make {top + 1:,.0f} classes (labels 0 to {top:,.0f}), "
                    f"more than {MAX_LABEL:,}; is it the label column? glassnet.tables keeps labels as they are written"
                )
            y = np.array(values).astype(np.int64)[codes]
            return y, [str(k) for k in range(int(y.max()) + 1)]
        class_names = sorted(texts)
        rank = {name: k for k, name in enumerate(class_names)}
        return np.array([rank[text] for text in texts], dtype=np.int64)[codes], class_names


def _ignored_cell(cell):
    return 0.0


class _Scratch:
    """Arrays kept from one block to the next. Fresh arrays for every block would be fresh memory (the allocator
    hands big blocks back to the system when they are freed), and fresh memory costs a page fault per 4 KiB the
    first time it is written: that was half the time of a load."""

    def __init__(self):
        self._arrays = {}

    def __call__(self, name, n, dtype, shape=None):
        """A kept array called ``name`` of ``n`` elements (or of ``shape``); what it holds is left over."""
        array = self._arrays.get(name)
        if array is None or array.dtype != dtype or len(array) < n:
            array = self._arrays[name] = np.empty(n + n // 4, dtype)
        return array[:n] if shape is None else array[:n].reshape(shape)

    def where(self, name, mask):
        """``np.flatnonzero(mask)``, kept until the next call for ``name`` has made its own: the allocator then
        puts the next one where the one before was, instead of taking fresh memory from the system."""
        found = self._arrays[name] = np.flatnonzero(mask)
        return found


def _plain_numbers(b, ends, before, out, scratch, signs=True, points=True) -> bool:
    """Write into ``out`` the numbers in the cells of the bytes ``b`` between the offsets ``before`` and ``ends``
    (2-D arrays of ``out``'s shape), exactly as ``float()`` reads them; False, with ``out`` half written, unless
    every cell is a plain decimal number of at most 18 bytes: a sign, digits with at most one point, below 2**53
    without the point (e.g. ``255``, ``-0.5``, ``3.``, ``.25``). ``signs``/``points`` False promise that no cell
    has a sign/a point.

    Such a number is ``m / 10**p`` with the integer ``m < 2**53`` and ``p <= 17``: both are exact in float64, so
    the one division rounds correctly and gives the very double that ``float()`` gives for the text (Clinger's
    fast path).
    """
    s, n = scratch, ends.size
    lens = np.subtract(ends, before, out=s("lens", n, np.intp, ends.shape)).ravel()
    lens -= 1
    width = int(lens.max())
    if width > 18 or not lens.all():
        return False
    last = np.subtract(ends, 1, out=s("last", n, np.intp, ends.shape)).ravel()  # the cells' last characters
    index, char, digit = s("index", n, np.intp), s("char", n, np.uint8), s("digit", n, np.uint8)
    flag = s("flag", n, bool)
    if signs:
        np.subtract(last, lens, out=index)
        index += 1
        np.take(b, index, out=char, mode="clip")  # the first characters
        negative = np.equal(char, ord("-"), out=s("negative", n, bool))
        np.equal(char, ord("+"), out=flag)
        flag |= negative
        lens -= flag
        if not lens.all():
            return False  # a sign alone
    n_chars = s("n_chars", n, np.uint8)  # digits and point, without the sign
    np.copyto(n_chars, lens, casting="unsafe")
    number = s("number", n, np.uint32 if width <= 9 else np.int64)

    def column(k):
        """The k-th characters from the cells' ends and their digits (char - 48), for the cells that have one
        (``cells``, None for all)."""
        if k == 0:
            cells, at = None, last
        elif np.count_nonzero(np.greater(n_chars, k, out=flag)) == n:
            cells, at = None, np.subtract(last, k, out=index)
        else:
            cells = s.where("cells", flag)
            at = np.take(last, cells, out=index[: len(cells)])
            at -= k
        m = len(at)
        np.take(b, at, out=char[:m], mode="clip")
        return cells, char[:m], np.subtract(char[:m], 48, out=digit[:m], dtype=np.uint8)

    if not points:
        # number = the sum of digit * 10**k, k counting from the cell's end
        for k in range(width):
            cells, _, digits = column(k)
            m = len(digits)
            if not np.less(digits, 10, out=flag[:m]).all():
                return False
            if k == 0:
                np.copyto(number, digits)
                continue
            term = np.multiply(digits, 10**k, out=s("term", m, number.dtype), dtype=number.dtype)
            if cells is None:
                number += term
            else:
                term += np.take(number, cells, out=s("part", m, number.dtype))
                np.put(number, cells, term)
    else:
        # Horner's rule, the most significant character first; a point is skipped and remembered
        n_points, point_at = s("n_points", n, np.uint8), s("point_at", n, np.uint8)  # point_at: digits after it
        n_points.fill(0)
        point_at.fill(0)
        number.fill(0)
        for k in range(width - 1, -1, -1):
            cells, chars, digits = column(k)
            m = len(digits)
            is_digit = np.less(digits, 10, out=flag[:m])
            is_point = np.equal(chars, ord("."), out=s("is_point", m, bool))
            if not np.logical_or(is_digit, is_point, out=s("ok", m, bool)).all():
                return False
            part = number if cells is None else np.take(number, cells, out=s("part", m, number.dtype))
            part *= 10
            if is_point.any():
                digits *= is_digit
                at = is_point.nonzero()[0]
                part[at] //= 10  # undo the shift: a point is not a digit
                at = at if cells is None else cells[at]
                n_points[at] += 1
                point_at[at] = k
            part += digits
            if cells is not None:
                np.put(number, cells, part)
        if n_points.max() > 1 or np.less_equal(n_chars, n_points, out=flag).any():
            return False  # two points, or a point alone
    if number.dtype == np.int64 and number.max() >= _EXACT:
        return False
    values = out.reshape(-1)
    if points:
        scale = np.take(_POW10_FLOAT, point_at, out=s("scale", n, np.float64))
        np.divide(number, scale, out=values, dtype=np.float64)
    else:
        np.copyto(values, number)
    if signs:
        np.negative(values, out=values, where=negative)
    return True


def _cell_texts(b, ends, starts):
    """The distinct stripped texts of the cells of the bytes ``b`` from offsets ``starts`` to ``ends``, and for
    each cell the index of its text."""
    lens = ends - starts
    width = max(int(lens.max()), 1)
    if width <= 64:
        offsets = np.arange(width)
        cells = b[np.minimum(starts[:, None] + offsets, len(b) - 1)]
        cells[offsets >= lens[:, None]] = 0  # the block has no NUL bytes: none is lost
        distinct, inverse = np.unique(cells.view(f"S{width}").ravel(), return_inverse=True)
        return [cell.decode("utf-8").strip() for cell in distinct], inverse.ravel()
    index = {}
    inverse = [index.setdefault(b[s:e].tobytes(), len(index)) for s, e in zip(starts.tolist(), ends.tolist())]
    return [cell.decode("utf-8").strip() for cell in index], np.array(inverse, dtype=np.intp)


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


# Bytes after the values an IDX header describes are counted up to this many (a .gz may unpack to gigabytes more).
_IDX_EXTRA = 1 << 20


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
    glassnet.memory.TooLarge
        A ``ValueError``: the values the header promises would take more
        memory than glassnet allows itself, found from the header alone (a
        small ``.gz`` can unpack to gigabytes).
    """
    path = _existing_path(path, "IDX file")
    if path.is_dir():
        raise ValueError(f"{path_text(path)} is a directory; expected an IDX file")
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
            return _read_idx(f, path, magic)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path_text(path)} is not a complete gzip file: {exc}") from exc


def _read_idx(f, path: Path, magic):
    """``read_idx`` of the open file ``f``: the header first, then no more bytes than it promises (and a few to
    tell whether any follow), once they are known to fit in memory."""
    where = path_text(path)
    head = f.read(4)
    if len(head) < 4:
        raise ValueError(f"{where} is truncated: {len(head)} bytes, fewer than the 4 bytes of an IDX magic number")
    found = int.from_bytes(head, "big")
    if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES or head[3] == 0:
        raise ValueError(
            f"{where} is not an IDX file: its magic number is 0x{found:08X}; an IDX magic number is two zero "
            "bytes, a type code (0x08 for unsigned bytes) and the number of dimensions, e.g. 0x00000803"
        )
    if magic is not None and found != magic:
        raise ValueError(f"{where} has magic number 0x{found:08X}, expected 0x{magic:08X}")
    ndim = head[3]
    start = 4 + 4 * ndim
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(
            f"{where} is truncated: its header needs {start} bytes for {ndim} dimensions, the file has {4 + len(sizes)}"
        )
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = np.dtype(_IDX_DTYPES[head[2]])
    expected = math.prod(shape) * dtype.itemsize
    dims = " x ".join(str(d) for d in shape)
    plain = path.suffix != ".gz"
    got = path.stat().st_size - start if plain else None  # a plain file's size says it all before reading
    if got is None or got == expected:
        check_affordable(f"{where}: the {dims} values its header promises", expected,
                         "is the file damaged, or not an IDX file?")
        data = np.empty(expected, np.uint8)  # read into in place, in pieces: no second copy of the bytes
        view, got = memoryview(data), 0
        while got < expected and (n := f.readinto(view[got : got + (1 << 24)])):
            got += n
    if got < expected:
        raise ValueError(
            f"{where} is truncated: its header promises {dims} values ({expected:,} bytes) but only {got:,} bytes "
            "follow"
        )
    extra = got - expected if plain else len(f.read(_IDX_EXTRA + 1))
    if extra:
        amount = f"{extra:,}" if extra <= _IDX_EXTRA else f"more than {_IDX_EXTRA:,}"
        raise ValueError(
            f"{where} has {amount} bytes after the {dims} values its header describes; "
            "the file is damaged or not an IDX file"
        )
    values, native = data.view(dtype), dtype.newbyteorder("=")
    if native != dtype:  # big-endian numbers of more than one byte, turned around where they are
        values = values.byteswap(inplace=True).view(native)
    return values.reshape(shape)


def _mnist_idx(images_path: Path, labels_path: Path):
    images = read_idx(images_path, MNIST_IMAGES_MAGIC)
    images_name = path_text(images_path)
    check_affordable(f"{images_name}: {len(images):,} images of {math.prod(images.shape[1:]):,} pixels as float64",
                     8 * images.size)
    labels = read_idx(labels_path, MNIST_LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(
            f"{path_text(labels_path)} has {len(labels):,} labels but {images_name} has {len(images):,} images; "
            "they must be the same number"
        )
    return images.reshape(len(images), -1).astype(np.float64), labels.astype(np.int64)


def _mnist_csv(path: Path):
    """``X, y`` from an MNIST CSV file: each row a label, then 784 pixels 0-255; an optional header."""
    try:
        with open_text(path) as f:
            first = next((line for line in f if line.strip()), None)
            if first is None:
                raise ValueError(f"{path_text(path)} is empty: it has no rows to read")
            has_header = not _is_number(first.split(",")[0])
            try:
                # load_csv reads plain numbers, such as MNIST's, at tens of MB/s (np.loadtxt at about 10)
                table = load_csv(path, header=has_header, labelled=False).X
            except ValueError:
                # something else (a comment, NaN, a bad cell): read as before, for the same result or message
                f.seek(0)
                if has_header:
                    next(line for line in f if line.strip())
                try:
                    table = np.loadtxt(f, delimiter=",", ndmin=2)
                except ValueError:
                    table = None
    except _READ_ERRORS as exc:
        raise ValueError(f"{path_text(path)} could not be read as a UTF-8 CSV text file: {exc}") from exc
    if table is None:
        # loadtxt stops at the first bad cell without naming the file; load_csv finds
        # it again and says where (it also reads quoted cells, which loadtxt does not).
        parsed = load_csv(path, target=0, header=has_header)
        if parsed.class_names != [str(k) for k in range(len(parsed.class_names))]:
            raise ValueError(
                f"{path_text(path)}: column 1 must hold digit labels (whole numbers), got names such as "
                f"{shown(parsed.class_names[-1])}"
            )
        X, y = parsed.X, parsed.y.astype(np.float64)
    else:
        X, y = table[:, 1:], table[:, 0]
    if X.shape[1] != 784:
        raise ValueError(
            f"{path_text(path)} has {X.shape[1] + 1} columns; MNIST CSV has 785: the label, then 28 x 28 = 784 pixels"
        )
    first_row = 1 + has_header
    bad = np.flatnonzero(~np.isfinite(y) | (y < 0) | (y != np.round(y)))
    if len(bad):
        raise ValueError(
            f"{path_text(path)}, row {first_row + bad[0]}, column 1: labels must be whole numbers >= 0, "
            f"got {y[bad[0]].item()!r}"
        )
    bad = np.argwhere(~np.isfinite(X) | (X < 0) | (X > 255))
    if len(bad):
        i, j = bad[0]
        raise ValueError(
            f"{path_text(path)}, row {first_row + i}, column {j + 2}: pixels must be 0-255, got {X[i, j].item()!r}"
        )
    return X, y.astype(np.int64)


def _find_one(directory: Path, patterns, what):
    found = sorted({p for pattern in patterns for p in directory.glob(pattern)})
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ValueError(f"{path_text(directory)} has several {what} files ({names}); keep one")
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
            raise ValueError(f"{path_text(path)} lacks the MNIST IDX file(s) {', '.join(missing)} (plain or .gz)")
        X_train, y_train = _mnist_idx(idx["train images"], idx["train labels"])
        X_test, y_test = _mnist_idx(idx["test images"], idx["test labels"])
        if X_train.shape[1] != X_test.shape[1]:
            raise ValueError(
                f"{path_text(idx['train images'])} holds images of {X_train.shape[1]} pixels but "
                f"{path_text(idx['test images'])} holds images of {X_test.shape[1]}; train and test images must be the "
                "same size"
            )
        return X_train, X_test, y_train, y_test
    train = _find_one(path, ("mnist_train*.csv", "mnist_train*.csv.gz"), "mnist_train*.csv")
    test = _find_one(path, ("mnist_test*.csv", "mnist_test*.csv.gz"), "mnist_test*.csv")
    if train is None or test is None:
        raise ValueError(
            f"{path_text(path)} holds neither the four MNIST IDX files ({', '.join(_MNIST_FILES.values())}, plain or "
            ".gz) "
            "nor a pair of mnist_train*.csv and mnist_test*.csv files"
        )
    X_train, y_train = _mnist_csv(train)
    X_test, y_test = _mnist_csv(test)
    return X_train, X_test, y_train, y_test
