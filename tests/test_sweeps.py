"""glassnet.sweeps: both engines agree bit for bit, a killed sweep goes on without rerunning, bad input is refused.

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

import numpy as np
import pytest

from glassnet import sweeps as sw

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


def write_houses(path, n=240, blanks=0):
    """A small table: two measurements, a town (text), a price (a regression target) and a kind (3 classes)."""
    rng = np.random.default_rng(5)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    town = rng.choice(["north", "south", "east"], size=n)
    price = 3 * x1 - 2 * x2 + 1.5 * (town == "south") + rng.normal(scale=0.3, size=n)
    kind = np.where(x1 + x2 > 0.5, "big", np.where(x1 + x2 < -0.5, "small", "mid"))
    lines = ["x1,x2,town,kind,price"]
    for i in range(n):
        first = "" if i < blanks else f"{x1[i]:.4f}"
        lines.append(f"{first},{x2[i]:.4f},{town[i]},{kind[i]},{price[i]:.3f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_glassnet_sweep_is_the_function():
    import glassnet

    assert glassnet.sweep is sw.sweep and callable(glassnet.sweep)


def test_a_table_regression_and_classification_on_both_engines(tmp_path, ray_cluster):
    data = str(write_houses(tmp_path / "houses.csv"))
    grid = {"lr": [0.01, 0.03], "epochs": [20], "layers": [[8]]}
    local = sw.sweep(data, grid, repeats=2, workers=2, out=str(tmp_path / "local.csv"))
    sw.sweep(data, grid, repeats=2, engine="ray", workers=2, out=str(tmp_path / "ray.csv"))
    assert (local.ran, local.failed, local.metric) == (4, 0, "test_r2")
    header = rows(tmp_path / "local.csv")[0]
    assert header[header.index("status") + 1:header.index("seconds")] == list(sw.REGRESSION_METRICS)
    assert [r[METRIC_COLUMNS] for r in rows(tmp_path / "local.csv")] == \
        [r[METRIC_COLUMNS] for r in rows(tmp_path / "ray.csv")]
    assert all(float(r["test_r2"]) > 0.8 for r in local.rows)  # a nearly linear target
    from glassnet.tables import file_sha256

    assert {r["data_sha256"] for r in local.rows} == {file_sha256(data)[:16]}
    # the same file with another target is classes: its own rows, accuracy
    classes = sw.sweep(data, ["epochs=30", "lr=0.01", "layers=8"], target="kind", ignore="price", workers=1,
                       out=str(tmp_path / "kind.csv"))
    row = classes.rows[0]
    assert classes.metric == "test_accuracy" and float(row["test_accuracy"]) > 0.5
    assert row["options"] == "target=kind ignore=price"


def test_a_changed_table_is_trained_again(tmp_path):
    data, out = tmp_path / "houses.csv", str(tmp_path / "s.csv")
    write_houses(data)
    first = sw.sweep(str(data), ["epochs=3", "layers=4"], workers=1, out=out)
    assert sw.sweep(str(data), ["epochs=3", "layers=4"], workers=1, out=out).ran == 0
    write_houses(data, n=200)
    second = sw.sweep(str(data), ["epochs=3", "layers=4"], workers=1, out=out)
    assert second.ran == 1 and second.rows[0]["data_sha256"] != first.rows[0]["data_sha256"]
    assert len(rows(out)) == 3  # the old file's row is kept beside the new one


def test_missing_cells_as_a_grid_axis(tmp_path):
    data = str(write_houses(tmp_path / "holes.csv", blanks=30))
    result = sw.sweep(data, {"missing": ["error", "drop", "mean"], "epochs": [5], "layers": [[4]]}, workers=2)
    by = {r["missing"]: r for r in result.rows}
    assert by["error"]["status"] == "failed" and "missing cell" in by["error"]["error"]
    assert by["drop"]["status"] == by["mean"]["status"] == "ok"
    assert by["drop"]["test_r2"] != by["mean"]["test_r2"]  # 30 fewer rows, another split
    assert result.out is None  # no file without out


@pytest.mark.parametrize("kwargs, message", [
    ({"data": "iris", "target": "kind"}, "--target: CSV files only, not 'iris'"),
    ({"data": "iris", "grid": ["missing=mean"]}, "--grid missing: CSV files only"),
    ({"target": "nope"}, "--target 'nope' is not a column"),
    ({"missing": "guess"}, "--missing must be one of error, drop, mean, median, most_frequent, got 'guess'"),
    ({"task": "ranking"}, "--task must be auto, classification or regression"),
    ({"data": "iris", "recipe": "rashid", "grid": ["lr=0.1"]}, "--data 'iris': the rashid recipe takes digits only"),
    ({"recipe": "rashid", "grid": ["layers=4"], "data": "digits"}, "unknown setting 'layers'; a grid varies the "
                                                                   "rashid recipe's settings: lr, epochs, hidden"),
    ({"recipe": "nope"}, "recipe must be one of train, rashid, got 'nope'"),
    ({"cells": [{"lr": 0.1}, {"epochs": 2}]}, "every cell must set the same settings"),
    ({"cells": []}, "cells: give at least one combination"),
])
def test_bad_table_and_recipe_arguments(tmp_path, kwargs, message):
    data = str(write_houses(tmp_path / "houses.csv"))
    kwargs = {"data": data, "grid": ["epochs=1"], **kwargs}
    if "cells" in kwargs:
        kwargs.pop("grid")
    with pytest.raises(ValueError) as info:
        sw.sweep(kwargs.pop("data"), kwargs.pop("grid", None), out=str(tmp_path / "s.csv"), **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "s.csv").exists()


def rashid_run(lr, epochs, hidden, split_seed, weights_seed):
    """Rashid's recipe written out with the public API: the test accuracy of one run."""
    import glassnet
    from glassnet import datasets

    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.25, split_seed)
    net = glassnet.Network([glassnet.Dense(64, hidden, "sigmoid", bias=False, init=glassnet.Rashid()),
                            glassnet.Dense(hidden, 10, "sigmoid", bias=False, init=glassnet.Rashid())],
                           loss="squared_error", seed=weights_seed)
    T_train = np.full((len(y_train), 10), 0.01)
    T_train[np.arange(len(y_train)), y_train] = 0.99
    net.fit(X_train / 16 * 0.99 + 0.01, T_train, epochs=epochs, batch_size=1, lr=lr, shuffle=False)
    return net.evaluate(X_test / 16 * 0.99 + 0.01, y_test)["accuracy"]


def test_rashid_grid_is_a_sweep_on_both_engines(tmp_path, ray_cluster):
    from glassnet.experiments import rashid_grid

    tiny = dict(learning_rates=(0.1, 0.5), epochs=(1,), hidden=(5,), base_lr=0.5, base_epochs=1, base_hidden=5)
    out, lines = tmp_path / "rashid.csv", []
    local = rashid_grid(**tiny, seed=2, repeats=2, workers=2, out=str(out), echo=lines.append)
    remote = rashid_grid(**tiny, seed=2, repeats=2, engine="ray", workers=2)
    assert local.lr_accuracy == remote.lr_accuracy and local.runs == remote.runs
    assert len(rows(out)) == 1 + 2 * 2  # two distinct cells, two repeats each
    # the split of seed 2 in every run; repeat r starts from the weights of seed 2 + r - 1 in every cell
    assert local.runs[0][0] == [rashid_run(0.1, 1, 5, split_seed=2, weights_seed=2),
                                rashid_run(0.1, 1, 5, split_seed=2, weights_seed=3)]
    assert local.lr_accuracy[0] == sum(local.runs[0][0]) / 2
    assert "over 2 runs, lowest and highest" in local.text()
    again = []
    rashid_grid(**tiny, seed=2, repeats=2, workers=2, out=str(out), echo=again.append)
    assert again[0].endswith(f"4 already in {out}")


def test_sigkill_then_rerun_skips_finished_trials(tmp_path):
    out = tmp_path / "killed.csv"
    grid = ["lr=0.01,0.02,0.03,0.04,0.05,0.06", "epochs=150", "early_stopping=0", "layers=8"]
    code = f"from glassnet.sweeps import sweep; sweep('iris', {grid!r}, repeats=2, workers=1, out={str(out)!r})"
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
    from glassnet.sweeps.command import add_command

    add_command(parser.add_subparsers())
    out, png = tmp_path / "s.csv", tmp_path / "s.png"
    args = parser.parse_args(["sweep", "--data", "iris", "--grid", "lr=0.01,0.1", "--grid", "epochs=2",
                              "--grid", "layers=4", "--repeats", "2", "--workers", "2", "--out", str(out),
                              "--plot", str(png)])
    args.run(args)
    text = capsys.readouterr().out
    assert "sweep: 4 trials (2 settings x 2 repeats) on iris, engine local (2 workers); 0 already in" in text
    assert "ran 4 trials (0 failed), 0 were already done" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
