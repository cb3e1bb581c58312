"""End-to-end tests of the command line: output, exit codes, one-line errors."""

import io
import json
import re
import subprocess
import sys

import pytest

import glassnet
from glassnet import tutorials
from glassnet.cli import main, progress_bar


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
    for command in ("demo", "tutorial"):
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


def test_tutorial_json_is_valid_json_for_every_tutorial():
    for name in tutorials.TUTORIALS:
        proc = run_cli("tutorial", name, "--json")
        assert proc.returncode == 0, (name, proc.stderr)
        doc = json.loads(proc.stdout)
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


def test_rashid_recipe_options_reach_the_tutorial(capsys):
    assert main(["tutorial", "rashid", "--json", "--epochs", "2", "--hidden", "20", "--lr", "0.3"]) == 0
    recipe = json.loads(capsys.readouterr().out)["results"]["recipe"]
    assert (recipe["epochs"], recipe["hidden"], recipe["lr"]) == (2, 20, 0.3)
    expected = tutorials.run("rashid", epochs=2, hidden=20, lr=0.3).data["recipe"]["performance"]
    assert recipe["performance"] == expected
