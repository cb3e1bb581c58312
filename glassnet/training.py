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

import contextlib
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from glassnet import checkpoint as checkpoints
from glassnet import fastpath, files, tables
from glassnet.callbacks import MONITORS, EarlyStopping, StopTraining, is_better
from glassnet.checks import choice, class_labels, describe, finite_matrix, flag, positive_number, shown
from glassnet.divergence import Divergence
from glassnet.history import History, batch_losses
from glassnet.losses import check_sample_weight, weighted_mean
from glassnet.memory import check_affordable
from glassnet.metrics import classes, n_correct, regression_scores
from glassnet.optimizers import Optimizer, get_optimizer, optimizer_or_lr
from glassnet.schedules import get_schedule


@dataclass
class EpochProgress:
    """How far an epoch got when a signal stopped it: enough for either loop to finish it as if it had not.

    ``rows`` samples of ``order`` are done (whole batches). The readable loop
    keeps each batch's loss, the right answers so far and, for a regression
    network, the outputs; the fast loop the outputs (and logits) of the rows
    done. ``kept`` holds the weights the epoch started from (see
    ``Divergence``). ``glassnet.checkpoint`` writes it down.
    """

    epoch: int = 0
    order: np.ndarray | None = None
    rows: int = 0
    losses: list = field(default_factory=list)
    correct: float = 0
    outputs: list = field(default_factory=list)
    Yhat: np.ndarray | None = None
    logits: np.ndarray | None = None
    kept: list | None = None


def reference_epoch(net, X, Y, batch_size, optimizer, order=None, sample_weight=None, watch=None, progress=None,
                    interrupt=None, rows=None):
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

    Checkpoints: the epoch goes on from ``progress`` (an ``EpochProgress``)
    when given, and when ``interrupt.requested`` turns true (a signal, see
    ``glassnet.checkpoint.Interrupt``) it returns its ``EpochProgress`` after
    the batch under way instead of the loss.

    ``rows``: the numbers of the rows of ``X`` that train, where ``X`` holds
    more (``fit``'s ``validation_split`` leaves ``X`` whole); ``Y``,
    ``sample_weight`` and ``order`` then count those rows only.
    """
    n = Y.shape[0]
    order = np.arange(n) if order is None else order
    done = EpochProgress() if progress is None else progress
    for start in range(done.rows, n, batch_size):
        if interrupt is not None and interrupt.requested:
            return done
        batch = order[start : start + batch_size]
        Xb, Yb = X[batch if rows is None else rows[batch]], Y[batch]
        wb = None if sample_weight is None else sample_weight[batch]
        Yhat = net.forward(Xb, check=False)
        done.losses.append(net.loss.output_value(net.layers[-1], Yb, wb))  # from the logits where that is exact
        if watch is not None:
            watch(len(done.losses), done.losses[-1])
        if net.is_regression:  # scored once the epoch is over
            done.outputs.append(Yhat.copy())
        elif wb is None:
            done.correct += n_correct(Yhat, Yb)
        else:  # the weight of the right answers
            done.correct += float(wb.astype(np.float64) @ (classes(Yhat) == classes(Yb)))
        net.backward(Yb, check=False, sample_weight=wb)
        optimizer.step(net.parameters(), net.gradients())
        done.rows = start + len(batch)
    loss = float(np.mean(done.losses))
    if net.is_regression:
        w = None if sample_weight is None else sample_weight[order]
        return loss, regression_scores(Y[order], np.concatenate(done.outputs), w, check=False)["r2"]
    total = n if sample_weight is None else float(sample_weight.astype(np.float64).sum())
    return loss, done.correct / total


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
    # a weight and a count per class, sized by the largest label: refuse before allocating, not after
    check_affordable(f"weights for {n_classes:,} classes", 3 * 8 * n_classes,
                     "class labels must be 0 to the number of classes - 1")
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
        raise ValueError(f"unknown class_weight {shown(class_weight)}; expected {expected}")
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"class_weight must be {expected}, got {describe(class_weight)}")
    weights = np.ones(n_classes)
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(f"class_weight keys must be class indices (int), got {describe(key)}")
        if not 0 <= key < n_classes:
            raise ValueError(f"class_weight has key {shown(int(key))}, but the classes are 0 to {n_classes - 1}")
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
    saver: _Saver | None = None
    # the rows of X that train, where validation_split held others out (None: all of them). X itself is
    # never copied for the split: both loops read the training rows through this index.
    rows: np.ndarray | None = None


def fit(
    net, X, y, epochs=10, batch_size=None, optimizer=None, lr=None, shuffle=True, validation_data=None,
    callbacks=(), *, validation_split=0.0, early_stopping=None, monitor="val_loss", restarts=1, schedule=None,
    dtype=np.float32, fast=True, sample_weight=None, class_weight=None, feature_names=None, checkpoint=None,
    checkpoint_every=1,
) -> History:
    """Train ``net`` with (mini)batch gradient descent and return a ``History``.

    Parameters
    ----------
    net : Network
    X : array of shape (N, n_in)
        Raw inputs: the network's ``preprocessing`` (if any) is applied first.
    y : labels of shape (N,) or targets of shape (N, n_out)
    epochs : int
        Passes over the training data, 1 to 1,000,000,000.
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
        their ``sample_weight`` goes along with them. ``X`` is not copied for
        the split: training reads its rows through an index, and only the
        held-out rows are copied out.
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
    checkpoint : str or Path, optional
        Write the whole state of the run to this file every
        ``checkpoint_every`` epochs and when it ends (``glassnet.checkpoint``
        says what it holds; it is also a model file that ``load`` reads), so
        that ``glassnet.resume(checkpoint, X, y)`` can go on after a crash, a
        ``kill -9`` or a Ctrl-C and end with the very weights, bit for bit, of
        a run that never stopped. While it trains, SIGINT and SIGTERM finish
        the batch under way, write the checkpoint and raise
        ``TrainingInterrupted`` (a ``KeyboardInterrupt``). Needs a glassnet
        optimizer (its state is saved); callbacks are not saved: give them to
        ``resume`` again.
    checkpoint_every : int
        Epochs between two checkpoints (the last epoch always writes one).

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
    TrainingInterrupted
        (a ``KeyboardInterrupt``) after SIGINT or SIGTERM, with ``checkpoint``.
    """
    return _fit(
        net, X, y, epochs, batch_size, optimizer, lr, shuffle, validation_data, callbacks, validation_split,
        early_stopping, monitor, restarts, schedule, dtype, fast, sample_weight, class_weight, feature_names,
        checkpoint, checkpoint_every,
    )


def resume(net, run, path, X, y, *, validation_data=None, sample_weight=None, callbacks=(), epochs=None,
           checkpoint=None, checkpoint_every=None, on_start=None):
    """Go on with the training ``run`` (a ``glassnet.checkpoint.Run``) of ``net``, both read from checkpoint ``path``.

    ``glassnet.resume(path, X, y, ...)`` (``glassnet.io.resume``) reads them and says what the arguments
    mean; this builds ``fit``'s arguments from the run's settings, checks the data and trains. Returns ``net``.
    """
    if on_start is not None and not callable(on_start):
        raise TypeError(f"on_start must be a callable or None, got {describe(on_start)}")
    settings = run.settings
    for name, given in (("validation_data", validation_data), ("sample_weight", sample_weight)):
        if settings[name] != (given is not None):
            had = "had" if settings[name] else "had no"
            raise checkpoints.CheckpointError(f"the run in {path} {had} {name}; give the same data as it had "
                                              f"({name}={'...' if settings[name] else 'None'})")
    if epochs is not None and _epochs(epochs) < run.epoch:
        raise ValueError(f"epochs={epochs} is fewer than the {run.epoch} the run in {path} has done already")
    optimizer = get_optimizer(settings["optimizer"])
    optimizer.steps, optimizer.state = run.optimizer_steps, {i: dict(slot) for i, slot in run.optimizer_state.items()}
    class_weight = settings["class_weight"]
    if isinstance(class_weight, list):
        class_weight = dict(enumerate(class_weight))
    checkpoints.set_rng_state(net.rng, run.rng_start)  # the generator that drew the validation split
    _fit(
        net, X, y, epochs or settings["epochs"], settings["batch_size"], optimizer, None, settings["shuffle"],
        validation_data, callbacks, settings["validation_split"], settings["early_stopping"], settings["monitor"],
        settings["restarts"], settings["schedule"], settings["dtype"], settings["fast"], sample_weight, class_weight,
        settings["feature_names"], path if checkpoint is None else checkpoint,
        settings["checkpoint_every"] if checkpoint_every is None else checkpoint_every, run, on_start,
    )
    return net


def _fit(net, X, y, epochs, batch_size, optimizer, lr, shuffle, validation_data, callbacks, validation_split,
         early_stopping, monitor, restarts, schedule, dtype, fast, sample_weight, class_weight, feature_names,
         checkpoint, checkpoint_every, run=None, on_start=None) -> History:
    """``fit``, and ``resume`` when ``run`` (a ``glassnet.checkpoint.Run``) is given.

    ``on_start``: None, or called with no arguments once everything is checked, just before training starts.
    """
    dtype = _float_dtype(dtype)
    epochs = _epochs(epochs)
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
    # A bad GLASSNET_BLAS is refused here, before the parameters are cast or trained; both loops may call BLAS
    # (the fast loop's products, Adam's update of a large network in either loop).
    fastpath.native_blas()
    if checkpoint is not None:
        checkpoint = files.check_output(files.output_name(checkpoint, "checkpoint"), checkpoint)
        checkpoint_every = positive_number("checkpoint_every", checkpoint_every, integer=True)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"checkpoint needs a glassnet optimizer (SGD, Adam), whose state it saves, got "
                            f"{describe(optimizer)}")
    rng_start = None if checkpoint is None else checkpoints.rng_state(net.rng)

    n_classes = max(net.n_out, 2)
    class_weight = _class_weight_spec(class_weight, n_classes)

    if not getattr(net.preprocessing, "takes_tables", False):
        net.preprocessing = tables.with_columns(net.preprocessing, X, feature_names, net.n_in)
    X = net.prepare_X(X, dtype=dtype, feature_names=feature_names)
    Y = finite_matrix("y", net.targets(y, X.shape[0]), dtype=dtype)  # 1e39 is beyond float32's range
    w = None if sample_weight is None else check_sample_weight("sample_weight", sample_weight, X.shape[0])
    labels = None if class_weight is None else class_rows("y", Y)
    train, val, rows = _validation(net, (X, Y, w, labels), validation_data, split, dtype, class_weight is not None)
    (X, Y, w), val = _weigh(train, val, class_weight, n_classes, dtype, split)
    plan = _Plan(
        X=X, Y=Y, w=w, val=val, epochs=epochs, batch_size=batch_size or Y.shape[0], optimizer=optimizer,
        shuffle=shuffle, schedule=schedule, patience=patience, monitor=monitor, callbacks=callbacks, fast=fast,
        rows=rows,
    )
    lr0 = getattr(optimizer, "lr", None)
    if checkpoint is not None:
        settings = {
            "epochs": epochs, "batch_size": batch_size, "shuffle": shuffle, "validation_split": split,
            "validation_data": validation_data is not None, "sample_weight": sample_weight is not None,
            "early_stopping": patience, "monitor": monitor, "restarts": restarts,
            "schedule": None if schedule is None else schedule.config(), "dtype": dtype.name, "fast": fast,
            "class_weight": class_weight if class_weight is None or isinstance(class_weight, str)
            else [float(c) for c in class_weight],
            "feature_names": None if feature_names is None else [str(f) for f in feature_names],
            "checkpoint_every": checkpoint_every,
            "optimizer": {k: v for k, v in optimizer.config().items() if k not in ("steps", "state")} | {"lr": lr0},
        }
        arrays = (plan.X if rows is None else (plan.X, rows), plan.Y, plan.w, *(val or ()))
        plan.saver = _Saver(checkpoint, checkpoint_every, settings, checkpoints.fingerprint(arrays), rng_start)
        if run is not None:
            if run.fingerprint != plan.saver.fingerprint:
                raise checkpoints.CheckpointError(
                    f"the data differ from those the checkpoint's run trained on ({_shapes(arrays)} now): give "
                    "the same X, y (and validation_data, sample_weight) as the run had")
            plan.saver.rng_start = run.rng_start
            checkpoints.set_rng_state(net.rng, run.rng)
    if on_start is not None:
        on_start()
    try:
        with contextlib.ExitStack() as stack:
            if plan.saver is not None:
                stack.enter_context(plan.saver.interrupt)
            if restarts == 1:
                net.cast(dtype)
                history = _run(net, plan, lr0, resume=run)[0]
            else:
                history = _best_of(net, restarts, plan, lr0, dtype, run)
    finally:
        if schedule is not None:
            optimizer.lr = lr0
    net.history = history  # what a save without history= records: the training of the weights it holds
    return history


MAX_EPOCHS = 10**9  # a billion epochs of one sample at a microsecond each: over a quarter of an hour of nothing


def _epochs(value) -> int:
    """``epochs`` checked: a whole number from 1 to ``MAX_EPOCHS`` (a larger one would train, for ever)."""
    epochs = positive_number("epochs", value, integer=True)
    if epochs > MAX_EPOCHS:
        raise ValueError(f"epochs must be at most {MAX_EPOCHS:,}, got {describe(value)}: a run that long would not end")
    return epochs


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
    every row, for class weights) may be None. Returns ``(training rows,
    validation rows, index)``: with a split, the training ``X`` is the whole
    ``X``, uncopied, and ``index`` the numbers of its rows that train (the
    other three parts are copied: they are small); else ``index`` is None.
    """
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise TypeError(
                "validation_data must be a pair (X_val, y_val) or a triple (X_val, y_val, sample_weight_val), "
                f"got {describe(validation_data)}"
            )
        Xv = net.prepare_X(validation_data[0], "validation_data X", dtype)
        Yv = finite_matrix("validation_data y", net.targets(validation_data[1], Xv.shape[0], "validation_data y"),
                           dtype=dtype)
        wv = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            wv = check_sample_weight("validation_data sample_weight", validation_data[2], Xv.shape[0],
                                     rows="validation_data X")
        return rows, (Xv, Yv, wv, class_rows("validation_data y", Yv) if need_classes else None), None
    if not split:
        return rows, None, None
    held_out = _held_out(net, rows[0].shape[0], split)
    kept = np.flatnonzero(~held_out)
    train = (rows[0], *(None if a is None else a[kept] for a in rows[1:]))
    return train, tuple(None if a is None else a[held_out] for a in rows), kept


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


def _run(net, plan, lr0, restart=None, resume=None):
    """One training run of ``plan.epochs`` epochs; returns ``(history, stopped_by_callback)``.

    ``resume``: the ``glassnet.checkpoint.Run`` to go on from (the network
    and the optimizer hold its weights and state already). Raises
    ``TrainingDiverged`` (see ``Divergence``). NumPy's overflow, invalid
    value and division warnings are silenced while the run computes: what they
    would warn about is a non-finite number, and ``Divergence`` turns that into
    the one error. Callbacks run under the caller's settings.
    """
    X, Y, val, optimizer, saver = plan.X, plan.Y, plan.val, plan.optimizer, plan.saver
    history = History(restart=restart)
    stopper = None if plan.patience is None else EarlyStopping(plan.patience, plan.monitor)
    trainer = fastpath.FastTrainer(net, optimizer, plan.batch_size) if plan.fast else None
    watch = Divergence(net, plan)
    first, progress, stop_requested = 1, None, False
    if resume is not None:
        history, first, progress, stop_requested = _resumed(resume, plan, stopper, watch)
    interrupt = None if saver is None else saver.interrupt
    regression = net.is_regression  # records r2 and val_r2 instead of accuracy and val_accuracy
    target_classes = None if regression else classes(Y)  # once per run, not once per epoch
    n = Y.shape[0]  # the training rows (X has the validation rows too, after a validation_split)
    n_batches = -(-n // plan.batch_size)
    callers_errstate = np.geterr()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(first, plan.epochs + 1):
            if plan.schedule is not None:
                optimizer.lr = plan.schedule(epoch, lr0)
            if progress is None:
                order = net.rng.permutation(n) if plan.shuffle else None
            else:  # the epoch a signal stopped: the order it had, the weights it started from
                order = progress.order
                for view, kept in zip(watch.kept[1], progress.kept):
                    np.copyto(view, kept)
            watch.start_epoch(epoch, history)
            if trainer is None:
                result = reference_epoch(net, X, Y, plan.batch_size, optimizer, order, plan.w, watch.batch,
                                         progress, interrupt, plan.rows)
            else:
                result = _fast_epoch(net, trainer, plan, order, target_classes, watch, progress, interrupt)
            if isinstance(result, EpochProgress):
                result.epoch, result.order = epoch, order
                saver.save(net, plan, history, epoch - 1, None, stopper, watch, result)
                raise saver.interrupted(epoch, result.rows // plan.batch_size, n_batches)
            progress = None
            loss, score = result[:2]
            last = watch.last_loss if trainer is None else result[2]
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
            ended = ("early_stopping" if patience_over else "callback" if stop_requested
                     else "epochs" if epoch == plan.epochs else None)
            if saver is not None and (ended or interrupt.requested or epoch % saver.every == 0):
                saver.save(net, plan, history, epoch, ended, stopper, watch)
                if interrupt.requested and not ended:
                    raise saver.interrupted(epoch, n_batches, n_batches)
            if ended in ("early_stopping", "callback"):
                break
    if stopper is not None:
        stopper.restore(net.parameters())
    return history, stop_requested


def _resumed(run, plan, stopper, watch):
    """Set ``stopper`` and ``watch`` as the checkpoint's ``run`` left them; return ``(history, first epoch,
    EpochProgress or None, stopped by a callback)``."""
    if stopper is not None and run.stopper is not None:
        stopper.best, stopper.best_epoch, stopper.waited = (run.stopper[k] for k in ("best", "best_epoch", "waited"))
        stopper.best_params = run.best_params
    watch.start, watch.limit = run.watch
    if run.ended in ("early_stopping", "callback"):  # it is over: nothing more to train
        return run.history, plan.epochs + 1, None, run.ended == "callback"
    if run.progress is None:
        return run.history, run.epoch + 1, None, False
    arrays = run.progress_arrays
    progress = EpochProgress(
        epoch=run.progress["epoch"], order=arrays.get("order"), rows=run.progress["rows"],
        losses=[float(v) for v in arrays.get("losses", ())], correct=run.progress["correct"],
        outputs=[arrays["outputs"]] if "outputs" in arrays else [], Yhat=arrays.get("Yhat"),
        logits=arrays.get("logits"), kept=run.kept,
    )
    return run.history, progress.epoch, progress, False


class _Saver:
    """Writes ``fit``'s checkpoints (``glassnet.checkpoint``) and holds the signal catcher of the run."""

    def __init__(self, path, every, settings, fingerprint, rng_start):
        self.path, self.every, self.settings, self.fingerprint, self.rng_start = (
            path, every, settings, fingerprint, rng_start)
        self.interrupt = checkpoints.Interrupt()
        self.restart, self.restart_params = None, None  # with restarts: which run, and the best so far

    def save(self, net, plan, history, epoch, ended, stopper, watch, progress=None):
        """Write the run as it stands after ``epoch`` epochs (and ``progress`` into the next one)."""
        optimizer = plan.optimizer
        run = checkpoints.Run(
            settings=self.settings, fingerprint=self.fingerprint, rng_start=self.rng_start,
            rng=checkpoints.rng_state(net.rng), epoch=epoch, history=history, ended=ended,
            optimizer_steps=optimizer.steps, optimizer_state=optimizer.state, watch=(watch.start, watch.limit),
            restart=self.restart, restart_params=self.restart_params,
        )
        if stopper is not None and stopper.best_epoch is not None:
            run.stopper = {"best": stopper.best, "best_epoch": stopper.best_epoch, "waited": stopper.waited}
            run.best_params = stopper.best_params
        if progress is not None:
            run.progress = {"epoch": progress.epoch, "rows": progress.rows, "correct": progress.correct}
            arrays = {"order": progress.order, "Yhat": progress.Yhat, "logits": progress.logits,
                      "losses": np.array(progress.losses, dtype=np.float64) if progress.losses else None,
                      "outputs": np.concatenate(progress.outputs) if progress.outputs else None}
            run.progress_arrays = {k: v for k, v in arrays.items() if v is not None}
            run.kept = watch.kept[1]
        checkpoints.write(self.path, net, run)

    def interrupted(self, epoch, batch, n_batches):
        self.interrupt.handled = True
        return checkpoints.TrainingInterrupted(self.path, epoch, batch, n_batches, self.interrupt.signum)


def _shapes(arrays) -> str:
    """``"float64 (15, 3), ..."``: the dtype and shape of each array; an ``(X, rows)`` pair is the rows of X."""
    def shape(a):
        if isinstance(a, tuple):  # the training rows of X, after a validation_split
            X, rows = a
            return f"{X.dtype.name} {(len(rows), *X.shape[1:])}"
        return f"{a.dtype.name} {a.shape}"
    return ", ".join(shape(a) for a in arrays if a is not None)


def _fast_epoch(net, trainer, plan, order, target_classes, watch, progress=None, interrupt=None):
    """One epoch of ``trainer``; returns ``(loss, accuracy or r2, last batch's loss)``.

    Every batch's loss, computed from the epoch's outputs, goes to
    ``watch.batches``. Goes on from ``progress`` when given, and returns an
    ``EpochProgress`` when ``interrupt`` stopped it (see ``reference_epoch``).
    """
    X, Y, n = plan.X, plan.Y, plan.Y.shape[0]
    start = 0
    if progress is not None:
        start = progress.rows
        Yhat, _, logits = trainer.epoch_arrays(Y)
        Yhat[:start] = progress.Yhat
        if logits is not None:
            logits[:start] = progress.logits
    Yhat, Y_epoch = trainer.epoch(X, Y, order, plan.w, start, interrupt, plan.rows)
    rows = trainer.rows_done
    w = plan.w if plan.w is None or order is None else plan.w[order]
    logits = trainer.logits
    if rows < n:  # stopped by a signal: check the batches done, keep what they measured
        Yhat, Y_epoch, w = Yhat[:rows], Y_epoch[:rows], None if w is None else w[:rows]
        logits = None if logits is None else logits[:rows]
        if rows:
            watch.batches(_batch_losses(net, plan, Yhat, Y_epoch, logits, w))
        return EpochProgress(rows=rows, Yhat=Yhat, logits=logits)
    losses = _batch_losses(net, plan, Yhat, Y_epoch, logits, w)
    watch.batches(losses)
    if target_classes is None:  # regression
        score = regression_scores(Y_epoch, Yhat, w, check=False)["r2"]
    else:
        hits = classes(Yhat) == (target_classes if order is None else target_classes[order])
        score = int(hits.sum()) / n if w is None else weighted_mean(hits, w.astype(np.float64))
    return float(np.mean(losses)), score, float(losses[-1])


def _batch_losses(net, plan, Yhat, Y, logits, w):
    """Each batch's loss from the epoch's outputs (from the logits where the loss is computed from them)."""
    per_sample = net.loss.per_sample(Yhat, Y) if logits is None else net.loss.from_logits(logits, Y)
    return batch_losses(per_sample, plan.batch_size, w)


def _validate(net, Xv, Yv, wv):
    """``(val_loss, val_accuracy or val_r2)`` of the network on the validation rows."""
    Yhat = net.forward(Xv, check=False)
    val_loss = net.loss.output_value(net.layers[-1], Yv, wv)
    if net.is_regression:
        return val_loss, regression_scores(Yv, Yhat, wv, check=False)["r2"]
    if wv is None:
        return val_loss, n_correct(Yhat, Yv) / len(Yhat)
    return val_loss, weighted_mean(classes(Yhat) == classes(Yv), wv.astype(np.float64))


def _best_of(net, restarts, plan, lr0, dtype, resume=None):
    """Train ``restarts`` runs from derived seeds; keep the weights and history of the best.

    ``resume``: a checkpoint's ``Run`` to go on from (it says which run it was in, and the best before it).
    """
    seeds = [int(s) for s in np.random.SeedSequence(net.seed).generate_state(restarts)]
    scores, best, first = [], None, 0  # best: (score, history, copies of the parameters)
    if resume is not None and resume.restart is not None:
        first, scores = resume.restart["index"], list(resume.restart["scores"])
        if resume.restart_params is not None:
            best = (resume.restart["best_score"], resume.restart["best_history"], resume.restart_params)
    for k in range(first, restarts):
        going_on = resume is not None and k == first
        if not going_on:
            net.initialize(seeds[k])
            net.cast(dtype)
            plan.optimizer.reset()
        if plan.saver is not None:
            plan.saver.restart = {"index": k, "scores": scores, "best_score": None if best is None else best[0],
                                  "best_history": None if best is None else best[1]}
            plan.saver.restart_params = None if best is None else best[2]
        history, stopped = _run(net, plan, lr0, restart=k, resume=resume if going_on else None)
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
