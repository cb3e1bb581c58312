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

Logits. For those same two pairs the loss *value* is best computed from the
output layer's pre-activation ``Z`` (the logits) rather than from ``Yhat``:
a float32 sigmoid is exactly 1 for ``Z`` above about 17, so ``log(1 - Yhat)``
is ``log(0)``, and a probability clipped to ``[1e-12, 1 - 1e-12]`` caps every
confident wrong answer at about 27.6 however wrong it is. From the logits::

    binary_cross_entropy:  max(Z, 0) - Y Z + log1p(exp(-|Z|))
    cross_entropy:         sum_k Y_k (m + log sum_j exp(Z_j - m) - Z_k),  m = max_j Z_j

are accurate for any finite ``Z`` in both dtypes (no ``exp`` of a positive
number), and grow with ``|Z|`` as the true loss does (``fit`` relies on that to notice a loss that
explodes). ``output_value`` picks the logits whenever the output layer's
activation is the loss's ``fused_with``; ``value(Yhat, Y, Z=...)`` takes them
directly. Without logits, probabilities are clipped to ``[eps, 1 - eps]`` with
an ``eps`` that ``1 - eps`` can represent in the array's dtype.

Sample weights. Given weights ``w_i >= 0`` (``sample_weight``), the loss of a
batch is the *weighted mean* of the per-sample losses ``L_i``::

    L = sum_i w_i L_i / sum_i w_i

and its gradient is exactly that of this formula: row ``i`` of ``dL/dYhat``
(and of the fused ``dZ``, ``w_i (Yhat_i - Y_i) / sum w``) is the unweighted
row's ``1/N`` replaced by ``w_i / sum w``. With all weights equal it is the
plain mean. This is the convention of scikit-learn's metrics (``log_loss``,
``mean_squared_error``: ``np.average(..., weights=w)``), not Keras's, which
divides ``sum_i w_i L_i`` by the batch size ``N``. The weighted mean was
chosen because

* only the ratios of the weights matter: multiplying them all by 10 changes
  nothing, so the learning rate keeps its meaning whatever scale the weights
  come in (with ``/ N`` it would have to be divided by 10 by hand), and
  ``class_weight`` changes which samples count, not the step size;
* an integer weight is a repeated row: weight 2 on a row trains exactly like
  that row given twice in the same batch (with ``/ N`` the two differ: the
  copy adds one to ``N``, the weight does not);
* the loss stays a mean of the per-sample losses, comparable with the
  unweighted one and between data sets of different sizes.

The price: in a mini-batch each batch is normalised by its own weights, so a
batch of light samples moves the weights as far as a batch of heavy ones
(with ``/ N`` it would move them less). A batch whose weights are all zero has
loss 0 and gradient 0 (the formula's 0/0 taken as 0).
"""

from __future__ import annotations

import numpy as np

from glassnet.checks import not_numbers
from glassnet.registry import Configurable, Registry

# log() of a probability is taken at no less than this, so a confident wrong
# answer costs a large finite loss instead of inf.
_EPS = 1e-12


def _clip_eps(dtype) -> float:
    """The ``eps`` of ``clip(P, eps, 1 - eps)``: 1e-12, or the gap below 1 where the dtype cannot hold 1 - 1e-12.

    In float32 ``1 - 1e-12`` rounds to 1, and ``log(1 - P)`` would be ``log(0)``.
    """
    return max(_EPS, float(np.finfo(dtype).epsneg)) if np.issubdtype(dtype, np.floating) else _EPS


def row_sums(M):
    """``M.sum(axis=1)`` as one matrix-vector product: NumPy's row-wise reduction
    loops over the rows one by one, which is slow for many short rows (one per
    sample, one column per class)."""
    return M @ np.ones(M.shape[1], M.dtype)


def check_sample_weight(name, value, n_samples, rows="X"):
    """``value`` as a float64 vector of ``n_samples`` finite weights ``>= 0``, not all zero, or a clear error.

    ``rows`` names the data the weights belong to (in the length mismatch message).
    """
    try:
        w = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        what = type(value).__name__
        raise TypeError(f"{name} must be a 1-D array of numbers, one weight per sample, got {what}") from exc
    given = f"{type(value).__name__} of shape {w.shape} and dtype {w.dtype}"
    if w.dtype == bool or not (np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)):
        raise not_numbers(name, w, f"{name} must be a 1-D array of real numbers, one weight per sample, got {given}")
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            f"{name} must hold one weight per sample of {rows}: expected shape ({n_samples},), got shape {w.shape}"
        )
    w = w.astype(np.float64)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {w[i].item()!r}; weights must be finite numbers >= 0")
    if not w.any():
        raise ValueError(f"{name} is all zeros ({n_samples} weights); at least one sample needs a weight > 0")
    return w


def weighted_mean(values, sample_weight=None) -> float:
    """``mean(values)``, or ``sum_i w_i values_i / sum_i w_i`` (0 when every weight is 0).

    The one definition behind weighted losses and accuracies: see the module docstring.
    """
    if sample_weight is None:
        return float(np.mean(values))
    total = sample_weight.sum()
    return float(sample_weight @ values / total) if total > 0 else 0.0


def row_scale(sample_weight, dtype):
    """The column ``w_i / sum w`` (zeros when every weight is 0): what replaces ``1/N`` in a weighted gradient."""
    w = np.asarray(sample_weight, dtype=dtype)
    total = w.sum()
    return (w / total if total > 0 else np.zeros_like(w))[:, np.newaxis]


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

    def value(self, Yhat, Y, sample_weight=None, Z=None) -> float:
        """The mean loss over the rows of ``Yhat`` (weighted by ``sample_weight``, see the module docstring).

        ``Z``: the output layer's pre-activation, given only when its activation is ``fused_with``; the loss
        is then computed from these logits (see the module docstring).
        """
        per_sample = self.per_sample(Yhat, Y) if Z is None else self.from_logits(Z, Y)
        if sample_weight is not None:
            return weighted_mean(per_sample, sample_weight)
        return float(per_sample.mean())

    def output_value(self, layer, Y, sample_weight=None) -> float:
        """The loss of output ``layer``'s last forward pass (its ``A``, or its ``Z`` where that is exact; see above)."""
        return self.value(layer.A, Y, sample_weight, self.logits(layer))

    def logits(self, layer):
        """Output ``layer``'s ``Z`` when the loss is computed from it (its activation is ``fused_with``), else None."""
        return layer.Z if layer.activation.name == self.fused_with else None

    def per_sample(self, Yhat, Y):
        raise NotImplementedError

    def from_logits(self, Z, Y):
        """Per-sample losses from the pre-activation ``Z`` of a ``fused_with`` output (the pairs that have one)."""
        raise NotImplementedError(f"{self.name} is not computed from logits")

    def gradient(self, Yhat, Y, out=None, sample_weight=None):
        """``dL/dYhat`` of the (weighted) mean loss, written into ``out`` when given.

        Subclasses compute the per-sample gradient and finish with ``_mean_rows``.
        """
        raise NotImplementedError

    @staticmethod
    def _mean_rows(out, sample_weight, sign=1):
        """Turn per-sample gradient rows into those of the mean: ``/ N``, or ``* w_i / sum w`` with weights."""
        if sample_weight is None:
            out /= sign * out.shape[0]
        else:
            scale = row_scale(sample_weight, out.dtype)
            if sign != 1:
                scale *= sign
            out *= scale
        return out

    def check_targets(self, Y, activation, name="y"):
        """Raise a ValueError if target matrix ``Y`` does not suit this loss and output activation."""

    def output_delta(self, Yhat, Y, activation, out=None, sample_weight=None):
        """``dL/dZ`` of the output layer whose activation produced ``Yhat`` (rows weighted by ``sample_weight``)."""
        if activation.name == self.fused_with:
            # softmax + cross_entropy and sigmoid + binary_cross_entropy: the
            # activation's derivative cancels the loss's 1/Yhat terms exactly.
            out = np.subtract(Yhat, Y, out=out)
            if sample_weight is None:
                # a float divisor: NumPy takes a slower road for a Python int (twice the cost on a small batch)
                np.divide(out, float(Yhat.shape[0]), out=out)
            else:  # row i times w_i / sum w
                out *= row_scale(sample_weight, out.dtype)
            return out
        grad = self.gradient(Yhat, Y, out=out, sample_weight=sample_weight)
        return activation.backward(Yhat, grad, out=out)

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

    def from_logits(self, Z, Y):
        # -log softmax(Z)_k = log sum_j exp(Z_j - m) - (Z_k - m), with m the row's max: no exp of a positive number.
        # The max of many short rows is several times faster over the columns of Z's transposed copy (as in softmax).
        D = Z - np.ascontiguousarray(Z.T).max(axis=0)[:, np.newaxis]
        log_sum = np.log(row_sums(np.exp(D)))
        return log_sum * row_sums(Y) - row_sums(Y * D)

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

    def gradient(self, Yhat, Y, out=None, sample_weight=None):
        # -Y / Yhat / N
        out = np.maximum(Yhat, _EPS, out=out)
        np.divide(Y, out, out=out)
        return self._mean_rows(out, sample_weight, sign=-1)


class BinaryCrossEntropy(Loss):
    name = "binary_cross_entropy"
    activations = ("sigmoid", "softmax")
    fused_with = "sigmoid"

    def check_targets(self, Y, activation, name="y"):
        check_probabilities(self.name, Y, name)

    def per_sample(self, Yhat, Y):
        eps = _clip_eps(Yhat.dtype)
        P = np.clip(Yhat, eps, 1 - eps)
        return -row_sums(Y * np.log(P) + (1 - Y) * np.log(1 - P))

    def from_logits(self, Z, Y):
        # -[Y log s(Z) + (1 - Y) log(1 - s(Z))] = max(Z, 0) - Y Z + log(1 + exp(-|Z|))
        L = np.log1p(np.exp(-np.abs(Z)))
        L += np.maximum(Z, 0)
        L -= Y * Z
        return row_sums(L)

    def gradient(self, Yhat, Y, out=None, sample_weight=None):
        # (P - Y) / (P (1 - P)) / N, with P = Yhat kept inside [eps, 1 - eps]
        eps = _clip_eps(Yhat.dtype)
        P = np.clip(Yhat, eps, 1 - eps)
        out = np.subtract(P, Y, out=out)
        out /= P * (1 - P)
        return self._mean_rows(out, sample_weight)


class SquaredError(Loss):
    name = "squared_error"

    def per_sample(self, Yhat, Y):
        D = Yhat - Y
        return 0.5 * row_sums(D * D)

    def gradient(self, Yhat, Y, out=None, sample_weight=None):
        out = np.subtract(Yhat, Y, out=out)
        return self._mean_rows(out, sample_weight)


LOSS_TYPES = Registry("loss", Loss)
for _cls in (CrossEntropy, BinaryCrossEntropy, SquaredError):
    LOSS_TYPES.add(_cls)
# the shared objects, by name
LOSSES = {name: cls() for name, cls in LOSS_TYPES.items()}


def get_loss(spec) -> Loss:
    """A loss from a name (``cross_entropy``, ``binary_cross_entropy``, ``squared_error``) or its config."""
    return LOSS_TYPES.build(spec)
