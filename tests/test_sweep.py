"""glassnet.sweep: both engines agree bit for bit, a killed sweep goes on without rerunning, bad input is refused.

A real local Ray (two CPUs) is started once for this file; if it cannot start, the tests fail.
"""

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glassnet import sweep as sw

GRID = ["lr=0.01,0.1", "epochs=2,4", "layers=8"]
METRIC_COLUMNS = slice(0, -3)  # every column but seconds, engine and error


@pytest.fixture(scope="module")
def ray_cluster():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


def rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_local_and_ray_give_identical_metrics(tmp_path, ray_cluster):
    local, ray_out = tmp_path / "local.csv", tmp_path / "ray.csv"
    a = sw.sweep("iris", GRID, repeats=2, out=str(local), workers=2)
    b = sw.sweep("iris", GRID, repeats=2, out=str(ray_out), engine="ray", workers=2)
    assert (a.ran, a.failed, b.ran, b.failed) == (8, 0, 8, 0)
    ra, rb = rows(local), rows(ray_out)
    assert ra[0] == rb[0] and len(ra) == 9
    assert [r[METRIC_COLUMNS] for r in ra] == [r[METRIC_COLUMNS] for r in rb]
    assert {r[-2] for r in ra[1:]} == {"local"} and {r[-2] for r in rb[1:]} == {"ray"}
    assert len({r[ra[0].index("trial_seed")] for r in ra[1:]}) == 8  # every trial its own seed
    # a rerun of a finished sweep runs nothing
    assert sw.sweep("iris", GRID, repeats=2, out=str(ray_out), engine="ray").ran == 0


def test_ray_on_an_existing_cluster_address(tmp_path, ray_cluster):
    address = ray_cluster.get_runtime_context().gcs_address
    result = sw.sweep("iris", ["epochs=2", "layers=4"], out=str(tmp_path / "s.csv"), engine="ray", address=address)
    assert (result.ran, result.failed) == (1, 0)


def test_sigkill_then_rerun_skips_finished_trials(tmp_path):
    out = tmp_path / "killed.csv"
    grid = ["lr=0.01,0.02,0.03,0.04,0.05,0.06", "epochs=150", "early_stopping=0", "layers=8"]
    code = f"from glassnet import sweep as s; s.sweep('iris', {grid!r}, repeats=2, workers=1, out={str(out)!r})"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while (not out.exists() or len(rows(out)) < 3) and time.monotonic() < deadline:
            assert proc.poll() is None, "the sweep ended before it was killed"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its pool's processes
        proc.wait()
    before = rows(out)
    assert 3 <= len(before) < 13, "killed too late: every trial had finished"
    result = sw.sweep("iris", grid, repeats=2, workers=2, out=str(out))
    assert result.skipped == len(before) - 1 and result.ran == 12 - result.skipped and result.failed == 0
    after = rows(out)
    assert len(after) == 13
    kept = {tuple(r) for r in before[1:]}
    assert kept <= {tuple(r) for r in after[1:]}  # the finished rows, their times too, are untouched


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path):
    out = tmp_path / "s.csv"
    result = sw.sweep("iris", ["optimizer=sgd", "lr=0.1,1e9", "epochs=3", "layers=8"], out=str(out), workers=2)
    assert (result.ran, result.failed) == (2, 1)
    by_lr = {r["lr"]: r for r in result.rows}
    assert by_lr["0.1"]["status"] == "ok" and float(by_lr["0.1"]["test_accuracy"]) > 0
    assert by_lr["1000000000.0"]["status"] == "failed" and by_lr["1000000000.0"]["test_accuracy"] == ""
    assert by_lr["1000000000.0"]["error"].startswith("TrainingDiverged: training diverged")
    assert "0.1" in result.text() and "-" in result.text().splitlines()[2]


@pytest.mark.parametrize("grid, message", [
    (["foo=1,2"], "--grid foo=1,2: unknown setting 'foo'"),
    (["out=x.safetensors"], "unknown setting 'out'"),
    (["lr="], "--grid lr=: an empty value"),
    (["lr=0.1,,0.2"], "an empty value"),
    (["lr"], "--grid expects KEY=V1,V2,..."),
    (["lr=abc"], "--grid lr: expected a number > 0, got 'abc'"),
    (["epochs=0"], "--grid epochs: expected a whole number >= 1"),
    (["optimizer=rmsprop"], "--grid optimizer: invalid choice: 'rmsprop'"),
    (["layers=12-x"], "--grid layers: expected layer sizes joined by dashes"),
    (["lr=0.1", "lr=0.2"], "lr is given twice"),
    (["lr=0.1,0.10"], "a value is given twice"),
    (["hidden=5", "layers=4"], "give one of them"),
    (["momentum=0.9"], "momentum applies to optimizer sgd only"),
    (["val_split=0"], "add early_stopping=0"),
    ([], "--grid: give at least one setting"),
    ({"lr": 0.1}, "grid['lr'] must be a list of values"),
    ("lr=0.1", "grid must be a dict"),
])
def test_bad_grids_are_one_line_errors(tmp_path, grid, message):
    with pytest.raises((ValueError, TypeError)) as info:
        sw.sweep("iris", grid, out=str(tmp_path / "s.csv"))
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"engine": "dask"}, "--engine must be one of local, ray"),
    ({"address": "127.0.0.1:1"}, "--address applies to --engine ray only"),
    ({"repeats": 0}, "--repeats must be a whole number >= 1"),
    ({"workers": 0}, "--workers must be a whole number >= 1"),
    ({"out": "s.txt"}, ".csv"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    kwargs.setdefault("out", str(tmp_path / "s.csv"))
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        sw.sweep("iris", ["epochs=1"], **kwargs)


def test_another_sweeps_file_is_refused(tmp_path):
    out = tmp_path / "s.csv"
    sw.sweep("iris", ["epochs=1", "layers=4"], out=str(out), workers=1)
    with pytest.raises(ValueError, match="holds another sweep's results"):
        sw.sweep("iris", ["lr=0.1"], out=str(out))


def test_an_unreachable_ray_address_fails_soon_with_one_line(tmp_path):
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"^--address 127\.0\.0\.1:1: no Ray cluster there \(Connection refused\)$"):
        sw.sweep("iris", ["epochs=1"], out=str(tmp_path / "s.csv"), engine="ray", address="127.0.0.1:1")
    # something listens but never speaks Ray's protocol: ray.init alone would wait for minutes
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ValueError, match=rf"^--address {address}: no Ray cluster answered within 3 s$"):
            sw.check_address(address, timeout=3)
    assert time.monotonic() - start < 10
    assert not (tmp_path / "s.csv").exists()


def test_plot_and_cli_run(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    sw.add_command(parser.add_subparsers())
    out, png = tmp_path / "s.csv", tmp_path / "s.png"
    args = parser.parse_args(["sweep", "--data", "iris", "--grid", "lr=0.01,0.1", "--grid", "epochs=2",
                              "--grid", "layers=4", "--repeats", "2", "--workers", "2", "--out", str(out),
                              "--plot", str(png)])
    args.run(args)
    text = capsys.readouterr().out
    assert "sweep: 4 trials (2 settings x 2 repeats) on iris, engine local (2 workers); 0 already in" in text
    assert "ran 4 trials (0 failed), 0 were already done" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
