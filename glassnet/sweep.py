"""Sweeps: train one network for every combination of some ``train`` settings, several times, and keep the scores.

``glassnet.sweep(data="digits", grid={"lr": [0.01, 0.1], "hidden": [50, 100]}, repeats=3, out="sweep.csv")``
or ``glassnet sweep --data digits --grid lr=0.01,0.1 --grid hidden=50,100 --repeats 3 --out sweep.csv``.

The pieces, in the order a sweep uses them:

``parse_grid``     ``KEY=V1,V2`` texts (or a dict) checked value by value with the ``train`` command's own parser
``trials``         the grid's combinations times the repeats, each with its seed (``trial_seed``)
``run_trial``      one training run with the public API (``datasets.load``, ``Network``, ``fit``,
                   ``evaluate``): the metrics, or the error that stopped it
engines            ``local`` (a process pool on this machine) and ``ray`` (Ray tasks on a local Ray started for
                   the sweep, or on an existing cluster); both run the same ``run_trial`` on the same inputs,
                   so their metrics agree bit for bit
results file       a CSV rewritten whole (``glassnet.files.write_atomically``) after every finished trial, so a
                   killed sweep leaves only whole rows; a rerun reads it and skips the trials it holds
``plot``           the metric against each swept setting, every trial a dot, the mean over them a line
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import os
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field

# The train settings a grid may vary. The rest of train's flags name files (--out, --plot, --checkpoint, ...) or
# apply to CSV tables, which a sweep does not read. "hidden" is one hidden layer: hidden=50 is layers=50.
SETTINGS = ("lr", "optimizer", "momentum", "weight_decay", "epochs", "batch_size", "val_split", "early_stopping",
            "scale", "test_split", "activation", "layers", "hidden", "class_weight", "seed")
METRICS = ("test_accuracy", "test_loss", "train_accuracy", "train_loss", "val_accuracy", "val_loss", "epochs_run")
ENGINES = ("local", "ray")
CONNECT_TIMEOUT = 30.0  # seconds for a Ray cluster's address to answer (importing Ray alone takes a few)


# ------------------------------------------------------------------ the grid
def _folder(name) -> bool:
    try:
        return os.path.isdir(name)
    except (OSError, ValueError):  # a name too long for a path, one with a NUL character, ...
        return False


class _TrainFlags(argparse.ArgumentParser):
    """train's flags alone (``glassnet.flags``), refusing a value with a ValueError instead of exiting."""

    def error(self, message):
        raise ValueError(message)


def _train_parser():
    from glassnet.flags import add_train_flags

    parser = _TrainFlags(prog="glassnet train", add_help=False)
    add_train_flags(parser)
    return parser


def _parse_value(parser, key, text):
    """``text`` as train's ``--KEY`` would read it, in its canonical text; a ValueError naming the grid axis."""

    flag = "--layers" if key == "hidden" else "--" + key.replace("_", "-")
    given = text.replace("-", ",") if key == "layers" else text
    if key == "hidden" and not given.isdigit():
        raise ValueError(f"--grid hidden: expected a whole number of hidden nodes >= 1, got {text!r}")
    if key == "layers" and not all(part.isdigit() for part in text.split("-")):
        raise ValueError(f"--grid layers: expected layer sizes joined by dashes such as 128-64, got {text!r}")
    try:
        args = parser.parse_args([flag, given])
    except ValueError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise ValueError(f"--grid {key}: {reason}") from None
    value = args.layers if key in ("layers", "hidden") else getattr(args, key)
    if key in ("layers", "hidden"):
        sizes = [int(part) for part in value.split(",")]
        if min(sizes) < 1:
            raise ValueError(f"--grid {key}: layer sizes must be >= 1, got {text!r}")
        return "-".join(map(str, sizes))
    return repr(value) if isinstance(value, float) else str(value)


def parse_grid(grid) -> dict:
    """The grid as ``{setting: [canonical value texts]}``, in the order given.

    ``grid`` is a dict ``{setting: values}`` or a list of ``"KEY=V1,V2,..."``
    texts (the CLI's ``--grid``). Every value is read by ``glassnet train``'s
    own parser, so a value train refuses is refused here, naming the axis.
    Layer sizes are written with dashes (``layers=128-64,256``: two values).
    """
    if isinstance(grid, dict):
        items = []
        for key, values in grid.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise TypeError(f"grid[{key!r}] must be a list of values, got {type(values).__name__} {values!r}")
            texts = ["-".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v) for v in values]
            items.append((key, texts, f"grid[{key!r}]"))
    elif isinstance(grid, (list, tuple)):
        items = []
        for entry in grid:
            if not isinstance(entry, str) or "=" not in entry:
                raise ValueError(f"--grid expects KEY=V1,V2,... such as lr=0.01,0.1, got {entry!r}")
            key, _, values = entry.partition("=")
            items.append((key.strip(), [v.strip() for v in values.split(",")], f"--grid {entry}"))
    else:
        raise TypeError(f"grid must be a dict of setting -> values or a list of 'KEY=V1,V2' texts, got "
                        f"{type(grid).__name__}")
    if not items:
        raise ValueError("--grid: give at least one setting to sweep, such as --grid lr=0.01,0.1")
    parser = _train_parser()
    parsed = {}
    for key, texts, where in items:
        key = key.replace("-", "_")
        if key not in SETTINGS:
            raise ValueError(f"{where}: unknown setting {key!r}; a grid varies train settings: {', '.join(SETTINGS)}")
        if key in parsed:
            raise ValueError(f"{where}: {key} is given twice; put all its values in one --grid {key}=...")
        if not texts or any(t == "" for t in texts):
            raise ValueError(f"{where}: an empty value; expected {key}=V1,V2,... with no empty entry")
        values = [_parse_value(parser, key, t) for t in texts]
        if len(set(values)) < len(values):
            raise ValueError(f"{where}: a value is given twice")
        parsed[key] = values
    if "hidden" in parsed and "layers" in parsed:
        raise ValueError("--grid hidden and --grid layers both set the hidden layers; give one of them")
    return parsed


def _settings(parser, combination: dict) -> dict:
    """train's settings (its defaults) with the combination's values, checked together as train checks them."""
    argv = []
    for key, value in combination.items():
        flag = "--layers" if key == "hidden" else "--" + key.replace("_", "-")
        argv += [flag, value.replace("-", ",") if key in ("layers", "hidden") else value]
    args = vars(parser.parse_args(argv))
    settings = {k: args[k] for k in SETTINGS if k != "hidden"}
    where = ", ".join(f"{k}={v}" for k, v in combination.items())
    if settings["momentum"] and settings["optimizer"] != "sgd":
        raise ValueError(f"--grid ({where}): momentum applies to optimizer sgd only")
    for key in ("val_split", "test_split"):
        if not 0 <= settings[key] < 1:
            raise ValueError(f"--grid ({where}): {key} must be a share in [0, 1), got {settings[key]}")
    if settings["val_split"] == 0 and settings["early_stopping"]:
        raise ValueError(f"--grid ({where}): early_stopping watches the validation data and val_split 0 keeps "
                         "none: add early_stopping=0")
    return settings


def trial_seed(sweep_seed, combination: dict, repeat: int) -> int:
    """The seed of one trial (its weights and its shuffling): a hash of the sweep's seed, the trial's settings and
    its repeat, so a trial gets the same seed whichever engine runs it, in whatever order."""
    text = json.dumps([sweep_seed, sorted(combination.items()), repeat])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


@dataclass
class Trial:
    number: int          # its place in the sweep, from 1
    combination: dict    # setting -> canonical value text, the grid's axes only
    repeat: int          # from 1
    seed: int            # trial_seed(...)
    settings: dict = field(repr=False)  # every train setting the run uses

    def key(self, data, sweep_seed) -> tuple:
        return (str(data), str(sweep_seed), str(self.repeat), *self.combination.values())


def trials(grid: dict, repeats=1, seed=0) -> list:
    """Every combination of the parsed grid (the last axis varying fastest), each ``repeats`` times."""
    parser = _train_parser()
    out = []
    for values in itertools.product(*grid.values()):
        combination = dict(zip(grid, values))
        settings = _settings(parser, combination)
        if "seed" not in combination:
            settings["seed"] = seed
        for repeat in range(1, repeats + 1):
            out.append(Trial(len(out) + 1, combination, repeat,
                             trial_seed(settings["seed"], combination, repeat), settings))
    return out


# ------------------------------------------------------------------ one trial
def run_trial(data, settings: dict, seed: int) -> dict:
    """Train once as ``glassnet train`` would with ``settings``, the network and its shuffling seeded with ``seed``.

    The data are split with ``settings["seed"]`` (the sweep's seed), so every
    trial of a sweep is scored on the same test rows. Returns the metrics (see
    ``METRICS``) and ``seconds``; a trial that fails returns ``error``, its
    one-line message, instead of raising.
    """
    start = time.perf_counter()
    try:
        metrics = _train(data, settings, seed)
    except Exception as exc:  # the sweep goes on; the row records why this trial has no scores
        text = str(exc).strip().splitlines()
        return {"error": f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": "),
                "seconds": time.perf_counter() - start}
    return {**metrics, "seconds": time.perf_counter() - start}


def _train(data, s, seed):
    import glassnet
    from glassnet import datasets
    from glassnet.optimizers import SGD, Adam

    split = datasets.load(data, seed=s["seed"], test_split=s["test_split"])
    n_in, n_out = split.X_train.shape[1], len(split.class_names)
    sizes = [n_in, *map(int, s["layers"].split(",")), n_out]
    layers = [glassnet.Dense(a, b, s["activation"]) for a, b in zip(sizes[:-2], sizes[1:-1])]
    layers.append(glassnet.Dense(sizes[-2], n_out, "softmax"))
    net = glassnet.Network(layers, seed=seed)
    net.preprocessing = split.preprocessing(s["scale"])
    if s["optimizer"] == "adam":
        optimizer = Adam(lr=s["lr"] or 0.001, weight_decay=s["weight_decay"])
    else:
        optimizer = SGD(lr=s["lr"] or 0.1, momentum=s["momentum"], weight_decay=s["weight_decay"])
    history = net.fit(split.X_train, split.y_train, epochs=s["epochs"], batch_size=s["batch_size"],
                      optimizer=optimizer, validation_split=s["val_split"],
                      early_stopping=s["early_stopping"] or None, class_weight=s["class_weight"])
    kept = history.best_epoch or history.epochs  # early stopping keeps the best epoch's weights, as train does
    test = net.evaluate(split.X_test, split.y_test) if len(split.y_test) else {}
    return {"test_accuracy": test.get("accuracy"), "test_loss": test.get("loss"),
            "train_accuracy": history.accuracy[kept - 1], "train_loss": history.loss[kept - 1],
            "val_accuracy": history.val_accuracy[kept - 1] if history.val_accuracy else None,
            "val_loss": history.val_loss[kept - 1] if history.val_loss else None, "epochs_run": history.epochs}


def _run_task(task):
    """A pool worker's entry: ``(trial number, run_trial's result)``."""
    number, data, settings, seed = task
    return number, run_trial(data, settings, seed)


def _ignore_sigint():
    # Ctrl-C reaches the whole process group: the parent stops the pool, the workers must not die mid-result first
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ------------------------------------------------------------------ engines
def _local(tasks, workers):
    """Yield ``(number, result)`` as trials finish, from a pool of ``workers`` processes on this machine."""
    import multiprocessing

    # one BLAS thread per worker: the workers already fill the cores, and more threads would only fight over them
    # (set before the workers start, as OpenBLAS reads it when NumPy loads)
    saved = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update(dict.fromkeys(saved, "1"))
    try:
        if "forkserver" in multiprocessing.get_all_start_methods():
            # workers forked from one server that has imported scikit-learn's data sets (seconds) once
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["glassnet.sweep", "glassnet.datasets", "sklearn.datasets"])
        else:
            context = multiprocessing.get_context("spawn")
        pool = context.Pool(workers, initializer=_ignore_sigint)
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    try:
        yield from pool.imap_unordered(_run_task, tasks)
        pool.close()
        pool.join()
    finally:
        pool.terminate()


def check_address(address, timeout=None):
    """Refuse a Ray address where no Ray cluster answers within ``timeout`` seconds (default ``CONNECT_TIMEOUT``).

    ``ray.init`` would wait a minute or more for a silent address and then end
    the whole process, so a child process tries the connection first, and is
    stopped when the time is up.
    """
    import subprocess

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    if address != "auto":
        host, _, port = address.split("://", 1)[-1].rstrip("/").rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--address must be HOST:PORT (or ray://HOST:PORT, or auto), got {address!r}")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        except OSError as exc:
            why = "no answer" if isinstance(exc, socket.timeout) else (exc.strerror or str(exc))
            raise ValueError(f"--address {address}: no Ray cluster there ({why})") from None
    probe = (f"import ray; ray.init(address={address!r}, include_dashboard=False, log_to_driver=False, "
             "logging_level='ERROR'); ray.shutdown()")
    # a GCS that stops answering ends the probe soon rather than after a minute
    env = {**os.environ, "RAY_gcs_rpc_server_reconnect_timeout_s": str(max(1, int(timeout))),
           "RAY_gcs_server_request_timeout_seconds": str(max(1, int(timeout)))}
    try:
        done = subprocess.run([sys.executable, "-c", probe], env=env, timeout=timeout, capture_output=True)
    except subprocess.TimeoutExpired:
        raise ValueError(f"--address {address}: no Ray cluster answered within {timeout:g} s") from None
    if done.returncode != 0:
        raise ValueError(f"--address {address}: no Ray cluster answered there (connecting failed)")


def _ray(tasks, workers, address):
    """Yield ``(number, result)`` as trials finish, from Ray tasks: on the cluster at ``address``, on a Ray this
    process already started, or on a local Ray started here (with ``workers`` CPUs) and stopped at the end."""
    try:
        import ray
    except ImportError:
        raise ValueError("--engine ray needs Ray: pip install 'glassnet[ray]' (or pip install ray)") from None
    started = False
    if not ray.is_initialized():
        kwargs = {"address": address} if address else {"num_cpus": workers}
        try:
            ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR", **kwargs)
        except (ConnectionError, RuntimeError, TimeoutError) as exc:
            raise ValueError(f"--engine ray: Ray did not start: {str(exc).strip().splitlines()[0]}") from None
        started = True
    remote = ray.remote(num_cpus=1, max_retries=0)(_run_task)
    pending = [remote.remote(task) for task in tasks]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        for ref in pending:  # Ctrl-C: stop what is still running
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


# ------------------------------------------------------------------ the results file
def _columns(axes):
    return ["trial", "data", "sweep_seed", "repeat", *axes, "trial_seed", "status", *METRICS, "seconds", "engine",
            "error"]


def _cell(value):
    # repr: the shortest text that reads back as the same float, so equal metrics are equal bytes in the file
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def _read_rows(out, columns):
    """The rows of an existing results file (none if it does not exist); a file of another sweep is refused."""
    try:
        with open(out, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames
            rows = list(reader)
    except FileNotFoundError:
        return []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"--out {out}: not a sweep's results file ({exc})") from None
    if header is None:
        return []
    if header != columns:
        raise ValueError(f"--out {out} holds another sweep's results (columns {', '.join(header)}); give a new "
                         "--out, or the same --grid settings to go on with it")
    return rows


def _write_rows(out, columns, rows):
    from glassnet.files import write_atomically

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomically(out, buffer.getvalue().encode("utf-8"), "--out")


# ------------------------------------------------------------------ the sweep
@dataclass
class SweepResult:
    """What ``sweep`` did: ``rows`` (this sweep's rows of the results file, as text, in trial order), ``axes`` (the
    swept settings), ``ran`` and ``failed`` (trials run now, and how many of them failed), ``skipped`` (trials
    the file already held), ``out`` (the file)."""

    rows: list
    axes: list
    ran: int
    failed: int
    skipped: int
    out: str
    metric: str = "test_accuracy"

    def summary(self) -> list:
        """``(combination, [metric of each finished repeat])`` for every combination, in grid order."""
        groups = {}
        for row in self.rows:
            values = groups.setdefault(tuple(row[a] for a in self.axes), [])
            if row["status"] == "ok" and row[self.metric]:
                values.append(float(row[self.metric]))
        return list(groups.items())

    def text(self) -> str:
        """The mean, lowest and highest metric of every combination, as a table."""
        name = self.metric.replace("_", " ")
        width = [max(len(a), *(len(r[a]) for r in self.rows)) for a in self.axes]
        head = "  ".join(a.rjust(w) for a, w in zip(self.axes, width))
        lines = [f"{head}  {'mean ' + name:>{len(name) + 5}}  {'min':>6}  {'max':>6}  runs"]
        for combination, values in self.summary():
            cells = "  ".join(v.rjust(w) for v, w in zip(combination, width))
            if values:
                stats = f"{statistics.fmean(values):>{len(name) + 5}.4f}  {min(values):6.4f}  {max(values):6.4f}"
            else:
                stats = f"{'-':>{len(name) + 5}}  {'-':>6}  {'-':>6}"
            lines.append(f"{cells}  {stats}  {len(values):>4}")
        return "\n".join(lines)


def sweep(data="digits", grid=None, *, repeats=1, seed=0, engine="local", address=None, workers=None,
          out="sweep.csv", plot=None, quiet=True, echo=None) -> SweepResult:
    """Train a network for every combination of ``grid``'s settings, ``repeats`` times each, and write the scores.

    Parameters
    ----------
    data : str
        A built-in data set (digits, iris, stairs, stairs4, mnist5k) or a folder of MNIST files.
    grid : dict or list of str
        ``{"lr": [0.01, 0.1], "hidden": [50, 100]}`` or ``["lr=0.01,0.1", "hidden=50,100"]``: any of ``SETTINGS``
        (``glassnet train``'s settings, checked by its parser); settings not in the grid keep train's defaults.
    repeats : int
        Trials per combination, each with its own seed (``trial_seed``).
    seed : int
        The sweep's seed: the data split, and through ``trial_seed`` every trial's weights and shuffling.
    engine : {"local", "ray"}
        ``local``: a process pool on this machine; ``ray``: Ray tasks (needs ``pip install 'glassnet[ray]'``).
    address : str, optional
        ray only: an existing Ray cluster (``HOST:PORT``, ``ray://HOST:PORT`` or ``auto``); without it a local
        Ray is started for the sweep and stopped after it.
    workers : int, optional
        Trials at once on this machine (default: its CPU count); with ``address`` the cluster decides.
    out : str
        The results CSV. Trials it already holds are not run again: a stopped sweep goes on where it stopped.
    plot : str, optional
        A PNG file for ``plot_results``.
    quiet : bool
        No progress bar (it is shown on a terminal only, in any case).

    Returns
    -------
    SweepResult

    A trial that fails is written with ``status`` failed and its error, and
    the sweep goes on. Ctrl-C stops the running trials; the file keeps the
    finished ones.
    """
    from glassnet.files import check_output

    if engine not in ENGINES:
        raise ValueError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if address is not None and engine != "ray":
        raise ValueError("--address applies to --engine ray only")
    for name, value, least in (("--repeats", repeats, 1), ("--seed", seed, 0), ("--workers", workers, 1)):
        if value is None and name == "--workers":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
    if grid is None:
        raise ValueError("--grid: give at least one setting to sweep, such as --grid lr=0.01,0.1")
    from glassnet.datasets import NAMED

    if not isinstance(data, str) or (data not in NAMED and not _folder(data)):
        raise ValueError(f"--data {data!r}: a sweep takes a built-in data set ({', '.join(NAMED)}) or a folder of "
                         "MNIST files")
    check_output("--out", out, ".csv")
    if plot is not None:
        check_output("--plot", plot, ".png")
    axes = parse_grid(grid)
    todo = trials(axes, repeats, seed)
    if address is not None:
        check_address(address)
    columns = _columns(list(axes))
    rows = {}  # key -> row, this sweep's and any other rows the file holds
    for row in _read_rows(out, columns):
        rows[(row["data"], row["sweep_seed"], row["repeat"], *(row[a] for a in axes))] = row
    mine = [t.key(data, t.settings["seed"]) for t in todo]
    to_run = [t for t, k in zip(todo, mine) if k not in rows]
    say = echo or (lambda line: None)
    workers = workers or os.cpu_count() or 1
    where = f"the Ray cluster at {address}" if address else f"{workers} worker{'s' * (workers > 1)}"
    n, settings = len(todo), len(todo) // repeats
    say(f"sweep: {n} trial{'s' * (n > 1)} ({settings} setting{'s' * (settings > 1)} x {repeats} "
        f"repeat{'s' * (repeats > 1)}) on {data}, engine {engine} ({where}); {n - len(to_run)} already in {out}")

    by_number = {t.number: t for t in to_run}
    tasks = [(t.number, data, t.settings, t.seed) for t in to_run]
    failed = 0

    def ordered():
        known = set(mine)
        return [rows[k] for k in mine if k in rows] + [r for k, r in rows.items() if k not in known]

    from tqdm import tqdm

    bar = tqdm(total=len(todo), initial=len(todo) - len(to_run), unit="trial", desc="sweep",
               disable=quiet or not sys.stderr.isatty())
    results = _local(tasks, min(workers, max(len(tasks), 1))) if engine == "local" else _ray(tasks, workers, address)
    try:
        with bar:
            for number, result in (results if tasks else ()):
                t = by_number[number]
                row = {"trial": t.number, "data": data, "sweep_seed": t.settings["seed"], "repeat": t.repeat,
                       **t.combination, "trial_seed": t.seed, "status": "failed" if "error" in result else "ok",
                       **{m: _cell(result.get(m)) for m in METRICS}, "seconds": f"{result['seconds']:.3f}",
                       "engine": engine, "error": result.get("error", "")}
                failed += "error" in result
                rows[t.key(data, t.settings["seed"])] = {k: str(v) for k, v in row.items()}
                _write_rows(out, columns, ordered())
                bar.update(1)
    finally:
        results.close()
    result = SweepResult([rows[k] for k in mine], list(axes), len(to_run), failed, len(todo) - len(to_run), str(out))
    if plot is not None:
        plot_results(result, plot)
    return result


# ------------------------------------------------------------------ the plot
def plot_results(result: SweepResult, path, metric=None) -> str:
    """One panel per swept setting: the metric of every finished trial against that setting (a dot each, so the
    spread over repeats and over the other settings shows) and their mean (a line), as Rashid plots his
    experiments. Writes a PNG and returns its path."""
    from matplotlib.figure import Figure

    from glassnet.files import write_atomically

    metric = metric or result.metric
    axes = [a for a in result.axes if len({r[a] for r in result.rows}) > 1] or result.axes
    fig = Figure(figsize=(4.0 * len(axes), 4.0), dpi=100, layout="constrained")
    panels = fig.subplots(1, len(axes), sharey=True, squeeze=False)[0]
    finished = [r for r in result.rows if r["status"] == "ok" and r[metric]]
    for ax, name in zip(panels, axes):
        values = list(dict.fromkeys(r[name] for r in result.rows))  # grid order
        xs = [values.index(r[name]) for r in finished]
        ys = [float(r[metric]) for r in finished]
        jitter = [((i * 0.618) % 1 - 0.5) * 0.2 for i in range(len(xs))]  # side by side, not on top of each other
        ax.scatter([x + j for x, j in zip(xs, jitter)], ys, s=12, alpha=0.5, label="one trial")
        means = [statistics.fmean(y for x, y in zip(xs, ys) if x == i) if i in xs else math.nan
                 for i in range(len(values))]
        ax.plot(range(len(values)), means, marker="o", color="black", label="mean")
        ax.set_xticks(range(len(values)), values)
        ax.set(xlabel=name, title=f"{metric.replace('_', ' ')} vs {name}")
        ax.grid(alpha=0.3)
    panels[0].set_ylabel(metric.replace("_", " "))
    panels[0].legend(loc="best", fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return write_atomically(path, buffer.getvalue(), "--plot")


# ------------------------------------------------------------------ the command line
def add_command(subparsers):
    """Add ``glassnet sweep`` to the CLI's subparsers; it calls ``run(args)``."""
    summary = "train for every combination of some train settings, several times, and keep the scores in a CSV"
    p = subparsers.add_parser("sweep", help=summary, description=summary[0].upper() + summary[1:] + ".")
    p.add_argument("--data", default="digits", metavar="DATA",
                   help="a built-in data set (digits, iris, stairs, stairs4, mnist5k) or a folder of MNIST files "
                        "(default: digits)")
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2",
                   help=f"a train setting and its values, such as lr=0.01,0.1; repeat for more settings. Settings: "
                        f"{', '.join(SETTINGS)} (hidden=N: one hidden layer; layers=128-64: sizes with dashes)")
    p.add_argument("--repeats", type=int, default=1, metavar="N", help="trials per combination (default: 1)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="the sweep's seed: the data split and every trial's seed (default: 0)")
    p.add_argument("--engine", default="local", choices=ENGINES,
                   help="local: processes on this machine; ray: Ray tasks (pip install 'glassnet[ray]') "
                        "(default: local)")
    p.add_argument("--address", metavar="ADDR",
                   help="ray only: an existing Ray cluster, HOST:PORT, ray://HOST:PORT or auto (default: a local "
                        "Ray started for the sweep)")
    p.add_argument("--workers", type=int, metavar="N", help="trials at once on this machine (default: its CPUs)")
    p.add_argument("--out", default="sweep.csv", metavar="CSV",
                   help="the results file; trials it holds are not run again (default: sweep.csv)")
    p.add_argument("--plot", metavar="PNG", help="write the metric against each swept setting to this PNG file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)
    return p


def run(args):
    """``glassnet sweep``: run the sweep, then print each combination's scores. Ctrl-C keeps the finished trials."""
    def say(line):
        print(line, flush=True)

    try:
        result = sweep(args.data, args.grid, repeats=args.repeats, seed=args.seed, engine=args.engine,
                       address=args.address, workers=args.workers, out=args.out, plot=args.plot, quiet=args.quiet,
                       echo=say)
    except KeyboardInterrupt:
        print(f"glassnet: sweep stopped; the finished trials are in {args.out}: run the same command to go on",
              file=sys.stderr)
        raise
    print(result.text())
    print(f"ran {result.ran} trials ({result.failed} failed), {result.skipped} were already done; "
          f"results in {result.out}")
    if args.plot:
        print(f"saved the plot to {args.plot}")


__all__ = ["SETTINGS", "SweepResult", "add_command", "parse_grid", "plot_results", "run", "run_trial", "sweep",
           "trial_seed", "trials"]
