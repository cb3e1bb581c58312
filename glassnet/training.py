"""Training a ``Network``: the readable loop first, then ``fit`` around it.

One epoch of gradient descent is four calls per batch, and ``reference_epoch``
below is exactly that: ``forward`` (every layer keeps its ``X, Z, A``), the
loss, ``backward`` (every layer stores its ``dZ, dW, db``) and
``optimizer.step``. ``fit`` runs such epochs either through that loop
(``fast=False``) or through ``glassnet.fastpath.FastTrainer`` (the default),
which computes the same numbers with reused buffers; the tests compare the two.
Around the epochs ``fit`` checks its arguments, weighs the samples
(``sample_weight``, ``class_weight``; ``class_weights`` computes the latter),
holds out validation data, follows a learning-rate schedule, calls the
callbacks, stops early, keeps the best of several restarts, and stops a run
that diverges with ``TrainingDiverged`` (the rule is in ``Divergence``).

``Network.fit`` is the public entry: it calls ``fit(net, ...)`` here.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from glassnet import fastpath, tables
from glassnet.callbacks import MONITORS, EarlyStopping, StopTraining, is_better
from glassnet.checks import choice, class_labels, describe, flag, positive_number
from glassnet.divergence import Divergence
from glassnet.history import History, batch_losses
from glassnet.losses import check_sample_weight, weighted_mean
from glassnet.metrics import classes, n_correct, regression_scores
from glassnet.optimizers import optimizer_or_lr
from glassnet.schedules import get_schedule


def reference_epoch(net, X, Y, batch_size, optimizer, order=None, sample_weight=None, watch=None):
    """One pass over ``(X, Y)`` by the readable loop; returns the epoch's ``(loss, accuracy)``.

    ``X`` and ``Y`` are matrices that ``net.check_X`` and ``net.targets`` have
    accepted; ``order`` is the order in which the samples are visited (None: as
    stored). The loss is the mean of the batches' losses (see ``History``).
    ``sample_weight`` (checked weights, one per row of ``X``) makes every
    batch's loss its weighted mean ``sum w L / sum w`` (``glassnet.losses``)
    and the accuracy the weighted share of right answers. A regression network
    (``net.is_regression``) gets ``(loss, r2)`` instead: the (weighted) R² of
    all the batches' outputs, each from the forward pass before its update.
    ``watch(batch, loss)``, if given, sees every batch's loss (``batch`` from
    1) before its update and may raise to stop (``fit`` passes
    ``Divergence.batch``).
    """
    n = X.shape[0]
    order = np.arange(n) if order is None else order
    losses, correct, outputs = [], 0, []
    for start in range(0, n, batch_size):
        batch = order[start : start + batch_size]
        Xb, Yb = X[batch], Y[batch]
        wb = None if sample_weight is None else sample_weight[batch]
        Yhat = net.forward(Xb, check=False)
        losses.append(net.loss.output_value(net.layers[-1], Yb, wb))  # from the logits where that is exact
        if watch is not None:
            watch(len(losses), losses[-1])
        if net.is_regression:  # scored once the epoch is over
            outputs.append(Yhat.copy())
        elif wb is None:
            correct += n_correct(Yhat, Yb)
        else:  # the weight of the right answers
            correct += float(wb.astype(np.float64) @ (classes(Yhat) == classes(Yb)))
        net.backward(Yb, check=False, sample_weight=wb)
        optimizer.step(net.parameters(), net.gradients())
    loss = float(np.mean(losses))
    if net.is_regression:
        w = None if sample_weight is None else sample_weight[order]
        return loss, regression_scores(Y[order], np.concatenate(outputs), w, check=False)["r2"]
    total = n if sample_weight is None else float(sample_weight.astype(np.float64).sum())
    return loss, correct / total


def class_weights(labels, class_weight="balanced", n_classes=None) -> np.ndarray:
    """One weight per class ``0 .. n_classes - 1``: what ``fit(..., class_weight=...)`` multiplies rows by.

    Parameters
    ----------
    labels : 1-D class labels (whole numbers ``0 .. n_classes - 1``)
        The training rows' classes; ``"balanced"`` counts them.
    class_weight : ``"balanced"`` or dict ``{class index: weight}``
        ``"balanced"`` gives class ``c`` the weight
        ``n_samples / (n_present * count_c)``, scikit-learn's formula
        (``compute_class_weight``): ``n_samples`` rows, ``count_c`` of them of
        class ``c``, ``n_present`` classes among them. Every class then
        carries the same total weight and the rows' weights average 1. A
        class with no row in ``labels`` gets weight 1. A dict gives the
        weights itself (finite, ``>= 0``); classes it leaves out get 1.
        None gives every class 1.
    n_classes : int, optional
        How many classes there are (default: the largest label + 1). ``fit``
        passes the network's (``n_out``, or 2 for a one-output network).

    Examples
    --------
    >>> class_weights([0, 0, 0, 1], "balanced")
    array([0.66666667, 2.        ])
    >>> class_weights([0, 0, 0, 1], {1: 5}, n_classes=3)
    array([1., 5., 1.])
    """
    labels = class_labels("labels", labels, n_classes)
    n_classes = int(labels.max()) + 1 if n_classes is None else positive_number("n_classes", n_classes, integer=True)
    spec = _class_weight_spec(class_weight, n_classes)
    if spec is None:
        return np.ones(n_classes)
    if not isinstance(spec, str):
        return spec
    counts = np.bincount(labels, minlength=n_classes)
    present = counts > 0
    weights = np.ones(n_classes)
    weights[present] = labels.size / (np.count_nonzero(present) * counts[present])
    return weights


def _class_weight_spec(class_weight, n_classes):
    """``class_weight`` checked: None, ``"balanced"``, or a dict turned into one weight per class."""
    if class_weight is None or (isinstance(class_weight, str) and class_weight == "balanced"):
        return class_weight
    expected = "'balanced' or a dict {class index: weight}"
    if isinstance(class_weight, str):
        raise ValueError(f"unknown class_weight {class_weight!r}; expected {expected}")
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"class_weight must be {expected}, got {describe(class_weight)}")
    weights = np.ones(n_classes)
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(f"class_weight keys must be class indices (int), got {describe(key)}")
        if not 0 <= key < n_classes:
            raise ValueError(f"class_weight has key {int(key)}, but the classes are 0 to {n_classes - 1}")
        weights[key] = positive_number(f"class_weight[{int(key)}]", value, allow_zero=True)
    return weights


def class_rows(name, Y) -> np.ndarray:
    """The class of every row of target matrix ``Y``, for ``class_weight``: each row must name one class.

    That is one-hot rows (what class labels become in ``Network.targets``) or
    a 0/1 column for a one-output network. Soft targets (0.01/0.99, class
    probabilities) and regression values name no single class, so
    ``class_weight`` refuses them; ``sample_weight`` weighs such rows.
    """
    off = (Y != 0) & (Y != 1)
    bad = off.any(axis=1)
    if Y.shape[1] > 1:
        bad |= Y.sum(axis=1) != 1
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = f"{name}[{i}, {int(np.flatnonzero(off[i])[0])}] is {Y[i, off[i]][0]:.6g}" if off[i].any() \
            else f"row {i} of {name} has {int(Y[i].sum())} ones"
        raise ValueError(
            f"class_weight needs {name} as class labels or one-hot rows (a 0/1 column for one output), but {what}; "
            "give per-row weights with sample_weight instead"
        )
    return classes(Y)


@dataclass
class _Plan:
    """``fit``'s validated arguments: everything one training run needs."""

    X: np.ndarray
    Y: np.ndarray
    w: np.ndarray | None  # the training rows' weights, in the training dtype
    val: tuple | None  # (X_val, Y_val, w_val or None)
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
    dtype=np.float32, fast=True, sample_weight=None, class_weight=None, feature_names=None,
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
    validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
        Measured after every epoch into ``val_loss`` and ``val_accuracy`` (a
        regression network: ``val_r2``, see ``History``); the third element
        weights the validation rows (see ``sample_weight``).
    callbacks : sequence of callables
        Each is called as ``callback(epoch, history)`` after every epoch
        (``epoch`` counts from 1); progress bars and plots hook in here. A
        callback ends training by raising ``glassnet.callbacks.StopTraining``;
        what it returns is ignored.
    validation_split : float in [0, 1)
        Hold out this fraction of ``(X, y)`` as validation data instead of
        giving ``validation_data``. The held-out samples are drawn at random
        with the network's generator (so a seeded network holds out the same
        ones every time); both parts keep the samples' original order, and
        their ``sample_weight`` goes along with them.
    early_stopping : int, optional
        Patience: stop once the ``monitor`` metric has not improved for this
        many epochs in a row, then restore the weights of its best epoch
        (``history.best_epoch``). Needs validation data.
    monitor : str
        ``"val_loss"`` (lower is better), or ``"val_accuracy"`` for a
        classifier and ``"val_r2"`` for a regression network (higher is
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
    sample_weight : array of shape (N,), optional
        One weight per sample (finite, ``>= 0``, not all zero). Each batch's
        loss becomes the weighted mean ``sum w L / sum w`` and its gradient
        that of this mean (``glassnet.losses`` says why the weighted mean and
        not Keras's ``sum w L / N``). Only the ratios matter: weights
        ``[2, 1, 1]`` train like the first row given twice. ``loss``,
        ``accuracy`` (or ``r2``) and the validation metrics of the ``History``
        are then weighted too (accuracy: the weighted share of right answers).
    class_weight : ``"balanced"`` or dict ``{class index: weight}``, optional
        Multiplies the weight of every row by its class's weight (see
        ``class_weights``; ``"balanced"`` is computed on the training rows,
        after ``validation_split``). Needs classes: ``y`` as class labels or
        one-hot rows (a 0/1 column for one output); soft or regression targets
        are refused. The class weights apply to the validation rows as well, so
        that ``val_loss`` and ``val_accuracy`` measure what training
        optimizes (with ``"balanced"``, ``val_accuracy`` is then close to the
        balanced accuracy, the mean recall of the classes) and early stopping
        and restarts compare that.
    feature_names : list of str, optional
        Names of ``X``'s columns (a pandas DataFrame or a dict of columns
        brings its own). A network whose preprocessing does not take named
        columns yet gets a ``glassnet.tables.Columns`` step fitted on ``X``
        in front of it, so that it records the names and ``predict``,
        ``evaluate`` and model files match columns by name from then on (a
        text column is one-hot encoded; the network's ``n_in`` must fit the
        inputs that makes).
    fast : bool
        ``True`` trains with ``glassnet.fastpath.FastTrainer`` (preallocated
        buffers, in-place updates); ``False`` runs ``reference_epoch``, which
        leaves each layer's ``X, Z, A, dZ, dW, db`` of the last batch in
        place. Both give the same weights up to rounding, with or without
        sample weights.

    Raises
    ------
    TrainingDiverged
        (a ``ValueError``) when a batch's loss or a weight becomes NaN or
        infinite, or the loss explodes (``Divergence`` gives the rule):
        training stops, the network gets back the weights it had at the
        start of that epoch, and the one-line message names the epoch, the
        batch, the loss and the likely cause (the learning rate; the largest
        input when the inputs are not scaled). NumPy's overflow warnings
        never get out of ``fit``: they become this error. With
        ``restarts``, the first run that diverges ends ``fit``.
    """
    dtype = _float_dtype(dtype)
    epochs = positive_number("epochs", epochs, integer=True)
    if batch_size is not None:
        batch_size = positive_number("batch_size", batch_size, integer=True)
    optimizer = optimizer_or_lr(optimizer, lr)
    schedule = None if schedule is None else get_schedule(schedule)
    monitor = _monitor(net, monitor)
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

    n_classes = max(net.n_out, 2)
    class_weight = _class_weight_spec(class_weight, n_classes)

    if not getattr(net.preprocessing, "takes_tables", False):
        net.preprocessing = tables.with_columns(net.preprocessing, X, feature_names, net.n_in)
    X = net.prepare_X(X, dtype=dtype, feature_names=feature_names)
    Y = net.targets(y, X.shape[0]).astype(dtype, copy=False)
    w = None if sample_weight is None else check_sample_weight("sample_weight", sample_weight, X.shape[0])
    labels = None if class_weight is None else class_rows("y", Y)
    train, val = _validation(net, (X, Y, w, labels), validation_data, split, dtype, class_weight is not None)
    (X, Y, w), val = _weigh(train, val, class_weight, n_classes, dtype, split)
    plan = _Plan(
        X=X, Y=Y, w=w, val=val, epochs=epochs, batch_size=batch_size or X.shape[0], optimizer=optimizer,
        shuffle=shuffle, schedule=schedule, patience=patience, monitor=monitor, callbacks=callbacks, fast=fast,
    )
    lr0 = getattr(optimizer, "lr", None)
    try:
        if restarts == 1:
            net.cast(dtype)
            history = _run(net, plan, lr0)[0]
        else:
            history = _best_of(net, restarts, plan, lr0, dtype)
    finally:
        if schedule is not None:
            optimizer.lr = lr0
    net.history = history  # what a save without history= records: the training of the weights it holds
    return history


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


def _monitor(net, monitor) -> str:
    """``monitor`` checked: a classifier records no ``val_r2`` and a regression network no ``val_accuracy``."""
    monitor = choice("monitor", monitor, MONITORS)
    if net.is_regression and monitor == "val_accuracy":
        raise ValueError(
            "monitor 'val_accuracy' needs classes, but this network has a linear output (regression) and "
            "records val_r2; use 'val_r2' or 'val_loss'"
        )
    if not net.is_regression and monitor == "val_r2":
        raise ValueError(
            "monitor 'val_r2' needs a regression network (a linear output layer), but this one has a "
            f"{net.layers[-1].activation.name!r} output and records val_accuracy; use 'val_accuracy' or 'val_loss'"
        )
    return monitor


def _callables(callbacks) -> list:
    if callable(callbacks) or not isinstance(callbacks, (list, tuple, type(None))):
        raise TypeError(f"callbacks must be a list of callables, got {describe(callbacks)}")
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {describe(cb)}")
    return callbacks


def _validation(net, rows, validation_data, split, dtype, need_classes):
    """Split the training ``rows`` ``(X, Y, w, labels)`` from the validation rows, which have the same four parts.

    The validation rows are the given ``validation_data`` or the ``split`` of
    ``rows`` held out (None: no validation). ``w`` and ``labels`` (the class of
    every row, for class weights) may be None.
    """
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise TypeError(
                "validation_data must be a pair (X_val, y_val) or a triple (X_val, y_val, sample_weight_val), "
                f"got {describe(validation_data)}"
            )
        Xv = net.prepare_X(validation_data[0], "validation_data X", dtype)
        Yv = net.targets(validation_data[1], Xv.shape[0], "validation_data y").astype(dtype)
        wv = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            wv = check_sample_weight("validation_data sample_weight", validation_data[2], Xv.shape[0],
                                     rows="validation_data X")
        return rows, (Xv, Yv, wv, class_rows("validation_data y", Yv) if need_classes else None)
    if not split:
        return rows, None
    held_out = _held_out(net, rows[0].shape[0], split)
    return tuple(None if a is None else a[~held_out] for a in rows), tuple(
        None if a is None else a[held_out] for a in rows
    )


def _held_out(net, n, split):
    """A boolean mask of the ``round(n * split)`` rows drawn for validation by the network's generator."""
    n_val = round(n * split)
    if not 0 < n_val < n:
        raise ValueError(
            f"validation_split={split!r} of {n} samples leaves {n_val} for validation and "
            f"{n - n_val} for training; each needs at least one"
        )
    held_out = np.zeros(n, dtype=bool)
    held_out[net.rng.permutation(n)[:n_val]] = True
    return held_out


def _weigh(train, val, class_weight, n_classes, dtype, split):
    """``(X, Y, w)`` of the training rows and ``(X_val, Y_val, w_val)`` (or None), class weights folded into ``w``.

    A weight vector is None when its rows are unweighted. Weights are scaled by
    a power of two (exactly: only their ratios matter) so that the largest is
    below 1 and a float32 sum cannot overflow, then cast to ``dtype``.
    """
    if isinstance(class_weight, str):  # "balanced", counted on the training rows
        class_weight = class_weights(train[3], class_weight, n_classes)
    parts = []
    for rows, what in ((train, "training"), (val, "validation")):
        if rows is None:
            parts.append(None)
            continue
        X, Y, w, labels = rows
        source = "sample_weight"
        if class_weight is not None:
            source = "class_weight" if w is None else "sample_weight times class_weight"
            with np.errstate(over="ignore"):  # an overflow is reported below
                w = class_weight[labels] if w is None else w * class_weight[labels]
        if w is not None:
            if not np.isfinite(w).all():
                raise ValueError(f"the {what} weights ({source}) overflow; scale them down, only their ratios matter")
            if not w.any():
                where = f" on the {what} rows" + (" that validation_split left" if split else "")
                raise ValueError(
                    f"the {what} weights ({source}) are all zero{where}; at least one sample needs a weight > 0"
                )
            w = np.ldexp(w, -int(np.frexp(w.max())[1])).astype(dtype)
        parts.append((X, Y, w))
    return parts[0], parts[1]


def _run(net, plan, lr0, restart=None):
    """One training run of ``plan.epochs`` epochs; returns ``(history, stopped_by_callback)``.

    Raises ``TrainingDiverged`` (see ``Divergence``). NumPy's overflow, invalid
    value and division warnings are silenced while the run computes: what they
    would warn about is a non-finite number, and ``Divergence`` turns that into
    the one error. Callbacks run under the caller's settings.
    """
    X, Y, val, optimizer = plan.X, plan.Y, plan.val, plan.optimizer
    history = History(restart=restart)
    stopper = None if plan.patience is None else EarlyStopping(plan.patience, plan.monitor)
    trainer = fastpath.FastTrainer(net, optimizer, plan.batch_size) if plan.fast else None
    watch = Divergence(net, plan)
    regression = net.is_regression  # records r2 and val_r2 instead of accuracy and val_accuracy
    target_classes = None if regression else classes(Y)  # once per run, not once per epoch
    n = X.shape[0]
    n_batches = -(-n // plan.batch_size)
    stop_requested = False
    callers_errstate = np.geterr()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, plan.epochs + 1):
            if plan.schedule is not None:
                optimizer.lr = plan.schedule(epoch, lr0)
            order = net.rng.permutation(n) if plan.shuffle else None
            watch.start_epoch(epoch, history)
            if trainer is None:
                loss, score = reference_epoch(net, X, Y, plan.batch_size, optimizer, order, plan.w, watch.batch)
                last = watch.last_loss
            else:
                loss, score, last = _fast_epoch(net, trainer, plan, order, target_classes, watch)
            if val is not None:
                val_loss, val_score = _validate(net, *val)
            watch.end_epoch(n_batches, last, None if val is None else val_loss)
            if plan.schedule is not None:
                history.lr.append(optimizer.lr)
            history.loss.append(loss)
            (history.r2 if regression else history.accuracy).append(score)
            if val is not None:
                history.val_loss.append(val_loss)
                (history.val_r2 if regression else history.val_accuracy).append(val_score)
            patience_over = stopper is not None and stopper.update(epoch, history, net.parameters())
            if stopper is not None:
                history.best_epoch = stopper.best_epoch
            if plan.callbacks:
                with np.errstate(**callers_errstate):
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


def _fast_epoch(net, trainer, plan, order, target_classes, watch):
    """One epoch of ``trainer``; returns ``(loss, accuracy or r2, last batch's loss)``.

    Every batch's loss, computed from the epoch's outputs, goes to ``watch.batches``.
    """
    X, Y, n = plan.X, plan.Y, plan.X.shape[0]
    Yhat, Y_epoch = trainer.epoch(X, Y, order, plan.w)
    w = plan.w if plan.w is None or order is None else plan.w[order]
    logits = trainer.logits
    per_sample = net.loss.per_sample(Yhat, Y_epoch) if logits is None else net.loss.from_logits(logits, Y_epoch)
    losses = batch_losses(per_sample, plan.batch_size, w)
    watch.batches(losses)
    if target_classes is None:  # regression
        score = regression_scores(Y_epoch, Yhat, w, check=False)["r2"]
    else:
        hits = classes(Yhat) == (target_classes if order is None else target_classes[order])
        score = int(hits.sum()) / n if w is None else weighted_mean(hits, w.astype(np.float64))
    return float(np.mean(losses)), score, float(losses[-1])


def _validate(net, Xv, Yv, wv):
    """``(val_loss, val_accuracy or val_r2)`` of the network on the validation rows."""
    Yhat = net.forward(Xv, check=False)
    val_loss = net.loss.output_value(net.layers[-1], Yv, wv)
    if net.is_regression:
        return val_loss, regression_scores(Yv, Yhat, wv, check=False)["r2"]
    if wv is None:
        return val_loss, n_correct(Yhat, Yv) / len(Yhat)
    return val_loss, weighted_mean(classes(Yhat) == classes(Yv), wv.astype(np.float64))


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

