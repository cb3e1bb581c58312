"""How messages about tables name things: arguments (the library's or the CLI's), counts, lists."""

from __future__ import annotations

from collections import Counter

from glassnet.checks import describe, shown


def number_text(value: float) -> str:
    """A number as a category or class name: whole numbers without '.0'."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


def count(n, noun) -> str:
    """``1 cell``, ``2 cells``, ``1,500 cells``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def few(values, at_most=8) -> str:
    """Up to ``at_most`` values for a message, each on one line and cut, and how many more there are."""
    values = list(values)
    text = ", ".join(shown(v, 40) for v in values[:at_most])
    return f"[{text}{f', ... {len(values) - at_most} more' if len(values) > at_most else ''}]"


def names_list(arg, names):
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise TypeError(f"{arg} must be a list of column names, got {describe(names)}")
    names = list(names)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise TypeError(f"{arg} must hold non-empty strings, got {describe(bad[0])}")
    dup = sorted(n for n, k in Counter(names).items() if k > 1)
    if dup:
        raise ValueError(f"{arg} names {shown(dup[0])} more than once")
    return names


def api_words(arg, value=None):
    """How a message names an argument in the library: ``task='regression'``."""
    return f"{arg}" if value is None else f"{arg}={shown(value)}"


def cli_words(arg, value=None):
    """How a message names an argument on the command line: ``--task regression`` (``--all-rows`` for True)."""
    flag = "--" + arg.replace("_", "-")
    return flag if value is None or value is True else f"{flag} {value}"
