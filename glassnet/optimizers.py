"""Optimizers: rules that turn gradients into parameter updates.

An optimizer knows only lists of parameter arrays and their gradients; it never
sees the network, and the network never sees its state. ``step`` updates the
parameters in place.
"""

from __future__ import annotations

from glassnet._checks import positive_number


class SGD:
    """Plain gradient descent: ``p -= lr * g`` for every parameter ``p``.

    Parameters
    ----------
    lr : float
        The learning rate (step size), > 0.
    """

    def __init__(self, lr=0.1):
        self.lr = positive_number("lr", lr)

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g

    def config(self) -> dict:
        return {"name": "sgd", "lr": self.lr}

    def __repr__(self):
        return f"SGD(lr={self.lr})"
