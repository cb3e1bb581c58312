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
    with pytest.raises(ValueError, match=r"y_pred\[1\] is -1; class labels must be whole numbers"):
        metrics.confusion_counts([0, 1], [0, -1])
    with pytest.raises(ValueError, match=r"y_true\[0\] is 0.5; class labels must be whole numbers"):
        metrics.confusion_counts([0.5, 1], [0, 1])
    with pytest.raises(ValueError, match="n_classes is 2 but the labels go up to 2"):
        metrics.confusion_counts([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="y_true must be a non-empty 1-D"):
        metrics.confusion_counts([[0, 1]], [[0, 1]])
    with pytest.raises(TypeError, match="y_pred must be integer class labels"):
        metrics.confusion_counts([0, 1], ["a", "b"])


def test_labels_are_checked_by_the_one_home_in_checks():
    # the old name is only an alias of the one home, kept for this release
    assert metrics.class_labels("y", [1.0, 0.0]).tolist() == [1, 0]
    # whole-number floats (labels read from a file) are counted as the integers they are
    np.testing.assert_array_equal(metrics.confusion_counts([0.0, 1.0, 1.0], [1, 1, 0]), [[0, 1], [1, 1]])
    with pytest.raises(TypeError, match="y_true must be integer class labels"):
        metrics.confusion_counts([True, False], [0, 1])
    with pytest.raises(ValueError, match=r"y_true\[1\] is nan"):
        metrics.confusion_counts([0, np.nan], [0, 1])


def test_classes_takes_the_argmax_of_each_row():
    Yhat = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.0, 0.1, 0.9], [0.4, 0.4, 0.2]])
    c = metrics.classes(Yhat)
    assert c.tolist() == [1, 0, 2, 0]  # a tie goes to the first of the largest
    assert c.dtype == np.int64
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(50, 6))
    expected = [max(range(6), key=lambda k: row[k]) for row in scores]
    assert metrics.classes(scores).tolist() == expected
    assert metrics.classes(np.eye(4)[[3, 0, 2]]).tolist() == [3, 0, 2]  # one-hot targets give their labels


def test_classes_of_a_single_column_cuts_at_one_half_inclusive():
    Yhat = np.array([[0.0], [0.49999999], [0.5], [0.50000001], [1.0]])
    c = metrics.classes(Yhat)
    assert c.tolist() == [0, 0, 1, 1, 1]
    assert c.dtype == np.int64
    assert metrics.classes([[0.01], [0.99]]).tolist() == [0, 1]  # lists, e.g. Rashid's targets
    assert metrics.classes(np.zeros((0, 3))).tolist() == []


def test_classes_refuses_what_has_no_rows_of_classes():
    with pytest.raises(ValueError, match=r"Yhat must be 2-D .* got shape \(3,\)"):
        metrics.classes(np.array([0.2, 0.7, 0.1]))  # one sample's scores or three samples' scores?
    with pytest.raises(ValueError, match=r"got shape \(2, 0\)"):
        metrics.classes(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"got shape \(2, 2, 2\)"):
        metrics.classes(np.zeros((2, 2, 2)))


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
