"""Metrics: confusion counts, per-class precision and recall; R², MAE and RMSE of a regression.

Pure NumPy, no plotting: ``glassnet.plots`` draws what this module counts.
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.losses import check_sample_weight
from glassnet.memory import check_affordable


def classes(Yhat) -> np.ndarray:
    """The class of every row: its argmax, or ``Yhat >= 0.5`` for a single column.

    ``Yhat`` is a 2-D array, one row per sample: a network's outputs, or a
    target matrix (one-hot rows, a 0/1 column). Returns int64 labels. A 1-D
    array is refused, since it could be one sample's scores or one score per
    sample.

    Examples
    --------
    >>> classes(np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]))
    array([1, 0])
    >>> classes(np.array([[0.5], [0.49]]))
    array([1, 0])
    """
    return _classes("Yhat", Yhat)


def _classes(name, value) -> np.ndarray:
    M = checks.numeric_array(name, value, "a 2-D array of numbers")
    if M.ndim != 2 or M.shape[1] == 0:
        raise ValueError(f"{name} must be 2-D with at least one column (one row per sample), got shape {M.shape}")
    if M.shape[1] == 1:
        return (M[:, 0] >= 0.5).astype(np.int64)
    return M.argmax(axis=1).astype(np.int64, copy=False)


def n_correct(Yhat, Y) -> int:
    """How many rows of the outputs ``Yhat`` choose the class of the target rows ``Y`` (see ``classes``)."""
    return int((_classes("Yhat", Yhat) == _classes("Y", Y)).sum())


def class_labels(name, y, n=None):
    """``checks.class_labels(name, y, n_rows=n)``: the old name, kept working for this release."""
    return checks.class_labels(name, y, n_rows=n)


def confusion_counts(y_true, y_pred, n_classes=None) -> np.ndarray:
    """Count matrix ``C`` with ``C[i, j]`` = number of samples of class ``i`` predicted as ``j``.

    Parameters
    ----------
    y_true, y_pred : 1-D arrays of integer labels, same length
    n_classes : int, optional
        Size of the matrix; defaults to one more than the largest label seen.

    Returns
    -------
    ndarray of int64, shape (n_classes, n_classes)
        Rows are true classes, columns predicted classes; the diagonal is right.

    Examples
    --------
    >>> confusion_counts([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    y_true = checks.class_labels("y_true", y_true)
    y_pred = checks.class_labels("y_pred", y_pred)
    if y_pred.size != y_true.size:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}; they must match")
    largest = int(max(y_true.max(), y_pred.max()))
    if n_classes is None:
        n_classes = largest + 1
    n_classes = checks.positive_number("n_classes", n_classes, integer=True)
    if largest >= n_classes:
        raise ValueError(f"n_classes is {n_classes} but the labels go up to {largest}; labels must be below n_classes")
    check_affordable(f"a confusion matrix of {n_classes:,} classes", 8.0 * n_classes**2, "give fewer classes")
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_scores(y_true, y_pred, n_classes=None) -> dict:
    """Precision, recall, F1 and support of every class, and the overall accuracy.

    For class ``k``: precision = right predictions of ``k`` / all predictions
    of ``k``; recall = right predictions of ``k`` / all samples of ``k``; F1 is
    their harmonic mean. A class that is never predicted (or never present)
    gets precision (recall) 0 rather than a division by zero.

    Returns
    -------
    dict with ``"accuracy"`` (float), ``"confusion"`` (the count matrix) and
    ``"precision"``, ``"recall"``, ``"f1"``, ``"support"`` (arrays, one entry per class).
    """
    C = confusion_counts(y_true, y_pred, n_classes)
    right = np.diag(C).astype(np.float64)
    predicted, support = C.sum(axis=0), C.sum(axis=1)
    precision = np.divide(right, predicted, out=np.zeros_like(right), where=predicted > 0)
    recall = np.divide(right, support, out=np.zeros_like(right), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(right), where=both > 0)
    return {
        "accuracy": float(right.sum() / C.sum()),
        "confusion": C,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
    }


def regression_scores(Y, Yhat, sample_weight=None, *, check=True) -> dict:
    """R², mean absolute error and root mean squared error of the predictions ``Yhat`` of targets ``Y``.

    Every score is computed per output column and then averaged over the
    columns with equal weights (scikit-learn's ``multioutput="uniform_average"``):

    * ``r2`` = mean over columns ``j`` of ``1 - SS_res_j / SS_tot_j``, with
      ``SS_res_j = sum_i w_i (Y_ij - Yhat_ij)^2`` and
      ``SS_tot_j = sum_i w_i (Y_ij - Ybar_j)^2`` around the weighted mean
      ``Ybar_j``. A constant column (``SS_tot_j = 0``: it has no variance to
      explain) gets 1.0 when it is predicted exactly and 0.0 otherwise, as in
      scikit-learn, never NaN. The sums are taken on columns scaled by powers
      of two, so a tiny spread (targets ``[0, 0, 1e-160]``) is not lost to
      underflow; where the errors dwarf such a spread and ``SS_res_j / SS_tot_j``
      exceeds the largest float, R² is given as ``-1.7976931348623157e+308``
      (``-sys.float_info.max``), never ``-inf``.
    * ``mae`` = mean over columns of ``sum_i w_i |Y_ij - Yhat_ij| / sum_i w_i``.
    * ``rmse`` = mean over columns of ``sqrt(sum_i w_i (Y_ij - Yhat_ij)^2 / sum_i w_i)``.

    Without ``sample_weight`` every ``w_i`` is 1. The results match
    ``sklearn.metrics.r2_score``, ``mean_absolute_error`` and
    ``root_mean_squared_error`` (``sample_weight`` included).

    Parameters
    ----------
    Y, Yhat : arrays of shape (N, k), or (N,) for one output
        Targets and predictions, finite numbers, same shape.
    sample_weight : array of shape (N,), optional
        One weight per row (finite, ``>= 0``, not all zero).
    check : bool
        ``False`` takes ``Y`` and ``Yhat`` as 2-D float arrays of one shape and
        ``sample_weight`` as checked weights, without checking them (for a
        training loop; a diverged run's NaN outputs then give NaN scores).

    Returns
    -------
    dict with ``"r2"``, ``"mae"`` and ``"rmse"`` (floats)

    Raises
    ------
    ValueError
        Where finite ``Y`` and ``Yhat`` differ by more than the largest float
        (``1e308`` against ``-1e308``), so that MAE and RMSE would be infinite.

    Examples
    --------
    >>> regression_scores([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    {'r2': 0.5, 'mae': 0.3333333333333333, 'rmse': 0.5773502691896257}
    """
    if check:
        Y, Yhat = _regression_columns("Y", Y), _regression_columns("Yhat", Yhat)
        if Y.shape != Yhat.shape:
            raise ValueError(f"Y has shape {Y.shape} but Yhat has shape {Yhat.shape}; they must match")
        if sample_weight is not None:
            sample_weight = check_sample_weight("sample_weight", sample_weight, Y.shape[0], rows="Y")
    Y, Yhat = np.asarray(Y, np.float64), np.asarray(Yhat, np.float64)
    w = np.ones(Y.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    total = w.sum()
    # Every sum is taken on the columns scaled by powers of two (exact: the same bits as unscaled wherever those
    # neither overflow nor underflow), so that the squares of a tiny spread do not underflow to 0 and those of a
    # huge error do not overflow; the scales are put back at the end.
    with np.errstate(all="ignore"):  # a diverged run's NaN outputs (check=False) give NaN scores, quietly
        e_mean = _exponents(Y)
        Ys = np.ldexp(Y, -e_mean)
        centred = Ys - w @ Ys / total
        e_tot = _exponents(centred)
        ss_tot = w @ np.ldexp(centred, -e_tot) ** 2  # times 4**(e_mean + e_tot)
        e_err = _exponents(np.maximum(np.abs(Y), np.abs(Yhat)))
        error = np.ldexp(Y, -e_err) - np.ldexp(Yhat, -e_err)
        e_res = _exponents(error)
        error = np.ldexp(error, -e_res)
        ss_res = w @ (error * error)  # times 4**(e_err + e_res)
        mae = np.ldexp(w @ np.abs(error) / total, e_err + e_res)
        rmse = np.ldexp(np.sqrt(ss_res / total), e_err + e_res)
        # ss_res / ss_tot, at most the largest float: R² as low as -1.8e308 (errors that dwarf a tiny spread)
        ratio = np.minimum(np.ldexp(ss_res / ss_tot, 2 * (e_err + e_res - e_mean - e_tot)), np.finfo(np.float64).max)
    # A column that is constant (on the weighted rows) has no variance, whatever rounding says of its mean.
    ss_tot[(Y[w > 0] == Y[w > 0][:1]).all(axis=0)] = 0.0
    explained = ss_tot > 0
    r2 = np.where(ss_res == 0, 1.0, 0.0)
    r2[explained] = 1.0 - ratio[explained]
    if np.isinf(mae).any() or np.isinf(rmse).any():
        j = int(np.flatnonzero(np.isinf(mae) | np.isinf(rmse))[0])
        if np.isfinite(Y[:, j]).all() and np.isfinite(Yhat[:, j]).all():
            raise ValueError(f"the errors Y - Yhat of column {j} reach beyond float64's range (over 1.8e308), so "
                             "mae and rmse cannot be given; scale the targets")
    return {"r2": float(r2.mean()), "mae": float(mae.mean()), "rmse": float(rmse.mean())}


def _exponents(M) -> np.ndarray:
    """For every column of ``M``, the power of two ``e`` that puts its largest magnitude in ``[0.5, 1)`` once
    divided by ``2**e`` (0 for a column of zeros, or one holding inf or NaN)."""
    return np.frexp(np.abs(M).max(axis=0, initial=0.0))[1]


def _regression_columns(name, value) -> np.ndarray:
    """``value`` as a finite float64 matrix, one column per output: a vector is one output, not one sample."""
    try:
        arr = np.asarray(value)
    except Exception:  # ragged nested lists and the like: finite_matrix names the problem
        arr = value
    return checks.finite_matrix(name, arr.reshape(-1, 1) if getattr(arr, "ndim", None) == 1 else arr)
