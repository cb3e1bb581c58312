"""Preprocessing: what is done to raw inputs and labels before the network sees them.

``Standardize``, ``MinMax``, ``RashidScale`` and ``Pipeline`` all have
``fit(X)``, ``transform(X)``, ``fit_transform(X)``, ``config()`` (plain
JSON-able data) and ``arrays()`` (the fitted numbers).
``preprocessing_from_config(config, arrays)`` rebuilds a fitted object from
those two without running any code from the file, which is how a model file
brings its preprocessing back; a network applies its ``preprocessing`` in
``fit``, ``predict`` and ``evaluate``. ``one_hot`` and ``rashid_targets`` turn
class labels into target matrices.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.checks import all_finite, class_labels, describe, finite_matrix, finite_number, positive_number
from glassnet.memory import check_affordable
from glassnet.registry import Configurable, Registry

# --------------------------------------------------------- preprocessing


class Preprocessing(Configurable):
    """What every preprocessing object shares.

    The protocol: ``fit(X)`` learns from training data and returns the object;
    ``transform(X)`` returns a new array (float64, or float32 for float32
    input) and checks the column count against the fitted one; ``config()``
    is JSON-able and holds ``"name"``; ``arrays()`` holds the fitted numbers.
    Subclasses set ``name``, register in ``PREPROCESSING`` and rebuild
    themselves in ``from_config(config, arrays)``: without ``arrays`` as they
    were before ``fit``, with them as they were after it.
    """

    kind = "preprocessing"
    n_features_ = None
    # True for a step that takes a table with named columns (glassnet.tables.Columns): it is given the raw
    # input, and feature_names, as they come
    takes_tables = False

    @property
    def n_outputs_(self):
        """The number of columns ``transform`` returns (None before ``fit``)."""
        return self.n_features_

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def _input(self, X):
        """``X`` as a finite 2-D array: float32 stays float32, anything else becomes float64."""
        dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        X = finite_matrix("X", X, dtype=dtype)
        if self.n_features_ is not None and X.shape[1] != self.n_features_:
            raise ValueError(
                f"X has {X.shape[1]} columns but this {type(self).__name__} was fitted on {self.n_features_} "
                f"(got shape {X.shape}, expected (n_samples, {self.n_features_}))"
            )
        return X

    def check_fitted(self, *state):
        if any(value is None for value in state):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")
        return state

    def _finite(self, out, X):
        """``out``, the transform of ``X``, if it is finite, else a ``ValueError`` naming the first entry of ``X``
        that scaled beyond the float range."""
        if all_finite(out) or np.isfinite(out).all():
            return out
        i, j = (int(k) for k in np.argwhere(~np.isfinite(out))[0])
        raise ValueError(
            f"X[{i}, {j}] is {float(X[i, j]):g}, which this {type(self).__name__} scales beyond {out.dtype}'s range "
            f"(+-{float(np.finfo(out.dtype).max):.1e}): it lies far outside the values it was fitted on; refit it on "
            "data like these, or scale them first"
        )


def _column_std(X, mean, high, low, rows=4096):
    """``X.std(axis=0)`` (around the given ``mean``; ``high`` and ``low`` are the column maxima and minima) a
    block of rows at a time, so that no temporary as large as ``X`` is made.

    The deviations are scaled by a power of two per column first (exact: the same bits as unscaled wherever
    those neither overflow nor underflow), so that the squares of a tiny spread (``[0, 0, 1e-200]``) do not
    underflow to 0, nor those of a huge one overflow.
    """
    with np.errstate(under="ignore"):
        half_mean = np.ldexp(mean, -1)
        half = np.maximum(np.abs(np.ldexp(high, -1) - half_mean), np.abs(np.ldexp(low, -1) - half_mean))
        e = np.frexp(half)[1] + 1  # the largest deviation, divided by 2**e, is in [0.5, 1) (near enough)
        centre = np.ldexp(mean, -e)
        total = np.zeros(X.shape[1])
        for start in range(0, len(X), rows):
            block = np.ldexp(X[start : start + rows], -e)
            block -= centre
            block *= block
            total += block.sum(axis=0)
        return np.ldexp(np.sqrt(total / len(X)), e)


def _column_mean(X):
    """``X.mean(axis=0)``, also where the column sums go beyond the float range."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = X.mean(axis=0)
    if not np.isfinite(mean).all():  # the mean of the columns divided by a power of two above the row count
        k = math.ceil(math.log2(len(X))) + 1
        with np.errstate(under="ignore"):
            mean = np.ldexp(np.ldexp(X, -k).mean(axis=0), k)
    return mean


def _columns(X, *arrays):
    """``X`` and the fitted per-column ``arrays`` in ``X``'s float dtype; for a float32 ``X`` whose arrays
    float32 cannot hold (they overflow, or a nonzero one becomes 0), ``X`` and the arrays in float64."""
    if X.dtype == np.float32:
        with np.errstate(over="ignore", under="ignore"):
            cast = [a.astype(np.float32) for a in arrays]
        if all(np.isfinite(c).all() and np.array_equal(c == 0, a == 0) for c, a in zip(cast, arrays)):
            return X, cast
        return X.astype(np.float64), list(arrays)
    return X, [a.astype(X.dtype, copy=False) for a in arrays]


class Standardize(Preprocessing):
    """Shift and scale every column to mean 0 and standard deviation 1.

    ``transform(X) = (X - mean_) / scale_``, with the column means and
    (population) standard deviations of the data given to ``fit``. A constant
    column gets ``scale_ = 1`` and comes out as zeros: no division by zero. So
    does a column whose standard deviation is too small to divide by (below
    the smallest normal float, 2.2e-308): it comes out as ``X - mean_``. A
    tiny but normal spread (``[0, 0, 1e-200]``) is scaled as any other, and
    ``transform`` raises a ``ValueError`` for an entry that would scale beyond
    the float range, rather than give inf.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
    n_features_ : int

    Examples
    --------
    >>> Standardize().fit_transform([[1.0, 5.0], [3.0, 5.0]])
    array([[-1.,  0.],
           [ 1.,  0.]])
    """

    name = "standardize"

    def __init__(self):
        self.mean_ = self.scale_ = None

    def fit(self, X):
        """Learn each column's mean and standard deviation from ``X``; returns ``self``."""
        X = finite_matrix("X", X)
        high, low = X.max(axis=0), X.min(axis=0)
        constant = high == low
        mean = _column_mean(X)
        # The mean of identical floats can differ from them in the last bit; use
        # the value itself so a constant column becomes exact zeros.
        mean[constant] = X[0, constant]
        std = _column_std(X, mean, high, low)
        self._set(mean, np.where(constant | (std < np.finfo(np.float64).tiny), 1.0, std))
        return self

    def _set(self, mean, scale):
        self.mean_, self.scale_, self.n_features_ = mean, scale, len(mean)

    def transform(self, X):
        """``(X - mean_) / scale_``."""
        self.check_fitted(self.mean_)
        X = self._input(X)
        work, (mean, scale) = _columns(X, self.mean_, self.scale_)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            out = np.subtract(work, mean)
            out /= scale  # in place: one new array, not two
            if not all_finite(out):  # X - mean beyond the float range, perhaps: halve both first
                out = np.ldexp((np.ldexp(work, -1) - np.ldexp(mean, -1)) / scale, 1)
            out = out.astype(X.dtype, copy=False)
        return self._finite(out, X)

    def config(self) -> dict:
        """``{"name": "standardize"}``: nothing to set; the numbers are in ``arrays()``."""
        return {"name": self.name}

    def arrays(self) -> dict:
        """``{"mean": mean_, "scale": scale_}`` (copies)."""
        mean, scale = self.check_fitted(self.mean_, self.scale_)
        return {"mean": mean.copy(), "scale": scale.copy()}

    @classmethod
    def from_config(cls, config, arrays=None):
        _check_keys(config, ("name",))
        if arrays is None:
            return cls()
        mean, scale = _check_arrays(arrays, ("mean", "scale"))
        if np.any(scale <= 0):
            raise ValueError(f"standardize scale must be > 0 in every column, got {scale.min().item()!r}")
        obj = cls()
        obj._set(mean, scale)
        return obj

    def __repr__(self):
        return "Standardize()"


class MinMax(Preprocessing):
    """Map every column's fitted range ``[min_, max_]`` linearly onto ``[low, high]``.

    ``transform(X) = low + (X - min_) * (high - low) / (max_ - min_)``. Values
    outside the fitted range land outside ``[low, high]``. A column that was
    constant during ``fit`` maps to ``low`` whatever it holds later, so the
    network sees it where it saw it in training; so does a column whose range
    is too small to divide by (``(high - low) / (max_ - min_)`` beyond the
    largest float: a range of 1e-310 for ``[0, 1]``). ``transform`` raises a
    ``ValueError`` for an entry that would scale beyond the float range.

    Parameters
    ----------
    low, high : float
        The target range, ``low < high``.

    Attributes
    ----------
    min_, max_ : ndarray of shape (n_features,)
    n_features_ : int
    """

    name = "minmax"

    def __init__(self, low=0.0, high=1.0):
        self.low = finite_number("low", low)
        self.high = finite_number("high", high)
        if not self.low < self.high:
            raise ValueError(f"MinMax needs low < high, got low={self.low!r}, high={self.high!r}")
        if not math.isfinite(self.high - self.low):
            raise ValueError(f"MinMax needs high - low within float64's range (1.8e308), got low={self.low!r}, "
                             f"high={self.high!r}")
        self.min_ = self.max_ = self._scale = None

    def fit(self, X):
        """Learn each column's smallest and largest value from ``X``; returns ``self``."""
        X = finite_matrix("X", X)
        self._set(X.min(axis=0), X.max(axis=0))
        return self

    def _set(self, low_values, high_values):
        width = self.high - self.low
        with np.errstate(over="ignore", under="ignore"):
            span = high_values - low_values
            scale = np.divide(width, span, out=np.zeros_like(span), where=span > 0)
            wide = np.isinf(span)  # a range beyond the float range: halve it first
            scale[wide] = np.ldexp(width / (np.ldexp(high_values[wide], -1) - np.ldexp(low_values[wide], -1)), -1)
        scale[np.isinf(scale)] = 0.0  # a range too small to divide by: as if constant
        self.min_, self.max_, self.n_features_ = low_values, high_values, len(low_values)
        self._scale = scale

    def transform(self, X):
        """``low + (X - min_) * (high - low) / (max_ - min_)``."""
        self.check_fitted(self.min_)
        X = self._input(X)
        work, (low_values, scale) = _columns(X, self.min_, self._scale)
        low = work.dtype.type(self.low)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            out = (work - low_values) * scale + low
            if not all_finite(out):  # X - min_ beyond the float range, perhaps: halve both first
                out = np.ldexp((np.ldexp(work, -1) - np.ldexp(low_values, -1)) * scale, 1) + low
            out = out.astype(X.dtype, copy=False)
        return self._finite(out, X)

    def config(self) -> dict:
        """``{"name": "minmax", "low": ..., "high": ...}``."""
        return {"name": self.name, "low": self.low, "high": self.high}

    def arrays(self) -> dict:
        """``{"min": min_, "max": max_}`` (copies)."""
        low_values, high_values = self.check_fitted(self.min_, self.max_)
        return {"min": low_values.copy(), "max": high_values.copy()}

    @classmethod
    def from_config(cls, config, arrays=None):
        _check_keys(config, ("name", "low", "high"))
        if arrays is None:
            return cls(config["low"], config["high"])
        low_values, high_values = _check_arrays(arrays, ("min", "max"))
        if np.any(high_values < low_values):
            raise ValueError("minmax arrays need max >= min in every column")
        obj = cls(config["low"], config["high"])
        obj._set(low_values, high_values)
        return obj

    def __repr__(self):
        return f"MinMax(low={self.low!r}, high={self.high!r})"


class RashidScale(Preprocessing):
    """Rashid's input scaling: ``X / max_value * 0.99 + 0.01``, from ``[0, max_value]`` onto ``[0.01, 1.0]``.

    Inputs of zero would stop their weights from learning (their gradient is
    the input times the error), so the scaled range starts just above zero.
    Nothing is learnt from the data: ``fit`` only checks that ``X`` lies in
    ``[0, max_value]`` and records the column count that ``transform`` then
    requires; an unfitted ``RashidScale`` transforms any number of columns.

    Parameters
    ----------
    max_value : float
        The largest raw value, 255 for 8-bit pixels.
    """

    name = "rashid"

    def __init__(self, max_value=255.0):
        self.max_value = finite_number("max_value", max_value)
        if self.max_value <= 0:
            raise ValueError(f"max_value must be > 0, got {self.max_value!r}")

    def fit(self, X):
        """Check that ``X`` lies in ``[0, max_value]`` and remember its column count; returns ``self``."""
        X = finite_matrix("X", X)
        if X.min() < 0 or X.max() > self.max_value:
            raise ValueError(
                f"RashidScale(max_value={self.max_value!r}) expects X in [0, {self.max_value!r}], "
                f"got values from {X.min().item()!r} to {X.max().item()!r}; "
                "pass the data's largest possible value as max_value"
            )
        self.n_features_ = X.shape[1]
        return self

    def transform(self, X):
        """``X / max_value * 0.99 + 0.01``."""
        X = self._input(X)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            factor = np.asarray(0.99 / self.max_value).astype(X.dtype)
            if np.isfinite(factor):
                out = X * factor + X.dtype.type(0.01)
            else:  # a max_value too small to divide 0.99 by (1e-310): divide X by it first
                out = (np.asarray(X, np.float64) / self.max_value * 0.99 + 0.01).astype(X.dtype)
        return self._finite(out, X)

    def config(self) -> dict:
        """``{"name": "rashid", "max_value": ..., "n_features": ...}`` (``n_features`` None before ``fit``)."""
        return {"name": self.name, "max_value": self.max_value, "n_features": self.n_features_}

    def arrays(self) -> dict:
        """``{}``: nothing is learnt from the data."""
        return {}

    @classmethod
    def from_config(cls, config, arrays=None):
        _check_keys(config, ("name", "max_value", "n_features"))
        _check_arrays(arrays or {}, ())
        obj = cls(config["max_value"])
        if config["n_features"] is not None:
            obj.n_features_ = positive_number("n_features", config["n_features"], integer=True)
        return obj

    def __repr__(self):
        return f"RashidScale(max_value={self.max_value!r})"


class Pipeline(Preprocessing):
    """Preprocessing steps applied one after the other.

    ``fit`` fits each step on the output of the steps before it. ``config()``
    lists the steps' configs; ``arrays()`` prefixes each step's arrays with
    its position (``"0.mean"``, ``"1.min"``). A pipeline given as a step is
    unpacked into its steps.

    Parameters
    ----------
    steps : list of Standardize, MinMax, RashidScale or Pipeline

    Examples
    --------
    >>> prep = Pipeline([RashidScale(), Standardize()])
    """

    name = "pipeline"

    def __init__(self, steps):
        if not isinstance(steps, (list, tuple)) or not steps:
            raise ValueError(f"steps must be a non-empty list of preprocessing objects, got {describe(steps)}")
        flat = []
        for i, step in enumerate(steps):
            if not isinstance(step, Preprocessing):
                raise TypeError(
                    f"steps[{i}] must be a preprocessing object (Standardize, MinMax, RashidScale, Pipeline, "
                    f"glassnet.tables.Columns), got {describe(step)}"
                )
            flat.extend(step.steps if isinstance(step, Pipeline) else [step])
        self.steps = flat

    @property
    def n_features_(self):
        return self.steps[0].n_features_

    @property
    def n_outputs_(self):
        return self.steps[-1].n_outputs_

    @property
    def takes_tables(self):
        return self.steps[0].takes_tables

    def fit(self, X, **table):
        """Fit each step on what the steps before it make of ``X``; returns ``self``.

        ``table`` (``feature_names``) goes to a first step that takes tables.
        """
        for step in self.steps:
            X = step.fit(X, **table).transform(X, **table) if table else step.fit_transform(X)
            table = {}
        return self

    def transform(self, X, **table):
        """Every step's ``transform``, in order (``table`` arguments go to the first, as in ``fit``)."""
        for step in self.steps:
            X = step.transform(X, **table)
            table = {}
        return X

    def config(self) -> dict:
        """``{"name": "pipeline", "steps": [each step's config]}``."""
        return {"name": self.name, "steps": [step.config() for step in self.steps]}

    def arrays(self) -> dict:
        """Every step's arrays, keyed ``"<step index>.<name>"``."""
        return {f"{i}.{key}": value for i, step in enumerate(self.steps) for key, value in step.arrays().items()}

    @classmethod
    def from_config(cls, config, arrays=None):
        _check_keys(config, ("name", "steps"))
        configs = config["steps"]
        if not isinstance(configs, list) or not configs:
            raise ValueError(f"pipeline steps must be a non-empty list, got {describe(configs)}")
        prefixes = {f"{i}." for i in range(len(configs))}
        stray = [key for key in arrays or {} if key[: key.find(".") + 1] not in prefixes]
        if stray:
            raise ValueError(f"pipeline arrays {stray} belong to no step (expected keys such as '0.mean')")
        steps = []
        for i, step_config in enumerate(configs):
            if isinstance(step_config, dict) and step_config.get("name") == cls.name:
                raise ValueError(f"pipeline step {i} is itself a pipeline; a saved pipeline lists plain steps")
            prefix = f"{i}."
            step_arrays = None
            if arrays is not None:
                step_arrays = {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}
            step = preprocessing_from_config(step_config, step_arrays)
            previous = steps[-1].n_outputs_ if steps else None
            if previous is not None and step.n_features_ is not None and step.n_features_ != previous:
                raise ValueError(
                    f"pipeline step {i} was fitted on {step.n_features_} columns but step {i - 1} gives {previous}"
                )
            steps.append(step)
        return cls(steps)

    def __repr__(self):
        return f"Pipeline([{', '.join(repr(step) for step in self.steps)}])"


PREPROCESSING = Registry("preprocessing", Preprocessing)
for _cls in (Standardize, MinMax, RashidScale, Pipeline):
    PREPROCESSING.add(_cls)


def _check_keys(config, keys):
    if set(config) != set(keys):
        raise ValueError(
            f"{config.get('name')!r} config needs exactly the keys {sorted(keys)}, got {sorted(map(str, config))}"
        )


def _check_arrays(arrays, keys):
    """The named arrays as finite 1-D float64 arrays of one common, non-zero length."""
    if set(arrays) != set(keys):
        raise ValueError(f"expected exactly the arrays {sorted(keys)}, got {sorted(arrays)}")
    out = []
    for key in keys:
        value = arrays[key]
        if not isinstance(value, np.ndarray) or not (
            np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)
        ):
            raise ValueError(f"array {key!r} must be a numeric numpy array, got {describe(value)}")
        if value.ndim != 1 or len(value) == 0 or not np.all(np.isfinite(value)):
            raise ValueError(f"array {key!r} must be 1-D, non-empty and finite, got {describe(value)}")
        out.append(value.astype(np.float64))
    if len({len(value) for value in out}) > 1:
        raise ValueError(f"arrays {list(keys)} must have the same length, got {[len(value) for value in out]}")
    return out


def preprocessing_from_config(config, arrays=None):
    """Rebuild a fitted preprocessing object from its ``config()`` and ``arrays()``.

    Only data is read: the ``"name"`` picks one of the classes in
    ``PREPROCESSING`` and every field and array is checked, so a damaged or
    hostile model file gives a ``ValueError`` rather than a broken object.

    Parameters
    ----------
    config : dict
        As returned by ``config()`` (after a JSON round trip).
    arrays : dict of str to ndarray, or None
        As returned by ``arrays()``; None rebuilds the object as it was
        before ``fit``.

    Raises
    ------
    ValueError
        For an unknown name, missing or extra keys, wrong values, or arrays of
        the wrong kind, shape or length.
    """
    if not isinstance(config, dict):
        raise ValueError(f"preprocessing config must be a dict, got {describe(config)}")
    name = config.get("name")
    if not isinstance(name, str) or name not in PREPROCESSING:
        raise ValueError(f"unknown preprocessing name {name!r}; expected one of {sorted(PREPROCESSING)}")
    if arrays is not None and (not isinstance(arrays, dict) or not all(isinstance(key, str) for key in arrays)):
        raise ValueError(f"preprocessing arrays must be a dict of name -> array, got {describe(arrays)}")
    try:
        return PREPROCESSING.build(config, arrays=arrays)
    except TypeError as exc:
        raise ValueError(f"invalid {name!r} preprocessing config: {exc}") from exc


# --------------------------------------------------------------- targets


def _label_matrix(y, n_classes, low, high):
    """Rows of ``low`` with ``high`` in each label's column."""
    n_classes = positive_number("n_classes", n_classes, integer=True)
    labels = class_labels("y", y, n_classes)
    check_affordable(f"a {len(labels):,} x {n_classes:,} target matrix", 8.0 * len(labels) * n_classes,
                     "give fewer classes")
    Y = np.full((len(labels), n_classes), low, dtype=np.float64)
    Y[np.arange(len(labels)), labels] = high
    return Y


def one_hot(y, n_classes):
    """Rows of zeros with a one in each label's column: shape ``(len(y), n_classes)``.

    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    return _label_matrix(y, n_classes, 0.0, 1.0)


def rashid_targets(y, n_classes, low=0.01, high=0.99):
    """One-hot rows with ``low`` for 0 and ``high`` for 1, Rashid's targets for sigmoid outputs.

    A sigmoid never reaches 0 or 1, so training towards them would push the
    weights ever larger; 0.01 and 0.99 are reachable.

    >>> rashid_targets([1], 3)
    array([[0.01, 0.99, 0.01]])
    """
    low, high = finite_number("low", low), finite_number("high", high)
    if not low < high:
        raise ValueError(f"rashid_targets needs low < high, got low={low!r}, high={high!r}")
    return _label_matrix(y, n_classes, low, high)
