"""Optimizers and learning-rate schedules: first steps by hand, convergence, state, settings, bad input."""

import numpy as np
import pytest

from glassnet import Dense, Network
from glassnet.optimizers import SGD, Adam, get_optimizer
from glassnet.schedules import ConstantLR, ExponentialDecay, StepDecay, get_schedule

P0 = np.array([1.0, -1.0])
G1 = np.array([0.5, 0.2])
G2 = np.array([0.1, -0.3])


def two_steps(opt, p=P0, g1=G1, g2=G2):
    """Parameter values after one and after two steps with gradients g1, g2."""
    p = p.copy()
    opt.step([p], [g1])
    first = p.copy()
    opt.step([p], [g2])
    return first, p


# ------------------------------------------------------------------ hand-computed steps
def test_plain_sgd_step():
    first, second = two_steps(SGD(0.1))
    np.testing.assert_allclose(first, [1.0 - 0.1 * 0.5, -1.0 - 0.1 * 0.2], rtol=1e-15)
    np.testing.assert_allclose(second, [0.95 - 0.1 * 0.1, -1.02 + 0.1 * 0.3], rtol=1e-15)


def test_momentum_second_step_carries_the_first_gradient():
    # v1 = g1; p1 = p0 - lr v1;  v2 = 0.9 v1 + g2 = [0.55, -0.12]; p2 = p1 - lr v2
    first, second = two_steps(SGD(0.1, momentum=0.9))
    np.testing.assert_allclose(first, [0.95, -1.02], rtol=1e-15)
    np.testing.assert_allclose(second, [0.95 - 0.055, -1.02 + 0.012], rtol=1e-14)


def test_nesterov_steps_along_gradient_plus_momentum_times_velocity():
    # step 1: v = [0.5, 0.2], direction g + 0.9 v = [0.95, 0.38]
    # step 2: v = [0.55, -0.12], direction [0.1 + 0.495, -0.3 - 0.108] = [0.595, -0.408]
    first, second = two_steps(SGD(0.1, momentum=0.9, nesterov=True))
    np.testing.assert_allclose(first, [1.0 - 0.095, -1.0 - 0.038], rtol=1e-14)
    np.testing.assert_allclose(second, [0.905 - 0.0595, -1.038 + 0.0408], rtol=1e-14)


def test_adam_first_step_moves_every_entry_by_lr_against_its_sign():
    # after bias correction m_hat = g and s_hat = g**2, so the step is -lr g / (|g| + eps)
    g = np.array([0.3, -2.0, 1e-3, 0.0])
    p = np.zeros(4)
    Adam(0.01, eps=1e-8).step([p], [g])
    np.testing.assert_allclose(p, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-9, atol=1e-15)
    assert p[3] == 0.0


def test_adam_second_step_from_the_formulas():
    lr, b1, b2, eps = 0.05, 0.8, 0.9, 1e-6
    first, second = two_steps(Adam(lr, beta1=b1, beta2=b2, eps=eps))
    m = (1 - b1) * G1
    s = (1 - b2) * G1**2
    m = b1 * m + (1 - b1) * G2
    s = b2 * s + (1 - b2) * G2**2
    m_hat, s_hat = m / (1 - b1**2), s / (1 - b2**2)
    np.testing.assert_allclose(second, first - lr * m_hat / (np.sqrt(s_hat) + eps), rtol=1e-12)


def test_weight_decay_applies_to_weights_not_biases():
    W, b = np.array([[1.0, -2.0]]), np.array([3.0])
    SGD(0.1, weight_decay=0.5).step([W, b], [np.zeros((1, 2)), np.array([0.5])])
    np.testing.assert_allclose(W, [[1.0 * (1 - 0.05), -2.0 * (1 - 0.05)]], rtol=1e-15)  # g + 0.5 W
    np.testing.assert_allclose(b, [3.0 - 0.1 * 0.5], rtol=1e-15)  # bias: no decay


def test_adam_weight_decay_is_added_to_the_gradient():
    # a zero gradient plus decay 0.1 W: Adam's first step is -lr * sign(W) for the weights, nothing for b
    W, b = np.array([[2.0, -4.0]]), np.array([1.0])
    Adam(0.01, weight_decay=0.1).step([W, b], [np.zeros((1, 2)), np.zeros(1)])
    np.testing.assert_allclose(W, [[2.0 - 0.01, -4.0 + 0.01]], rtol=1e-9)
    assert b[0] == 1.0


# ------------------------------------------------------------------ state
def test_state_lives_in_the_optimizer_keyed_by_position_and_reset_forgets_it():
    opt = SGD(0.1, momentum=0.5)
    a, b = np.zeros(2), np.zeros(3)
    opt.step([a, b], [np.ones(2), np.full(3, 2.0)])
    assert opt.steps == 1
    np.testing.assert_array_equal(opt.state[0]["v"], [1.0, 1.0])
    np.testing.assert_array_equal(opt.state[1]["v"], [2.0, 2.0, 2.0])
    opt.reset()
    assert opt.state == {} and opt.steps == 0
    p = np.zeros(2)
    opt.step([p], [np.ones(2)])  # a fresh start: the first step is plain again
    np.testing.assert_allclose(p, [-0.1, -0.1])


def test_state_of_another_shape_is_refused_until_reset():
    opt = Adam()
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3,\).*\(2,\).*reset\(\)"):
        opt.step([np.zeros(3)], [np.ones(3)])


def test_state_follows_the_parameters_dtype():
    opt = SGD(0.1, momentum=0.9)
    p64 = np.zeros(2)
    opt.step([p64], [np.ones(2)])
    p32 = p64.astype(np.float32)
    opt.step([p32], [np.ones(2, np.float32)])
    assert opt.state[0]["v"].dtype == np.float32
    np.testing.assert_allclose(p32, [-0.1 - 0.19, -0.1 - 0.19], rtol=1e-6)


# ------------------------------------------------------------------ convergence
def blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) * 0.7 + np.where(y[:, None] == 1, 1.5, -1.5)
    return X, y


@pytest.mark.parametrize(
    "optimizer",
    [SGD(0.1), SGD(0.05, momentum=0.9), SGD(0.05, momentum=0.9, nesterov=True), Adam(0.02),
     SGD(0.1, weight_decay=1e-3), Adam(0.02, weight_decay=1e-3)],
    ids=["sgd", "momentum", "nesterov", "adam", "sgd+decay", "adam+decay"],
)
def test_every_optimizer_learns_two_blobs(optimizer):
    X, y = blobs()
    net = Network([Dense(2, 6, "tanh"), Dense(6, 2, "softmax")], seed=1)
    history = net.fit(X, y, epochs=15, batch_size=8, optimizer=optimizer, dtype=np.float64)
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert net.evaluate(X, y)["accuracy"] >= 0.95


# ------------------------------------------------------------------ settings as data
def test_config_repr_and_rebuilding_from_config():
    opt = SGD(0.05, momentum=0.9, nesterov=True)
    assert opt.config() == {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.0}
    assert repr(opt) == "SGD(lr=0.05, momentum=0.9, nesterov=True)"
    assert repr(SGD(0.1)) == "SGD(lr=0.1)"
    assert repr(Adam(weight_decay=0.01)) == "Adam(lr=0.001, weight_decay=0.01)"
    rebuilt = get_optimizer(Adam(0.003, beta2=0.99).config())
    assert isinstance(rebuilt, Adam) and rebuilt.config() == Adam(0.003, beta2=0.99).config()
    assert get_optimizer("adam").config() == Adam().config()


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: SGD(0), ValueError, "lr must be a finite number > 0, got 0"),
        (lambda: SGD(-0.1), ValueError, "lr must be"),
        (lambda: SGD("0.1"), TypeError, "lr must be a number, got '0.1'"),
        (lambda: SGD(0.1, momentum=1.0), ValueError, r"momentum must be in \[0, 1\), got 1.0"),
        (lambda: SGD(0.1, momentum=-0.5), ValueError, "momentum must be a finite number >= 0"),
        (lambda: SGD(0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
        (lambda: SGD(0.1, momentum=0.9, nesterov=1), TypeError, "nesterov must be True or False, got 1"),
        (lambda: SGD(0.1, weight_decay=-1e-4), ValueError, "weight_decay must be a finite number >= 0"),
        (lambda: Adam(beta1=1.0), ValueError, r"beta1 must be in \[0, 1\)"),
        (lambda: Adam(beta2=-0.1), ValueError, "beta2 must be"),
        (lambda: Adam(eps=0), ValueError, "eps must be a finite number > 0"),
        (lambda: Adam(lr=float("nan")), ValueError, "lr must be"),
        (lambda: get_optimizer("rmsprop"), ValueError, r"unknown optimizer 'rmsprop'; expected one of \['adam', 'sgd"),
        (lambda: get_optimizer({"name": "sgd", "beta1": 0.9}), ValueError, r"'sgd' has no setting \['beta1'\]"),
        (lambda: get_optimizer(0.1), TypeError, r"optimizer must be a name in \['adam', 'sgd'\], a config dict"),
    ],
)
def test_bad_settings_are_refused_by_name(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


# ------------------------------------------------------------------ schedules
def test_schedule_values_per_epoch():
    assert ConstantLR().rates(3, lr0=0.2) == [0.2, 0.2, 0.2]
    assert StepDecay(0.5, every=2).rates(6, lr0=0.8) == pytest.approx([0.8, 0.8, 0.4, 0.4, 0.2, 0.2], rel=1e-15)
    assert ExponentialDecay(0.9).rates(4, lr0=1.0) == pytest.approx([1.0, 0.9, 0.81, 0.729], rel=1e-15)
    assert StepDecay(0.1, every=3)(7, 1.0) == pytest.approx(0.01, rel=1e-15)


def test_schedules_from_names_and_config_dicts():
    assert repr(get_schedule("step")) == "StepDecay(factor=0.5, every=10)"
    sched = get_schedule({"name": "exponential", "rate": 0.5})
    assert isinstance(sched, ExponentialDecay) and sched(3, 0.4) == pytest.approx(0.1)
    assert get_schedule(StepDecay(0.2, 5).config()).config() == {"name": "step", "factor": 0.2, "every": 5}


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: StepDecay(0.0), ValueError, "factor must be a finite number > 0"),
        (lambda: StepDecay(1.5), ValueError, r"factor must be in \(0, 1\] \(a decay\), got 1.5"),
        (lambda: StepDecay(0.5, every=0), ValueError, "every must be a finite number > 0"),
        (lambda: StepDecay(0.5, every=2.5), TypeError, "every must be an integer, got 2.5"),
        (lambda: ExponentialDecay(-0.9), ValueError, "rate must be"),
        (lambda: ConstantLR()(0, 0.1), ValueError, "epoch must be a finite number > 0"),
        (lambda: get_schedule("cosine"), ValueError, r"unknown schedule 'cosine'; expected one of"),
        (lambda: get_schedule({"name": "step", "gamma": 0.5}), ValueError, r"'step' has no setting \['gamma'\]"),
        (lambda: get_schedule(0.5), TypeError, "schedule must be a name in"),
    ],
)
def test_bad_schedules_are_refused_by_name(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()
