"""Command-line flags that more than one command reads: train's settings (``glassnet sweep`` reads its grid
values with them) and the checkers of their values. No command runs here."""

from __future__ import annotations

import argparse

BUILTIN_DATA = ("digits", "iris", "stairs", "stairs4", "mnist5k")


def add_train_flags(p):
    """Every flag of ``glassnet train``, with its checker and default, on the (sub)parser ``p``."""
    data_help = f"one of {', '.join(BUILTIN_DATA)}, a CSV file, or a folder of MNIST files (IDX or CSV)"
    p.add_argument("--data", default="digits", metavar="DATA", help=f"{data_help} (default: digits)")
    add_table_flags(p)
    p.add_argument("--class-weight", choices=["balanced"],
                   help="weigh each class by the inverse of its frequency, so that rare classes count as much as "
                        "common ones (default: none)")
    p.add_argument("--layers", default="256", metavar="SIZES",
                   help="hidden layer sizes, e.g. 128,64; '' for none (default: 256)")
    p.add_argument("--activation", default="relu", choices=["relu", "sigmoid", "tanh"],
                   help="hidden activation (default: relu)")
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd"],
                   help="the update rule: adam, or sgd with optional momentum (default: adam)")
    p.add_argument("--lr", type=positive_float, help="learning rate (default: 0.001 for adam, 0.1 for sgd)")
    p.add_argument("--momentum", type=float, default=0.0, metavar="M",
                   help="sgd only: momentum in [0, 1) (default: 0)")
    p.add_argument("--weight-decay", type=float, default=0.0, metavar="W", help="L2 weight decay (default: 0)")
    p.add_argument("--epochs", type=positive_int, default=200, metavar="N",
                   help="at most this many epochs (default: 200)")
    p.add_argument("--batch-size", type=positive_int, default=32, metavar="N",
                   help="samples per update (default: 32)")
    p.add_argument("--val-split", type=float, default=0.1, metavar="SHARE",
                   help="share of the training data held out for validation (default: 0.1)")
    p.add_argument("--early-stopping", type=natural_int, default=20, metavar="PATIENCE",
                   help="stop after this many epochs without a better validation loss and keep the best epoch's "
                        "weights, 0 never (default: 20)")
    p.add_argument("--scale", default="auto", choices=["auto", "standardize", "minmax", "rashid", "none"],
                   help="input preprocessing, fitted on the training data and saved with the model; auto: minmax "
                        "for images, standardize otherwise (default: auto)")
    p.add_argument("--test-split", type=float, default=0.2, metavar="SHARE",
                   help="share held out for the final test when the data has no test set of its own; 0 trains on "
                        "every row (default: 0.2)")
    p.add_argument("--seed", type=natural_int, default=0, metavar="N",
                   help="seed for the split, weights and shuffling (default: 0)")
    p.add_argument("--out", default="model.safetensors", metavar="MODEL",
                   help="model file to write (default: model.safetensors)")
    p.add_argument("--plot", metavar="PNG", help="write learning curves to this PNG file")
    p.add_argument("--plot-weights", metavar="PNG",
                   help="image data: draw each hidden node's incoming weights as an image in this PNG file")
    p.add_argument("--checkpoint", metavar="PATH",
                   help="write the whole run to this file every --checkpoint-every epochs and when it ends; Ctrl-C "
                        "(or SIGTERM) then finishes the batch, writes it and exits 130 (143), and --resume goes on")
    p.add_argument("--checkpoint-every", type=positive_int, default=1, metavar="N",
                   help="epochs between two checkpoints (default: 1)")
    p.add_argument("--resume", metavar="PATH",
                   help="go on with the run saved in this checkpoint, with the data and settings it was started "
                        "with; only --epochs, --out, --checkpoint, --checkpoint-every, --plot, --plot-weights and "
                        "--quiet may be given with it")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_table_flags(p):
    """The flags that say how to read a CSV table (train's, and a sweep's over a table)."""
    p.add_argument("--target", metavar="COL",
                   help="CSV only: the target column, a name or a 0-based index; several, comma-separated, for a "
                        "regression with several outputs (default: the last)")
    p.add_argument("--ignore", metavar="COLS",
                   help="CSV only: comma-separated columns that are not features, such as an id")
    p.add_argument("--task", default="auto", choices=["auto", "classification", "regression"],
                   help="CSV only: auto takes classes for text, booleans and whole numbers with at most 20 distinct "
                        "values, regression otherwise, and says which (default: auto)")
    p.add_argument("--categorical", metavar="COLS",
                   help="CSV only: comma-separated columns to one-hot encode even if they hold numbers "
                        "(default: the text columns)")
    p.add_argument("--numeric", metavar="COLS",
                   help="CSV only: comma-separated columns that must be numbers (default: the number columns)")
    p.add_argument("--missing", default="error", choices=["error", "drop", "mean", "median", "most_frequent"],
                   help="CSV only: what to do with empty or NA cells: refuse them, drop their rows, or fill them "
                        "with a value learned on the training rows (text columns: the most frequent) "
                        "(default: error)")
    p.add_argument("--unknown", default="ignore", choices=["ignore", "error"],
                   help="CSV only: a category predict meets that training never saw: no category (all zeros), "
                        "or an error (default: ignore)")
    p.add_argument("--delimiter", type=delimiter, metavar="CHAR",
                   help="CSV only: the cell delimiter, e.g. ';' or tab (default: detected among comma, semicolon, "
                        "tab and bar)")


def column_spec(text):
    """``--target``: a column index when it is a number, else a column name; several, comma-separated, as a list."""
    if text is None:
        return None
    if "," in text:
        return column_list(text)
    return int(text) if text.lstrip("-").isdigit() else text


def column_list(text):
    """``--ignore a,b,0`` as a list of column names and indexes."""
    return [column_spec(part.strip()) for part in text.split(",") if part.strip()] if text else []


def name_list(text, flag="--categorical"):
    """``--categorical a,b`` as a list of names (None when not given)."""
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError(f"{flag} names no column, got {text!r}; give comma-separated column names")
    return names


def delimiter(text):
    names = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}
    text = names.get(text, text)
    if len(text) != 1 or text in "\"\r\n":
        raise argparse.ArgumentTypeError(f"expected one character such as ';' or tab, got {text!r}")
    return text


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def positive_int(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def natural_int(text):
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)
