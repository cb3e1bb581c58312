"""Experiments from Rashid's book "Make Your Own Neural Network", run end to end and returned as numbers.

``iris_slope``
    The exercise at the end of Rashid's linear-classifier chapter: the line
    ``y = A x`` through the origin, trained on two iris species with Rashid's
    rule ``A += L * E / x``, for several learning rates ``L``.
``rashid_grid``
    Rashid's experiments with a 3-layer sigmoid network (accuracy against the
    learning rate, the number of epochs and the number of hidden nodes), scaled
    down to scikit-learn's bundled 8x8 digits so they run in seconds.

Both return a dataclass with the data and the results; ``glassnet.plots``
draws them. Nothing here imports matplotlib.
"""

from __future__ import annotations

import numbers
import statistics
import time
from dataclasses import dataclass

import numpy as np

from glassnet import datasets
from glassnet.checks import describe, finite_matrix, flag, positive_number
from glassnet.models import rashid_network  # noqa: F401 (glassnet.experiments.rashid_network: an alias kept for this release)

IRIS_FEATURES = ("Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width")
IRIS_CLASSES = ("setosa", "versicolor")
# Setosa sepals are short and wide, versicolor sepals long and narrow, so in the
# (length, width) plane setosa lies above a dividing line through the origin.
ABOVE, BELOW = 0, 1


def _number_tuple(name, values, *, integer=False):
    """``values`` as a non-empty tuple of distinct positive numbers, or a clear error."""
    if isinstance(values, (numbers.Number, str)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of numbers, got {describe(values)}")
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} must hold at least one value, got an empty sequence")
    out = tuple(positive_number(f"{name}[{i}]", v, integer=integer) for i, v in enumerate(values))
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must not repeat a value, got {values!r}")
    return out


def rms_scale(X):
    """Divide each column by its root mean square, as R's ``scale(X, center=FALSE, scale=TRUE)`` does.

    R documents the root mean square of an uncentred column as
    ``sqrt(sum(x^2) / (n - 1))``: note the ``n - 1``, borrowed from the sample
    standard deviation, which R uses whether or not it centres the column.

    Returns
    -------
    X_scaled : ndarray of shape (n, d)
    scale : ndarray of shape (d,)
        The divisors (R's ``attr(, "scaled:scale")``).

    Examples
    --------
    >>> X_scaled, scale = rms_scale([[1.0], [2.0], [3.0]])
    >>> scale.round(6), X_scaled[:, 0].round(7)
    (array([2.645751]), array([0.3779645, 0.7559289, 1.1338934]))
    """
    X = finite_matrix("X", X)
    if X.shape[0] < 2:
        raise ValueError(f"X needs at least 2 rows to compute a root mean square with n - 1, got shape {X.shape}")
    scale = np.sqrt((X**2).sum(axis=0) / (X.shape[0] - 1))
    if np.any(scale == 0):
        raise ValueError(f"X has an all-zero column (column {int(np.argmin(scale))}); it cannot be scaled")
    return X / scale, scale


def rashid_slope_update(A, x, t, lr):
    """One step of Rashid's rule for the line ``y = A x``: ``E = t - A x``, ``A + lr * E / x``.

    ``E / x`` is the change of slope that would make the line pass exactly
    through ``(x, t)``; the learning rate takes only a fraction of it.
    """
    E = t - A * x
    return A + lr * E / x


@dataclass
class IrisSlopeResult:
    """What ``iris_slope`` computed.

    Attributes
    ----------
    X : ndarray of shape (100, 4)
        Setosa and versicolor measurements, each column divided by its root
        mean square (see ``rms_scale``); columns are ``IRIS_FEATURES``. The
        classifier uses ``x = X[:, 0]`` (sepal length) and ``y = X[:, 1]``
        (sepal width).
    labels : ndarray of shape (100,)
        0 setosa, 1 versicolor.
    scale : ndarray of shape (4,)
        The root mean squares the raw centimetres were divided by.
    targets : ndarray of shape (100,)
        The target ``t`` of every example: its width minus ``margin`` for setosa
        (above the line), plus ``margin`` for versicolor (below).
    order : ndarray of shape (n_updates,)
        The example used by each update, the same for every learning rate.
    initial_slope : float
    slopes : dict
        Learning rate -> array of ``n_updates + 1`` slopes: the initial slope,
        then the slope after each update.
    accuracies : dict
        Learning rate -> fraction of the 100 flowers on the right side of the
        final line (above: setosa; below, or on it: versicolor).
    learning_rates, margin, epochs, seed :
        The settings that produced the result.
    """

    X: np.ndarray
    labels: np.ndarray
    scale: np.ndarray
    targets: np.ndarray
    order: np.ndarray
    initial_slope: float
    slopes: dict
    accuracies: dict
    learning_rates: tuple
    margin: float
    epochs: int
    seed: int

    feature_names = IRIS_FEATURES
    class_names = IRIS_CLASSES

    @property
    def n_updates(self) -> int:
        return len(self.order)

    @property
    def final_slopes(self) -> dict:
        """Learning rate -> slope after the last update."""
        return {lr: float(s[-1]) for lr, s in self.slopes.items()}

    def as_dict(self) -> dict:
        """The settings and results as JSON-ready data (learning rates as string keys)."""
        return {
            "learning_rates": list(self.learning_rates),
            "initial_slope": self.initial_slope,
            "margin": self.margin,
            "epochs": self.epochs,
            "seed": self.seed,
            "scale": self.scale.tolist(),
            "final_slopes": {f"{lr:g}": a for lr, a in self.final_slopes.items()},
            "accuracies": {f"{lr:g}": acc for lr, acc in self.accuracies.items()},
            "slopes": {f"{lr:g}": s.tolist() for lr, s in self.slopes.items()},
        }

    def text(self) -> str:
        """A short report: settings, then the final slope and accuracy per learning rate."""
        lines = [
            "Rashid's slope-only classifier y = A x on iris (setosa vs versicolor),",
            "x = Sepal.Length, y = Sepal.Width, both divided by their root mean square (R's scale(center=FALSE)).",
            f"initial slope A = {self.initial_slope:.5f} (seed {self.seed}); margin {self.margin}; "
            f"{self.epochs} epoch(s) = {self.n_updates} updates",
            "",
            f"{'L':>8}  {'final A':>9}  {'accuracy':>8}",
        ]
        for lr in self.learning_rates:
            lines.append(f"{lr:>8g}  {self.final_slopes[lr]:>9.5f}  {self.accuracies[lr]:>8.2f}")
        return "\n".join(lines)


def line_accuracy(A, x, y, labels) -> float:
    """Fraction of points classified right by the line ``y = A x``: above is setosa, below (or on it) versicolor."""
    above = y > A * x
    return float(np.mean(above == (labels == ABOVE)))


def iris_slope(learning_rates=(0.01, 0.1, 0.5), seed=0, *, epochs=1, margin=0.1, initial_slope=None, shuffle=True):
    """Train Rashid's slope-only classifier on the 2-class iris exercise.

    Data: the first 100 rows of ``glassnet.datasets.iris()`` (50 setosa, 50
    versicolor; scikit-learn's copy has the same values as R's ``iris``), all
    four columns divided by their root mean square like the exercise's
    ``scale(iris2[, 1:4], center = FALSE, scale = TRUE)`` (see ``rms_scale``).

    Model: the line ``y = A x`` through the origin, with ``x`` the scaled sepal
    length and ``y`` the scaled sepal width. For each example the target is a
    point a little inside the gap between the species: ``t = y - margin`` for
    setosa (which lies above the line) and ``t = y + margin`` for versicolor
    (below), as Rashid aims at 1.1 for the ladybird at 1.0 and at 2.9 for the
    caterpillar at 3.0. The update is ``E = t - A x``, ``A += L * E / x``.
    Rewritten as ``A <- (1 - L) A + L (t / x)`` it is a moving average of the
    slopes ``t / x`` that would put the line through each target: a small ``L``
    averages over many flowers, a large one mostly remembers the last few.

    Parameters
    ----------
    learning_rates : sequence of float
        The learning rates ``L`` to compare; each run starts from the same slope
        and sees the examples in the same order.
    seed : int
        Seeds the generator that draws the initial slope and the example order.
    epochs : int
        Passes over the 100 examples.
    margin : float
        How far inside the gap the target sits, in scaled units (the flowers'
        widths are near 1).
    initial_slope : float, optional
        Start here instead of drawing from ``U(0, 2)``.
    shuffle : bool
        Visit the examples in a new random order every epoch. Without it they come
        in the data's order, all setosa then all versicolor, so the last 50
        updates all pull the line toward the versicolor targets.

    Returns
    -------
    IrisSlopeResult
    """
    learning_rates = _number_tuple("learning_rates", learning_rates)
    positive_number("seed", seed, integer=True, allow_zero=True)
    epochs = positive_number("epochs", epochs, integer=True)
    margin = positive_number("margin", margin, allow_zero=True)
    shuffle = flag("shuffle", shuffle)
    rng = np.random.default_rng(seed)
    if initial_slope is None:
        initial_slope = rng.uniform(0.0, 2.0)
    elif isinstance(initial_slope, bool) or not isinstance(initial_slope, numbers.Real):
        raise TypeError(f"initial_slope must be a number or None, got {describe(initial_slope)}")
    elif not np.isfinite(initial_slope):
        raise ValueError(f"initial_slope must be finite, got {initial_slope!r}")
    initial_slope = float(initial_slope)

    X_raw, labels = datasets.iris()
    two = labels < 2
    X, scale = rms_scale(X_raw[two])
    labels = labels[two]
    x, y = X[:, 0], X[:, 1]
    targets = np.where(labels == ABOVE, y - margin, y + margin)
    n = len(labels)
    order = np.concatenate([rng.permutation(n) if shuffle else np.arange(n) for _ in range(epochs)])

    slopes, accuracies = {}, {}
    for lr in learning_rates:
        A = np.empty(len(order) + 1)
        A[0] = initial_slope
        for k, i in enumerate(order):
            A[k + 1] = rashid_slope_update(A[k], x[i], targets[i], lr)
        slopes[lr] = A
        accuracies[lr] = line_accuracy(A[-1], x, y, labels)
    return IrisSlopeResult(
        X=X, labels=labels, scale=scale, targets=targets, order=order, initial_slope=initial_slope,
        slopes=slopes, accuracies=accuracies, learning_rates=learning_rates, margin=margin, epochs=epochs, seed=seed,
    )


# ---------------------------------------------------------------- rashid_grid
@dataclass
class RashidGridResult:
    """Test accuracies of ``rashid_grid``, one series per factor.

    Attributes
    ----------
    learning_rates, lr_accuracy :
        Accuracy against the learning rate (``base_epochs`` epochs, ``base_hidden`` hidden nodes).
    epochs, epochs_accuracy :
        Accuracy against the number of epochs (``base_lr``, ``base_hidden``).
    hidden, hidden_accuracy :
        Accuracy against the number of hidden nodes (``base_lr``, ``base_epochs``).
    base_lr, base_epochs, base_hidden :
        The values a factor keeps while another one varies.
    n_train, n_test, seed :
        The split's sizes and the seed of the split, the weights and the run.
    seconds : float
        Wall-clock time of the whole grid.
    repeats, runs :
        Runs per cell, and the accuracy of each (``runs[i][j]``: series i, its value j); the accuracies above
        are their means.
    """

    learning_rates: tuple
    lr_accuracy: list
    epochs: tuple
    epochs_accuracy: list
    hidden: tuple
    hidden_accuracy: list
    base_lr: float
    base_epochs: int
    base_hidden: int
    n_train: int
    n_test: int
    seed: int
    seconds: float
    repeats: int = 1
    runs: list = None  # per series, per value: the accuracy of every repeat (None: one run each, the means)

    def series(self) -> dict:
        """Factor name -> (values, accuracies, the factors held fixed)."""
        return {
            "learning rate": (
                self.learning_rates, self.lr_accuracy, f"{self.base_epochs} epochs, {self.base_hidden} hidden"
            ),
            "epochs": (self.epochs, self.epochs_accuracy, f"lr {self.base_lr:g}, {self.base_hidden} hidden"),
            "hidden nodes": (self.hidden, self.hidden_accuracy, f"lr {self.base_lr:g}, {self.base_epochs} epochs"),
        }

    def as_dict(self) -> dict:
        """All fields as JSON-ready data."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}

    def text(self) -> str:
        """The three series as small tables."""
        lines = [
            f"Rashid's 64-h-10 sigmoid network on 8x8 digits ({self.n_train} train / {self.n_test} test, "
            f"seed {self.seed}); per-sample SGD, squared error; {self.seconds:.1f} s",
        ]
        spread = self.runs if self.repeats > 1 and self.runs else None
        for i, (name, (values, acc, fixed)) in enumerate(self.series().items()):
            if spread:
                lines += ["", f"mean accuracy vs {name} ({fixed}) over {self.repeats} runs, lowest and highest"]
                lines += [f"  {v:>6g}  {a:.4f}  {min(r):.4f}  {max(r):.4f}" for v, a, r in zip(values, acc, spread[i])]
            else:
                lines += ["", f"accuracy vs {name} ({fixed})"]
                lines += [f"  {v:>6g}  {a:.4f}" for v, a in zip(values, acc)]
        return "\n".join(lines)


def rashid_grid(
    learning_rates=(0.01, 0.1, 0.3, 0.6), epochs=(1, 2, 5), hidden=(10, 50, 100), seed=0, *,
    base_lr=0.3, base_epochs=5, base_hidden=100, repeats=1, engine="local", address=None, workers=None, out=None,
    quiet=True, echo=None,
):
    """Rerun Rashid's three experiments on scikit-learn's 8x8 digits, as a sweep (``glassnet.sweeps``).

    The recipe is Rashid's (``glassnet.sweeps.RECIPES["rashid"]``): a 64-h-10
    network of sigmoid layers without biases, weights from ``N(0, 1/n_in)``
    (``glassnet.Rashid()``), inputs ``x / 16 * 0.99 + 0.01``, targets
    0.01/0.99, squared error, one update per example (``batch_size=1``)
    visiting the training set in the same order every epoch. One factor
    varies at a time around the base (``base_lr``, ``base_epochs``,
    ``base_hidden``); the score is the accuracy on the held-out quarter of a
    seeded split (``glassnet.datasets.train_test_split``).

    Digits has 1,348 training images against MNIST's 60,000, so an epoch here
    is ~45 times fewer updates: the base learning rate is 0.3 rather than a
    smaller MNIST-sized one.

    Every distinct cell is one trial of a sweep, run by ``engine`` (``local``
    processes or ``ray``; ``address``, ``workers`` as ``glassnet.sweeps.sweep``
    takes them), ``repeats`` times: repeat r starts from the weights of seed
    ``seed + r - 1`` in every cell, so settings are compared from the same
    start. With ``out`` the trials go to a CSV file and a rerun skips the ones
    it holds.

    Returns
    -------
    RashidGridResult
        The mean accuracy over the repeats of each cell, and every repeat's.
    """
    from glassnet.sweeps import sweep
    from glassnet.sweeps.recipes import rashid_data

    learning_rates = _number_tuple("learning_rates", learning_rates)
    epochs = _number_tuple("epochs", epochs, integer=True)
    hidden = _number_tuple("hidden", hidden, integer=True)
    positive_number("seed", seed, integer=True, allow_zero=True)
    base_lr = positive_number("base_lr", base_lr)
    base_epochs = positive_number("base_epochs", base_epochs, integer=True)
    base_hidden = positive_number("base_hidden", base_hidden, integer=True)

    start = time.perf_counter()
    series = [[(lr, base_epochs, base_hidden) for lr in learning_rates],
              [(base_lr, e, base_hidden) for e in epochs],
              [(base_lr, base_epochs, h) for h in hidden]]
    cells = list(dict.fromkeys(c for s in series for c in s))
    result = sweep("digits", cells=[{"lr": lr, "epochs": e, "hidden": h} for lr, e, h in cells], recipe="rashid",
                   repeats=repeats, seed=seed, engine=engine, address=address, workers=workers, out=out,
                   quiet=quiet, echo=echo)
    failed = [r for r in result.rows if r["status"] != "ok"]
    if failed:
        raise RuntimeError(f"{len(failed)} of Rashid's runs failed; the first: {failed[0]['error']}")
    runs = dict(zip(cells, (values for _, values in result.summary())))
    *_, n_train, n_test = rashid_data(seed)
    means = [[statistics.fmean(runs[c]) for c in s] for s in series]
    return RashidGridResult(
        learning_rates=learning_rates, lr_accuracy=means[0],
        epochs=epochs, epochs_accuracy=means[1],
        hidden=hidden, hidden_accuracy=means[2],
        base_lr=base_lr, base_epochs=base_epochs, base_hidden=base_hidden,
        n_train=n_train, n_test=n_test, seed=seed, seconds=time.perf_counter() - start,
        repeats=repeats, runs=[[runs[c] for c in s] for s in series],
    )
