"""Losses: values against their formulas, gradients and output deltas against finite differences."""

import math

import numpy as np
import pytest

import glassnet
from glassnet.activations import get_activation
from glassnet.losses import LOSSES, get_loss

N, K = 5, 3


def probabilities(n=N, k=K, seed=1):
    """Rows of probabilities kept away from 0 and 1 (so finite differences of log stay accurate)."""
    P = np.random.default_rng(seed).uniform(0.1, 0.9, size=(n, k))
    return P / P.sum(axis=1, keepdims=True)


def one_hot(labels, k=K):
    Y = np.zeros((len(labels), k))
    Y[np.arange(len(labels)), labels] = 1.0
    return Y


LABELS = [0, 2, 1, 1, 0]


def test_registry_and_lookup():
    assert set(LOSSES) == {"cross_entropy", "binary_cross_entropy", "squared_error"}
    for name, loss in LOSSES.items():
        assert loss.name == name
        assert get_loss(name) is loss
        assert get_loss(loss) is loss
    assert glassnet.LOSSES is LOSSES


def test_cross_entropy_value_is_mean_over_samples():
    Yhat, Y = probabilities(), one_hot(LABELS)
    expected = sum(-math.log(Yhat[i, c]) for i, c in enumerate(LABELS)) / N
    loss = get_loss("cross_entropy")
    assert loss.value(Yhat, Y) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(loss.per_sample(Yhat, Y), [-math.log(Yhat[i, c]) for i, c in enumerate(LABELS)])


def test_cross_entropy_small_case_by_hand():
    # one sample, target class 1 predicted with 0.75: loss = -ln 0.75
    assert get_loss("cross_entropy").value(np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])) == pytest.approx(
        -math.log(0.75), rel=1e-12
    )


def test_binary_cross_entropy_value():
    Yhat = np.random.default_rng(2).uniform(0.05, 0.95, size=(N, K))
    Y = np.random.default_rng(3).integers(0, 2, size=(N, K)).astype(float)
    total = 0.0
    for i in range(N):
        for k in range(K):
            y, p = Y[i, k], Yhat[i, k]
            total += -(y * math.log(p) + (1 - y) * math.log(1 - p))
    assert get_loss("binary_cross_entropy").value(Yhat, Y) == pytest.approx(total / N, rel=1e-13)


def test_squared_error_is_mean_of_half_sum():
    Yhat = np.random.default_rng(4).normal(size=(N, K))
    Y = np.random.default_rng(5).normal(size=(N, K))
    per_sample = [0.5 * sum((Yhat[i, k] - Y[i, k]) ** 2 for k in range(K)) for i in range(N)]
    loss = get_loss("squared_error")
    assert loss.value(Yhat, Y) == pytest.approx(sum(per_sample) / N, rel=1e-13)
    np.testing.assert_allclose(loss.per_sample(Yhat, Y), per_sample, rtol=1e-13)
    # dL/dYhat = (Yhat - Y) / N exactly: the 1/2 cancels the 2 of the square
    np.testing.assert_allclose(loss.gradient(Yhat, Y), (Yhat - Y) / N, rtol=1e-15)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_is_a_mean_so_repeating_the_batch_does_not_change_it(name):
    Yhat, Y = probabilities(), one_hot(LABELS)
    loss = get_loss(name)
    assert loss.value(np.vstack([Yhat, Yhat]), np.vstack([Y, Y])) == pytest.approx(loss.value(Yhat, Y), rel=1e-14)


def targets_for(name):
    if name == "squared_error":
        return np.random.default_rng(6).normal(size=(N, K))
    if name == "binary_cross_entropy":
        return np.random.default_rng(6).integers(0, 2, size=(N, K)).astype(float)
    return one_hot(LABELS)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_equals_finite_differences(name, finite_diff):
    loss = get_loss(name)
    Yhat, Y = probabilities(seed=7), targets_for(name)
    numeric = finite_diff(lambda: loss.value(Yhat, Y), Yhat)
    np.testing.assert_allclose(loss.gradient(Yhat, Y), numeric, rtol=1e-6, atol=1e-9)


# every output activation each loss accepts, plus squared error with all of them
PAIRS = [
    ("cross_entropy", "softmax"),
    ("cross_entropy", "sigmoid"),
    ("binary_cross_entropy", "sigmoid"),
    ("binary_cross_entropy", "softmax"),
] + [("squared_error", act) for act in ("sigmoid", "softmax", "tanh", "relu", "linear")]


@pytest.mark.parametrize(("name", "act_name"), PAIRS)
def test_output_delta_equals_finite_differences_through_the_activation(name, act_name, finite_diff):
    loss, act = get_loss(name), get_activation(act_name)
    Z = np.random.default_rng(8).uniform(0.2, 1.5, size=(N, K)) * np.random.default_rng(9).choice([-1, 1], (N, K))
    Y = targets_for(name)
    delta = loss.output_delta(act.forward(Z), Y, act)
    numeric = finite_diff(lambda: loss.value(act.forward(Z), Y), Z)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)


def jacobian_route(loss, act, Yhat, Y):
    """dZ = J^T dL/dYhat per row, with the activation's Jacobian J built explicitly."""
    g = loss.gradient(Yhat, Y)
    rows = []
    for a, gi in zip(Yhat, g):
        J = np.diag(a) - np.outer(a, a) if act.name == "softmax" else np.diag(a * (1 - a))
        rows.append(J.T @ gi)
    return np.array(rows)


def test_fused_softmax_cross_entropy_delta_equals_chain_rule():
    loss, act = get_loss("cross_entropy"), get_activation("softmax")
    Yhat = act.forward(np.random.default_rng(10).normal(size=(N, K)))
    for Y in (one_hot(LABELS), probabilities(seed=11)):  # one-hot rows and probability rows (both sum to 1)
        fused = loss.output_delta(Yhat, Y, act)
        np.testing.assert_allclose(fused, (Yhat - Y) / N, rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(fused, jacobian_route(loss, act, Yhat, Y), rtol=1e-10, atol=1e-15)


def test_fused_sigmoid_binary_cross_entropy_delta_equals_chain_rule():
    loss, act = get_loss("binary_cross_entropy"), get_activation("sigmoid")
    Yhat = act.forward(np.random.default_rng(12).normal(size=(N, K)))
    Y = np.random.default_rng(13).uniform(0, 1, size=(N, K))  # holds for any targets in [0, 1]
    fused = loss.output_delta(Yhat, Y, act)
    np.testing.assert_allclose(fused, (Yhat - Y) / N, rtol=1e-15)
    np.testing.assert_allclose(fused, jacobian_route(loss, act, Yhat, Y), rtol=1e-10, atol=1e-15)


def test_output_delta_honours_out():
    loss, act = get_loss("cross_entropy"), get_activation("softmax")
    Yhat, Y = probabilities(), one_hot(LABELS)
    out = np.full_like(Yhat, np.nan)
    assert loss.output_delta(Yhat, Y, act, out=out) is out
    np.testing.assert_allclose(out, (Yhat - Y) / N, rtol=1e-15)


@pytest.mark.parametrize(
    ("name", "Yhat", "Y"),
    [
        ("cross_entropy", [[1.0, 0.0]], [[0.0, 1.0]]),
        ("binary_cross_entropy", [[1.0, 0.0]], [[0.0, 1.0]]),
    ],
)
def test_confident_wrong_prediction_costs_a_large_finite_loss(name, Yhat, Y, strict_fp):
    loss = get_loss(name)
    Yhat, Y = np.array(Yhat), np.array(Y)
    value = loss.value(Yhat, Y)
    assert math.isfinite(value) and value > 20  # -ln(1e-12) is about 27.6 per wrong column
    assert np.all(np.isfinite(loss.gradient(Yhat, Y)))


def test_saturated_network_gives_finite_loss_and_gradients(strict_fp):
    # huge weights push the softmax to exactly 0 for the true class
    net = glassnet.Network([glassnet.Dense(2, 2, "softmax", init=[[1e3, -1e3], [1e3, -1e3]])])
    X = np.array([[1.0, 1.0]])
    loss = net.train_step(X, [1], glassnet.SGD(0.1))
    assert math.isfinite(loss) and loss > 20
    assert all(np.all(np.isfinite(p)) for p in net.parameters())


def test_unknown_loss_lists_the_options():
    with pytest.raises(ValueError, match="loss") as info:
        get_loss("hinge")
    for name in LOSSES:
        assert name in str(info.value)
    assert "'hinge'" in str(info.value)
    with pytest.raises(ValueError, match="loss.*hinge"):
        glassnet.Network([glassnet.Dense(2, 2, "softmax")], loss="hinge")
    with pytest.raises(TypeError, match="loss"):
        get_loss(3)


@pytest.mark.parametrize(("name", "act_name"), PAIRS)
def test_equal_sample_weights_give_the_unweighted_loss_and_gradients(name, act_name):
    # weighted mean sum(w L) / sum(w): with equal weights (of any size) it is the plain mean
    loss, act = get_loss(name), get_activation(act_name)
    Yhat, Y = act.forward(probabilities(seed=14)), targets_for(name)
    for w in (np.ones(N), np.full(N, 0.3), np.full(N, 1e6)):
        assert loss.value(Yhat, Y, w) == pytest.approx(loss.value(Yhat, Y), rel=1e-14)
        np.testing.assert_allclose(loss.gradient(Yhat, Y, sample_weight=w), loss.gradient(Yhat, Y), rtol=1e-14)
        np.testing.assert_allclose(loss.output_delta(Yhat, Y, act, sample_weight=w), loss.output_delta(Yhat, Y, act),
                                   rtol=1e-13, atol=1e-17)
    out = np.full_like(Yhat, np.nan)
    assert loss.output_delta(Yhat, Y, act, out=out, sample_weight=np.arange(N)) is out
