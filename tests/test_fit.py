"""Network.fit's training control: schedules, validation_split, early stopping, restarts, callbacks, dtype."""

import tracemalloc

import numpy as np
import pytest

from glassnet import SGD, Dense, Network
from glassnet.callbacks import StopTraining
from glassnet.optimizers import Adam
from glassnet.schedules import StepDecay

F64 = {"dtype": np.float64}


def data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)
    return X, y


def make(seed=0, hidden=5):
    return Network([Dense(3, hidden, "tanh"), Dense(hidden, 3, "softmax")], seed=seed)


def weights(net):
    return [p.copy() for p in net.parameters()]


def assert_same(a, b, rtol=1e-12):
    for p, q in zip(a, b):
        np.testing.assert_allclose(p, q, rtol=rtol, atol=1e-15)


class Recorder:
    """A callback that keeps a copy of the weights after every epoch."""

    def __init__(self, net):
        self.net, self.weights = net, []

    def __call__(self, epoch, history):
        assert epoch == len(self.weights) + 1
        self.weights.append(weights(self.net))


# ------------------------------------------------------------------ schedules
def test_schedule_sets_lr_each_epoch_records_it_and_restores_it():
    X, y = data()
    net, twin = make(), make()
    opt = SGD(0.4)
    history = net.fit(X, y, epochs=5, optimizer=opt, shuffle=False, schedule=StepDecay(0.5, every=2), **F64)
    assert history.lr == pytest.approx([0.4, 0.4, 0.2, 0.2, 0.1], rel=1e-15)
    assert opt.lr == 0.4
    # the same epochs by hand: full-batch steps at the scheduled rates
    for lr in history.lr:
        twin.train_step(X, y, SGD(lr))
    assert_same(weights(net), weights(twin))


def test_schedule_by_name_and_config_dict():
    X, y = data()
    history = make().fit(X, y, epochs=3, lr=1.0, schedule={"name": "exponential", "rate": 0.5}, **F64)
    assert history.lr == pytest.approx([1.0, 0.5, 0.25])
    assert make().fit(X, y, epochs=2, schedule="constant", **F64).lr == [0.1, 0.1]
    assert make().fit(X, y, epochs=2, **F64).lr == []  # recorded only with a schedule


# ------------------------------------------------------------------ validation_split
def test_validation_split_holds_out_random_rows_drawn_by_the_network_generator():
    X, y = data(40)
    net = make(seed=3)
    history = net.fit(X, y, epochs=4, batch_size=5, validation_split=0.25, **F64)
    # the same run by hand: a twin network draws the same permutation, then trains on the rest
    twin = make(seed=3)
    held = np.zeros(40, dtype=bool)
    held[twin.rng.permutation(40)[:10]] = True
    by_hand = twin.fit(X[~held], y[~held], epochs=4, batch_size=5, validation_data=(X[held], y[held]), **F64)
    assert history.val_loss == by_hand.val_loss
    assert history.loss == by_hand.loss
    assert_same(weights(net), weights(twin), rtol=0)
    assert history.val_loss[-1] == pytest.approx(net.evaluate(X[held], y[held])["loss"], rel=1e-12)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("batch_size", [1, 7, None])
def test_validation_split_trains_what_the_rows_split_by_hand_train(fast, shuffle, batch_size):
    # fit reads the training rows of the whole X through an index; by hand they are copied out
    X, y = data(40)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=40)
    net, twin = make(seed=5), make(seed=5)
    history = net.fit(X, y, epochs=3, batch_size=batch_size, validation_split=0.25, sample_weight=w, shuffle=shuffle,
                      fast=fast, **F64)
    held = np.zeros(40, dtype=bool)
    held[twin.rng.permutation(40)[:10]] = True
    by_hand = twin.fit(X[~held], y[~held], epochs=3, batch_size=batch_size, sample_weight=w[~held], shuffle=shuffle,
                       validation_data=(X[held], y[held], w[held]), fast=fast, **F64)
    assert history.loss == by_hand.loss and history.val_loss == by_hand.val_loss
    assert history.accuracy == by_hand.accuracy
    assert_same(weights(net), weights(twin), rtol=0)


def test_validation_split_does_not_copy_the_training_rows():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20_000, 100)).astype(np.float32), rng.integers(0, 3, size=20_000)
    net = Network([Dense(100, 8, "relu"), Dense(8, 3, "softmax")], seed=0)
    tracemalloc.start()
    try:
        net.fit(X, y, epochs=1, batch_size=256, validation_split=0.2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a copy of the training rows alone would be 0.8 of X (measured before: 1.23 of X in all; now about 0.45:
    # the validation rows' copy, 0.2, and what fit allocates without a split)
    assert peak < 0.65 * X.nbytes


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"validation_split": 1.0}, ValueError, r"validation_split must be in \[0, 1\), got 1.0"),
        ({"validation_split": -0.1}, ValueError, "validation_split must be a finite number >= 0"),
        ({"validation_split": "0.2"}, TypeError, "validation_split must be a number"),
        ({"validation_split": 0.001}, ValueError,
         "validation_split=0.001 of 60 samples leaves 0 for validation and 60 for training; each needs at least one"),
        ({"validation_split": 0.995}, ValueError, "leaves 60 for validation and 0 for training"),
        ({"validation_split": 0.2, "validation_data": (np.ones((2, 3)), [0, 1])}, ValueError,
         "give either validation_data or validation_split, not both"),
    ],
)
def test_bad_validation_split(kwargs, error, pattern):
    X, y = data()
    with pytest.raises(error, match=pattern):
        make().fit(X, y, epochs=1, **kwargs)


# ------------------------------------------------------------------ early stopping
def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    # validation targets are the training labels shifted by one class: the better the network
    # fits the training data, the worse its validation loss, so it must stop early
    X, y = data()
    net = make()
    record = Recorder(net)
    history = net.fit(X, y, epochs=50, lr=0.5, validation_data=(X, (y + 1) % 3), early_stopping=3,
                      callbacks=[record], **F64)
    best = int(np.argmin(history.val_loss)) + 1
    assert history.best_epoch == best
    assert history.epochs == best + 3 < 50
    assert_same(weights(net), record.weights[best - 1], rtol=0)
    assert not np.allclose(record.weights[-1][0], record.weights[best - 1][0])


def test_early_stopping_on_val_accuracy_keeps_the_most_accurate_epoch():
    X, y = data()
    Xv, yv = data(30, seed=1)
    net = make(seed=2)
    record = Recorder(net)
    history = net.fit(X, y, epochs=12, batch_size=10, lr=0.3, validation_data=(Xv, yv), early_stopping=20,
                      monitor="val_accuracy", callbacks=[record], **F64)
    best = int(np.argmax(history.val_accuracy)) + 1  # the first of equal bests
    assert history.epochs == 12 and history.best_epoch == best
    assert_same(weights(net), record.weights[best - 1], rtol=0)
    assert net.evaluate(Xv, yv)["accuracy"] == max(history.val_accuracy)


# ------------------------------------------------------------------ restarts
@pytest.mark.parametrize("patience", [None, 2])
def test_restarts_keep_the_best_of_the_separately_seeded_runs(patience):
    X, y = data()
    Xv, yv = data(30, seed=1)
    kw = {"epochs": 6, "batch_size": 8, "lr": 0.2, "validation_data": (Xv, yv), "early_stopping": patience, **F64}
    net = make(seed=7)
    history = net.fit(X, y, restarts=3, **kw)
    assert len(history.restart_seeds) == len(history.restart_scores) == 3
    assert len(set(history.restart_seeds)) == 3
    runs = []
    for seed in history.restart_seeds:  # each run on its own: a network built with that seed
        alone = make(seed=seed)
        h = alone.fit(X, y, **kw)
        score = h.val_loss[h.best_epoch - 1] if patience else h.val_loss[-1]
        runs.append((score, weights(alone), h))
    assert history.restart_scores == pytest.approx([r[0] for r in runs], rel=1e-12)
    winner = int(np.argmin(history.restart_scores))
    assert history.restart == winner
    assert_same(weights(net), runs[winner][1])
    assert history.val_loss == pytest.approx(runs[winner][2].val_loss, rel=1e-12)
    assert net.evaluate(Xv, yv)["loss"] == pytest.approx(min(history.restart_scores), rel=1e-12)


def test_restarts_reset_the_optimizer_and_are_reproducible():
    X, y = data()
    kw = {"epochs": 3, "optimizer": Adam(0.05), "validation_split": 0.2, "restarts": 2, **F64}
    a, b = make(seed=1), make(seed=1)
    ha, hb = a.fit(X, y, **kw), b.fit(X, y, **{**kw, "optimizer": Adam(0.05)})
    assert ha.restart_seeds == hb.restart_seeds and ha.restart_scores == hb.restart_scores
    assert_same(weights(a), weights(b), rtol=0)
    assert kw["optimizer"].steps == 3  # the last run's steps only: reset() before each run


# ------------------------------------------------------------------ callbacks
def test_a_callback_stops_training_by_raising_stop_training():
    X, y = data()
    seen = []

    def stop_at_3(epoch, history):
        if epoch == 3:
            raise StopTraining

    def log(epoch, history):
        seen.append(epoch)
        return True  # return values are ignored

    history = make().fit(X, y, epochs=10, callbacks=[stop_at_3, log], **F64)
    assert history.epochs == 3 and seen == [1, 2, 3]


def test_stop_training_also_ends_the_restarts():
    X, y = data()

    def stop(epoch, history):
        if history.restart == 1 and epoch == 2:
            raise StopTraining

    history = make().fit(X, y, epochs=4, validation_split=0.25, restarts=4, callbacks=[stop], **F64)
    assert len(history.restart_scores) == 2


# ------------------------------------------------------------------ dtype
def test_default_fit_trains_and_predicts_in_float32_close_to_float64():
    X, y = data()
    net32, net64 = make(), make()
    h32 = net32.fit(X, y, epochs=5, batch_size=10)
    h64 = net64.fit(X, y, epochs=5, batch_size=10, dtype=np.float64)
    assert net32.dtype == np.float32 and all(p.dtype == np.float32 for p in net32.parameters())
    assert net64.dtype == np.float64 and all(p.dtype == np.float64 for p in net64.parameters())
    assert net32.predict_proba(X).dtype == np.float32
    np.testing.assert_allclose(net32.predict_proba(X), net64.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(h32.loss, h64.loss, rtol=1e-5)
    assert (net32.predict(X) == net64.predict(X)).all()
    assert net32.predict(X.astype(np.float32)).tolist() == net32.predict(X).tolist()


def test_dtype_by_name_and_back_to_float64():
    X, y = data()
    net = make()
    net.fit(X, y, epochs=1, dtype="float32")
    assert net.dtype == np.float32
    net.fit(X, y, epochs=1, dtype="float64")
    assert net.dtype == np.float64


# ------------------------------------------------------------------ History
def test_history_lists_and_run_info():
    X, y = data()
    history = make().fit(X, y, epochs=3, validation_split=0.2, early_stopping=5, schedule="constant", **F64)
    assert sorted(history.as_dict()) == ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert all(len(v) == 3 for v in history.as_dict().values())
    assert history.run_info() == {"best_epoch": history.best_epoch}
    assert f"best_epoch={history.best_epoch}" in repr(history)


# ------------------------------------------------------------------ bad input
class NoReset:
    lr = 0.1

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g


class NoLr:
    def step(self, params, grads):
        pass


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"early_stopping": 0}, ValueError, "early_stopping must be a finite number > 0, got 0"),
        ({"early_stopping": 2.5}, TypeError, "early_stopping must be an integer, got 2.5"),
        ({"early_stopping": True}, TypeError, "early_stopping must be an integer, got True"),
        ({"early_stopping": 3, "validation_data": None}, ValueError,
         r"early_stopping needs validation data: give validation_data=\(X_val, y_val\) or validation_split"),
        ({"monitor": "loss"}, ValueError,
         r"unknown monitor 'loss'; expected one of \['val_accuracy', 'val_loss', 'val_r2'\]"),
        ({"monitor": 1}, TypeError, "monitor must be a string"),
        ({"restarts": 0}, ValueError, "restarts must be a finite number > 0, got 0"),
        ({"restarts": 2.0}, TypeError, "restarts must be an integer"),
        ({"restarts": 2}, ValueError, "restarts=2 needs validation data"),
        ({"restarts": 2, "validation_split": 0.5, "optimizer": NoReset()}, TypeError,
         "restarts > 1 needs an optimizer with a 'reset' attribute"),
        ({"schedule": "cosine"}, ValueError, "unknown schedule 'cosine'"),
        ({"schedule": 0.5}, TypeError, "schedule must be a name in"),
        ({"schedule": "step", "optimizer": NoLr()}, TypeError, "schedule needs an optimizer with a 'lr' attribute"),
        ({"dtype": np.int32}, ValueError, "dtype must be float32 or float64, got int32"),
        ({"dtype": "float16"}, ValueError, "dtype must be float32 or float64, got float16"),
        ({"dtype": None}, TypeError, "dtype must be float32 or float64, got None"),
        ({"dtype": "double precision"}, TypeError, "dtype must be float32 or float64"),
        ({"fast": "yes"}, TypeError, "fast must be True or False, got 'yes'"),
        ({"shuffle": 1}, TypeError, "shuffle must be True or False, got 1"),
        ({"callbacks": print}, TypeError, "callbacks must be a list of callables"),
    ],
)
def test_bad_training_arguments_are_refused_by_name(kwargs, error, pattern):
    X, y = data()
    with pytest.raises(error, match=pattern):
        make().fit(X, y, epochs=2, **kwargs)


def test_a_custom_optimizer_without_reset_or_lr_still_trains():
    X, y = data()
    net = make()
    history = net.fit(X, y, epochs=20, optimizer=NoReset(), **F64)
    assert history.loss[-1] < history.loss[0]
