"""Activation functions.

Each activation is a pair of functions:

* ``forward(Z) -> A`` computes the layer output from its pre-activation ``Z``;
* ``backward(A, dA) -> dZ`` applies the chain rule, ``dZ = dA * f'(Z)``, with the
  derivative written in terms of the *output* ``A`` (``sigmoid' = A (1 - A)``,
  ``tanh' = 1 - A**2``) so that ``Z`` need not be kept.

Both accept ``out=`` so the training loop can reuse buffers.
"""

from __future__ import annotations

import numpy as np

from glassnet._checks import choice


class Activation:
    """Base class: a named elementwise (or row-wise) function and its derivative."""

    name = ""

    def forward(self, Z, out=None):
        raise NotImplementedError

    def backward(self, A, dA, out=None):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """``A = 1 / (1 + exp(-Z))``, computed without overflow for any finite ``Z``."""

    name = "sigmoid"

    def forward(self, Z, out=None):
        # exp(-|Z|) never overflows; the two branches of the where() are the same
        # function written for Z >= 0 and Z < 0.
        E = np.exp(-np.abs(Z))
        num = np.where(Z >= 0, 1.0, E).astype(E.dtype, copy=False)
        return np.divide(num, 1.0 + E, out=out)

    def backward(self, A, dA, out=None):
        # dZ = dA * A * (1 - A)
        out = np.multiply(dA, A, out=out)
        out *= 1.0 - A
        return out


class Tanh(Activation):
    """``A = tanh(Z)``."""

    name = "tanh"

    def forward(self, Z, out=None):
        return np.tanh(Z, out=out)

    def backward(self, A, dA, out=None):
        # dZ = dA * (1 - A**2)
        return np.multiply(dA, 1.0 - A * A, out=out)


class ReLU(Activation):
    """``A = max(Z, 0)``; the derivative at exactly 0 is taken as 0."""

    name = "relu"

    def forward(self, Z, out=None):
        return np.maximum(Z, 0.0, out=out)

    def backward(self, A, dA, out=None):
        return np.multiply(dA, A > 0, out=out)


class Linear(Activation):
    """The identity, ``A = Z``."""

    name = "linear"

    def forward(self, Z, out=None):
        if out is None:
            return np.array(Z, copy=True)
        out[...] = Z
        return out

    def backward(self, A, dA, out=None):
        if out is None:
            return np.array(dA, copy=True)
        out[...] = dA
        return out


class Softmax(Activation):
    """Row-wise ``A_ij = exp(Z_ij) / sum_k exp(Z_ik)``, shifted by the row max for stability."""

    name = "softmax"

    def forward(self, Z, out=None):
        out = np.subtract(Z, Z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def backward(self, A, dA, out=None):
        # The Jacobian of softmax is diag(A) - A A^T per row, so
        # dZ = A * (dA - sum_k dA_k A_k).
        inner = (dA * A).sum(axis=1, keepdims=True)
        out = np.subtract(dA, inner, out=out)
        out *= A
        return out


ACTIVATIONS = {cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, Linear, Softmax)}


def get_activation(name) -> Activation:
    """Look up an activation by name (``sigmoid``, ``softmax``, ``tanh``, ``relu``, ``linear``)."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[choice("activation", name, ACTIVATIONS)]
