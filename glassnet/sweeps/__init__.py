"""Sweeps: train one network for every combination of some ``train`` settings, several times, and keep the scores.

``glassnet.sweep("digits", {"lr": [0.01, 0.1], "hidden": [50, 100]}, repeats=3, out="sweep.csv")`` or
``glassnet sweep --data digits --grid lr=0.01,0.1 --grid hidden=50,100 --repeats 3 --out sweep.csv``.

The pieces, in the order a sweep uses them:

``grid``       ``parse_grid``: ``KEY=V1,V2`` texts (or a dict) checked value by value with ``glassnet train``'s own
               parser; ``trials``: the combinations times the repeats, each with its settings and seed
``recipes``    how one trial trains (``train``: as ``glassnet train`` on a built-in set, a folder of MNIST files or a
               CSV table; ``rashid``: Rashid's experiments, which ``glassnet experiment rashid-grid`` runs here)
``engines``    ``local`` (a process pool on this machine) and ``ray`` (Ray tasks on a local Ray started for the
               sweep, or on an existing cluster); both run the same trial on the same inputs, so their metrics
               agree bit for bit
``results``    the CSV file, rewritten whole (``glassnet.files.write_atomically``) after every finished trial, so
               a killed sweep leaves only whole rows and a rerun skips the trials it holds; ``SweepResult``; the plot
``command``    ``glassnet sweep`` (the CLI imports it; nothing here does)
"""

from __future__ import annotations

import os
import sys

from glassnet.sweeps.engines import CONNECT_TIMEOUT, ENGINES, check_address
from glassnet.sweeps.grid import Trial, explicit, parse_grid, trials
from glassnet.sweeps.recipes import (
    CLASSIFICATION,
    RECIPES,
    REGRESSION,
    TABLE_OPTIONS,
    TRAIN_AXES,
    get_recipe,
    is_table,
    run_trial,
    trial_seed,
)
from glassnet.sweeps.results import SweepResult, cell, columns, plot_results, read_rows, row_key, write_rows

SETTINGS = TRAIN_AXES  # the settings a grid of the train recipe may vary
METRICS = CLASSIFICATION  # the metric columns of a sweep over classes
REGRESSION_METRICS = REGRESSION  # ... and over a regression (a CSV table's numeric target)


def _folder(name) -> bool:
    try:
        return os.path.isdir(name)
    except (OSError, ValueError):  # a name too long for a path, one with a NUL character, ...
        return False


def _options(given: dict) -> dict:
    """The table settings given, as ``glassnet.tables.prepare`` takes them (texts as train's flags read them)."""
    from glassnet import flags

    out = {}
    for key, value in given.items():
        if value is None or (key in ("task", "missing") and value in ("auto", "error")):
            continue
        if key == "target" and isinstance(value, str):
            value = flags.column_spec(value)
        elif key == "ignore" and isinstance(value, str):
            value = flags.column_list(value)
        elif key in ("categorical", "numeric") and isinstance(value, str):
            value = flags.name_list(value, f"--{key}")
        elif key == "task" and value not in ("classification", "regression"):
            raise ValueError(f"--task must be auto, classification or regression, got {value!r}")
        elif key == "missing":
            from glassnet.tables.columns import MISSING_STRATEGIES

            if value not in MISSING_STRATEGIES:
                raise ValueError(f"--missing must be one of {', '.join(MISSING_STRATEGIES)}, got {value!r}")
        elif key == "delimiter":
            value = flags.delimiter(value) if isinstance(value, str) else value
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _data(data, recipe, options) -> tuple:
    """``(sha256 or "", is it a table)`` of ``--data``, or a one-line error naming what it takes."""
    from glassnet.datasets import NAMED

    rule = get_recipe(recipe)
    if rule.data and data not in rule.data:
        raise ValueError(f"--data {data!r}: the {recipe} recipe takes {', '.join(rule.data)} only")
    table = is_table(data)
    if not table and (not isinstance(data, str) or (data not in NAMED and not _folder(data))):
        raise ValueError(f"--data {data!r}: a sweep takes a built-in data set ({', '.join(NAMED)}), a CSV file or "
                         "a folder of MNIST files")
    if options and not table:
        flags = ", ".join(f"--{k}" for k in options)
        raise ValueError(f"{flags}: CSV files only, not {data!r}")
    if not table:
        return "", False
    from glassnet.tables import file_sha256

    return file_sha256(data)[:16], True  # enough to tell one file's content from another's


def sweep(data="digits", grid=None, *, cells=None, recipe="train", repeats=1, seed=0, engine="local", address=None,
          workers=None, out=None, plot=None, quiet=True, echo=None, target=None, ignore=None, task="auto",
          categorical=None, numeric=None, missing="error", delimiter=None) -> SweepResult:
    """Train a network for every combination of ``grid``'s settings, ``repeats`` times each, and keep the scores.

    Parameters
    ----------
    data : str
        A built-in data set (digits, iris, stairs, stairs4, mnist5k), a CSV file (classes or a regression, as
        ``glassnet train`` decides; see the table settings below) or a folder of MNIST files.
    grid : dict or list of str
        ``{"lr": [0.01, 0.1], "hidden": [50, 100]}`` or ``["lr=0.01,0.1", "hidden=50,100"]``: any of ``SETTINGS``
        (``glassnet train``'s settings, checked by its parser); settings not in the grid keep train's defaults.
    cells : list of dict, optional
        Instead of a grid, the combinations themselves (``[{"lr": 0.1, "epochs": 5}, ...]``), all setting the
        same settings: for sweeps that vary one setting at a time, as Rashid's experiments do.
    recipe : {"train", "rashid"}
        How a trial trains (``glassnet.sweeps.RECIPES``): as ``glassnet train`` (default), or Rashid's recipe
        (``glassnet.experiments.rashid_grid``; axes lr, epochs and hidden; data digits).
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
    out : str, optional
        The results CSV. Trials it already holds are not run again: a stopped sweep goes on where it stopped.
        None (the default here; the command's is sweep.csv) keeps the rows in the result only.
    plot : str, optional
        A PNG file for ``plot_results``.
    quiet : bool
        No progress bar (it is shown on a terminal only, in any case).
    echo : callable, optional
        Called with the line that says what the sweep will do.
    target, ignore, task, categorical, numeric, missing, delimiter
        CSV data only, as ``glassnet train``'s flags of the same names (texts as the flags take them, or the
        lists and numbers ``glassnet.tables.prepare`` takes). ``missing`` may also be a grid axis.

    Returns
    -------
    SweepResult

    A trial that fails is written with ``status`` failed and its error, and
    the sweep goes on. Ctrl-C stops the running trials; the file keeps the
    finished ones.
    """
    from glassnet.files import check_output

    get_recipe(recipe)
    if engine not in ENGINES:
        raise ValueError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if address is not None and engine != "ray":
        raise ValueError("--address applies to --engine ray only")
    for name, value, least in (("--repeats", repeats, 1), ("--seed", seed, 0), ("--workers", workers, 1)):
        if value is None and name == "--workers":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
    if grid is None and cells is None:
        raise ValueError("--grid: give at least one setting to sweep, such as --grid lr=0.01,0.1")
    if grid is not None and cells is not None:
        raise ValueError("give grid or cells, not both")
    options = _options({"target": target, "ignore": ignore, "task": task, "categorical": categorical,
                        "numeric": numeric, "missing": missing, "delimiter": delimiter})
    sha256, table = _data(data, recipe, options)
    if out is not None:
        check_output("--out", out, ".csv")
    if plot is not None:
        check_output("--plot", plot, ".png")
    if cells is not None:
        axes, combos = explicit(cells, recipe)
        todo = trials(combos, repeats, seed, recipe, options)
    else:
        grid = parse_grid(grid, recipe)
        axes, todo = list(grid), trials(grid, repeats, seed, recipe, options)
    if "missing" in axes and not table:
        raise ValueError(f"--grid missing: CSV files only, not {data!r}")
    regression = False
    if table:
        from glassnet.sweeps.recipes import load

        for t in todo:
            t.settings["sha256"] = sha256
        # read and prepared once here, so that a wrong column or target is refused before any trial starts (when
        # the grid varies how missing cells are handled, a trial that refuses them fails alone)
        first = {**todo[0].settings, **({"missing": "drop"} if "missing" in axes else {})}
        regression = load(data, first).regression
    if address is not None:
        check_address(address)
    metrics = REGRESSION if regression else CLASSIFICATION
    header = columns(axes, metrics)
    option_text = " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in options.items())
    rows = {}  # key -> row, this sweep's and any other rows the file holds
    for row in (read_rows(out, header) if out is not None else []):
        rows[row_key(row, axes)] = row

    def identity(t):
        return {"recipe": recipe, "data": data, "data_sha256": sha256, "options": option_text,
                "sweep_seed": t.settings["seed"], "repeat": t.repeat}

    mine = [row_key({**identity(t), **t.combination}, axes) for t in todo]
    to_run = [t for t, k in zip(todo, mine) if k not in rows]
    say = echo or (lambda line: None)
    workers = workers or os.cpu_count() or 1
    where = f"the Ray cluster at {address}" if address else f"{workers} worker{'s' * (workers > 1)}"
    n, settings = len(todo), len(todo) // repeats
    kept = f"; {n - len(to_run)} already in {out}" if out is not None else ""
    say(f"sweep: {n} trial{'s' * (n > 1)} ({settings} setting{'s' * (settings > 1)} x {repeats} "
        f"repeat{'s' * (repeats > 1)}) on {data}, engine {engine} ({where}){kept}")

    by_number = {t.number: t for t in to_run}
    tasks = [(t.number, recipe, data, t.settings, t.seed) for t in to_run]
    failed = 0

    def ordered():
        known = set(mine)
        return [rows[k] for k in mine if k in rows] + [r for k, r in rows.items() if k not in known]

    from tqdm import tqdm

    from glassnet.sweeps import engines

    bar = tqdm(total=len(todo), initial=len(todo) - len(to_run), unit="trial", desc="sweep",
               disable=quiet or not sys.stderr.isatty())
    if engine == "local":
        results = engines.local(tasks, min(workers, max(len(tasks), 1)))
    else:
        results = engines.ray(tasks, workers, address)
    try:
        with bar:
            for number, result in (results if tasks else ()):
                t = by_number[number]
                row = {"trial": t.number, **identity(t), **t.combination, "trial_seed": t.seed,
                       "status": "failed" if "error" in result else "ok",
                       **{m: cell(result.get(m)) for m in metrics}, "seconds": f"{result['seconds']:.3f}",
                       "engine": engine, "error": result.get("error", "")}
                failed += "error" in result
                rows[row_key(row, axes)] = {k: str(v) for k, v in row.items()}
                if out is not None:
                    write_rows(out, header, ordered())
                bar.update(1)
    finally:
        results.close()
    result = SweepResult([rows[k] for k in mine], list(axes), len(to_run), failed, len(todo) - len(to_run),
                         None if out is None else str(out), "test_r2" if regression else "test_accuracy")
    if plot is not None:
        plot_results(result, plot)
    return result


__all__ = ["CONNECT_TIMEOUT", "ENGINES", "METRICS", "RECIPES", "REGRESSION_METRICS", "SETTINGS", "TABLE_OPTIONS",
           "SweepResult", "Trial", "check_address", "parse_grid", "plot_results", "run_trial", "sweep", "trial_seed",
           "trials"]
