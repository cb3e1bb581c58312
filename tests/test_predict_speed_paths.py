"""The fast inference path (glassnet.inference) against the readable forward pass, bit for bit, and its guards.

``predict_proba`` and ``predict`` compute in place, store nothing in the layers,
take a single sample as a vector and check the output's finiteness with one dot
product. None of that may change a number, an error or a warning.
"""

import itertools
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from glassnet import Dense, Network
from glassnet.activations import ACTIVATIONS
from glassnet.metrics import classes
from glassnet.preprocessing import Standardize

LOSS_FOR = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}
DTYPES = [np.float16, np.float32, np.float64]
ROWS = [1, 2, 100]  # one sample (a vector inside), a few rows, and more than softmax's 64-row threshold


def network(hidden, out, n_out, dtype, sizes=(6, 9, 5)):
    layers = [Dense(a, b, hidden) for a, b in itertools.pairwise(sizes)] + [Dense(sizes[-1], n_out, out)]
    net = Network(layers, LOSS_FOR.get(out, "squared_error"), seed=3)
    net.cast(dtype)
    return net


def readable(net, X):
    """What ``forward`` gives: the output ``Yhat`` and the output layer's ``Z`` (copies)."""
    Yhat = net.forward(X).copy()
    return Yhat, net.layers[-1].Z.copy()


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


OUTPUTS = [("softmax", 3), ("softmax", 40), ("sigmoid", 1), ("sigmoid", 3), ("linear", 1), ("linear", 2),
           ("tanh", 2), ("relu", 2)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "linear"])
@pytest.mark.parametrize(("out", "n_out"), OUTPUTS, ids=[f"{o}{n}" for o, n in OUTPUTS])
def test_predict_proba_and_predict_give_the_numbers_of_forward_bit_for_bit(hidden, out, n_out, dtype):
    net = network(hidden, out, n_out, dtype)
    rng = np.random.default_rng(7)
    for n in ROWS:
        X = (rng.standard_normal((n, net.n_in)) * 3).astype(dtype)
        Yhat, Z = readable(net, X)
        assert same(net.predict_proba(X), Yhat)
        predicted = net.predict(X)
        if out == "linear":
            expected = Z.reshape(-1) if n_out == 1 else Z
        elif out == "softmax":
            expected = Z.argmax(axis=1)
        else:
            expected = classes(Yhat)
        assert same(predicted, expected)


@pytest.mark.parametrize("sizes", [(784, 256, 128, 10), (784, 200, 10)])
def test_the_benchmark_networks_agree_bit_for_bit_at_one_and_many_samples(sizes):
    hidden = "relu" if len(sizes) == 4 else "sigmoid"
    net = network(hidden, "softmax", sizes[-1], np.float32, sizes[:-1])
    X = np.random.default_rng(0).random((300, sizes[0]), dtype=np.float32)
    for rows in (X[:1], X):
        Yhat, Z = readable(net, rows)
        assert same(net.predict_proba(rows), Yhat)
        assert same(net.predict(rows), Z.argmax(axis=1))


def test_prediction_stores_nothing_in_the_layers():
    net = network("relu", "softmax", 3, np.float32)
    X = np.random.default_rng(1).random((5, 6), dtype=np.float32)
    net.forward(X)
    kept = [(layer.X, layer.Z, layer.A) for layer in net.layers]
    for rows in (X, X[:1]):
        net.predict_proba(rows)
        net.predict(rows)
    assert all(a is b for layer, saved in zip(net.layers, kept) for a, b in zip((layer.X, layer.Z, layer.A), saved))


def test_results_handed_out_are_new_arrays_and_the_input_is_untouched():
    net = network("sigmoid", "softmax", 3, np.float32)
    X = np.random.default_rng(2).random((4, 6), dtype=np.float32)
    before = X.copy()
    first = net.predict_proba(X[:1])
    again = net.predict_proba(X[:1])
    assert first is not again and not np.shares_memory(first, again) and not np.shares_memory(first, X)
    assert same(X, before)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_softmax_of_a_vector_is_that_of_a_one_row_matrix(dtype):
    softmax = ACTIVATIONS["softmax"]
    rng = np.random.default_rng(3)
    for n in (2, 7, 8, 9, 10, 17, 129, 300):
        for case in range(6):
            z = (rng.standard_normal(n) * [0.1, 1, 10, 100, 1, 1][case]).astype(dtype)
            if case == 4:
                z = np.round(z)  # ties for the largest entry
            if case == 5:
                z[::3] = -np.inf  # exp(-inf) = 0: still a distribution
                z[1] = -0.0
            expected = softmax.forward(z[None, :].copy())[0]
            assert same(softmax.forward(z.copy()), expected)
            inplace = z.copy()
            assert softmax.forward(inplace, out=inplace) is inplace and same(inplace, expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_relu_keeps_the_dtype_and_the_numbers_of_maximum_with_zero(dtype):
    Z = np.array([[-2.0, -0.0, 0.0, 3.5, np.nan, -np.inf, np.inf]], dtype=dtype)
    A = ACTIVATIONS["relu"].forward(Z)
    assert same(A, np.maximum(Z, 0.0))
    assert np.array_equal(np.signbit(A), np.signbit(np.maximum(Z, 0.0)))


# ------------------------------------------------------------------ guards that must stay
FORMS = ["ready array", "other dtype", "list", "preprocessed"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize("form", FORMS)
def test_a_non_finite_input_is_the_same_one_line_error(bad, rows, dtype, form):
    # a ready array is checked by glassnet.inference, the others on their way in (check_X, finite_matrix)
    net = network("relu", "softmax", 3, dtype)
    X = np.ones((rows, 6), dtype=dtype)
    X[rows - 1, 4] = bad
    if form == "other dtype":
        X = X.astype(np.float16 if dtype == np.float64 else np.float64)
    elif form == "list":
        X = X.tolist()
    elif form == "preprocessed":
        net.preprocessing = Standardize().fit(np.random.default_rng(0).random((10, 6)))
    for call in (net.predict, net.predict_proba):
        with pytest.raises(ValueError, match=rf"^X contains NaN or infinite values \(first at row {rows - 1}, "
                                             r"column 4\); remove or impute them before training$"):
            call(X)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("rows", [1, 4])
def test_a_non_finite_input_is_found_through_the_first_product_even_where_its_weights_are_zero(bad, rows, dtype):
    # glassnet.inference checks X through Z = X @ W + b: an inf meeting only zero weights must still show (inf * 0)
    W = np.ones((3, 4))
    W[1] = 0.0
    for layers in ([Dense(3, 4, "sigmoid", init=W, bias=False), Dense(4, 2, "softmax")],
                   [Dense(3, 2, "softmax", init=W[:, :2])]):  # the first layer is the output layer too
        net = Network(layers)
        net.cast(dtype)
        X = np.ones((rows, 3), dtype=dtype)
        X[-1, 1] = bad
        for call in (net.predict, net.predict_proba):
            with pytest.raises(ValueError, match=rf"^X contains NaN or infinite values \(first at row {rows - 1}, "
                                                 r"column 1\)"):
                call(X)


def test_an_input_error_comes_before_an_overflow_in_another_row():
    net, big = overflowing(np.float32)
    X = np.array([[big, big, big], [1.0, 1.0, 1.0], [1.0, np.nan, 1.0]], dtype=np.float32)
    for call in (net.predict, net.predict_proba):
        with pytest.raises(ValueError, match=r"^X contains NaN or infinite values \(first at row 2, column 1\)"):
            call(X)


def test_a_non_finite_value_that_a_preprocessing_makes_is_the_same_error():
    class InfAboveFive:  # any object with transform(X) can be a network's preprocessing
        def transform(self, X):
            return np.where(X > 5, np.inf, X)

    net = network("relu", "softmax", 3, np.float64)  # float64 in and out: the transformed X is ready as it is
    net.preprocessing = InfAboveFive()
    X = np.ones((3, 6))
    X[2, 1] = 9.0
    for rows in (X, X[2:]):
        for call in (net.predict, net.predict_proba):
            with pytest.raises(ValueError, match=rf"^X contains NaN or infinite values \(first at row {len(rows) - 1}, "
                                                 r"column 1\)"):
                call(rows)


def test_check_X_leaves_the_finiteness_of_a_ready_array_to_its_caller_only_when_asked():
    net = network("relu", "softmax", 3, np.float32)
    X = np.full((2, 6), np.nan, dtype=np.float32)
    assert net.check_X(X, finite=False) is X
    with pytest.raises(ValueError, match="X contains NaN"):
        net.check_X(X)
    with pytest.raises(ValueError, match="X contains NaN"):
        net.check_X(X.astype(np.float64), finite=False)  # converted, hence checked


def overflowing(dtype, hidden="relu", out="softmax"):
    net = Network([Dense(3, 4, hidden, init=100.0), Dense(4, 3, out, init=[[100.0, -100.0, 1.0]] * 4)],
                  LOSS_FOR.get(out, "squared_error"))
    net.cast(dtype)
    big = float(np.finfo(dtype).max) / 1e2
    return net, big


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("out", ["softmax", "sigmoid", "linear"])
@pytest.mark.parametrize("rows", [1, 2, 100])
def test_an_overflow_is_one_value_error_and_no_warning_at_any_batch_size(dtype, out, rows):
    net, big = overflowing(dtype, out=out)
    X = np.ones((rows, 3))
    X[-1] = big
    if out == "sigmoid":  # the logits are +-inf, the probabilities 1 and 0: only predict, which checks Z, objects
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert same(net.predict_proba(X)[-1], np.array([1.0, 0.0, 1.0], dtype=dtype))
    for call in (net.predict,) if out == "sigmoid" else (net.predict, net.predict_proba):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=rf"^the network's output is NaN or infinite for 1 of {rows} rows of "
                                                 rf"X \(the first is row {rows - 1}\)") as info:
                call(X)
        assert "\n" not in str(info.value)


def test_the_callers_error_settings_neither_change_the_error_nor_are_changed():
    net, big = overflowing(np.float32)
    X = np.array([[big, big, big]])
    with np.errstate(all="raise"):
        for call in (net.predict, net.predict_proba):
            with pytest.raises(ValueError, match="the network's output is NaN or infinite"):
                call(X)
        assert np.geterr() == {"divide": "raise", "over": "raise", "under": "raise", "invalid": "raise"}
        assert net.predict_proba(np.ones((1, 3))).shape == (1, 3)  # and a good sample is still predicted


@pytest.mark.parametrize("rows", [1, 5])
def test_finite_outputs_too_large_to_square_are_returned(rows):
    # the guard's v . v overflows for them: the entry-by-entry check must then accept them
    net = Network([Dense(2, 3, "linear", init=1e15), Dense(3, 2, "linear", init=1e15)], "squared_error")
    net.cast(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Yhat = net.predict_proba(np.ones((rows, 2), dtype=np.float32))
        predicted = net.predict(np.ones((rows, 2), dtype=np.float32))
    assert np.isfinite(Yhat).all() and float(Yhat.max()) > 1e30
    assert same(predicted, Yhat)


def test_predicting_from_several_threads_gives_the_same_numbers_and_leaves_each_its_error_settings():
    net = network("sigmoid", "softmax", 3, np.float32)
    X = np.random.default_rng(4).random((200, 6), dtype=np.float32)
    expected = [net.predict_proba(X[i:i + 1]) for i in range(len(X))]

    def predict(i):
        setting = ("warn", "raise", "ignore", "print")[i % 4]
        with np.errstate(over=setting):
            got = [net.predict_proba(X[i:i + 1]) for _ in range(20)]
            assert np.geterr()["over"] == setting  # inference's own settings are gone, whoever ran alongside
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(predict, range(len(X))))
    assert all(same(a, b) for got, b in zip(results, expected) for a in got)


@pytest.mark.parametrize("version", ["1.26.4", "2.4.6"])
def test_the_error_settings_wrapper_works_as_numpy_1_and_2_would_use_it(monkeypatch, version):
    monkeypatch.setattr(np, "__version__", version)
    from glassnet.inference import _overflow_is_reported

    seen = _overflow_is_reported(np.geterr)
    with np.errstate(all="raise"):
        assert seen() == {"divide": "ignore", "over": "ignore", "under": "ignore", "invalid": "ignore"}
        assert np.geterr()["over"] == "raise"
