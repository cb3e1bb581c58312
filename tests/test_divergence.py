"""Divergence: a run whose loss or weights stop being finite, or whose loss explodes, is stopped and explained.

Issue 9 found that a too-large learning rate trained on NaN without a word, left NaN weights behind and let
NumPy's RuntimeWarnings reach the user, and that binary cross entropy was infinite in float32 where float64
gave a finite number. Every test here checks numbers that the code computes against an independent
computation (a replay through the public API, or the formula by hand); none is hard-coded.
"""

import copy
import math
import re
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import SGD, Adam, Dense, Network, TrainingDiverged, datasets
from glassnet.training import Divergence, reference_epoch

HIDDEN = ("sigmoid", "tanh", "relu", "linear")
# output layer activation and loss, and the smallest power of ten that makes plain SGD diverge on digits
OUTPUTS = {
    "softmax+cross_entropy": ("softmax", "cross_entropy", 1e6),
    "sigmoid+binary_cross_entropy": ("sigmoid", "binary_cross_entropy", 1e6),
    "linear+squared_error": ("linear", "squared_error", 1e6),
    # A sigmoid output with squared error cannot blow up: its loss is at most 1/2 per output, and once the
    # sigmoid saturates (exactly 0 or 1 in float32) its gradient is exactly 0 and the weights freeze (see
    # test_a_saturated_sigmoid_output_is_not_called_divergence). Only a step beyond float32's range breaks it.
    "sigmoid+squared_error": ("sigmoid", "squared_error", 1e39),
}
BATCH = 32


def digits():
    X, y = datasets.digits()
    return X / 16, y


def iris():
    X, y = datasets.iris()
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def fit_recording(net, X, y, **kw):
    """``net.fit`` (float32) with every warning an error; returns ``(TrainingDiverged or None, starts)``.

    ``starts[e]`` is a copy of the parameters at the start of epoch ``e + 1``.
    """
    net.cast(np.float32)  # what fit trains in: the first copy is then exactly what it starts from
    starts = [[p.copy() for p in net.parameters()]]

    def record(epoch, history):
        starts.append([p.copy() for p in net.parameters()])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            net.fit(X, y, callbacks=[record], **kw)
        except TrainingDiverged as exc:
            return exc, starts
    return None, starts


def started_at(message) -> float:
    return float(re.search(r"\(it was (\S+) at the start\)", message).group(1))


def replay_first_epoch(make, X, y, lr, batches):
    """The losses of the first ``batches`` batches of epoch 1, replayed with ``evaluate`` and ``train_step``.

    The network and the order of the samples are those ``fit`` starts from: the seeded network casts to
    float32, and its generator draws the epoch's permutation.
    """
    net = make()
    net.cast(np.float32)
    order = net.rng.permutation(len(X))
    losses = []
    with np.errstate(all="ignore"):
        for b in range(batches):
            rows = order[b * BATCH : (b + 1) * BATCH]
            try:
                losses.append(net.evaluate(X[rows], y[rows])["loss"])
            except ValueError:  # the output is not finite, and neither is the loss
                losses.append(math.nan)
            net.train_step(X[rows], y[rows], SGD(lr))
    return losses


# ------------------------------------------------------------------ stable losses
def test_binary_cross_entropy_from_logits_is_finite_and_equal_in_float32_and_float64():
    # issue 9: float32 reported an infinite loss where float64 gave a finite one. Weights of +-30 push the
    # sigmoid to exactly 1 in float32, so log(1 - Yhat) was log(0).
    X, y = iris()
    y = (y != 0).astype(int)  # confidently wrong: the weights below say "yes" for setosa's short petals
    by_hand = []
    for x, t in zip(X, y):
        z = -30.0 * x[2] + 5.0
        # -log s(z) for t = 1 and -log(1 - s(z)) for t = 0, as log(1 + e^-z) and log(1 + e^z)
        by_hand.append(math.log(1 + math.exp(-z)) if t else math.log(1 + math.exp(z)))
    values = {}
    for dtype in (np.float64, np.float32):
        net = Network([Dense(4, 1, "sigmoid", init=[[0.0], [0.0], [-30.0], [0.0]], bias_init=5.0)],
                      "binary_cross_entropy")
        net.cast(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values[dtype] = net.evaluate(X, y)["loss"]
    assert values[np.float64] == pytest.approx(np.mean(by_hand), rel=1e-12)
    assert values[np.float32] == pytest.approx(np.mean(by_hand), rel=1e-5)
    assert max(by_hand) > 40  # beyond the old clip at -log(1e-12) = 27.6: the logits give the true loss


def test_losses_without_logits_are_clipped_for_the_dtype():
    # From probabilities alone (no Z), float32 clips at the gap below 1 that it can hold, not at 1 - 1e-12 = 1.
    loss = glassnet.LOSSES["binary_cross_entropy"]
    Yhat, Y = np.array([[1.0, 0.0]], np.float32), np.array([[0.0, 1.0]], np.float32)
    gap = float(np.finfo(np.float32).epsneg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loss.value(Yhat, Y) == pytest.approx(-2 * math.log(gap), rel=1e-6)
        assert np.isfinite(loss.gradient(Yhat, Y)).all()


def test_cross_entropy_from_logits_is_the_log_softmax_by_hand():
    Z = np.array([[1000.0, -1000.0, 3.0], [0.5, 0.25, -2.0]])
    Y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    by_hand = []
    for z, t in zip(Z, Y):
        m = max(z)
        by_hand.append(m + math.log(sum(math.exp(v - m) for v in z)) - z[int(t.argmax())])
    loss = glassnet.LOSSES["cross_entropy"]
    for dtype, rel in ((np.float64, 1e-13), (np.float32, 1e-6)):
        np.testing.assert_allclose(loss.from_logits(Z.astype(dtype), Y.astype(dtype)), by_hand, rtol=rel)
    assert by_hand[0] == pytest.approx(2000)  # not capped at 27.6 as -log(max(Yhat, 1e-12)) is


# ------------------------------------------------------------------ every pair, both loops
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_divergence_is_stopped_restored_and_explained(hidden, output):
    act, loss, lr = OUTPUTS[output]
    X, y = digits()
    Y = np.eye(10)[y]

    def make():
        return Network([Dense(64, 16, hidden), Dense(16, 10, act)], loss, seed=1)

    errors = {}
    for fast in (True, False):
        net = make()
        exc, starts = fit_recording(net, X, Y, epochs=3, batch_size=BATCH, lr=lr, fast=fast)
        assert isinstance(exc, TrainingDiverged), f"fast={fast}: no divergence reported"
        # the weights are those the diverged epoch started from, all finite
        for p, start in zip(net.parameters(), starts[exc.epoch - 1]):
            assert np.array_equal(p, start)
            assert np.isfinite(p).all()
        assert np.isfinite(net.predict_proba(X[:5])).all()
        message = str(exc)
        assert "\n" not in message
        assert message.startswith(f"training diverged at epoch {exc.epoch}, batch {exc.batch}: ")
        assert exc.lr == lr and f"the learning rate {lr:g} is probably too large: try 0.1 or lower" in message
        if math.isnan(exc.loss):
            assert "the loss became NaN" in message
        elif math.isinf(exc.loss):
            assert "the loss became inf" in message
        else:
            assert f"the loss reached {exc.loss:.4g}, over 1,000 times its starting scale" in message
        errors[fast] = exc
    fast, slow = errors[True], errors[False]
    assert (fast.epoch, fast.batch) == (slow.epoch, slow.batch)
    assert fast.epoch == 1
    # the numbers in the error are those a replay through the public API finds
    replayed = replay_first_epoch(make, X, Y, lr, slow.batch)
    assert started_at(str(slow)) == pytest.approx(replayed[0], rel=1e-3)
    assert started_at(str(fast)) == pytest.approx(replayed[0], rel=1e-3)
    for exc in (fast, slow):
        if math.isfinite(replayed[-1]):
            assert exc.loss == pytest.approx(replayed[-1], rel=1e-3)
            assert exc.loss > 1e3 * replayed[0]
        else:
            assert not math.isfinite(exc.loss)
    # every batch before it was finite and within the limit
    assert all(math.isfinite(v) and v <= 1e3 * replayed[0] for v in replayed[:-1])


# ------------------------------------------------------------------ the 36 set-ups of issue 9
GRID = [(hidden, opt, lr) for hidden in HIDDEN for opt in ("sgd", "momentum", "adam") for lr in (1e3, 1e6, 1e30)]


@pytest.mark.parametrize(("hidden", "opt", "lr"), GRID)
def test_every_diverging_setup_trains_to_a_finite_loss_or_raises(hidden, opt, lr):
    # issue 9: 18 of 36 such set-ups returned NaN/inf losses without a word, 6 left NaN weights
    X, y = iris()
    outcomes = []
    for fast in (True, False):
        net = Network([Dense(4, 8, hidden), Dense(8, 3, "softmax")], seed=3)
        optimizer = {"sgd": SGD(lr), "momentum": SGD(lr, momentum=0.9), "adam": Adam(lr)}[opt]
        exc, _ = fit_recording(net, X, y, epochs=10, batch_size=16, optimizer=optimizer, fast=fast,
                               validation_split=0.2)
        assert all(np.isfinite(p).all() for p in net.parameters())
        assert np.isfinite(net.predict_proba(X)).all()
        if exc is None:
            history = net.history
            assert np.isfinite(history.loss).all() and np.isfinite(history.val_loss).all()
            outcomes.append(None)
        else:
            outcomes.append((exc.epoch, exc.batch))
    assert outcomes[0] == outcomes[1]  # both loops see the same run


def test_adam_state_is_reset_after_divergence():
    X, y = digits()
    net, adam = Network([Dense(64, 16, "relu"), Dense(16, 10, "softmax")], seed=0), Adam(1000)
    with pytest.raises(TrainingDiverged, match=r"learning rate 1000 is probably too large: try 0\.001 or lower"):
        net.fit(X, y, epochs=2, batch_size=BATCH, optimizer=adam)
    assert adam.steps == 0 and adam.state == {}  # its moments held the steps that blew up
    assert net.fit(X, y, epochs=2, batch_size=BATCH, optimizer=Adam(0.001)).loss[-1] < 2.3  # and it trains on


# ------------------------------------------------------------------ the other ways to diverge
def test_unscaled_inputs_are_named_with_their_largest_value():
    X, y = iris()
    X = X * 1e4 + 3e4  # no preprocessing: the largest |X| is what the network sees
    net = Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax")], seed=0)
    exc, _ = fit_recording(net, X, y, epochs=5, batch_size=16, lr=0.1)
    assert isinstance(exc, TrainingDiverged)
    assert f"the inputs are not scaled (the largest |X| is {np.abs(X.astype(np.float32)).max():.3g})" in str(exc)
    assert "Standardize" in str(exc)


def network():
    return Network([Dense(4, 8, "tanh"), Dense(8, 3, "softmax")], seed=0)


@pytest.mark.parametrize("fast", [True, False])
def test_after_a_validation_split_the_scale_is_that_of_the_training_rows(fast):
    # the split reads the training rows through an index into the whole X: the held-out rows, however
    # large, are not the training inputs whose scale the message judges
    X, y = iris()
    held = np.zeros(len(y), bool)  # the rows the split holds out: its draw from the network's generator
    held[copy.deepcopy(network().rng).permutation(len(y))[: round(len(y) * 0.2)]] = True
    X[held] *= 1e5
    results = []
    for split in (True, False):
        net = network()
        if split:
            exc, _ = fit_recording(net, X, y, epochs=5, batch_size=16, lr=1e6, validation_split=0.2, fast=fast)
        else:  # the same rows, given as validation_data (the same draw from the network's generator)
            net.rng.permutation(len(y))
            exc, _ = fit_recording(net, X[~held], y[~held], epochs=5, batch_size=16, lr=1e6,
                                   validation_data=(X[held], y[held]), fast=fast)
        assert isinstance(exc, TrainingDiverged)
        results.append(str(exc))
    assert results[0] == results[1] and "not scaled" not in results[0]


class PoisonDeadUnit:
    """Plain SGD that, at step ``at``, sets the weights of hidden unit 0 to -inf.

    With positive inputs the unit's Z is -inf, its ReLU output 0 and its gradient 0: the loss stays
    finite while a weight is not.
    """

    def __init__(self, lr, at):
        self.lr, self.at, self.steps = lr, at, 0

    def step(self, params, grads):
        self.steps += 1
        for p, g in zip(params, grads):
            p -= self.lr * g
        if self.steps == self.at:
            params[0][:, 0] = -np.inf


def test_a_weight_that_stops_being_finite_is_found_when_the_epoch_ends():
    X, y = iris()
    X = X - X.min(axis=0) + 1  # positive: -inf times an input is -inf, never NaN
    results = []
    for fast in (True, False):
        net = Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax")], seed=0)
        n_batches = math.ceil(len(X) / 16)
        exc, starts = fit_recording(net, X, y, epochs=4, batch_size=16, optimizer=PoisonDeadUnit(0.05, 15), fast=fast)
        assert isinstance(exc, TrainingDiverged)
        # step 15 is in epoch 2 (10 batches an epoch); noticed after its last batch
        assert (exc.epoch, exc.batch) == (2, n_batches)
        assert f"layers[0].W holds infinite values while the loss is {exc.loss:.4g}" in str(exc)
        assert math.isfinite(exc.loss) and exc.lr == 0.05
        for p, start in zip(net.parameters(), starts[1]):
            assert np.array_equal(p, start)
        results.append(exc.loss)
    assert results[0] == pytest.approx(results[1], rel=1e-5)


def test_a_validation_loss_that_is_not_finite_stops_training():
    X, y = iris()
    net = Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax")], seed=0)
    far = float(np.finfo(np.float32).max)  # finite in float32; through the weights it overflows
    for fast in (True, False):
        exc, starts = fit_recording(net, X, y, epochs=3, batch_size=50, lr=0.1, fast=fast,
                                    validation_data=(np.full((4, 4), far), [0, 1, 2, 0]))
        assert isinstance(exc, TrainingDiverged) and (exc.epoch, exc.batch) == (1, 3)
        assert math.isnan(exc.loss) and "the validation loss became NaN" in str(exc)
        assert f"the validation inputs are not scaled (the largest |X| is {far:.3g})" in str(exc)
        for p, start in zip(net.parameters(), starts[0]):
            assert np.array_equal(p, start)


def test_a_saturated_sigmoid_output_is_not_called_divergence():
    # lr 1e30 with squared error on a sigmoid output: the outputs saturate and the weights freeze. Nothing is
    # NaN or infinite and the loss cannot exceed 1/2 per output, so this run trains to a finite (poor) loss.
    X, y = digits()
    net = Network([Dense(64, 16, "sigmoid"), Dense(16, 10, "sigmoid")], "squared_error", seed=1)
    exc, _ = fit_recording(net, X, np.eye(10)[y], epochs=3, batch_size=BATCH, lr=1e30)
    assert exc is None
    assert all(0 <= v <= 10 / 2 for v in net.history.loss)
    assert all(np.isfinite(p).all() for p in net.parameters())


def test_weights_that_are_not_finite_before_training_are_refused():
    X, y = iris()
    net = Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax")], seed=0)
    net.layers[1].b[2] = np.nan
    with pytest.raises(ValueError, match=r"^layers\[1\]\.b holds NaN values before training"):
        net.fit(X, y, epochs=1)


# ------------------------------------------------------------------ the rule leaves normal training alone
def batch_losses(net, X, y, epochs, batch_size, optimizer):
    """Every batch's loss over ``epochs`` of the readable loop, and the run's starting scale."""
    Y = net.targets(y, len(X)).astype(np.float32)
    net.cast(np.float32)
    X = X.astype(np.float32)
    seen = []
    for _ in range(epochs):
        reference_epoch(net, X, Y, batch_size, optimizer, net.rng.permutation(len(X)),
                        watch=lambda b, loss: seen.append(loss))
    guess = np.broadcast_to(Y.mean(axis=0), Y.shape)  # the best constant guess, as Divergence computes it
    floor = float(net.loss.per_sample(guess, Y).max())
    return np.array(seen), max(seen[0], floor)


@pytest.mark.parametrize(
    "case", ["iris batch 1", "digits batch 1", "digits adam", "regression batch 1", "iris continued"]
)
def test_noisy_training_stays_far_below_the_explosion_limit(case):
    Xi, yi = iris()
    Xd, yd = digits()
    if case == "iris batch 1":
        run = (Network([Dense(4, 8, "tanh"), Dense(8, 3, "softmax")], seed=0), Xi, yi, 20, 1, SGD(0.1))
    elif case == "digits batch 1":
        run = (Network([Dense(64, 32, "relu"), Dense(32, 10, "softmax")], seed=0), Xd, yd, 2, 1, SGD(0.1))
    elif case == "digits adam":
        run = (Network([Dense(64, 32, "relu"), Dense(32, 10, "softmax")], seed=0), Xd, yd, 10, 32, Adam(0.001))
    elif case == "regression batch 1":
        # targets on their own scale (petal width from the other three measurements, in cm times 100)
        X, y = datasets.iris()
        Xr, yr = (X[:, :3] - X[:, :3].mean(axis=0)) / X[:, :3].std(axis=0), X[:, 3:] * 100
        run = (Network([Dense(3, 16, "relu"), Dense(16, 1, "linear")], "squared_error", seed=0), Xr, yr, 20, 1,
               SGD(0.001))
    else:  # a trained network trained on: its first loss is tiny, so the floor sets the scale
        net = Network([Dense(4, 8, "tanh"), Dense(8, 3, "softmax")], seed=0)
        net.fit(Xi, yi, epochs=300, batch_size=8, lr=0.1)
        run = (net, Xi, yi, 10, 1, SGD(0.1))
    seen, scale = batch_losses(*run)
    assert np.isfinite(seen).all()
    assert seen.max() < 0.1 * Divergence.EXPLODES * scale  # a margin of ten and more
    if case == "iris continued":
        assert seen.max() > Divergence.EXPLODES * seen[0]  # the first loss alone would have been a false alarm
    net, X, y, epochs, batch_size, optimizer = run
    net.fit(X, y, epochs=2, batch_size=batch_size, optimizer=optimizer)  # and fit itself does not raise


# ------------------------------------------------------------------ predict and evaluate
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_overflow_in_predict_and_evaluate_is_one_error_and_no_warning(dtype):
    net = Network([Dense(3, 4, "relu", init=100.0), Dense(4, 3, "softmax", init=[[100.0, -100.0, 1.0]] * 4)])
    net.cast(dtype)
    big = float(np.finfo(dtype).max) / 1e2
    X = np.array([[1.0, 2.0, 3.0], [big, big, big]])
    for call in (net.predict, net.predict_proba, lambda X: net.evaluate(X, [0, 1])):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=r"^the network's output is NaN or infinite for 1 of 2 rows of X "
                                                 r"\(the first is row 1\)") as info:
                call(X)
        assert f"largest |value| {big:.3g}" in str(info.value) and "\n" not in str(info.value)
    assert net.predict(X[:1]).shape == (1,)  # the first row alone is fine


def test_training_diverged_is_a_value_error_exported_at_the_top():
    assert issubclass(TrainingDiverged, ValueError)
    assert glassnet.TrainingDiverged is TrainingDiverged and "TrainingDiverged" in glassnet.__all__
