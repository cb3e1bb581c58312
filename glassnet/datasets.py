"""Small data sets: the tutorials' own data and scikit-learn's bundled sets.

Every generator takes a ``seed``; nothing here touches the network.
Functions return ``(X, y)`` with float64 features and integer labels.
"""

from __future__ import annotations

import numpy as np

from glassnet._checks import positive_number

STAIRS_CLASSES = ("something else", "stairs")


def _stairs_images(n, rng):
    """``n`` stairs images: one of the two top pixels nearly white (0-10), the other three dark (150-255)."""
    X = rng.integers(150, 256, size=(n, 4))
    white_top = rng.integers(0, 2, size=n)  # which of p1, p2 is the light one
    X[np.arange(n), white_top] = rng.integers(0, 11, size=n)
    return X


def is_stairs(X):
    """True for each row of ``X`` (p1, p2, p3, p4) that has the stairs pattern."""
    X = np.asarray(X)
    top_light = ((X[:, 0] <= 10) & (X[:, 1] >= 150)) | ((X[:, 1] <= 10) & (X[:, 0] >= 150))
    return top_light & (X[:, 2] >= 150) & (X[:, 3] >= 150)


def stairs(n=500, seed=0, stairs_fraction=0.5):
    """2x2 grayscale images from the stairs tutorial (seed 000), labelled 1 for stairs.

    Pixels are ``p1 p2`` (top row) and ``p3 p4`` (bottom row), intensities 0
    (white) to 255 (black). A stairs image has one top pixel at 0-10 and the
    other three at 150-255: a dark staircase climbing to the light corner. Any
    other image has all four pixels uniform on 0-255; the rare uniform draw that
    happens to look like stairs is redrawn, so every label is right.

    Returns ``X`` of shape ``(n, 4)`` (float64, whole numbers) and ``y`` of shape ``(n,)``.
    """
    n = positive_number("n", n, integer=True)
    rng = np.random.default_rng(seed)
    n_stairs = int(round(n * stairs_fraction))
    others = rng.integers(0, 256, size=(n - n_stairs, 4))
    while (bad := is_stairs(others)).any():
        others[bad] = rng.integers(0, 256, size=(int(bad.sum()), 4))
    X = np.vstack([_stairs_images(n_stairs, rng), others]).astype(np.float64)
    y = np.r_[np.ones(n_stairs, dtype=np.int64), np.zeros(n - n_stairs, dtype=np.int64)]
    order = rng.permutation(n)
    return X[order], y[order]


def toy16():
    """Desai's 16-row table (seed 003): four binary features, the label is the third feature."""
    X = np.array(
        [[1, 1, 0, 1], [0, 1, 0, 1], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 1, 0], [1, 0, 1, 1], [0, 0, 0, 0],
         [1, 1, 1, 0], [0, 0, 1, 1], [1, 1, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1], [0, 1, 1, 1],
         [1, 0, 0, 1], [1, 0, 0, 1]],
        dtype=np.float64,
    )
    return X, X[:, 2].astype(np.int64)


BUG_CLASSES = ("ladybird", "caterpillar")


def bugs():
    """Rashid's two bugs (seed 002): columns width, length; labels 0 ladybird, 1 caterpillar."""
    return np.array([[3.0, 1.0], [1.0, 3.0]]), np.array([0, 1])


def digits():
    """scikit-learn's bundled 8x8 digits: 1,797 images, pixels 0-16, labels 0-9."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X.astype(np.float64), y.astype(np.int64)


def iris():
    """scikit-learn's bundled iris: 150 flowers, 4 measurements in cm, labels 0-2."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    return X.astype(np.float64), y.astype(np.int64)


def train_test_split(X, y, test_fraction=0.25, seed=0):
    """A seeded random split into ``X_train, X_test, y_train, y_test``."""
    n = len(X)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(n * test_fraction)))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
