"""Learning-rate schedules: the learning rate as a function of the epoch.

A schedule is called as ``schedule(epoch, lr0)`` with ``epoch`` counting from 1
and ``lr0`` the optimizer's learning rate when ``fit`` was called; it returns
the rate for that epoch. ``Network.fit(..., schedule=...)`` sets
``optimizer.lr`` to it at the start of every epoch (optimizers read ``lr`` at
each step, so nothing else changes), records it in ``History.lr`` and puts
``lr0`` back when training ends.

======================  =================================  ==========================
schedule                rate in epoch ``e``                as a name or config dict
======================  =================================  ==========================
``ConstantLR()``        ``lr0``                            ``"constant"``
``StepDecay(f, k)``     ``lr0 * f ** ((e - 1) // k)``      ``{"name": "step", "factor": f, "every": k}``
``ExponentialDecay(r)`` ``lr0 * r ** (e - 1)``             ``{"name": "exponential", "rate": r}``
======================  =================================  ==========================

Step decay multiplies the rate by ``factor`` after every ``every`` epochs (a
staircase); exponential decay multiplies it by ``rate`` after every epoch.
"""

from __future__ import annotations

from glassnet.checks import positive_number
from glassnet.memory import check_affordable
from glassnet.registry import Configurable, Registry


def _decay(name, value):
    """A decay multiplier in ``(0, 1]``."""
    value = positive_number(name, value)
    if value > 1:
        raise ValueError(f"{name} must be in (0, 1] (a decay), got {value!r}")
    return value


class Schedule(Configurable):
    """Base class: ``schedule(epoch, lr0) -> lr``."""

    kind = "schedule"
    # constructor arguments, in the order config() and repr() list them
    settings: tuple[str, ...] = ()

    def __call__(self, epoch, lr0) -> float:
        epoch = positive_number("epoch", epoch, integer=True)
        return self.lr_at(epoch, positive_number("lr0", lr0))

    def lr_at(self, epoch: int, lr0: float) -> float:
        """The rate of ``epoch`` (trusted: an int >= 1) for starting rate ``lr0``."""
        raise NotImplementedError

    def rates(self, epochs, lr0) -> list:
        """The learning rates of epochs ``1..epochs``."""
        epochs = positive_number("epochs", epochs, integer=True)
        check_affordable(f"a list of the rates of {epochs:,} epochs", 32.0 * epochs, "ask for fewer epochs")
        return [self(epoch, lr0) for epoch in range(1, epochs + 1)]

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.settings)})"


class ConstantLR(Schedule):
    """The same rate every epoch (what ``fit`` does without a schedule, but recorded)."""

    name = "constant"

    def lr_at(self, epoch, lr0):
        return lr0


class StepDecay(Schedule):
    """Multiply the rate by ``factor`` every ``every`` epochs.

    Parameters
    ----------
    factor : float
        In ``(0, 1]``, e.g. 0.5 halves the rate.
    every : int
        Number of epochs between two decays, >= 1.

    Examples
    --------
    >>> StepDecay(0.5, every=2).rates(5, lr0=0.4)
    [0.4, 0.4, 0.2, 0.2, 0.1]
    """

    name = "step"
    settings = ("factor", "every")

    def __init__(self, factor=0.5, every=10):
        self.factor = _decay("factor", factor)
        self.every = positive_number("every", every, integer=True)

    def lr_at(self, epoch, lr0):
        return lr0 * self.factor ** ((epoch - 1) // self.every)


class ExponentialDecay(Schedule):
    """Multiply the rate by ``rate`` after every epoch.

    Parameters
    ----------
    rate : float
        In ``(0, 1]``, e.g. 0.9 loses a tenth of the step size per epoch.

    Examples
    --------
    >>> ExponentialDecay(0.5).rates(3, lr0=1.0)
    [1.0, 0.5, 0.25]
    """

    name = "exponential"
    settings = ("rate",)

    def __init__(self, rate=0.95):
        self.rate = _decay("rate", rate)

    def lr_at(self, epoch, lr0):
        return lr0 * self.rate ** (epoch - 1)


SCHEDULES = Registry("schedule", Schedule)
for _cls in (ConstantLR, StepDecay, ExponentialDecay):
    SCHEDULES.add(_cls)


def get_schedule(spec) -> Schedule:
    """Turn a schedule, a name (default settings) or a ``config()`` dict into a schedule.

    Examples
    --------
    >>> get_schedule({"name": "step", "factor": 0.1, "every": 30})
    StepDecay(factor=0.1, every=30)
    """
    return SCHEDULES.build(spec)
