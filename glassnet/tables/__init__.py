"""Tables: a user's own data file, from its cells to what a network takes.

The steps, in the order ``prepare`` runs them (the CLI, and anything else that
trains on a file, goes through here):

``read_table``
    A CSV file as a ``Frame``: named columns, each numbers (NaN where a cell
    is missing) or texts (None where missing). The delimiter (comma,
    semicolon, tab or bar) is detected, and ``NA``, ``?`` and the like count
    as missing. A file of plain numbers goes through ``glassnet.data``'s fast
    reader; any other is read cell by cell.
``decide_task``
    Classification or regression, and why, from the target column: text,
    booleans and whole numbers with few distinct values are classes (kept as
    they are written: -1/+1 stays -1/+1, no class 0 is invented for 1/2/3),
    anything else is a quantity. The ``Task`` turns the column into what
    ``fit`` takes (class indices, or standardized values) and, for
    regression, folds the standardization back into the output layer so that
    the network predicts in the target's own units.
``split_rows``
    The seeded train/test split (stratified for classes); a test share of 0
    keeps every row for training.
``Columns``
    The preprocessing step that travels with the model: the feature names,
    each column's kind (numeric or categorical), the fill value of each
    column (learned on the training rows) and the categories of each
    categorical column (one input per category). It matches the columns of
    what it is given **by name**, in any order; an array without names is
    taken by position.

``prepare`` runs them all on a table and returns a ``Prepared`` (the
split rows, the task, the fitted ``Columns`` and the lines worth telling a
person: the task decided, ID-like and constant columns, dropped rows).
``record``, ``model_task`` and ``rows_to_score`` keep and use what a
trained model knows about its table, so that the held-out rows can be
found again.

The modules: ``frame`` (Frame, read_table), ``task`` (Task, decide_task,
split_rows), ``columns`` (Columns), ``prepare`` (prepare and the model's
record), ``words`` (how messages name arguments: ``task='regression'`` in
the library, ``--task regression`` on the command line). Row numbers in
messages are the file's line numbers when the table came from a file, else
1-based row numbers.
"""

from glassnet.tables.columns import MISSING_STRATEGIES, UNKNOWN_POLICIES, Columns, MissingValues
from glassnet.tables.frame import (
    DELIMITERS,
    MISSING_TEXTS,
    Frame,
    as_frame,
    detect_delimiter,
    file_sha256,
    missing_mask,
    read_table,
)
from glassnet.tables.prepare import (
    Prepared,
    input_notes,
    model_task,
    prepare,
    record,
    rows_to_score,
    table_step,
    with_columns,
)
from glassnet.tables.task import MAX_AUTO_CLASSES, MAX_CLASSES, TASKS, Task, decide_task, split_rows
from glassnet.tables.words import api_words, cli_words

__all__ = [
    "DELIMITERS", "MAX_AUTO_CLASSES", "MAX_CLASSES", "MISSING_STRATEGIES", "MISSING_TEXTS", "TASKS",
    "UNKNOWN_POLICIES", "Columns", "Frame", "MissingValues", "Prepared", "Task", "api_words", "as_frame",
    "cli_words", "decide_task", "detect_delimiter", "file_sha256", "input_notes", "missing_mask", "model_task",
    "prepare", "read_table", "record", "rows_to_score", "split_rows", "table_step", "with_columns",
]
