"""Prediction: a network's output for inputs that ``Network.check_X`` has passed, computed without bookkeeping.

``Network.forward`` keeps every layer's ``X``, ``Z`` and ``A`` for ``backward``.
Prediction needs none of them, so here each layer computes ``Z = X @ W + b``
in a new array and its activation overwrites that same array
(``activation.forward(Z, out=Z)``): one array per layer instead of two, so
less memory to allocate and to keep in cache. The numbers are those of
``forward``, bit for bit (``tests/test_predict_speed_paths.py`` compares them
for every activation, output and dtype).

A single sample travels as a vector rather than a one-row matrix. NumPy
computes the product of a one-row matrix with the same BLAS matrix-vector call
(GEMV) as that of a vector, and every other call is cheaper on a vector: a
reduction over a whole vector skips the axis machinery.

Overflow is not an error here: a network whose inputs are too large for its
weights computes an inf or a NaN, and ``finite_output`` turns that into one
``ValueError`` (no RuntimeWarning first). The inputs are checked here too
(``Network.check_X(..., finite=False)`` leaves it to this module), with the
error ``check_X`` gives, and more cheaply: through the first layer's
``Z = X @ W + b``. A NaN or an inf in a row of ``X`` makes every entry of that
row of ``Z`` NaN or infinite (``inf * 0`` is NaN, and BLAS multiplies every
entry of ``X`` that is not zero), so only when ``Z`` is not finite is ``X``
itself read entry by entry, to name the first bad value or to clear it (then
it was an overflow). ``Z`` has ``n_out`` columns to ``X``'s ``n_in``: on the
benchmark networks (784 inputs) that is a quarter or a third of the reading.
Each check costs one dot product in the common case: ``v . v`` over the
flattened array is finite only if every entry is (an inf or a NaN makes it inf
or NaN); only when it is not does the entry-by-entry check run, which also
accepts finite arrays whose ``v . v`` overflowed.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from glassnet.checks import finite_matrix


def _overflow_is_reported(function):
    """``function`` run under ``np.errstate`` with overflow, invalid, divide and underflow ignored.

    Underflow too: exp of a very negative number is 0, which is the right
    answer, whatever the caller asks NumPy to do about it.
    """
    quiet = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}
    if int(np.__version__.split(".")[0]) >= 2:
        # NumPy 2's errstate as a decorator keeps its state per call (safe in threads) and costs about half of
        # a ``with np.errstate(...)`` block, which builds the object anew on every call. NumPy 1's kept it on
        # the one shared object.
        return np.errstate(**quiet)(function)

    @functools.wraps(function)
    def quietly(*args, **kwargs):
        with np.errstate(**quiet):
            return function(*args, **kwargs)

    return quietly


@_overflow_is_reported
def output(layers, X, for_classes=False):
    """The output ``Yhat`` of ``layers`` for the checked 2-D ``X``, or a one-line ``ValueError`` if not finite.

    A one-row ``X`` gives a vector of ``n_out`` values, more rows a matrix.
    ``for_classes=True`` is what ``predict`` needs: it is the output layer's
    ``Z`` that must be finite, and a softmax output layer is left out (the
    result is its ``Z``, whose argmax is that of ``Yhat``).
    """
    Z = layers[0].pre_activation(X[0] if X.shape[0] == 1 else X)
    if not _finite(Z):  # X's own check, through its product (see the module's docstring)
        finite_matrix("X", X, dtype=X.dtype)  # raises check_X's error, which names the first NaN or inf
    for before, layer in zip(layers, layers[1:]):
        Z = layer.pre_activation(before.activation.forward(Z, out=Z))
    out = layers[-1]
    if for_classes:
        finite_output(Z, X)
        return Z if out.activation.name == "softmax" else out.activation.forward(Z, out=Z)
    return finite_output(out.activation.forward(Z, out=Z), X)


def finite_output(out, X):
    """``out``, computed from ``X`` with overflow ignored, if it is all finite; else a one-line ValueError.

    Called with overflow ignored (as ``output`` runs): ``v . v`` may overflow.
    """
    if _finite(out):
        return out
    bad = np.flatnonzero(~np.isfinite(out.reshape(-1, out.shape[-1])).all(axis=1))
    raise ValueError(f"the network's output is NaN or infinite for {bad.size} of {len(X)} rows of X (the first is "
                     f"row {bad[0]}): the inputs (largest |value| {np.abs(X).max():.3g}, after preprocessing) are "
                     "too large for the weights, or the weights are not finite")


def _finite(A) -> bool:
    """Whether every entry of ``A`` is finite, with overflow ignored (``a . a`` of a huge finite ``A`` overflows)."""
    flat = A if A.ndim == 1 else A.reshape(-1)
    return math.isfinite(flat.dot(flat)) or bool(np.isfinite(A).all())
