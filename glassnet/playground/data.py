"""The playground's data: generated 2-D sets, the tutorials' small tables, people's CSV files.

A ``Data`` keeps the *raw* columns (what the picture's axes show) split into
training and test rows, the targets, and ``inputs(raw)``, which turns raw
columns into what the network takes:

- the generated 2-D sets: the chosen features of ``(x1, x2)`` (``FEATURES``:
  x1, x2, x1², x2², x1·x2, sin x1, sin x2), unscaled, as TensorFlow
  Playground feeds them;
- the tutorials' tables (the stairs images, Desai's 16 rows, Rashid's bugs):
  their columns as the tutorials use them, unscaled;
- a CSV file: every numeric column, standardized with the training rows'
  means and deviations (``glassnet.preprocessing.Standardize``).

Every generator is seeded, so a data seed gives the same points every time.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field

import numpy as np

from glassnet import datasets, tables
from glassnet.preprocessing import Pipeline, Standardize

# The generated sets, with the line the page shows for each.
GENERATED = {
    "circles": "a disc inside a ring (2 classes)",
    "xor": "the four quadrants, opposite ones alike (2 classes)",
    "corners": "XOR's four corners: clouds around (±3, ±3), opposite corners alike (2 classes)",
    "gaussians": "two Gaussian clouds (2 classes)",
    "spirals": "two interleaved spirals (2 classes)",
    "blobs": "several Gaussian clouds (3 or more classes)",
    "surface": "a 2-D regression surface: the target is a number",
}
# The tutorials' tables: fixed rows, so noise, size and the split do not apply.
TUTORIAL_SETS = {
    "stairs": "the stairs tutorial's four 2x2 images (4 pixel columns, 0-255)",
    "toy16": "Desai's 16-row table (4 binary columns; the label is the third)",
    "bugs": "Rashid's two bugs: predict the length from the width",
}
DATASETS = (*GENERATED, *TUTORIAL_SETS, "csv")

# The derived inputs of a generated set: key -> (the name shown, the function of the raw columns).
FEATURES = {
    "x1": ("x1", lambda X: X[:, 0]),
    "x2": ("x2", lambda X: X[:, 1]),
    "x1sq": ("x1²", lambda X: X[:, 0] ** 2),
    "x2sq": ("x2²", lambda X: X[:, 1] ** 2),
    "x1x2": ("x1·x2", lambda X: X[:, 0] * X[:, 1]),
    "sinx1": ("sin x1", lambda X: np.sin(X[:, 0])),
    "sinx2": ("sin x2", lambda X: np.sin(X[:, 1])),
}
RADIUS = 6.0  # the generated sets live in [-6, 6]²


@dataclass
class Data:
    """A data set split into training and test rows (see the module docstring).

    ``y_*`` are class indices (classification) or an ``(N, 1)`` matrix
    (regression). ``plot`` names the two raw columns the picture shows (one
    for a single-column table: the picture is then a curve); the other raw
    columns are held at their training means. ``extent`` is the picture's
    ``[xmin, xmax, ymin, ymax]`` in raw units.
    """

    name: str
    columns: list
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    kind: str
    class_names: list
    plot: tuple
    extent: list
    input_names: list
    inputs: object  # callable: raw columns -> network inputs
    fixed: bool = False
    preprocessing: object = None  # what a saved model applies to raw columns (CSV files), or None
    task: object = None  # a CSV file's glassnet.tables.Task (a regression's model predicts in the target's units)
    notes: list = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


# ------------------------------------------------------------------ generated
def generate(name, n, noise, seed, classes=3):
    """``(X, y)`` of the generated set ``name``: ``n`` points in [-6, 6]², ``noise`` in [0, 0.5].

    Labels are drawn first and noise moves points afterwards, so with noise
    the classes overlap. ``surface`` gives a float target (plus Gaussian
    noise of standard deviation ``noise``).
    """
    rng = np.random.default_rng(seed)
    if name == "circles":
        y = np.arange(n) % 2
        r = np.where(y == 0, rng.uniform(0, 2.5, n), rng.uniform(3.5, 5.0, n))
        X = _polar(r, rng.uniform(0, 2 * np.pi, n))
    elif name == "xor":
        X = rng.uniform(-5, 5, (n, 2))
        X += np.where(X >= 0, 0.3, -0.3)  # a margin along the axes, as TensorFlow Playground keeps
        y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    elif name == "corners":
        corner = rng.integers(0, 4, n)
        signs = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]])[corner]
        X = 3.0 * signs + rng.normal(0, 0.6, (n, 2))
        y = (corner >= 2).astype(np.int64)
    elif name == "gaussians":
        y = np.arange(n) % 2
        X = rng.normal(0, 1.0, (n, 2)) + np.where(y[:, None] == 0, 2.0, -2.0)
    elif name == "spirals":
        y = np.arange(n) % 2
        r = rng.uniform(0.3, 5.0, n)
        X = _polar(r, 1.75 * 2 * np.pi * r / 5 + np.pi * y)
    elif name == "blobs":
        y = np.arange(n) % classes
        angle = 2 * np.pi * np.arange(classes) / classes + np.pi / 4
        X = rng.normal(0, 0.9, (n, 2)) + 3.5 * np.column_stack([np.cos(angle), np.sin(angle)])[y]
    elif name == "surface":
        X = rng.uniform(-5, 5, (n, 2))
        return X, (surface(X) + rng.normal(0, noise, n))[:, None]
    else:
        raise ValueError(f"unknown generated data set {name!r}; choose from {', '.join(GENERATED)}")
    return X + rng.normal(0, 2.0 * noise, X.shape), y.astype(np.int64)


def surface(X):
    """The regression surface: a hill, a hollow and a gentle slope over the plane."""
    hill = np.exp(-((X[:, 0] - 1.5) ** 2 + (X[:, 1] - 1.5) ** 2) / 4)
    hollow = np.exp(-((X[:, 0] + 2) ** 2 + (X[:, 1] + 1) ** 2) / 3)
    return hill - hollow + 0.05 * X[:, 0]


def _polar(r, angle):
    return np.column_stack([r * np.cos(angle), r * np.sin(angle)])


def generated(name, n, noise, seed, train_ratio, features, classes=3) -> Data:
    """A generated set, split with ``glassnet.datasets.train_test_split`` (stratified for classes)."""
    X, y = generate(name, n, noise, seed, classes)
    regression = name == "surface"
    X_train, X_test, y_train, y_test = datasets.train_test_split(
        X, y, test_fraction=1 - train_ratio, seed=seed, stratify=not regression)
    chosen = [FEATURES[k] for k in features]

    def inputs(raw):
        return np.column_stack([f(raw) for _, f in chosen])

    classes_shown = [] if regression else [str(k) for k in range(int(y.max()) + 1)]
    return Data(name, ["x1", "x2"], X_train, X_test, y_train, y_test, "regression" if regression else
                "classification", classes_shown, (0, 1), [-RADIUS, RADIUS, -RADIUS, RADIUS],
                [label for label, _ in chosen], inputs)


# ------------------------------------------------------------------ the tutorials' tables
def tutorial_set(name) -> Data:
    """The stairs images (all four train), Desai's table (rows 0-7 train, 8-15 test), Rashid's bugs."""
    if name == "stairs":
        from glassnet.tutorials.stairs import worked_example

        _, X, Y = worked_example()
        y = Y.argmax(axis=1)
        return _table(name, ["p1", "p2", "p3", "p4"], X, y, X[:0], y[:0], ["stairs", "something else"],
                      (0, 1), [-15, 270, -15, 270])
    if name == "toy16":
        X, y = datasets.toy16()
        return _table(name, ["f1", "f2", "f3", "f4"], X[:8], y[:8], X[8:], y[8:], ["0", "1"], (2, 0),
                      [-0.5, 1.5, -0.5, 1.5])
    if name == "bugs":
        X, y = datasets.bugs()
        # Rashid's targets sit 0.1 inside the gap between the bugs (as glassnet's rashid tutorial sets them)
        t = X[:, 1] + np.where(y == 0, 0.1, -0.1)
        return _table(name, ["width"], X[:, :1], t[:, None], X[:0, :1], t[:0, None], [], (0,), [0, 4, 0, 4])
    raise ValueError(f"unknown tutorial data set {name!r}; choose from {', '.join(TUTORIAL_SETS)}")


def _table(name, columns, X_train, y_train, X_test, y_test, class_names, plot, extent):
    kind = "classification" if class_names else "regression"
    return Data(name, columns, X_train, X_test, y_train, y_test, kind, class_names, plot, extent, list(columns),
                lambda raw: raw, fixed=True)


# ------------------------------------------------------------------ CSV files
def read_csv(text, filename="upload.csv"):
    """``text`` (a CSV file's contents) as a ``glassnet.tables.Frame``, read by ``tables.read_table``.

    The text goes to a temporary file that is gone when this returns; messages name ``filename``.
    """
    shown = re.sub(r"[^A-Za-z0-9._ -]", "_", os.path.basename(str(filename)))[:80] or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="glassnet-playground-") as folder:
        path = os.path.join(folder, "upload.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        try:
            frame = tables.read_table(path)
        except (ValueError, TypeError) as exc:
            raise ValueError(str(exc).replace(path, shown)) from None
    frame.source = shown
    return frame


def numeric_columns(frame) -> list:
    return [n for n in frame.names if frame.is_numeric(n)]


def csv_data(frame, target, plot, train_ratio, seed) -> Data:
    """A CSV table: the target column (classes or a number, as ``tables.prepare`` decides), every other
    numeric column as an input, standardized; rows with a missing cell left out."""
    features = [n for n in numeric_columns(frame) if n != target]
    if not features:
        raise ValueError(f"{frame.source} has no numeric column besides the target {target!r} to train on")
    ignore = [n for n in frame.names if n != target and n not in features]
    table = tables.prepare(frame, target, ignore=ignore, missing="drop", test_split=round(1 - train_ratio, 6),
                           seed=seed)
    if len(table.task.targets) != 1:
        raise ValueError("the playground trains on one target column")
    raw_train = table.columns.transform(table.X_train)
    raw_test = table.columns.transform(table.X_test)
    scaler = Standardize().fit(raw_train)
    y_train, y_test = table.y_train, table.y_test
    if table.task.kind == "regression":
        y_train, y_test = table.task.encode(y_train), table.task.encode(y_test)  # standardized targets
    if plot is None:
        plot = (0, 1) if len(features) > 1 else (0,)
    else:
        unknown = [p for p in plot if p not in features]
        if unknown:
            raise ValueError(f"plot column {unknown[0]!r} is not an input column; the inputs are {', '.join(features)}")
        plot = tuple(features.index(p) for p in plot)
    both = np.vstack([raw_train, raw_test])
    extent = []
    for j in plot:
        lo, hi = float(both[:, j].min()), float(both[:, j].max())
        pad = 0.05 * (hi - lo) or 1.0
        extent += [lo - pad, hi + pad]
    if len(plot) == 1:
        values = np.concatenate([y_train.ravel(), y_test.ravel()]).astype(float)
        extent += [float(values.min()) - 0.5, float(values.max()) + 0.5]
    class_names = table.task.class_names if table.task.kind == "classification" else []
    return Data("csv", features, raw_train, raw_test, y_train, y_test, table.task.kind, class_names, plot, extent,
                list(features), scaler.transform, fixed=False, preprocessing=Pipeline([table.columns, scaler]),
                task=table.task, notes=[table.task.reason, *table.notes[1:], *table.warnings])
