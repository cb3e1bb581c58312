"""Classification metrics: confusion counts, per-class precision and recall.

Pure NumPy, no plotting: ``glassnet.plots`` draws what this module counts.
"""

from __future__ import annotations

import numpy as np

from glassnet import checks


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
    Yhat = np.asarray(Yhat)
    if Yhat.ndim != 2 or Yhat.shape[1] == 0:
        raise ValueError(f"Yhat must be 2-D with at least one column (one row per sample), got shape {Yhat.shape}")
    if Yhat.shape[1] == 1:
        return (Yhat[:, 0] >= 0.5).astype(np.int64)
    return Yhat.argmax(axis=1).astype(np.int64, copy=False)


def n_correct(Yhat, Y) -> int:
    """How many rows of the outputs ``Yhat`` choose the class of the target rows ``Y`` (see ``classes``)."""
    return int((classes(Yhat) == classes(Y)).sum())


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
