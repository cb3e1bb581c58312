"""Weight initializers: rules that draw a layer's starting ``W`` (shape ``(n_in, n_out)``).

An initializer is called as ``init(shape, rng)`` and returns a float64 array.
``get_initializer`` also accepts a name (``"glorot"``, ``"he"``, ``"rashid"``,
``"zeros"``), a number (every weight set to it) or an explicit array.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.checks import describe, positive_number


class Initializer:
    """Base class: ``init(shape, rng) -> array``."""

    def __call__(self, shape, rng):
        raise NotImplementedError

    def config(self) -> dict:
        """The initializer as plain data (used in reprs and model files)."""
        return {"name": type(self).__name__.lower(), **vars(self)}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Uniform(Initializer):
    """Independent draws from ``U(low, high)`` (the stairs tutorial uses -0.01..0.01)."""

    def __init__(self, low=-0.05, high=0.05):
        if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
            raise ValueError(f"Uniform needs finite low < high, got low={low!r}, high={high!r}")
        self.low, self.high = float(low), float(high)

    def __call__(self, shape, rng):
        return rng.uniform(self.low, self.high, size=shape)


class Normal(Initializer):
    """Independent draws from ``N(mean, std**2)``."""

    def __init__(self, mean=0.0, std=0.05):
        if not np.isfinite(mean):
            raise ValueError(f"Normal mean must be finite, got mean={mean!r}")
        self.mean = float(mean)
        self.std = positive_number("std", std)

    def __call__(self, shape, rng):
        return rng.normal(self.mean, self.std, size=shape)


class Rashid(Initializer):
    """``N(0, 1/n_in)``: std is the inverse square root of the links into a node (seed 002)."""

    def __call__(self, shape, rng):
        return rng.normal(0.0, shape[0] ** -0.5, size=shape)


class Glorot(Initializer):
    """Glorot/Xavier uniform: ``U(-r, r)`` with ``r = sqrt(6 / (n_in + n_out))``."""

    def __call__(self, shape, rng):
        r = np.sqrt(6.0 / (shape[0] + shape[-1]))
        return rng.uniform(-r, r, size=shape)


class He(Initializer):
    """He normal: ``N(0, 2/n_in)``, suited to ReLU layers."""

    def __call__(self, shape, rng):
        return rng.normal(0.0, np.sqrt(2.0 / shape[0]), size=shape)


class Constant(Initializer):
    """Every weight equal to ``value`` (zeros for biases; a teaching aid for weights)."""

    def __init__(self, value=0.0):
        if not np.isfinite(value):
            raise ValueError(f"Constant value must be finite, got {value!r}")
        self.value = float(value)

    def __call__(self, shape, rng):
        return np.full(shape, self.value)


class Array(Initializer):
    """A fixed array given by the user; its shape must match the layer."""

    def __init__(self, values):
        self.values = np.array(values, dtype=np.float64)
        if not np.all(np.isfinite(self.values)):
            raise ValueError(f"init array must be finite, got NaN or inf in an array of shape {self.values.shape}")

    def __call__(self, shape, rng):
        if self.values.shape != tuple(shape):
            raise ValueError(f"init array has shape {self.values.shape}, expected {tuple(shape)}")
        return self.values.copy()

    def config(self):
        return {"name": "array"}

    def __repr__(self):
        return f"Array(shape={self.values.shape})"


_BY_NAME = {"glorot": Glorot, "he": He, "rashid": Rashid, "zeros": Constant, "uniform": Uniform, "normal": Normal}


def get_initializer(init) -> Initializer:
    """Turn a name, number, array or ``Initializer`` into an ``Initializer``."""
    if isinstance(init, Initializer):
        return init
    if isinstance(init, str):
        if init not in _BY_NAME:
            raise ValueError(f"unknown init {init!r}; expected one of {sorted(_BY_NAME)}, a number or an array")
        return _BY_NAME[init]()
    if isinstance(init, numbers.Real) and not isinstance(init, (bool, np.bool_)):
        return Constant(init)
    if isinstance(init, (np.ndarray, list, tuple)):
        return Array(init)
    raise TypeError(f"init must be a name, a number, an array or an Initializer, got {describe(init)}")
