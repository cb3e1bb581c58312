"""Network: forward by hand, backward against finite differences, fit against manual loops."""

import copy
import inspect
import math

import numpy as np
import pytest

import glassnet
from glassnet import SGD, Dense, Network

W1 = np.array([[0.5, -0.3, 0.8], [0.1, 0.9, -0.6]])
b1 = np.array([0.05, -0.1, 0.2])
W2 = np.array([[0.4, -0.7], [1.1, 0.3], [-0.5, 0.6]])
b2 = np.array([0.3, -0.2])
X = np.array([[1.0, 2.0], [-0.5, 0.25], [0.0, -1.5]])

# fit's training loops: the fast (buffered) one and the readable one where fit offers the choice
PATHS = [{"fast": True}, {"fast": False}] if "fast" in inspect.signature(Network.fit).parameters else [{}]
PATH_IDS = [f"fast={p.get('fast', 'default')}" for p in PATHS]


def small_net():
    """2-2(bias)-3 sigmoid - 2 softmax network with hand-chosen weights."""
    return Network([Dense(2, 3, "sigmoid", init=W1, bias_init=b1), Dense(3, 2, "softmax", init=W2, bias_init=b2)])


def data(n=12, n_in=3, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.integers(0, n_classes, size=n)


def mlp(seed=0, loss="cross_entropy", hidden="tanh", out="softmax", n_out=3):
    return Network([Dense(3, 4, hidden), Dense(4, n_out, out)], loss=loss, seed=seed)


def same_params(a, b, **tol):
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p, q, **(tol or {"rtol": 1e-12, "atol": 1e-14}))


def test_forward_by_hand():
    net = small_net()
    Yhat = net.forward(X)
    for i in range(3):
        z1 = [sum(X[i, k] * W1[k, j] for k in range(2)) + b1[j] for j in range(3)]
        a1 = [1 / (1 + math.exp(-z)) for z in z1]
        z2 = [sum(a1[k] * W2[k, j] for k in range(3)) + b2[j] for j in range(2)]
        e = [math.exp(z) for z in z2]
        np.testing.assert_allclose(net.layers[0].Z[i], z1, rtol=1e-14)
        np.testing.assert_allclose(net.layers[0].A[i], a1, rtol=1e-14)
        np.testing.assert_allclose(net.layers[1].Z[i], z2, rtol=1e-14)
        np.testing.assert_allclose(Yhat[i], [v / sum(e) for v in e], rtol=1e-14)
    np.testing.assert_array_equal(net.layers[0].X, X)
    assert net.layers[1].X is net.layers[0].A


def test_forward_accepts_lists_and_a_single_sample():
    net = small_net()
    np.testing.assert_allclose(net.forward([[1, 2]]), net.forward(np.array([[1.0, 2.0]])))
    assert net.forward([1.0, 2.0]).shape == (1, 2)


def test_backward_is_idempotent():
    net = mlp()
    Xd, y = data()
    net.forward(Xd)
    dX1 = net.backward(y).copy()
    first = [g.copy() for g in net.gradients()]
    dX2 = net.backward(y)
    np.testing.assert_array_equal(dX1, dX2)
    for g, h in zip(first, net.gradients()):
        np.testing.assert_array_equal(g, h)


def test_backward_needs_forward():
    with pytest.raises(RuntimeError, match="forward"):
        mlp().backward([0])


@pytest.mark.parametrize(
    ("loss", "out", "n_out"),
    [("cross_entropy", "softmax", 3), ("binary_cross_entropy", "sigmoid", 1), ("squared_error", "linear", 3)],
)
def test_gradients_and_dX_equal_finite_differences(loss, out, n_out, finite_diff):
    net = mlp(loss=loss, out=out, n_out=n_out)
    Xd, y = data(n=6, n_classes=n_out if n_out > 1 else 2)
    Y = net.targets(y, len(Xd))

    def L():
        return net.loss.value(net.forward(Xd), Y)

    net.forward(Xd)
    dX = net.backward(y).copy()
    analytic = [g.copy() for g in net.gradients()]
    for p, g in zip(net.parameters(), analytic):
        np.testing.assert_allclose(g, finite_diff(L, p), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dX, finite_diff(L, Xd), rtol=1e-6, atol=1e-9)


def test_parameters_and_gradients_order():
    net = Network([Dense(2, 3, bias=False), Dense(3, 2, "softmax")], seed=0)
    l1, l2 = net.layers
    params = net.parameters()
    assert len(params) == 3
    assert params[0] is l1.W and params[1] is l2.W and params[2] is l2.b
    net.forward(np.ones((1, 2)))
    net.backward([1])
    grads = net.gradients()
    assert grads[0] is l1.dW and grads[1] is l2.dW and grads[2] is l2.db
    assert net.n_parameters() == 2 * 3 + 3 * 2 + 2


def test_train_step_returns_loss_before_update_and_takes_a_gradient_step():
    net = mlp()
    Xd, y = data()
    ref = copy.deepcopy(net)
    before = ref.loss.value(ref.forward(Xd), ref.targets(y, len(Xd)))
    ref.backward(y)
    expected = [p - 0.3 * g for p, g in zip(ref.parameters(), ref.gradients())]
    assert net.train_step(Xd, y, SGD(0.3)) == pytest.approx(before, rel=1e-14)
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_allclose(p, e, rtol=1e-14, atol=1e-16)


def manual_epochs(net, Xd, y, epochs, batch_size, lr):
    """Plain loop of train_step over batches in order; per epoch: (the mean of the batch losses, accuracy).

    The epoch loss is the mean of the losses of the epoch's batches, each taken before its
    update (Keras's report, as the issue defines it): a short last batch counts as one batch.
    """
    Y = net.targets(y, len(Xd))
    history = []
    for _ in range(epochs):
        batch_losses, correct = [], 0
        for s in range(0, len(Xd), batch_size):
            Xb, Yb = Xd[s : s + batch_size], Y[s : s + batch_size]
            Yhat = net.forward(Xb)
            if Yb.shape[1] == 1:
                correct += int(((Yhat[:, 0] >= 0.5) == (Yb[:, 0] >= 0.5)).sum())
            else:
                correct += int((Yhat.argmax(1) == Yb.argmax(1)).sum())
            batch_losses.append(net.train_step(Xb, Yb, SGD(lr)))
        history.append((sum(batch_losses) / len(batch_losses), correct / len(Xd)))
    return history


@pytest.mark.parametrize("path", PATHS, ids=PATH_IDS)
@pytest.mark.parametrize("batch_size", [None, 1, 5, 12, 50])
def test_fit_equals_manual_loop(batch_size, path, fit64):
    Xd, y = data(n=12)
    net, ref = mlp(seed=1), mlp(seed=1)
    h = fit64(net, Xd, y, epochs=3, batch_size=batch_size, lr=0.2, shuffle=False, **path)
    expected = manual_epochs(ref, Xd, y, 3, batch_size or len(Xd), 0.2)
    np.testing.assert_allclose(h.loss, [e[0] for e in expected], rtol=1e-10)
    np.testing.assert_allclose(h.accuracy, [e[1] for e in expected], rtol=1e-12)
    same_params(net, ref, rtol=1e-10, atol=1e-12)
    assert h.epochs == 3 and h.val_loss == [] and h.val_accuracy == []
    assert all(p.dtype == np.float64 for p in net.parameters())  # so gradient_check still applies


def test_fit_leaves_its_inputs_alone():
    Xd, y = data(n=9)
    Xv, yv = data(n=4, seed=1)
    copies = [a.copy() for a in (Xd, y, Xv, yv)]
    mlp().fit(Xd, y, epochs=2, batch_size=4, validation_data=(Xv, yv))
    for a, b in zip((Xd, y, Xv, yv), copies):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("path", PATHS, ids=PATH_IDS)
def test_fit_one_output_binary_matches_manual_loop(path, fit64):
    Xd, y = data(n=10, n_classes=2, seed=3)
    make = lambda: Network([Dense(3, 4, "relu"), Dense(4, 1, "sigmoid")], loss="binary_cross_entropy", seed=2)  # noqa: E731
    net, ref = make(), make()
    h = fit64(net, Xd, y, epochs=4, batch_size=3, lr=0.5, shuffle=False, **path)
    expected = manual_epochs(ref, Xd, y, 4, 3, 0.5)
    np.testing.assert_allclose(h.loss, [e[0] for e in expected], rtol=1e-10)
    np.testing.assert_allclose(h.accuracy, [e[1] for e in expected], rtol=1e-12)
    same_params(net, ref, rtol=1e-10, atol=1e-12)


def test_fit_default_lr_is_0_1_and_optimizer_is_used(fit64):
    Xd, y = data()
    a, b, c = mlp(seed=4), mlp(seed=4), mlp(seed=4)
    fit64(a, Xd, y, epochs=2, shuffle=False)
    fit64(b, Xd, y, epochs=2, shuffle=False, optimizer=SGD(0.1))
    manual_epochs(c, Xd, y, 2, len(Xd), 0.1)
    same_params(a, c, rtol=1e-10, atol=1e-12)
    same_params(b, c, rtol=1e-10, atol=1e-12)


def test_fit_in_default_precision_learns_the_same_as_float64(fit64):
    # whatever precision fit uses by default, its history must agree with float64 to float32 accuracy
    Xd, y = data(n=20)
    h = mlp(seed=5).fit(Xd, y, epochs=5, batch_size=4, lr=0.1, shuffle=False)
    h64 = fit64(mlp(seed=5), Xd, y, epochs=5, batch_size=4, lr=0.1, shuffle=False)
    np.testing.assert_allclose(h.loss, h64.loss, rtol=1e-4)
    assert h.loss[-1] < h.loss[0]


@pytest.mark.parametrize("path", PATHS, ids=PATH_IDS)
def test_validation_metrics_equal_evaluate_after_each_epoch(path, fit64):
    Xd, y = data(n=12)
    Xv, yv = data(n=7, seed=9)
    seen = []

    def callback(epoch, history):
        seen.append((epoch, len(history.loss), net.evaluate(Xv, yv)))

    net = mlp(seed=6)
    h = fit64(net, Xd, y, epochs=4, batch_size=5, lr=0.3, validation_data=(Xv, yv), callbacks=[callback], **path)
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert [s[1] for s in seen] == [1, 2, 3, 4]
    np.testing.assert_allclose(h.val_loss, [s[2]["loss"] for s in seen], rtol=1e-10)
    np.testing.assert_allclose(h.val_accuracy, [s[2]["accuracy"] for s in seen], rtol=1e-12)


def test_callbacks_are_called_once_per_epoch_with_the_returned_history(fit64):
    calls_a, calls_b = [], []
    Xd, y = data()
    h = fit64(
        mlp(), Xd, y, epochs=3,
        callbacks=[lambda e, hist: calls_a.append((e, hist)), lambda e, hist: calls_b.append(e)],
    )
    assert [e for e, _ in calls_a] == [1, 2, 3]
    assert calls_b == [1, 2, 3]
    assert all(hist is h for _, hist in calls_a)


def test_same_seed_same_run_different_seed_different_run(fit64):
    Xd, y = data(n=15)
    runs = []
    for seed in (11, 11, 12):
        net = mlp(seed=seed)
        h = fit64(net, Xd, y, epochs=3, batch_size=4, lr=0.2, shuffle=True)
        runs.append((net, h))
    (a, ha), (b, hb), (c, hc) = runs
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    assert ha.loss == hb.loss and ha.accuracy == hb.accuracy
    assert not np.array_equal(a.layers[0].W, c.layers[0].W)
    assert ha.loss != hc.loss


def test_shuffle_changes_the_order_of_updates(fit64):
    Xd, y = data(n=10)
    a, b = mlp(seed=2), mlp(seed=2)
    fit64(a, Xd, y, epochs=2, batch_size=1, shuffle=True)
    fit64(b, Xd, y, epochs=2, batch_size=1, shuffle=False)
    assert not np.allclose(a.layers[0].W, b.layers[0].W)


def test_network_seed_redraws_random_layers_but_keeps_explicit_arrays():
    Wfixed, bfixed = np.arange(12.0).reshape(4, 3) / 10, np.array([0.1, 0.2, 0.3])
    nets = {}
    for seed, layer_seed in ((0, 5), (0, 6), (1, 5)):
        nets[seed, layer_seed] = Network(
            [Dense(3, 4, "tanh", seed=layer_seed), Dense(4, 3, "softmax", init=Wfixed, bias_init=bfixed)], seed=seed
        )
    for net in nets.values():
        np.testing.assert_array_equal(net.layers[1].W, Wfixed)
        np.testing.assert_array_equal(net.layers[1].b, bfixed)
    # the network's seed, not the layer's, decides the random weights
    np.testing.assert_array_equal(nets[0, 5].layers[0].W, nets[0, 6].layers[0].W)
    assert not np.array_equal(nets[0, 5].layers[0].W, nets[1, 5].layers[0].W)


def test_predict_one_output_thresholds_at_one_half():
    net = Network([Dense(1, 1, "sigmoid", init=[[1.0]], bias_init=[0.0])], loss="binary_cross_entropy")
    x = np.array([[-2.0], [0.0], [3.0], [-0.01]])
    proba = net.predict_proba(x)
    np.testing.assert_allclose(proba[:, 0], [1 / (1 + math.exp(-v)) for v in x[:, 0]], rtol=1e-14)
    np.testing.assert_array_equal(net.predict(x), [0, 1, 1, 0])
    assert net.predict(x).dtype.kind == "i"
    ev = net.evaluate(x, [0, 0, 1, 1])
    assert ev["accuracy"] == 0.5 and ev["n_samples"] == 4
    p = proba[:, 0]
    t = np.array([0, 0, 1, 1])
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert ev["loss"] == pytest.approx(expected, rel=1e-13)


def test_predict_multi_output_is_argmax_and_evaluate_by_hand():
    net = small_net()
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba, net.forward(X), rtol=0, atol=0)
    np.testing.assert_array_equal(net.predict(X), [int(row[1] > row[0]) for row in proba])
    y = np.array([1, 1, 0])
    ev = net.evaluate(X, y)
    assert ev["loss"] == pytest.approx(-sum(math.log(proba[i, y[i]]) for i in range(3)) / 3, rel=1e-13)
    assert ev["accuracy"] == pytest.approx(np.mean(proba.argmax(1) == y))
    assert ev["n_samples"] == 3


def test_predictions_are_not_overwritten_by_later_calls():
    # fast paths reuse buffers; results already handed to the caller must stay as they were
    net = small_net()
    p1 = net.predict_proba(X)
    saved = p1.copy()
    net.predict_proba(X[::-1] * 3)
    net.fit(X, [0, 1, 1], epochs=1)
    np.testing.assert_array_equal(p1, saved)


def test_rashid_style_targets_are_accepted_as_a_matrix():
    net = Network([Dense(2, 3, "sigmoid", seed=0), Dense(3, 2, "sigmoid")], loss="squared_error", seed=0)
    T = np.array([[0.99, 0.01], [0.01, 0.99], [0.99, 0.01]])
    np.testing.assert_array_equal(net.targets(T, 3), T)
    proba = net.predict_proba(X)
    ev = net.evaluate(X, T)
    assert ev["loss"] == pytest.approx(np.mean(0.5 * ((proba - T) ** 2).sum(1)), rel=1e-13)
    assert ev["accuracy"] == pytest.approx(np.mean(proba.argmax(1) == T.argmax(1)))


def test_labels_become_one_hot_rows_or_a_column():
    net3 = mlp()
    np.testing.assert_array_equal(net3.targets([2, 0, 1], 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(net3.targets(np.array([[2], [0], [1]]), 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(net3.targets([2.0, 0.0, 1.0], 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    net1 = mlp(loss="binary_cross_entropy", out="sigmoid", n_out=1)
    np.testing.assert_array_equal(net1.targets([1, 0, 1], 3), [[1], [0], [1]])
    assert net1.targets([1, 0, 1], 3).dtype == np.float64


def test_preprocessing_applies_in_fit_predict_evaluate_but_not_forward():
    class Double:
        def transform(self, X):
            return 2 * np.asarray(X)

    net = small_net()
    raw = net.forward(X).copy()
    doubled = net.forward(2 * X).copy()
    net.preprocessing = Double()
    np.testing.assert_allclose(net.forward(X), raw)
    np.testing.assert_allclose(net.predict_proba(X), doubled)
    y = [0, 1, 1]
    assert net.evaluate(X, y)["loss"] == pytest.approx(small_net().evaluate(2 * X, y)["loss"], rel=1e-14)


def test_summary_and_repr_show_the_structure():
    net = Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax", bias=False)], seed=0)
    text = net.summary()
    lines = text.splitlines()
    assert "(4, 8)" in lines[2] and "relu" in lines[2] and f"{4 * 8 + 8}" in lines[2]
    assert "(8, 3)" in lines[3] and "softmax" in lines[3] and f"{8 * 3}" in lines[3]
    assert "cross_entropy" in lines[-1] and f"{4 * 8 + 8 + 8 * 3}" in lines[-1]
    assert set(lines[1]) == {"-"}
    r = repr(net)
    assert "Dense(4, 8, activation='relu', bias=True)" in r
    assert "Dense(8, 3, activation='softmax', bias=False)" in r
    assert "loss='cross_entropy'" in r
    zeros = {"name": "constant", "value": 0.0}
    assert net.config() == {
        "layers": [
            {"type": "Dense", "n_in": 4, "n_out": 8, "activation": "relu", "bias": True,
             "init": {"name": "he"}, "bias_init": zeros},
            {"type": "Dense", "n_in": 8, "n_out": 3, "activation": "softmax", "bias": False,
             "init": {"name": "glorot"}, "bias_init": zeros},
        ],
        "loss": "cross_entropy",
        "seed": 0,
    }
    assert net.n_in == 4 and net.n_out == 3


def test_history_as_dict_and_repr(fit64):
    Xd, y = data()
    h = fit64(mlp(), Xd, y, epochs=2, validation_data=data(n=4, seed=1))
    d = h.as_dict()
    assert set(d) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert d["loss"] == h.loss and len(d["val_loss"]) == 2
    assert "epochs=2" in repr(h) and str(round(h.loss[-1], 5)) in repr(h)


def test_glassnet_exports_the_core_names():
    for name in ("Dense", "Network", "History", "SGD", "Uniform", "Normal", "Rashid", "Glorot", "He", "Constant",
                 "gradient_check", "trace_step", "Trace", "format_matrix", "format_number"):
        assert hasattr(glassnet, name), name
