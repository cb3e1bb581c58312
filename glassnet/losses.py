"""Loss functions: a number that says how wrong ``Yhat`` is, and its gradient.

Conventions (all losses are *means over samples*, so the learning rate does not
depend on the batch size):

* ``cross_entropy``: ``L = -(1/N) sum_i sum_k Y_ik log Yhat_ik``. Meant for a
  softmax output and one-hot (or probability) targets.
* ``binary_cross_entropy``: ``L = -(1/N) sum_i sum_k [Y log Yhat + (1-Y) log(1-Yhat)]``.
  Meant for sigmoid outputs, one independent yes/no per output column.
* ``squared_error``: ``L = (1/N) sum_i 1/2 sum_k (Yhat_ik - Y_ik)**2``. The factor
  1/2 cancels the 2 that differentiation brings down, so ``dL/dYhat = (Yhat - Y)/N``.
  With one sample per update this is exactly Rashid's rule
  ``W += lr * E * O (1 - O) * O_prev`` with ``E = T - O`` (his book differentiates
  ``(t - o)**2`` and gets ``-2 (t - o)``, then drops the 2 in the update; using
  the 1/2 in the loss makes that update an honest gradient step). Sandhu's
  tutorial uses the same convention.

``output_delta`` returns ``dZ`` of the output layer. For the pairs
softmax + cross_entropy and sigmoid + binary_cross_entropy the chain rule
collapses to the fused, numerically stable ``dZ = (Yhat - Y) / N``; every other
pair goes through the activation's own derivative.
"""

from __future__ import annotations

import numpy as np

from glassnet.registry import Configurable, Registry

# log() of a probability is taken at no less than this, so a confident wrong
# answer costs a large finite loss instead of inf.
_EPS = 1e-12


def row_sums(M):
    """``M.sum(axis=1)`` as one matrix-vector product: NumPy's row-wise reduction
    loops over the rows one by one, which is slow for many short rows (one per
    sample, one column per class)."""
    return M @ np.ones(M.shape[1], M.dtype)


def check_probabilities(loss_name, Y, name):
    """Cross entropies compare probabilities: every target must lie in [0, 1]."""
    outside = (Y < 0) | (Y > 1)
    if outside.any():
        row, col = np.argwhere(outside)[0]
        raise ValueError(
            f"{name} must hold targets between 0 and 1 for {loss_name}, got {Y[row, col].item()!r} "
            f"at row {row}, column {col}; use squared_error for other targets"
        )


class Loss(Configurable):
    """Base class for losses; subclasses define ``value`` and ``gradient``."""

    kind = "loss"
    # Output activations this loss makes sense with (None: any).
    activations: tuple[str, ...] | None = None
    # Output activation for which dZ = (Yhat - Y) / N exactly.
    fused_with: str | None = None

    def value(self, Yhat, Y) -> float:
        """The mean loss over the rows of ``Yhat``."""
        return float(self.per_sample(Yhat, Y).mean())

    def per_sample(self, Yhat, Y):
        raise NotImplementedError

    def gradient(self, Yhat, Y, out=None):
        """``dL/dYhat`` of the mean loss (written into ``out`` when given)."""
        raise NotImplementedError

    def check_targets(self, Y, activation, name="y"):
        """Raise a ValueError if target matrix ``Y`` does not suit this loss and output activation."""

    def output_delta(self, Yhat, Y, activation, out=None):
        """``dL/dZ`` of the output layer whose activation produced ``Yhat``."""
        if activation.name == self.fused_with:
            # softmax + cross_entropy and sigmoid + binary_cross_entropy: the
            # activation's derivative cancels the loss's 1/Yhat terms exactly.
            out = np.subtract(Yhat, Y, out=out)
            out /= Yhat.shape[0]
            return out
        return activation.backward(Yhat, self.gradient(Yhat, Y, out=out), out=out)

    @classmethod
    def from_config(cls, config):
        super().from_config(config)  # checks that the config holds nothing but the name
        return LOSSES[cls.name]  # losses hold no state: one shared object per name

    def __repr__(self):
        return f"{type(self).__name__}()"


class CrossEntropy(Loss):
    name = "cross_entropy"
    activations = ("softmax", "sigmoid")
    fused_with = "softmax"

    def per_sample(self, Yhat, Y):
        return -row_sums(Y * np.log(np.maximum(Yhat, _EPS)))

    def check_targets(self, Y, activation, name="y"):
        check_probabilities(self.name, Y, name)
        # A softmax output sums to 1 in every row, and the fused dZ = (Yhat - Y) / N is the
        # gradient only for targets that do too; other targets are a mistake, not a use case.
        if activation.name != "softmax":
            return
        sums = row_sums(Y)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-6)
        if bad.size:
            raise ValueError(
                f"{name} rows must sum to 1 for cross_entropy with a softmax output (one-hot rows or "
                f"probabilities), but row {bad[0]} sums to {sums[bad[0]]:.6g}; give class labels instead, "
                "or use squared_error or binary_cross_entropy for targets such as 0.01/0.99"
            )

    def gradient(self, Yhat, Y, out=None):
        # -Y / Yhat / N
        out = np.maximum(Yhat, _EPS, out=out)
        np.divide(Y, out, out=out)
        out /= -Yhat.shape[0]
        return out


class BinaryCrossEntropy(Loss):
    name = "binary_cross_entropy"
    activations = ("sigmoid", "softmax")
    fused_with = "sigmoid"

    def check_targets(self, Y, activation, name="y"):
        check_probabilities(self.name, Y, name)

    def per_sample(self, Yhat, Y):
        P = np.clip(Yhat, _EPS, 1 - _EPS)
        return -row_sums(Y * np.log(P) + (1 - Y) * np.log(1 - P))

    def gradient(self, Yhat, Y, out=None):
        # (P - Y) / (P (1 - P)) / N, with P = Yhat kept inside [eps, 1 - eps]
        P = np.clip(Yhat, _EPS, 1 - _EPS)
        out = np.subtract(P, Y, out=out)
        out /= P * (1 - P)
        out /= Yhat.shape[0]
        return out


class SquaredError(Loss):
    name = "squared_error"

    def per_sample(self, Yhat, Y):
        D = Yhat - Y
        return 0.5 * row_sums(D * D)

    def gradient(self, Yhat, Y, out=None):
        out = np.subtract(Yhat, Y, out=out)
        out /= Yhat.shape[0]
        return out


LOSS_TYPES = Registry("loss", Loss)
for _cls in (CrossEntropy, BinaryCrossEntropy, SquaredError):
    LOSS_TYPES.add(_cls)
# the shared objects, by name
LOSSES = {name: cls() for name, cls in LOSS_TYPES.items()}


def get_loss(spec) -> Loss:
    """A loss from a name (``cross_entropy``, ``binary_cross_entropy``, ``squared_error``) or its config."""
    return LOSS_TYPES.build(spec)
