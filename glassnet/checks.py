"""Validation helpers used at the public boundary (library and CLI).

Every check raises a ``ValueError`` or ``TypeError`` whose message names the
argument, says what was expected and shows what was received. The numeric core
trusts arrays that have passed through here.
"""

from __future__ import annotations

import numbers

import numpy as np


def describe(value) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def positive_number(name: str, value, *, integer: bool = False, allow_zero: bool = False):
    """Return ``value`` if it is a positive real (or integer) number."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return int(value) if integer else float(value)


def choice(name: str, value, options) -> str:
    """Return ``value`` if it is one of the string ``options``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(options)}, got {describe(value)}")
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(options)}")
    return value


def finite_matrix(name: str, value, *, dtype=np.float64, n_cols: int | None = None) -> np.ndarray:
    """Return ``value`` as a 2-D finite array of ``dtype`` (a 1-D input is one sample)."""
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
    arr = np.asarray(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains NaN or infinite values (first at row {bad[0]}, column {bad[1]}); "
            "remove or impute them before training"
        )
    return arr


def from_spec(kind: str, spec, registry: dict, base: type):
    """Build a ``base`` instance from itself, a name in ``registry`` or a config dict.

    A name gives the default settings; a dict ``{"name": ..., **settings}`` (what
    the objects' ``config()`` returns) gives those settings, each checked against
    the class's ``settings``. Used for optimizers and schedules, so a model or a
    command line can name them as plain data.
    """
    if isinstance(spec, base):
        return spec
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise TypeError(
            f"{kind} must be a name in {sorted(registry)}, a config dict with a 'name' or a {base.__name__} "
            f"object, got {describe(spec)}"
        )
    kwargs = dict(spec)
    name = kwargs.pop("name")
    if name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; expected one of {sorted(registry)}")
    cls = registry[name]
    unknown = sorted(set(kwargs) - set(cls.settings))
    if unknown:
        raise ValueError(f"{kind} {name!r} has no setting {unknown}; its settings are {list(cls.settings)}")
    return cls(**kwargs)
