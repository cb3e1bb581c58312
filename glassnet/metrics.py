"""Classification metrics: confusion counts, per-class precision and recall.

Pure NumPy, no plotting: ``glassnet.plots`` draws what this module counts.
"""

from __future__ import annotations

import numpy as np

from glassnet.checks import describe, positive_number


def class_labels(name, y, n=None) -> np.ndarray:
    """``y`` as a 1-D array of non-negative integer class labels (of length ``n`` if given)."""
    arr = np.asarray(y)
    if arr.dtype == object or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be integer class labels, got {describe(y)}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of class labels, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)) or arr.min() < 0:
        raise ValueError(f"{name} must hold integer class labels 0, 1, 2, ..., got values such as {arr[:5]!r}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} labels but X has {n} rows; they must match")
    return arr.astype(np.int64)


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
    y_true = class_labels("y_true", y_true)
    y_pred = class_labels("y_pred", y_pred, None)
    if y_pred.size != y_true.size:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}; they must match")
    largest = int(max(y_true.max(), y_pred.max()))
    if n_classes is None:
        n_classes = largest + 1
    n_classes = positive_number("n_classes", n_classes, integer=True)
    if largest >= n_classes:
        raise ValueError(f"n_classes is {n_classes} but the labels go up to {largest}; labels must be below n_classes")
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
