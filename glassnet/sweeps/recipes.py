"""How one trial of a sweep trains: a recipe's settings, its seeds, its data and its metrics.

``train``   trains as ``glassnet train`` does, on a built-in set, a folder of MNIST files or a CSV table
            (classes or a regression, as ``glassnet.tables`` decides); any of train's settings is an axis, and
            every trial's seed is a hash of the sweep's seed, its settings and its repeat (``trial_seed``)
``rashid``  Rashid's recipe of ``glassnet experiment rashid-grid``: a 64-h-10 sigmoid network without biases on
            the 8x8 digits, per-sample SGD in a fixed order, squared error; its axes are ``lr``, ``epochs``
            and ``hidden``. Repeat r starts from the weights of seed ``sweep seed + r - 1`` whatever the
            settings, as Rashid compares settings from one starting point.

A recipe's ``run(data, settings, seed)`` is what a worker (a pool process or a Ray task) calls; it uses the
public API only. Data read for one trial is kept for the next ones in the same worker (``LOADED``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass

TRAIN_AXES = ("lr", "optimizer", "momentum", "weight_decay", "epochs", "batch_size", "val_split", "early_stopping",
              "scale", "test_split", "activation", "layers", "hidden", "class_weight", "seed", "missing")
RASHID_AXES = ("lr", "epochs", "hidden")
RASHID_BASE = {"lr": 0.3, "epochs": 5, "hidden": 100}  # the values a setting keeps while another one varies
RASHID_TEST_SHARE = 0.25
# the sweep's settings about a CSV table that a grid does not vary (train's flags of the same names)
TABLE_OPTIONS = ("target", "ignore", "task", "categorical", "numeric", "missing", "delimiter")
CLASSIFICATION = ("test_accuracy", "test_loss", "train_accuracy", "train_loss", "val_accuracy", "val_loss",
                  "epochs_run")
# a regression trains on standardized targets: its losses are in other units than its test rows', so its scores
# are R² (no units) and the test rows' errors in the target's units
REGRESSION = ("test_r2", "test_mae", "test_rmse", "train_r2", "val_r2", "epochs_run")


def trial_seed(sweep_seed, combination: dict, repeat: int) -> int:
    """The seed of one trial (its weights and its shuffling): a hash of the sweep's seed, the trial's settings and
    its repeat, so a trial gets the same seed whichever engine runs it, in whatever order."""
    text = json.dumps([sweep_seed, sorted(combination.items()), repeat])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


# ------------------------------------------------------------------ data
def is_table(data) -> bool:
    """Whether ``data`` names a file (a CSV table) rather than a built-in set or a folder of MNIST files."""
    try:
        return isinstance(data, str) and os.path.isfile(data)
    except (OSError, ValueError):  # a name too long for a path, one with a NUL character, ...
        return False


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=2)
def _prepared(data, sha256, options, seed, test_split):
    from glassnet import tables

    options = dict(options)
    frame = tables.read_table(data, delimiter=options.get("delimiter"))
    if not frame.sha256.startswith(sha256):
        raise ValueError(f"--data {data}: the file changed during the sweep")
    listed = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}
    return tables.prepare(frame, listed.get("target"), task=listed.get("task") or "auto",
                          ignore=listed.get("ignore") or (), categorical=listed.get("categorical"),
                          numeric=listed.get("numeric"), missing=listed.get("missing") or "error",
                          test_split=test_split, seed=seed, say=tables.cli_words)


@functools.lru_cache(maxsize=2)
def _split(data, seed, test_split):
    from glassnet import datasets

    return datasets.load(data, seed=seed, test_split=test_split)


def table_options(settings) -> tuple:
    """The table settings of a trial as a hashable key."""
    return tuple((k, _frozen(settings.get(k))) for k in TABLE_OPTIONS if settings.get(k) is not None)


@dataclass
class Loaded:
    """A trial's data, split: arrays (or Frames of named columns), the task, and how to scale it."""

    X_train: object
    X_test: object
    y_train: object
    y_test: object
    n_in: int
    n_out: int
    regression: bool
    prepared: object = None  # a table's glassnet.tables.Prepared
    split: object = None     # a built-in set's glassnet.datasets.Split

    def preprocessing(self, scale):
        if self.prepared is not None:
            return self.prepared.preprocessing("standardize" if scale == "auto" else scale)
        return self.split.preprocessing(scale)


def load(data, settings) -> Loaded:
    """The data of a trial of the train recipe (cached per worker: trials share it)."""
    if settings.get("sha256"):
        p = _prepared(data, settings["sha256"], table_options(settings), settings["seed"], settings["test_split"])
        return Loaded(p.X_train, p.X_test, p.y_train, p.y_test, p.n_inputs, p.n_outputs,
                      p.task.kind == "regression", prepared=p)
    s = _split(data, settings["seed"], settings["test_split"])
    return Loaded(s.X_train, s.X_test, s.y_train, s.y_test, s.X_train.shape[1], len(s.class_names), False, split=s)


# ------------------------------------------------------------------ the train recipe
def train_settings(parser, combination: dict, seed, options: dict) -> dict:
    """train's settings (its defaults) with the combination's values and the sweep's options, checked together as
    train checks them."""
    argv = []
    for key, value in combination.items():
        flag = "--layers" if key == "hidden" else "--" + key.replace("_", "-")
        argv += [flag, value.replace("-", ",") if key in ("layers", "hidden") else value]
    args = vars(parser.parse_args(argv))
    settings = {k: args[k] for k in TRAIN_AXES if k != "hidden"}
    where = ", ".join(f"{k}={v}" for k, v in combination.items())
    if settings["momentum"] and settings["optimizer"] != "sgd":
        raise ValueError(f"--grid ({where}): momentum applies to optimizer sgd only")
    for key in ("val_split", "test_split"):
        if not 0 <= settings[key] < 1:
            raise ValueError(f"--grid ({where}): {key} must be a share in [0, 1), got {settings[key]}")
    if settings["val_split"] == 0 and settings["early_stopping"]:
        raise ValueError(f"--grid ({where}): early_stopping watches the validation data and val_split 0 keeps "
                         "none: add early_stopping=0")
    if "seed" not in combination:
        settings["seed"] = seed
    for key, value in options.items():
        if key not in combination:
            settings[key] = value
    return settings


def train_run(data, s, seed) -> dict:
    """Train once as ``glassnet train`` would with the settings ``s``, the network and its shuffling seeded with
    ``seed``; the data split with ``s["seed"]``, so every trial of a sweep is scored on the same test rows."""
    import glassnet
    from glassnet.optimizers import SGD, Adam

    d = load(data, s)
    sizes = [d.n_in, *map(int, s["layers"].split(",")), d.n_out]
    layers = [glassnet.Dense(a, b, s["activation"]) for a, b in zip(sizes[:-2], sizes[1:-1])]
    layers.append(glassnet.Dense(sizes[-2], d.n_out, "linear" if d.regression else "softmax"))
    net = glassnet.Network(layers, loss="squared_error" if d.regression else "cross_entropy", seed=seed)
    net.preprocessing = d.preprocessing(s["scale"])
    if s["optimizer"] == "adam":
        optimizer = Adam(lr=s["lr"] or 0.001, weight_decay=s["weight_decay"])
    else:
        optimizer = SGD(lr=s["lr"] or 0.1, momentum=s["momentum"], weight_decay=s["weight_decay"])
    targets = d.prepared.task.encode(d.y_train) if d.prepared is not None else d.y_train
    history = net.fit(d.X_train, targets, epochs=s["epochs"], batch_size=s["batch_size"], optimizer=optimizer,
                      validation_split=s["val_split"], early_stopping=s["early_stopping"] or None,
                      class_weight=s["class_weight"])
    if d.prepared is not None:
        d.prepared.task.fold_into(net)  # a regression's scores in the target's own units, as train's
    kept = history.best_epoch or history.epochs  # early stopping keeps the best epoch's weights, as train does
    test = net.evaluate(d.X_test, d.y_test) if len(d.y_test) else {}
    score = "r2" if d.regression else "accuracy"

    def at(series):
        return series[kept - 1] if series else None

    out = {f"test_{score}": test.get(score), "test_loss": test.get("loss"),
           f"train_{score}": at(getattr(history, score)), "train_loss": at(history.loss),
           f"val_{score}": at(getattr(history, "val_" + score)), "val_loss": at(history.val_loss),
           "epochs_run": history.epochs}
    if d.regression:
        out.update(test_mae=test.get("mae"), test_rmse=test.get("rmse"))
    return out


# ------------------------------------------------------------------ Rashid's recipe
def rashid_settings(parser, combination: dict, seed, options: dict) -> dict:
    """Rashid's base values with the combination's: lr, epochs and hidden nodes, read by train's parser."""
    settings = {**RASHID_BASE, "seed": seed}
    for key, value in combination.items():
        settings[key] = float(value) if key == "lr" else int(value)
    return settings


def rashid_seed(sweep_seed, combination: dict, repeat: int) -> int:
    return sweep_seed + repeat - 1


@functools.lru_cache(maxsize=2)
def rashid_data(seed):
    """Rashid's inputs ``x / 16 * 0.99 + 0.01`` and targets 0.01/0.99 of the digits, split with ``seed``."""
    from glassnet import datasets
    from glassnet.preprocessing import RashidScale, rashid_targets

    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, RASHID_TEST_SHARE, seed)
    scale = RashidScale(max_value=16.0).fit(X_train)
    return (scale.transform(X_train), scale.transform(X_test), rashid_targets(y_train, 10),
            rashid_targets(y_test, 10), len(y_train), len(y_test))


def rashid_run(data, s, seed) -> dict:
    """One cell of Rashid's experiments: train for ``s["epochs"]`` epochs and score the held-out digits."""
    from glassnet.models import rashid_network

    X_train, X_test, T_train, T_test, _, _ = rashid_data(s["seed"])
    net = rashid_network(X_train.shape[1], s["hidden"], T_train.shape[1], seed=seed)
    history = net.fit(X_train, T_train, epochs=s["epochs"], batch_size=1, lr=s["lr"], shuffle=False)
    test = net.evaluate(X_test, T_test)
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"], "train_accuracy": history.accuracy[-1],
            "train_loss": history.loss[-1], "val_accuracy": None, "val_loss": None, "epochs_run": history.epochs}


# ------------------------------------------------------------------ the recipes
@dataclass(frozen=True)
class Recipe:
    """How a sweep's trials train: the settings a grid may vary (``axes``), every setting of a trial from a
    combination (``settings``), the trial's seed (``seed``), one run (``run``) and the data it takes."""

    name: str
    axes: tuple
    settings: object
    seed: object
    run: object
    data: tuple = ()  # the only data sets it takes; empty: any train takes


RECIPES = {
    "train": Recipe("train", TRAIN_AXES, train_settings, trial_seed, train_run),
    "rashid": Recipe("rashid", RASHID_AXES, rashid_settings, rashid_seed, rashid_run, data=("digits",)),
}


def get_recipe(name) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, got {name!r}")
    return RECIPES[name]


def run_trial(recipe, data, settings: dict, seed: int) -> dict:
    """One trial: the metrics and ``seconds``; a trial that fails returns ``error``, its one-line message, instead
    of raising (the sweep goes on)."""
    import time

    start = time.perf_counter()
    try:
        metrics = get_recipe(recipe).run(data, settings, seed)
    except Exception as exc:  # the sweep goes on; the row records why this trial has no scores
        text = str(exc).strip().splitlines()
        return {"error": f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": "),
                "seconds": time.perf_counter() - start}
    return {**metrics, "seconds": time.perf_counter() - start}


__all__ = ["CLASSIFICATION", "RASHID_AXES", "RASHID_BASE", "RECIPES", "REGRESSION", "TABLE_OPTIONS", "TRAIN_AXES",
           "Loaded", "Recipe", "get_recipe", "is_table", "load", "rashid_data", "run_trial", "table_options",
           "trial_seed"]
