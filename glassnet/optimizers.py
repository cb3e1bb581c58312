"""Optimizers: rules that turn gradients into parameter updates.

An optimizer knows only lists of parameter arrays and their gradients; it never
sees the network, and the network never sees its state. ``step(params, grads)``
updates the parameters in place. Whatever an optimizer remembers between steps
(momentum velocities, Adam's moments, the step count) lives in the optimizer,
keyed by the parameter's position in the list, so the same optimizer must be
given the parameters in the same order every step (``Network.parameters()``
does that); ``reset()`` forgets it all.

Weight decay (``weight_decay > 0``) is L2 regularisation added to the gradient,
``g + weight_decay * W``, for *weights only*: parameters with two or more
dimensions. Biases (1-D parameters) are not decayed, because shrinking a bias
towards 0 does not make the function any smoother; it only shifts it.
"""

from __future__ import annotations

import inspect

import numpy as np

from glassnet.checks import describe, flag, positive_number
from glassnet.registry import Configurable, Registry, settings_of


def _fraction(name, value):
    """A number in ``[0, 1)``, such as a momentum or a decay rate."""
    value = positive_number(name, value, allow_zero=True)
    if value >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def _check_pairs(params, grads):
    """A TypeError or ValueError, naming the argument, unless ``params`` and ``grads`` are lists of arrays that
    pair up: float parameters, numeric gradients of the same shapes."""
    for name, value, source in (("params", params, "parameters"), ("grads", grads, "gradients")):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a list of arrays (as Network.{source}() gives), got {describe(value)}")
    if len(params) != len(grads):
        raise ValueError(f"params has {len(params)} arrays but grads has {len(grads)}; give one gradient per parameter")
    for i, (p, g) in enumerate(zip(params, grads)):
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(f"params[{i}] must be a float array (it is updated in place), got {describe(p)}")
        if not isinstance(g, np.ndarray) or g.dtype.kind not in "biuf":
            raise TypeError(f"grads[{i}] must be a numeric array, got {describe(g)}")
        if g.shape != p.shape:
            raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}; they must match")


class Optimizer(Configurable):
    """Base class: a learning rate, optional weight decay and per-parameter state.

    Subclasses implement ``_update(i, p, g)``, the in-place update of parameter
    number ``i`` given its (already decayed) gradient ``g``.
    """

    kind = "optimizer"
    # constructor arguments, in the order config() and repr() list them
    settings: tuple[str, ...] = ("lr", "weight_decay")
    # the per-parameter arrays this optimizer remembers between steps (its state), and those of them
    # that can never be negative
    buffers: tuple[str, ...] = ()
    nonnegative: tuple[str, ...] = ()

    def __init__(self, lr, weight_decay=0.0):
        self.lr = positive_number("lr", lr)
        self.weight_decay = positive_number("weight_decay", weight_decay, allow_zero=True)
        self.reset()

    def reset(self):
        """Forget everything learnt from past steps (velocities, moments, step count)."""
        self.state = {}
        self.steps = 0
        self.scratch = {}  # working memory of each parameter's update, not state

    def step(self, params, grads):
        """Update every array in ``params`` in place from the matching array in ``grads``.

        ``params`` is a list (or tuple) of float arrays, such as
        ``Network.parameters()``; ``grads`` one array of the same shape for
        each, such as ``Network.gradients()``.
        """
        _check_pairs(params, grads)
        self.steps += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.weight_decay and p.ndim >= 2:
                g = g + self.weight_decay * p
            self._update(i, p, g)

    def fold_step(self):
        """Hand one plain update ``p -= lr * g`` over to the caller, if that is this optimizer's whole rule.

        Returns ``lr``, and counts the step as ``step`` would, when the update
        of every parameter is exactly ``p -= lr * g``: a fast training loop can
        then scale back-propagation by ``lr`` and subtract the gradients inside
        its matrix products (``glassnet.fastpath``). Returns None otherwise and
        counts nothing: the caller computes the gradients and calls ``step``.
        """
        return None

    def _buffers(self, i, p):
        """The state arrays of parameter ``i`` (``self.buffers``), created as zeros on first use."""
        slot = self.state.get(i)
        if slot is None:
            slot = self.state[i] = {n: np.zeros_like(p) for n in self.buffers}
            return slot
        for n, value in slot.items():
            if value.shape != p.shape:
                raise ValueError(
                    f"parameter {i} has shape {p.shape} but this optimizer's state was built for "
                    f"{value.shape}; call reset() before using it on another network"
                )
            if value.dtype != p.dtype:  # fit() may switch the parameters between float64 and float32
                slot[n] = value.astype(p.dtype)
        return slot

    def _work(self, i, p):
        """A scratch array like parameter ``i``, reused from step to step."""
        work = self.scratch.get(i)
        if work is None or work.shape != p.shape or work.dtype != p.dtype:
            work = self.scratch[i] = np.empty_like(p)
        return work

    def config(self) -> dict:
        """The optimizer as plain data: its settings and, once it has stepped, its state.

        The state is ``steps`` and ``state``, a list with, for each parameter
        position, its buffers as nested lists (or None), so that
        ``from_config(config())`` continues exactly where this one is.
        """
        config = super().config()
        if self.steps:
            n = max(self.state, default=-1) + 1
            slots = [self.state.get(i) for i in range(n)]
            config["steps"] = self.steps
            config["state"] = [None if s is None else {k: v.tolist() for k, v in s.items()} for s in slots]
        return config

    @classmethod
    def from_config(cls, config):
        optimizer = cls(**settings_of(cls, config, extra=("steps", "state")))
        steps = config.get("steps", 0)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"optimizer steps must be a whole number >= 0, got {describe(steps)}")
        slots = config.get("state", [])
        if not isinstance(slots, list) or not all(s is None or isinstance(s, dict) for s in slots):
            raise TypeError(f"optimizer state must be a list of dicts or None, got {describe(slots)}")
        if steps == 0 and any(s is not None for s in slots):
            raise ValueError("optimizer state was given for an optimizer that has taken no steps (steps is 0)")
        optimizer.steps = steps
        optimizer.state = {i: cls._state_slot(i, slot) for i, slot in enumerate(slots) if slot is not None}
        return optimizer

    @classmethod
    def _state_slot(cls, i, slot):
        """Parameter ``i``'s state from its config: exactly ``buffers``, finite, one shape."""
        if sorted(slot) != sorted(cls.buffers):
            raise ValueError(f"{cls.name} state[{i}] must hold {list(cls.buffers)}, got {sorted(map(str, slot))}")
        arrays = {}
        for name, value in slot.items():
            try:
                array = np.array(value, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{cls.name} state[{i}][{name!r}] must be numbers, got {describe(value)}") from exc
            if array.ndim not in (1, 2):
                raise ValueError(f"{cls.name} state[{i}][{name!r}] must be a 1-D or 2-D array, got shape {array.shape}")
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{cls.name} state[{i}][{name!r}] must hold finite numbers, got a null, NaN or inf")
            if name in cls.nonnegative and np.any(array < 0):
                raise ValueError(f"{cls.name} state[{i}][{name!r}] must be >= 0 (a mean of squares)")
            arrays[name] = array
        if len({a.shape for a in arrays.values()}) > 1:
            shapes = {name: a.shape for name, a in arrays.items()}
            raise ValueError(f"{cls.name} state[{i}] arrays must have one shape, got {shapes}")
        return arrays

    def __repr__(self):
        # lr always, the other settings only where they differ from the defaults
        defaults = inspect.signature(type(self)).parameters
        shown = [k for k in self.settings if k == "lr" or getattr(self, k) != defaults[k].default]
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in shown)})"


class SGD(Optimizer):
    """Gradient descent, optionally with momentum, Nesterov momentum and weight decay.

    With ``g`` the gradient (plus ``weight_decay * W`` for weights)::

        plain:     p -= lr * g
        momentum:  v = momentum * v + g;  p -= lr * v
        nesterov:  v = momentum * v + g;  p -= lr * (g + momentum * v)

    This is the convention of PyTorch's ``SGD`` (the velocity ``v`` does not
    include the learning rate, so changing ``lr`` mid-training rescales the
    whole step at once).

    Parameters
    ----------
    lr : float
        The learning rate (step size), > 0.
    momentum : float
        In ``[0, 1)``; 0 is plain gradient descent.
    nesterov : bool
        Use Nesterov's look-ahead form; needs ``momentum > 0``.
    weight_decay : float
        L2 coefficient (>= 0) added to weight gradients, not to biases.

    Examples
    --------
    >>> opt = SGD(0.5)
    >>> W = np.array([[1.0, 2.0]])
    >>> opt.step([W], [np.array([[0.2, -0.4]])])
    >>> W
    array([[0.9, 2.2]])
    """

    name = "sgd"
    settings = ("lr", "momentum", "nesterov", "weight_decay")
    buffers = ("v",)

    def __init__(self, lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = _fraction("momentum", momentum)
        nesterov = flag("nesterov", nesterov)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0.0")
        self.nesterov = nesterov

    @property
    def is_plain(self) -> bool:
        """True for ``p -= lr * g`` with no momentum and no weight decay."""
        return self.momentum == 0 and self.weight_decay == 0

    def fold_step(self):
        # A subclass with a rule of its own (its own step or _update) is never folded.
        sgd_rule = type(self).step is SGD.step and type(self)._update is SGD._update
        if not (sgd_rule and self.is_plain):
            return None
        self.steps += 1
        return self.lr

    def _update(self, i, p, g):
        if self.momentum == 0:
            p -= self.lr * g
            return
        v = self._buffers(i, p)["v"]
        v *= self.momentum
        v += g
        if self.nesterov:
            p -= self.lr * (g + self.momentum * v)
        else:
            p -= self.lr * v


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's mean and spread.

    With ``g`` the gradient (plus ``weight_decay * W`` for weights, i.e. L2
    decay added to the gradient, not the decoupled "AdamW" form) and ``t`` the
    number of steps taken so far, including this one::

        m = beta1 * m + (1 - beta1) * g          running mean of g
        s = beta2 * s + (1 - beta2) * g**2       running mean of g**2
        m_hat = m / (1 - beta1**t)               bias corrections: m and s start
        s_hat = s / (1 - beta2**t)               at 0 and would be too small early
        p -= lr * m_hat / (sqrt(s_hat) + eps)

    On the first step ``m_hat = g`` and ``s_hat = g**2``, so every entry moves by
    about ``lr`` against the sign of its gradient: ``-lr * g / (|g| + eps)``.

    Parameters
    ----------
    lr : float
        The step size, > 0.
    beta1, beta2 : float
        Decay rates of the two running means, in ``[0, 1)``.
    eps : float
        Added to the denominator, > 0, so a zero gradient does not divide by 0.
    weight_decay : float
        L2 coefficient (>= 0) added to weight gradients, not to biases.
    """

    name = "adam"
    settings = ("lr", "beta1", "beta2", "eps", "weight_decay")
    buffers = ("m", "s")
    nonnegative = ("s",)

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1 = _fraction("beta1", beta1)
        self.beta2 = _fraction("beta2", beta2)
        self.eps = positive_number("eps", eps)

    def _update(self, i, p, g):
        slot = self._buffers(i, p)
        m, s, work = slot["m"], slot["s"], self._work(i, p)
        m *= self.beta1
        m += (1 - self.beta1) * g
        s *= self.beta2
        np.multiply(g, g, out=work)
        work *= 1 - self.beta2
        s += work
        # work = sqrt(s_hat) + eps, then the step lr * m_hat / work
        np.sqrt(s, out=work)
        work /= np.sqrt(1 - self.beta2**self.steps)
        work += self.eps
        np.divide(m, work, out=work)
        work *= self.lr / (1 - self.beta1**self.steps)
        p -= work


OPTIMIZERS = Registry("optimizer", Optimizer)
OPTIMIZERS.add(SGD)
OPTIMIZERS.add(Adam)


def optimizer_or_lr(optimizer, lr, default_lr=0.1):
    """The optimizer a training call was given: ``optimizer``, or ``SGD(lr)``, never both.

    With neither, plain SGD at ``default_lr``. Anything with a
    ``step(params, grads)`` method is accepted as an optimizer.
    """
    if optimizer is not None and lr is not None:
        raise ValueError("give either optimizer or lr, not both")
    if optimizer is None:
        return SGD(default_lr if lr is None else lr)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step(params, grads) method, got {describe(optimizer)}")
    return optimizer


def get_optimizer(spec) -> Optimizer:
    """Build an optimizer from a name (default settings) or a ``config()`` dict.

    Examples
    --------
    >>> get_optimizer({"name": "sgd", "lr": 0.05, "momentum": 0.9})
    SGD(lr=0.05, momentum=0.9)
    """
    return OPTIMIZERS.build(spec)
