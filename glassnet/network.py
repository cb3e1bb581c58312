"""The ``Network``: a stack of layers, a loss, and the training loop.

A forward pass runs the layers in order; a backward pass starts from the
loss's ``dZ`` of the output layer and runs the layers in reverse, each one
storing its ``dW``/``db`` and handing ``dX`` to the layer before it. ``fit``
repeats forward, backward and an optimizer step over (mini)batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassnet._checks import describe, finite_matrix, positive_number
from glassnet.layers import Dense
from glassnet.losses import get_loss
from glassnet.optimizers import SGD


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch.

    ``loss`` and ``accuracy`` are reported as Keras reports them: the mean over
    the epoch's samples of the loss (accuracy) each batch had in its own forward
    pass, before its update. ``val_loss``/``val_accuracy`` are measured on the
    validation data after the epoch's last update.
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def as_dict(self) -> dict:
        return {k: list(v) for k, v in vars(self).items() if v}

    def __repr__(self):
        last = {k: round(v[-1], 5) for k, v in self.as_dict().items()}
        return f"History(epochs={self.epochs}, last={last})"


def n_correct(Yhat, Y) -> int:
    """Number of rows whose predicted class matches the target's class."""
    if Yhat.shape[1] == 1:
        return int(((Yhat[:, 0] >= 0.5) == (Y[:, 0] >= 0.5)).sum())
    return int((Yhat.argmax(axis=1) == Y.argmax(axis=1)).sum())


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
        for i, (a, b) in enumerate(zip(layers, layers[1:])):
            if a.n_out != b.n_in:
                raise ValueError(
                    f"layers[{i}] has {a.n_out} outputs but layers[{i + 1}] expects {b.n_in} inputs"
                )
        self.layers = list(layers)
        self.loss = get_loss(loss)
        out_act = self.layers[-1].activation.name
        if self.loss.activations is not None and out_act not in self.loss.activations:
            raise ValueError(
                f"loss {self.loss.name!r} needs an output activation in {list(self.loss.activations)}, "
                f"got {out_act!r}; use squared_error for other outputs"
            )
        if seed is not None:
            positive_number("seed", seed, integer=True, allow_zero=True)
        self.seed = seed
        # Fitted preprocessing (an object with ``transform(X)``, see glassnet.data)
        # applied by fit/predict/evaluate so they take raw data; forward() never applies it.
        self.preprocessing = None
        # Optional names of the output classes, saved with the model.
        self.class_names = None
        self.rng = np.random.default_rng(seed)
        if seed is not None:
            for layer in self.layers:
                layer.initialize(self.rng)

    # ----------------------------------------------------------------- shape
    @property
    def n_in(self) -> int:
        return self.layers[0].n_in

    @property
    def n_out(self) -> int:
        return self.layers[-1].n_out

    def parameters(self):
        """All trainable arrays, layer by layer: ``[W1, b1, W2, b2, ...]``."""
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self):
        """The gradients of the last ``backward``, in the order of ``parameters()``."""
        return [g for layer in self.layers for g in layer.gradients()]

    # ------------------------------------------------------- input checking
    def check_X(self, X, name="X"):
        """``X`` as a finite float64 matrix with ``n_in`` columns, or a clear error."""
        return finite_matrix(name, X, n_cols=self.n_in)

    def prepare_X(self, X, name="X"):
        """Check raw ``X`` and apply the network's fitted ``preprocessing`` (if any)."""
        if self.preprocessing is None:
            return self.check_X(X, name)
        return self.check_X(self.preprocessing.transform(finite_matrix(name, X)), name)

    def targets(self, y, n_samples, name="y"):
        """Turn labels or a target matrix into a float64 target matrix ``Y``.

        ``y`` may be integer class labels (shape ``(N,)``), which become one-hot
        rows (or a 0/1 column for a one-output network), or a matrix of shape
        ``(N, n_out)`` such as one-hot rows or Rashid's 0.01/0.99 targets.
        """
        arr = np.asarray(y)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} must be numeric labels or a target matrix, got {describe(y)}")
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
            return Y
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer class labels 0..{self.n_out - 1}, got non-integer values")
        labels = arr.astype(np.int64)
        if labels.min() < 0 or labels.max() >= self.n_out:
            bad = labels[(labels < 0) | (labels >= self.n_out)][0]
            raise ValueError(
                f"{name} contains label {bad} but the network has {self.n_out} outputs "
                f"(labels must be 0..{self.n_out - 1})"
            )
        Y = np.zeros((n_samples, self.n_out))
        Y[np.arange(n_samples), labels] = 1.0
        return Y

    # ---------------------------------------------------------- the maths
    def forward(self, X):
        """Run ``X`` through every layer; return the output ``Yhat``."""
        return self._forward(self.check_X(X))

    def _forward(self, A):
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, y):
        """Back-propagate the loss of the last ``forward`` against targets ``y``.

        Fills each layer's ``dZ``, ``dW`` and ``db``; returns ``dX``, the gradient
        with respect to the network's input. Calling it twice gives the same
        gradients (they are overwritten, not added up).
        """
        out = self.layers[-1]
        if out.A is None:
            raise RuntimeError("backward() needs a forward() first")
        return self._backward(self.targets(y, out.A.shape[0]))

    def _backward(self, Y):
        out = self.layers[-1]
        if self.loss.fused_with == out.activation.name:
            # softmax + cross_entropy, sigmoid + binary_cross_entropy: dZ = (Yhat - Y) / N
            dX = out.backward(dZ=self.loss.output_delta(out.A, Y, out.activation))
        else:
            dX = out.backward(dA=self.loss.gradient(out.A, Y))
        for layer in reversed(self.layers[:-1]):
            dX = layer.backward(dA=dX)
        return dX

    def train_step(self, X, y, optimizer):
        """One forward pass, backward pass and update on ``(X, y)``; returns the loss before the update."""
        X = self.check_X(X)
        Y = self.targets(y, X.shape[0])
        loss = self.loss.value(self._forward(X), Y)
        self._backward(Y)
        optimizer.step(self.parameters(), self.gradients())
        return loss

    # ------------------------------------------------------------ training
    def fit(
        self, X, y, epochs=10, batch_size=None, optimizer=None, lr=None, shuffle=True, validation_data=None,
        callbacks=(),
    ):
        """Train with (mini)batch gradient descent and return a ``History``.

        Parameters
        ----------
        X : array of shape (N, n_in)
        y : labels of shape (N,) or targets of shape (N, n_out)
        epochs : int
            Passes over the training data.
        batch_size : int or None
            ``None`` is full-batch gradient descent; ``1`` updates after every sample.
        optimizer : optimizer object, optional
            Defaults to ``SGD(lr)``; give either ``optimizer`` or ``lr``, not both.
        lr : float, optional
            Learning rate of the default SGD (0.1 when neither is given).
        shuffle : bool
            Reshuffle the samples every epoch with the network's generator.
        validation_data : (X_val, y_val), optional
            Measured after every epoch into ``val_loss``/``val_accuracy``.
        callbacks : sequence of callables
            Each is called as ``callback(epoch, history)`` after every epoch
            (``epoch`` counts from 1); progress bars and plots hook in here.
        """
        X = self.prepare_X(X)
        Y = self.targets(y, X.shape[0])
        epochs = positive_number("epochs", epochs, integer=True)
        n = X.shape[0]
        if batch_size is None:
            batch_size = n
        batch_size = positive_number("batch_size", batch_size, integer=True)
        if optimizer is not None and lr is not None:
            raise ValueError("give either optimizer or lr, not both")
        if optimizer is None:
            optimizer = SGD(0.1 if lr is None else lr)
        elif not callable(getattr(optimizer, "step", None)):
            raise TypeError(f"optimizer must have a step(params, grads) method, got {describe(optimizer)}")
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError(f"validation_data must be a pair (X_val, y_val), got {describe(validation_data)}")
            Xv = self.prepare_X(validation_data[0], "validation_data X")
            val = (Xv, self.targets(validation_data[1], Xv.shape[0], "validation_data y"))

        for cb in callbacks:
            if not callable(cb):
                raise TypeError(f"callbacks must be callables, got {describe(cb)}")
        history = History()
        for epoch in range(1, epochs + 1):
            order = self.rng.permutation(n) if shuffle else np.arange(n)
            total_loss, correct = 0.0, 0
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                Xb, Yb = X[idx], Y[idx]
                Yhat = self._forward(Xb)
                total_loss += self.loss.value(Yhat, Yb) * len(idx)
                correct += n_correct(Yhat, Yb)
                self._backward(Yb)
                optimizer.step(self.parameters(), self.gradients())
            history.loss.append(total_loss / n)
            history.accuracy.append(correct / n)
            if val is not None:
                Yhat = self._forward(val[0])
                history.val_loss.append(self.loss.value(Yhat, val[1]))
                history.val_accuracy.append(n_correct(Yhat, val[1]) / len(Yhat))
            for cb in callbacks:
                cb(epoch, history)
        return history

    # ---------------------------------------------------------- prediction
    def predict_proba(self, X):
        """The network's output for raw ``X`` (class probabilities for a softmax/sigmoid output)."""
        return self._forward(self.prepare_X(X))

    def predict(self, X):
        """Class indices: the argmax of each output row (``Yhat >= 0.5`` for one output)."""
        Yhat = self.predict_proba(X)
        if Yhat.shape[1] == 1:
            return (Yhat[:, 0] >= 0.5).astype(np.int64)
        return Yhat.argmax(axis=1)

    def evaluate(self, X, y) -> dict:
        """``{"loss", "accuracy", "n_samples"}`` of the network on raw ``(X, y)``."""
        X = self.prepare_X(X)
        Y = self.targets(y, X.shape[0])
        Yhat = self._forward(X)
        return {
            "loss": self.loss.value(Yhat, Y),
            "accuracy": n_correct(Yhat, Y) / X.shape[0],
            "n_samples": int(X.shape[0]),
        }

    def save(self, path, history=None):
        """Write the network to a safetensors file (see ``glassnet.io.save``)."""
        from glassnet.io import save

        save(self, path, history=history)

    # ------------------------------------------------------------ describe
    def n_parameters(self) -> int:
        return sum(layer.n_parameters() for layer in self.layers)

    def config(self) -> dict:
        """The network's structure as plain data (weights are stored separately)."""
        return {"layers": [layer.config() for layer in self.layers], "loss": self.loss.name}

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

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Network([\n  {inner}\n], loss={self.loss.name!r})"
