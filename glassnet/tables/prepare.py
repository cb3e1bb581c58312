"""``prepare``: a table made ready for training; what a trained model keeps about its table, and uses."""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field

import numpy as np

from glassnet.checks import choice, describe, shown
from glassnet.preprocessing import MinMax, Pipeline, RashidScale, Standardize
from glassnet.tables.columns import MISSING_STRATEGIES, UNKNOWN_POLICIES, Columns, MissingValues
from glassnet.tables.frame import Frame, as_frame, parse_number
from glassnet.tables.task import Task, decide_task, split_rows
from glassnet.tables.words import api_words, count, few, names_list, number_text

ID_NAME = re.compile(r"(?i)^(id|.*[_ ]id|index|row|row_?(id|number)|key|uuid|serial)$")


@dataclass
class Prepared:
    """A table made ready for training: the split, the task, the fitted ``Columns`` and what was noticed.

    ``X_train``/``X_test`` are Frames of the feature columns (the network's
    preprocessing takes them as they are), ``y_train``/``y_test`` the
    targets as ``Task.labels`` gives them (class indices, or an (N, k)
    matrix in the target's units), ``train_rows``/``test_rows`` the rows'
    indices in the table after rows with a missing target (or, with
    ``missing="drop"``, any missing cell) were left out. ``notes`` are
    lines worth showing a person (the task decided, dropped rows, ignored
    columns); ``warnings`` are about columns that are probably not
    features (ID-like, constant).
    """

    X_train: Frame
    X_test: Frame
    y_train: np.ndarray
    y_test: np.ndarray
    task: Task
    columns: Columns
    train_rows: np.ndarray
    test_rows: np.ndarray
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def n_inputs(self) -> int:
        """The network's inputs: numeric columns plus one per category of each categorical column."""
        return self.columns.n_outputs_

    @property
    def n_outputs(self) -> int:
        """The network's outputs: one per class, or one per regression target."""
        return len(self.task.targets) if self.task.kind == "regression" else len(self.task.classes)

    def preprocessing(self, scale="standardize"):
        """The preprocessing for the network: ``columns``, then a scaling fitted on the training rows.

        ``scale`` is ``"standardize"``, ``"minmax"``, ``"rashid"`` (Rashid's
        0.01-1.0, with the largest training value as the maximum) or
        ``"none"`` (the columns alone).
        """
        choice("scale", scale, SCALES)
        if scale == "none":
            return self.columns
        encoded = self.columns.transform(self.X_train)
        scaler = (RashidScale(max_value=float(encoded.max())) if scale == "rashid" else
                  {"standardize": Standardize, "minmax": MinMax}[scale]())
        return Pipeline([self.columns, scaler.fit(encoded)])


SCALES = ("standardize", "minmax", "rashid", "none")


def _pick(frame, spec, arg, say):
    """A column given as a name or a 0-based index (negative from the end), as its name."""
    if isinstance(spec, str):
        if spec in frame:
            return spec
        if re.fullmatch(r"-?\d{1,18}", spec.strip()):  # an index as text; more digits name no column
            spec = int(spec)
        else:
            raise ValueError(f"{say(arg)} {shown(spec)} is not a column of {frame.named}; its columns "
                             f"are {few(frame.names)}")
    if isinstance(spec, numbers.Integral) and not isinstance(spec, bool):
        n = len(frame.names)
        if not -n <= spec < n:
            raise ValueError(f"{say(arg)} index {shown(spec)} is out of range: the table has {n} columns "
                             f"(0 to {n - 1}, or -1 to {-n} from the end)")
        return frame.names[spec]
    raise TypeError(f"{arg} must be column names or 0-based indexes, got {describe(spec)}")


def prepare(frame, target=None, *, task="auto", ignore=(), categorical=None, numeric=None, missing="error",
            unknown="ignore", test_split=0.2, seed=0, say=None) -> Prepared:
    """Decide the task, split the rows and fit the ``Columns`` of a table, ready for ``fit``.

    Parameters
    ----------
    frame : Frame
        The table (``read_table``), or anything ``as_frame`` takes.
    target : str, int, list of them, or None
        The target column(s), by name or 0-based index; None takes the last
        column. Several columns make a multi-output regression.
    task : "auto", "classification" or "regression"
        See ``decide_task``.
    ignore : list of str or int
        Columns that are neither target nor feature (an ID, free text).
    categorical, numeric, missing, unknown
        As ``Columns`` takes them.
    test_split : float in [0, 1)
        Share of rows held out for testing (stratified by class); 0 keeps all.
    seed : int
        Seed of the split.
    say : callable, optional
        How messages name arguments; the CLI passes ``cli_words`` so that
        they name its flags.

    Returns
    -------
    Prepared

    Raises
    ------
    ValueError
        Naming the argument: an unknown column, a target that is no class
        label nor quantity, missing cells with ``missing="error"`` (a
        ``MissingValues``), no feature left.
    """
    if say is not None and not callable(say):
        raise TypeError(f"say must be None or a function that names an argument in a message (such as "
                        f"glassnet.tables.cli_words), got {describe(say)}")
    say = say or api_words
    table = frame if isinstance(frame, Frame) else as_frame(frame)
    if table is None:
        raise TypeError(f"frame must be a Frame, DataFrame or dict of columns, got {describe(frame)}")
    choice("missing", missing, MISSING_STRATEGIES)
    choice("unknown", unknown, UNKNOWN_POLICIES)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a whole number >= 0, got {describe(seed)}")
    if isinstance(target, (list, tuple)) and not target:
        raise ValueError(f"{say('target')} names no column; give one, or None for the last")
    if ignore is None:
        ignore = ()
    if not isinstance(ignore, (list, tuple)):
        raise TypeError(f"ignore must be a list of column names or indexes, got {describe(ignore)}")
    categorical = None if categorical is None else names_list(say("categorical"), categorical)
    numeric = None if numeric is None else names_list(say("numeric"), numeric)
    targets = [table.names[-1]] if target is None else [
        _pick(table, t, "target", say) for t in (target if isinstance(target, (list, tuple)) else [target])]
    if len(set(targets)) < len(targets):
        raise ValueError(f"{say('target')} names a column twice")
    dropped = [_pick(table, c, "ignore", say) for c in ignore]
    clash = [t for t in targets if t in dropped]
    if clash:
        raise ValueError(f"{shown(clash[0])} is the target; it cannot also be in {say('ignore')}")
    left_out = set(targets) | set(dropped)
    features = [n for n in table.names if n not in left_out]
    if len(table.names) == 1:
        hint = f" (read with the delimiter {shown(table.delimiter)}: is it the right one?)" if table.delimiter else ""
        raise ValueError(f"{table.named} has one column, {shown(table.names[0])}{hint}; a network needs "
                         "features and a target")
    if not features:
        raise ValueError(f"{table.named} has no feature column left: every column is the target or "
                         f"in {say('ignore')}")
    both = sorted(set(categorical or ()) & set(numeric or ()))
    if both:
        raise ValueError(f"column {shown(both[0])} is in both {say('categorical')} and {say('numeric')}")
    for arg, names in (("categorical", categorical), ("numeric", numeric)):
        if names is not None:
            for n in names:
                if n in left_out or n not in table:
                    what = "the target" if n in targets else ("ignored" if n in dropped else "not a column")
                    raise ValueError(f"{say(arg)}: {shown(n)} is {what}; the features are {few(features)}")
    notes = []
    decided = decide_task(table, targets, task, say)
    notes.append(decided.reason + (" (the last column; choose another with "
                                   f"{say('target')})" if target is None else ""))
    # rows with no target value cannot be used; with missing="drop" neither can rows with a missing feature
    keep = np.ones(table.n_rows, dtype=bool)
    for t in targets:
        gone = table.missing(t)
        if gone.any() and missing != "drop":
            first = int(np.argmax(gone))
            raise MissingValues(f"the target {shown(t)} is missing in {count(int(gone.sum()), 'row')} (first at "
                                f"{table.where(first)}); give {say('missing', 'drop')} to leave those rows out",
                                t, int(gone.sum()), table.where(first))
        keep &= ~gone
    if missing == "drop":
        for n in features:
            keep &= ~table.missing(n)
        n_left = int(keep.sum())
        if n_left < table.n_rows:
            notes.append(f"left out {table.n_rows - n_left:,} of {table.n_rows:,} rows with missing cells "
                         f"({say('missing', 'drop')})")
        if n_left == 0:
            raise ValueError(f"every row has a missing cell; {say('missing', 'drop')} leaves no rows: choose a fill "
                             f"strategy with {say('missing')} mean, median or most_frequent")
    if missing == "error":  # counted over the whole table, not the training rows alone
        for n in features:
            gone = table.missing(n)
            if gone.any():
                raise MissingValues.found(n, gone, table, f"choose how to handle them with "
                                          f"{say('missing')} drop, mean, median or most_frequent")
    used = table.take(keep) if not keep.all() else table
    labels = decided.labels(used) if decided.kind == "classification" else None
    train, test = split_rows(used.n_rows, test_split, seed, labels, say)
    if len(train) == 0:
        raise ValueError(f"{say('test_split')} {test_split} leaves no rows for training")
    X = used.select(features)
    X_train, X_test = X.take(train), X.take(test)
    prep = Columns(categorical, numeric, missing, unknown).fit(X_train)
    _check_room(used, prep, decided, say)
    if len(test):
        prep.transform(X_test)  # every problem in a cell (inf, text in a number column) now, not after training
    _check_size(X, prep, say)
    if decided.kind == "regression":
        Y = decided.labels(used, train)
        big = np.abs(Y).max()
        if big > MAX_TARGET:
            raise ValueError(f"target {shown(decided.targets[0])} holds {number_text(big)}; regression targets must be "
                             f"within +-{MAX_TARGET:.0e} (the network trains in float32): rescale them")
        decided.fit_scale(Y)
    y = decided.labels(used) if labels is None else labels
    warnings = _column_warnings(X_train, prep, say)
    if decided.kind == "regression" and len(decided.targets) == 1 and len(y) >= 20:
        values = y[:, 0]
        if np.all(values == np.round(values)) and len(np.unique(values)) == len(values):
            warnings.append(f"the target {shown(decided.targets[0])} has a different whole number in every row, like "
                            "an ID; is it the column to predict?")
    if dropped:
        notes.append(f"ignored columns: {', '.join(map(shown, dropped))}")
    return Prepared(X_train, X_test, y[train], y[test], decided, prep, train, test, notes, warnings)


# Numbers beyond these cannot be standardized (their squares overflow) or kept in float32 weights.
MAX_FEATURE = 1e150
MAX_TARGET = 1e30


def _check_room(frame, prep, task, say):
    """Refuse a table whose input matrix (every row, one input per category) and one-hot targets would not fit
    in memory, with the estimate and the columns that make it wide, before either is made."""
    n = frame.n_rows
    also = (0, "")
    if task.kind == "classification":
        k = len(task.classes)
        also = (8 * n * k, f" and {n:,} x {k:,} one-hot targets of {shown(task.targets[0])} ({k:,} classes)")
    wide = prep.widest()
    if wide:
        hint = f"leave out {shown(wide[0][0])} with {say('ignore', wide[0][0])}, or use fewer rows"
    else:
        hint = "use fewer rows or columns"
    prep.check_room(n, frame.named, hint, also)


def _check_size(frame, prep, say):
    """Refuse feature values too large to be scaled, naming the column and the row."""
    if frame.matrix is not None and frame.matrix.size:  # two passes over one matrix, no temporary
        if max(frame.matrix.max(), -frame.matrix.min()) <= MAX_FEATURE:
            return
    for name, kind in zip(prep.names, prep.kinds):
        column = frame[name]
        if kind == "numeric" and column.dtype != object:
            big = np.abs(np.nan_to_num(column))
            if big.size and big.max() > MAX_FEATURE:
                row = int(np.argmax(big))
                raise ValueError(f"{frame.where(row)}: column {shown(name)} holds {number_text(column[row])}; numbers "
                                 f"beyond +-{MAX_FEATURE:.0e} cannot be scaled: rescale the column (other units)")


def _column_warnings(frame, prep, say):
    """Lines about columns that are probably not features: ID-like ones, constant ones (one line for all of
    them), text columns that are mostly numbers, and text columns with very many categories."""
    found, constant = [], []
    n = frame.n_rows
    for name, kind, categories in zip(prep.names, prep.kinds, prep.categories):
        column = frame[name]
        present = column[~frame.missing(name)]
        if kind == "numeric":
            low, high = float(present.min()), float(present.max())
            if low == high:
                constant.append(f"{shown(name)} ({number_text(low)})")
            elif ID_NAME.match(name) or (n >= 20 and high - low >= len(present) - 1
                                         and np.all(present == np.round(present))
                                         and len(np.unique(present)) == len(present)):
                why = "by its name" if ID_NAME.match(name) else "a different whole number in every row"
                found.append(f"column {shown(name)} looks like an ID ({why}) but is used as a feature; leave it out "
                             f"with {say('ignore', name)}")
            continue
        if len(categories) == 1:
            constant.append(f"{shown(name)} ({shown(categories[0])})")
            continue
        n_numbers = sum(1 for text in present if parse_number(text) is not None) if column.dtype == object else 0
        if len(present) > n_numbers >= 0.9 * len(present):
            odd = next(i for i, text in enumerate(column) if text is not None and not parse_number(text) is not None)
            found.append(f"column {shown(name)} is mostly numbers but {frame.where(odd)} holds {shown(column[odd])}, "
                         f"so it is taken as {len(categories):,} categories; if it is a quantity, fix that cell or "
                         f"give {say('numeric', name)} to see each bad cell")
            continue
        if n >= 20 and len(categories) == len(present):
            found.append(f"column {shown(name)} has a different text in every row (an ID or free text?), one input "
                         f"each; leave it out with {say('ignore', name)}")
            continue
        if len(categories) > 50:
            found.append(f"column {shown(name)} has {len(categories):,} categories, one input each")
    if constant:
        listed = ", ".join(constant[:5]) + (f" and {len(constant) - 5} more" if len(constant) > 5 else "")
        found.append(f"{count(len(constant), 'column')} {'has' if len(constant) == 1 else 'have'} one value in every "
                     f"training row, which tells the network nothing: {listed}")
    return found


def table_step(preprocessing):
    """The ``Columns`` step of a model's preprocessing (its named columns), or None for a model of arrays."""
    steps = getattr(preprocessing, "steps", [preprocessing])
    return steps[0] if steps and getattr(steps[0], "takes_tables", False) else None


def with_columns(preprocessing, X, feature_names, n_in):
    """``preprocessing`` with a ``Columns`` step fitted on ``X`` in front, when ``X`` names its columns.

    ``X`` without names (a plain array and no ``feature_names``) leaves
    ``preprocessing`` as it is. ``n_in``, the network's input count, must
    be what the step makes of ``X`` (text columns become one input per
    category).
    """
    if as_frame(X, feature_names) is None:
        return preprocessing
    columns = Columns().fit(X, feature_names)
    width = preprocessing.n_features_ if preprocessing is not None and preprocessing.n_features_ else n_in
    if columns.n_outputs_ != width:
        text = [n for n, kind in zip(columns.names, columns.kinds) if kind == "categorical"]
        made = f" once its text columns {few(text)} are one-hot encoded" if text else ""
        raise ValueError(f"X has {len(columns.names)} named columns, {columns.n_outputs_} inputs{made}, but the "
                         f"network takes {width}")
    return columns if preprocessing is None else Pipeline([columns, preprocessing])


def record(frame, prepared, *, seed, test_split, ignore=(), categorical=None, numeric=None) -> dict:
    """What a model keeps about the table it was trained on (plain data for ``net.notes``).

    The file's name and hash, its delimiter, the task and target(s), the
    classes as written, and every setting of the split, so that
    ``rows_to_score`` can find the held-out rows again.
    """
    task = prepared.task
    return {
        "data": frame.source, "sha256": frame.sha256, "rows": frame.n_rows, "delimiter": frame.delimiter,
        "target": list(task.targets), "task": task.kind, "classes": task.classes,
        "ignore": [str(c) for c in ignore or ()], "categorical": categorical, "numeric": numeric,
        "missing": prepared.columns.missing, "seed": seed, "test_split": test_split,
    }


def model_task(net, targets=None) -> Task:
    """A trained model's ``Task``, from what ``record`` kept in its notes (``targets`` overrides the target)."""
    notes = net.notes or {}
    targets = targets or notes.get("target") or []
    targets = [targets] if isinstance(targets, str) else [str(t) for t in targets]
    if net.is_regression:
        return Task("regression", targets)
    classes = notes.get("classes")
    if not isinstance(classes, list) or len(classes) != net.n_out:
        classes = net.class_names or list(range(net.n_out))
    return Task("classification", targets[:1], list(classes))


def rows_to_score(net, frame, *, all_rows=False, seed=None, test_split=None, target=None, say=None):
    """The rows of ``frame`` on which to score ``net``, as ``(X, y, description)``.

    When ``frame`` is the very file the model was trained on (same hash),
    these are the rows its split held out, found again with the recorded
    seed and settings (``seed``/``test_split`` override them); ``all_rows``
    takes every row. Any other file is scored whole. Rows whose target is
    missing (and, for a model trained with ``missing="drop"``, rows with a
    missing cell) are left out and counted in the description.
    """
    say = say or api_words
    columns = table_step(net.preprocessing)
    if columns is None:
        raise ValueError("rows_to_score takes a model trained on a table (its preprocessing starts with Columns)")
    notes = net.notes or {}
    recorded = notes.get("target")
    if target and recorded and list(target if isinstance(target, (list, tuple)) else [target]) != list(recorded):
        raise ValueError(f"the model was trained to predict {few(recorded)}; {say('target')} {few(target)} would "
                         "score it against another column")
    task = model_task(net, target)
    if not task.targets:
        raise ValueError(f"the model does not record its target column; name it with {say('target')}")
    absent = [t for t in task.targets if t not in frame]
    if absent:
        raise ValueError(f"the target column {shown(absent[0])} is missing from {frame.named}; scoring "
                         "needs it (predictions need only the features)")
    lost = [n for n in columns.names if n not in frame]
    if lost:
        raise ValueError(f"{frame.named} has no column {shown(lost[0])}, which the model needs"
                         + (f" ({len(lost)} are missing)" if len(lost) > 1 else ""))
    same = frame.sha256 is not None and frame.sha256 == notes.get("sha256")
    if (seed is not None or test_split is not None) and not same:
        raise ValueError(f"{say('seed')} and {say('test_split')} re-create the split of the file the model was "
                         f"trained on; {frame.named} is not that file (its contents differ), and all "
                         "of its rows are scored")
    trained = (notes.get("seed", 0), notes.get("test_split", 0.2))
    test_split = trained[1] if test_split is None else test_split
    seed = trained[0] if seed is None else seed
    source = frame.named
    if same and not all_rows and test_split > 0:
        prepared = prepare(
            frame, task.targets if len(task.targets) > 1 else task.targets[0], task=task.kind,
            ignore=notes.get("ignore") or (), categorical=notes.get("categorical"), numeric=notes.get("numeric"),
            missing=columns.missing, unknown=columns.unknown, test_split=test_split, seed=seed, say=say,
        )
        if task.kind == "classification" and prepared.task.class_names != task.class_names:
            raise ValueError(f"{source} gives the classes {prepared.task.class_names}, the model knows "
                             f"{task.class_names}; score every row with {say('all_rows', True)}")
        if (seed, test_split) == trained:
            what = (f"the {len(prepared.test_rows):,} held-out rows of {source}, the test split of training (seed "
                    f"{seed}, test split {test_split}); {say('all_rows', True)} scores every row")
        else:
            what = (f"the {len(prepared.test_rows):,} rows of {source} that a split with seed {seed}, test split "
                    f"{test_split} holds out; training split it with seed {trained[0]}, test split {trained[1]}, so "
                    "these may include rows the model was trained on")
        return prepared.X_test, prepared.y_test, what
    keep = np.ones(frame.n_rows, dtype=bool)
    for name in task.targets + (columns.names if columns.missing == "drop" else []):
        keep &= ~frame.missing(name)
    dropped = frame.n_rows - int(keep.sum())
    if dropped:
        frame = frame.take(keep)
    what = f"all {frame.n_rows:,} rows of {source}"
    if dropped:
        what += f" ({dropped:,} rows with a missing {'cell' if columns.missing == 'drop' else 'target'} left out)"
    if same:
        what += "; the model was trained on this file, so these include its training rows"
    return frame, task.labels(frame), what


def input_notes(columns, frame) -> list:
    """Lines worth telling a person about ``frame`` as input to a model with these ``columns``: columns it
    ignores, missing cells it fills, categories it never saw."""
    notes = []
    extra = columns.extra_columns(frame)
    if extra:
        notes.append(f"ignored {count(len(extra), 'column')} the model does not take: "
                     + ", ".join(map(shown, extra[:8])) + (", ..." if len(extra) > 8 else ""))
    filled = sum(int(frame.missing(n).sum()) for n in columns.names if n in frame)
    if filled and columns.missing not in ("error", "drop"):
        notes.append(f"filled {count(filled, 'missing cell')} with the values learned in training ({columns.missing})")
    unseen = columns.unknown_categories(frame)
    if unseen:
        counts = ", ".join(f"{name}: {n}" for name, n in unseen.items())
        n = sum(unseen.values())
        notes.append(f"{count(n, 'cell')} {'holds a category' if n == 1 else 'hold categories'} not seen in training "
                     f"({counts}), encoded as none of the known ones")
    return notes
