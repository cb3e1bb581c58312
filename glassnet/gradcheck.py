"""Gradient checking: compare back-propagation with finite differences.

For every parameter entry ``w`` the central difference
``(L(w + h) - L(w - h)) / (2 h)`` estimates ``dL/dw`` with an error of order
``h**2``. The relative error of one parameter array is
``||analytic - numeric|| / (||analytic|| + ||numeric||)``; a correct backward
pass in float64 gives values around 1e-9 or smaller, a wrong one around 1e-1.
"""

from __future__ import annotations

import numpy as np


def numerical_gradients(net, X, y, h=1e-5):
    """Central-difference estimates of ``dL/dp`` for every array in ``net.parameters()``."""
    X = net.check_X(X)
    Y = net.targets(y, X.shape[0])
    grads = []
    for p in net.parameters():
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + h
            plus = net.loss.value(net.forward(X), Y)
            flat[i] = saved - h
            minus = net.loss.value(net.forward(X), Y)
            flat[i] = saved
            gflat[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


def gradient_check(net, X, y, h=1e-5) -> float:
    """The largest relative error between back-propagated and numerical gradients.

    Needs float64 parameters (the comparison is meaningless in float32).

    Examples
    --------
    >>> net = Network([Dense(3, 4, "tanh"), Dense(4, 2, "softmax")], seed=1)
    >>> gradient_check(net, np.random.default_rng(0).normal(size=(5, 3)), [0, 1, 1, 0, 1]) < 1e-6
    True
    """
    for p in net.parameters():
        if p.dtype != np.float64:
            raise TypeError(f"gradient_check needs float64 parameters, got {p.dtype}")
    net.forward(X)
    net.backward(y)
    analytic = [g.copy() for g in net.gradients()]
    numeric = numerical_gradients(net, X, y, h)
    worst = 0.0
    for a, n in zip(analytic, numeric):
        scale = np.linalg.norm(a) + np.linalg.norm(n)
        if scale > 0:
            worst = max(worst, float(np.linalg.norm(a - n) / scale))
    return worst
