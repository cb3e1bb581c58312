"""What an allocation will cost, checked before it is made.

A tiny input can ask for enormous work: ``Dense(784, 10**9)``, a label
``2e6`` read as 2,000,001 classes, a text column with a million categories.
``check_affordable`` refuses such a request with a one-line message that
gives the estimated memory, before any of it is taken, rather than letting
NumPy fail deep inside (or the machine start swapping).
"""

from __future__ import annotations

import os


class TooLarge(ValueError):
    """A request (layer sizes, classes, categories) that would take more memory than glassnet allows itself."""


# Refused above this share of the machine's memory (the rest is for the data, the copies training makes, and
# everything else that runs).
SHARE = 0.5


def physical_memory() -> int | None:
    """The machine's memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def size_text(n_bytes: float) -> str:
    """``1.5 GiB``, ``640.0 MiB``, ``12.0 KiB``, ``300 bytes`` (up to ``EiB``, with thousands separators beyond)."""
    for unit, size in (("EiB", 2**60), ("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20),
                       ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:,.1f} {unit}"
    return f"{int(n_bytes)} bytes"


def check_affordable(what: str, n_bytes: float, hint: str = "", limit: float | None = None) -> None:
    """Raise ``TooLarge`` (a ``ValueError``, one line) when ``what`` would take more than ``limit`` bytes.

    ``limit`` defaults to half the machine's memory. ``hint`` ends the
    message (what to do instead).
    """
    if limit is None:
        total = physical_memory()
        if total is None:
            return
        limit = SHARE * total
    if n_bytes > limit:
        raise TooLarge(f"{what} would take about {size_text(n_bytes)}, more than the {size_text(limit)} "
                          f"glassnet allows itself here (half this machine's memory)" + (f"; {hint}" if hint else ""))


def row_blocks(X, rows, block: int = 4096):
    """``X[rows]``, ``block`` rows at a time: read the numbered rows of ``X`` without a copy of them all."""
    for start in range(0, len(rows), block):
        yield X[rows[start : start + block]]
