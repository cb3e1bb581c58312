"""Sample and class weights: the weighted loss by hand, its gradients by finite differences, fit's weighted runs.

The definition under test (glassnet.losses): with weights ``w_i`` a batch's loss is
``sum_i w_i L_i / sum_i w_i`` and every gradient is the exact gradient of that.
"""

import numpy as np
import pytest

from glassnet import SGD, Adam, Dense, Network
from glassnet.activations import get_activation
from glassnet.losses import LOSSES, check_sample_weight, get_loss
from glassnet.training import class_weights

F64 = {"dtype": np.float64}
N, K = 6, 3
W = np.array([0.5, 2.0, 0.0, 1.0, 3.0, 0.25])  # one zero weight on purpose


def probabilities(seed=1):
    P = np.random.default_rng(seed).uniform(0.1, 0.9, size=(N, K))
    return P / P.sum(axis=1, keepdims=True)


def targets_for(name, seed=2):
    rng = np.random.default_rng(seed)
    if name == "squared_error":
        return rng.normal(size=(N, K))
    if name == "binary_cross_entropy":
        return rng.integers(0, 2, size=(N, K)).astype(float)
    return np.eye(K)[rng.integers(0, K, size=N)]


def per_sample_by_hand(name, Yhat, Y):
    """Each row's loss, written out from the formulas (no glassnet code)."""
    if name == "cross_entropy":
        return -(Y * np.log(Yhat)).sum(axis=1)
    if name == "binary_cross_entropy":
        return -(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)).sum(axis=1)
    return 0.5 * ((Yhat - Y) ** 2).sum(axis=1)


def data(n=30, seed=0, n_classes=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.minimum((X[:, 0] > -0.3).astype(int) + (X[:, 1] > 0.8).astype(int), n_classes - 1)
    return X, y


def make(seed=0, out="softmax", loss="cross_entropy", n_out=3):
    return Network([Dense(3, 4, "tanh"), Dense(4, n_out, out)], loss=loss, seed=seed)


def assert_same_weights(a, b, rtol=1e-12):
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p, q, rtol=rtol, atol=1e-15)


# ------------------------------------------------------------------ the weighted loss of a batch
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_weighted_loss_of_a_batch_equals_the_hand_computation(name):
    Yhat, Y = probabilities(), targets_for(name)
    by_hand = per_sample_by_hand(name, Yhat, Y)
    expected = sum(w * L for w, L in zip(W, by_hand)) / sum(W)
    assert get_loss(name).value(Yhat, Y, W) == pytest.approx(expected, rel=1e-13)
    # not Keras's sum(w L) / N: that is a different number here
    assert abs(expected - (W @ by_hand) / N) > 1e-3
    # equal weights give the plain mean, and only the ratios of the weights matter
    assert get_loss(name).value(Yhat, Y, np.full(N, 7.0)) == pytest.approx(by_hand.mean(), rel=1e-13)
    assert get_loss(name).value(Yhat, Y, 1000 * W) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_weighted_loss_gradient_equals_finite_differences(name, finite_diff):
    loss = get_loss(name)
    Yhat, Y = probabilities(seed=3), targets_for(name)
    numeric = finite_diff(lambda: loss.value(Yhat, Y, W), Yhat)
    analytic = loss.gradient(Yhat, Y, sample_weight=W)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
    assert not analytic[2].any()  # the zero-weight row contributes nothing


PAIRS = [("cross_entropy", "softmax"), ("cross_entropy", "sigmoid"), ("binary_cross_entropy", "sigmoid"),
         ("binary_cross_entropy", "softmax")] + [("squared_error", a) for a in ("sigmoid", "softmax", "tanh", "linear")]


@pytest.mark.parametrize(("name", "act_name"), PAIRS)
def test_weighted_output_delta_equals_finite_differences_through_the_activation(name, act_name, finite_diff):
    loss, act = get_loss(name), get_activation(act_name)
    Z = np.random.default_rng(4).uniform(-1.5, 1.5, size=(N, K))
    Y = targets_for(name)
    delta = loss.output_delta(act.forward(Z), Y, act, sample_weight=W)
    numeric = finite_diff(lambda: loss.value(act.forward(Z), Y, W), Z)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)
    if act_name == loss.fused_with:  # the fused form: w_i (Yhat_i - Y_i) / sum w
        Yhat = act.forward(Z)
        np.testing.assert_allclose(delta, W[:, None] * (Yhat - Y) / W.sum(), rtol=1e-13, atol=1e-17)


def test_a_batch_whose_weights_are_all_zero_has_loss_and_gradient_zero():
    zeros = np.zeros(N)
    for name, act_name in PAIRS:
        loss, act = get_loss(name), get_activation(act_name)
        Yhat, Y = act.forward(probabilities()), targets_for(name)
        assert loss.value(Yhat, Y, zeros) == 0.0
        assert not loss.output_delta(Yhat, Y, act, sample_weight=zeros).any()
        assert not loss.gradient(Yhat, Y, sample_weight=zeros).any()


@pytest.mark.parametrize(
    ("loss", "out", "n_out"),
    [("cross_entropy", "softmax", 3), ("cross_entropy", "sigmoid", 3), ("binary_cross_entropy", "sigmoid", 1),
     ("squared_error", "linear", 3)],
)
def test_network_gradients_of_the_weighted_loss_equal_finite_differences(loss, out, n_out, finite_diff):
    net = make(seed=5, out=out, loss=loss, n_out=n_out)
    X, y = data(n=N, n_classes=max(n_out, 2))
    Y = net.targets(y, N)

    def L():
        return net.loss.value(net.forward(X), Y, W)

    net.forward(X)
    dX = net.backward(y, sample_weight=W).copy()
    analytic = [g.copy() for g in net.gradients()]
    for p, g in zip(net.parameters(), analytic):
        np.testing.assert_allclose(g, finite_diff(L, p), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dX, finite_diff(L, X), rtol=1e-6, atol=1e-9)
    assert not dX[2].any()  # the zero-weight sample


# ------------------------------------------------------------------ evaluate
def test_evaluate_with_weights_equals_the_hand_computation():
    X, y = data()
    w = np.random.default_rng(6).uniform(0, 2, size=len(y))
    net = make(seed=1)
    P = net.predict_proba(X)
    losses = -np.log(P[np.arange(len(y)), y])
    right = P.argmax(axis=1) == y
    result = net.evaluate(X, y, sample_weight=w)
    assert result["loss"] == pytest.approx((w * losses).sum() / w.sum(), rel=1e-13)
    assert result["accuracy"] == pytest.approx(w[right].sum() / w.sum(), rel=1e-13)
    assert result["n_samples"] == len(y)
    plain = net.evaluate(X, y)
    assert net.evaluate(X, y, sample_weight=np.full(len(y), 3)) == pytest.approx(plain, rel=1e-13)
    assert plain["accuracy"] == right.mean()


# ------------------------------------------------------------------ training with weights
@pytest.mark.parametrize("fast", [True, False])
def test_integer_weights_train_like_duplicated_rows(fast):
    X, y = data(n=12)
    counts = np.array([2, 1, 1, 3, 0, 1, 1, 2, 1, 1, 0, 1])  # 0: the row is left out
    weighted, repeated = make(seed=3), make(seed=3)
    h_w = weighted.fit(X, y, epochs=4, optimizer=SGD(0.5), sample_weight=counts, fast=fast, **F64)
    h_r = repeated.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts), epochs=4, optimizer=SGD(0.5),
                       fast=fast, **F64)
    assert_same_weights(weighted, repeated)
    np.testing.assert_allclose(h_w.loss, h_r.loss, rtol=1e-12)
    np.testing.assert_allclose(h_w.accuracy, h_r.accuracy, rtol=1e-12)
    # and one train_step: the same update
    a, b = make(seed=4), make(seed=4)
    loss_a = a.train_step(X, y, SGD(0.5), sample_weight=counts)
    loss_b = b.train_step(np.repeat(X, counts, axis=0), np.repeat(y, counts), SGD(0.5))
    assert loss_a == pytest.approx(loss_b, rel=1e-12)
    assert_same_weights(a, b)


def test_history_and_validation_metrics_are_weighted():
    X, y = data(n=40)
    Xv, yv = data(n=15, seed=1)
    w = np.random.default_rng(7).uniform(0, 2, size=40)
    wv = np.random.default_rng(8).uniform(0, 2, size=15)
    net, start = make(seed=2), make(seed=2)
    after_each_epoch = []
    history = net.fit(X, y, epochs=3, lr=0.3, sample_weight=w, validation_data=(Xv, yv, wv),
                      callbacks=[lambda e, h: after_each_epoch.append(net.evaluate(Xv, yv, sample_weight=wv))], **F64)
    # full batch: the first epoch's loss and accuracy are those of the starting weights
    first = start.evaluate(X, y, sample_weight=w)
    assert history.loss[0] == pytest.approx(first["loss"], rel=1e-12)
    assert history.accuracy[0] == pytest.approx(first["accuracy"], rel=1e-12)
    assert history.val_loss == pytest.approx([r["loss"] for r in after_each_epoch], rel=1e-12)
    assert history.val_accuracy == pytest.approx([r["accuracy"] for r in after_each_epoch], rel=1e-12)
    assert history.val_loss[-1] != pytest.approx(net.evaluate(Xv, yv)["loss"], rel=1e-6)  # weights made a difference


def test_mini_batch_loss_is_the_mean_of_the_batches_weighted_means():
    X, y = data(n=10)
    w = np.array([1.0, 0, 0, 2, 1, 1, 3, 0.5, 1, 1])
    net, twin = make(seed=6), make(seed=6)
    history = net.fit(X, y, epochs=1, batch_size=4, lr=0.2, shuffle=False, sample_weight=w, **F64)
    batch_losses = []
    for start in range(0, 10, 4):  # the readable way, batch by batch, with train_step
        batch_losses.append(twin.train_step(X[start : start + 4], y[start : start + 4], SGD(0.2),
                                            sample_weight=w[start : start + 4]))
    assert history.loss[0] == pytest.approx(np.mean(batch_losses), rel=1e-12)
    assert_same_weights(net, twin)


def test_validation_split_splits_the_weights_along():
    X, y = data(n=40)
    w = np.random.default_rng(9).uniform(0.1, 2, size=40)
    net = make(seed=3)
    history = net.fit(X, y, epochs=3, batch_size=8, lr=0.2, validation_split=0.25, sample_weight=w, **F64)
    twin = make(seed=3)
    held = np.zeros(40, dtype=bool)
    held[twin.rng.permutation(40)[:10]] = True
    by_hand = twin.fit(X[~held], y[~held], epochs=3, batch_size=8, lr=0.2, sample_weight=w[~held],
                       validation_data=(X[held], y[held], w[held]), **F64)
    assert history.loss == by_hand.loss and history.val_loss == by_hand.val_loss
    assert_same_weights(net, twin, rtol=0)
    assert history.val_loss[-1] == pytest.approx(net.evaluate(X[held], y[held], w[held])["loss"], rel=1e-12)


# ------------------------------------------------------------------ class weights
def test_balanced_class_weights_by_the_formula():
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 0])
    counts = np.array([8, 3, 1])
    expected = 12 / (3 * counts)
    np.testing.assert_allclose(class_weights(y, "balanced"), expected, rtol=1e-15)
    assert class_weights(y, "balanced")[y].mean() == pytest.approx(1.0, rel=1e-15)
    # a class without rows gets 1; n_present counts the classes that occur
    np.testing.assert_allclose(class_weights([0, 0, 2], "balanced", n_classes=4), [0.75, 1, 1.5, 1], rtol=1e-15)
    np.testing.assert_array_equal(class_weights(y, {2: 4.0, 0: 0}), [0.0, 1.0, 4.0])
    np.testing.assert_array_equal(class_weights(y, {np.int64(1): 2}, n_classes=5), [1, 2, 1, 1, 1])


@pytest.mark.parametrize("batch_size", [None, 5])
def test_class_weight_equals_the_explicit_sample_weights(batch_size):
    X, y = data(n=30)
    Xv, yv = data(n=12, seed=2)
    counts = np.bincount(y, minlength=3)
    assert counts.min() > 0 and len(set(counts)) > 1
    balanced = 30 / (3 * counts)  # by hand
    w = np.random.default_rng(10).uniform(0.5, 1.5, size=30)
    for class_weight, per_class in (("balanced", balanced), ({0: 2.0, 2: 0.5}, np.array([2.0, 1.0, 0.5]))):
        for sample_weight in (None, w):
            a, b = make(seed=8), make(seed=8)
            kw = {"epochs": 3, "batch_size": batch_size, "optimizer": Adam(0.05), **F64}
            explicit = per_class[y] * (1 if sample_weight is None else sample_weight)
            h_a = a.fit(X, y, class_weight=class_weight, sample_weight=sample_weight, validation_data=(Xv, yv), **kw)
            h_b = b.fit(X, y, sample_weight=explicit, validation_data=(Xv, yv, per_class[yv]),
                        **{**kw, "optimizer": Adam(0.05)})
            assert_same_weights(a, b)
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                np.testing.assert_allclose(getattr(h_a, key), getattr(h_b, key), rtol=1e-12)


def test_balanced_is_computed_on_the_training_rows_and_applies_to_the_validation_rows():
    X, y = data(n=40)
    net = make(seed=4)
    history = net.fit(X, y, epochs=2, lr=0.3, validation_split=0.3, class_weight="balanced", **F64)
    twin = make(seed=4)
    held = np.zeros(40, dtype=bool)
    held[twin.rng.permutation(40)[:12]] = True
    counts = np.bincount(y[~held], minlength=3)
    per_class = 28 / (3 * counts)
    by_hand = twin.fit(X[~held], y[~held], epochs=2, lr=0.3, sample_weight=per_class[y[~held]],
                       validation_data=(X[held], y[held], per_class[y[held]]), **F64)
    assert_same_weights(net, twin)
    np.testing.assert_allclose(history.val_loss, by_hand.val_loss, rtol=1e-12)
    assert history.val_accuracy[-1] == pytest.approx(
        net.evaluate(X[held], y[held], sample_weight=per_class[y[held]])["accuracy"], rel=1e-12)


def test_class_weight_with_a_one_output_network_and_one_hot_targets():
    X, y = data(n=20, n_classes=2)
    per_class = class_weights(y, "balanced")
    for targets in (y, y[:, None].astype(float)):  # labels and a 0/1 column
        a, b = make(seed=1, out="sigmoid", loss="binary_cross_entropy", n_out=1), \
            make(seed=1, out="sigmoid", loss="binary_cross_entropy", n_out=1)
        a.fit(X, targets, epochs=2, class_weight="balanced", **F64)
        b.fit(X, y, epochs=2, sample_weight=per_class[y], **F64)
        assert_same_weights(a, b)
    Y3 = np.eye(3)[data(n=20)[1]]  # one-hot rows count as classes
    a, b = make(seed=2), make(seed=2)
    a.fit(X, Y3, epochs=2, class_weight={1: 3.0}, **F64)
    b.fit(X, Y3, epochs=2, sample_weight=np.where(Y3[:, 1] == 1, 3.0, 1.0), **F64)
    assert_same_weights(a, b)


def test_float32_training_with_huge_weights_stays_finite():
    X, y = data(n=20)
    net = make(seed=0)
    history = net.fit(X, y, epochs=2, batch_size=4, sample_weight=np.full(20, 1e300), class_weight={0: 1e5})
    assert net.dtype == np.float32 and np.isfinite(history.loss).all()
    assert all(np.isfinite(p).all() for p in net.parameters())


# ------------------------------------------------------------------ bad input
X_BAD, Y_BAD = data(n=8)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"sample_weight": np.ones(7)}, ValueError,
         r"sample_weight must hold one weight per sample of X: expected shape \(8,\), got shape \(7,\)"),
        ({"sample_weight": np.ones((8, 1))}, ValueError, r"expected shape \(8,\), got shape \(8, 1\)"),
        ({"sample_weight": 2.0}, ValueError, r"expected shape \(8,\), got shape \(\)"),
        ({"sample_weight": [1, 1, 1, -1, 1, 1, 1, 1]}, ValueError,
         r"sample_weight\[3\] is -1.0; weights must be finite numbers >= 0"),
        ({"sample_weight": [1, np.nan, 1, 1, 1, 1, 1, 1]}, ValueError, r"sample_weight\[1\] is nan"),
        ({"sample_weight": [1, 1, 1, 1, 1, 1, 1, np.inf]}, ValueError, r"sample_weight\[7\] is inf"),
        ({"sample_weight": np.zeros(8)}, ValueError,
         r"sample_weight is all zeros \(8 weights\); at least one sample needs a weight > 0"),
        ({"sample_weight": ["a"] * 8}, TypeError,
         r"sample_weight must be a 1-D array of real numbers, one weight per sample, got list of shape \(8,\)"),
        ({"sample_weight": np.ones(8, dtype=bool)}, TypeError, "got ndarray of shape \\(8,\\) and dtype bool"),
        ({"sample_weight": [1, 1j] * 4}, TypeError, "dtype complex128"),
        ({"class_weight": "balance"}, ValueError,
         r"unknown class_weight 'balance'; expected 'balanced' or a dict \{class index: weight\}"),
        ({"class_weight": [1, 2, 3]}, TypeError, r"class_weight must be 'balanced' or a dict \{class index: weight\}"),
        ({"class_weight": {3: 1.0}}, ValueError, "class_weight has key 3, but the classes are 0 to 2"),
        ({"class_weight": {-1: 1.0}}, ValueError, "class_weight has key -1, but the classes are 0 to 2"),
        ({"class_weight": {"cat": 1.0}}, TypeError, r"class_weight keys must be class indices \(int\), got 'cat'"),
        ({"class_weight": {True: 1.0}}, TypeError, "class_weight keys must be class indices"),
        ({"class_weight": {1: -2}}, ValueError, r"class_weight\[1\] must be a finite number >= 0, got -2"),
        ({"class_weight": {1: np.nan}}, ValueError, r"class_weight\[1\] must be a finite number >= 0, got nan"),
        ({"class_weight": {1: "2"}}, TypeError, r"class_weight\[1\] must be a number"),
        ({"class_weight": {0: 0, 1: 0, 2: 0}}, ValueError,
         r"the training weights \(class_weight\) are all zero on the training rows"),
        ({"sample_weight": [0, 0, 1, 0, 0, 0, 0, 0], "class_weight": {int(Y_BAD[2]): 0}}, ValueError,
         "the training weights .* are all zero"),
        ({"sample_weight": [1e300] * 8, "class_weight": {int(Y_BAD[0]): 1e300}}, ValueError,
         r"the training weights \(sample_weight times class_weight\) overflow"),
        ({"validation_data": (X_BAD, Y_BAD, np.ones(3))}, ValueError,
         r"validation_data sample_weight must hold one weight per sample of validation_data X: "
         r"expected shape \(8,\), got shape \(3,\)"),
        ({"validation_data": (X_BAD, Y_BAD, np.zeros(8))}, ValueError, "validation_data sample_weight is all zeros"),
        ({"validation_data": (X_BAD, Y_BAD, np.ones(8)), "class_weight": {0: 0, 1: 0, 2: 0}}, ValueError,
         "the training weights"),
        ({"sample_weight": np.eye(8)[0], "class_weight": {int(Y_BAD[0]): 0}}, ValueError,
         r"the training weights \(sample_weight times class_weight\) are all zero on the training rows;"),
        ({"validation_data": (X_BAD, Y_BAD, np.ones(8), None)}, TypeError,
         r"validation_data must be a pair \(X_val, y_val\) or a triple \(X_val, y_val, sample_weight_val\)"),
        ({"validation_data": (X_BAD, np.full((8, 3), 1 / 3)), "class_weight": "balanced"}, ValueError,
         r"class_weight needs validation_data y as class labels or one-hot rows .* but validation_data y\[0, 0\] is "
         r"0.333"),
    ],
)
def test_bad_weights_are_refused_by_name(kwargs, error, pattern):
    net = make()
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(error, match=pattern):
        net.fit(X_BAD, Y_BAD, epochs=1, **kwargs)
    for p, q in zip(net.parameters(), before):  # refused before anything trained
        np.testing.assert_array_equal(p, q)


def test_neither_part_may_be_left_with_weights_that_are_all_zero():
    X, y = data(n=12)
    assert 0 in y and set(y) != {0}
    with pytest.raises(ValueError, match=r"the validation weights \(class_weight\) are all zero on the validation"):
        make().fit(X, y, epochs=1, validation_data=(X[:4], np.zeros(4, dtype=int)), class_weight={0: 0.0})
    held = np.zeros(12, dtype=bool)
    held[make(seed=1).rng.permutation(12)[:6]] = True  # the rows validation_split=0.5 holds out
    for side, w in (("training", held), ("validation", ~held)):
        with pytest.raises(ValueError, match=rf"the {side} weights \(sample_weight\) are all zero on the {side} rows "
                                             "that validation_split left; at least one sample needs a weight > 0"):
            make(seed=1).fit(X, y, epochs=1, validation_split=0.5, sample_weight=w.astype(float))


@pytest.mark.parametrize(
    ("targets", "loss", "out", "n_out", "pattern"),
    [
        (np.where(np.eye(3)[Y_BAD] == 1, 0.99, 0.01), "squared_error", "sigmoid", 3, r"y\[0, 0\] is 0.01"),
        (np.random.default_rng(0).normal(size=(8, 3)), "squared_error", "linear", 3, r"y\[0, 0\] is -?0\.\d+"),
        (np.zeros((8, 3)), "squared_error", "linear", 3, "row 0 of y has 0 ones"),
        (np.full(8, 0.5), "binary_cross_entropy", "sigmoid", 1, r"y\[0, 0\] is 0.5"),
    ],
)
def test_class_weight_needs_targets_that_name_a_class(targets, loss, out, n_out, pattern):
    with pytest.raises(ValueError, match=r"class_weight needs y as class labels or one-hot rows \(a 0/1 column for one "
                                         r"output\), but " + pattern + "; give per-row weights with sample_weight"):
        make(out=out, loss=loss, n_out=n_out).fit(X_BAD, targets, epochs=1, class_weight="balanced")
    # the same targets train with sample_weight
    make(out=out, loss=loss, n_out=n_out).fit(X_BAD, targets, epochs=1, sample_weight=np.arange(8))


def test_evaluate_train_step_and_backward_check_their_weights():
    net = make()
    with pytest.raises(ValueError, match=r"sample_weight must hold one weight per sample of X: expected shape \(8,\)"):
        net.evaluate(X_BAD, Y_BAD, sample_weight=np.ones(9))
    with pytest.raises(ValueError, match=r"sample_weight\[0\] is -1.0"):
        net.train_step(X_BAD, Y_BAD, SGD(0.1), sample_weight=-np.ones(8))
    net.forward(X_BAD)
    with pytest.raises(ValueError, match="sample_weight is all zeros"):
        net.backward(Y_BAD, sample_weight=np.zeros(8))


def test_check_sample_weight_returns_float64_and_names_the_rows():
    w = check_sample_weight("w", [1, 2, 0], 3)
    assert w.dtype == np.float64 and w.tolist() == [1.0, 2.0, 0.0]
    with pytest.raises(ValueError, match=r"w must hold one weight per sample of X_test: expected shape \(2,\)"):
        check_sample_weight("w", [1, 2, 0], 2, rows="X_test")
    with pytest.raises(TypeError, match="w must be a 1-D array of numbers, one weight per sample, got list"):
        check_sample_weight("w", [[1], [1, 2]], 2)


def test_class_weights_refuses_bad_labels_and_keys():
    with pytest.raises(ValueError, match=r"labels\[1\] is 3; class labels must be whole numbers 0 to 2"):
        class_weights([0, 3], "balanced", n_classes=3)
    with pytest.raises(ValueError, match="class_weight has key 2, but the classes are 0 to 1"):
        class_weights([0, 1], {2: 1.0})
