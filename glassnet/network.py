"""The ``Network``: a stack of ``Dense`` layers, a loss, and the maths that connects them.

A forward pass runs the layers in order; a backward pass starts from the
loss's ``dZ`` of the output layer and runs the layers in reverse, each one
storing its ``dW``/``db`` and handing ``dX`` to the layer before it.
``train_step`` is one forward pass, backward pass and optimizer step.
Training over many epochs (``fit``) lives in ``glassnet.training``; model
files in ``glassnet.io``. ``config()`` describes the network as plain data
and ``Network.from_config`` rebuilds it.
"""

from __future__ import annotations

import numpy as np

from glassnet.checks import all_finite, class_labels, describe, finite_matrix, numeric_array, positive_number
from glassnet.inference import finite_output, output
from glassnet.layers import LAYERS, Dense
from glassnet.losses import check_sample_weight, get_loss, weighted_mean
from glassnet.metrics import classes, n_correct, regression_scores  # noqa: F401 (n_correct: its old home)
from glassnet.modelfile import save
from glassnet.optimizers import optimizer_or_lr
from glassnet.preprocessing import one_hot


class Network:
    """A feed-forward network of ``Dense`` layers trained by gradient descent.

    Parameters
    ----------
    layers : list of Dense
        Consecutive layers must fit: ``layers[i].n_out == layers[i+1].n_in``.
    loss : str
        ``"cross_entropy"``, ``"binary_cross_entropy"`` or ``"squared_error"``
        (see ``glassnet.losses`` for the conventions).
    seed : int, optional
        Drives everything random the network does: if given, every layer's
        weights are redrawn from ``numpy.random.default_rng(seed)`` (layers
        initialised from explicit arrays keep them) and the same generator
        shuffles the training data in ``fit``.

    Examples
    --------
    >>> net = Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax")], seed=0)
    >>> net.predict(np.ones((2, 4))).shape
    (2,)
    """

    def __init__(self, layers, loss="cross_entropy", seed=None):
        if isinstance(layers, Dense):
            layers = [layers]
        if not isinstance(layers, (list, tuple)) or not layers:
            raise ValueError(f"layers must be a non-empty list of Dense layers, got {describe(layers)}")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Dense):
                raise TypeError(f"layers[{i}] must be a Dense layer, got {describe(layer)}")
            # a layer keeps its own X, Z, A for backward, so one object cannot stand in two places
            first = next(j for j, other in enumerate(layers) if other is layer)
            if first < i:
                raise ValueError(f"layers[{i}] is the same Dense object as layers[{first}]; make a new Dense for each")
        for i, (a, b) in enumerate(zip(layers, layers[1:])):
            if a.n_out != b.n_in:
                raise ValueError(f"layers[{i}] has {a.n_out} outputs but layers[{i + 1}] expects {b.n_in} inputs")
        if layers[-1].activation.name == "softmax" and layers[-1].n_out == 1:
            raise ValueError(
                "a softmax output layer needs at least 2 nodes: over one node it is always 1 and cannot learn; "
                "use Dense(..., 1, 'sigmoid') with binary_cross_entropy for a yes/no output"
            )
        self.layers = list(layers)
        self.loss = get_loss(loss)
        out_act = self.layers[-1].activation.name
        if self.loss.activations is not None and out_act not in self.loss.activations:
            raise ValueError(
                f"loss {self.loss.name!r} needs an output activation in {list(self.loss.activations)}, "
                f"got {out_act!r}; use squared_error for other outputs"
            )
        self.seed = None if seed is None else positive_number("seed", seed, integer=True, allow_zero=True)
        # Fitted preprocessing (an object with ``transform(X)``, see glassnet.data)
        # applied by fit/predict/evaluate so they take raw data; forward() never applies it.
        self.preprocessing = None
        # Optional names of the output classes, saved with the model.
        self.class_names = None
        # Facts about the model as plain JSON data, saved with it (the CLI records
        # where the training data came from and how it was split).
        self.notes = {}
        # The History of the last fit (or the one a model file holds), saved with the model.
        self.history = None
        if seed is None:
            self.rng = np.random.default_rng()
        else:
            self.initialize(seed)

    def initialize(self, seed):
        """Redraw every layer's weights and restart the shuffling generator from ``seed``."""
        self.rng = np.random.default_rng(seed)
        for layer in self.layers:
            layer.initialize(self.rng)

    def cast(self, dtype):
        """Convert every layer's parameters to ``dtype`` (``fit`` trains in the dtype it is given)."""
        for layer in self.layers:
            layer.cast(dtype)

    # ----------------------------------------------------------------- shape
    @property
    def n_in(self) -> int:
        return self.layers[0].n_in

    @property
    def n_out(self) -> int:
        return self.layers[-1].n_out

    @property
    def is_regression(self) -> bool:
        """Whether the output layer is linear: ``predict`` then gives values and ``evaluate`` R², MAE, RMSE."""
        return self.layers[-1].activation.name == "linear"

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (float64 when built, float32 after a default ``fit``)."""
        return self.layers[0].W.dtype

    def parameters(self):
        """All trainable arrays, layer by layer: ``[W1, b1, W2, b2, ...]``."""
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self):
        """The gradients of the last ``backward``, in the order of ``parameters()``."""
        return [g for layer in self.layers for g in layer.gradients()]

    # ------------------------------------------------------- input checking
    def check_X(self, X, name="X", dtype=None, *, finite=True):
        """``X`` as a finite matrix with ``n_in`` columns, or a clear error.

        The matrix has the parameters' dtype unless ``dtype`` is given. An
        array that already has the right dtype and shape is returned as it is
        (not copied) once it is known to be finite. ``finite=False`` returns
        such an array unchecked, for a caller that checks it itself
        (``glassnet.inference.output`` does, more cheaply, with the same error).
        """
        first = self.layers[0]
        dtype = first.W.dtype if dtype is None else dtype
        ready = type(X) is np.ndarray and X.dtype == dtype and X.ndim == 2 and X.shape[1] == first.n_in
        if ready and X.shape[0] and (not finite or all_finite(X)):
            return X
        return finite_matrix(name, X, dtype=dtype, n_cols=first.n_in)

    def prepare_X(self, X, name="X", dtype=None, feature_names=None, *, finite=True):
        """Check raw ``X`` and apply the network's fitted ``preprocessing`` (if any).

        A preprocessing that starts with ``glassnet.tables.Columns`` takes
        ``X`` as it comes (a table matched by column name: a DataFrame, a
        dict, a ``Frame``, or an array with ``feature_names``; a plain
        array by position).
        """
        prep = self.preprocessing
        if getattr(prep, "takes_tables", False):
            return self.check_X(prep.transform(X, feature_names=feature_names), name, dtype, finite=finite)
        if feature_names is not None:
            raise ValueError("feature_names was given but this network takes no named columns (it was not "
                             "trained on a table with names); give X alone, columns in the training order")
        if prep is None:
            return self.check_X(X, name, dtype, finite=finite)
        return self.check_X(prep.transform(finite_matrix(name, X)), name, dtype, finite=finite)

    def targets(self, y, n_samples, name="y"):
        """Turn labels or a target matrix into a float64 target matrix ``Y``.

        ``y`` may be integer class labels (shape ``(N,)``), which become one-hot
        rows (or a 0/1 column for a one-output network), or a matrix of shape
        ``(N, n_out)`` such as one-hot rows or Rashid's 0.01/0.99 targets.
        """
        arr = numeric_array(name, y, "numeric labels or a target matrix")  # complex refused: casts drop the imaginary
        if arr.ndim == 2 and arr.shape[1] == 1 and self.n_out > 1:
            arr = arr[:, 0]
        if arr.ndim == 0 or arr.ndim > 2:
            raise ValueError(f"{name} must be 1-D labels or a 2-D target matrix, got shape {arr.shape}")
        if arr.shape[0] != n_samples:
            raise ValueError(f"{name} has {arr.shape[0]} rows but X has {n_samples} samples; they must match")
        if arr.ndim == 2 or self.n_out == 1:
            Y = finite_matrix(name, arr.reshape(n_samples, -1))
            if Y.shape[1] != self.n_out:
                raise ValueError(
                    f"{name} has {Y.shape[1]} columns but the network has {self.n_out} outputs "
                    f"(got shape {Y.shape}, expected ({n_samples}, {self.n_out}) or labels of shape ({n_samples},))"
                )
            self.loss.check_targets(Y, self.layers[-1].activation, name)
            return Y
        return one_hot(class_labels(name, arr, self.n_out), self.n_out)

    # ---------------------------------------------------------- the maths
    def forward(self, X, *, check=True):
        """Run ``X`` through every layer (each keeps its ``X, Z, A``); return the output ``Yhat``.

        ``check=False`` skips ``check_X``: for a matrix that has passed it
        already, such as the batches of a training loop.
        """
        A = self.check_X(X) if check else X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, y, *, check=True, sample_weight=None):
        """Back-propagate the loss of the last ``forward`` against targets ``y``.

        Fills each layer's ``dZ``, ``dW`` and ``db``; returns ``dX``, the gradient
        with respect to the network's input. Calling it twice gives the same
        gradients (they are overwritten, not added up). ``check=False`` takes
        ``y`` as a target matrix that ``targets`` has returned already (and
        ``sample_weight``, if given, as checked weights). With ``sample_weight``
        the loss is the weighted mean ``sum w L / sum w`` (``glassnet.losses``).
        """
        out = self.layers[-1]
        if out.A is None:
            raise RuntimeError("backward() needs a forward() first")
        Y = self.targets(y, out.A.shape[0]) if check else y
        w = sample_weight
        if check and w is not None:
            w = check_sample_weight("sample_weight", w, out.A.shape[0])
        if self.loss.fused_with == out.activation.name:
            # softmax + cross_entropy, sigmoid + binary_cross_entropy: dZ = (Yhat - Y) / N
            dX = out.backward(dZ=self.loss.output_delta(out.A, Y, out.activation, sample_weight=w))
        else:
            dX = out.backward(dA=self.loss.gradient(out.A, Y, sample_weight=w))
        for layer in reversed(self.layers[:-1]):
            dX = layer.backward(dA=dX)
        return dX

    def train_step(self, X, y, optimizer, sample_weight=None):
        """One forward pass, backward pass and update on ``(X, y)``; returns the loss before the update."""
        optimizer = optimizer_or_lr(optimizer, None)
        X = self.check_X(X)
        Y = self.targets(y, X.shape[0]).astype(X.dtype, copy=False)
        w = None if sample_weight is None else check_sample_weight("sample_weight", sample_weight, X.shape[0])
        self.forward(X, check=False)
        loss = self.loss.output_value(self.layers[-1], Y, w)  # from the logits where that is exact, as in fit
        self.backward(Y, check=False, sample_weight=w)
        optimizer.step(self.parameters(), self.gradients())
        return loss

    def fit(
        self, X, y, epochs=10, batch_size=None, optimizer=None, lr=None, shuffle=True, validation_data=None,
        callbacks=(), *, validation_split=0.0, early_stopping=None, monitor="val_loss", restarts=1, schedule=None,
        dtype=np.float32, fast=True, sample_weight=None, class_weight=None, feature_names=None, checkpoint=None,
        checkpoint_every=1,
    ):
        """Train on ``(X, y)`` and return a ``History``; ``glassnet.training.fit`` describes every argument.

        For example ``net.fit(X, y, epochs=30, batch_size=16, lr=0.1, validation_split=0.1, early_stopping=5)``.
        """
        from glassnet.training import fit

        return fit(
            self, X, y, epochs, batch_size, optimizer, lr, shuffle, validation_data, callbacks,
            validation_split=validation_split, early_stopping=early_stopping, monitor=monitor, restarts=restarts,
            schedule=schedule, dtype=dtype, fast=fast, sample_weight=sample_weight, class_weight=class_weight,
            feature_names=feature_names, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
        )

    # ---------------------------------------------------------- prediction
    def predict_proba(self, X, feature_names=None):
        """The network's output for raw ``X`` (class probabilities for a softmax/sigmoid output).

        The numbers of ``forward``, computed by ``glassnet.inference.output``,
        which stores nothing in the layers and works in place.
        """
        X = self.prepare_X(X, feature_names=feature_names, finite=False)  # output checks X's finiteness
        return output(self.layers, X).reshape(X.shape[0], -1)

    def predict(self, X, feature_names=None):
        """Class indices: the argmax of each output row (``Yhat >= 0.5`` for one output).

        A regression network (``is_regression``) predicts its output values
        instead: shape ``(N,)`` for one output, ``(N, n_out)`` for several.
        Prediction stores nothing in the layers (their ``X, Z, A`` stay as the
        last ``forward`` left them) and skips what the classes do not need:
        a softmax output layer is not computed, because softmax keeps the
        order of the entries of each row, so the argmax of its ``Z`` is the
        argmax of ``Yhat`` (``glassnet.inference`` says how else it is fast).
        """
        X = self.prepare_X(X, feature_names=feature_names, finite=False)  # output checks X's finiteness
        n_out = self.n_out
        Yhat = output(self.layers, X, for_classes=True)  # a softmax output layer's Z
        if self.is_regression:
            return Yhat.reshape(-1) if n_out == 1 else Yhat.reshape(-1, n_out)
        if self.layers[-1].activation.name == "softmax":
            return Yhat.argmax(axis=-1).reshape(-1)
        return classes(Yhat.reshape(-1, n_out))

    def evaluate(self, X, y, sample_weight=None, feature_names=None) -> dict:
        """``{"loss", "accuracy", "n_samples"}`` of the network on raw ``(X, y)``.

        A regression network (``is_regression``) reports ``{"loss", "r2",
        "mae", "rmse", "n_samples"}`` instead (``glassnet.metrics.regression_scores``).
        With ``sample_weight`` all are weighted: the loss is ``sum w L / sum w``
        (``glassnet.losses``), the accuracy the weighted share of right answers.
        """
        X = self.prepare_X(X, feature_names=feature_names)
        Y = self.targets(y, X.shape[0])
        w = None if sample_weight is None else check_sample_weight("sample_weight", sample_weight, X.shape[0])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            Yhat = finite_output(self.forward(X, check=False), X)
            scores = regression_scores(Y, Yhat, w, check=False) if self.is_regression else \
                {"accuracy": weighted_mean(classes(Yhat) == classes(Y), w)}
            return {"loss": self.loss.output_value(self.layers[-1], Y, w), **scores, "n_samples": int(X.shape[0])}

    def save(self, path, history=None):
        """Write the network to a safetensors model file: ``glassnet.io.save(self, path, history)``."""
        save(self, path, history=history)

    # ------------------------------------------------------------ describe
    def n_parameters(self) -> int:
        return sum(layer.n_parameters() for layer in self.layers)

    def config(self) -> dict:
        """The network as plain data: its layers' configs, the loss and the seed (weights are stored separately)."""
        return {"layers": [layer.config() for layer in self.layers], "loss": self.loss.name, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        """A new, untrained network as ``config`` describes it (the inverse of ``config()``).

        Its layers start from their recorded initializers, drawn from the
        recorded seed as ``Network(layers, seed=...)`` draws them, so a network
        rebuilt from its config restarts exactly like the original.
        """
        if not isinstance(config, dict):
            raise TypeError(f"network config must be a dict, got {describe(config)}")
        unknown = sorted(set(config) - {"layers", "loss", "seed"})
        if unknown or "layers" not in config:
            raise ValueError(f"network config needs 'layers' and may have 'loss' and 'seed', got keys {sorted(config)}")
        layers = config["layers"]
        if not isinstance(layers, list) or not layers:
            raise ValueError(f"network config 'layers' must be a non-empty list, got {describe(layers)}")
        built = []
        for i, layer in enumerate(layers):
            try:
                built.append(LAYERS.build(layer))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"layer {i}: {exc}") from exc
        return cls(built, config.get("loss", "cross_entropy"), config.get("seed"))

    def summary(self) -> str:
        """A table of the layers, their shapes and parameter counts."""
        rows = [("layer", "W shape", "activation", "parameters")]
        for i, layer in enumerate(self.layers, 1):
            shape = f"({layer.n_in}, {layer.n_out})"
            rows.append((f"{i} Dense", shape, layer.activation.name, f"{layer.n_parameters():,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"loss: {self.loss.name}; total parameters: {self.n_parameters():,}")
        return "\n".join(lines)

    def _repr_html_(self):  # Jupyter: summary() as a table (glassnet.report)
        from glassnet.report import network_html
        return network_html(self)

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Network([\n  {inner}\n], loss={self.loss.name!r})"
