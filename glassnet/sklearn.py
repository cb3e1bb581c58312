"""scikit-learn estimators around a glassnet ``Network``: ``GlassClassifier`` and ``GlassRegressor``.

They follow scikit-learn's contract (constructor arguments only stored,
``fit``/``predict``/``score``, fitted attributes ending in ``_``, input
checks by ``validate_data``), so they work in ``Pipeline``, ``GridSearchCV``,
``cross_val_score`` and ``clone`` and pass ``check_estimator``. Underneath,
``fit`` builds a ``Network`` of ``Dense`` layers and trains it with
``Network.fit``, glassnet's public API only; the fitted network is
``network_``, to trace, save, load and explain like any other. This is the one
module that imports scikit-learn at the top: ``import glassnet`` does not load
it.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from glassnet.checks import describe, positive_number
from glassnet.layers import Dense
from glassnet.losses import check_sample_weight
from glassnet.network import Network
from glassnet.optimizers import get_optimizer

_DOC_PARAMETERS = """
    hidden_layer_sizes : tuple of int
        Nodes of each hidden layer, first to last: ``(100,)`` is one hidden
        layer of 100 nodes, ``()`` none (a linear or logistic model).
    activation : str
        The hidden layers' activation: ``"relu"``, ``"tanh"``, ``"sigmoid"``
        or ``"linear"``.
    optimizer : str
        ``"adam"`` or ``"sgd"`` (``glassnet.Adam``, ``glassnet.SGD``).
    learning_rate : float
        The optimizer's ``lr``.
    epochs : int
        Passes over the training data in ``fit`` (``partial_fit`` makes one).
    batch_size : int or "auto"
        Samples per update; ``"auto"`` is ``min(200, n_samples)``.
    early_stopping : int or None
        Patience: hold out ``validation_fraction`` of the training data, stop
        once its loss has not improved for this many epochs and keep the
        weights of the best epoch (``Network.fit``'s ``early_stopping``).
    validation_fraction : float in (0, 1)
        The share held out for ``early_stopping`` (unused without it).
    l2 : float
        L2 penalty on the weights (not the biases): the optimizer's
        ``weight_decay``, which adds ``l2 * W`` to each weight's gradient.
    random_state : int, RandomState or None
        Seeds the network (its starting weights, shuffling and the held-out
        rows): an int is the ``Network``'s ``seed``.
    dtype : "float64" or "float32"
        What the network trains and predicts in; float32 is about twice as
        fast, float64 gives the same numbers for repeated and weighted rows.
"""

_DOC_ATTRIBUTES = """
    n_features_in_ : int
        Columns of ``X`` in ``fit``.
    feature_names_in_ : ndarray of str
        The column names of ``X``, when it had string names (a DataFrame);
        ``network_`` records them too and matches columns by name.
    network_ : glassnet.Network
        The fitted network (``network_.history`` is its ``History``).
    loss_curve_ : list of float
        The training loss of every epoch, ``partial_fit``'s included.
    n_iter_ : int
        Epochs trained by the last ``fit`` and the ``partial_fit`` calls after it.
"""


class _GlassEstimator(BaseEstimator):
    """What the classifier and the regressor share: the arguments, the network, the training calls."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam", learning_rate=0.001,
                 epochs=200, batch_size="auto", early_stopping=None, validation_fraction=0.1, l2=0.0001,
                 random_state=None, dtype="float64"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.l2 = l2
        self.random_state = random_state
        self.dtype = dtype

    # The classifier and the regressor say what the network's output is and what its targets are.
    _output = _loss = None

    def _targets(self, y, sample_weight, first):
        raise NotImplementedError

    def _train(self, X, y, sample_weight, *, first, epochs):
        """Validate ``(X, y)``, build the network when ``first``, train ``epochs`` epochs; return ``self``."""
        X, y = validate_data(self, X, y, reset=first, **self._validation_options(y_given=True))
        if sample_weight is not None:
            sample_weight = check_sample_weight("sample_weight", sample_weight, X.shape[0])
        Y, class_weight = self._targets(y, sample_weight, first)
        if first:
            self._check_params()
            self.network_ = self._network(X.shape[1], self._n_outputs)
            self.network_.class_names = self._class_names()
            self._solver = get_optimizer({"name": self.optimizer, "lr": self.learning_rate, "weight_decay": self.l2})
            self.loss_curve_ = []
            self.n_iter_ = 0
        names = getattr(self, "feature_names_in_", None) if first else None
        patience = self.early_stopping if epochs > 1 else None  # partial_fit's one epoch has nothing to stop
        history = self.network_.fit(
            X, Y, epochs=epochs, batch_size=self._batch_size(X.shape[0]), optimizer=self._solver,
            validation_split=self.validation_fraction if patience is not None else 0.0, early_stopping=patience,
            dtype=self.dtype, sample_weight=sample_weight, class_weight=class_weight,
            feature_names=None if names is None else list(names),
        )
        self.loss_curve_ += history.loss
        self.n_iter_ += len(history.loss)
        return self

    def _validation_options(self, y_given=False):
        return {"dtype": (np.float64, np.float32)}

    def _check_params(self):
        """The arguments whose glassnet names differ (lr, weight_decay, seed, validation_split), checked by ours."""
        positive_number("learning_rate", self.learning_rate)
        positive_number("l2", self.l2, allow_zero=True)
        if isinstance(self.random_state, numbers.Integral):
            positive_number("random_state", self.random_state, integer=True, allow_zero=True)
        if self.early_stopping is not None and not 0 < positive_number(
                "validation_fraction", self.validation_fraction) < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}")

    def _class_names(self):
        return None

    def _network(self, n_in, n_out):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        if not isinstance(sizes, (tuple, list)) or not all(
                isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in sizes):
            raise ValueError(f"hidden_layer_sizes must be a tuple of positive ints, got {describe(sizes)}")
        widths = [n_in, *(int(n) for n in sizes)]
        layers = [Dense(a, b, self.activation) for a, b in zip(widths, widths[1:])]
        layers.append(Dense(widths[-1], n_out, self._output))
        return Network(layers, loss=self._loss, seed=self._seed())

    def _seed(self):
        rs = self.random_state
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return int(rs)  # the Network's own seed: Network(..., seed=random_state) trains the same
        return int(check_random_state(rs).randint(np.iinfo(np.int32).max))

    def _batch_size(self, n_samples):
        if isinstance(self.batch_size, str) and self.batch_size == "auto":
            return min(200, n_samples)
        if isinstance(self.batch_size, numbers.Integral) and not isinstance(self.batch_size, bool):
            return min(int(self.batch_size), n_samples) if self.batch_size > 0 else self.batch_size
        raise ValueError(f"batch_size must be 'auto' or a positive int, got {describe(self.batch_size)}")

    def _X(self, X):
        """``X`` checked against what ``fit`` saw (columns, names), as an array."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **self._validation_options())


class GlassClassifier(ClassifierMixin, _GlassEstimator):
    __doc__ = f"""A classifier: a glassnet ``Network`` with a softmax output trained on cross entropy.

    Labels are kept as given (numbers or strings): ``classes_`` holds them in
    sorted order and ``predict`` returns them.

    Parameters
    ----------{_DOC_PARAMETERS}    class_weight : "balanced", dict {{label: weight}} or None
        Multiplies each sample's weight by its class's (``Network.fit``'s
        ``class_weight``, keyed here by label).

    Attributes
    ----------
    classes_ : ndarray
        The labels, sorted.{_DOC_ATTRIBUTES}
    Examples
    --------
    >>> from glassnet.datasets import iris
    >>> X, y = iris()
    >>> clf = GlassClassifier(hidden_layer_sizes=(8,), learning_rate=0.01, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]), clf.network_.n_out
    (array([0, 0, 0]), 3)
    """

    _output, _loss = "softmax", "cross_entropy"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam", learning_rate=0.001,
                 epochs=200, batch_size="auto", early_stopping=None, validation_fraction=0.1, l2=0.0001,
                 class_weight=None, random_state=None, dtype="float64"):
        super().__init__(hidden_layer_sizes, activation, optimizer, learning_rate, epochs, batch_size,
                         early_stopping, validation_fraction, l2, random_state, dtype)
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None):
        """Train a new network for ``epochs`` epochs on ``(X, y)``; returns ``self``."""
        self._given_classes = None
        return self._train(X, y, sample_weight, first=True, epochs=self.epochs)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on ``(X, y)``; the first call builds the network and needs ``classes``, all the labels."""
        first = not hasattr(self, "network_")
        if first:
            if classes is None:
                raise ValueError("classes must be given to the first partial_fit: all the labels, as y may hold "
                                 "only some of them")
            self._given_classes = np.unique(classes)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={classes!r} differs from the classes of the first partial_fit, "
                             f"{self.classes_!r}")
        return self._train(X, y, sample_weight, first=first, epochs=1)

    def _targets(self, y, sample_weight, first):
        check_classification_targets(y)
        if first:
            classes = np.unique(y) if self._given_classes is None else self._given_classes
            if len(classes) < 2:
                raise ValueError(f"y has one class ({classes[0]!r}); a classifier needs at least two")
            self.classes_ = classes
        index = np.searchsorted(self.classes_, y)
        index[index == len(self.classes_)] = 0
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError(f"y holds labels not in classes: {np.unique(y[unknown])!r} "
                             f"(the classes are {self.classes_!r})")
        if sample_weight is not None and self._given_classes is None:
            weighed = np.unique(index[sample_weight > 0])
            if len(weighed) < 2:
                raise ValueError(f"sample_weight leaves one class ({self.classes_[weighed[0]]!r}) with "
                                 "a weight > 0; a classifier needs at least two")
        return index, self._class_weight()

    def _class_names(self):
        """The labels, for the network's model file, when they are strings or numbers."""
        labels = self.classes_.tolist()
        if all(isinstance(c, str) for c in labels) or self.classes_.dtype.kind in "iuf":
            return labels
        return None

    @property
    def _n_outputs(self):
        return len(self.classes_)

    def _class_weight(self):
        """``class_weight`` keyed by class index, as ``Network.fit`` takes it."""
        weights = self.class_weight
        if weights is None or (isinstance(weights, str) and weights == "balanced"):
            return weights
        if isinstance(weights, str):
            raise ValueError(f"unknown class_weight {weights!r}; expected 'balanced', a dict {{label: weight}} or None")
        if not isinstance(weights, dict):
            raise TypeError(f"class_weight must be 'balanced', a dict {{label: weight}} or None, "
                            f"got {describe(weights)}")
        unknown = [label for label in weights if label not in set(self.classes_.tolist())]
        if unknown:
            raise ValueError(f"class_weight has labels {unknown!r} that are not classes (the classes are "
                             f"{self.classes_.tolist()!r})")
        return {int(np.flatnonzero(self.classes_ == label)[0]): w for label, w in weights.items()}

    def predict(self, X):
        """The label of the likeliest class for every row of ``X``."""
        X = self._X(X)
        return self.classes_[self.network_.predict(X)]

    def predict_proba(self, X):
        """Every class's probability (columns in the order of ``classes_``) for every row of ``X``."""
        X = self._X(X)
        return self.network_.predict_proba(X)

    def predict_log_proba(self, X):
        """The logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


class GlassRegressor(RegressorMixin, _GlassEstimator):
    __doc__ = f"""A regressor: a glassnet ``Network`` with a linear output trained on squared error.

    ``y`` may have several columns (one output each); ``predict`` returns a
    vector for one column, a matrix for several.

    Parameters
    ----------{_DOC_PARAMETERS}
    Attributes
    ----------{_DOC_ATTRIBUTES}
    Examples
    --------
    >>> X = np.linspace(-1, 1, 50).reshape(-1, 1)
    >>> reg = GlassRegressor(hidden_layer_sizes=(16,), learning_rate=0.01, random_state=0).fit(X, 3 * X[:, 0])
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _output, _loss = "linear", "squared_error"

    def fit(self, X, y, sample_weight=None):
        """Train a new network for ``epochs`` epochs on ``(X, y)``; returns ``self``."""
        return self._train(X, y, sample_weight, first=True, epochs=self.epochs)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on ``(X, y)``; the first call builds the network."""
        return self._train(X, y, sample_weight, first=not hasattr(self, "network_"), epochs=1)

    def _validation_options(self, y_given=False):
        return {**super()._validation_options(), **({"multi_output": True, "y_numeric": True} if y_given else {})}

    def _targets(self, y, sample_weight, first):
        if first:
            self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
        elif (1 if y.ndim == 1 else y.shape[1]) != self._n_outputs:
            raise ValueError(f"y has {1 if y.ndim == 1 else y.shape[1]} columns but the first fit had "
                             f"{self._n_outputs}")
        return y, None

    def predict(self, X):
        """The network's outputs for ``X``: shape ``(n_samples,)`` for one target, else ``(n_samples, n_targets)``."""
        X = self._X(X)
        return self.network_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
