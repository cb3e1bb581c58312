"""``Task``: classification or regression, decided from the target column and said out loud; ``split_rows``."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from glassnet.checks import choice, describe, shown
from glassnet.datasets import train_test_split
from glassnet.tables.frame import Frame
from glassnet.tables.words import api_words, few, number_text

TASKS = ("auto", "classification", "regression")


# auto: a whole-number target with at most this many distinct values is a class label
MAX_AUTO_CLASSES = 20


# more classes than this is refused even when asked for: a network with thousands of outputs is
# almost always a target column chosen by mistake
MAX_CLASSES = 1000


@dataclass
class Task:
    """What a target is and how it becomes what ``fit`` takes.

    Attributes
    ----------
    kind : "classification" or "regression"
    targets : list of str
        The target column(s): one for classification, one or more for regression.
    classes : list or None
        Classification: the class labels as they are written (ints or str), sorted.
    reason : str
        One line saying which task and why.
    mean, scale : ndarray or None
        Regression: the training targets' mean and standard deviation (per
        column), which ``encode`` takes out and ``fold_into`` puts back.
    """

    kind: str
    targets: list
    classes: list | None = None
    reason: str = ""
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    @property
    def class_names(self):
        return None if self.classes is None else [str(c) for c in self.classes]

    def labels(self, frame, rows=None):
        """The target of ``frame`` (of its ``rows``, if given): class indices for classification, an (N, k)
        float matrix for regression. A label the task does not know is refused, naming its row."""
        if rows is not None:
            frame = frame.take(rows)
        if self.kind == "regression":
            return np.column_stack([frame[name] for name in self.targets]).astype(np.float64)
        values = frame[self.targets[0]]
        numeric_classes = isinstance(self.classes[0], int)
        if values.dtype == object:
            cells = [_int_or_text(v) for v in values] if numeric_classes else list(values)
        else:
            cells = [None if math.isnan(v) else (int(v) if v.is_integer() else float(v)) for v in values]
            if not numeric_classes:
                cells = [None if v is None else str(v) for v in cells]
        index = {c: k for k, c in enumerate(self.classes)}
        out = np.empty(len(cells), dtype=np.int64)
        for i, cell in enumerate(cells):
            k = index.get(cell)
            if k is None:
                if cell is None:
                    raise ValueError(f"{frame.where(i)}: the class label in {shown(self.targets[0])} is missing")
                raise ValueError(f"{frame.where(i)}: class label {shown(cell)} is not one the model knows: "
                                 f"{few(self.classes)}")
            out[i] = k
        return out

    def fit_scale(self, Y):
        """Learn the regression targets' mean and standard deviation from the training targets ``Y``."""
        self.mean = Y.mean(axis=0)
        scale = Y.std(axis=0)
        self.scale = np.where(scale > 0, scale, 1.0)
        return self

    def encode(self, Y):
        """Regression targets standardized with the training rows' mean and scale (labels pass through)."""
        return Y if self.kind == "classification" else (Y - self.mean) / self.scale

    def fold_into(self, net):
        """Put the targets' scale back into ``net``'s linear output layer, so it predicts in their own units.

        With ``Yhat = A W + b`` trained on ``(Y - mean) / scale``, the layer
        ``W * scale``, ``b * scale + mean`` gives ``Yhat * scale + mean``
        exactly (up to rounding).
        """
        if self.kind != "regression":
            return net
        out = net.layers[-1]
        out.W *= self.scale.astype(out.W.dtype)
        out.b *= self.scale.astype(out.b.dtype)
        out.b += self.mean.astype(out.b.dtype)
        return net



def _int_or_text(text):
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else text


def decide_task(frame, targets, task="auto", say=None) -> Task:
    """Decide classification or regression for the target column(s) ``targets`` of ``frame``, and why.

    ``auto``: a text column, or a column of whole numbers with at most
    ``MAX_AUTO_CLASSES`` distinct values, is a class label; any other
    numeric column is a quantity (regression). Several target columns are
    always a regression. ``classification`` refuses fractional numbers and
    more than ``MAX_CLASSES`` classes; ``regression`` refuses text. Missing
    target cells are left to the caller (``prepare`` drops or refuses them).
    """
    say = say or api_words
    choice("task", task, TASKS)
    if not isinstance(frame, Frame):
        raise TypeError(f"frame must be a glassnet.tables.Frame, got {describe(frame)}")
    if not isinstance(targets, (list, tuple)) or not targets or any(t not in frame for t in targets):
        raise ValueError(f"targets must be a non-empty list of the frame's column names, got {describe(targets)}")
    if len(targets) > 1:
        if task == "classification":
            raise ValueError(f"{say('task', 'classification')} takes one target column, got {len(targets)}")
        text = [t for t in targets if not frame.is_numeric(t)]
        if text:
            raise ValueError(f"target {shown(text[0])} holds text; several targets are a regression of numbers")
        names = ", ".join(shown(t) for t in targets[:5]) + ", ..." * (len(targets) > 5)
        return Task("regression", list(targets), reason=f"treating {names} as {len(targets)} regression targets")
    name = targets[0]
    column = frame[name]
    present = column[~frame.missing(name)]
    if len(present) == 0:
        raise ValueError(f"target {shown(name)} has no values: every cell is missing")
    if not frame.is_numeric(name):
        classes = sorted(set(present))
        if task == "regression":
            raise ValueError(f"target {shown(name)} holds text such as {shown(classes[0])}; "
                             f"{say('task', 'regression')} needs numbers")
        _check_class_count(name, len(classes), len(present), say)
        return Task("classification", [name], classes,
                    f"treating {shown(name)} as a classification target: {len(classes)} text values "
                    f"{_shown(classes)}")
    if not np.all(np.isfinite(present)):
        raise ValueError(f"target {shown(name)} has an infinite value; targets must be finite numbers")
    distinct = np.unique(present)
    whole = bool(np.all(distinct == np.round(distinct)))
    if task == "regression" or (task == "auto" and (not whole or len(distinct) > MAX_AUTO_CLASSES)):
        why = ("asked for" if task == "regression" else
               f"{len(distinct):,} distinct values" + ("" if whole else ", not all whole numbers"))
        return Task("regression", [name], reason=f"treating {shown(name)} as a regression target: {why}")
    if not whole:
        fraction = number_text(distinct[distinct != np.round(distinct)][0])
        raise ValueError(f"target {shown(name)} has fractional values such as {fraction}; "
                         f"classes are text or whole numbers: use {say('task', 'regression')} for a quantity")
    if np.max(np.abs(distinct)) >= 2**53:
        raise ValueError(f"target {shown(name)} has whole numbers beyond 2**53, which floats cannot tell apart as "
                         f"class labels; use {say('task', 'regression')} for a quantity, or codes such as 'c1', 'c2' "
                         "for classes")
    _check_class_count(name, len(distinct), len(present), say)
    classes = [int(v) for v in distinct]
    why = "asked for" if task == "classification" else f"{len(classes)} whole-number values {_shown(classes)}"
    return Task("classification", [name], classes, f"treating {shown(name)} as a classification target: {why}")


def _shown(classes, at_most=5):
    text = ", ".join(shown(c, 40) if isinstance(c, str) and (len(c) > 40 or not c.isprintable()) else str(c)
                     for c in classes[:at_most])
    return f"({text}{', ...' if len(classes) > at_most else ''})"


def _check_class_count(name, n_classes, n_rows, say):
    if n_classes < 2:
        raise ValueError(f"target {shown(name)} has only one value; a classifier needs at least two classes")
    if n_classes > MAX_CLASSES:
        raise ValueError(f"target {shown(name)} has {n_classes:,} distinct values, too many classes (at most "
                         f"{MAX_CLASSES:,}); is it the right column? Choose another with {say('target')}, or use "
                         f"{say('task', 'regression')} for a quantity")
    if n_rows >= 20 and n_classes == n_rows:
        raise ValueError(f"target {shown(name)} has a different value in every row, like an ID, not a class; choose "
                         f"the label column with {say('target')}")


def split_rows(n_rows, test_split=0.2, seed=0, labels=None, say=None):
    """Row indices ``(train, test)``: a seeded random split, stratified by ``labels`` when given.

    ``test_split`` 0 puts every row in ``train`` (``test`` is empty). The
    split is ``glassnet.datasets.train_test_split``'s, so a file and the
    arrays it holds split alike.
    """
    say = say or api_words
    if isinstance(n_rows, bool) or not isinstance(n_rows, numbers.Integral) or n_rows < 1:
        raise ValueError(f"n_rows must be a whole number >= 1, got {describe(n_rows)}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a whole number >= 0, got {describe(seed)}")
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real) or not 0 <= test_split < 1:
        raise ValueError(f"{say('test_split')} must be a number in [0, 1), got {describe(test_split)}")
    rows = np.arange(n_rows)
    if test_split == 0:
        return rows, rows[:0]
    if labels is None:
        n_test = max(1, int(round(n_rows * test_split)))
    else:  # as train_test_split counts them: each class gives round(count * share) rows
        n_test = sum(int(round(count * test_split)) for count in np.unique(labels, return_counts=True)[1])
    if n_test == 0 or n_test == n_rows:
        raise ValueError(f"{say('test_split', test_split)} of {n_rows} rows leaves {n_test} for testing and "
                         f"{n_rows - n_test} for training; give more rows, another share, or {say('test_split', 0)} "
                         "to train on every row")
    y = np.zeros(n_rows, dtype=np.int64) if labels is None else labels
    train, test, _, _ = train_test_split(rows, y, test_fraction=test_split, seed=seed, stratify=labels is not None)
    return train, test
