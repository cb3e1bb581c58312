"""End-to-end tests of the command line: output, exit codes, one-line errors."""

import argparse
import csv
import inspect
import io
import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import datasets, tutorials
from glassnet.cli import EXPERIMENT_LRS, build_parser, main, progress_bar
from glassnet.tutorials import Prose, wrap


def run_cli(*args):
    """Run ``python -m glassnet ARGS`` in a real process, as a user would."""
    return subprocess.run([sys.executable, "-m", "glassnet", *args], capture_output=True, text=True, timeout=120)


def test_version_prints_the_package_version():
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"glassnet {glassnet.__version__}"


def test_no_command_prints_help_listing_the_commands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "tutorial", "train", "evaluate", "predict", "inspect", "datasets", "experiment"):
        assert re.search(rf"^\s+{command}\s", out, re.MULTILINE)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["tutorial", "nope"], "invalid choice: 'nope'"),
        (["tutorial"], "the following arguments are required: name"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["tutorial", "stairs", "--train", "a.csv", "--test", "b.csv"], "--train, --test: options of the rashid"),
        (["tutorial", "desai", "--epochs", "3"], "--epochs: options of the rashid tutorial only"),
        (["tutorial", "rashid", "--hidden", "0"], "argument --hidden: expected a whole number >= 1, got '0'"),
        (["tutorial", "rashid", "--train", "a.csv"], "give both --train PATH and --test PATH"),
        (["demo", "--epochs"], "unrecognized arguments: --epochs"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(argv, fragment):
    proc = run_cli(*argv)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("glassnet: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_data_file_is_an_input_error(tmp_path):
    missing = tmp_path / "nowhere.csv"
    proc = run_cli("tutorial", "rashid", "--train", str(missing), "--test", str(missing))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere.csv" in lines[0]


def test_unexpected_failures_exit_1_with_one_line(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr("glassnet.cli.cmd_tutorial", boom)
    assert main(["tutorial", "stairs"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["glassnet: failed: RuntimeError: disk on fire"]


def test_demo_trains_digits_to_at_least_95_percent():
    proc = run_cli("demo")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # part 1: the stairs worked example's forward pass, as the tutorial prints it
    assert "Z1 = [ -0.42392   1.12803 ]" in out
    assert "loss = mean(loss_i) = 0.69257" in out
    # part 2: the digits network, ending with its test accuracy
    match = re.search(r"test accuracy: (\d\.\d{4}) on (\d+) held-out digits", out)
    assert match, out[-500:]
    assert float(match.group(1)) >= 0.95
    assert int(match.group(2)) == 449


def test_tutorial_json_is_valid_json_for_every_tutorial(capsys):
    for name in tutorials.TUTORIALS:  # in this process: each tutorial's own subprocess run would cost seconds
        assert main(["tutorial", name, "--json"]) == 0, name
        out, err = capsys.readouterr()
        assert err == "", (name, err)
        doc = json.loads(out)
        assert doc["tutorial"] == name
        assert doc["errata"], f"{name} lists no errata"


class FakeTerminal(io.StringIO):
    """stderr as a terminal 100 columns wide, so tqdm draws its bar into a string."""

    def isatty(self):
        return True


@pytest.mark.parametrize("terminal, quiet, drawn", [(True, False, True), (True, True, False), (False, False, False)])
def test_progress_bar_shows_epoch_loss_and_accuracies_only_on_a_terminal(monkeypatch, terminal, quiet, drawn):
    stream = FakeTerminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setenv("COLUMNS", "100")
    callback, bar = progress_bar(2, quiet=quiet)
    history = glassnet.History(loss=[0.5, 0.25], accuracy=[0.8, 0.9], val_loss=[0.6, 0.3], val_accuracy=[0.7, 0.85])
    with bar:
        callback(1, glassnet.History(loss=[0.5], accuracy=[0.8], val_loss=[0.6], val_accuracy=[0.7]))
        callback(2, history)
    text = stream.getvalue()
    if drawn:
        assert "2/2" in text and "loss=0.2500" in text and "acc=0.900" in text and "val_acc=0.850" in text
    else:
        assert text == ""


def test_progress_bar_shows_r2_for_a_regression(monkeypatch):
    stream = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setenv("COLUMNS", "100")
    callback, bar = progress_bar(1)
    with bar:
        callback(1, glassnet.History(loss=[0.5], val_loss=[0.6], r2=[0.75], val_r2=[0.625]))
    text = stream.getvalue()
    assert "loss=0.5000" in text and "r2=0.750" in text and "val_r2=0.625" in text and "acc" not in text


def test_rashid_recipe_options_reach_the_tutorial(capsys):
    assert main(["tutorial", "rashid", "--json", "--epochs", "2", "--hidden", "20", "--lr", "0.3"]) == 0
    recipe = json.loads(capsys.readouterr().out)["results"]["recipe"]
    assert (recipe["epochs"], recipe["hidden"], recipe["lr"]) == (2, 20, 0.3)
    expected = tutorials.run("rashid", epochs=2, hidden=20, lr=0.3).data["recipe"]["performance"]
    assert recipe["performance"] == expected


# ------------------------------------------------------------------ help
COMMANDS = [["demo"], ["tutorial"], ["train"], ["evaluate"], ["predict"], ["inspect"], ["datasets"],
            ["datasets", "list"], ["datasets", "export"], ["experiment"]]


def help_text(argv, capsys, monkeypatch):
    """What ``glassnet ARGV --help`` prints in an 80-column terminal."""
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def help_entries(text):
    """``{first line of the argument's invocation: its help text}`` for every positional argument and option.

    An entry starts on a line indented by two spaces; its help follows on the same line after two or more
    spaces, and continues on the lines indented further (argparse's layout). Listed subcommands are left out.
    """
    entries, current = {}, None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent == 0 or indent == 4:  # blank, a title or the usage, a listed subcommand
            current = None
        elif indent == 2:
            current, _, help_part = line.strip().partition("  ")
            entries[current] = help_part.strip()
        elif current is not None:  # the help continues, indented further
            entries[current] = (entries[current] + " " + line.strip()).strip()
    return entries


def subparser(argv):
    """The argparse parser of ``glassnet ARGV``."""
    parser = build_parser()
    for name in argv:
        [sub_action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = sub_action.choices[name]
    return parser


def test_every_command_has_a_one_line_summary_that_starts_its_own_help(capsys, monkeypatch):
    listings = {(): help_text([], capsys, monkeypatch), ("datasets",): help_text(["datasets"], capsys, monkeypatch)}
    for argv in COMMANDS:
        *parent, name = argv
        # the parent's listing: "    name      summary", or the summary alone on the next line for a long name
        lines = listings[tuple(parent)].splitlines()
        [at] = [i for i, line in enumerate(lines) if re.match(rf"^    {name}(\s|$)", line)]
        summary = lines[at][4 + len(name):].strip() or lines[at + 1].strip()
        assert summary, argv
        following = lines[at + 1] if lines[at][4 + len(name):].strip() else lines[at + 2]
        assert not following.startswith("      "), (argv, following)  # not wrapped onto a second line
        own = help_text(argv, capsys, monkeypatch).split("\n\n")
        assert own[1] == summary[0].upper() + summary[1:] + ".", argv  # the paragraph after the usage


@pytest.mark.parametrize("argv", [[], *COMMANDS], ids=lambda argv: " ".join(argv) or "glassnet")
def test_every_argument_has_help_and_every_default_is_shown(argv, capsys, monkeypatch):
    text = help_text(argv, capsys, monkeypatch)
    assert all(len(line) <= 80 for line in text.splitlines()), text
    entries = help_entries(text)
    parser = subparser(argv)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        [invocation] = [key for key in entries if (action.option_strings or [action.metavar or action.dest])[-1]
                        in re.split(r"[ ,]+", key) or key == f"{{{','.join(action.choices or [])}}}"]
        assert entries[invocation], f"{argv} {invocation}: no help text"
        if action.default in (None, False, argparse.SUPPRESS):
            continue
        shown = re.search(r"\(default: ([^)]*)\)", entries[invocation])
        assert shown, f"{argv} {invocation}: the default {action.default!r} is not shown"
        if isinstance(action.default, (int, float)):
            assert float(shown.group(1)) == action.default, invocation
        else:
            assert shown.group(1) == action.default, invocation


def test_help_entries_reads_argparse_layout():
    text = ("usage: x\n\npositional arguments:\n  COMMAND\n    demo      a demo\n              on two lines\n"
            "\noptions:\n  -h, --help            show this\n  --scale {a,b}\n"
            "                        how to scale, long\n                        (default: a)\n  --quiet  \n")
    assert help_entries(text) == {"COMMAND": "", "-h, --help": "show this",
                                  "--scale {a,b}": "how to scale, long (default: a)", "--quiet": ""}


def test_experiment_default_learning_rates_are_the_functions_defaults():
    from glassnet import experiments

    for name, function in (("iris-slope", experiments.iris_slope), ("rashid-grid", experiments.rashid_grid)):
        default = inspect.signature(function).parameters["learning_rates"].default
        assert EXPERIMENT_LRS[name] == default, name


def test_tutorial_help_names_each_source_by_author_and_title(capsys, monkeypatch):
    text = " ".join(help_text(["tutorial"], capsys, monkeypatch).split())
    for name, source in tutorials.SOURCES.items():
        assert f"{name} {source}" in text


# ------------------------------------------------------------------ tutorial text
def capture_tutorial(monkeypatch):
    """Make ``glassnet tutorial`` keep the result it prints in the returned list."""
    kept = []
    run = tutorials.run

    def keep(*args, **kwargs):
        kept.append(run(*args, **kwargs))
        return kept[-1]

    monkeypatch.setattr(tutorials, "run", keep)
    return kept


def verbatim_lines(result):
    """Lines of the parts that are printed as they are: matrices, tables, formulas, traces."""
    return {line for _, parts in result.sections for part in parts if isinstance(part, str)
            for line in part.splitlines()}


@pytest.mark.parametrize("name", sorted(tutorials.TUTORIALS))
def test_tutorial_prose_is_wrapped_to_80_columns_when_stdout_is_not_a_terminal(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # a terminal's width does not apply to a pipe
    kept = capture_tutorial(monkeypatch)
    options = ["--hidden", "8", "--epochs", "1"] if name == "rashid" else []
    assert main(["tutorial", name, "--trace", *options]) == 0
    out = capsys.readouterr().out
    [result] = kept
    unwrapped = result.text()
    verbatim = verbatim_lines(result)
    assert any(len(line) > 80 and line not in verbatim for line in unwrapped.splitlines())  # there was work to do
    too_long = [line for line in out.splitlines() if len(line) > 80 and line not in verbatim]
    assert too_long == []
    assert out.split() == unwrapped.split()  # the same words in the same order: only line breaks moved
    for line in verbatim:
        assert line in out.splitlines()  # matrices, tables and formulas are never wrapped
    # the source is named by author and title (not as "seed 00N", which reads like a --seed)
    title = tutorials.TUTORIALS[name]
    head = f"{title}\n{'=' * len(title)}\nRebuilt with glassnet from {tutorials.SOURCES[name]}."
    assert out.split()[:len(head.split())] == head.split()
    assert not re.search(r"seed 00\d|the seed's|[Tt]he seed (prints|keeps|gives|describes)", out)


def test_tutorial_prose_follows_the_terminal_width(capsys, monkeypatch):
    kept = capture_tutorial(monkeypatch)
    for columns, width in (("60", 60), ("10", 40)):  # never narrower than 40 columns
        terminal = FakeTerminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        monkeypatch.setenv("COLUMNS", columns)
        assert main(["tutorial", "sandhu"]) == 0
        verbatim = verbatim_lines(kept[-1])
        lines = terminal.getvalue().splitlines()
        assert max(len(line) for line in lines if line not in verbatim) == width
        assert terminal.getvalue() == kept[-1].text(width) + "\n"


def test_wrap_keeps_indents_and_words():
    text = "  indented words " + "x" * 50 + "\nshort"
    assert wrap(text, 20) == ["  indented words", "  " + "x" * 50, "short"]  # a long word stays whole
    assert wrap(text) == text.split("\n")
    assert wrap("a b c d e f", 5, indent=">") == ["a b c", ">d e", ">f"]
    assert Prose("one two three").lines(8) == ["one two", "three"]


def test_tutorial_json_names_the_source(capsys):
    assert main(["tutorial", "desai", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["title"], doc["source"]) == (tutorials.TUTORIALS["desai"], tutorials.SOURCES["desai"])
    assert doc["source"] == 'Shubhang Desai, "A soft introduction to neural networks"'


def test_no_help_text_calls_a_source_seed_00n(capsys, monkeypatch):
    for argv in [[], *COMMANDS]:
        assert "seed 00" not in help_text(argv, capsys, monkeypatch), argv


# ------------------------------------------------------------------ glassnet datasets
def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def mnist5k_all():
    X_train, X_test, y_train, y_test = datasets.mnist5k()
    return np.vstack([X_train, X_test]), np.concatenate([y_train, y_test])


# what each set is, straight from glassnet.datasets: (X, y) and the class names its CSV label column holds
EXPECTED_SETS = {
    "digits": (datasets.digits, None),
    "iris": (datasets.iris, datasets.IRIS_CLASSES),
    "stairs": (lambda: datasets.stairs(5000, 0), datasets.STAIRS_CLASSES),
    "stairs4": (lambda: datasets.stairs4(5000, 0), datasets.STAIRS4_CLASSES),
    "toy16": (datasets.toy16, None),
    "bugs": (datasets.bugs, datasets.BUG_CLASSES),
    "mnist5k": (mnist5k_all, None),
}


def test_datasets_list_gives_every_set_with_its_real_size(capsys):
    assert main(["datasets", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "samples", "features", "classes", "description"]
    listed = {}
    for line in lines[1:]:
        if not line.strip():
            break
        name, samples, features, classes, *_ = line.split()
        listed[name] = (int(samples.replace(",", "")), int(features), int(classes))
    assert list(listed) == ["digits", "iris", "stairs", "stairs4", "toy16", "bugs", "mnist5k"]
    for name, (load, _) in EXPECTED_SETS.items():
        X, y = load()
        assert listed[name] == (X.shape[0], X.shape[1], len(np.unique(y))), name
    assert lines[-1].startswith("export one as CSV: glassnet datasets export NAME PATH.csv")


def test_export_iris_reads_back_as_iris(tmp_path, capsys):
    path = tmp_path / "flowers.csv"
    assert main(["datasets", "export", "iris", str(path)]) == 0
    assert capsys.readouterr().out == f"wrote 150 rows of iris (4 features and the species column) to {path}\n"
    header, rows = read_csv(path)
    assert header == ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    X, y = datasets.iris()
    np.testing.assert_array_equal(np.array([[float(v) for v in row[:4]] for row in rows]), X)
    assert [row[4] for row in rows] == [datasets.IRIS_CLASSES[k] for k in y]
    table = glassnet.data.load_csv(path, target="species")  # what train reads
    np.testing.assert_array_equal(table.X, X)
    np.testing.assert_array_equal(table.y, y)
    assert list(table.class_names) == list(datasets.IRIS_CLASSES)


@pytest.mark.parametrize(
    "name, options, rows",
    [
        ("iris", ["--features-only", "--rows", "0,50,100"], [0, 50, 100]),
        ("digits", ["--rows", "5-7,0"], [5, 6, 7, 0]),
        ("stairs", ["--seed", "3", "--rows", "0-9"], list(range(10))),
        ("stairs4", [], None),
        ("toy16", ["--features-only"], None),
        ("bugs", [], None),
        ("mnist5k", ["--rows", "0,3999,4000,4999"], [0, 3999, 4000, 4999]),
    ],
)
def test_export_writes_the_rows_asked_for_with_header_and_labels(name, options, rows, tmp_path, capsys):
    path = tmp_path / f"{name}.csv"
    assert main(["datasets", "export", name, str(path), *options]) == 0
    header, cells = read_csv(path)
    load, class_names = EXPECTED_SETS[name]
    X, y = datasets.stairs(5000, 3) if "--seed" in options else load()
    rows = list(range(len(X))) if rows is None else rows
    features_only = "--features-only" in options
    label = "species" if name == "iris" else "label"
    feature_names = {"iris": ["sepal_length", "sepal_width", "petal_length", "petal_width"],
                     "toy16": ["x1", "x2", "x3", "x4"], "bugs": ["width", "length"]}.get(
        name, ["p1", "p2", "p3", "p4"] if name.startswith("stairs") else [f"pixel{j}" for j in range(X.shape[1])])
    assert header == feature_names + ([] if features_only else [label])
    assert len(cells) == len(rows)
    n = X.shape[1]
    np.testing.assert_array_equal(np.array([[float(v) for v in row[:n]] for row in cells]), X[rows])
    if features_only:
        assert all(len(row) == n for row in cells)
    else:
        expected = [class_names[y[r]] if class_names else str(y[r]) for r in rows]
        assert [row[n] for row in cells] == expected
    what = f"{n} features" + ("" if features_only else f" and the {label} column")
    assert capsys.readouterr().out == f"wrote {len(rows):,} rows of {name} ({what}) to {path}\n"


def test_export_replaces_an_existing_file_only_with_force(tmp_path, capsys):
    path = tmp_path / "bugs.csv"
    path.write_text("keep me\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["datasets", "export", "bugs", str(path)])
    assert code == 2 and caught == []
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"glassnet: error: {str(path)!r} already exists; give --force to replace it\n"
    assert path.read_text() == "keep me\n"
    assert main(["datasets", "export", "bugs", str(path), "--force"]) == 0
    assert path.read_text() == "width,length,label\n3,1,ladybird\n1,3,caterpillar\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bugs.csv"]  # no temporary file left


@pytest.mark.parametrize(
    "argv, message",
    [
        (["export", "nope", "{tmp}/x.csv"], "argument name: invalid choice: 'nope'"),
        (["export", "iris", "{tmp}/nowhere/x.csv"],
         "PATH '{tmp}/nowhere/x.csv': folder '{tmp}/nowhere' does not exist"),
        (["export", "iris", "{tmp}/folder.csv"], "PATH '{tmp}/folder.csv' is a directory; give a file name"),
        (["export", "iris", "{tmp}/x.txt"], "PATH must name a .csv file, got '{tmp}/x.txt'"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "x"], "argument --rows: expected 0-based row numbers"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "-1"], "argument --rows: expected 0-based row numbers"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "1-"], "argument --rows: expected 0-based row numbers"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "0,,1"], "argument --rows: expected 0-based row numbers"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "3-1"], "argument --rows: the range '3-1' runs backwards"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "0-2,1"], "argument --rows: row 1 is given twice"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "5,3-6"], "argument --rows: row 5 is given twice"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "0,150"], "--rows: row 150 is out of range; iris has rows 0-149"),
        (["export", "iris", "{tmp}/x.csv", "--rows", "0-99999999999"], "--rows: row 99999999999 is out of range"),
        (["export", "iris", "{tmp}/x.csv", "--seed", "1"], "--seed applies to the generated sets (stairs, stairs4)"),
        ([], "the following arguments are required: ACTION"),
    ],
)
def test_datasets_usage_errors_are_one_line_and_write_nothing(argv, message, tmp_path, capsys):
    (tmp_path / "folder.csv").mkdir()
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["datasets", *argv])
    assert code == 2 and caught == []
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassnet: error: "), captured.err
    assert message.replace("{tmp}", str(tmp_path)) in lines[0]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["folder.csv"]


def test_datasets_error_in_a_real_process_is_one_line(tmp_path):
    proc = run_cli("datasets", "export", "iris", str(tmp_path / "x.csv"), "--rows", "7,150")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "glassnet: error: --rows: row 150 is out of range; iris has rows 0-149\n"
    assert list(tmp_path.iterdir()) == []
