"""Checkpoints: a training run written down so that it can go on later, bit for bit.

A checkpoint is a model file (``glassnet.modelfile``) with the state of the run
that was training it beside the weights: ``glassnet.load``, ``inspect`` and
``predict`` read it as the model it was when it was written. What it adds,
under the document's ``"checkpoint"`` entry and in tensors named
``checkpoint.<part>``:

* ``settings``: ``fit``'s arguments as data (epochs, batch size, the optimizer
  with its starting learning rate, schedule, shuffling, validation split, early
  stopping, restarts, dtype, which loop, class weights, how often to write);
* ``fingerprint``: a SHA-256 of the training (and validation) arrays as ``fit``
  trains on them, so that a run never goes on with other data;
* the run: epochs finished, the ``History`` so far, how it ended (if it did),
  the shuffling generator's state (and the one it started from, which drew the
  validation split), the optimizer's step count and state arrays
  (``checkpoint.optimizer.<i>.<name>``), early stopping's best value, epoch,
  wait and weights (``checkpoint.best.<i>``), the divergence watch's starting
  loss and limit, and with ``restarts`` which run this is and the best run so
  far (``checkpoint.restart.best.<i>``);
* ``progress``, when a signal stopped the run inside an epoch: the epoch's
  sample order, how many rows it had done, the weights it started from, and
  what it had measured so far (the fast loop's outputs and logits of those
  rows; the readable loop's batch losses, right answers and outputs).

``fit(..., checkpoint=path)`` writes one every ``checkpoint_every`` epochs and
when the run ends, atomically (``glassnet.files``): after a ``kill -9`` the
file is the last complete one. ``glassnet.resume(path, X, y)`` rebuilds the
network and the run from it and goes on; the tests check that the weights then
end bit for bit as those of a run that was never stopped.

While it trains with a checkpoint, ``fit`` catches SIGINT (Ctrl-C) and
SIGTERM (what schedulers send before they kill): the batch under way
finishes, a checkpoint is written and ``TrainingInterrupted`` (a
``KeyboardInterrupt``) is raised. A second signal stops at once, as usual.
"""

from __future__ import annotations

import hashlib
import numbers
import signal
import threading
from dataclasses import dataclass, field

import numpy as np

from glassnet import modelfile
from glassnet.checks import path_text
from glassnet.history import History
from glassnet.memory import row_blocks

VERSION = 1
KEY = modelfile.CHECKPOINT_KEY
ENDINGS = (None, "epochs", "early_stopping", "callback")


class CheckpointError(ValueError):
    """A checkpoint that cannot go on with the run it is asked to: not a checkpoint, or other data."""


class TrainingInterrupted(KeyboardInterrupt):
    """Raised by ``fit`` after SIGINT or SIGTERM once the checkpoint is written.

    A ``KeyboardInterrupt``, so code that does not know checkpoints stops as it
    would on Ctrl-C. ``path`` is the checkpoint, ``epoch`` the epoch it stopped
    in (from 1), ``batch`` the batches of it that were done and ``n_batches``
    how many it has; ``signum`` the signal.
    """

    def __init__(self, path, epoch, batch, n_batches, signum):
        where = (f"after epoch {epoch}" if batch == n_batches
                 else f"in epoch {epoch} after batch {batch} of {n_batches}")
        super().__init__(f"training stopped by {signal.Signals(signum).name} {where}; the run is saved in "
                         f"{path_text(path)}: go on with glassnet.resume({path_text(repr(str(path)))}, X, y)")
        self.path, self.epoch, self.batch, self.n_batches, self.signum = path, epoch, batch, n_batches, signum
        self.where = where


class Interrupt:
    """Within the block SIGINT and SIGTERM only set ``requested`` (and ``signum``); a second one stops at once.

    Only in the main thread (the only one where Python lets handlers be set)
    and only for signals not ignored; elsewhere ``requested`` stays False.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.requested, self.signum, self.before = False, None, {}
        self.handled = False  # True once fit has answered the signal (written a checkpoint and raised)

    def _handler(self, signum, frame):
        if self.requested:  # the second signal: the handler from before takes it (Ctrl-C: KeyboardInterrupt)
            self._restore()
            signal.raise_signal(signum)
            return
        self.requested, self.signum = True, signum

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                if signal.getsignal(sig) not in (signal.SIG_IGN, None):
                    self.before[sig] = signal.signal(sig, self._handler)
        return self

    def _restore(self):
        for sig, old in self.before.items():
            signal.signal(sig, old)
        self.before = {}

    def __exit__(self, kind, exc, tb):
        self._restore()
        if self.requested and not self.handled and kind is None:
            signal.raise_signal(self.signum)  # it came too late to stop training: the handler from before has it


@dataclass
class Run:
    """What a checkpoint says about its run besides the network. ``fit`` fills one and reads one back."""

    settings: dict
    fingerprint: str
    rng_start: dict
    rng: dict
    epoch: int = 0  # epochs finished
    history: History = field(default_factory=History)
    ended: str | None = None  # None (it goes on), or why it stopped: "epochs", "early_stopping", "callback"
    optimizer_steps: int = 0
    optimizer_state: dict = field(default_factory=dict)  # {parameter index: {buffer name: array}}
    stopper: dict | None = None  # {"best", "best_epoch", "waited"}
    best_params: list | None = None  # early stopping's kept weights
    watch: tuple = (None, None)  # the divergence watch's (start, limit)
    progress: dict | None = None  # an epoch stopped inside: {"epoch", "rows", "correct"} and arrays (below)
    progress_arrays: dict = field(default_factory=dict)  # "order", "Yhat", "logits", "losses", "outputs"
    kept: list | None = None  # the weights that epoch started from
    restart: dict | None = None  # {"index", "scores", "best_score", "best_history"}
    restart_params: list | None = None  # the best run's weights so far


def fingerprint(arrays) -> str:
    """SHA-256 of the arrays (dtype, shape and bytes of each; None counts as absent).

    An item may be a pair ``(X, rows)``: the rows of ``X`` numbered in
    ``rows``, hashed as ``X[rows]`` would be, a block of rows at a time (no
    copy of them all).
    """
    digest = hashlib.sha256()
    for a in arrays:
        if a is None:
            digest.update(b"\0none")
            continue
        if isinstance(a, tuple):
            X, rows = a
            digest.update(f"\0{X.dtype.str}{(len(rows), *X.shape[1:])}".encode())
            for part in row_blocks(X, rows):
                digest.update(np.ascontiguousarray(part).data)
            continue
        a = np.ascontiguousarray(a)
        digest.update(f"\0{a.dtype.str}{a.shape}".encode())
        digest.update(a.data)
    return digest.hexdigest()


def rng_state(rng) -> dict:
    """The state of a ``numpy.random.Generator`` as JSON-safe data (its 128-bit numbers as strings)."""
    state = rng.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        raise TypeError(f"a checkpoint records a PCG64 generator (numpy's default), got {state.get('bit_generator')}")
    return {"bit_generator": "PCG64", "state": str(state["state"]["state"]), "inc": str(state["state"]["inc"]),
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def set_rng_state(rng, data):
    """Put the state ``rng_state`` returned back into ``rng``."""
    rng.bit_generator.state = {
        "bit_generator": "PCG64", "state": {"state": int(data["state"]), "inc": int(data["inc"])},
        "has_uint32": int(data["has_uint32"]), "uinteger": int(data["uinteger"]),
    }


def write(path, net, run: Run):
    """Write ``net`` and ``run`` to ``path`` as one model file, atomically."""
    document, tensors = modelfile.encode(net, run.history)
    part = {
        "version": VERSION, "settings": run.settings, "fingerprint": run.fingerprint, "rng_start": run.rng_start,
        "rng": run.rng, "epoch": run.epoch, "ended": run.ended, "optimizer_steps": run.optimizer_steps,
        "stopper": run.stopper, "watch": list(run.watch), "progress": run.progress,
        "restart": None if run.restart is None else {
            **run.restart, "best_history": None if run.restart["best_history"] is None
            else modelfile.history_to_json(run.restart["best_history"])},
    }
    arrays = {f"optimizer.{i}.{name}": a for i, slot in run.optimizer_state.items() for name, a in slot.items()}
    for prefix, params in (("best", run.best_params), ("kept", run.kept), ("restart.best", run.restart_params)):
        arrays.update({f"{prefix}.{i}": p for i, p in enumerate(params or ())})
    arrays.update({f"epoch.{name}": a for name, a in run.progress_arrays.items()})
    tensors.update({f"{KEY}.{name}": np.ascontiguousarray(a) for name, a in arrays.items()})
    document[KEY] = part
    try:
        modelfile.write(path, document, tensors)
    except InterruptedError:  # a signal came while the file was written (and stopped that): write it again
        modelfile.write(path, document, tensors)


def run_of(path, document, tensors, net) -> Run:
    """The ``Run`` in a model file that ``modelfile.read`` returned and ``io.build`` made ``net`` from.

    Raises ``CheckpointError`` for a model file that is not a checkpoint, and
    ``ModelFileError`` for a checkpoint entry that does not hold together.
    """
    if document.get(KEY) is None:
        raise CheckpointError(f"{path_text(path)} is a glassnet model file but not a checkpoint: it holds no "
                              "training run to go on with (write one with fit(..., checkpoint=PATH) or "
                              "train --checkpoint)")
    arrays = {k[len(KEY) + 1:]: v for k, v in tensors.items() if k.startswith(KEY + ".")}
    try:
        return _run_from(document[KEY], arrays, net)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise modelfile.damaged(path, f"its checkpoint entry is not complete or not valid ({type(exc).__name__}: "
                                      f"{str(exc)[:200]})") from exc


def _indexed(arrays, prefix) -> list | None:
    found = sorted(int(k[len(prefix):]) for k in arrays if k.startswith(prefix) and k[len(prefix):].isdigit())
    if found != list(range(len(found))):
        raise ValueError(f"tensors {prefix}<i> are not numbered 0 to {len(found) - 1}")
    return [arrays[f"{prefix}{i}"] for i in found] or None


def _whole(name, value, low=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def _run_from(part, arrays, net) -> Run:
    """The ``Run`` that a checkpoint's document entry and tensors describe, each part checked."""
    if part.get("version") != VERSION:
        raise ValueError(f"checkpoint version {part.get('version')!r} is not {VERSION}")
    if not isinstance(part["settings"], dict) or not isinstance(part["fingerprint"], str):
        raise TypeError("settings must be an object and fingerprint a string")
    if part["ended"] not in ENDINGS:
        raise ValueError(f"ended must be one of {ENDINGS}, got {part['ended']!r}")
    optimizer_state = {}
    for name, a in arrays.items():
        if name.startswith("optimizer."):
            _, i, buffer = name.split(".", 2)
            optimizer_state.setdefault(int(i), {})[buffer] = a
    n_params = len(net.parameters())
    best, kept, restart_params = (_indexed(arrays, p) for p in ("best.", "kept.", "restart.best."))
    for what, params in (("best", best), ("kept", kept), ("restart.best", restart_params)):
        if params is not None and [p.shape for p in params] != [p.shape for p in net.parameters()]:
            raise ValueError(f"the {what} weights do not have the network's {n_params} shapes")
    restart = part.get("restart")
    if restart is not None:
        restart = {**restart, "index": _whole("restart index", restart["index"]),
                   "best_history": None if restart["best_history"] is None
                   else modelfile.history_from_json(restart["best_history"])}
    progress = part.get("progress")
    if progress is not None:
        _whole("progress epoch", progress["epoch"], 1)
        _whole("progress rows", progress["rows"])
    watch = part["watch"]
    if not isinstance(watch, list) or len(watch) != 2:
        raise ValueError(f"watch must be a pair, got {watch!r}")
    return Run(
        settings=part["settings"], fingerprint=part["fingerprint"], rng_start=part["rng_start"], rng=part["rng"],
        epoch=_whole("epoch", part["epoch"]), history=net.history or History(), ended=part["ended"],
        optimizer_steps=_whole("optimizer_steps", part["optimizer_steps"]), optimizer_state=optimizer_state,
        stopper=part["stopper"], best_params=best, watch=tuple(watch), progress=progress,
        progress_arrays={k[len("epoch."):]: v for k, v in arrays.items() if k.startswith("epoch.")},
        kept=kept, restart=restart, restart_params=restart_params,
    )
