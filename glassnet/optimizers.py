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

Each rule is written twice. ``_update(i, p, g)`` is the readable form, the
textbook formulas one line each for one parameter; ``reference_step`` applies
it parameter by parameter. ``_update_all`` is the fused form that ``step``
uses: the same arithmetic on all the parameters at once, laid end to end in
one flat vector (with the gradients and the state in vectors laid out alike,
see ``_Flat``), so that a step is about a dozen NumPy calls whatever the
number of parameters, instead of a dozen per parameter (the idea of PyTorch's
"foreach" optimizers). The fused step does the readable one's operations in
the same order, and the tests check that it gives the same numbers bit for bit
(Adam's in float64: in float32 its readable expressions keep one float64
scalar's precision that the fused buffers round away, as Adam always has).

Adam has a third form, ``_update_blas``, which ``step`` takes where NumPy's
own BLAS can be called (``glassnet.blas``; ``GLASSNET_BLAS=numpy`` turns it
off) and the parameters number ``BLAS_FORM_SIZE`` or more: 7 passes instead
of 13, with BLAS's AXPBY updating each moment in one pass and its AXPY
(spread over OpenBLAS's threads) moving the parameters.
It folds the bias corrections into two scalars, so it equals the readable
rule to rounding (the tests: rtol 1e-12 in float64), not bit for bit.
"""

from __future__ import annotations

import ctypes
import functools
import inspect
import math
from operator import is_

import numpy as np

from glassnet import blas
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


def _check_state_shape(i, p, value):
    if value.shape != p.shape:
        raise ValueError(
            f"parameter {i} has shape {p.shape} but this optimizer's state was built for "
            f"{value.shape}; call reset() before using it on another network"
        )


# ---------------------------------------------------------------- flat vectors
def flat_vector(arrays):
    """``(vector, starts)`` when ``arrays`` lie end to end, in any order, in the memory of one array; else None.

    ``vector`` is the 1-D view of that memory they fill exactly and
    ``starts[i]`` the index in it where ``arrays[i]`` begins. Arrays made by
    ``lay_flat`` pass (``glassnet.fastpath`` keeps a network's parameters so).
    """
    base = arrays[0].base if arrays else None
    if not isinstance(base, np.ndarray) or not base.flags.c_contiguous:
        return None
    dtype, origin = base.dtype, base.__array_interface__["data"][0]
    spans = []
    for a in arrays:
        if a.base is not base or a.dtype != dtype or not a.flags.c_contiguous:
            return None
        spans.append(((a.__array_interface__["data"][0] - origin) // dtype.itemsize, a.size))
    at = first = min(spans)[0]
    for start, size in sorted(spans):
        if start != at:
            return None  # a gap or an overlap
        at += size
    return base.reshape(-1)[first:at], [start - first for start, _ in spans]


def lay_flat(arrays, weights_first=True):
    """A new flat vector holding copies of ``arrays`` end to end, and a view of it shaped like each of them.

    The vector has the first array's dtype. With ``weights_first`` the weights
    (arrays of two or more dimensions) come first, so that weight decay is one
    slice of the vector; otherwise the arrays keep their order (``[W1, b1, W2,
    ...]``: the fast training loop wants each ``b`` right after its ``W``).
    Returns ``(vector, views)``.
    """
    vector = np.empty(sum(a.size for a in arrays), arrays[0].dtype)
    views, at = [None] * len(arrays), 0
    order = range(len(arrays))
    for i in sorted(order, key=lambda i: arrays[i].ndim < 2) if weights_first else order:
        views[i] = vector[at : at + arrays[i].size].reshape(arrays[i].shape)
        np.copyto(views[i], arrays[i])
        at += arrays[i].size
    return vector, views


def _spans(starts, arrays, wanted):
    """The slices of the flat vector covered by the arrays for which ``wanted(array)`` holds, adjacent ones joined."""
    spans = []
    for start, a in sorted(zip(starts, arrays), key=lambda pair: pair[0]):
        if not wanted(a):
            continue
        if spans and spans[-1][1] == start:
            spans[-1][1] += a.size
        else:
            spans.append([start, start + a.size])
    return [slice(a, b) for a, b in spans]


@functools.cache
def _fusable(cls) -> bool:
    """Whether ``cls._update_all`` is the fused form of its ``_update``: the class that wrote either wrote both.

    A subclass with a rule of its own (its own ``_update``) is updated one
    parameter at a time by that rule.
    """
    for klass in cls.__mro__:
        mine = vars(klass)
        if "_update" in mine or "_update_all" in mine:
            return "_update" in mine and "_update_all" in mine
    return False


# The BLAS form of a rule saves passes but each of its calls costs more than a NumPy call on a short vector:
# below this many parameters (a network of a few thousand, where the passes take about as long as the calls)
# the fused NumPy form is as fast.
BLAS_FORM_SIZE = 8192


@functools.cache
def _blas_rule(cls) -> bool:
    """Whether ``cls._update_blas`` exists and is the BLAS form of its ``_update``: the same class wrote both."""
    for klass in cls.__mro__:
        if "_update" in vars(klass):
            return "_update_blas" in vars(klass)
    return False


def _address(array) -> int:
    return array.__array_interface__["data"][0]


class _Flat:
    """One optimizer's view of a list of parameters as flat vectors: the parameters, their gradients, its state.

    ``p`` is the parameters as one vector: where they lie end to end in one
    array already (``flat_vector``), their own memory; otherwise a vector of
    its own, into which they are copied before every update and out of which
    they are copied after it. Gradients laid out like the parameters are used
    where they are; others are copied into ``g``. ``state[name]`` is a vector
    per state buffer of the optimizer, and ``optimizer.state[i][name]`` is the
    view of it that belongs to parameter ``i``: the state stays readable,
    savable and restorable parameter by parameter. ``decayed`` and ``rest``
    are the slices of the weights (two or more dimensions) and of the others.
    """

    def __init__(self, params, names, state):
        self.params, self.state_dict = list(params), state
        found = flat_vector(params)
        if found is None:
            self.p, self.views = lay_flat(params)
            self.starts = flat_vector(self.views)[1]
        else:
            (self.p, self.starts), self.views = found, None
        size, dtype = self.p.size, self.p.dtype
        self.decayed = _spans(self.starts, params, lambda a: a.ndim >= 2)
        self.rest = _spans(self.starts, params, lambda a: a.ndim < 2)
        self.state = {}
        for name in names:
            vector = self.state[name] = np.zeros(size, dtype)
            for i, p in enumerate(params):
                slot = state.setdefault(i, {})
                view = vector[self.starts[i] : self.starts[i] + p.size].reshape(p.shape)
                value = slot.get(name)
                if value is not None:
                    _check_state_shape(i, p, value)
                    np.copyto(view, value, casting="unsafe")  # as astype: the state follows the parameters' dtype
                slot[name] = view
        self.grads, self.g_found = None, None  # the gradients last found laid out like the parameters
        self.g = self.g_views = None  # the vector gradients are copied into, made on first need
        self.work = np.empty(size, dtype)
        self.g_decayed = None  # the gradient plus weight decay, made on first need
        self.addresses = {}  # id(vector) -> (vector, its address as a ctypes pointer), for the BLAS form

    def holds(self, params, grads, state) -> bool:
        """Whether this layout fits ``params`` and ``grads`` (which ``step`` has not checked) and ``state``."""
        if state is not self.state_dict or len(params) != len(self.params) or len(grads) != len(params):
            return False
        if not all(map(is_, params, self.params)):
            return False
        if self.grads is not None and all(map(is_, grads, self.grads)):
            return True
        dtype = self.p.dtype
        return all(isinstance(g, np.ndarray) and g.dtype == dtype and g.shape == p.shape for g, p in zip(grads, params))

    def gradients(self, grads):
        """The gradients as one vector laid out like ``p``: their own memory if they are laid out so, else a copy."""
        if self.grads is not None and all(map(is_, grads, self.grads)):
            return self.g_found
        found = flat_vector(grads)
        if found is not None and found[1] == self.starts:
            self.grads, self.g_found = list(grads), found[0]
            return self.g_found
        if self.g is None:
            self.g = np.empty_like(self.p)
            self.g_views = [self.g[s : s + p.size].reshape(p.shape) for s, p in zip(self.starts, self.params)]
        for view, g in zip(self.g_views, grads):
            np.copyto(view, g)
        return self.g

    def with_decay(self, g, weight_decay):
        """``g + weight_decay * p`` for the weights, ``g`` for the others, in a vector of its own."""
        out = self.g_decayed
        if out is None:
            out = self.g_decayed = np.empty_like(self.p)
        p = self.p
        for part in self.decayed:
            np.multiply(p[part], weight_decay, out=out[part])
            np.add(g[part], out[part], out=out[part])
        for part in self.rest:
            np.copyto(out[part], g[part])
        return out

    def address(self, vector):
        """``vector``'s address as a ready ``ctypes`` pointer (looking one up costs a few microseconds).

        Kept by identity; the cache holds the vector, so its ``id`` is not
        reused while the entry lives. The vectors are this layout's own and
        the gradient vectors it is given, a handful.
        """
        found = self.addresses.get(id(vector))
        if found is None or found[0] is not vector:
            if len(self.addresses) > 16:
                self.addresses.clear()
            found = self.addresses[id(vector)] = (vector, ctypes.c_void_p(_address(vector)))
        return found[1]

    def update(self, optimizer, params, grads):
        """One step of ``optimizer``'s fused rule on all of ``params``."""
        g = self.gradients(grads)
        if self.views is not None:
            for view, p in zip(self.views, params):
                np.copyto(view, p)
        if optimizer.weight_decay and self.decayed:
            g = self.with_decay(g, optimizer.weight_decay)
        library = blas.load() if self.p.size >= BLAS_FORM_SIZE and _blas_rule(type(optimizer)) else None
        if library is not None and self.p.dtype in library.axpby:
            optimizer._update_blas(self.p, g, self.state, self.work, library, self.address)
        else:
            optimizer._update_all(self.p, g, self.state, self.work)
        if self.views is not None:
            for view, p in zip(self.views, params):
                np.copyto(p, view)


class Optimizer(Configurable):
    """Base class: a learning rate, optional weight decay and per-parameter state.

    Subclasses implement ``_update(i, p, g)``, the in-place update of parameter
    number ``i`` given its (already decayed) gradient ``g``, and may implement
    ``_update_all(p, g, state, work)``, the same rule on flat vectors (see the
    module's docstring); without it ``step`` goes one parameter at a time. A
    rule may also have ``_update_blas(p, g, state, work, blas, at)``, the fused
    rule with some of its passes done by BLAS routines (``glassnet.blas``),
    which ``step`` prefers where NumPy's BLAS can be called (``at(vector)`` gives a
    vector's address, ready for a BLAS call).
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
        self._flat = None  # the flat vectors of the fused update, laid out for the last parameters (_Flat)

    def __getstate__(self):
        # copy.deepcopy and pickle copy the state's views as arrays of their own: the copy lays out its
        # vectors again, from those arrays, at its first step
        return {**self.__dict__, "_flat": None}

    def step(self, params, grads):
        """Update every array in ``params`` in place from the matching array in ``grads``.

        ``params`` is a list (or tuple) of float arrays, such as
        ``Network.parameters()``; ``grads`` one array of the same shape for
        each, such as ``Network.gradients()``. All of them are updated at once
        by the fused rule when there is one and they share a dtype (see the
        module's docstring), else one by one as ``reference_step`` does.
        """
        flat = self._flat
        if flat is None or not flat.holds(params, grads, self.state):
            _check_pairs(params, grads)
            flat = self._flat = self._layout(params, grads)
        if flat is None:
            self.reference_step(params, grads)
            return
        self.steps += 1
        flat.update(self, params, grads)

    def reference_step(self, params, grads):
        """``step`` done the readable way: ``_update``, the rule's formulas, for one parameter after another."""
        _check_pairs(params, grads)
        self.steps += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.weight_decay and p.ndim >= 2:
                g = g + self.weight_decay * p
            self._update(i, p, g)

    def _layout(self, params, grads):
        """The ``_Flat`` of checked ``params`` and ``grads`` for the fused rule, or None where it does not apply."""
        if not params or not _fusable(type(self)):
            return None
        dtype = params[0].dtype
        if any(a.dtype != dtype for a in (*params, *grads)) or len(set(map(id, params))) < len(params):
            return None  # mixed dtypes round differently; an array given twice is updated twice
        return _Flat(params, self._state_names(), self.state)

    def _state_names(self):
        """The state buffers the rule keeps with the present settings."""
        return self.buffers

    def _flat_state(self, params):
        """The ``_Flat`` of ``params`` (checked when new), as ``step`` would lay it out, or None."""
        flat = self._flat
        held = flat is not None and flat.state_dict is self.state and len(flat.params) == len(params)
        if not (held and all(map(is_, params, flat.params))):
            _check_pairs(params, params)
            flat = self._flat = self._layout(params, params)
        return flat

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
            _check_state_shape(i, p, value)
            if value.dtype != p.dtype:  # fit() may switch the parameters between float64 and float32
                slot[n] = value.astype(p.dtype)
                self._flat = None  # its vectors no longer hold this state
        return slot
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

    def fold_momentum(self, params):
        """Hand one heavy-ball momentum step over to the caller, if that is this optimizer's whole rule.

        Returns ``(lr, momentum, v)`` and counts the step when the update is
        ``v = momentum * v + g; p -= lr * v`` (no Nesterov, no weight decay)
        and ``params`` lie end to end in one array (``flat_vector``): ``v`` is
        then the velocity of all of them as one vector laid out like theirs.
        The caller must do the step: a fast training loop lets each gradient
        product accumulate into ``v`` (BLAS's ``C = A @ B + beta * C`` with
        ``beta = momentum``) and then moves all the parameters with one
        ``p -= lr * v`` (``glassnet.fastpath``). Returns None otherwise and
        counts nothing: the caller computes the gradients and calls ``step``.
        """
        rule = type(self).step is SGD.step and type(self)._update is SGD._update
        if not (rule and type(self)._update_all is SGD._update_all):
            return None
        if not self.momentum or self.nesterov or self.weight_decay:
            return None
        flat = self._flat_state(params)
        if flat is None or flat.views is not None:
            return None
        self.steps += 1
        return self.lr, self.momentum, flat.state["v"]

    def _state_names(self):
        return self.buffers if self.momentum else ()  # plain descent remembers nothing

    def _update(self, i, p, g):
        if self.momentum == 0:
            p -= self.lr * g
            return
        v = self._buffers(i, p)["v"]
        v[...] = self.momentum * v + g
        if self.nesterov:
            p -= self.lr * (g + self.momentum * v)
        else:
            p -= self.lr * v

    def _update_all(self, p, g, state, work):
        # _update's operations in its order, each into a buffer: the same roundings
        if self.momentum:
            v = state["v"]
            v *= self.momentum
            v += g
            if self.nesterov:
                np.multiply(v, self.momentum, out=work)
                work += g
                work *= self.lr
            else:
                np.multiply(v, self.lr, out=work)
        else:
            np.multiply(g, self.lr, out=work)
        p -= work


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
        m, s, t = slot["m"], slot["s"], self.steps
        m[...] = self.beta1 * m + (1 - self.beta1) * g
        s[...] = self.beta2 * s + (1 - self.beta2) * g**2
        root_s_hat = np.sqrt(s) / np.sqrt(1 - self.beta2**t)  # sqrt(s_hat)
        p -= m / (root_s_hat + self.eps) * (self.lr / (1 - self.beta1**t))  # lr * m_hat / (sqrt(s_hat) + eps)

    def _update_all(self, p, g, state, work):
        # _update's operations in its order, each into a buffer: the same roundings in float64. (In float32
        # the buffers round every step to float32, as glassnet's Adam always has; _update's expressions
        # keep its float64 scalar's precision.)
        m, s, t = state["m"], state["s"], self.steps
        m *= self.beta1
        np.multiply(g, 1 - self.beta1, out=work)
        m += work
        np.multiply(g, g, out=work)
        work *= 1 - self.beta2
        s *= self.beta2
        s += work
        np.sqrt(s, out=work)
        work /= np.sqrt(1 - self.beta2**t)
        work += self.eps
        np.divide(m, work, out=work)
        work *= self.lr / (1 - self.beta1**t)
        p -= work

    def _update_blas(self, p, g, state, work, blas, at):
        # The same rule in 7 passes instead of 13, equal to _update's up to rounding: BLAS's AXPBY updates m and
        # s in one pass each, the bias corrections become two scalars (lr * m_hat / (sqrt(s_hat) + eps) =
        # lr * c2 / c1 * m / (sqrt(s) + eps * c2) with c1 = 1 - beta1**t, c2 = sqrt(1 - beta2**t)), and one
        # AXPY, which OpenBLAS spreads over its threads, moves the parameters.
        # (at(vector): its address, ready for a BLAS call)
        m, s, t, n = state["m"], state["s"], self.steps, p.size
        axpby, axpy = blas.axpby[p.dtype], blas.axpy[p.dtype]
        axpby(n, 1 - self.beta1, at(g), 1, self.beta1, at(m), 1)
        np.multiply(g, g, out=work)
        axpby(n, 1 - self.beta2, at(work), 1, self.beta2, at(s), 1)
        c2 = math.sqrt(1 - self.beta2**t)  # a Python float: a NumPy float64 would make float32 passes float64
        np.sqrt(s, out=work)
        work += self.eps * c2
        np.divide(m, work, out=work)
        axpy(n, -self.lr * c2 / (1 - self.beta1**t), at(work), 1, at(p), 1)


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
