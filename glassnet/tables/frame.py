"""``Frame``: a table's named columns, and ``read_table``, which reads one from a CSV file."""

from __future__ import annotations

import csv
import hashlib
import math
import zlib

import numpy as np

from glassnet.checks import describe, file_path, is_finite, path_text, shown
from glassnet.data import load_csv, open_text
from glassnet.tables.words import names_list

# Cells that mean "no value" (compared after stripping spaces).
MISSING_TEXTS = frozenset({"", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "?"})


DELIMITERS = (",", ";", "\t", "|")


class Frame:
    """Named columns of one length, as read from a table.

    Each column is a 1-D array: float64 numbers with NaN where a cell was
    missing, or an object array of ``str`` with None where a cell was missing.

    Attributes
    ----------
    names : list of str
        The columns, in the table's order.
    source : str or None
        Where the table came from (a file name), for messages.
    sha256 : str or None
        The hash of the file's bytes, when the table was read from a file.
    delimiter : str or None
        The delimiter the file was read with.

    A table of numbers read by the fast reader keeps them in one matrix
    (``matrix``, row-major, its columns named ``matrix_names``) whose
    columns the number columns are views of: ``take`` then copies whole
    rows at once and ``Columns`` reads the matrix directly.
    """

    def __init__(self, columns, *, source=None, lines=None, sha256=None, delimiter=None, matrix=None,
                 matrix_names=None, rows=None):
        if not isinstance(columns, dict) or not columns:
            raise ValueError(f"columns must be a non-empty dict of name -> 1-D array, got {describe(columns)}")
        bad = [k for k, v in columns.items() if not isinstance(v, np.ndarray) or v.ndim != 1]
        if bad:
            raise TypeError(f"columns[{shown(bad[0])}] must be a 1-D numpy array, got {describe(columns[bad[0]])}")
        lengths = {len(values) for values in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"every column must have the same length, got lengths {sorted(lengths)}")
        self.columns = columns
        self.names = list(columns)
        self.source, self.sha256, self.delimiter = source, sha256, delimiter
        self._lines = lines  # each row's line number in the file, if known
        self._rows = rows  # else each row's 0-based position in the table first read, if it is not its own
        self.matrix, self.matrix_names = matrix, matrix_names

    @classmethod
    def from_matrix(cls, matrix, names, others=None, **facts):
        """A Frame whose number columns ``names`` are the columns of ``matrix`` (views, not copies),
        followed by the columns in ``others`` (name -> 1-D array); ``facts`` as for ``Frame``."""
        columns = {name: matrix[:, j] for j, name in enumerate(names)}
        columns.update(others or {})
        return cls(columns, matrix=matrix, matrix_names=list(names), **facts)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values())))

    def __len__(self):
        return self.n_rows

    def __contains__(self, name):
        return name in self.columns

    def __getitem__(self, name):
        return self.columns[name]

    def is_numeric(self, name) -> bool:
        return self.columns[name].dtype == np.float64

    def is_clean(self, name) -> bool:
        """Whether column ``name`` came from the fast reader: finite numbers, none missing (no need to look)."""
        return self.matrix is not None and name in self.matrix_names

    def missing(self, name):
        """``missing_mask`` of column ``name`` (all False at no cost for a clean column)."""
        return np.zeros(self.n_rows, dtype=bool) if self.is_clean(name) else missing_mask(self.columns[name])

    @property
    def named(self) -> str:
        """The table as a message names it: its file, on one line and cut (``path_text``), or "the table"."""
        return path_text(self.source) if self.source else "the table"

    def where(self, row) -> str:
        """Row ``row`` (0-based) as a message names it: its line in the file, or its 1-based number."""
        if self._lines is not None:
            return f"line {int(self._lines[row])} of {self.named}"
        row = row if self._rows is None else int(self._rows[row])
        return f"data row {row + 1} of {self.named}" if self.source else f"row {row + 1}"

    def _facts(self, lines, rows):
        return {"source": self.source, "lines": lines, "sha256": self.sha256, "delimiter": self.delimiter,
                "rows": rows}

    def take(self, rows) -> Frame:
        """The rows ``rows`` (indices or a boolean mask), as a new Frame; messages still name their places in
        the file."""
        if self._lines is not None:
            facts = self._facts(self._lines[rows], None)
        else:
            facts = self._facts(None, (np.arange(self.n_rows) if self._rows is None else self._rows)[rows])
        if self.matrix is None:
            return Frame({k: v[rows] for k, v in self.columns.items()}, **facts)
        # one copy of the rows, of the matrix columns this frame has (a selection may have left some out)
        kept = [j for j, n in enumerate(self.matrix_names) if n in self.columns]
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        if not kept:  # only text columns are left
            matrix = np.empty((len(rows), 0))
        elif kept == list(range(kept[0], kept[-1] + 1)):  # a run of columns: whole stretches of each row
            matrix = self.matrix[rows, kept[0] : kept[-1] + 1]
        else:
            matrix = self.matrix[np.ix_(rows, kept)]
        in_matrix = set(self.matrix_names)
        others = {k: v[rows] for k, v in self.columns.items() if k not in in_matrix}
        taken = Frame.from_matrix(matrix, [self.matrix_names[j] for j in kept], others, **facts)
        return taken.select(self.names)

    def select(self, names) -> Frame:
        """The columns ``names``, in that order, as a new Frame (the arrays, and the matrix, are shared)."""
        return Frame({k: self.columns[k] for k in names}, matrix=self.matrix, matrix_names=self.matrix_names,
                     **self._facts(self._lines, self._rows))

    def __repr__(self):
        kinds = ", ".join(f"{k} ({'number' if self.is_numeric(k) else 'text'})" for k in self.names[:6])
        more = f", ... {len(self.names) - 6} more" if len(self.names) > 6 else ""
        return f"Frame({self.n_rows} rows: {kinds}{more})"


def missing_mask(column):
    """Which cells of a Frame column are missing (NaN in a number column, None in a text column)."""
    if column.dtype == object:
        return np.array([v is None for v in column], dtype=bool)
    return np.isnan(column)


def text_column(values, missing):
    """An object array of str, None where ``missing``."""
    out = np.empty(len(values), dtype=object)
    for i, (value, gone) in enumerate(zip(values, missing)):
        out[i] = None if gone else str(value)
    return out


def as_frame(X, feature_names=None, name="X"):
    """``X`` as a ``Frame`` when it carries column names, else None (a plain array, taken by position).

    A ``Frame``, a pandas DataFrame (pandas is not needed otherwise), a dict
    of name -> column, or any 2-D array with ``feature_names`` (one per
    column) carries names.
    """
    if isinstance(X, Frame):
        if feature_names is not None:
            raise ValueError(f"feature_names was given but {name} is a Frame, which has its own column names")
        return X
    if hasattr(X, "columns") and hasattr(X, "iloc") and hasattr(X, "isna"):  # a pandas DataFrame
        if feature_names is not None:
            raise ValueError(f"feature_names was given but {name} is a DataFrame, which has its own column names")
        _distinct_keys(list(X.columns), name)
        columns = {}
        for column in X.columns:
            series = X[column]
            missing = np.asarray(series.isna(), dtype=bool)
            values = series.to_numpy()
            if values.dtype.kind in "biuf":
                columns[str(column)] = np.where(missing, np.nan, values.astype(np.float64))
            else:
                columns[str(column)] = text_column(values, missing)
        return _named(columns, name)
    if isinstance(X, dict):
        if feature_names is not None:
            raise ValueError(f"feature_names was given but {name} is a dict, which names its own columns")
        _distinct_keys(list(X), name)
        return _named({str(k): column_array(v, f"{name}[{shown(k)}]") for k, v in X.items()}, name)
    if feature_names is None:
        return None
    names = names_list("feature_names", feature_names)
    arr = np.asarray(X, dtype=object if not is_numeric_array(X) else np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise ValueError(
            f"feature_names has {len(names)} names but {name} has shape {arr.shape}; give one name per column"
        )
    return _named({n: column_array(arr[:, j], f"{name} column {shown(n)}") for j, n in enumerate(names)}, name)


def _distinct_keys(keys, name):
    """Refuse column names that repeat, or that become the same text (``1`` and ``"1"``): one would be lost."""
    seen = {}
    for key in keys:
        text = str(key)
        if text not in seen:
            seen[text] = key
        elif type(seen[text]) is type(key) and seen[text] == key:
            raise ValueError(f"{name} has more than one column named {shown(text)}")
        else:
            raise ValueError(f"{name} has columns {shown(seen[text])} and {shown(key)}, which both read {shown(text)}; "
                             "give every column its own name")


def _array(values):
    """``values`` as an array, text in a list kept as Python strings (an object array): as a fixed-width array of
    str every cell would take the room of the longest, and one long cell in many rows would ask for gigabytes."""
    if isinstance(values, np.ndarray):
        return values
    cells = np.asarray(values, dtype=object)
    if any(isinstance(cell, (str, bytes)) for cell in cells.flat):
        return cells
    return np.asarray(values)


def is_numeric_array(X) -> bool:
    try:
        kind = _array(X).dtype.kind
    except (TypeError, ValueError):
        return False
    return kind in "biuf"


def column_array(values, what):
    """One column as a Frame holds it: float64 with NaN for missing, or object str with None for missing."""
    arr = _array(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    if arr.dtype.kind == "c":
        raise TypeError(f"{what} must be numbers or text, got complex numbers ({arr.dtype})")
    missing = [v is None or (isinstance(v, float) and math.isnan(v)) for v in arr]
    present = [v for v, gone in zip(arr, missing) if not gone]
    if present and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                       for v in present):  # numbers with gaps, such as [1.0, None, 3.0]
        huge = next((i for i, v in enumerate(arr) if isinstance(v, int) and not is_finite(v)), None)
        if huge is not None:  # float() would raise OverflowError
            raise ValueError(f"row {huge} of {what} is {describe(arr[huge])}, an integer too large for a float "
                             "(over 1.8e308): scale the data")
        return np.array([math.nan if gone else float(v) for v, gone in zip(arr, missing)])
    return text_column(arr, missing)


def _named(columns, name):
    if not columns:
        raise ValueError(f"{name} has no columns")
    return Frame(columns)


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_delimiter(sample: str) -> str:
    """The delimiter of a CSV text: of comma, semicolon, tab and bar, one that splits each of its first lines
    into the same number of cells (more than one). Among those, the one whose cells are most often numbers
    wins (so ``5,1;8,6`` is two decimal-comma numbers, not three cells), then the one giving more cells; a
    comma when none splits the lines."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end inside a line
    best, best_score = ",", None
    for delimiter in DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        counts = {len(cells) for cells in rows}
        if len(counts) != 1 or (n_cells := counts.pop()) < 2:
            continue
        cells = [cell.strip() if delimiter == "," else cell.strip().replace(",", ".") for row in rows for cell in row]
        numbers = sum(1 for cell in cells if parse_number(cell) is not None)
        score = (numbers / len(cells), n_cells)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def read_table(path, delimiter=None, header="auto") -> Frame:
    """Read a CSV file into a ``Frame`` of named columns.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``.gz`` is gunzipped).
    delimiter : str or None
        The character between cells; None detects comma, semicolon, tab or bar.
    header : "auto", True or False
        Whether the first row names the columns. ``"auto"``: yes when one of
        its cells is not a number where the cell below it is, or when none of
        its cells is a number. Without a header the columns are named
        ``"column 1"``, ``"column 2"``, ...

    Returns
    -------
    Frame
        A column whose cells are all numbers (or missing: empty, ``NA``,
        ``N/A``, ``nan``, ``null``, ``None``, ``?``) is float64 with NaN for
        the missing ones; with a semicolon or tab delimiter a column of
        decimal commas (``3,5``) is read as numbers too. Any other column is
        text (stripped), None where missing.

    Raises
    ------
    FileNotFoundError, ValueError
        As ``glassnet.data.load_csv`` does: an empty file, rows of different
        lengths (naming the line), text that is not UTF-8.
    """
    path = file_path("path", path)
    where = path_text(path)  # on one line, cut
    try:
        exists, is_dir, is_file = path.exists(), path.is_dir(), path.is_file()
    except OSError as exc:  # a name too long for the system, and the like
        raise ValueError(f"CSV file {where}: {exc.strerror or exc}") from None
    if not exists:
        raise FileNotFoundError(f"CSV file not found: {where}")
    if is_dir:
        raise ValueError(f"{where} is a directory; expected a CSV file")
    if not is_file:  # a device (/dev/zero never ends), a FIFO or a socket
        raise ValueError(f"{where} is not a regular file; expected a CSV file")
    if not (header is True or header is False or header == "auto"):
        raise ValueError(f"header must be 'auto', True or False, got {describe(header)}")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n"):
        raise ValueError(f"delimiter must be one character such as ',' ';' or a tab, got {describe(delimiter)}")
    try:
        with open_text(path) as f:
            sample = f.read(1 << 16)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where} could not be read as a UTF-8 CSV text file: {exc}") from None
    except (OSError, EOFError, zlib.error) as exc:  # a damaged or cut .gz
        raise ValueError(f"{where} could not be read: {_one_line(exc)}") from None
    if delimiter is None:
        delimiter = detect_delimiter(sample)
    digest = file_sha256(path)
    text, names = _text_columns(sample, delimiter, header)
    if text is not None and len(text) <= 1:
        # the fast path: numbers straight into one matrix, and at most one text column (a label) beside them
        try:
            if text:
                table = load_csv(path, target=text[0], header=names is not None, delimiter=delimiter)
            else:
                table = load_csv(path, header=names is not None, delimiter=delimiter, labelled=False)
        except ValueError:
            pass  # a missing cell, or text further down: read cell by cell below
        else:
            names = names or [f"column {j + 1}" for j in range(table.X.shape[1] + len(text))]
            _unique_names(names, path)
            others = {}
            if text:
                labels = np.empty(len(table.class_names), dtype=object)
                labels[:] = table.class_names
                others = {names[text[0]]: labels[table.y]}
            frame = Frame.from_matrix(table.X, table.feature_names, others, source=str(path), sha256=digest,
                                      delimiter=delimiter)
            return frame.select(names)
    return _read_cells(path, delimiter, header, digest)


def _sample_rows(sample, delimiter):
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end inside a line
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(lines, delimiter=delimiter)
                if any(cell.strip() for cell in row)]
    except csv.Error:
        return []


def _text_columns(sample, delimiter, header):
    """From the file's first rows: the columns whose cells are not all numbers, and the header's names (None
    without a header). ``(None, None)`` when those rows cannot tell: too few, ragged, or with missing cells,
    which the fast reader refuses."""
    rows = _sample_rows(sample, delimiter)
    if len(rows) < 2 or len({len(row) for row in rows}) != 1:
        return None, None
    has_header = _has_header(rows) if header == "auto" else header
    body = rows[1:] if has_header else rows
    if any(cell in MISSING_TEXTS for row in body for cell in row):
        return None, None
    names = [name or f"column {j + 1}" for j, name in enumerate(rows[0])] if has_header else None
    text = [j for j in range(len(rows[0])) if any(parse_number(row[j]) is None for row in body)]
    if delimiter != "," and any(all(parse_number(row[j].replace(",", ".")) is not None for row in body) for j in text):
        return None, None  # decimal commas, which the fast reader does not take
    return text, names


def _unique_names(names, path):
    if len(set(names)) < len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ValueError(f"{path_text(path)} has more than one column named {shown(dup)}; rename one")


def _read_cells(path, delimiter, header, digest) -> Frame:
    """Read a file cell by cell (the csv module), for tables with text or missing cells."""
    rows, lines, where = [], [], path_text(path)
    try:
        with open_text(path) as f:
            reader = csv.reader(f, delimiter=delimiter)
            for cells in reader:
                cells = [cell.strip() for cell in cells]
                if any(cells):
                    rows.append(cells)
                    lines.append(reader.line_num)
    except (UnicodeDecodeError, csv.Error, OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{where} could not be read as a UTF-8 CSV text file: {_one_line(exc)}") from None
    if not rows:
        raise ValueError(f"{where} is empty: it has no rows to read")
    has_header = _has_header(rows) if header == "auto" else header
    n_cols = len(rows[0])
    names = [name or f"column {j + 1}" for j, name in enumerate(rows[0])] if has_header else [
        f"column {j + 1}" for j in range(n_cols)]
    _unique_names(names, path)
    if has_header:
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise ValueError(f"{where} has a header row but no data rows")
    for cells, line in zip(rows, lines):
        if len(cells) != n_cols:
            hint = "" if delimiter != "," or len(cells) > 1 else " (is the delimiter another character? give it)"
            raise ValueError(f"line {line} of {where} has {len(cells)} cells, expected {n_cols}{hint}")
    columns = {name: _parse_column([cells[j] for cells in rows], delimiter) for j, name in enumerate(names)}
    return Frame(columns, source=str(path), lines=np.array(lines), sha256=digest, delimiter=delimiter)


def _has_header(rows) -> bool:
    first = rows[0]
    if len(rows) == 1 or not any(parse_number(cell) is not None for cell in first):
        return True
    return any(parse_number(a) is None and parse_number(b) is not None for a, b in zip(first, rows[1]))


def _one_line(exc) -> str:
    """An exception's text on one line, cut (a csv.Error or OSError may quote a line, or a path)."""
    text = str(exc)
    text = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 200 else text[:197] + "..."


def parse_number(text):
    """A cell's number, or None for a missing cell or text that is not one."""
    if text in MISSING_TEXTS:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _parse_column(cells, delimiter):
    missing = [cell in MISSING_TEXTS for cell in cells]
    for texts in (cells, [c.replace(",", ".") for c in cells] if delimiter != "," else None):
        if texts is None:
            break
        try:
            return np.array([math.nan if gone else float(t) for t, gone in zip(texts, missing)])
        except ValueError:
            pass
    return text_column(cells, missing)
