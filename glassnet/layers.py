"""Layers. glassnet has one: the fully connected ``Dense`` layer.

Rows are samples ("batch first"), so for a batch ``X`` of shape ``(N, n_in)``::

    Z = X @ W + b          W: (n_in, n_out), b: (n_out,)
    A = f(Z)

and, given ``dA = dL/dA`` (or the fused ``dZ`` from the loss)::

    dZ = dA * f'(Z)        (written with A, see glassnet.activations)
    dW = X.T @ dZ
    db = dZ.sum(axis=0)
    dX = dZ @ W.T          returned, it is the previous layer's dA

The ``1/N`` of the mean loss is already inside ``dA``. ``backward`` overwrites
the stored gradients, so calling it twice gives the same result, not double.
"""

from __future__ import annotations

import numpy as np

from glassnet.activations import get_activation
from glassnet.checks import flag, positive_number
from glassnet.initializers import get_initializer
from glassnet.memory import check_affordable
from glassnet.registry import Configurable, Registry, settings_of


class Dense(Configurable):
    """A fully connected layer ``A = activation(X @ W + b)``.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and of nodes (outputs).
    activation : str
        ``"sigmoid"``, ``"softmax"``, ``"tanh"``, ``"relu"`` or ``"linear"``.
    bias : bool
        Whether the layer has a bias vector ``b``.
    init : str, number, array or Initializer, optional
        How ``W`` starts. Default: ``"he"`` for ReLU layers, ``"glorot"`` otherwise.
    bias_init : str, number, array or Initializer
        How ``b`` starts (default zeros); an array must have shape ``(n_out,)``.
    seed : int, optional
        Seed for the random initializer. ``Network(..., seed=s)`` redraws every
        layer from one generator seeded with ``s``.

    Attributes
    ----------
    W, b : ndarray
        The parameters (plain writable arrays; ``b`` is None without bias),
        float64 when drawn, in the training dtype after ``Network.fit``.
    X, Z, A : ndarray
        The input, pre-activation and output of the last ``forward``.
    dA, dZ, dW, db : ndarray
        The gradients of the last ``backward`` (``dA`` is None when the loss
        handed over a fused ``dZ``).

    Examples
    --------
    >>> layer = Dense(2, 2, activation="sigmoid", init=[[0.9, 0.2], [0.3, 0.8]], bias=False)
    >>> layer.forward(np.array([[1.0, 0.5]])).round(5)
    array([[0.74077, 0.64566]])
    """

    name = "Dense"  # its "type" in a network's config
    kind = "layer"
    settings = ("n_in", "n_out", "activation", "bias", "init", "bias_init")

    def __init__(self, n_in, n_out, activation="sigmoid", bias=True, init=None, bias_init=0.0, seed=None):
        self.n_in = positive_number("n_in", n_in, integer=True)
        self.n_out = positive_number("n_out", n_out, integer=True)
        # W, and in training its gradient and an optimizer's state: a few copies of n_in x n_out floats
        check_affordable(f"a Dense({self.n_in:,}, {self.n_out:,}) layer", 4 * 8 * self.n_in * self.n_out,
                         "use fewer nodes")
        self.activation = get_activation(activation)
        self.bias = flag("bias", bias)
        if init is None:
            init = "he" if self.activation.name == "relu" else "glorot"
        self.init = get_initializer(init)
        self.bias_init = get_initializer(bias_init)
        if seed is not None:
            positive_number("seed", seed, integer=True, allow_zero=True)
        self.initialize(np.random.default_rng(seed))
        self.X = self.Z = self.A = None
        self.dA = self.dZ = self.dW = self.db = None

    def initialize(self, rng):
        """Draw ``W`` (and ``b``) afresh from the initializers using generator ``rng``."""
        self.W = np.ascontiguousarray(self.init((self.n_in, self.n_out), rng), dtype=np.float64)
        if self.bias:
            b = self.bias_init((self.n_out,), rng)
            self.b = np.array(b, dtype=np.float64).reshape(self.n_out)
        else:
            self.b = None

    def cast(self, dtype):
        """Convert ``W`` and ``b`` to ``dtype`` (new arrays, only when the dtype changes)."""
        self.W = self.W.astype(dtype, copy=False)
        if self.bias:
            self.b = self.b.astype(dtype, copy=False)

    def parameters(self):
        """The trainable arrays, ``[W, b]`` (or ``[W]`` without bias)."""
        return [self.W, self.b] if self.bias else [self.W]

    def gradients(self):
        """The gradients of the last ``backward``, in the order of ``parameters()``."""
        return [self.dW, self.db] if self.bias else [self.dW]

    def pre_activation(self, X):
        """``Z = X @ W + b`` (nothing is stored); ``X`` may also be a single sample as a vector.

        ``X.dot(W)`` is the same product as ``X @ W`` with less dispatch overhead
        (about 0.4 us of a 7 us single-sample product).
        """
        Z = X.dot(self.W)
        if self.bias:
            Z += self.b
        return Z

    def forward(self, X):
        """``A = f(X @ W + b)``; keeps ``X``, ``Z`` and ``A`` for ``backward``."""
        self.X, self.Z = X, self.pre_activation(X)
        self.A = self.activation.forward(self.Z)
        return self.A

    def backward(self, dA=None, dZ=None):
        """Back-propagate ``dA`` (or an already computed ``dZ``); return ``dX``."""
        if dZ is None:
            dZ = self.activation.backward(self.A, dA)
        self.dA, self.dZ = dA, dZ
        self.dW = self.X.T @ dZ
        self.db = dZ.sum(axis=0) if self.bias else None
        return dZ @ self.W.T

    def n_parameters(self) -> int:
        return self.W.size + (self.b.size if self.bias else 0)

    def config(self) -> dict:
        """The layer as plain data: its shape, activation and initializers (weights are stored separately)."""
        return {
            "type": self.name,
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation.name,
            "bias": self.bias,
            "init": self.init.config(),
            "bias_init": self.bias_init.config(),
        }

    @classmethod
    def from_config(cls, config, seed=None):
        """A new layer as ``config`` describes it, its weights drawn from its initializers (with ``seed``).

        A config without ``init``/``bias_init`` (model files written before
        they were recorded) gets the defaults.
        """
        return cls(**settings_of(cls, config, key="type"), seed=seed)

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r}, bias={self.bias})"


LAYERS = Registry("layer", Dense, key="type")
LAYERS.add(Dense)
