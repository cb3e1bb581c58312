"""``Columns``: the preprocessing step that knows a model's columns by name (kinds, fill values, categories)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from glassnet.checks import array_of, choice, describe, shown
from glassnet.memory import check_affordable
from glassnet.preprocessing import PREPROCESSING, Preprocessing
from glassnet.tables.frame import Frame, as_frame, column_array, is_numeric_array
from glassnet.tables.words import count, few, names_list, number_text

MISSING_STRATEGIES = ("error", "drop", "mean", "median", "most_frequent")


UNKNOWN_POLICIES = ("ignore", "error")


class MissingValues(ValueError):
    """Missing cells where none may be: ``column`` (its name), ``count`` cells, the first at ``where``."""

    def __init__(self, message, column, count, where):
        super().__init__(message)
        self.column, self.count, self.where = column, count, where

    @classmethod
    def found(cls, column, gone, frame, advice):
        """The error for the ``column`` of ``frame`` whose cells ``gone`` (a mask over its rows) are missing:
        ``"column 'x' has 3 missing cells (first at line 9 of f.csv); <advice>"``."""
        n, where = int(gone.sum()), frame.where(int(np.argmax(gone)))
        return cls(f"column {shown(column)} has {count(n, 'missing cell')} (first at {where}); {advice}", column, n,
                   where)


def as_texts(column):
    """A column's cells as category texts: numbers written as ``number_text`` does, None where missing."""
    if column.dtype == object:
        return column
    return np.array([None if math.isnan(v) else number_text(v) for v in column], dtype=object)


class Columns(Preprocessing):
    """The columns a model takes, by name: kinds, fill values and categories, learned on training rows.

    ``transform`` turns a table into the network's input matrix: each numeric
    column as it is (missing cells filled), each categorical column as one
    0/1 input per category (in sorted order; a category not seen in training
    gives all zeros, or an error with ``unknown="error"``). A table with
    names (``Frame``, DataFrame, dict, or an array with ``feature_names``) is
    matched by name, in any order, extra columns ignored; a plain array is
    taken by position.

    Parameters
    ----------
    categorical, numeric : list of str, optional
        Columns to treat as categorical (numbers such as codes included) or as
        numeric (every cell must then be a number). By default text columns
        are categorical and number columns numeric.
    missing : "error", "drop", "mean", "median" or "most_frequent"
        What to do with a missing cell. ``error`` refuses it; ``drop`` fills
        nothing (``prepare`` leaves out training rows with missing cells;
        ``transform`` refuses them); the others fill numeric columns with the
        training rows' mean, median or most frequent value. Categorical
        columns are filled with their most frequent category whatever the
        strategy.
    unknown : "ignore" or "error"
        A category not seen in training: all zeros, or an error.

    Examples
    --------
    >>> prep = Columns(missing="median").fit({"size": [1.0, None, 3.0], "colour": ["red", "blue", "red"]})
    >>> prep.output_names()
    ['size', 'colour=blue', 'colour=red']
    """

    name = "columns"
    takes_tables = True

    def __init__(self, categorical=None, numeric=None, missing="error", unknown="ignore"):
        self.categorical = None if categorical is None else names_list("categorical", categorical)
        self.numeric = None if numeric is None else names_list("numeric", numeric)
        both = sorted(set(self.categorical or ()) & set(self.numeric or ()))
        if both:
            raise ValueError(f"column {shown(both[0])} is in both categorical and numeric")
        self.missing = choice("missing", missing, MISSING_STRATEGIES)
        self.unknown = choice("unknown", unknown, UNKNOWN_POLICIES)
        self.names = self.kinds = self.fill = self.categories = None

    # --------------------------------------------------------------- fit
    def fit(self, X, feature_names=None):
        """Learn the names, kinds, fill values and categories from the training rows ``X``; returns ``self``."""
        frame = self._frame(X, feature_names, "X", fitting=True)
        for arg, names in (("categorical", self.categorical), ("numeric", self.numeric)):
            unknown = [n for n in names or () if n not in frame]
            if unknown:
                raise ValueError(f"{arg}: {shown(unknown[0])} is not a feature column; the features are "
                                 f"{few(frame.names)}")
        names, kinds, fill, categories = list(frame.names), [], [], []
        for name in names:
            column = frame[name]
            kind = "categorical" if (name in (self.categorical or ()) or
                                     (not frame.is_numeric(name) and name not in (self.numeric or ()))) else "numeric"
            gone = frame.missing(name)
            if gone.all():
                raise ValueError(f"column {shown(name)} has no values in the training rows: every cell is missing")
            if gone.any() and self.missing == "error":
                raise MissingValues.found(name, gone, frame, "choose how to handle them with "
                                          "missing='drop', 'mean', 'median' or 'most_frequent'")
            if kind == "numeric":
                values = column if frame.is_clean(name) else self._numbers(name, column, frame)[~gone]
                fill.append(None if self.missing in ("error", "drop") else _fill_number(values, self.missing))
                categories.append(None)
            else:
                # counted as Python strings: as a fixed-width array (astype(str)) every cell would take the room of
                # the longest, and one long cell in a million rows would ask for gigabytes
                counts = Counter(map(str, as_texts(column)[~gone].tolist()))
                seen = sorted(counts)
                categories.append(seen)
                fill.append(None if self.missing in ("error", "drop") else max(seen, key=counts.__getitem__))
            kinds.append(kind)
        self.names, self.kinds, self.fill, self.categories = names, kinds, fill, categories
        return self

    @staticmethod
    def _numbers(name, column, frame):
        if column.dtype != object:
            bad = ~np.isfinite(column) & ~np.isnan(column)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(f"{frame.where(i)}: column {shown(name)} has an infinite value; expected finite "
                                 "numbers")
            return column
        out = np.empty(len(column))
        for i, text in enumerate(column):
            if text is None:
                out[i] = math.nan
                continue
            try:
                out[i] = float(text)
            except ValueError:
                raise ValueError(f"{frame.where(i)}: column {shown(name)} is numeric but holds {shown(text)}") from None
            if not math.isfinite(out[i]):
                raise ValueError(f"{frame.where(i)}: column {shown(name)} has an infinite value; expected finite "
                                 "numbers")
        return out

    # --------------------------------------------------------- transform
    @property
    def n_features_(self):
        return None if self.names is None else len(self.names)

    @property
    def n_outputs_(self):
        if self.names is None:
            return None
        return sum(1 if c is None else len(c) for c in self.categories)

    def output_names(self):
        """The name of each input of the network: a numeric column's name, or ``column=category``."""
        self.check_fitted(self.names)
        return [n if c is None else f"{n}={v}" for n, c in zip(self.names, self.categories) for v in (c or [None])]

    def extra_columns(self, X, feature_names=None):
        """The columns of a named table ``X`` that the model does not take (an empty list for a plain array)."""
        self.check_fitted(self.names)
        frame = as_frame(X, feature_names)
        known = set(self.names)
        return [] if frame is None else [n for n in frame.names if n not in known]

    def unknown_categories(self, X, feature_names=None):
        """``{column: number of cells whose category was not seen in training}``, for the columns that have any."""
        frame = self._frame(X, feature_names, "X")
        found = {}
        for name, categories in zip(self.names, self.categories):
            if categories is not None:
                texts, known = as_texts(frame[name]), set(categories)
                n = sum(1 for t in texts if t is not None and t not in known)
                if n:
                    found[name] = n
        return found

    def transform(self, X, feature_names=None, name="X"):
        """The network's input matrix (float64) for the table ``X``; see the class docstring."""
        self.check_fitted(self.names)
        frame = self._frame(X, feature_names, name)
        if frame.matrix is not None and "categorical" not in self.kinds and set(self.names) <= set(frame.matrix_names):
            # numbers read by the fast reader: all present and finite, in one matrix; take its columns at once
            index = {n: j for j, n in enumerate(frame.matrix_names)}
            positions = [index[n] for n in self.names]
            if positions == list(range(frame.matrix.shape[1])):
                view = frame.matrix.view()  # no copy of a big table; read-only, so nothing can change it
                view.flags.writeable = False
                return view
            return frame.matrix[:, positions]
        self.check_room(frame.n_rows, name)
        out = np.zeros((frame.n_rows, self.n_outputs_))
        j = 0
        for col, kind, fill, categories in zip(self.names, self.kinds, self.fill, self.categories):
            column = frame[col]
            gone = frame.missing(col)
            if gone.any() and fill is None:
                how = ("the model was trained leaving out rows with missing cells, and fills none"
                       if self.missing == "drop" else "the model fills none (it was trained without a fill strategy)")
                raise MissingValues.found(col, gone, frame, f"{how}: fill them, or leave those rows out")
            if kind == "numeric":
                values = self._numbers(col, column, frame)
                out[:, j] = np.where(gone, fill if fill is not None else 0.0, values)
                j += 1
                continue
            index = {c: k for k, c in enumerate(categories)}
            for i, text in enumerate(as_texts(column)):
                k = index.get(fill if text is None else text)
                if k is not None:
                    out[i, j + k] = 1.0
                elif self.unknown == "error":
                    raise ValueError(f"{frame.where(i)}: column {shown(col)} has the category {shown(text)}, which "
                                     f"the model never saw in training; it knows {few(categories)}")
            j += len(categories)
        return out

    def widest(self) -> list:
        """``(name, number of categories)`` of each categorical column with more than one, most categories first."""
        self.check_fitted(self.names)
        wide = [(n, len(c)) for n, c in zip(self.names, self.categories) if c is not None and len(c) > 1]
        return sorted(wide, key=lambda pair: -pair[1])

    def wide_columns(self, at_most=3) -> str:
        """The categorical columns with the most categories, for messages: ``'city' (50,000 categories)``."""
        wide = self.widest()
        text = ", ".join(f"{shown(n)} ({k:,} categories)" for n, k in wide[:at_most])
        return text + (f" and {len(wide) - at_most:,} more" if len(wide) > at_most else "")

    def check_room(self, n_rows, name="X", hint=None, also=(0, "")):
        """Refuse (``glassnet.memory.TooLarge``) to make an input matrix of ``n_rows`` rows that would not fit
        in memory, naming its size and the columns whose categories make it wide; ``also`` is ``(bytes,
        words)`` of what is needed beside it (the one-hot targets)."""
        width = self.n_outputs_
        wide = self.wide_columns()
        made = f", one input per category of {wide}," if wide else ""
        what = f"{name}: a {n_rows:,} x {width:,} input matrix{made}{also[1]}"
        if hint is None:
            hint = ("leave out the columns with many categories, or give fewer rows at a time" if wide
                    else "give fewer rows at a time")
        check_affordable(what, 8 * n_rows * width + also[0], hint)

    def _frame(self, X, feature_names, name, fitting=False):
        frame = as_frame(X, feature_names, name)
        if frame is None:
            array_of(name, X, "a 2-D table")  # ragged rows named, not NumPy's words
            arr = np.asarray(X, dtype=np.float64 if is_numeric_array(X) else object)
            if arr.ndim == 1:
                arr = arr.reshape(1, -1)
            if arr.ndim != 2 or arr.shape[0] == 0:
                raise ValueError(f"{name} must be a non-empty 2-D table, got {describe(X)}")
            names = self.names if self.names is not None else [f"x{j}" for j in range(arr.shape[1])]
            if arr.shape[1] != len(names):
                raise ValueError(f"{name} has {arr.shape[1]} columns but the model takes {len(names)} "
                                 f"(got shape {arr.shape}); give a table with column names to match them by name")
            return Frame({n: column_array(arr[:, j], f"{name} column {j}") for j, n in enumerate(names)})
        if not fitting:
            lost = [n for n in self.names if n not in frame]
            if lost:
                where = f" of {frame.named}" if frame.source else ""
                raise ValueError(f"{name}{where} has no column {shown(lost[0])}, which the model needs"
                                 + (f" ({len(lost)} missing: {few(lost)})" if len(lost) > 1 else ""))
        return frame

    # ------------------------------------------------------------ config
    def config(self) -> dict:
        settings = {"name": self.name, "categorical": self.categorical, "numeric": self.numeric,
                    "missing": self.missing, "unknown": self.unknown}
        if self.names is not None:
            settings["fitted"] = {"names": self.names, "kinds": self.kinds, "fill": self.fill,
                                  "categories": self.categories}
        return settings

    def arrays(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config, arrays=None):
        if not isinstance(config, dict):
            raise ValueError(f"columns config must be a dict, got {describe(config)}")
        allowed = {"name", "categorical", "numeric", "missing", "unknown", "fitted"}
        if set(config) - allowed or not {"name", "missing", "unknown"} <= set(config):
            raise ValueError(f"columns config needs keys name, missing, unknown and may have categorical, numeric, "
                             f"fitted; got {sorted(map(str, config))}")
        if arrays:
            raise ValueError(f"columns keeps no arrays, got {sorted(arrays)}")
        step = cls(config.get("categorical"), config.get("numeric"), config["missing"], config["unknown"])
        fitted = config.get("fitted")
        if arrays is None or fitted is None:
            return step
        if not isinstance(fitted, dict) or set(fitted) != {"names", "kinds", "fill", "categories"}:
            raise ValueError("columns 'fitted' must hold exactly names, kinds, fill, categories")
        names = names_list("columns names", fitted["names"])
        kinds, fill, categories = fitted["kinds"], fitted["fill"], fitted["categories"]
        if not all(isinstance(v, list) and len(v) == len(names) for v in (kinds, fill, categories)):
            raise ValueError("columns kinds, fill and categories must be lists with one entry per name")
        for n, kind, value, cats in zip(names, kinds, fill, categories):
            if kind == "numeric":
                ok = cats is None and (value is None or (isinstance(value, (int, float)) and not isinstance(
                    value, bool) and math.isfinite(value)))
            elif kind == "categorical":
                ok = (isinstance(cats, list) and cats and all(isinstance(c, str) for c in cats)
                      and len(set(cats)) == len(cats) and (value is None or value in cats))
            else:
                ok = False
            if not ok:
                raise ValueError(f"columns: column {shown(n)} has an invalid kind, fill value or category list")
        step.names, step.kinds, step.fill, step.categories = names, list(kinds), list(fill), list(categories)
        return step

    def __repr__(self):
        if self.names is None:
            return f"Columns(missing={self.missing!r})"
        n_cat = self.kinds.count("categorical")
        return (f"Columns({len(self.names)} columns: {len(self.names) - n_cat} numeric, {n_cat} categorical -> "
                f"{self.n_outputs_} inputs)")


PREPROCESSING.add(Columns)


def _fill_number(values, strategy) -> float:
    if strategy == "mean":  # scaled by the largest, so that a sum of numbers near the float64 limit cannot overflow
        largest = float(np.max(np.abs(values))) if len(values) else 0.0
        return float(np.mean(values / largest) * largest) if largest > 1e300 else float(np.mean(values))
    if strategy == "median":
        return float(np.median(values))
    seen, counts = np.unique(values, return_counts=True)
    return float(seen[np.argmax(counts)])
