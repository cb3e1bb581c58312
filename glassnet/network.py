"""The ``Network``: a stack of layers, a loss, and the training loop.

A forward pass runs the layers in order; a backward pass starts from the
loss's ``dZ`` of the output layer and runs the layers in reverse, each one
storing its ``dW``/``db`` and handing ``dX`` to the layer before it. ``fit``
repeats forward, backward and an optimizer step over (mini)batches: by default
in ``glassnet.fastpath`` (reused buffers, float32), or with ``fast=False`` in
the readable loop ``_reference_epoch`` built from exactly those three calls.
Around the loop, ``fit`` handles validation data, learning-rate schedules,
early stopping and restarts from several starting points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glassnet import _blas
from glassnet.callbacks import MONITORS, EarlyStopping, StopTraining, is_better
from glassnet.checks import choice, describe, finite_matrix, positive_number
from glassnet.fastpath import FastTrainer
from glassnet.history import History, mean_batch_loss
from glassnet.layers import Dense
from glassnet.losses import get_loss
from glassnet.optimizers import SGD
from glassnet.schedules import get_schedule


@dataclass
class _Plan:
    """``fit``'s validated arguments: everything one training run needs."""

    X: np.ndarray
    Y: np.ndarray
    val: tuple | None
    epochs: int
    batch_size: int
    optimizer: object
    shuffle: bool
    schedule: object
    patience: int | None
    monitor: str
    callbacks: list
    fast: bool


def _float_dtype(dtype) -> np.dtype:
    if dtype is None or isinstance(dtype, bool):
        raise TypeError(f"dtype must be float32 or float64, got {describe(dtype)}")
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {describe(dtype)}") from exc
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dt.name}")
    return dt


def _all_finite(X) -> bool:
    """Whether every entry of the float array ``X`` is finite (False may also mean "look closer")."""
    if X.size < 100_000:
        # count_nonzero of a boolean array is a plain byte count, faster than .all()'s reduction
        return np.count_nonzero(np.isfinite(X)) == X.size
    # For a large X, x . x is one multi-threaded BLAS call (about twice as fast as isfinite),
    # finite only if every entry is: an inf or a NaN makes it inf or NaN. A finite X whose
    # x . x overflows gets False here and is then accepted by the full check.
    flat = X.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        return math.isfinite(flat @ flat)


def _flag(name, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def _optimizer(optimizer, lr):
    if optimizer is not None and lr is not None:
        raise ValueError("give either optimizer or lr, not both")
    if optimizer is None:
        return SGD(0.1 if lr is None else lr)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step(params, grads) method, got {describe(optimizer)}")
    return optimizer


def _callables(callbacks) -> list:
    if callable(callbacks) or not isinstance(callbacks, (list, tuple, type(None))):
        raise TypeError(f"callbacks must be a list of callables, got {describe(callbacks)}")
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {describe(cb)}")
    return callbacks


def classes(Yhat) -> np.ndarray:
    """The class of every row: its argmax, or ``Yhat >= 0.5`` for a single column."""
    if Yhat.shape[1] == 1:
        return (Yhat[:, 0] >= 0.5).astype(np.int64)
    return Yhat.argmax(axis=1)


def n_correct(Yhat, Y) -> int:
    """Number of rows whose predicted class matches the target's class."""
    return int((classes(Yhat) == classes(Y)).sum())


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
        if seed is not None:
            positive_number("seed", seed, integer=True, allow_zero=True)
        self.seed = seed
        # Fitted preprocessing (an object with ``transform(X)``, see glassnet.data)
        # applied by fit/predict/evaluate so they take raw data; forward() never applies it.
        self.preprocessing = None
        # Optional names of the output classes, saved with the model.
        self.class_names = None
        # Facts about the model as plain JSON data, saved with it (the CLI records
        # where the training data came from and how it was split).
        self.notes = {}
        if seed is None:
            self.rng = np.random.default_rng()
        else:
            self._draw(seed)

    def _draw(self, seed):
        """Redraw every layer's weights and restart the shuffling generator from ``seed``."""
        self.rng = np.random.default_rng(seed)
        for layer in self.layers:
            layer.initialize(self.rng)

    # ----------------------------------------------------------------- shape
    @property
    def n_in(self) -> int:
        return self.layers[0].n_in

    @property
    def n_out(self) -> int:
        return self.layers[-1].n_out

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
    def check_X(self, X, name="X", dtype=None):
        """``X`` as a finite matrix with ``n_in`` columns, or a clear error.

        The matrix has the parameters' dtype unless ``dtype`` is given. An
        array that already has the right dtype and shape is returned as it is
        (not copied) once it is known to be finite.
        """
        first = self.layers[0]
        dtype = first.W.dtype if dtype is None else dtype
        ready = type(X) is np.ndarray and X.dtype == dtype and X.ndim == 2 and X.shape[1] == first.n_in
        if ready and X.shape[0] and _all_finite(X):
            return X
        return finite_matrix(name, X, dtype=dtype, n_cols=first.n_in)

    def prepare_X(self, X, name="X", dtype=None):
        """Check raw ``X`` and apply the network's fitted ``preprocessing`` (if any)."""
        if self.preprocessing is None:
            return self.check_X(X, name, dtype)
        return self.check_X(self.preprocessing.transform(finite_matrix(name, X)), name, dtype)

    def targets(self, y, n_samples, name="y"):
        """Turn labels or a target matrix into a float64 target matrix ``Y``.

        ``y`` may be integer class labels (shape ``(N,)``), which become one-hot
        rows (or a 0/1 column for a one-output network), or a matrix of shape
        ``(N, n_out)`` such as one-hot rows or Rashid's 0.01/0.99 targets.
        """
        arr = np.asarray(y)
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating) or arr.dtype == bool):
            # complex numbers included: casting them would silently drop the imaginary part
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
            self.loss.check_targets(Y, self.layers[-1].activation, name)
            return Y
        not_integer = ~np.isfinite(arr) | (arr != np.round(arr))
        if not_integer.any():
            i = int(np.flatnonzero(not_integer)[0])
            raise ValueError(
                f"{name} must hold integer class labels 0..{self.n_out - 1}, got {arr[i].item()!r} at position {i}"
            )
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
        optimizer = _optimizer(optimizer, None)
        X = self.check_X(X)
        Y = self.targets(y, X.shape[0]).astype(X.dtype, copy=False)
        loss = self.loss.value(self._forward(X), Y)
        self._backward(Y)
        optimizer.step(self.parameters(), self.gradients())
        return loss

    # ------------------------------------------------------------ training
    def fit(
        self, X, y, epochs=10, batch_size=None, optimizer=None, lr=None, shuffle=True, validation_data=None,
        callbacks=(), *, validation_split=0.0, early_stopping=None, monitor="val_loss", restarts=1, schedule=None,
        dtype=np.float32, fast=True,
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
            Anything with ``step(params, grads)``, such as ``SGD`` or ``Adam``.
            Defaults to ``SGD(lr)``; give either ``optimizer`` or ``lr``, not both.
        lr : float, optional
            Learning rate of the default SGD (0.1 when neither is given).
        shuffle : bool
            Reshuffle the samples every epoch with the network's generator
            (seeded by ``Network(..., seed=...)``).
        validation_data : (X_val, y_val), optional
            Measured after every epoch into ``val_loss``/``val_accuracy``.
        callbacks : sequence of callables
            Each is called as ``callback(epoch, history)`` after every epoch
            (``epoch`` counts from 1); progress bars and plots hook in here. A
            callback ends training by raising ``glassnet.callbacks.StopTraining``;
            what it returns is ignored.
        validation_split : float in [0, 1)
            Hold out this fraction of ``(X, y)`` as validation data instead of
            giving ``validation_data``. The held-out samples are drawn at random
            with the network's generator (so a seeded network holds out the same
            ones every time); both parts keep the samples' original order.
        early_stopping : int, optional
            Patience: stop once the ``monitor`` metric has not improved for this
            many epochs in a row, then restore the weights of its best epoch
            (``history.best_epoch``). Needs validation data.
        monitor : str
            ``"val_loss"`` (lower is better) or ``"val_accuracy"`` (higher is
            better): what early stopping and restarts compare.
        restarts : int
            Train this many times from different starting weights and keep the
            run whose ``monitor`` metric is best (the best epoch's with early
            stopping, else the last epoch's), so that one unlucky start does
            not leave the network in a poor valley. With ``restarts > 1`` every
            run, the first included, redraws all weights and restarts the
            shuffling from its own seed, derived from the network's ``seed``
            (see ``History.restart_seeds``), and calls ``optimizer.reset()``.
            Needs validation data. ``restarts=1`` continues from the current weights.
        schedule : Schedule, str or dict, optional
            A learning-rate schedule (see ``glassnet.schedules``): at the start of
            every epoch ``optimizer.lr`` is set to ``schedule(epoch, lr0)``, with
            ``lr0`` its value when ``fit`` was called, and recorded in
            ``history.lr``; ``lr0`` is put back when ``fit`` returns.
        dtype : float32 or float64
            The parameters are cast to it when training starts and stay in it.
            float32 (the default) is about twice as fast; float64 is the exact
            path the tutorials, traces and gradient checks use.
        fast : bool
            ``True`` trains with ``glassnet.fastpath.FastTrainer`` (preallocated
            buffers, in-place updates); ``False`` runs the readable loop of
            ``Dense.forward``/``Dense.backward``/``optimizer.step`` per batch,
            which leaves each layer's ``X, Z, A, dZ, dW, db`` of the last batch
            in place. Both give the same weights up to rounding.
        """
        dtype = _float_dtype(dtype)
        epochs = positive_number("epochs", epochs, integer=True)
        if batch_size is not None:
            batch_size = positive_number("batch_size", batch_size, integer=True)
        optimizer = _optimizer(optimizer, lr)
        schedule = None if schedule is None else get_schedule(schedule)
        monitor = choice("monitor", monitor, MONITORS)
        patience = None if early_stopping is None else EarlyStopping(early_stopping, monitor).patience
        restarts = positive_number("restarts", restarts, integer=True)
        split = positive_number("validation_split", validation_split, allow_zero=True)
        if split >= 1:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
        if validation_data is not None and split:
            raise ValueError("give either validation_data or validation_split, not both")
        for what, wanted in (("early_stopping", patience is not None), (f"restarts={restarts}", restarts > 1)):
            if wanted and validation_data is None and not split:
                raise ValueError(
                    f"{what} needs validation data: give validation_data=(X_val, y_val) or validation_split"
                )
        for what, wanted, attr in (("schedule", schedule is not None, "lr"), ("restarts > 1", restarts > 1, "reset")):
            if wanted and not hasattr(optimizer, attr):
                raise TypeError(f"{what} needs an optimizer with a {attr!r} attribute, got {describe(optimizer)}")
        shuffle, fast, callbacks = _flag("shuffle", shuffle), _flag("fast", fast), _callables(callbacks)
        if fast:
            _blas.load()  # a bad GLASSNET_BLAS is refused here, before the parameters are cast or trained

        X = self.prepare_X(X, dtype=dtype)
        Y = self.targets(y, X.shape[0]).astype(dtype, copy=False)
        X, Y, val = self._validation(X, Y, validation_data, split, dtype)
        plan = _Plan(
            X=X, Y=Y, val=val, epochs=epochs, batch_size=batch_size or X.shape[0], optimizer=optimizer,
            shuffle=shuffle, schedule=schedule, patience=patience, monitor=monitor, callbacks=callbacks, fast=fast,
        )
        lr0 = getattr(optimizer, "lr", None)
        try:
            if restarts == 1:
                self._cast(dtype)
                return self._run(plan, lr0)[0]
            return self._best_of(restarts, plan, lr0, dtype)
        finally:
            if schedule is not None:
                optimizer.lr = lr0

    def _validation(self, X, Y, validation_data, split, dtype):
        """Return ``(X, Y, (X_val, Y_val) or None)``: given validation data, or ``split`` of ``(X, Y)`` held out."""
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError(f"validation_data must be a pair (X_val, y_val), got {describe(validation_data)}")
            Xv = self.prepare_X(validation_data[0], "validation_data X", dtype)
            return X, Y, (Xv, self.targets(validation_data[1], Xv.shape[0], "validation_data y").astype(dtype))
        if not split:
            return X, Y, None
        n = X.shape[0]
        n_val = round(n * split)
        if not 0 < n_val < n:
            raise ValueError(
                f"validation_split={split!r} of {n} samples leaves {n_val} for validation and "
                f"{n - n_val} for training; each needs at least one"
            )
        held_out = np.zeros(n, dtype=bool)
        held_out[self.rng.permutation(n)[:n_val]] = True
        return X[~held_out], Y[~held_out], (X[held_out], Y[held_out])

    def _cast(self, dtype):
        for layer in self.layers:
            layer.cast(dtype)

    def _run(self, plan, lr0, restart=None):
        """One training run of ``plan.epochs`` epochs; returns ``(history, stopped_by_callback)``."""
        X, Y, val, optimizer = plan.X, plan.Y, plan.val, plan.optimizer
        history = History(restart=restart)
        stopper = None if plan.patience is None else EarlyStopping(plan.patience, plan.monitor)
        trainer = FastTrainer(self, optimizer, plan.batch_size) if plan.fast else None
        target_classes = classes(Y)  # once per run, not once per epoch
        n = X.shape[0]
        stop_requested = False
        for epoch in range(1, plan.epochs + 1):
            if plan.schedule is not None:
                optimizer.lr = plan.schedule(epoch, lr0)
                history.lr.append(optimizer.lr)
            order = self.rng.permutation(n) if plan.shuffle else None
            if trainer is None:
                loss, accuracy = self._reference_epoch(X, Y, order, plan.batch_size, optimizer)
            else:
                Yhat, Y_epoch = trainer.epoch(X, Y, order)
                hits = classes(Yhat) == (target_classes if order is None else target_classes[order])
                loss = mean_batch_loss(self.loss.per_sample(Yhat, Y_epoch), plan.batch_size)
                accuracy = int(hits.sum()) / n
            history.loss.append(loss)
            history.accuracy.append(accuracy)
            if val is not None:
                Yhat = self._forward(val[0])
                history.val_loss.append(self.loss.value(Yhat, val[1]))
                history.val_accuracy.append(n_correct(Yhat, val[1]) / len(Yhat))
            patience_over = stopper is not None and stopper.update(epoch, history, self.parameters())
            if stopper is not None:
                history.best_epoch = stopper.best_epoch
            for cb in plan.callbacks:
                try:
                    cb(epoch, history)
                except StopTraining:
                    stop_requested = True
            if patience_over or stop_requested:
                break
        if stopper is not None:
            stopper.restore(self.parameters())
        return history, stop_requested

    def _reference_epoch(self, X, Y, order, batch_size, optimizer):
        """The readable loop: forward, loss, backward and an optimizer step per batch."""
        n = X.shape[0]
        order = np.arange(n) if order is None else order
        batch_losses, correct = [], 0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            Xb, Yb = X[idx], Y[idx]
            Yhat = self._forward(Xb)
            batch_losses.append(self.loss.value(Yhat, Yb))
            correct += n_correct(Yhat, Yb)
            self._backward(Yb)
            optimizer.step(self.parameters(), self.gradients())
        return float(np.mean(batch_losses)), correct / n

    def _best_of(self, restarts, plan, lr0, dtype):
        """Train ``restarts`` runs from derived seeds; keep the weights and history of the best."""
        seeds = [int(s) for s in np.random.SeedSequence(self.seed).generate_state(restarts)]
        scores, best = [], None  # best: (score, history, copies of the parameters)
        for k, seed in enumerate(seeds):
            self._draw(seed)
            self._cast(dtype)
            plan.optimizer.reset()
            history, stopped = self._run(plan, lr0, restart=k)
            metric = getattr(history, plan.monitor)
            score = metric[history.best_epoch - 1] if history.best_epoch else metric[-1]
            scores.append(score)
            if best is None or is_better(plan.monitor, score, best[0]):
                best = (score, history, [p.copy() for p in self.parameters()])
            if stopped:
                break
        _, history, params = best
        for p, value in zip(self.parameters(), params):
            p[...] = value
        history.restart_scores, history.restart_seeds = scores, seeds[: len(scores)]
        return history

    # ---------------------------------------------------------- prediction
    def predict_proba(self, X):
        """The network's output for raw ``X`` (class probabilities for a softmax/sigmoid output)."""
        return self._forward(self.prepare_X(X))

    def predict(self, X):
        """Class indices: the argmax of each output row (``Yhat >= 0.5`` for one output).

        Prediction stores nothing in the layers (their ``X, Z, A`` stay as the
        last ``forward`` left them) and skips what the classes do not need:
        a softmax output layer is not computed, because softmax keeps the
        order of the entries of each row, so the argmax of its ``Z`` is the
        argmax of ``Yhat``. A single sample travels as a vector rather than a
        one-row matrix, which makes every step cheaper (a single-sample
        prediction takes about three quarters of the time of ``forward``).
        """
        A = self.prepare_X(X)
        if A.shape[0] == 1:
            A = A[0]
        *hidden, out = self.layers
        for layer in hidden:
            Z = layer.pre_activation(A)
            A = layer.activation.forward(Z, out=Z)  # in the same array
        Z = out.pre_activation(A)
        if out.activation.name == "softmax":
            return Z.argmax(axis=-1).reshape(-1)
        return classes(out.activation.forward(Z, out=Z).reshape(-1, out.n_out))

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
