"""Training a ``Network``: the readable loop first, then ``fit`` around it.

One epoch of gradient descent is four calls per batch, and ``reference_epoch``
below is exactly that: ``forward`` (every layer keeps its ``X, Z, A``), the
loss, ``backward`` (every layer stores its ``dZ, dW, db``) and
``optimizer.step``. ``fit`` runs such epochs either through that loop
(``fast=False``) or through ``glassnet.fastpath.FastTrainer`` (the default),
which computes the same numbers with reused buffers; the tests compare the two.
Around the epochs ``fit`` checks its arguments, holds out validation data,
follows a learning-rate schedule, calls the callbacks, stops early and keeps
the best of several restarts.

``Network.fit`` is the public entry: it calls ``fit(net, ...)`` here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet import fastpath
from glassnet.callbacks import MONITORS, EarlyStopping, StopTraining, is_better
from glassnet.checks import choice, describe, flag, positive_number
from glassnet.history import History, mean_batch_loss
from glassnet.metrics import classes, n_correct
from glassnet.optimizers import optimizer_or_lr
from glassnet.schedules import get_schedule


def reference_epoch(net, X, Y, batch_size, optimizer, order=None):
    """One pass over ``(X, Y)`` by the readable loop; returns the epoch's ``(loss, accuracy)``.

    ``X`` and ``Y`` are matrices that ``net.check_X`` and ``net.targets`` have
    accepted; ``order`` is the order in which the samples are visited (None: as
    stored). The loss is the mean of the batches' losses (see ``History``).
    """
    n = X.shape[0]
    order = np.arange(n) if order is None else order
    batch_losses, correct = [], 0
    for start in range(0, n, batch_size):
        batch = order[start : start + batch_size]
        Xb, Yb = X[batch], Y[batch]
        Yhat = net.forward(Xb, check=False)
        batch_losses.append(net.loss.value(Yhat, Yb))
        correct += n_correct(Yhat, Yb)
        net.backward(Yb, check=False)
        optimizer.step(net.parameters(), net.gradients())
    return float(np.mean(batch_losses)), correct / n


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


def fit(
    net, X, y, epochs=10, batch_size=None, optimizer=None, lr=None, shuffle=True, validation_data=None,
    callbacks=(), *, validation_split=0.0, early_stopping=None, monitor="val_loss", restarts=1, schedule=None,
    dtype=np.float32, fast=True,
) -> History:
    """Train ``net`` with (mini)batch gradient descent and return a ``History``.

    Parameters
    ----------
    net : Network
    X : array of shape (N, n_in)
        Raw inputs: the network's ``preprocessing`` (if any) is applied first.
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
        buffers, in-place updates); ``False`` runs ``reference_epoch``, which
        leaves each layer's ``X, Z, A, dZ, dW, db`` of the last batch in
        place. Both give the same weights up to rounding.
    """
    dtype = _float_dtype(dtype)
    epochs = positive_number("epochs", epochs, integer=True)
    if batch_size is not None:
        batch_size = positive_number("batch_size", batch_size, integer=True)
    optimizer = optimizer_or_lr(optimizer, lr)
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
            raise ValueError(f"{what} needs validation data: give validation_data=(X_val, y_val) or validation_split")
    for what, wanted, attr in (("schedule", schedule is not None, "lr"), ("restarts > 1", restarts > 1, "reset")):
        if wanted and not hasattr(optimizer, attr):
            raise TypeError(f"{what} needs an optimizer with a {attr!r} attribute, got {describe(optimizer)}")
    shuffle, fast, callbacks = flag("shuffle", shuffle), flag("fast", fast), _callables(callbacks)
    if fast:
        fastpath.native_blas()  # a bad GLASSNET_BLAS is refused here, before the parameters are cast or trained

    X = net.prepare_X(X, dtype=dtype)
    Y = net.targets(y, X.shape[0]).astype(dtype, copy=False)
    X, Y, val = _validation(net, X, Y, validation_data, split, dtype)
    plan = _Plan(
        X=X, Y=Y, val=val, epochs=epochs, batch_size=batch_size or X.shape[0], optimizer=optimizer,
        shuffle=shuffle, schedule=schedule, patience=patience, monitor=monitor, callbacks=callbacks, fast=fast,
    )
    lr0 = getattr(optimizer, "lr", None)
    try:
        if restarts == 1:
            net.cast(dtype)
            return _run(net, plan, lr0)[0]
        return _best_of(net, restarts, plan, lr0, dtype)
    finally:
        if schedule is not None:
            optimizer.lr = lr0


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


def _callables(callbacks) -> list:
    if callable(callbacks) or not isinstance(callbacks, (list, tuple, type(None))):
        raise TypeError(f"callbacks must be a list of callables, got {describe(callbacks)}")
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {describe(cb)}")
    return callbacks


def _validation(net, X, Y, validation_data, split, dtype):
    """Return ``(X, Y, (X_val, Y_val) or None)``: given validation data, or ``split`` of ``(X, Y)`` held out."""
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"validation_data must be a pair (X_val, y_val), got {describe(validation_data)}")
        Xv = net.prepare_X(validation_data[0], "validation_data X", dtype)
        return X, Y, (Xv, net.targets(validation_data[1], Xv.shape[0], "validation_data y").astype(dtype))
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
    held_out[net.rng.permutation(n)[:n_val]] = True
    return X[~held_out], Y[~held_out], (X[held_out], Y[held_out])


def _run(net, plan, lr0, restart=None):
    """One training run of ``plan.epochs`` epochs; returns ``(history, stopped_by_callback)``."""
    X, Y, val, optimizer = plan.X, plan.Y, plan.val, plan.optimizer
    history = History(restart=restart)
    stopper = None if plan.patience is None else EarlyStopping(plan.patience, plan.monitor)
    trainer = fastpath.FastTrainer(net, optimizer, plan.batch_size) if plan.fast else None
    target_classes = classes(Y)  # once per run, not once per epoch
    n = X.shape[0]
    stop_requested = False
    for epoch in range(1, plan.epochs + 1):
        if plan.schedule is not None:
            optimizer.lr = plan.schedule(epoch, lr0)
            history.lr.append(optimizer.lr)
        order = net.rng.permutation(n) if plan.shuffle else None
        if trainer is None:
            loss, accuracy = reference_epoch(net, X, Y, plan.batch_size, optimizer, order)
        else:
            Yhat, Y_epoch = trainer.epoch(X, Y, order)
            hits = classes(Yhat) == (target_classes if order is None else target_classes[order])
            loss = mean_batch_loss(net.loss.per_sample(Yhat, Y_epoch), plan.batch_size)
            accuracy = int(hits.sum()) / n
        history.loss.append(loss)
        history.accuracy.append(accuracy)
        if val is not None:
            Yhat = net.forward(val[0], check=False)
            history.val_loss.append(net.loss.value(Yhat, val[1]))
            history.val_accuracy.append(n_correct(Yhat, val[1]) / len(Yhat))
        patience_over = stopper is not None and stopper.update(epoch, history, net.parameters())
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
        stopper.restore(net.parameters())
    return history, stop_requested


def _best_of(net, restarts, plan, lr0, dtype):
    """Train ``restarts`` runs from derived seeds; keep the weights and history of the best."""
    seeds = [int(s) for s in np.random.SeedSequence(net.seed).generate_state(restarts)]
    scores, best = [], None  # best: (score, history, copies of the parameters)
    for k, seed in enumerate(seeds):
        net.initialize(seed)
        net.cast(dtype)
        plan.optimizer.reset()
        history, stopped = _run(net, plan, lr0, restart=k)
        metric = getattr(history, plan.monitor)
        score = metric[history.best_epoch - 1] if history.best_epoch else metric[-1]
        scores.append(score)
        if best is None or is_better(plan.monitor, score, best[0]):
            best = (score, history, [p.copy() for p in net.parameters()])
        if stopped:
            break
    _, history, params = best
    for p, value in zip(net.parameters(), params):
        p[...] = value
    history.restart_scores, history.restart_seeds = scores, seeds[: len(scores)]
    return history

