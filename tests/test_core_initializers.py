"""Initializers: shapes, seeding, the statistics of large draws, explicit arrays."""

import math

import numpy as np
import pytest

import glassnet
from glassnet.initializers import Array, Constant, Glorot, He, Normal, Rashid, Uniform, get_initializer

ALL = [Uniform(), Normal(), Rashid(), Glorot(), He(), Constant(0.25)]


@pytest.mark.parametrize("init", ALL, ids=repr)
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (7, 2)])
def test_shape_and_dtype(init, shape):
    W = init(shape, np.random.default_rng(0))
    assert W.shape == shape
    assert W.dtype == np.float64
    assert np.all(np.isfinite(W))


@pytest.mark.parametrize("init", ALL, ids=repr)
def test_same_generator_seed_gives_the_same_draw(init):
    a = init((4, 3), np.random.default_rng(7))
    b = init((4, 3), np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("init", [Uniform(), Normal(), Rashid(), Glorot(), He()], ids=repr)
def test_different_seeds_give_different_draws(init):
    a = init((4, 3), np.random.default_rng(7))
    b = init((4, 3), np.random.default_rng(8))
    assert not np.array_equal(a, b)


def test_dense_seed_reproducibility():
    a = glassnet.Dense(5, 4, "tanh", seed=3)
    b = glassnet.Dense(5, 4, "tanh", seed=3)
    c = glassnet.Dense(5, 4, "tanh", seed=4)
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, c.W)


# Large draws: with 200,000 numbers the sample std is within ~0.2% of the true one.
SHAPE = (400, 500)


def draw(init, shape=SHAPE, seed=0):
    return init(shape, np.random.default_rng(seed))


def test_rashid_std_is_inverse_square_root_of_inputs():
    W = draw(Rashid())
    assert abs(W.mean()) < 0.01 * SHAPE[0] ** -0.5
    assert W.std() == pytest.approx(SHAPE[0] ** -0.5, rel=0.01)
    # the other orientation: std follows n_in (rows), not n_out
    W = draw(Rashid(), (100, 2000))
    assert W.std() == pytest.approx(0.1, rel=0.01)


def test_he_std_is_sqrt_two_over_inputs():
    W = draw(He())
    assert abs(W.mean()) < 0.01 * math.sqrt(2 / SHAPE[0])
    assert W.std() == pytest.approx(math.sqrt(2 / SHAPE[0]), rel=0.01)


def test_glorot_uniform_limit():
    r = math.sqrt(6 / (SHAPE[0] + SHAPE[1]))
    W = draw(Glorot())
    assert W.min() >= -r and W.max() <= r
    assert W.min() < -0.999 * r and W.max() > 0.999 * r  # the whole interval is used
    assert W.std() == pytest.approx(r / math.sqrt(3), rel=0.01)  # std of U(-r, r)


def test_uniform_bounds_of_the_stairs_tutorial():
    W = draw(Uniform(-0.01, 0.01))
    assert W.min() >= -0.01 and W.max() < 0.01
    assert W.min() < -0.0099 and W.max() > 0.0099
    assert abs(W.mean()) < 1e-4
    assert W.std() == pytest.approx(0.02 / math.sqrt(12), rel=0.01)


def test_normal_mean_and_std():
    W = draw(Normal(mean=1.5, std=0.3))
    assert W.mean() == pytest.approx(1.5, abs=0.003)
    assert W.std() == pytest.approx(0.3, rel=0.01)


def test_constant_and_zeros():
    np.testing.assert_array_equal(draw(Constant(0.25), (3, 2)), np.full((3, 2), 0.25))
    np.testing.assert_array_equal(glassnet.Dense(3, 2, init="zeros").W, np.zeros((3, 2)))
    np.testing.assert_array_equal(glassnet.Dense(3, 2, init=-0.5).W, np.full((3, 2), -0.5))


@pytest.mark.parametrize("value", [np.int64(2), np.float32(0.5)], ids=repr)
def test_numpy_scalars_are_numbers_too(value):
    np.testing.assert_array_equal(glassnet.Dense(2, 3, init=value).W, np.full((2, 3), float(value)))


@pytest.mark.parametrize(
    ("name", "cls"), [("glorot", Glorot), ("he", He), ("rashid", Rashid), ("zeros", Constant), ("uniform", Uniform),
                      ("normal", Normal)]
)
def test_names(name, cls):
    assert isinstance(get_initializer(name), cls)


def test_default_init_is_he_for_relu_and_glorot_otherwise():
    relu = glassnet.Dense(SHAPE[0], SHAPE[1], "relu", seed=0)
    assert relu.W.std() == pytest.approx(math.sqrt(2 / SHAPE[0]), rel=0.01)
    r = math.sqrt(6 / sum(SHAPE))
    sig = glassnet.Dense(SHAPE[0], SHAPE[1], "sigmoid", seed=0)
    assert sig.W.max() <= r and sig.W.max() > 0.999 * r


def test_bias_defaults_to_zeros_and_takes_numbers_and_arrays():
    np.testing.assert_array_equal(glassnet.Dense(3, 4, seed=0).b, np.zeros(4))
    np.testing.assert_array_equal(glassnet.Dense(3, 4, bias_init=0.35).b, np.full(4, 0.35))
    np.testing.assert_array_equal(glassnet.Dense(3, 2, bias_init=[0.1, -0.2]).b, [0.1, -0.2])
    layer = glassnet.Dense(3, 2, bias=False)
    assert layer.b is None
    assert len(layer.parameters()) == 1 and layer.parameters()[0] is layer.W


@pytest.mark.parametrize("name", ["glorot", "he", "rashid", "zeros", "uniform", "normal"])
def test_every_named_initializer_works_for_the_bias_or_is_refused_clearly(name):
    # a bias vector has shape (n_out,): an initializer that needs (n_in, n_out) must not crash with IndexError
    try:
        layer = glassnet.Dense(3, 4, bias_init=name, seed=0)
    except (ValueError, TypeError) as exc:
        assert "bias_init" in str(exc)
    else:
        assert layer.b.shape == (4,) and np.all(np.isfinite(layer.b))


def test_explicit_array_is_kept_exactly_and_copied():
    W = np.array([[0.9, 0.3], [0.2, 0.8], [-0.1, 0.4]])
    layer = glassnet.Dense(3, 2, init=W)
    np.testing.assert_array_equal(layer.W, W)
    W[0, 0] = 99.0
    assert layer.W[0, 0] == 0.9  # the layer owns its weights
    layer.initialize(np.random.default_rng(5))  # redrawing keeps the array
    np.testing.assert_array_equal(layer.W[0], [0.9, 0.3])
    np.testing.assert_array_equal(glassnet.Dense(2, 2, init=[[1, 2], [3, 4]]).W, [[1.0, 2.0], [3.0, 4.0]])


def test_explicit_array_with_wrong_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"init.*\(2, 2\).*\(3, 2\)"):
        glassnet.Dense(3, 2, init=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        glassnet.Dense(3, 2, bias_init=np.ones(3))


def test_explicit_array_must_be_finite():
    with pytest.raises(ValueError, match="init"):
        glassnet.Dense(2, 2, init=[[np.nan, 1.0], [1.0, 1.0]])


def test_config_and_repr():
    assert Uniform(-0.01, 0.01).config() == {"name": "uniform", "low": -0.01, "high": 0.01}
    assert Normal(0.0, 0.2).config() == {"name": "normal", "mean": 0.0, "std": 0.2}
    assert Rashid().config() == {"name": "rashid"}
    assert repr(Uniform(-0.01, 0.01)) == "Uniform(low=-0.01, high=0.01)"
    assert repr(Array(np.zeros((2, 3)))) == "Array(shape=(2, 3))"
