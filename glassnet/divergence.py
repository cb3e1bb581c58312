"""Divergence: the rule that stops a training run whose loss or weights stop being finite, or whose loss explodes.

``fit`` builds one ``Divergence`` per run; it keeps the weights to go back to
and raises ``TrainingDiverged`` with a one-line diagnosis.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet.checks import all_finite
from glassnet.memory import row_blocks


class TrainingDiverged(ValueError):
    """Raised by ``fit`` when training diverges: a loss or a weight stopped being finite, or the loss exploded.

    ``Divergence`` states the rule. By the time it is raised the network holds
    the weights it had at the start of the epoch that diverged (the last
    weights known to be finite) and the optimizer has been ``reset()``, since
    its momentum or moments hold the steps that blew up. The message is one
    line naming the epoch, the batch, the loss and the likely cause.

    Attributes
    ----------
    epoch, batch : int
        Where it was noticed, both counted from 1 (``batch`` is the epoch's
        last batch when a weight or the validation loss gave it away).
    loss : float
        The loss that gave it away (NaN, inf or exploded), or the last batch's
        loss when a weight did.
    lr : float or None
        The optimizer's learning rate at that epoch (None if it has none).
    history : History
        The epochs that finished before it.
    """

    def __init__(self, message, epoch=None, batch=None, loss=None, lr=None, history=None):
        super().__init__(message)
        self.epoch, self.batch, self.loss, self.lr, self.history = epoch, batch, loss, lr, history


class Divergence:
    """Watches one training run for divergence and keeps the weights to go back to.

    The rule. Training has diverged when

    * a batch's loss (measured in its forward pass, before its update) is NaN
      or infinite;
    * a batch's loss is more than ``EXPLODES`` (1,000) times the run's starting
      scale: the larger of the first batch's loss and the loss that always
      guessing the mean target gets on its worst training row (cross entropy:
      the class frequencies; squared error: the mean; the floor keeps a run
      that starts from already trained weights, with a tiny first loss, from
      being flagged for ordinary noise);
    * after an epoch, a weight or bias is NaN or infinite, or the validation
      loss is.

    Losses that fall, wobble or stall never trigger it: it only looks upward,
    by three orders of magnitude. The cross entropies are computed from the
    logits (``glassnet.losses``), so an exploding network shows in its loss
    instead of hiding behind a clipped probability.

    The readable loop checks every batch as it goes and stops at once; the fast
    loop computes its losses once per epoch and checks them when the epoch
    ends. Both report the same epoch and batch and restore the same weights:
    those the diverged epoch started from (as the previous epoch left them,
    before the callbacks ran), the last ones known to be finite. Keeping them
    costs one copy of the parameters per epoch.
    """

    EXPLODES = 1e3

    def __init__(self, net, plan):
        self.net, self.plan, self.history = net, plan, None
        self.params = net.parameters()
        self.names = [f"layers[{l}].{k}" for l, layer in enumerate(net.layers) for k in ("W", "b")
                      if k == "W" or layer.bias]
        # Two flat copies of all the parameters, each also seen as one view per parameter: the weights to go
        # back to (those the current epoch started from) and a spare that the end of the epoch fills and checks
        # with a single call, then swaps in. A full batch epoch is a few microseconds: one check, not one per array.
        size, dtype = sum(p.size for p in self.params), np.result_type(*self.params)
        self.kept, self.spare = (self._views(np.empty(size, dtype)) for _ in range(2))
        if not self._store(self.kept):
            bad = self._first_bad()
            raise ValueError(f"{self.names[bad]} holds {_nonfinite(self.params[bad])} values before training; "
                             "the weights must be finite (initialize the network again or load a good model)")
        Y = plan.Y
        guess = np.broadcast_to(Y.mean(axis=0), Y.shape)  # the best constant guess, one row for all
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.floor = float(net.loss.per_sample(guess, Y).max())
        self.start = self.limit = None  # the first batch's loss, and EXPLODES times the starting scale
        self.epoch, self.last_loss = 0, None

    def _views(self, flat):
        views, at = [], 0
        for p in self.params:
            views.append(flat[at : at + p.size].reshape(p.shape))
            at += p.size
        return flat, views

    def _store(self, copy) -> bool:
        """Copy the parameters into ``copy`` (flat array, views); whether they are all finite."""
        flat, views = copy
        for view, p in zip(views, self.params):
            np.copyto(view, p)
        return all_finite(flat) or bool(np.isfinite(flat).all())

    def start_epoch(self, epoch, history):
        """Note the epoch (from 1) and the history so far; the weights it starts from are kept already."""
        self.epoch, self.history = epoch, history

    def batch(self, batch, loss):
        """Check the loss of the epoch's ``batch`` (from 1); raises ``TrainingDiverged`` when it has diverged."""
        self.last_loss = loss
        if self.limit is None:
            self.start = loss
            self.limit = self.EXPLODES * max(loss, self.floor)
        if not loss <= self.limit:  # NaN fails every comparison
            self.fail(batch, loss, self._what(loss))

    def batches(self, losses):
        """``batch`` for every loss of an epoch at once (the fast loop's check): one ``max`` when all is well."""
        if self.limit is None:
            self.batch(1, float(losses[0]))
        if not losses.max() <= self.limit:  # the max of an array with a NaN is NaN
            bad = int(np.flatnonzero(~(losses <= self.limit))[0])
            self.batch(bad + 1, float(losses[bad]))

    def end_epoch(self, n_batches, last_loss, val_loss=None):
        """After the epoch's ``n_batches``: the weights and the validation loss must be finite.

        If they are, the weights are kept as those the next epoch starts from.
        """
        if not self._store(self.spare):
            bad = self._first_bad()
            what = f"{self.names[bad]} holds {_nonfinite(self.params[bad])} values while the loss is {last_loss:.4g}"
            self.fail(n_batches, last_loss, what)
        if val_loss is not None and not math.isfinite(val_loss):
            self.fail(n_batches, val_loss, f"the validation loss became {_number(val_loss)}", self.plan.val[0])
        self.kept, self.spare = self.spare, self.kept

    def fail(self, batch, loss, what, X=None):
        """Restore the epoch's starting weights, reset the optimizer and raise ``TrainingDiverged``.

        ``X``: the inputs whose scale the message reports (default: the training inputs).
        """
        for kept, p in zip(self.kept[1], self.params):
            p[...] = kept
        optimizer = self.plan.optimizer
        if callable(getattr(optimizer, "reset", None)):
            optimizer.reset()
        lr = getattr(optimizer, "lr", None)
        lr = lr if isinstance(lr, numbers.Real) and lr > 0 else None
        if X is None:  # the training inputs: after a validation_split, only the rows of X that train
            largest, inputs = _largest(self.plan.X, self.plan.rows), "inputs"
        else:
            largest, inputs = _largest(X), "validation inputs"
        cause = self._cause(lr, largest, inputs)
        raise TrainingDiverged(f"training diverged at epoch {self.epoch}, batch {batch}: {what}; {cause}",
                               self.epoch, batch, loss, lr, self.history)

    def _what(self, loss):
        start = self.start
        start = "" if start is None or not math.isfinite(start) else f" (it was {start:.4g} at the start)"
        if not math.isfinite(loss):
            return f"the loss became {_number(loss)}" + start
        return f"the loss reached {loss:.4g}, over {self.EXPLODES:,.0f} times its starting scale{start}"

    def _cause(self, lr, largest, inputs):
        optimizer = self.plan.optimizer
        if lr is None:
            step = "the optimizer's steps are probably too large"
        else:  # a power of ten below lr, and no more than the optimizer's usual rate
            usual = 0.001 if getattr(optimizer, "name", None) == "adam" else 0.1
            try_lr = min(10.0 ** (math.floor(math.log10(lr)) - 1), usual)
            step = f"the learning rate {lr:g} is probably too large: try {try_lr:g} or lower"
        if largest > 1e3:
            step += (f"; the {inputs} are not scaled (the largest |X| is {largest:.3g}): scale them, "
                     "e.g. with glassnet.preprocessing.Standardize")
        return step

    def _first_bad(self) -> int:
        """The index of the first parameter with a NaN or an infinity (the flat check found one)."""
        return next(i for i, p in enumerate(self.params) if not np.isfinite(p).all())


def _largest(X, rows=None) -> float:
    """The largest ``|x|`` of ``X`` (of its ``rows`` when given, read a block at a time: no copy of them)."""
    parts = [X] if rows is None else row_blocks(X, rows)
    return max((float(np.abs(part).max()) for part in parts if part.size), default=0.0)


def _number(x) -> str:
    return "NaN" if x != x else ("inf" if x > 0 else "-inf")


def _nonfinite(p) -> str:
    """What non-finite values ``p`` holds: ``"NaN"``, ``"infinite"`` or ``"NaN and infinite"``."""
    kinds = [k for k, present in (("NaN", np.isnan(p).any()), ("infinite", np.isinf(p).any())) if present]
    return " and ".join(kinds)
