"""Activation functions.

Each activation provides:

* ``forward(Z, out=None) -> A``, the layer output from its pre-activation ``Z``;
* ``backward(A, dA, out=None) -> dZ``, the chain rule ``dZ = dA * f'(Z)``;
* for the elementwise ones, ``derivative(A, out=None) -> f'(Z)``, written in
  terms of the *output* ``A`` (``sigmoid' = A (1 - A)``, ``tanh' = 1 - A**2``,
  ``relu' = [A > 0]``) so that ``Z`` need not be kept.

``out`` may be the input array itself (``forward(Z, out=Z)``,
``backward(A, dA, out=dA)``): the fast training loop in ``glassnet.fastpath``
computes in place in preallocated buffers, and ``backward`` of an elementwise
activation is literally ``dA * derivative(A)``, so the readable path and the fast
path share one formula.
"""

from __future__ import annotations

import numpy as np

from glassnet.registry import Configurable, Registry

# NumPy converts a Python float operand anew on every call; for small arrays a
# ready 0-d array of the same dtype makes an elementwise call about a third cheaper.
_ZERO32, _HALF32, _ONE32 = np.array(0.0, np.float32), np.array(0.5, np.float32), np.array(1.0, np.float32)
_FLOAT32 = np.dtype(np.float32)


class Activation(Configurable):
    """Base class: a named elementwise (or row-wise) function and its derivative."""

    kind = "activation"
    # True when f'(Z) is elementwise and available from ``derivative``; softmax
    # couples the entries of a row and only offers ``backward``.
    elementwise = True

    def forward(self, Z, out=None):
        raise NotImplementedError

    def derivative(self, A, out=None):
        raise NotImplementedError(f"{self.name} has no elementwise derivative; use backward(A, dA)")

    def backward(self, A, dA, out=None):
        """``dZ = dA * f'(Z)``, with ``f'`` computed from the output ``A``."""
        return np.multiply(dA, self.derivative(A), out=out)

    @classmethod
    def from_config(cls, config):
        super().from_config(config)  # checks that the config holds nothing but the name
        return ACTIVATIONS[cls.name]  # activations hold no state: one shared object per name

    def __repr__(self):
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """``A = 1 / (1 + exp(-Z))``, without overflow for any finite ``Z``.

    float32 (training) uses ``(1 + tanh(Z / 2)) / 2``: the same function, it
    cannot overflow, and NumPy's float32 tanh is about twice as fast as exp
    plus a reciprocal. Its relative error grows for very negative ``Z``
    (where A is tiny), which float64 work (tutorials, traces, gradient checks)
    cannot afford, so float64 uses ``exp(-|Z|)``, exact to the last digit at
    both ends.
    """

    name = "sigmoid"

    def forward(self, Z, out=None):
        if Z.dtype is _FLOAT32:
            half, one = _HALF32, _ONE32
        elif Z.dtype == np.float64:
            E = np.exp(-np.abs(Z))
            # 1 / (1 + e^-Z) for Z >= 0, e^Z / (1 + e^Z) for Z < 0: never exp of a positive number
            return np.divide(np.where(Z >= 0, 1.0, E), 1.0 + E, out=out)
        else:
            half, one = 0.5, 1.0
        out = np.multiply(Z, half, out=out)
        np.tanh(out, out=out)
        np.add(out, one, out=out)
        np.multiply(out, half, out=out)
        return out

    def derivative(self, A, out=None):
        # sigmoid'(Z) = A (1 - A)
        out = np.subtract(1.0, A, out=out)
        out *= A
        return out


class Tanh(Activation):
    """``A = tanh(Z)``."""

    name = "tanh"

    def forward(self, Z, out=None):
        return np.tanh(Z, out=out)

    def derivative(self, A, out=None):
        # tanh'(Z) = 1 - A**2
        out = np.multiply(A, A, out=out)
        return np.subtract(1.0, out, out=out)


class ReLU(Activation):
    """``A = max(Z, 0)``; the derivative at exactly 0 is taken as 0."""

    name = "relu"

    def forward(self, Z, out=None):
        return np.maximum(Z, _ZERO32 if Z.dtype is _FLOAT32 else 0.0, out=out)

    def derivative(self, A, out=None):
        # relu'(Z) is 1 where A > 0, else 0 (A > 0 exactly where Z > 0).
        if out is None:
            out = np.empty_like(A)
        return np.greater(A, 0.0, out=out)


class Linear(Activation):
    """The identity, ``A = Z``."""

    name = "linear"

    def forward(self, Z, out=None):
        if out is None:
            return np.array(Z, copy=True)
        if out is not Z:
            out[...] = Z
        return out

    def derivative(self, A, out=None):
        if out is None:
            return np.ones_like(A)
        out.fill(1.0)
        return out


class Softmax(Activation):
    """Row-wise ``A_ij = exp(Z_ij) / sum_k exp(Z_ik)``, shifted by the row max for stability."""

    name = "softmax"
    elementwise = False

    def forward(self, Z, out=None):
        if Z.ndim == 2 and Z.shape[0] == 1 and (out is None or out.shape == Z.shape):
            # one sample in a matrix (the fast training loop at batch size 1): the row's own numbers
            if out is None:
                return self.forward(Z[0])[None, :]
            self.forward(Z[0], out=out[0])
            return out
        if Z.ndim == 2 and Z.shape[0] > 64:
            # Many rows. NumPy reduces along a short last axis row by row, which is
            # slow; along the first axis it combines whole rows at once. So a
            # narrow Z (few classes) is worked on as its transposed copy, where
            # each row's max and sum become column-wise (about 2.5x faster on
            # 1024 rows of 10); a wide one takes the argmax of each row and sums
            # the rows with a product with ones, which are single fast calls.
            if Z.shape[1] <= 32:
                T = np.ascontiguousarray(Z.T)
                T -= T.max(axis=0)
                np.exp(T, out=T)
                T /= T.sum(axis=0)
                if out is None:
                    return np.ascontiguousarray(T.T)
                np.copyto(out, T.T)
                return out
            shift = np.take_along_axis(Z, Z.argmax(axis=1)[:, None], axis=1)
            out = np.subtract(Z, shift, out=out)
            np.exp(out, out=out)
            out /= (out @ np.ones(out.shape[1], out.dtype))[:, None]
            return out
        if Z.ndim == 1:
            # One sample (glassnet.inference): the numbers of a one-row matrix in about two thirds of the time.
            # Indexing at the argmax is cheaper than a max reduction and gives the same shift (a NaN, if any,
            # included); a sum over a whole vector needs no axis.
            out = np.subtract(Z, Z[Z.argmax()], out=out)
            np.exp(out, out=out)
            out /= np.add.reduce(out)
            return out
        out = np.subtract(Z, Z.max(axis=-1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
        return out

    def backward(self, A, dA, out=None):
        # The Jacobian of softmax is diag(A) - A A^T per row, so
        # dZ = A * (dA - sum_k dA_k A_k).
        inner = (dA * A).sum(axis=-1, keepdims=True)
        out = np.subtract(dA, inner, out=out)
        out *= A
        return out


ACTIVATION_TYPES = Registry("activation", Activation)
for _cls in (Sigmoid, Tanh, ReLU, Linear, Softmax):
    ACTIVATION_TYPES.add(_cls)
# the shared objects, by name
ACTIVATIONS = {name: cls() for name, cls in ACTIVATION_TYPES.items()}


def get_activation(spec) -> Activation:
    """An activation from a name (``sigmoid``, ``softmax``, ``tanh``, ``relu``, ``linear``) or its config."""
    return ACTIVATION_TYPES.build(spec)
