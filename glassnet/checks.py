"""Validation helpers used at the public boundary (library and CLI).

Every check raises a ``ValueError`` or ``TypeError`` whose message names the
argument, says what was expected and shows what was received. The numeric core
trusts arrays that have passed through here.
"""

from __future__ import annotations

import math
import numbers
import os
import stat
from pathlib import Path

import numpy as np


def describe(value) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and not isinstance(value, (str, bytes)):
        return f"a {type(value).__name__} of shape {shape}"  # a DataFrame's repr would take many lines
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return f"{text} ({type(value).__name__})"


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
        shown = describe(value) if len(repr(value)) > 60 else repr(value)
        raise ValueError(f"{name} must be a finite number {bound}, got {shown}")
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
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(options)}")
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


def finite_matrix(name: str, value, *, dtype=np.float64, n_cols: int | None = None) -> np.ndarray:
    """Return ``value`` as a 2-D finite array of ``dtype`` (a 1-D input is one sample)."""
    if isinstance(value, np.ma.MaskedArray) and np.ma.count_masked(value):
        raise ValueError(f"{name} is a masked array with {np.ma.count_masked(value):,} masked entries, which would "
                         "be read as numbers; fill them (X.filled(...)) or leave those rows out")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(f"{name} must be a 2-D numeric array, got {describe(value)}") from exc
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating) or arr.dtype == bool):
        raise TypeError(f"{name} must be a 2-D numeric array, got {describe(value)}")
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


def _shown_path(path) -> str:
    """``repr`` of a path for a message, cut in the middle when it is very long."""
    text = repr(os.fspath(path))
    return text if len(text) <= 120 else f"{text[:60]}...{text[-57:]}"


def class_labels(name: str, value, n_classes: int | None = None, n_rows: int | None = None) -> np.ndarray:
    """``value`` as a 1-D int64 array of class labels ``0, 1, 2, ...`` (below ``n_classes`` if given).

    Floats are accepted when they are whole numbers (labels read from a file);
    ``n_rows``, if given, is the number of samples the labels must match.
    """
    arr = np.asarray(value)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        # complex labels included: casting them would silently drop the imaginary part
        raise TypeError(f"{name} must be integer class labels, got {describe(value)}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of class labels, got shape {arr.shape}")
    if n_rows is not None and arr.size != n_rows:
        raise ValueError(f"{name} has {arr.size} rows but X has {n_rows} samples; they must match")
    top = "" if n_classes is None else f" to {n_classes - 1}"
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0)
    if n_classes is not None:
        bad |= arr >= n_classes
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {arr[i].item()!r}; class labels must be whole numbers 0{top}")
    return arr.astype(np.int64)

