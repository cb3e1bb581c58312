"""gradient_check: back-propagation agrees with finite differences for every valid network, and the check can fail."""

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Network, gradient_check

HIDDEN = ("sigmoid", "tanh", "relu", "linear")
# (output activation, loss, number of outputs)
OUTPUTS = [
    ("softmax", "cross_entropy", 3),
    ("sigmoid", "cross_entropy", 3),
    ("sigmoid", "binary_cross_entropy", 1),
    ("sigmoid", "binary_cross_entropy", 3),
    ("softmax", "binary_cross_entropy", 3),
] + [(act, "squared_error", 3) for act in ("sigmoid", "softmax", "tanh", "relu", "linear")]
N_IN, N_SAMPLES = 3, 6


def build(hidden, out, loss, n_out, bias, depth, seed):
    sizes = [N_IN] + [4] * (depth - 1) + [n_out]
    acts = [hidden] * (depth - 1) + [out]
    layers = [Dense(a, b, act, bias=bias) for a, b, act in zip(sizes, sizes[1:], acts)]
    return Network(layers, loss=loss, seed=seed)


def targets(loss, n_out, rng):
    if loss == "squared_error":
        return rng.normal(size=(N_SAMPLES, n_out))
    if n_out == 1:
        return rng.integers(0, 2, size=N_SAMPLES)
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(N_SAMPLES, n_out)).astype(float)
    return rng.integers(0, n_out, size=N_SAMPLES)


def relu_inputs_away_from_zero(net):
    """True if no ReLU pre-activation of the last forward lies within 1e-3 of its kink at 0."""
    return all(np.abs(layer.Z).min() >= 1e-3 for layer in net.layers if layer.activation.name == "relu")


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS, ids=[f"{o}-{l}-{n}" for o, l, n in OUTPUTS])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradient_check_passes_for_every_valid_combination(hidden, out, loss, n_out, bias, depth):
    rng = np.random.default_rng(depth * 100 + n_out)
    X = rng.normal(size=(N_SAMPLES, N_IN))
    y = targets(loss, n_out, rng)
    # finite differences straddling ReLU's kink would be wrong, not the back-propagation: pick the first
    # seed whose ReLU inputs all stay away from 0
    for seed in range(20):
        net = build(hidden, out, loss, n_out, bias, depth, seed)
        net.forward(X)
        if relu_inputs_away_from_zero(net):
            break
    assert relu_inputs_away_from_zero(net)
    error = gradient_check(net, X, y)
    assert 0 <= error < 1e-6
    assert all(np.any(g != 0) for g in net.gradients())  # the comparison was not between zeros


def test_probability_targets_with_softmax_cross_entropy():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 3))
    T = rng.uniform(0.1, 1, size=(5, 3))
    T /= T.sum(axis=1, keepdims=True)  # soft labels: each row sums to 1
    net = Network([Dense(3, 4, "tanh"), Dense(4, 3, "softmax")], seed=2)
    assert gradient_check(net, X, T) < 1e-6


def test_softmax_cross_entropy_with_rashid_targets_is_right_or_refused():
    # Network.targets accepts 0.01/0.99 target matrices; their rows do not sum to 1, so the fused
    # softmax + cross-entropy delta (Yhat - Y)/N is not the gradient of the loss for them.
    # Either the gradient must be right, or such targets must be refused with a clear error.
    X = np.random.default_rng(3).normal(size=(4, 3))
    T = np.full((4, 3), 0.01)
    T[np.arange(4), [0, 1, 2, 1]] = 0.99
    net = Network([Dense(3, 4, "tanh"), Dense(4, 3, "softmax")], seed=4)
    try:
        error = gradient_check(net, X, T)
    except ValueError as exc:
        assert "y" in str(exc) and "sum" in str(exc)
    else:
        assert error < 1e-6


def test_gradient_check_matches_an_independent_finite_difference(finite_diff):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(4, 3)), [0, 2, 1, 1]
    net = Network([Dense(3, 4, "sigmoid"), Dense(4, 3, "softmax")], seed=6)
    Y = net.targets(y, 4)
    numeric = glassnet.numerical_gradients(net, X, y)
    for p, g in zip(net.parameters(), numeric):
        mine = finite_diff(lambda: net.loss.value(net.forward(X), Y), p, h=1e-5)
        np.testing.assert_allclose(g, mine, rtol=1e-9, atol=1e-12)


def test_gradient_check_leaves_the_parameters_unchanged():
    net = Network([Dense(3, 4, "tanh"), Dense(4, 2, "softmax")], seed=7)
    before = [p.copy() for p in net.parameters()]
    gradient_check(net, np.random.default_rng(8).normal(size=(3, 3)), [0, 1, 1])
    for p, q in zip(before, net.parameters()):
        np.testing.assert_array_equal(p, q)


def scaled_backward(layer, dW_factor=1.0, db_factor=1.0):
    """Wrap ``layer.backward`` so that it reports a scaled (wrong) dW or db."""
    original = layer.backward

    def backward(*args, **kwargs):
        dX = original(*args, **kwargs)
        layer.dW = layer.dW * dW_factor
        if layer.db is not None:
            layer.db = layer.db * db_factor
        return dX

    return backward


@pytest.mark.parametrize("which", [0, 1])
def test_a_one_percent_error_in_dW_is_caught(which, monkeypatch):
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(5, 3)), [0, 1, 2, 0, 1]
    net = Network([Dense(3, 4, "tanh"), Dense(4, 3, "softmax")], seed=10)
    assert gradient_check(net, X, y) < 1e-6
    layer = net.layers[which]
    monkeypatch.setattr(layer, "backward", scaled_backward(layer, dW_factor=1.01))
    # ||1.01 g - g|| / (||1.01 g|| + ||g||) = 0.01 / 2.01, about 5e-3
    assert gradient_check(net, X, y) > 1e-3


def test_a_wrong_sign_of_db_is_caught(monkeypatch):
    rng = np.random.default_rng(11)
    X, y = rng.normal(size=(5, 3)), [0, 1, 2, 0, 1]
    net = Network([Dense(3, 4, "sigmoid"), Dense(4, 3, "softmax")], seed=12)
    layer = net.layers[0]
    monkeypatch.setattr(layer, "backward", scaled_backward(layer, db_factor=-1.0))
    assert gradient_check(net, X, y) > 0.5


def test_float32_parameters_are_refused():
    net = Network([Dense(3, 2, "softmax")], seed=0)
    net.layers[0].W = net.layers[0].W.astype(np.float32)
    with pytest.raises(TypeError, match="float64"):
        gradient_check(net, np.ones((2, 3)), [0, 1])
