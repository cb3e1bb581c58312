"""Every building block is data: ``from_config(config())`` gives an equal object, for every registered kind."""

import json

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Network, io
from glassnet.activations import ACTIVATION_TYPES, ACTIVATIONS, get_activation
from glassnet.initializers import INITIALIZERS, Array, Constant, Normal, Uniform, Zeros, get_initializer
from glassnet.layers import LAYERS
from glassnet.losses import LOSS_TYPES, LOSSES, get_loss
from glassnet.optimizers import OPTIMIZERS, SGD, Adam, get_optimizer
from glassnet.preprocessing import PREPROCESSING, MinMax, Pipeline, RashidScale, Standardize, preprocessing_from_config
from glassnet.registry import Registry
from glassnet.schedules import SCHEDULES, ExponentialDecay, StepDecay, get_schedule

RNG = np.random.default_rng(0)
X = RNG.normal(size=(30, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, 2.0]
y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 5)


def through_json(config):
    """What a model file does to a config: JSON out and back."""
    return json.loads(json.dumps(config, allow_nan=False))


def test_every_kind_has_one_registry():
    registries = [ACTIVATION_TYPES, LOSS_TYPES, INITIALIZERS, LAYERS, OPTIMIZERS, SCHEDULES, PREPROCESSING]
    assert all(isinstance(r, Registry) for r in registries)
    assert sorted(ACTIVATION_TYPES) == ["linear", "relu", "sigmoid", "softmax", "tanh"]
    assert sorted(INITIALIZERS) == ["array", "constant", "glorot", "he", "normal", "rashid", "uniform", "zeros"]
    assert sorted(OPTIMIZERS) == ["adam", "sgd"] and sorted(SCHEDULES) == ["constant", "exponential", "step"]
    assert sorted(PREPROCESSING) == ["columns", "minmax", "pipeline", "rashid", "standardize"]
    assert list(LAYERS) == ["Dense"]


@pytest.mark.parametrize("name", sorted(ACTIVATION_TYPES))
def test_activations_round_trip_to_their_shared_object(name):
    act = ACTIVATIONS[name]
    assert act.config() == {"name": name}
    assert ACTIVATION_TYPES.build(through_json(act.config())) is act
    assert get_activation({"name": name}) is act
    with pytest.raises(ValueError, match=f"activation '{name}' has no setting \\['slope'\\]"):
        get_activation({"name": name, "slope": 2})


@pytest.mark.parametrize("name", sorted(LOSS_TYPES))
def test_losses_round_trip_to_their_shared_object(name):
    loss = LOSSES[name]
    assert loss.config() == {"name": name}
    assert get_loss(through_json(loss.config())) is loss


INITS = [
    get_initializer("glorot"), get_initializer("he"), get_initializer("rashid"), Zeros(), Constant(0.25),
    Uniform(-0.01, 0.01), Normal(1.5, 0.2), Array([[0.9, 0.2], [0.3, 0.8], [-1.0, 2.5]]),
]


@pytest.mark.parametrize("init", INITS, ids=lambda i: i.name)
def test_initializers_round_trip_and_draw_the_same_weights(init):
    again = get_initializer(through_json(init.config()))
    assert type(again) is type(init) and again == init and again.config() == init.config()
    shape = (3, 2)
    np.testing.assert_array_equal(again(shape, np.random.default_rng(7)), init(shape, np.random.default_rng(7)))


def test_constant_config_is_accepted_back_and_explicit_arrays_keep_their_values():
    # Constant().config() once gave {'name': 'constant'} that get_initializer refused
    assert get_initializer(Constant().config()) == Constant(0.0)
    assert Constant(3).config() == {"name": "constant", "value": 3.0}
    assert Array([[1, 2]]).config() == {"name": "array", "values": [[1.0, 2.0]]}
    assert get_initializer(0.5) == Constant(0.5) and get_initializer([[1.0]]) == Array([[1.0]])
    with pytest.raises(ValueError, match="unknown init 'ones'; expected one of"):
        get_initializer("ones")
    with pytest.raises(ValueError, match=r"init 'uniform' has no setting \['scale'\]"):
        get_initializer({"name": "uniform", "scale": 2})
    with pytest.raises(TypeError, match="init must be a name, a config dict, a number, an array"):
        get_initializer(object())


@pytest.mark.parametrize(
    "optimizer", [SGD(0.2), SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), Adam(0.01, beta1=0.8)],
    ids=["sgd", "nesterov", "adam"],
)
def test_optimizers_round_trip_with_their_state(optimizer):
    assert get_optimizer(through_json(optimizer.config())).config() == optimizer.config()
    # after some steps the config carries the state, and the copy continues exactly like the original
    params = [RNG.normal(size=(3, 2)), RNG.normal(size=2)]
    twin = [p.copy() for p in params]
    for _ in range(3):
        optimizer.step(params, [np.sin(p) for p in params])
    copy = get_optimizer(through_json(optimizer.config()))
    assert copy.steps == optimizer.steps == 3 and repr(copy) == repr(optimizer)
    twin = [p.copy() for p in params]
    for _ in range(2):
        optimizer.step(params, [np.sin(p) for p in params])
        copy.step(twin, [np.sin(p) for p in twin])
    for p, q in zip(params, twin):
        np.testing.assert_array_equal(p, q)
    if optimizer.config().get("state"):
        assert all(isinstance(slot, dict) for slot in optimizer.config()["state"])


def test_a_fresh_optimizer_config_is_its_settings_only():
    assert Adam(0.01).config() == {"name": "adam", "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                   "weight_decay": 0.0}
    with pytest.raises(ValueError, match="optimizer steps must be a whole number >= 0, got -1"):
        get_optimizer({"name": "sgd", "lr": 0.1, "steps": -1})
    with pytest.raises(TypeError, match="optimizer state must be a list of dicts or None"):
        get_optimizer({"name": "sgd", "lr": 0.1, "steps": 1, "state": "v"})


def test_only_plain_sgd_folds_its_step_and_it_counts_the_step_itself():
    plain, momentum, adam = SGD(0.3), SGD(0.3, momentum=0.5), Adam()
    assert plain.fold_step() == 0.3 and plain.steps == 1
    assert momentum.fold_step() is None and momentum.steps == 0
    assert adam.fold_step() is None and adam.steps == 0
    assert SGD(0.3, weight_decay=0.1).fold_step() is None


@pytest.mark.parametrize("schedule", [get_schedule("constant"), StepDecay(0.5, 3), ExponentialDecay(0.9)],
                         ids=lambda s: s.name)
def test_schedules_round_trip(schedule):
    again = get_schedule(through_json(schedule.config()))
    assert type(again) is type(schedule) and again.rates(7, 0.2) == schedule.rates(7, 0.2)


@pytest.mark.parametrize(
    "make",
    [Standardize, lambda: MinMax(-1, 1), lambda: RashidScale(30.0), lambda: Pipeline([MinMax(), Standardize()])],
    ids=["standardize", "minmax", "rashid", "pipeline"],
)
def test_preprocessing_round_trips_fitted_and_unfitted(make):
    step = make()
    unfitted = PREPROCESSING.build(through_json(step.config()))
    assert type(unfitted) is type(step) and unfitted.config() == step.config()
    step.fit(np.abs(X))
    fitted = type(step).from_config(through_json(step.config()), step.arrays())
    np.testing.assert_array_equal(fitted.transform(np.abs(X)), step.transform(np.abs(X)))
    again = preprocessing_from_config(step.config(), step.arrays())
    np.testing.assert_array_equal(again.transform(np.abs(X)), step.transform(np.abs(X)))
    # the unfitted copy learns the same thing from the same data
    np.testing.assert_array_equal(unfitted.fit(np.abs(X)).transform(np.abs(X)), step.transform(np.abs(X)))


def test_a_dense_layer_round_trips_with_its_initializers():
    layer = Dense(3, 2, "tanh", init=Uniform(-0.3, 0.3), bias_init=Constant(0.1), seed=4)
    again = LAYERS.build(through_json(layer.config()), seed=4)
    assert again.config() == layer.config() and repr(again) == repr(layer)
    np.testing.assert_array_equal(again.W, layer.W)
    np.testing.assert_array_equal(again.b, layer.b)


def custom_net(seed=3):
    return Network(
        [Dense(3, 5, "tanh", init=Normal(0.0, 0.7), bias_init=Uniform(-0.5, 0.5)),
         Dense(5, 3, "softmax", init=Array(np.arange(15.0).reshape(5, 3) / 20))],
        seed=seed,
    )


def test_network_from_config_rebuilds_an_identical_untrained_network():
    net = custom_net()
    again = Network.from_config(through_json(net.config()))
    assert again.config() == net.config() and repr(again) == repr(net)
    for p, q in zip(net.parameters(), again.parameters()):
        np.testing.assert_array_equal(p, q)
    # the same seed behaviour: both shuffle and train alike
    h1 = net.fit(X, y, epochs=3, batch_size=4, lr=0.1)
    h2 = again.fit(X, y, epochs=3, batch_size=4, lr=0.1)
    assert h1.loss == h2.loss
    # explicit arrays are kept by every redraw
    np.testing.assert_array_equal(Network.from_config(net.config()).layers[1].W, np.arange(15.0).reshape(5, 3) / 20)


def test_network_from_config_refuses_bad_configs_naming_the_layer():
    config = custom_net().config()
    config["layers"][1]["activation"] = "swish"
    with pytest.raises(ValueError, match="layer 1: unknown activation 'swish'"):
        Network.from_config(config)
    with pytest.raises(ValueError, match="network config needs 'layers'"):
        Network.from_config({"layers": [], "optimizer": "sgd"})
    with pytest.raises(TypeError, match="network config must be a dict"):
        Network.from_config("net")


def test_a_saved_and_loaded_network_restarts_exactly_like_the_original(tmp_path):
    net = custom_net(seed=11)
    net.fit(X, y, epochs=2, lr=0.1)
    net.save(tmp_path / "m.safetensors")
    loaded = io.load(tmp_path / "m.safetensors")
    assert loaded.config() == net.config()
    assert loaded.layers[0].init == Normal(0.0, 0.7) and loaded.layers[0].bias_init == Uniform(-0.5, 0.5)
    # every restart redraws the weights and the shuffling from seeds derived from the saved seed
    val = (X[:8], y[:8])
    runs = [m.fit(X, y, epochs=3, batch_size=5, lr=0.1, validation_data=val, restarts=3) for m in (net, loaded)]
    assert runs[0].restart_seeds == runs[1].restart_seeds
    assert runs[0].restart_scores == runs[1].restart_scores
    for p, q in zip(net.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(p, q)


def test_the_package_exposes_the_registries_through_the_getters():
    assert isinstance(glassnet.get_optimizer("adam"), Adam)
    assert isinstance(glassnet.get_schedule({"name": "step", "factor": 0.5, "every": 2}), StepDecay)


def test_a_numpy_integer_seed_is_kept_as_a_plain_int_so_the_model_saves(tmp_path):
    net = Network([Dense(3, 2, "softmax")], seed=np.int64(5))
    assert type(net.seed) is int and net.config()["seed"] == 5
    net.save(tmp_path / "m.safetensors")
    assert io.load(tmp_path / "m.safetensors").seed == 5


class HalfSGD(SGD):
    """An SGD with a rule of its own: half the step."""

    def _update(self, i, p, g):
        p -= 0.5 * self.lr * g


class ClippedSGD(SGD):
    def step(self, params, grads):
        super().step(params, [np.clip(g, -1e-3, 1e-3) for g in grads])


@pytest.mark.parametrize("cls", [HalfSGD, ClippedSGD])
def test_an_sgd_subclass_with_its_own_rule_is_never_folded_so_both_loops_agree(cls):
    assert cls(0.5).fold_step() is None
    trained = []
    for fast in (True, False):
        net = Network([Dense(3, 4, "tanh"), Dense(4, 3, "softmax")], seed=2)
        net.fit(X, y, epochs=3, batch_size=7, optimizer=cls(0.5), fast=fast, dtype=np.float64)
        trained.append(net.parameters())
    for p, q in zip(*trained):
        np.testing.assert_allclose(p, q, rtol=1e-10)


def test_adam_saves_its_moments_but_not_its_scratch_memory():
    adam = Adam(0.01)
    adam.step([np.ones((2, 2))], [np.ones((2, 2))])
    assert [sorted(slot) for slot in adam.config()["state"]] == [["m", "s"]]


@pytest.mark.parametrize(
    "state, error, message",
    [
        ([{"v": [[None, 1.0]]}], ValueError, r"sgd state\[0\]\['v'\] must hold finite numbers, got a null, NaN"),
        ([{"v": [[float("nan"), 1.0]]}], ValueError, r"state\[0\]\['v'\] must hold finite numbers"),
        ([{"v": [[[1.0]]]}], ValueError, r"state\[0\]\['v'\] must be a 1-D or 2-D array, got shape \(1, 1, 1\)"),
        ([{"w": [1.0]}], ValueError, r"sgd state\[0\] must hold \['v'\], got \['w'\]"),
        ([{"v": "abc"}], TypeError, r"sgd state\[0\]\['v'\] must be numbers, got 'abc' \(str\)"),
    ],
)
def test_a_bad_sgd_state_is_refused_when_it_is_read(state, error, message):
    with pytest.raises(error, match=message):
        get_optimizer({"name": "sgd", "lr": 0.1, "momentum": 0.9, "steps": 1, "state": state})


def test_a_bad_adam_state_is_refused_when_it_is_read():
    good = {"m": [[0.1, 0.2]], "s": [[0.01, 0.02]]}
    with pytest.raises(ValueError, match=r"adam state\[0\]\['s'\] must be >= 0"):
        get_optimizer({"name": "adam", "steps": 1, "state": [{**good, "s": [[-1.0, 0.0]]}]})
    with pytest.raises(ValueError, match=r"adam state\[0\] arrays must have one shape"):
        get_optimizer({"name": "adam", "steps": 1, "state": [{**good, "s": [0.1, 0.2, 0.3]}]})
    with pytest.raises(ValueError, match="state was given for an optimizer that has taken no steps"):
        get_optimizer({"name": "adam", "steps": 0, "state": [good]})
    adam = get_optimizer({"name": "adam", "steps": 1, "state": [good]})
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3,\) but this optimizer's state was built for"):
        adam.step([np.zeros(3)], [np.ones(3)])


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: get_initializer({"name": "array"}), ValueError, r"init 'array' needs the setting\(s\) \['values'\]"),
        (lambda: Uniform("a", 1), TypeError, r"low must be a finite number, got 'a' \(str\)"),
        (lambda: Normal(10**400), ValueError, "mean must be a finite number, got 1000000"),
        (lambda: SGD(lr=10**400), ValueError, r"lr must be a finite number > 0, got 10{20}"),
        (lambda: Constant([1, 2]), TypeError, r"value must be a finite number, got \[1, 2\] \(list\)"),
        (lambda: get_activation(3), TypeError, "or an Activation object, got 3"),
    ],
)
def test_bad_settings_get_messages_that_name_them(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_one_dense_object_cannot_stand_in_two_places():
    d = Dense(3, 3, "tanh")
    with pytest.raises(ValueError, match=r"layers\[1\] is the same Dense object as layers\[0\]"):
        Network([d, d, Dense(3, 2, "softmax")])


def test_a_model_file_records_the_training_of_the_weights_it_holds(tmp_path):
    net = custom_net()
    net.fit(X, y, epochs=3, lr=0.1)
    net.save(tmp_path / "a.safetensors")
    loaded = io.load(tmp_path / "a.safetensors")
    assert loaded.history.epochs == 3
    again = loaded.fit(X, y, epochs=7, lr=0.1)
    loaded.save(tmp_path / "b.safetensors")
    assert io.inspect(tmp_path / "b.safetensors")["training"]["epochs"] == 7
    assert io.load(tmp_path / "b.safetensors").history.loss == again.loss


def test_network_fit_takes_exactly_the_arguments_of_training_fit():
    import inspect

    from glassnet import training

    ours = list(inspect.signature(Network.fit).parameters.values())[1:]
    theirs = list(inspect.signature(training.fit).parameters.values())[1:]
    assert [(p.name, p.kind, p.default) for p in ours] == [(p.name, p.kind, p.default) for p in theirs]
