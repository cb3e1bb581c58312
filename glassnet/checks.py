"""Validation helpers used at the public boundary (library and CLI).

Every check raises a ``ValueError`` or ``TypeError`` whose message names the
argument, says what was expected and shows what was received. The numeric core
trusts arrays that have passed through here.
"""

from __future__ import annotations

import math
import numbers
import os
import reprlib
import stat
from pathlib import Path

import numpy as np


def describe(value) -> str:
    """A short description of ``value`` for error messages, always one line.

    Arrays, DataFrames and the like by their type and shape; a list, tuple,
    set or dict by its repr when that is short, else by its type and size
    (nested lists of equal rows by their shape); anything else by its repr,
    cut at 60 characters, and its type.
    """
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and not isinstance(value, (str, bytes)):
        return f"a {type(value).__name__} of shape {shape}"  # a DataFrame's repr would take many lines
    kind = type(value).__name__
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        try:
            text = _BOUNDED.repr(value)  # no more than 20 items at each level: a long list costs no time
        except ValueError:  # an int of more digits than Python converts to text
            text = ""
        if len(value) > 20 or not text or len(text) > 60:
            return _collection(value, kind)
        return f"{_one_line(text)} ({kind})"
    return f"{shown(value)} ({kind})"


_BOUNDED = reprlib.Repr()
_BOUNDED.maxlist = _BOUNDED.maxtuple = _BOUNDED.maxset = _BOUNDED.maxfrozenset = _BOUNDED.maxdict = 20
_BOUNDED.maxstring = _BOUNDED.maxother = _BOUNDED.maxlong = 100


def shown(value, limit: int = 60) -> str:
    """``repr(value)`` for a message: on one line (newlines and other control characters escaped) and cut to
    ``limit`` characters."""
    try:
        text = repr(value)
    except ValueError:  # an int of more digits than Python converts to text
        text = f"<an integer of {value.bit_length():,} bits>" if isinstance(value, int) else object.__repr__(value)
    return _one_line(text if len(text) <= limit else text[: limit - 3] + "...")


def _one_line(text: str) -> str:
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _collection(value, kind: str) -> str:
    """``describe`` of a long list, tuple, set or dict: its type and size, never its items."""
    if isinstance(value, dict):
        keys = ", ".join(shown(key, 20) for key in list(value)[:3])
        return f"a dict with {len(value):,} key{'s' * (len(value) != 1)} ({keys}{', ...' if len(value) > 3 else ''})"
    if isinstance(value, (list, tuple)) and value:
        widths = {len(item) if isinstance(item, (list, tuple)) else -1 for item in value}
        if len(widths) == 1 and -1 not in widths:
            return f"a {kind} of shape ({len(value):,}, {widths.pop():,})"  # rows of equal length
    return f"a {kind} of {len(value):,} item{'s' * (len(value) != 1)}"


def is_finite(value) -> bool:
    """``math.isfinite`` for any real number, False for an integer too large for a float."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def finite_number(name: str, value) -> float:
    """Return ``value`` as a float if it is a finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite number, got {describe(value)}")
    if not is_finite(value):
        raise ValueError(f"{name} must be a finite number, got {describe(value)}")
    return float(value)


def positive_number(name: str, value, *, integer: bool = False, allow_zero: bool = False):
    """Return ``value`` if it is a positive real (or integer) number."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    if not is_finite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        given = describe(value) if len(repr(value)) > 60 else repr(value)
        raise ValueError(f"{name} must be a finite number {bound}, got {given}")
    return int(value) if integer else float(value)


def flag(name: str, value) -> bool:
    """Return ``value`` as a bool if it is ``True`` or ``False`` (NumPy's bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def choice(name: str, value, options) -> str:
    """Return ``value`` if it is one of the string ``options``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(options)}, got {describe(value)}")
    if value not in options:
        raise ValueError(f"unknown {name} {shown(value)}; expected one of {sorted(options)}")
    return value


def all_finite(X) -> bool:
    """Whether every entry of the float array ``X`` is finite (False may also mean "look closer")."""
    if X.size < 100_000:
        # count_nonzero of a boolean array is a plain byte count, faster than .all()'s reduction
        return np.count_nonzero(np.isfinite(X)) == X.size
    # For a large X, x . x is one multi-threaded BLAS call (about twice as fast as isfinite),
    # finite only if every entry is: an inf or a NaN makes it inf or NaN. A finite X whose
    # x . x overflows gets False here and is then accepted by the full check.
    flat = X.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        return math.isfinite(flat @ flat)


def array_of(name: str, value, what: str) -> np.ndarray:
    """``np.asarray(value)``, or a ``TypeError`` saying that ``name`` must be ``what`` when NumPy cannot make one
    array of it (nested lists of different lengths, say)."""
    try:
        return np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{name} must be {what}, got {describe(value)}{_ragged(value)}") from exc


def numeric_array(name: str, value, what: str) -> np.ndarray:
    """``np.asarray(value)`` if it holds integers, floats or bools, else a ``TypeError`` saying that ``name`` must
    be ``what`` and why it is not (complex numbers are refused too: casting them would drop the imaginary part)."""
    arr = array_of(name, value, what)
    if arr.dtype.kind not in "biuf":
        raise not_numbers(name, arr, f"{name} must be {what}, got {describe(value)}")
    return arr


def _ragged(value) -> str:
    """"; its rows are of different lengths" for such a list or tuple, else ""."""
    lengths = {len(row) if hasattr(row, "__len__") else -1 for row in value} if isinstance(value, (list, tuple)) else ()
    return "; its rows are of different lengths" if len(lengths) > 1 else ""


def finite_matrix(name: str, value, *, dtype=np.float64, n_cols: int | None = None) -> np.ndarray:
    """Return ``value`` as a 2-D finite array of ``dtype`` (a 1-D input is one sample)."""
    if isinstance(value, np.ma.MaskedArray) and np.ma.count_masked(value):
        raise ValueError(f"{name} is a masked array with {np.ma.count_masked(value):,} masked entries, which would "
                         "be read as numbers; fill them (X.filled(...)) or leave those rows out")
    arr = array_of(name, value, "a 2-D numeric array")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating) or arr.dtype == bool):
        raise not_numbers(name, arr, f"{name} must be a 2-D numeric array, got {describe(value)}")
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: expected at least one sample and one feature, got shape {arr.shape}")
    if n_cols is not None and arr.shape[1] != n_cols:
        raise ValueError(
            f"{name} has {arr.shape[1]} columns but the network expects {n_cols} inputs "
            f"(got shape {arr.shape}, expected (n_samples, {n_cols}))"
        )
    original = arr
    with np.errstate(over="ignore"):
        arr = np.asarray(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        bad = tuple(np.argwhere(~np.isfinite(arr))[0])
        was = original[bad]
        if np.dtype(dtype) == np.float32 and np.isfinite(was):
            raise ValueError(
                f"{name}[{bad[0]}, {bad[1]}] is {float(was):g}, beyond float32's range (+-3.4e38); scale the data, "
                "or use float64"
            )
        raise ValueError(
            f"{name} contains NaN or infinite values (first at row {bad[0]}, column {bad[1]}); "
            "remove or impute them before training"
        )
    return arr


def not_numbers(name: str, arr: np.ndarray, message: str) -> Exception:
    """The error for ``arr`` (of dtype object, str, ...), which holds no plain numbers: ``message`` and why.

    A ``TypeError`` naming the first entry that is not a real number; a
    ``ValueError`` naming the first integer beyond int64 when that comes
    first (NumPy keeps integers beyond 64 bits as Python objects: they are
    numbers, of a size nothing here can hold; one from 2**63 to 2**64 - 1 would
    wrap as a label).
    """
    if arr.dtype.kind not in "OSUc" or arr.ndim == 0:
        return TypeError(message)
    for index, entry in np.ndenumerate(arr):
        entry = entry.item() if isinstance(entry, np.generic) else entry
        at = f"{name}[{', '.join(str(i) for i in index)}]"
        if isinstance(entry, numbers.Integral) and not -(2**63) <= entry < 2**63:
            if not is_finite(entry):
                return ValueError(f"{message}; {at} is {describe(entry)}, an integer too large for a float (over "
                                  "1.8e308): scale the data")
            what = "beyond 64 bits that NumPy keeps as a Python object" if entry >= 2**64 or entry < 0 else \
                "beyond int64 (over 9.2e18)"
            return ValueError(f"{message}; {at} is {describe(entry)}, an integer {what}: give {name} as floats "
                              f"(np.asarray({name}, dtype=float)) or scale it")
        if not isinstance(entry, numbers.Real):
            real = "real " * isinstance(entry, numbers.Complex)
            return TypeError(f"{message}; {at} is {describe(entry)}, not a {real}number")
    return TypeError(f"{message}; its entries are numbers kept as Python objects: convert it with "
                     f"np.asarray({name}, dtype=float)")


def file_path(name: str, value) -> Path:
    """``value`` as a ``Path`` if it is a ``str`` or an ``os.PathLike``."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or os.PathLike), got {describe(value)}")
    return Path(value)


def output_file(name: str, value, suffix: str | None = None) -> Path:
    """``value`` as a ``Path`` that a file can be written to, checked before any work is done.

    Refused: a path that is not ``str``/``os.PathLike`` (TypeError); an empty
    one, one without ``suffix`` when a suffix is required, one that names (or
    links to) a device, a FIFO or a socket, and one the system refuses to look
    up, such as a file name that is too long (ValueError); an existing directory
    (IsADirectoryError); one whose folder does not exist (FileNotFoundError)
    and one whose folder cannot be written to (PermissionError). A symbolic
    link is judged by the file it points to, which is what gets written.
    """
    path = file_path(name, value)
    if not os.fspath(value):  # Path("") is "."
        raise ValueError(f"{name} must name a file, got an empty path")
    shown = _shown_path(path)
    if suffix and not path.name.lower().endswith(suffix):
        raise ValueError(f"{name} must name a {suffix} file, got {shown}")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except PermissionError:
        raise PermissionError(f"{name} {shown}: permission denied to look it up") from None
    except OSError as exc:  # too long a name, a file used as a folder, a loop of links, ...
        raise ValueError(f"{name} {shown}: {exc.strerror or exc}") from None
    if st is not None:
        kind = special_file_kind(st.st_mode)
        if kind == "directory":
            raise IsADirectoryError(f"{name} {shown} is a directory; give a file name")
        if kind:
            raise ValueError(f"{name} {shown} is {kind}, not a regular file; give a file name")
    folder = os.path.dirname(os.path.realpath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{name} {shown}: folder {folder!r} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{name} {shown}: folder {folder!r} is not writable")
    return path


def special_file_kind(mode: int) -> str | None:
    """What an ``os.stat`` mode names when it is not a regular file ("a FIFO (named pipe)", ...), else None."""
    kinds = ((stat.S_ISDIR, "directory"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
             (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))
    return next((kind for test, kind in kinds if test(mode)), None)


def path_text(path) -> str:
    """A path for a message, as it is when short and printable; else escaped onto one line and cut in the middle."""
    text = os.fspath(path)
    if text.isprintable() and len(text) <= 120:
        return text
    text = _one_line(text)
    return text if len(text) <= 120 else f"{text[:60]}...{text[-57:]}"


def _shown_path(path) -> str:
    """``repr`` of a path for a message, cut in the middle when it is very long."""
    text = repr(os.fspath(path))
    return text if len(text) <= 120 else f"{text[:60]}...{text[-57:]}"


def class_labels(name: str, value, n_classes: int | None = None, n_rows: int | None = None) -> np.ndarray:
    """``value`` as a 1-D int64 array of class labels ``0, 1, 2, ...`` (below ``n_classes`` if given).

    Floats are accepted when they are whole numbers (labels read from a file);
    ``n_rows``, if given, is the number of samples the labels must match.
    """
    arr = array_of(name, value, "integer class labels")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        # complex labels included: casting them would silently drop the imaginary part
        raise not_numbers(name, arr, f"{name} must be integer class labels, got {describe(value)}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of class labels, got shape {arr.shape}")
    if n_rows is not None and arr.size != n_rows:
        raise ValueError(f"{name} has {arr.size} rows but X has {n_rows} samples; they must match")
    top = "" if n_classes is None else f" to {n_classes - 1}"
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 8:
        arr = arr.astype(np.float64)  # float16 cannot hold 2**63, the bound below: comparing would overflow
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0) | (arr >= 2**63)  # int64 holds them
    if n_classes is not None:
        bad |= arr >= n_classes
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {arr[i].item()!r}; class labels must be whole numbers 0{top}")
    return arr.astype(np.int64)

