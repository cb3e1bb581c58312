"""The fast training loop against the readable one: same weights, same history, for every combination."""

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from glassnet import Dense, Network, blas
from glassnet.blas import NO_TRANS, ROW_MAJOR, TRANS
from glassnet.fastpath import FastTrainer
from glassnet.fastpath import _address as _blas_address
from glassnet.optimizers import SGD, Adam, flat_vector

OUTPUTS = [  # (output activation, loss): every pairing fit() accepts
    ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
    ("softmax", "binary_cross_entropy"), ("linear", "squared_error"), ("sigmoid", "squared_error"),
    ("tanh", "squared_error"), ("relu", "squared_error"), ("softmax", "squared_error"),
]
HIDDEN = ["sigmoid", "tanh", "relu", "linear", "softmax"]
OPTIMIZERS = {
    "sgd": lambda: SGD(0.05),
    "momentum": lambda: SGD(0.05, momentum=0.5),
    "nesterov": lambda: SGD(0.05, momentum=0.5, nesterov=True),
    "adam": lambda: Adam(0.01),
    "decay": lambda: SGD(0.05, weight_decay=0.01),
}

X = np.random.default_rng(0).normal(size=(13, 4))
LABELS = np.random.default_rng(1).integers(0, 3, size=13)


def train(fast, hidden, out, loss, bias, batch_size, optimizer, shuffle=True, dtype=np.float64, epochs=3):
    net = Network(
        [Dense(4, 5, hidden, bias=bias), Dense(5, 4, hidden, bias=bias), Dense(4, 3, out, bias=bias)],
        loss=loss, seed=2,
    )
    history = net.fit(X, LABELS, epochs=epochs, batch_size=batch_size, optimizer=optimizer, shuffle=shuffle,
                      validation_data=(X[:5], LABELS[:5]), dtype=dtype, fast=fast)
    return net, history


@pytest.mark.parametrize(("out", "loss"), OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_fast_path_equals_the_readable_path(hidden, out, loss):
    for bias, batch_size, name in itertools.product([True, False], [1, 3, None], OPTIMIZERS):
        case = f"bias={bias} batch_size={batch_size} optimizer={name}"
        opt_fast, opt_slow = OPTIMIZERS[name](), OPTIMIZERS[name]()
        fast, h_fast = train(True, hidden, out, loss, bias, batch_size, opt_fast)
        slow, h_slow = train(False, hidden, out, loss, bias, batch_size, opt_slow)
        assert opt_fast.steps == opt_slow.steps == 3 * (13 if batch_size == 1 else 5 if batch_size == 3 else 1), case
        for p, q in zip(fast.parameters(), slow.parameters()):
            np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-13, err_msg=case)
        for key in ("loss", "val_loss", "r2", "val_r2"):  # r2: a linear output (regression) records it
            np.testing.assert_allclose(getattr(h_fast, key), getattr(h_slow, key), rtol=1e-10, err_msg=case)
        assert h_fast.accuracy == h_slow.accuracy and h_fast.val_accuracy == h_slow.val_accuracy, case
        assert bool(h_fast.r2) == (out == "linear") != bool(h_fast.accuracy), case


# weights with zeros, so that batches of one sample with weight 0 (loss 0, gradient 0) occur too
WEIGHTS = np.random.default_rng(3).uniform(0.1, 2, size=13)
WEIGHTS[[2, 7]] = 0.0


def train_weighted(fast, out, loss, batch_size, optimizer, dtype=np.float64, class_weight=None):
    net = Network([Dense(4, 5, "tanh"), Dense(5, 4, "sigmoid"), Dense(4, 3, out)], loss=loss, seed=2)
    history = net.fit(X, LABELS, epochs=3, batch_size=batch_size, optimizer=optimizer, sample_weight=WEIGHTS,
                      class_weight=class_weight, validation_data=(X[:5], LABELS[:5], WEIGHTS[5:10]), dtype=dtype,
                      fast=fast)
    return net, history


@pytest.mark.parametrize("blas", ["auto", "numpy"])  # direct BLAS calls (where this NumPy allows them) or NumPy alone
@pytest.mark.parametrize(("out", "loss"), OUTPUTS)
def test_fast_path_equals_the_readable_path_with_weights(out, loss, blas, monkeypatch):
    monkeypatch.setenv("GLASSNET_BLAS", blas)
    settings = [("sgd", None), ("sgd", {1: 3}), ("adam", {1: 3})]  # sgd: folded into the step; adam: step()
    for batch_size, (name, class_weight) in itertools.product([1, 3, None], settings):
        case = f"batch_size={batch_size} optimizer={name} class_weight={class_weight}"
        fast, h_fast = train_weighted(True, out, loss, batch_size, OPTIMIZERS[name](), class_weight=class_weight)
        slow, h_slow = train_weighted(False, out, loss, batch_size, OPTIMIZERS[name](), class_weight=class_weight)
        for p, q in zip(fast.parameters(), slow.parameters()):
            np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-13, err_msg=case)
        for key in ("loss", "accuracy", "r2", "val_loss", "val_accuracy", "val_r2"):
            np.testing.assert_allclose(getattr(h_fast, key), getattr(h_slow, key), rtol=1e-10, err_msg=case)
        assert bool(h_fast.val_r2) == (out == "linear") != bool(h_fast.val_accuracy), case
    # the weights were used: unweighted training ends elsewhere
    plain, _ = train(True, "tanh", out, loss, True, 3, SGD(0.05))
    weighted, _ = train_weighted(True, out, loss, 3, SGD(0.05))
    assert not np.allclose(plain.parameters()[-2], weighted.parameters()[-2])


def test_fast_path_with_weights_in_float32_is_close_to_the_readable_path():
    for batch_size in (1, 4, None):
        fast, h_fast = train_weighted(True, "softmax", "cross_entropy", batch_size, Adam(0.01), np.float32)
        slow, h_slow = train_weighted(False, "softmax", "cross_entropy", batch_size, Adam(0.01), np.float32)
        assert fast.dtype == slow.dtype == np.float32
        for p, q in zip(fast.parameters(), slow.parameters()):
            np.testing.assert_allclose(p, q, rtol=2e-4, atol=2e-6)
        np.testing.assert_allclose(h_fast.loss, h_slow.loss, rtol=2e-4)


def test_a_weighted_epoch_equals_weighted_train_steps_batch_by_batch():
    net = Network([Dense(4, 3, "tanh"), Dense(3, 3, "softmax")], seed=0)
    twin = Network([Dense(4, 3, "tanh"), Dense(3, 3, "softmax")], seed=0)
    Y = net.targets(LABELS, 13)
    order = np.random.default_rng(5).permutation(13)
    for library in ("auto", None):
        FastTrainer(net, SGD(0.2), batch_size=5, blas=library).epoch(X, Y, order, sample_weight=WEIGHTS)
        for start in range(0, 13, 5):
            idx = order[start : start + 5]
            twin.train_step(X[idx], Y[idx], SGD(0.2), sample_weight=WEIGHTS[idx])
        for p, q in zip(net.parameters(), twin.parameters()):
            np.testing.assert_allclose(p, q, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 4, None])
def test_fast_path_without_shuffling_and_in_float32(batch_size):
    for dtype, rtol in ((np.float64, 1e-10), (np.float32, 2e-4)):
        fast, h_fast = train(True, "tanh", "softmax", "cross_entropy", True, batch_size, SGD(0.1), False, dtype)
        slow, h_slow = train(False, "tanh", "softmax", "cross_entropy", True, batch_size, SGD(0.1), False, dtype)
        assert fast.dtype == slow.dtype == dtype
        for p, q in zip(fast.parameters(), slow.parameters()):
            np.testing.assert_allclose(p, q, rtol=rtol, atol=rtol * 1e-2)
        np.testing.assert_allclose(h_fast.loss, h_slow.loss, rtol=rtol)


def test_an_epoch_reports_every_output_before_its_update_in_visiting_order():
    net = Network([Dense(4, 3, "tanh"), Dense(3, 3, "softmax")], seed=0)
    twin = Network([Dense(4, 3, "tanh"), Dense(3, 3, "softmax")], seed=0)
    Y = net.targets(LABELS, 13)
    order = np.random.default_rng(5).permutation(13)
    trainer = FastTrainer(net, SGD(0.2), batch_size=5)
    Yhat, Y_epoch = trainer.epoch(X, Y, order)
    np.testing.assert_array_equal(Y_epoch, Y[order])
    for start in range(0, 13, 5):  # batch by batch with the readable path
        idx = order[start : start + 5]
        np.testing.assert_allclose(Yhat[start : start + 5], twin.forward(X[idx]), rtol=1e-12)
        twin.train_step(X[idx], Y[idx], SGD(0.2))
    for p, q in zip(net.parameters(), twin.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-12)


def test_float32_training_with_saturated_units_raises_no_floating_point_warning(strict_fp):
    # huge inputs drive the sigmoid and softmax far into saturation (exp(-z) would overflow)
    X32 = (np.random.default_rng(3).normal(size=(40, 4)) * 1e4).astype(np.float32)
    y = (X32[:, 0] > 0).astype(int)
    for out, loss in (("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")):
        n_out = 2 if out == "softmax" else 1
        net = Network([Dense(4, 6, "sigmoid"), Dense(6, n_out, out)], loss=loss, seed=0)
        history = net.fit(X32, y, epochs=2, batch_size=8)
        assert np.isfinite(history.loss).all()
        assert np.isfinite(net.predict_proba(X32)).all()


def test_benchmark_glassnet_part_runs_in_quick_mode():
    # speed is measured by the benchmark, never asserted here: this only checks that the script runs
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_vs_peers.py"
    spec = importlib.util.spec_from_file_location("bench_vs_peers", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    def missing():
        raise ImportError("No module named 'torch'")

    bench.TRAINERS["torch"] = missing  # a peer that is not installed is reported and skipped
    lines = []
    speeds, latencies = bench.run(["glassnet", "torch", "floor"], n_samples=600, n_batch1=100, batch_sizes=(1, 32),
                                  repeats=1, out=lines.append)
    assert "torch not installed: skipped" in lines
    assert set(speeds) == {"glassnet", "floor"} and set(speeds["glassnet"]) == {1, 32}
    assert all(v > 0 for by_batch in speeds.values() for v in by_batch.values())
    assert set(latencies) == {"glassnet"} and latencies["glassnet"] > 0
    assert lines[0].startswith("machine: ") and any(line.startswith("glassnet       32") for line in lines)


# ------------------------------------------------------------------ the fast pieces the readable path shares
@pytest.mark.parametrize("n_cols", [5, 32, 33, 300])  # many rows: the transposed (narrow) and argmax (wide) ways
def test_softmax_of_many_rows_equals_the_row_by_row_formula(n_cols):
    Z = np.random.default_rng(4).normal(size=(100, n_cols)) * 30
    expected = np.exp(Z - Z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    softmax = Network([Dense(2, 5, "softmax")]).layers[0].activation
    result = softmax.forward(Z)
    assert result.flags.c_contiguous and result.shape == Z.shape
    np.testing.assert_allclose(result, expected, rtol=1e-14)
    np.testing.assert_allclose(np.vstack([softmax.forward(Z[i : i + 1]) for i in range(100)]), expected, rtol=1e-14)
    inplace = Z.copy()
    assert softmax.forward(inplace, out=inplace) is inplace
    np.testing.assert_allclose(inplace, expected, rtol=1e-14)
    Z32 = Z.astype(np.float32)
    np.testing.assert_allclose(softmax.forward(Z32), expected, rtol=2e-5, atol=1e-30)
    assert softmax.forward(Z32).dtype == np.float32


def test_check_X_returns_a_ready_array_itself_and_still_finds_bad_values(strict_fp):
    net = Network([Dense(3, 2, "softmax")], seed=0)
    X64 = np.random.default_rng(0).normal(size=(5, 3))
    assert net.check_X(X64) is X64
    for huge in (np.full((2, 3), 1e300), np.full((40_000, 3), 1e300)):  # finite: accepted, no overflow warning
        assert net.check_X(huge) is huge
    for bad, rows in itertools.product((np.nan, np.inf, -np.inf), (5, 40_000)):
        X = np.ones((rows, 3))
        X[3, 1] = bad
        with pytest.raises(ValueError, match=r"X contains NaN or infinite values \(first at row 3, column 1\)"):
            net.check_X(X)
    assert net.check_X(X64.astype(np.float32)).dtype == np.float64  # the parameters' dtype


def test_predict_skips_the_softmax_but_agrees_with_predict_proba():
    X = np.random.default_rng(6).normal(size=(200, 4))
    for out in ("softmax", "sigmoid"):
        net = Network([Dense(4, 6, "relu"), Dense(6, 3, out)], loss="cross_entropy", seed=1)
        np.testing.assert_array_equal(net.predict(X), net.predict_proba(X).argmax(axis=1))
    one = Network([Dense(4, 1, "sigmoid")], loss="binary_cross_entropy", seed=1)
    np.testing.assert_array_equal(one.predict(X), (one.predict_proba(X)[:, 0] >= 0.5).astype(int))


# ------------------------------------------------------------------ direct BLAS calls (glassnet.blas)
NUMPY_BLAS = blas.load()
needs_blas = pytest.mark.skipif(NUMPY_BLAS is None, reason="this NumPy's BLAS cannot be called directly")


def test_blas_is_off_when_asked_for_numpy_alone(monkeypatch):
    monkeypatch.setenv("GLASSNET_BLAS", "numpy")
    assert blas.load() is None
    net = Network([Dense(4, 3, "softmax")], seed=0)
    assert FastTrainer(net, SGD(0.1), batch_size=2).blas is None
    monkeypatch.setenv("GLASSNET_BLAS", "AUTO")
    assert blas.load() is NUMPY_BLAS


@pytest.mark.parametrize("fast", [True, False])
def test_an_unknown_glassnet_blas_value_is_refused_before_training(monkeypatch, fast):
    # the readable loop too: Adam's update of a large network calls BLAS there as well
    monkeypatch.setenv("GLASSNET_BLAS", "mkl")
    net = Network([Dense(4, 3, "softmax")], seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=r"GLASSNET_BLAS must be 'auto' or 'numpy', got 'mkl'"):
        net.fit(X, LABELS, epochs=1, fast=fast)
    assert net.dtype == np.float64  # not even cast to the training dtype
    for p, q in zip(net.parameters(), before):  # nothing trained, nothing lost
        np.testing.assert_array_equal(p, q)


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_routines_compute_what_numpy_computes(dtype):
    rng = np.random.default_rng(7)
    A, B, C = (rng.normal(size=shape).astype(dtype) for shape in ((5, 4), (4, 3), (5, 3)))
    x, y = rng.normal(size=5).astype(dtype), rng.normal(size=3).astype(dtype)
    at = _blas_address
    dt = np.dtype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    expected = 2.0 * A @ B + 0.5 * C
    NUMPY_BLAS.gemm[dt](ROW_MAJOR, NO_TRANS, NO_TRANS, 5, 3, 4, 2.0, at(A), 4, at(B), 3,
                        0.5, at(C), 3)
    np.testing.assert_allclose(C, expected, rtol=rtol)
    W = rng.normal(size=(4, 3)).astype(dtype)
    expected = W - A.T @ C
    NUMPY_BLAS.gemm[dt](ROW_MAJOR, TRANS, NO_TRANS, 4, 3, 5, -1.0, at(A), 4, at(C), 3, 1.0, at(W), 3)
    np.testing.assert_allclose(W, expected, rtol=rtol)
    b = rng.normal(size=3).astype(dtype)
    expected = b - x @ C
    NUMPY_BLAS.gemv[dt](ROW_MAJOR, TRANS, 5, 3, -1.0, at(C), 3, at(x), 1, 1.0, at(b), 1)
    np.testing.assert_allclose(b, expected, rtol=rtol)
    expected = C - np.outer(x, y)
    NUMPY_BLAS.ger[dt](ROW_MAJOR, 5, 3, -1.0, at(x), 1, at(y), 1, at(C), 3)
    np.testing.assert_allclose(C, expected, rtol=rtol)
    # the vector routines, on vectors long enough for OpenBLAS to split them over its threads
    u, v = rng.normal(size=50_001).astype(dtype), rng.normal(size=50_001).astype(dtype)
    expected = v - 0.25 * u
    NUMPY_BLAS.axpy[dt](u.size, -0.25, at(u), 1, at(v), 1)
    np.testing.assert_allclose(v, expected, rtol=rtol, atol=rtol)
    expected = v * 0.9
    NUMPY_BLAS.scal[dt](v.size, 0.9, at(v), 1)
    np.testing.assert_allclose(v, expected, rtol=rtol)
    if dt in NUMPY_BLAS.axpby:
        expected = 0.1 * u + 0.9 * v
        NUMPY_BLAS.axpby[dt](u.size, 0.1, at(u), 1, 0.9, at(v), 1)
        np.testing.assert_allclose(v, expected, rtol=rtol, atol=rtol)


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unchecked_blas_routines_with_ready_arguments_compute_what_the_checked_ones_do(dtype):
    import ctypes

    dt = np.dtype(dtype)
    I, R, P = NUMPY_BLAS.integer, NUMPY_BLAS.real[dt], ctypes.c_void_p  # noqa: E741
    rng = np.random.default_rng(11)
    A, B = rng.normal(size=(5, 4)).astype(dtype), rng.normal(size=(4, 3)).astype(dtype)
    x, y = rng.normal(size=5).astype(dtype), rng.normal(size=3).astype(dtype)
    C1 = rng.normal(size=(5, 3)).astype(dtype)
    C2 = C1.copy()
    at = _blas_address
    NUMPY_BLAS.gemm[dt](ROW_MAJOR, NO_TRANS, NO_TRANS, 5, 3, 4, 2.0, at(A), 4, at(B), 3, 0.5, at(C1), 3)
    NUMPY_BLAS.unchecked["gemm", dt](I(ROW_MAJOR), I(NO_TRANS), I(NO_TRANS), I(5), I(3), I(4), R(2.0), P(at(A)),
                                     I(4), P(at(B)), I(3), R(0.5), P(at(C2)), I(3))
    np.testing.assert_array_equal(C2, C1)
    y2, expected = y.copy(), y - x @ C1
    NUMPY_BLAS.gemv[dt](ROW_MAJOR, TRANS, 5, 3, -1.0, at(C1), 3, at(x), 1, 1.0, at(y), 1)
    NUMPY_BLAS.unchecked["gemv", dt](I(ROW_MAJOR), I(TRANS), I(5), I(3), R(-1.0), P(at(C2)), I(3), P(at(x)), I(1),
                                     R(1.0), P(at(y2)), I(1))
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_allclose(y2, expected, rtol=1e-5 if dtype == np.float32 else 1e-13)
    NUMPY_BLAS.ger[dt](ROW_MAJOR, 5, 3, -1.0, at(x), 1, at(y), 1, at(C1), 3)
    NUMPY_BLAS.unchecked["ger", dt](I(ROW_MAJOR), I(5), I(3), R(-1.0), P(at(x)), I(1), P(at(y)), I(1), P(at(C2)), I(3))
    np.testing.assert_array_equal(C2, C1)
    u, v1 = rng.normal(size=1000).astype(dtype), rng.normal(size=1000).astype(dtype)
    v2 = v1.copy()
    NUMPY_BLAS.axpy[dt](u.size, -0.25, at(u), 1, at(v1), 1)
    NUMPY_BLAS.unchecked["axpy", dt](I(u.size), R(-0.25), P(at(u)), I(1), P(at(v2)), I(1))
    np.testing.assert_array_equal(v2, v1)
    NUMPY_BLAS.scal[dt](v1.size, 0.9, at(v1), 1)
    NUMPY_BLAS.unchecked["scal", dt](I(v2.size), R(0.9), P(at(v2)), I(1))
    np.testing.assert_array_equal(v2, v1)


@needs_blas
@pytest.mark.parametrize("batch_size", [1, 3, 5, None])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_direct_blas_calls_train_the_same_weights_as_numpy_alone(batch_size, optimizer, monkeypatch):
    results = []
    for env in ("", "numpy"):  # GLASSNET_BLAS=numpy: NumPy alone
        monkeypatch.setenv("GLASSNET_BLAS", env)
        net, history = train(True, "sigmoid", "softmax", "cross_entropy", True, batch_size, OPTIMIZERS[optimizer]())
        results.append((net.parameters(), history.loss))
    (p_blas, loss_blas), (p_numpy, loss_numpy) = results
    for p, q in zip(p_blas, p_numpy):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss_blas, loss_numpy, rtol=1e-12)


@needs_blas
@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("bias", [True, False])
def test_momentum_accumulates_in_the_velocity_inside_the_products(batch_size, bias):
    # heavy-ball momentum is folded into the BLAS calls: the gradient buffers are never written, and the
    # velocity and the weights are those of the optimizer's own step, which NumPy alone takes
    def net():
        return Network([Dense(4, 6, "relu", bias=bias), Dense(6, 5, "tanh", bias=bias),
                        Dense(5, 3, "softmax", bias=bias)], seed=4)

    folded, twin = net(), net()
    Y = folded.targets(LABELS, 13)
    opt, opt_twin = SGD(0.05, momentum=0.8), SGD(0.05, momentum=0.8)
    fast, slow = FastTrainer(folded, opt, batch_size), FastTrainer(twin, opt_twin, batch_size, blas=None)
    fast.grad_vector.fill(np.nan)
    for epoch in range(3):
        order = np.random.default_rng(epoch).permutation(13)
        fast.epoch(X, Y, order)
        slow.epoch(X, Y, order)
    assert np.isnan(fast.grad_vector).all()  # no gradient was stored: they went straight into v
    assert opt.steps == opt_twin.steps == 3 * -(-13 // batch_size)
    for p, q in zip(folded.parameters(), twin.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)
    for i in opt_twin.state:
        np.testing.assert_allclose(opt.state[i]["v"], opt_twin.state[i]["v"], rtol=1e-12, atol=1e-15)
    assert flat_vector([opt.state[i]["v"] for i in sorted(opt.state)]) is not None  # one flat velocity


@needs_blas
def test_momentum_is_not_folded_where_the_rule_is_another_one():
    # Nesterov, weight decay and a subclass with its own step take the gradients through step
    class Halved(SGD):
        name = "sgd"

        def step(self, params, grads):
            super().step(params, [g / 2 for g in grads])

    for optimizer in (SGD(0.05, momentum=0.8, nesterov=True), SGD(0.05, momentum=0.8, weight_decay=0.1),
                      Halved(0.05, momentum=0.8)):
        net = Network([Dense(4, 5, "relu"), Dense(5, 3, "softmax")], seed=4)
        trainer = FastTrainer(net, optimizer, 4)
        trainer.grad_vector.fill(np.nan)
        trainer.epoch(X, net.targets(LABELS, 13))
        assert np.isfinite(trainer.grad_vector).all(), optimizer
        assert all(np.isfinite(p).all() for p in net.parameters()), optimizer


@needs_blas
def test_direct_blas_calls_follow_parameters_that_are_replaced_between_epochs():
    # a callback that swaps in new arrays must not leave the trainer writing into the old ones
    net = Network([Dense(4, 5, "tanh"), Dense(5, 3, "softmax")], seed=0)
    twin = Network([Dense(4, 5, "tanh"), Dense(5, 3, "softmax")], seed=0)
    Y = net.targets(LABELS, 13)
    fast, slow = FastTrainer(net, SGD(0.1), batch_size=4), FastTrainer(twin, SGD(0.1), batch_size=4, blas=None)
    for _ in range(3):
        fast.epoch(X, Y)
        slow.epoch(X, Y)
        for layer in net.layers:
            layer.W = layer.W.copy()  # same values, a new array
    for p, q in zip(net.parameters(), twin.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-12)


def test_a_single_sample_is_predicted_as_in_a_batch_and_leaves_the_layers_alone():
    X = np.random.default_rng(8).normal(size=(30, 4))
    for out, loss, n_out in (("softmax", "cross_entropy", 3), ("sigmoid", "binary_cross_entropy", 1)):
        for dtype in (np.float64, np.float32):
            net = Network([Dense(4, 6, "sigmoid"), Dense(6, 5, "relu"), Dense(5, n_out, out)], loss=loss, seed=3)
            net.layers[0].cast(dtype), net.layers[1].cast(dtype), net.layers[2].cast(dtype)
            net.forward(X[:2].astype(dtype))
            before = [layer.A.copy() for layer in net.layers]
            batch = net.predict(X)
            singles = [net.predict(X[i : i + 1]) for i in range(30)]
            assert all(s.shape == (1,) for s in singles)
            np.testing.assert_array_equal(np.concatenate(singles), batch)
            for layer, A in zip(net.layers, before):
                np.testing.assert_array_equal(layer.A, A)


@needs_blas
@pytest.mark.parametrize("batch_size", [1, 7, 32])
def test_numpy_alone_on_the_buffers_with_a_column_of_ones_trains_the_readable_weights(batch_size, monkeypatch):
    # With BLAS found, the hidden A buffers carry a column of ones (the bias inside the products); an epoch
    # that cannot call BLAS directly falls back to NumPy alone on those strided buffers.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 6)), rng.integers(0, 3, 60)

    def make():
        return Network([Dense(6, 5, "tanh"), Dense(5, 4, "relu"), Dense(4, 3, "softmax")], seed=1)

    fallback, readable = make(), make()
    monkeypatch.setattr(FastTrainer, "_direct", lambda self: False)
    fallback.fit(X, y, epochs=3, batch_size=batch_size, optimizer=SGD(0.1, momentum=0.5), dtype=np.float64)
    monkeypatch.undo()
    readable.fit(X, y, epochs=3, batch_size=batch_size, optimizer=SGD(0.1, momentum=0.5), dtype=np.float64,
                 fast=False)
    for p, q in zip(fallback.parameters(), readable.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-13)
    assert not np.allclose(fallback.parameters()[0], make().parameters()[0])
