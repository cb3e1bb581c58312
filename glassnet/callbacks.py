"""Training control: stopping early and keeping the best weights.

``Network.fit`` calls every callback as ``callback(epoch, history)`` after each
epoch (``epoch`` counts from 1). A callback that wants training to end raises
``StopTraining``: the epoch that just finished is kept in the history, the
remaining callbacks of that epoch still run, and ``fit`` returns normally
(when early stopping is on, it still restores the best weights). A callback's
return value is ignored, so a lambda that happens to return something (a plot,
a list) never stops training by accident.

``EarlyStopping`` is what ``fit(..., early_stopping=patience)`` uses: it watches
a validation metric, copies the weights whenever the metric improves, and says
"stop" once ``patience`` epochs in a row have not improved it.
"""

from __future__ import annotations

from glassnet.checks import choice, positive_number

# metric name -> True when larger is better
MONITORS = {"val_loss": False, "val_accuracy": True, "val_r2": True}


class StopTraining(Exception):
    """Raise from a callback to end ``fit`` after the current epoch."""


def is_better(monitor, value, best) -> bool:
    """Whether ``value`` of metric ``monitor`` strictly improves on ``best`` (None: nothing yet)."""
    if value != value:  # NaN never improves anything
        return False
    if best is None:
        return True
    return value > best if MONITORS[monitor] else value < best


class EarlyStopping:
    """Track the best epoch of a validation metric and keep its weights.

    Parameters
    ----------
    patience : int
        Stop after this many epochs in a row without a strict improvement.
    monitor : str
        ``"val_loss"`` (lower is better), ``"val_accuracy"`` (higher is better)
        or, for a regression network, ``"val_r2"`` (higher is better).

    Attributes
    ----------
    best : float or None
        The best value seen so far.
    best_epoch : int or None
        The epoch (from 1) that reached it.
    best_params : list of ndarray or None
        Copies of the parameters at the end of ``best_epoch``.
    """

    def __init__(self, patience, monitor="val_loss"):
        self.patience = positive_number("early_stopping", patience, integer=True)
        self.monitor = choice("monitor", monitor, MONITORS)
        self.best = self.best_epoch = self.best_params = None
        self.waited = 0

    def update(self, epoch, history, params) -> bool:
        """Look at the last value of the metric in ``history``; return True to stop."""
        value = getattr(history, self.monitor)[-1]
        if is_better(self.monitor, value, self.best):
            self.best, self.best_epoch, self.waited = value, epoch, 0
            self.best_params = [p.copy() for p in params]
        else:
            self.waited += 1
        return self.waited >= self.patience

    def restore(self, params):
        """Copy the best epoch's values back into ``params`` (in place)."""
        if self.best_params is not None:
            for p, best in zip(params, self.best_params):
                p[...] = best

    def __repr__(self):
        return f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, best_epoch={self.best_epoch})"
