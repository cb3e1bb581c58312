"""One page's run: its data, its network and optimizer, stepped batch by batch with glassnet's public API.

The rule a run follows, so that anyone can replay it with glassnet alone
(the tests do, and get the same weights bit for bit)::

    net = Network(layers, loss, seed=settings.seed)      # build_network
    optimizer = ...                                      # make_optimizer
    every epoch: order = net.rng.permutation(n_train)    # np.arange(n_train) without shuffling
    every batch: rows = order[i : i + batch_size]
                 net.train_step(X_train[rows], y_train[rows], optimizer)

except that the last batch of each request goes through
``glassnet.trace_step`` instead, which takes the very same step and records
every matrix of it for the page.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time

import numpy as np

import glassnet
from glassnet import SGD, Adam, Dense, Glorot, He, Network, Normal, Rashid, Uniform, report
from glassnet.playground import maths, pictures
from glassnet.playground.data import (
    GENERATED,
    TUTORIAL_SETS,
    csv_data,
    generated,
    numeric_columns,
    read_csv,
    tutorial_set,
)
from glassnet.playground.settings import LIMITS, RequestError, Settings, check_settings

INITS = {
    "uniform": lambda: Uniform(-0.01, 0.01),  # the stairs tutorial's starting range
    "normal": lambda: Normal(0.0, 1.0),       # Desai's
    "rashid": Rashid,                         # N(0, 1/n_in)
    "glorot": Glorot,
    "he": He,
}
# The tutorials' own starting weights, and the networks they belong to.
TUTORIAL_NETWORKS = {
    "stairs": {"hidden": (2,), "activation": "sigmoid", "output": "softmax", "bias": True},
    "bugs": {"hidden": (), "output": "linear", "bias": False},
}


def load_data(s: Settings, frame=None):
    """The data set ``s`` asks for (``frame``: the session's uploaded CSV table)."""
    if s.dataset in GENERATED:
        return generated(s.dataset, s.n_points, s.noise, s.data_seed, s.train_ratio, s.features, s.classes)
    if s.dataset in TUTORIAL_SETS:
        return tutorial_set(s.dataset)
    if frame is None:
        raise RequestError("dataset 'csv' needs a CSV file: upload one first")
    target = s.target if s.target is not None else frame.names[-1]
    if target not in frame.names:
        raise RequestError(f"target {target!r} is not a column of {frame.source}")
    return csv_data(frame, target, s.plot, s.train_ratio, s.data_seed)


def build_network(s: Settings, data) -> Network:
    """The network ``s`` describes for ``data``: hidden layers, then the output layer the task needs."""
    k = data.n_classes
    if data.kind == "regression" and s.output != "linear":
        raise RequestError(f"the {data.name} data set has a number to predict: choose the linear output "
                           "(squared error), not " + s.output)
    if data.kind == "classification" and s.output == "linear":
        raise RequestError(f"the {data.name} data set has classes: choose the softmax or sigmoid output")
    n_out = data.y_train.shape[1] if data.kind == "regression" else (1 if s.output == "sigmoid" and k == 2 else k)
    sizes = [len(data.input_names), *s.hidden, n_out]
    acts = [s.activation] * len(s.hidden) + [s.output]
    if s.init == "tutorial":
        return _tutorial_network(s, data, sizes, acts)
    make = INITS[s.init]
    layers = [Dense(a, b, act, bias=s.bias, init=make(), bias_init=make() if s.init == "uniform" else 0.0)
              for a, b, act in zip(sizes, sizes[1:], acts)]
    return Network(layers, loss=s.loss, seed=s.seed)


def _tutorial_network(s, data, sizes, acts):
    need = TUTORIAL_NETWORKS[data.name]
    if any(getattr(s, key) != value for key, value in need.items()):
        shown = ", ".join(f"{key} {list(v) if isinstance(v, tuple) else v}" for key, v in need.items())
        raise RequestError(f"init 'tutorial' needs the tutorial's own network ({shown}); choose another init")
    if data.name == "stairs":
        from glassnet.tutorials.stairs import worked_example

        tutorial, _, _ = worked_example()
        layers = [Dense(a, b, act, init=t.W, bias_init=t.b)
                  for a, b, act, t in zip(sizes, sizes[1:], acts, tutorial.layers)]
    else:  # Rashid's bug classifier: the line y = A x, starting from A = 0.25
        layers = [Dense(1, 1, "linear", bias=False, init=[[0.25]])]
    return Network(layers, loss=s.loss, seed=s.seed)  # explicit weights are kept; the seed drives shuffling


def _fitting(s: Settings, data) -> dict:
    """The output and init that fit ``data``, for ``Session.configure(adapt=True)``."""
    output = "linear" if data.kind == "regression" else ("softmax" if s.output == "linear" else s.output)
    need = TUTORIAL_NETWORKS.get(data.name)
    fits = need is not None and all(getattr(s, k) == v for k, v in need.items() if k != "output")
    init = "glorot" if s.init == "tutorial" and not (fits and need["output"] == output) else s.init
    return {"output": output, "init": init}


def make_optimizer(s: Settings):
    """SGD, SGD with momentum 0.9, or Adam, with L2 as glassnet's ``weight_decay`` (weights only)."""
    if s.optimizer == "adam":
        return Adam(s.lr, weight_decay=s.l2)
    return SGD(s.lr, momentum=0.9 if s.optimizer == "momentum" else 0.0, weight_decay=s.l2)


class Session:
    """One browser tab's run. Not thread-safe by itself: the server holds ``lock`` around every call."""

    def __init__(self, session_id, settings=None):
        self.id = session_id
        self.lock = threading.Lock()
        self.last_used = time.monotonic()
        self.frame_table = None  # an uploaded CSV file, as a glassnet.tables.Frame
        self.settings = None
        self.configure(settings or {})

    # ------------------------------------------------------------ setting up
    def configure(self, given: dict, adapt=False):
        """Apply settings (checked; unspecified ones keep their values), rebuild the data and restart.

        With ``adapt``, an output or init that does not fit the data is changed
        (a number to predict takes the linear output, classes the softmax one;
        the tutorials' own weights go only with their own network) instead of
        refused: the page asks for that when the data set changes.
        """
        s = check_settings(given, self.settings)
        data = load_data(s, self.frame_table)
        if adapt:
            s = check_settings(_fitting(s, data), s)
        if data.kind == "classification" and data.n_classes < 2:
            raise RequestError(f"the target of {data.name} has {data.n_classes} class; a classifier needs two")
        net = build_network(s, data)  # checked before anything changes
        self.settings, self.data = s, data
        n_in = len(data.input_names)
        self.X_train = np.asarray(data.inputs(data.X_train), dtype=np.float64).reshape(len(data.X_train), n_in)
        self.X_test = np.asarray(data.inputs(data.X_test), dtype=np.float64).reshape(len(data.X_test), n_in)
        self.X_grid, self.width, self.height = pictures.inputs_on_grid(data)
        self._start(net)

    def reset(self):
        """The same settings, so the same starting weights and batches: the run replays exactly."""
        self._start(build_network(self.settings, self.data))

    def _start(self, net):
        self.net = net
        # the targets as the matrices train_step makes of them, made once rather than every batch
        self.Y_train = net.targets(self.data.y_train, len(self.X_train))
        self.Y_test = net.targets(self.data.y_test, len(self.X_test)) if len(self.X_test) else None
        self.optimizer = make_optimizer(self.settings)
        self.epoch = self.steps = self.position = 0
        self.order = None
        self.trace = None
        self.diverged = None

    def upload(self, name, text) -> dict:
        """Read a CSV file (``glassnet.tables.read_table``) and keep it; its columns, for the page to choose."""
        if not isinstance(text, str) or not text.strip():
            raise RequestError("the CSV file is empty")
        if len(text.encode("utf-8")) > LIMITS["max_upload_bytes"]:
            raise RequestError(f"the CSV file is larger than {LIMITS['max_upload_bytes']:,} bytes", 413)
        frame = read_csv(text, name)
        if frame.n_rows > LIMITS["max_rows"]:
            raise RequestError(f"{frame.source} has {frame.n_rows:,} rows; the playground takes at most "
                               f"{LIMITS['max_rows']:,}", 413)
        numeric = numeric_columns(frame)
        if len(numeric) > LIMITS["max_columns"] + 1:
            raise RequestError(f"{frame.source} has {len(numeric)} numeric columns; the playground takes at most "
                               f"{LIMITS['max_columns']} inputs", 413)
        self.frame_table = frame
        return {"name": frame.source, "rows": frame.n_rows, "columns": frame.names, "numeric": numeric}

    # ------------------------------------------------------------ training
    def step(self, batches=1, epoch=False):
        """Train ``batches`` batches, or to the end of the current epoch; the last one is traced."""
        n, bs = len(self.X_train), self.settings.batch_size
        if epoch:
            batches = -(-(n - self.position) // bs)
            if batches > LIMITS["max_epoch_batches"]:
                raise RequestError(f"an epoch of {batches:,} batches is more than one request may run "
                                   f"({LIMITS['max_epoch_batches']:,}); choose a larger batch size")
        if self.diverged:
            return
        with np.errstate(all="ignore"):
            for i in range(batches):
                if self.position == 0:
                    self.order = self.net.rng.permutation(n) if self.settings.shuffle else np.arange(n)
                rows = self.order[self.position:self.position + bs]
                Xb, yb = self.X_train[rows], self.Y_train[rows]
                if i == batches - 1:
                    self.trace = glassnet.trace_step(self.net, Xb, yb, optimizer=self.optimizer)
                else:
                    self.net.train_step(Xb, yb, self.optimizer)
                self.steps += 1
                self.position += len(rows)
                if self.position >= n:
                    self.position, self.epoch = 0, self.epoch + 1
        if not all(np.isfinite(p).all() for p in self.net.parameters()):
            self.diverged = (f"the weights are no longer finite after step {self.steps}: the learning rate "
                             f"{self.settings.lr:g} is too large for this network; lower it and reset")

    # ------------------------------------------------------------ what the page gets
    def frame(self, notation="standard") -> dict:
        """What changes with every step: scores, weights, pictures, unit statistics and the last step's maths."""
        out = {"epoch": self.epoch, "steps": self.steps, "position": self.position,
               "weights": [{"W": _numbers(layer.W), "b": None if layer.b is None else _numbers(layer.b)}
                           for layer in self.net.layers], "diverged": self.diverged}
        if self.diverged:
            return out
        with np.errstate(all="ignore"):
            out["train"] = self._scores(self.X_train, self.Y_train)
            out["test"] = self._scores(self.X_test, self.Y_test) if len(self.X_test) else None
            out["picture"] = pictures.picture(self.net, self.data, self.X_grid, self.width, self.height)
            out["units"] = pictures.unit_stats(self.net, self.X_train)
        if self.trace is not None:
            out["trace"] = {"notation": notation, "loss": float(self.trace["loss"]),
                            "rows": int(self.trace["X"].shape[0]),
                            "blocks": maths.blocks(self.trace, self.net, self.settings, notation),
                            "update": maths.update(self.trace, self.net, self.optimizer),
                            "optimizer": self._optimizer_facts()}
        return out

    def _scores(self, X, y):
        scores = self.net.evaluate(X, y)
        metric = "r2" if self.data.kind == "regression" else "accuracy"
        value = scores.get(metric)
        finite = isinstance(value, float) and np.isfinite(value)
        return {"loss": float(scores["loss"]), "metric": metric, "value": float(value) if finite else None}

    def _optimizer_facts(self):
        s, o = self.settings, self.optimizer
        facts = {"rule": s.optimizer, "lr": s.lr, "l2": s.l2, "t": o.steps}
        if s.optimizer == "momentum":
            facts["momentum"] = o.momentum
        if s.optimizer == "adam":
            facts.update(beta1=o.beta1, beta2=o.beta2, eps=o.eps)
        return facts

    def state(self, notation="standard") -> dict:
        """Everything the page needs after a change of settings: the data, the inputs' maps, then a frame."""
        d = self.data
        X_coarse = pictures.feature_maps(d, self.X_grid, self.width, self.height)
        return {
            "session": self.id, "settings": self.settings.as_dict(),
            "data": {"name": d.name, "kind": d.kind, "columns": d.columns, "plot": list(d.plot), "extent": d.extent,
                     "class_names": d.class_names, "inputs": d.input_names, "fixed": d.fixed, "notes": d.notes,
                     "train": _points(d, d.X_train, d.y_train), "test": _points(d, d.X_test, d.y_test),
                     "n_train": len(d.X_train), "n_test": len(d.X_test),
                     "csv": None if self.frame_table is None else {"name": self.frame_table.source,
                                                                   "columns": self.frame_table.names,
                                                                   "numeric": numeric_columns(self.frame_table)}},
            "network": {"sizes": [self.net.n_in] + [layer.n_out for layer in self.net.layers],
                        "activations": [layer.activation.name for layer in self.net.layers],
                        "loss": self.net.loss.name, "parameters": self.net.n_parameters()},
            "feature_maps": X_coarse,
            "frame": self.frame(notation),
        }

    def report(self, fmt, notation="standard") -> str:
        """The last step worked out (``glassnet.report``) as a Markdown or HTML document."""
        if self.trace is None:
            raise RequestError("there is no step to write out yet: take one step first")
        if fmt not in ("markdown", "html"):
            raise RequestError(f"format must be 'markdown' or 'html', got {str(fmt)[:20]!r}")
        rows = self.trace["X"].shape[0]
        inputs = ", ".join(self.data.input_names)
        intro = [f"The last step of the glassnet playground: epoch {self.epoch}, step {self.steps}, a batch of "
                 f"{rows} row{'s' if rows != 1 else ''}, on the inputs the network sees ({inputs})."]
        return report.step_report(self.trace, notation, title="One training step from the glassnet playground",
                                  intro=intro).render(fmt)

    def export(self) -> bytes:
        """The model file (``Network.save``) of the network as it stands, as bytes.

        A CSV model carries its columns and scaling, so it predicts from the
        file's raw columns by name, and a regression predicts in the target's
        units; a generated set's model takes the chosen features, named in
        its notes.
        """
        net = Network.from_config(self.net.config())
        for mine, theirs in zip(net.parameters(), self.net.parameters()):
            mine[...] = theirs
        d = self.data
        net.preprocessing = d.preprocessing
        net.class_names = d.class_names or None
        net.notes = {"made_by": "glassnet playground", "inputs": d.input_names,
                     "settings": self.settings.as_dict(), "epoch": self.epoch, "steps": self.steps}
        if d.task is not None:
            d.task.fold_into(net)  # a CSV regression trained on standardized targets predicts in their units
        with tempfile.TemporaryDirectory(prefix="glassnet-playground-") as folder:
            path = os.path.join(folder, "model.safetensors")
            net.save(path)
            with open(path, "rb") as f:
                return f.read()


def _numbers(values):
    """An array as nested lists for JSON, with None for NaN and infinities (JSON has no such numbers)."""
    if np.isfinite(values).all():
        return values.tolist()
    return np.where(np.isfinite(values), values, None).tolist()


def _points(data, X, y) -> dict:
    """The rows' raw plotted columns and targets, for the scatter plot."""
    xy = X[:, list(data.plot)]
    target = y.ravel().tolist() if data.kind == "regression" else y.astype(int).tolist()
    return {"x": xy[:, 0].tolist(), "y": xy[:, 1].tolist() if xy.shape[1] > 1 else None, "target": target}

