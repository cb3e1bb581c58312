"""Plain-text rendering of matrices, aligned the way a textbook prints them."""

from __future__ import annotations

import numpy as np


def format_number(x, decimals=5) -> str:
    """``x`` with ``decimals`` decimals; negative zero is printed as zero."""
    text = f"{float(x):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def format_matrix(M, name=None, decimals=5) -> str:
    """Render ``M`` (scalar, vector or matrix) as aligned rows in square brackets.

    A 1-D array is shown as one row; a matrix of whole numbers without decimals.
    With ``name`` the first row is prefixed by ``"name = "`` and the other rows
    are indented to line up::

        Z1 = [ -0.42392  1.12803 ]
             [ -0.11433  0.32380 ]
    """
    arr = np.asarray(M, dtype=np.float64)
    if arr.ndim == 0:
        body = [format_number(arr, decimals)]
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
