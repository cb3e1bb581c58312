"""Tests of glassnet.metrics: counts and scores recomputed by hand."""

import numpy as np
import pytest

from glassnet import metrics
from glassnet.metrics import per_class_scores


def test_confusion_counts_exact():
    C = metrics.confusion_counts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert C.dtype == np.int64
    padded = metrics.confusion_counts([0, 1], [1, 1], n_classes=4)
    np.testing.assert_array_equal(padded, [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])


def test_confusion_counts_agrees_with_counting_by_hand():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    expected = np.zeros((7, 7), dtype=int)
    for t, p in zip(y_true, y_pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(metrics.confusion_counts(y_true, y_pred, 7), expected)


def test_confusion_counts_rejects_bad_labels():
    with pytest.raises(ValueError, match="y_true has 2 labels but y_pred has 3"):
        metrics.confusion_counts([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="y_pred must hold integer"):
        metrics.confusion_counts([0, 1], [0, -1])
    with pytest.raises(ValueError, match="y_true must hold integer"):
        metrics.confusion_counts([0.5, 1], [0, 1])
    with pytest.raises(ValueError, match="n_classes is 2 but the labels go up to 2"):
        metrics.confusion_counts([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="y_true must be a non-empty 1-D"):
        metrics.confusion_counts([[0, 1]], [[0, 1]])
    with pytest.raises(TypeError, match="y_pred must be integer class labels"):
        metrics.confusion_counts([0, 1], ["a", "b"])




def test_per_class_scores_match_counting_by_hand():
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([0, 1, 0, 1, 2, 2, 2, 0, 2])
    s = per_class_scores(y_true, y_pred)
    for k in range(3):
        tp = np.sum((y_true == k) & (y_pred == k))
        assert s["precision"][k] == pytest.approx(tp / np.sum(y_pred == k))
        assert s["recall"][k] == pytest.approx(tp / np.sum(y_true == k))
        p, r = s["precision"][k], s["recall"][k]
        assert s["f1"][k] == pytest.approx(2 * p * r / (p + r))
    assert s["support"].tolist() == [3, 2, 4]
    assert s["accuracy"] == pytest.approx(np.mean(y_true == y_pred))


def test_per_class_scores_never_divide_by_zero():
    # class 2 is neither present nor predicted; class 1 is present but never predicted
    s = per_class_scores([0, 1], [0, 0], n_classes=3)
    assert s["precision"].tolist() == [0.5, 0.0, 0.0]
    assert s["recall"].tolist() == [1.0, 0.0, 0.0]
    assert s["f1"][1] == 0.0 and s["f1"][2] == 0.0
