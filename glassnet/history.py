"""``History``: what ``Network.fit`` measured, epoch by epoch, and how the run ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch, and how the run ended.

    ``loss`` is reported as Keras reports it: the mean of the losses of the
    epoch's batches, each computed in its own forward pass, before its update
    (a short last batch counts as one batch). ``accuracy`` is the share of the
    epoch's samples that their batch's forward pass got right.
    ``val_loss``/``val_accuracy`` are measured on the validation data after
    the epoch's last update. When ``fit`` is given weights (``sample_weight``,
    ``class_weight``) every one of these is weighted: a batch's loss is its
    weighted mean ``sum w L / sum w`` (see ``glassnet.losses``) and an
    accuracy is the weighted share of right answers, ``sum w [right] / sum w``.
    ``lr`` is the learning rate of each epoch, recorded when ``fit`` was given
    a ``schedule``.

    A regression network (a linear output layer, ``Network.is_regression``)
    records ``r2`` and ``val_r2`` instead of ``accuracy`` and ``val_accuracy``,
    which stay empty. ``r2`` is the R² (``glassnet.metrics.regression_scores``)
    of all the epoch's outputs, each from its batch's forward pass before its
    update, against their targets; ``val_r2`` that of the validation data
    after the epoch's last update. Both are weighted when ``fit`` is.

    ``best_epoch`` (early stopping) is the epoch, counted from 1, whose weights
    ``fit`` restored. With ``restarts``, the history is the winning run's:
    ``restart`` is its index (from 0), ``restart_scores`` the monitored
    validation metric each run ended with and ``restart_seeds`` the seed each
    run was drawn from (``Network(layers, seed=s)`` starts exactly like it).
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    r2: list = field(default_factory=list)
    val_r2: list = field(default_factory=list)
    best_epoch: int | None = None
    restart: int | None = None
    restart_scores: list = field(default_factory=list)
    restart_seeds: list = field(default_factory=list)

    PER_EPOCH: ClassVar[tuple] = ("loss", "accuracy", "r2", "val_loss", "val_accuracy", "val_r2", "lr")

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def as_dict(self) -> dict:
        """The non-empty per-epoch lists (``PER_EPOCH``), by name."""
        return {k: list(getattr(self, k)) for k in self.PER_EPOCH if getattr(self, k)}

    def run_info(self) -> dict:
        """``best_epoch``, ``restart``, ``restart_scores``, ``restart_seeds``: those that are set."""
        info = {k: getattr(self, k) for k in ("best_epoch", "restart", "restart_scores", "restart_seeds")}
        return {k: v for k, v in info.items() if v is not None and v != []}

    def _repr_html_(self):  # Jupyter: the per-epoch numbers as a table (glassnet.report)
        from glassnet.report import history_html

        return history_html(self)

    def __repr__(self):
        last = {k: round(v[-1], 5) for k, v in self.as_dict().items()}
        extra = "".join(f", {k}={v}" for k, v in self.run_info().items() if k in ("best_epoch", "restart"))
        return f"History(epochs={self.epochs}, last={last}{extra})"


def mean_batch_loss(per_sample, batch_size, sample_weight=None) -> float:
    """An epoch's loss as Keras reports it: the mean over batches of each batch's mean loss.

    ``per_sample`` holds every sample's loss in the order the batches visited
    them; a short last batch counts as one batch, like the others. With
    ``sample_weight`` (in the same order) each batch's loss is its weighted
    mean ``sum w L / sum w`` (0 for a batch whose weights are all 0), as
    ``glassnet.losses`` defines it.
    """
    return float(np.mean(batch_losses(per_sample, batch_size, sample_weight)))


def batch_losses(per_sample, batch_size, sample_weight=None) -> np.ndarray:
    """Each batch's (weighted) mean loss, as float64, from every sample's loss: see ``mean_batch_loss``."""
    starts = np.arange(0, len(per_sample), min(batch_size, max(len(per_sample), 1)))  # 2**64 is one batch too
    per_sample = np.asarray(per_sample, dtype=np.float64)
    if sample_weight is None:
        sums = np.add.reduceat(per_sample, starts)
        sizes = np.diff(np.append(starts, len(per_sample)))
        return sums / sizes
    w = np.asarray(sample_weight, dtype=np.float64)
    sums, totals = np.add.reduceat(w * per_sample, starts), np.add.reduceat(w, starts)
    return np.divide(sums, totals, out=np.zeros_like(sums), where=totals > 0)
