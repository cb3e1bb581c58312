"""Activations: forward values against their formulas, backward against finite differences."""

import math

import numpy as np
import pytest

import glassnet
from glassnet.activations import ACTIVATIONS, get_activation

NAMES = ("sigmoid", "tanh", "relu", "linear", "softmax")


def Z_away_from_zero(shape, seed=0):
    """Random pre-activations with |Z| >= 0.1, so ReLU's kink is never straddled by a finite difference."""
    rng = np.random.default_rng(seed)
    Z = rng.uniform(0.1, 2.5, size=shape)
    return Z * rng.choice([-1.0, 1.0], size=shape)


def by_formula(name, Z):
    """Each activation written out element by element from its textbook definition."""
    rows = []
    for z_row in Z.tolist():
        if name == "sigmoid":
            rows.append([1 / (1 + math.exp(-z)) for z in z_row])
        elif name == "tanh":
            rows.append([(math.exp(2 * z) - 1) / (math.exp(2 * z) + 1) for z in z_row])
        elif name == "relu":
            rows.append([z if z > 0 else 0.0 for z in z_row])
        elif name == "linear":
            rows.append(list(z_row))
        else:
            total = sum(math.exp(z) for z in z_row)
            rows.append([math.exp(z) / total for z in z_row])
    return np.array(rows)


def test_registry_has_the_five_documented_activations():
    assert set(NAMES) <= set(ACTIVATIONS)
    for name in NAMES:
        assert ACTIVATIONS[name].name == name
        assert get_activation(name) is ACTIVATIONS[name]
        assert get_activation(ACTIVATIONS[name]) is ACTIVATIONS[name]
    assert glassnet.ACTIVATIONS is ACTIVATIONS


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_formula(name):
    Z = Z_away_from_zero((5, 4), seed=1)
    A = get_activation(name).forward(Z.copy())
    np.testing.assert_allclose(A, by_formula(name, Z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_forward_does_not_change_its_input(name):
    Z = Z_away_from_zero((3, 4), seed=2)
    before = Z.copy()
    A = get_activation(name).forward(Z)
    A[...] = 123.0
    np.testing.assert_array_equal(Z, before)


def test_relu_at_zero_and_its_derivative_there():
    relu = get_activation("relu")
    Z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.forward(Z), [[0.0, 0.0, 2.0]])
    # the derivative at exactly 0 is taken as 0 (documented)
    np.testing.assert_array_equal(relu.backward(relu.forward(Z), np.ones((1, 3))), [[0.0, 0.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 5), (32, 32), (4096, 1), (65, 64), (1024, 256)])
def test_relu_derivative_is_one_exactly_where_the_output_is_positive_at_any_size(shape, dtype):
    A = get_activation("relu").forward(np.random.default_rng(3).normal(size=shape).astype(dtype))
    A.flat[::7] = 0.0
    for out in (None, np.full(shape, 5.0, dtype)):
        d = get_activation("relu").derivative(A, out=out)
        assert d.dtype == dtype and d.shape == shape and (out is None or d is out)
        np.testing.assert_array_equal(d, (A > 0).astype(dtype))
    assert 0 < d.sum() < d.size


@pytest.mark.parametrize("size", [5, 5000])
def test_relu_derivative_is_zero_at_nan_and_below_zero_whatever_the_size(size):
    A = np.full(size, np.nan)
    A[1], A[2] = -3.0, 2.0
    d = get_activation("relu").derivative(A)
    assert d[0] == 0.0 and d[1] == 0.0 and d[2] == 1.0 and np.all(d[3:] == 0.0)


def test_elementwise_derivatives_take_scalars_and_lists_as_before():
    assert get_activation("relu").derivative(2.0) == 1.0
    np.testing.assert_array_equal(get_activation("relu").derivative([-1.0, 3.0]), [0.0, 1.0])
    assert get_activation("sigmoid").derivative(0.5) == 0.25
    assert get_activation("sigmoid").derivative(np.float64(0.5)) == 0.25


def test_softmax_of_one_row_into_an_out_of_another_shape_broadcasts_as_numpy_does():
    Z = np.array([[1.0, 2.0, 3.0]])
    out = np.empty((1, 1, 3))
    result = get_activation("softmax").forward(Z, out=out)
    np.testing.assert_allclose(result.reshape(3), np.exp(Z[0] - 3.0) / np.exp(Z[0] - 3.0).sum(), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_a_one_row_matrix_equals_the_rows_formula_in_place_and_not(dtype):
    Z = np.array([[2.5, -1.0, 0.25, 30.0]], dtype)
    expected = np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum()
    softmax = get_activation("softmax")
    A = softmax.forward(Z)
    assert A.shape == (1, 4) and A.dtype == dtype and not np.shares_memory(A, Z)
    np.testing.assert_allclose(A, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)
    out = np.empty_like(Z)
    assert softmax.forward(Z, out=out) is out
    np.testing.assert_array_equal(out, A)
    assert softmax.forward(Z, out=Z) is Z
    np.testing.assert_array_equal(Z, A)


def test_sigmoid_is_warning_free_and_bounded_for_huge_finite_inputs(strict_fp):
    sigmoid = get_activation("sigmoid")
    Z = np.array([[1e308, -1e308, 800.0, -800.0, 700.0, -700.0, 0.0]])
    A = sigmoid.forward(Z)
    dZ = sigmoid.backward(A, np.ones_like(A))
    assert np.all(np.isfinite(A)) and np.all((A >= 0) & (A <= 1))
    assert np.all(np.isfinite(dZ)) and np.all(dZ >= 0)
    # 1 / (1 + e^-800) rounds to 1 and 1 / (1 + e^800) (about 1e-348) to 0 in float64
    np.testing.assert_array_equal(A[0, [0, 1, 2, 3, 6]], [1.0, 0.0, 1.0, 0.0, 0.5])
    assert 1 - 1e-300 <= A[0, 4] <= 1.0 and 0.0 <= A[0, 5] <= 1e-300


def test_sigmoid_matches_formula_to_float64_precision():
    sigmoid = get_activation("sigmoid")
    Z = np.linspace(-60, 60, 481).reshape(1, -1)
    # each branch of the formula is written so that exp() cannot overflow
    expected = [1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z)) for z in Z[0]]
    np.testing.assert_allclose(sigmoid.forward(Z)[0], expected, rtol=0, atol=4e-16)


def test_sigmoid_symmetry_over_a_wide_range():
    sigmoid = get_activation("sigmoid")
    Z = np.linspace(-50, 50, 201).reshape(1, -1)
    A, A_neg = sigmoid.forward(Z), sigmoid.forward(-Z)
    np.testing.assert_allclose(A + A_neg, 1.0, rtol=0, atol=1e-15)


def test_sigmoid_float32_stays_float32_without_warnings(strict_fp):
    sigmoid = get_activation("sigmoid")
    Z = np.array([[3e38, -3e38, 100.0, -100.0, 0.5]], dtype=np.float32)
    A = sigmoid.forward(Z)
    assert A.dtype == np.float32
    assert np.all((A >= 0) & (A <= 1))
    assert A[0, 4] == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-6)


def test_softmax_rows_sum_to_one_and_shift_invariance():
    softmax = get_activation("softmax")
    rng = np.random.default_rng(3)
    Z = rng.normal(scale=3.0, size=(6, 5))
    A = softmax.forward(Z)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.all(A > 0)
    shift = rng.uniform(-1000, 1000, size=(6, 1))
    np.testing.assert_allclose(softmax.forward(Z + shift), A, rtol=1e-9, atol=1e-15)


def test_softmax_large_logits_do_not_overflow(strict_fp):
    softmax = get_activation("softmax")
    Z = np.array([[1000.0, 999.0, -1000.0], [1e300, 1e300, 0.0], [-1e4, -1e4, -1e4]])
    A = softmax.forward(Z)
    # row 0 by hand: the third term is e^-2000 = 0; the other two are 1/(1+e^-1) and e^-1/(1+e^-1)
    p = 1 / (1 + math.exp(-1))
    np.testing.assert_allclose(A[0], [p, 1 - p, 0.0], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(A[1], [0.5, 0.5, 0.0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(A[2], [1 / 3] * 3, rtol=1e-15)


def test_softmax_of_one_column_is_one():
    A = get_activation("softmax").forward(np.array([[-5.0], [0.0], [7.0]]))
    np.testing.assert_array_equal(A, np.ones((3, 1)))


def fd_vjp(act, Z, dA, h=1e-6):
    """``dZ[i, j] = sum_k dA[i, k] * d A[i, k] / d Z[i, j]`` with the derivative by central differences."""
    dZ = np.zeros_like(Z)
    for j in range(Z.shape[1]):
        E = np.zeros_like(Z)
        E[:, j] = h
        column = (act.forward(Z + E) - act.forward(Z - E)) / (2 * h)
        dZ[:, j] = (dA * column).sum(axis=1)
    return dZ


@pytest.mark.parametrize("name", NAMES)
def test_backward_equals_finite_difference_vector_jacobian_product(name):
    act = get_activation(name)
    Z = Z_away_from_zero((4, 5), seed=4)
    dA = np.random.default_rng(5).normal(size=Z.shape)
    dZ = act.backward(act.forward(Z), dA)
    np.testing.assert_allclose(dZ, fd_vjp(act, Z, dA), rtol=1e-7, atol=1e-9)


def test_softmax_backward_equals_explicit_jacobian():
    softmax = get_activation("softmax")
    rng = np.random.default_rng(6)
    Z, dA = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    A = softmax.forward(Z)
    expected = np.stack([(np.diag(a) - np.outer(a, a)).T @ g for a, g in zip(A, dA)])
    np.testing.assert_allclose(softmax.backward(A, dA), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_out_buffers_are_used_and_returned(name):
    act = get_activation(name)
    Z = Z_away_from_zero((3, 4), seed=7)
    dA = np.random.default_rng(8).normal(size=Z.shape)
    A_ref = act.forward(Z)
    dZ_ref = act.backward(A_ref, dA)

    out = np.full_like(Z, np.nan)
    assert act.forward(Z, out=out) is out
    np.testing.assert_array_equal(out, A_ref)

    out = np.full_like(Z, np.nan)
    assert act.backward(A_ref, dA, out=out) is out
    np.testing.assert_array_equal(out, dZ_ref)


@pytest.mark.parametrize("name", NAMES)
def test_out_may_alias_the_input(name):
    # the training loop reuses buffers: forward(Z, out=Z) and backward(A, dA, out=dA) must be safe
    act = get_activation(name)
    Z = Z_away_from_zero((3, 4), seed=9)
    dA = np.random.default_rng(10).normal(size=Z.shape)
    A_ref = act.forward(Z)
    dZ_ref = act.backward(A_ref, dA)

    buf = Z.copy()
    assert act.forward(buf, out=buf) is buf
    np.testing.assert_array_equal(buf, A_ref)

    buf = dA.copy()
    assert act.backward(A_ref, buf, out=buf) is buf
    np.testing.assert_array_equal(buf, dZ_ref)


def test_unknown_activation_name_lists_the_options():
    with pytest.raises(ValueError, match="activation") as info:
        get_activation("swish")
    message = str(info.value)
    assert "'swish'" in message
    for name in NAMES:
        assert name in message
    with pytest.raises(ValueError, match="activation.*swish"):
        glassnet.Dense(2, 2, activation="swish")


def test_non_string_activation_is_a_type_error():
    with pytest.raises(TypeError, match="activation"):
        get_activation(3)
