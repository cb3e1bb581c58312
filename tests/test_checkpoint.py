"""Checkpoints and resume: a run stopped anywhere (kill -9, SIGINT, SIGTERM) goes on to the very same weights."""

import os
import re
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassnet
from glassnet import SGD, Adam, CheckpointError, Dense, Network, TrainingInterrupted
from glassnet import checkpoint as checkpoints


@pytest.fixture(autouse=True)
def usual_signal_handlers():
    """Ctrl-C and SIGTERM as a fresh Python process has them, whatever an earlier test in this process left."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


def data(regression=False, n=203):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 5))
    y = X[:, :2] @ [1.0, -2.0] if regression else (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def network(regression=False, hidden="tanh"):
    out = Dense(8, 1, "linear") if regression else Dense(8, 2, "softmax")
    return Network([Dense(5, 8, hidden), out], loss="squared_error" if regression else "cross_entropy", seed=3)


def same_weights(a, b) -> bool:
    return all(p.dtype == q.dtype and np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


class Tripwire(Adam):
    """Adam (never folded into the fast loop, so overriding ``step`` changes no rounding) that raises a real
    SIGINT after its ``at``-th step, counted across restarts."""

    name = "adam"
    count, at = 0, None

    def step(self, params, grads):
        super().step(params, grads)
        Tripwire.count += 1
        if Tripwire.count == Tripwire.at:
            signal.raise_signal(signal.SIGINT)


def interrupted_then_resumed(tmp_path, at, fit_kwargs, regression=False):
    """Train with a SIGINT after step ``at``; returns ``(resumed network, the TrainingInterrupted or None)``."""
    X, y = data(regression)
    path = tmp_path / f"run-{at}.safetensors"
    Tripwire.count, Tripwire.at = 0, at
    caught = None
    try:
        network(regression).fit(X, y, optimizer=Tripwire(0.01), checkpoint=path, **fit_kwargs)
    except TrainingInterrupted as exc:
        caught = exc
    return glassnet.resume(path, X, y), caught


COMMON = dict(epochs=5, batch_size=16, validation_split=0.2, early_stopping=3,
              schedule={"name": "step", "factor": 0.5, "every": 2})


@pytest.mark.parametrize("regression", [False, True], ids=["classes", "regression"])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "readable"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigint_anywhere_then_resume_ends_bit_for_bit_as_the_uninterrupted_run(tmp_path, regression, fast, dtype):
    X, y = data(regression)
    kwargs = dict(COMMON, fast=fast, dtype=dtype)
    uninterrupted = network(regression)
    uninterrupted.fit(X, y, optimizer=Adam(0.01), **kwargs)
    # 11 batches an epoch: inside the first epoch, at its end, inside later ones, in the last one
    for at in (1, 7, 11, 30, 52):
        resumed, caught = interrupted_then_resumed(tmp_path, at, kwargs, regression)
        assert caught is not None and caught.signum == signal.SIGINT
        assert (caught.epoch - 1) * 11 + caught.batch == at
        assert same_weights(resumed, uninterrupted), f"interrupted after step {at}"
        assert resumed.history.as_dict() == uninterrupted.history.as_dict()
        assert resumed.history.best_epoch == uninterrupted.history.best_epoch


def test_the_interruption_says_where_it_stopped_and_how_to_go_on(tmp_path):
    _, caught = interrupted_then_resumed(tmp_path, 7, dict(epochs=3, batch_size=16))
    assert isinstance(caught, KeyboardInterrupt)
    message = str(caught)
    assert "\n" not in message
    assert message.startswith("training stopped by SIGINT in epoch 1 after batch 7 of 13; the run is saved in ")
    assert f"glassnet.resume('{caught.path}', X, y)" in message
    _, caught = interrupted_then_resumed(tmp_path, 13, dict(epochs=3, batch_size=16))
    assert "stopped by SIGINT after epoch 1;" in str(caught)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "readable"])
def test_restarts_and_early_stopping_resume_bit_for_bit(tmp_path, fast):
    X, y = data(n=150)
    kwargs = dict(epochs=4, batch_size=32, validation_split=0.2, restarts=3, early_stopping=2, fast=fast)
    uninterrupted = network(hidden="relu")
    uninterrupted.fit(X, y, optimizer=Adam(0.01), **kwargs)
    for at in (2, 9, 17, 30, 47):  # 16 steps a run at most: inside the first, second and third run
        path = tmp_path / f"r{at}.safetensors"
        Tripwire.count, Tripwire.at = 0, at
        with pytest.raises(TrainingInterrupted):
            network(hidden="relu").fit(X, y, optimizer=Tripwire(0.01), checkpoint=path, **kwargs)
        resumed = glassnet.resume(path, X, y)
        assert same_weights(resumed, uninterrupted), f"after step {at}"
        assert resumed.history.restart_scores == uninterrupted.history.restart_scores
        assert resumed.history.restart == uninterrupted.history.restart


@pytest.mark.parametrize("optimizer", [lambda: SGD(0.1), lambda: SGD(0.05, momentum=0.9, nesterov=True),
                                       lambda: Adam(0.01, weight_decay=1e-3)], ids=["sgd", "nesterov", "adam"])
def test_a_finished_run_extended_by_resume_equals_one_long_run(tmp_path, optimizer):
    X, y = data()
    long = network()
    long.fit(X, y, epochs=6, batch_size=16, optimizer=optimizer(), dtype="float64")
    path = tmp_path / "run.safetensors"
    short = network()
    short.fit(X, y, epochs=2, batch_size=16, optimizer=optimizer(), dtype="float64", checkpoint=path)
    resumed = glassnet.resume(path, X, y, epochs=6)
    assert same_weights(resumed, long)
    assert resumed.history.loss == long.history.loss
    # a run that has ended comes back as it ended, nothing trained
    again = glassnet.resume(path, X, y)
    assert same_weights(again, long) and again.history.epochs == 6


def test_a_checkpoint_is_a_model_file_holding_the_weights_of_its_epoch(tmp_path):
    X, y = data()
    net = network()
    path = tmp_path / "run.safetensors"
    net.fit(X, y, epochs=4, batch_size=16, optimizer=Adam(0.01), checkpoint=path, checkpoint_every=2)
    loaded = glassnet.load(path)
    assert same_weights(loaded, net)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.history.loss == net.history.loss
    assert glassnet.io.inspect(path)["training"]["epochs"] == 4


def test_resume_after_a_validation_split_refuses_other_data_with_the_training_rows_shapes(tmp_path):
    X, y = data()
    path = tmp_path / "run.safetensors"
    network().fit(X, y, epochs=2, batch_size=16, checkpoint=path, validation_split=0.25)
    n_val = round(len(y) * 0.25)
    with pytest.raises(CheckpointError, match="the data differ from those the checkpoint's run trained on") as exc:
        glassnet.resume(path, X + 1, y)
    shapes = f"float32 ({len(y) - n_val}, {X.shape[1]}), float32 ({len(y) - n_val}, 2), float32 ({n_val}, {X.shape[1]})"
    assert shapes in str(exc.value) and len(str(exc.value).splitlines()) == 1


def test_resume_calls_on_start_once_the_data_have_passed_the_check(tmp_path):
    X, y = data()
    path = tmp_path / "run.safetensors"
    network().fit(X, y, epochs=2, batch_size=16, checkpoint=path)
    events = []
    with pytest.raises(CheckpointError, match="the data differ"):
        glassnet.resume(path, X * 2, y, on_start=lambda: events.append("start"))
    assert events == []  # not for data the run did not have
    glassnet.resume(path, X, y, epochs=4, on_start=lambda: events.append("start"),
                    callbacks=[lambda epoch, history: events.append(epoch)])
    assert events == ["start", 3, 4]
    with pytest.raises(TypeError, match=r"on_start must be a callable or None, got .print. \(str\)"):
        glassnet.resume(path, X, y, epochs=5, on_start="print")


def test_checkpoint_every_writes_only_every_n_epochs(tmp_path, monkeypatch):
    written = []
    real = checkpoints.write
    monkeypatch.setattr(checkpoints, "write", lambda path, net, run: (written.append(run.epoch), real(path, net, run)))
    X, y = data()
    network().fit(X, y, epochs=7, batch_size=64, checkpoint=tmp_path / "c.safetensors", checkpoint_every=3)
    assert written == [3, 6, 7]  # and the last epoch, always


def test_resume_refuses_other_data_and_missing_parts(tmp_path):
    X, y = data()
    path = tmp_path / "run.safetensors"
    network().fit(X, y, epochs=2, batch_size=16, checkpoint=path, sample_weight=np.ones(len(y)))
    with pytest.raises(CheckpointError, match="the data differ from those the checkpoint's run trained on"):
        glassnet.resume(path, X * 2, y, sample_weight=np.ones(len(y)))
    with pytest.raises(CheckpointError, match="had sample_weight; give the same data"):
        glassnet.resume(path, X, y)
    with pytest.raises(ValueError, match="epochs=1 is fewer than the 2 the run"):
        glassnet.resume(path, X, y, epochs=1, sample_weight=np.ones(len(y)))
    model = tmp_path / "model.safetensors"
    network().save(model)
    with pytest.raises(CheckpointError, match="is a glassnet model file but not a checkpoint"):
        glassnet.resume(model, X, y)


def test_fit_checkpoint_arguments_are_checked_before_training(tmp_path):
    X, y = data()

    class Custom:
        lr = 0.1

        def step(self, params, grads):
            for p, g in zip(params, grads):
                p -= 0.1 * g

    with pytest.raises(TypeError, match="checkpoint needs a glassnet optimizer"):
        network().fit(X, y, optimizer=Custom(), checkpoint=tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match="checkpoint_every"):
        network().fit(X, y, checkpoint=tmp_path / "c.safetensors", checkpoint_every=0)
    with pytest.raises(IsADirectoryError):
        network().fit(X, y, checkpoint=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_signal_after_the_last_epoch_is_not_swallowed(tmp_path):
    X, y = data()

    def late(epoch, history):
        if epoch == 2:
            signal.raise_signal(signal.SIGINT)  # during the last epoch's callbacks: the run ends normally ...

    with pytest.raises(KeyboardInterrupt) as caught:
        network().fit(X, y, epochs=2, callbacks=[late], checkpoint=tmp_path / "c.safetensors")
    assert not isinstance(caught.value, TrainingInterrupted)  # ... and then the Ctrl-C goes where it always went
    assert glassnet.load(tmp_path / "c.safetensors").history.epochs == 2


KILLED_RUN = textwrap.dedent("""
    import sys
    import numpy as np
    import glassnet
    from glassnet import Adam, Dense, Network
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = Network([Dense(5, 8, "tanh"), Dense(8, 2, "softmax")], loss="cross_entropy", seed=3)
    def told(epoch, history):
        print(epoch, flush=True)
    net.fit(X, y, epochs=int(sys.argv[4]), batch_size=8, optimizer=Adam(0.01), dtype=sys.argv[2],
            fast=sys.argv[3] == "fast", validation_split=0.25, early_stopping=50, callbacks=[told],
            checkpoint=sys.argv[1])
""")


@pytest.mark.parametrize("fast", ["fast", "readable"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kill_9_then_resume_ends_bit_for_bit(tmp_path, fast, dtype):
    epochs = 12
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    uninterrupted = network()
    uninterrupted.fit(X, y, epochs=epochs, batch_size=8, optimizer=Adam(0.01), dtype=dtype, fast=fast == "fast",
                      validation_split=0.25, early_stopping=50)
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN)
    for kill_after in (2, 5, 9):  # epoch 1 has a checkpoint by the time epoch 2 tells
        path = tmp_path / f"killed-{kill_after}.safetensors"
        proc = subprocess.Popen([sys.executable, str(script), str(path), dtype, fast, str(epochs)],
                                stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        for line in proc.stdout:
            if int(line) == kill_after:
                proc.send_signal(signal.SIGKILL)  # somewhere in epoch kill_after's end or the next epoch
                break
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        resumed = glassnet.resume(path, X, y)
        assert same_weights(resumed, uninterrupted), f"killed after epoch {kill_after}"
        assert resumed.history.as_dict() == uninterrupted.history.as_dict()
        leftovers = [p.name for p in tmp_path.iterdir() if ".glassnet-tmp-" in p.name]
        assert leftovers == []  # the resumed run's first write cleared what the killed one left


def test_sigterm_writes_a_checkpoint_too(tmp_path):
    X, y = data()
    path = tmp_path / "run.safetensors"
    Tripwire.count, Tripwire.at = 0, -1
    uninterrupted = network()
    uninterrupted.fit(X, y, epochs=3, batch_size=16, optimizer=Adam(0.01))

    class Term(Adam):
        name = "adam"

        def step(self, params, grads):
            super().step(params, grads)
            if self.steps == 5:
                os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted, match="stopped by SIGTERM in epoch 1 after batch 5 of 13"):
        network().fit(X, y, epochs=3, batch_size=16, optimizer=Term(0.01), checkpoint=path)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back
    assert same_weights(glassnet.resume(path, X, y), uninterrupted)


# ---------------------------------------------------------------- the command line
TRAIN = ["train", "--data", "t.csv", "--layers", "16", "--batch-size", "8", "--early-stopping", "0", "--quiet"]


@pytest.fixture
def table(tmp_path):
    """``t.csv`` in ``tmp_path``: 600 rows, 8 number columns and a label of 3 classes (no scikit-learn to import)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    header = ",".join([f"x{i}" for i in range(8)] + ["label"])
    np.savetxt(tmp_path / "t.csv", np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.6g")
    return tmp_path


def glassnet_cli(args, cwd, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "glassnet", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def weights_of(path):
    return glassnet.load(path).parameters()


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_cli_signal_writes_a_checkpoint_and_resume_ends_as_the_uninterrupted_run(table, sig, code):
    tmp_path = table
    proc = glassnet_cli([*TRAIN, "--epochs", "40", "--checkpoint", "ck.safetensors", "--out", "m.safetensors"],
                        tmp_path)
    while not (tmp_path / "ck.safetensors").exists() and proc.poll() is None:
        pass  # the first checkpoint comes after epoch 1
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.count("\n") == 1 and err.startswith("glassnet: interrupted ")
    assert err.endswith("; the run is saved in ck.safetensors: go on with glassnet train --resume ck.safetensors\n")
    assert not (tmp_path / "m.safetensors").exists()  # no model from a run that did not end
    shown = subprocess.run([sys.executable, "-m", "glassnet", "inspect", "ck.safetensors"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert re.search(r"checkpoint: \d+ of 40 epochs done.*; go on with glassnet train --resume ck.safetensors", shown)

    resumed = glassnet_cli(["train", "--resume", "ck.safetensors", "--quiet"], tmp_path)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0 and err == ""
    assert out.startswith("resuming ck.safetensors: ")
    reference = glassnet_cli([*TRAIN, "--epochs", "40", "--out", "ref.safetensors"], tmp_path)
    assert reference.communicate(timeout=120)[1] == ""
    for p, q in zip(weights_of(tmp_path / "m.safetensors"), weights_of(tmp_path / "ref.safetensors")):
        np.testing.assert_array_equal(p, q)


def test_cli_resume_extends_a_finished_run_and_refuses_changed_settings(table):
    tmp_path = table

    def run(*args):
        return subprocess.run([sys.executable, "-m", "glassnet", *args], cwd=tmp_path, capture_output=True,
                              text=True)

    assert run(*TRAIN, "--epochs", "3", "--checkpoint", "ck.safetensors", "--out", "a.safetensors").returncode == 0
    changed = run("train", "--resume", "ck.safetensors", "--lr", "0.5")
    assert changed.returncode == 2 and changed.stdout == ""
    assert changed.stderr.startswith("glassnet: error: --lr cannot change on --resume: the run goes on with the "
                                     "settings it was started with; only --epochs, --out")
    fewer = run("train", "--resume", "ck.safetensors", "--epochs", "2")
    assert fewer.returncode == 2 and "--epochs 2 is fewer than the 3 epochs the run has done" in fewer.stderr
    same_file = run("train", "--resume", "ck.safetensors", "--out", "ck.safetensors")
    assert same_file.returncode == 2 and "--out 'ck.safetensors' is the checkpoint --resume reads" in same_file.stderr
    missing = run("train", "--resume", "missing.safetensors")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == "glassnet: error: --resume missing.safetensors: no such checkpoint file\n"
    model = run("train", "--resume", "a.safetensors")
    assert model.returncode == 2 and "is a model file, not a checkpoint" in model.stderr
    original = (tmp_path / "t.csv").read_text()
    lines = original.splitlines(keepends=True)
    (tmp_path / "t.csv").write_text("".join(lines[:-1]))  # the data changed: one row fewer
    other_data = run("train", "--resume", "ck.safetensors", "--epochs", "5")
    (tmp_path / "t.csv").write_text(original)
    assert other_data.returncode == 2 and other_data.stdout == ""  # the error before any output
    assert other_data.stderr.startswith("glassnet: error: the data differ from those the checkpoint's run trained on")
    assert other_data.stderr.count("\n") == 1
    extended = run("train", "--resume", "ck.safetensors", "--epochs", "5", "--out", "b.safetensors")
    assert extended.returncode == 0, extended.stderr
    assert run(*TRAIN, "--epochs", "5", "--out", "c.safetensors").returncode == 0
    for p, q in zip(weights_of(tmp_path / "b.safetensors"), weights_of(tmp_path / "c.safetensors")):
        np.testing.assert_array_equal(p, q)


def test_cli_ctrl_c_without_a_checkpoint_says_nothing_was_saved(table):
    proc = glassnet_cli([*TRAIN, "--epochs", "400"], table)
    assert proc.stdout.readline().startswith("data: ")  # training is about to start
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130
    assert err == "glassnet: interrupted; nothing was saved (train --checkpoint PATH can go on later)\n"


def test_the_fingerprint_of_indexed_rows_is_that_of_the_rows_copied_out():
    # fit with validation_split fingerprints the training rows through their index, a block at a time
    from glassnet.checkpoint import fingerprint

    X = np.random.default_rng(3).normal(size=(9000, 3))
    rows = np.flatnonzero(np.random.default_rng(4).random(9000) < 0.8)
    assert fingerprint([(X, rows), None]) == fingerprint([X[rows], None])
    assert fingerprint([(X, rows[:-1])]) != fingerprint([X[rows]])
    assert fingerprint([(X, rows)]) != fingerprint([X])
