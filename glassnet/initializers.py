"""Weight initializers: rules that draw a layer's starting ``W`` (shape ``(n_in, n_out)``).

An initializer is called as ``init(shape, rng)`` and returns a float64 array.
``get_initializer`` also accepts a name (``"glorot"``, ``"he"``, ``"rashid"``,
``"uniform"``, ``"normal"``, ``"constant"``, ``"zeros"``), a ``config()`` dict,
a number (every weight set to it) or an explicit array.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.checks import array_of, describe, finite_number, is_finite, positive_number
from glassnet.registry import Configurable, Registry


class Initializer(Configurable):
    """Base class: ``init(shape, rng) -> array``."""

    kind = "init"

    def __call__(self, shape, rng):
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and self.config() == other.config()

    __hash__ = None  # equal by value, and mutable

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.settings)
        return f"{type(self).__name__}({args})"


class Uniform(Initializer):
    """Independent draws from ``U(low, high)`` (the stairs tutorial uses -0.01..0.01)."""

    name = "uniform"
    settings = ("low", "high")

    def __init__(self, low=-0.05, high=0.05):
        for name, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a finite number, got {describe(value)}")
        if not (is_finite(low) and is_finite(high)) or low >= high:
            raise ValueError(f"Uniform needs finite low < high, got low={low!r:.40}, high={high!r:.40}")
        self.low, self.high = float(low), float(high)

    def __call__(self, shape, rng):
        return rng.uniform(self.low, self.high, size=shape)


class Normal(Initializer):
    """Independent draws from ``N(mean, std**2)``."""

    name = "normal"
    settings = ("mean", "std")

    def __init__(self, mean=0.0, std=0.05):
        self.mean = finite_number("mean", mean)
        self.std = positive_number("std", std)

    def __call__(self, shape, rng):
        return rng.normal(self.mean, self.std, size=shape)


class Rashid(Initializer):
    """``N(0, 1/n_in)``: std is the inverse square root of the links into a node (Rashid's book)."""

    name = "rashid"

    def __call__(self, shape, rng):
        return rng.normal(0.0, shape[0] ** -0.5, size=shape)


class Glorot(Initializer):
    """Glorot/Xavier uniform: ``U(-r, r)`` with ``r = sqrt(6 / (n_in + n_out))``."""

    name = "glorot"

    def __call__(self, shape, rng):
        r = np.sqrt(6.0 / (shape[0] + shape[-1]))
        return rng.uniform(-r, r, size=shape)


class He(Initializer):
    """He normal: ``N(0, 2/n_in)``, suited to ReLU layers."""

    name = "he"

    def __call__(self, shape, rng):
        return rng.normal(0.0, np.sqrt(2.0 / shape[0]), size=shape)


class Constant(Initializer):
    """Every weight equal to ``value`` (zeros for biases; a teaching aid for weights)."""

    name = "constant"
    settings = ("value",)

    def __init__(self, value=0.0):
        self.value = finite_number("value", value)

    def __call__(self, shape, rng):
        return np.full(shape, self.value)


class Array(Initializer):
    """A fixed array given by the user; its shape must match the layer.

    Its ``config()`` holds the values as nested lists, so a layer started from
    explicit weights restarts from them after a save and load.
    """

    name = "array"
    settings = ("values",)

    def __init__(self, values):
        if np.iscomplexobj(array_of("init array", values, "numeric")):  # casting would drop imaginary parts
            raise TypeError(f"init array must be real numbers, got complex ones ({describe(values)})")
        try:
            self.values = np.array(values, dtype=np.float64)
        except OverflowError as exc:  # a Python int beyond float64's range
            raise ValueError(f"init array holds an integer too large for a float, in {describe(values)}") from exc
        except (TypeError, ValueError) as exc:
            raise TypeError(f"init array must be numeric, got {describe(values)}") from exc
        if not np.all(np.isfinite(self.values)):
            raise ValueError(f"init array must be finite, got NaN or inf in an array of shape {self.values.shape}")

    def __call__(self, shape, rng):
        if self.values.shape != tuple(shape):
            raise ValueError(f"init array has shape {self.values.shape}, expected {tuple(shape)}")
        return self.values.copy()

    def config(self):
        return {"name": self.name, "values": self.values.tolist()}

    def __repr__(self):
        return f"Array(shape={self.values.shape})"


class Zeros(Constant):
    """``Constant(0.0)`` under its own name, the usual start of a bias."""

    name = "zeros"
    settings = ()

    def __init__(self):
        super().__init__(0.0)


INITIALIZERS = Registry("init", Initializer)
for _cls in (Glorot, He, Rashid, Uniform, Normal, Constant, Zeros, Array):
    INITIALIZERS.add(_cls)


def get_initializer(init) -> Initializer:
    """Turn a name, a ``config()`` dict, a number, an array or an ``Initializer`` into an ``Initializer``."""
    if isinstance(init, numbers.Real) and not isinstance(init, (bool, np.bool_)):
        return Constant(init)
    if isinstance(init, (np.ndarray, list, tuple)):
        return Array(init)
    if isinstance(init, (str, dict, Initializer)):
        return INITIALIZERS.build(init)
    raise TypeError(f"init must be a name, a config dict, a number, an array or an Initializer, got {describe(init)}")
