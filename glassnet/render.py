"""Plain-text rendering of matrices, aligned the way a textbook prints them."""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.checks import describe, numeric_array

MAX_DECIMALS = 1000


def format_number(x, decimals=5) -> str:
    """``x`` with ``decimals`` decimals; negative zero is printed as zero.

    ``x`` is a real number (a NumPy scalar or a 0-d array included);
    ``decimals`` a whole number from 0 to 1000.
    """
    value = _real(x)
    decimals = _decimals(decimals)
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _real(x) -> float:
    """``x`` as a float, or a TypeError (not a real number) or ValueError (an integer too large) naming it."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if isinstance(x, np.generic):
        x = x.item()
    if not isinstance(x, numbers.Real):
        raise TypeError(f"x must be a real number, got {describe(x)}")
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"x is {describe(x)}, an integer too large for a float (over 1.8e308)") from None


def _decimals(decimals) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral):
        raise TypeError(f"decimals must be a whole number from 0 to {MAX_DECIMALS}, got {describe(decimals)}")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"decimals must be a whole number from 0 to {MAX_DECIMALS}, got {describe(decimals)}")
    return int(decimals)


def format_matrix(M, name=None, decimals=5) -> str:
    """Render ``M`` (scalar, vector or matrix) as aligned rows in square brackets.

    A 1-D array is shown as one row; a matrix of whole numbers without decimals.
    With ``name`` the first row is prefixed by ``"name = "`` and the other rows
    are indented to line up::

        Z1 = [ -0.42392  1.12803 ]
             [ -0.11433  0.32380 ]
    """
    arr = numeric_array("M", M, "a number, a vector or a matrix of numbers")  # ragged rows, text: named
    if arr.ndim > 2:
        raise ValueError(f"M must be a number, a vector or a matrix (at most 2-D), got shape {arr.shape}")
    arr = arr.astype(np.float64)
    decimals = _decimals(decimals)
    if arr.ndim == 0:
        body = [format_number(arr, decimals)]
    elif arr.size == 0:
        body = ["[ ]"] * max(1, arr.shape[0] if arr.ndim == 2 else 1)
    else:
        rows = np.atleast_2d(arr)
        # inputs and targets are often whole numbers: print them as such
        places = 0 if np.all(rows == np.round(rows)) else decimals
        cells = [[format_number(v, places) for v in row] for row in rows]
        width = max(len(c) for row in cells for c in row)
        body = ["[ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells]
    if name is None:
        return "\n".join(body)
    prefix = f"{name} = "
    pad = " " * len(prefix)
    return "\n".join((prefix if i == 0 else pad) + line for i, line in enumerate(body))
