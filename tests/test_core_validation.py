"""Bad input at the public boundary: a ValueError or TypeError that names the argument and shows what it got."""

import re

import numpy as np
import pytest

from glassnet import SGD, Dense, Network, Normal, Uniform, gradient_check, trace_step
from glassnet.initializers import Constant

X_OK = np.array([[0.1, 0.2], [0.3, -0.4], [1.0, 0.5], [-0.2, 0.8]])
Y_OK = np.array([0, 1, 2, 1])


def net():
    return Network([Dense(2, 3, "tanh"), Dense(3, 3, "softmax")], seed=0)


# Every public entry point that takes X, and the name its errors must use.
X_ENTRIES = {
    "fit": ("X", lambda n, X: n.fit(X, Y_OK, epochs=1)),
    "train_step": ("X", lambda n, X: n.train_step(X, Y_OK, SGD(0.1))),
    "forward": ("X", lambda n, X: n.forward(X)),
    "predict": ("X", lambda n, X: n.predict(X)),
    "predict_proba": ("X", lambda n, X: n.predict_proba(X)),
    "evaluate": ("X", lambda n, X: n.evaluate(X, Y_OK)),
    "validation_data": ("validation_data X", lambda n, X: n.fit(X_OK, Y_OK, epochs=1, validation_data=(X, Y_OK))),
    "trace_step": ("X", lambda n, X: trace_step(n, X, Y_OK)),
    "gradient_check": ("X", lambda n, X: gradient_check(n, X, Y_OK)),
}


def forward_then_backward(n, y):
    n.forward(X_OK)
    return n.backward(y)


# Every public entry point that takes targets y.
Y_ENTRIES = {
    "fit": ("y", lambda n, y: n.fit(X_OK, y, epochs=1)),
    "train_step": ("y", lambda n, y: n.train_step(X_OK, y, SGD(0.1))),
    "evaluate": ("y", lambda n, y: n.evaluate(X_OK, y)),
    "backward": ("y", forward_then_backward),
    "validation_data": ("validation_data y", lambda n, y: n.fit(X_OK, Y_OK, epochs=1, validation_data=(X_OK, y))),
    "trace_step": ("y", lambda n, y: trace_step(n, X_OK, y)),
    "gradient_check": ("y", lambda n, y: gradient_check(n, X_OK, y)),
}


def with_value(value, row=1, col=1):
    X = X_OK.copy()
    X[row, col] = value
    return X


# (case id, bad X, error type, regex after the argument name, substrings the message must also show)
BAD_X = [
    ("nan", with_value(np.nan), ValueError, "contains NaN or infinite", ["row 1, column 1"]),
    ("inf", with_value(np.inf, 2, 0), ValueError, "contains NaN or infinite", ["row 2, column 0"]),
    ("-inf", with_value(-np.inf, 0, 1), ValueError, "contains NaN or infinite", ["row 0, column 1"]),
    ("3 columns", np.ones((4, 3)), ValueError, "has 3 columns .* expects 2 inputs", ["(4, 3)", "(n_samples, 2)"]),
    ("1 column", np.ones((4, 1)), ValueError, "has 1 columns .* expects 2 inputs", ["(4, 1)", "(n_samples, 2)"]),
    ("0 rows", np.zeros((0, 2)), ValueError, "is empty", ["(0, 2)"]),
    ("0 columns", np.zeros((4, 0)), ValueError, "is empty", ["(4, 0)"]),
    ("empty list", [], ValueError, "is empty", []),
    ("3-D", np.ones((4, 2, 1)), ValueError, "must be 2-D", ["(4, 2, 1)"]),
    ("strings", [["a", "b"], ["c", "d"]], TypeError, "must be a 2-D numeric array", ["'a'"]),
    ("ragged", [[1.0, 2.0], [3.0]], TypeError, "must be a 2-D numeric array", ["[[1.0, 2.0], [3.0]]"]),
    ("None", None, TypeError, "must be a 2-D numeric array", ["None"]),
    ("objects", np.array([[1.0, {}]], dtype=object), TypeError, "must be a 2-D numeric array", ["object"]),
]


@pytest.mark.parametrize("entry", list(X_ENTRIES))
@pytest.mark.parametrize(("case", "X", "error", "pattern", "shown"), BAD_X, ids=[c[0] for c in BAD_X])
def test_bad_X_everywhere(entry, case, X, error, pattern, shown):
    name, call = X_ENTRIES[entry]
    with pytest.raises(error, match=re.escape(name) + " " + pattern) as info:
        call(net(), X)
    for text in shown:
        assert text in str(info.value)


@pytest.mark.parametrize("entry", list(X_ENTRIES))
def test_complex_X_is_refused_not_silently_truncated(entry):
    name, call = X_ENTRIES[entry]
    with pytest.raises(TypeError, match=re.escape(name)):
        call(net(), X_OK + 1j)


def target_matrix_with_nan():
    Y = np.eye(3)[Y_OK]
    Y[2, 0] = np.nan
    return Y


BAD_Y = [
    ("nan label", [0, np.nan, 1, 2], ValueError, "", ["nan"]),
    ("inf label", [0, np.inf, 1, 2], ValueError, "", ["inf"]),
    ("nan in target matrix", target_matrix_with_nan(), ValueError, "contains NaN or infinite", ["row 2, column 0"]),
    ("3 labels for 4 samples", [0, 1, 2], ValueError, "has 3 rows but X has 4 samples", []),
    ("5 labels for 4 samples", [0, 1, 2, 0, 1], ValueError, "has 5 rows but X has 4 samples", []),
    ("label too big", [0, 1, 3, 1], ValueError, "", ["[2] is 3; class labels must be whole numbers 0 to 2"]),
    ("negative label", [0, -1, 2, 1], ValueError, "", ["[1] is -1; class labels must be whole numbers 0 to 2"]),
    ("non-integer label", [0, 0.5, 1, 2], ValueError, "", ["[1] is 0.5; class labels must be whole numbers 0 to 2"]),
    ("target matrix columns", np.ones((4, 2)), ValueError, "has 2 columns but the network has 3 outputs", ["(4, 2)"]),
    ("strings", ["a", "b", "c", "d"], TypeError, "must be numeric", []),
    ("None", None, TypeError, "must be numeric", ["None"]),
    ("3-D", np.zeros((4, 3, 1)), ValueError, "must be 1-D labels or a 2-D target matrix", ["(4, 3, 1)"]),
    ("scalar", 1, ValueError, "must be 1-D labels or a 2-D target matrix", ["()"]),
]


@pytest.mark.parametrize("entry", list(Y_ENTRIES))
@pytest.mark.parametrize(("case", "y", "error", "pattern", "shown"), BAD_Y, ids=[c[0] for c in BAD_Y])
def test_bad_y_everywhere(entry, case, y, error, pattern, shown):
    name, call = Y_ENTRIES[entry]
    with pytest.raises(error, match=re.escape(name) + (" " + pattern if pattern else "")) as info:
        call(net(), y)
    for text in shown:
        assert text in str(info.value)


@pytest.mark.parametrize("y", [[0, 2, 1, 0], [0, -1, 1, 1], [0, 0.5, 1, 1.5]])
def test_one_output_network_refuses_targets_outside_0_1_for_cross_entropy_losses(y):
    n = Network([Dense(2, 1, "sigmoid")], loss="binary_cross_entropy", seed=0)
    with pytest.raises(ValueError, match="y"):
        n.fit(X_OK, y, epochs=1)


def test_one_output_squared_error_network_accepts_any_real_target():
    # regression: targets are not classes, so no range applies
    n = Network([Dense(2, 1, "linear")], loss="squared_error", seed=0)
    T = np.array([-3.5, 0.0, 2.25, 10.0])
    assert n.evaluate(X_OK, T)["loss"] == pytest.approx(np.mean(0.5 * (n.forward(X_OK)[:, 0] - T) ** 2))


@pytest.mark.parametrize(("value", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError),
                                              (True, TypeError), ("3", TypeError), (None, TypeError)])
def test_bad_epochs(value, error):
    with pytest.raises(error, match="epochs") as info:
        net().fit(X_OK, Y_OK, epochs=value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize(("value", "error"), [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                              (True, TypeError), ("1", TypeError)])
def test_bad_batch_size(value, error):
    with pytest.raises(error, match="batch_size") as info:
        net().fit(X_OK, Y_OK, epochs=1, batch_size=value)
    assert repr(value) in str(info.value)


BAD_LR = [(0, ValueError), (-0.1, ValueError), (np.nan, ValueError), (np.inf, ValueError), (-np.inf, ValueError),
          (True, TypeError), ("0.1", TypeError), ([0.1], TypeError)]
LR_ENTRIES = {
    "fit": lambda lr: net().fit(X_OK, Y_OK, epochs=1, lr=lr),
    "SGD": lambda lr: SGD(lr),
    "trace_step": lambda lr: trace_step(net(), X_OK, Y_OK, lr=lr),
}


@pytest.mark.parametrize("entry", list(LR_ENTRIES))
@pytest.mark.parametrize(("value", "error"), BAD_LR, ids=[repr(v) for v, _ in BAD_LR])
def test_bad_learning_rate(entry, value, error):
    with pytest.raises(error, match=r"\blr\b") as info:
        LR_ENTRIES[entry](value)
    assert repr(value) in str(info.value)


def test_optimizer_and_lr_together():
    for call in (lambda: net().fit(X_OK, Y_OK, optimizer=SGD(0.1), lr=0.1),
                 lambda: trace_step(net(), X_OK, Y_OK, optimizer=SGD(0.1), lr=0.1)):
        with pytest.raises(ValueError, match="optimizer.*lr"):
            call()


def test_fit_refuses_an_optimizer_without_step():
    with pytest.raises(TypeError, match="optimizer.*0.1"):
        net().fit(X_OK, Y_OK, optimizer=0.1)


def test_train_step_refuses_an_optimizer_without_step():
    with pytest.raises(TypeError, match="optimizer"):
        net().train_step(X_OK, Y_OK, 0.1)


@pytest.mark.parametrize(
    "value", [X_OK, (X_OK,), (X_OK, Y_OK, Y_OK, Y_OK), "data", 3], ids=["array", "one item", "four items", "str", "int"]
)
def test_validation_data_must_be_a_pair(value):
    with pytest.raises(TypeError, match="validation_data must be a pair"):
        net().fit(X_OK, Y_OK, epochs=1, validation_data=value)


def test_callbacks_must_be_callables():
    with pytest.raises(TypeError, match="callbacks.*'not callable'"):
        net().fit(X_OK, Y_OK, epochs=1, callbacks=["not callable"])


def test_callbacks_none_means_no_callbacks_or_a_clear_error():
    try:
        history = net().fit(X_OK, Y_OK, epochs=2, callbacks=None)
    except TypeError as exc:
        assert "callbacks" in str(exc)
    else:
        assert history.epochs == 2


@pytest.mark.parametrize(
    ("out", "loss"),
    [("relu", "cross_entropy"), ("linear", "cross_entropy"), ("tanh", "cross_entropy"),
     ("relu", "binary_cross_entropy"), ("linear", "binary_cross_entropy"), ("tanh", "binary_cross_entropy")],
)
def test_loss_incompatible_with_the_output_activation(out, loss):
    with pytest.raises(ValueError, match=f"loss '{loss}'.*'{out}'.*squared_error"):
        Network([Dense(2, 3, "tanh"), Dense(3, 2, out)], loss=loss)


def test_unknown_names():
    with pytest.raises(ValueError, match="activation 'swish'.*sigmoid"):
        Dense(2, 2, activation="swish")
    with pytest.raises(TypeError, match="activation"):
        Dense(2, 2, activation=None)
    with pytest.raises(ValueError, match="loss 'mse'.*squared_error"):
        Network([Dense(2, 2)], loss="mse")
    with pytest.raises(TypeError, match="loss"):
        Network([Dense(2, 2)], loss=None)
    with pytest.raises(ValueError, match="init 'xavier'.*glorot"):
        Dense(2, 2, init="xavier")
    with pytest.raises(TypeError, match="init.*object"):
        Dense(2, 2, init=object())
    with pytest.raises(TypeError, match="init.*True"):
        Dense(2, 2, init=True)


def test_layer_sizes_must_chain():
    with pytest.raises(ValueError, match=r"layers\[0\] has 3 outputs but layers\[1\] expects 4 inputs"):
        Network([Dense(2, 3), Dense(4, 1)])
    with pytest.raises(ValueError, match=r"layers\[1\] has 5 outputs but layers\[2\] expects 2 inputs"):
        Network([Dense(2, 3), Dense(3, 5), Dense(2, 1)])


@pytest.mark.parametrize(
    ("layers", "error", "pattern"),
    [
        ([Dense(2, 3), "Dense(3, 1)"], TypeError, r"layers\[1\] must be a Dense layer.*'Dense\(3, 1\)'"),
        ([None], TypeError, r"layers\[0\] must be a Dense layer.*None"),
        ([], ValueError, r"layers must be a non-empty list.*\[\]"),
        (None, ValueError, r"layers must be a non-empty list.*None"),
        ("dense", ValueError, r"layers must be a non-empty list.*'dense'"),
    ],
)
def test_layers_must_be_dense(layers, error, pattern):
    with pytest.raises(error, match=pattern):
        Network(layers)


@pytest.mark.parametrize("arg", ["n_in", "n_out"])
@pytest.mark.parametrize(
    ("value", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError), ("3", TypeError),
                         (None, TypeError)]
)
def test_bad_layer_sizes(arg, value, error):
    sizes = {"n_in": 2, "n_out": 2, arg: value}
    with pytest.raises(error, match=arg) as info:
        Dense(**sizes)
    assert repr(value) in str(info.value)


def test_bias_must_be_bool():
    with pytest.raises(TypeError, match="bias.*1"):
        Dense(2, 2, bias=1)


@pytest.mark.parametrize(("low", "high"), [(0.1, -0.1), (0.0, 0.0), (np.nan, 1.0), (0.0, np.inf)])
def test_uniform_needs_finite_low_below_high(low, high):
    with pytest.raises(ValueError, match=f"low={low!r}, high={high!r}"):
        Uniform(low, high)


@pytest.mark.parametrize(("std", "error"), [(0, ValueError), (-0.1, ValueError), (np.nan, ValueError),
                                            (np.inf, ValueError), ("0.1", TypeError)])
def test_normal_needs_positive_std(std, error):
    with pytest.raises(error, match="std"):
        Normal(0.0, std)


@pytest.mark.parametrize("mean", [np.nan, np.inf])
def test_normal_needs_finite_mean(mean):
    with pytest.raises(ValueError, match="mean"):
        Normal(mean, 0.1)


def test_constant_must_be_finite():
    with pytest.raises(ValueError, match="nan"):
        Constant(np.nan)
    with pytest.raises(ValueError, match="inf"):
        Dense(2, 2, init=np.inf)


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError),
                                             ("0", TypeError)])
def test_network_seed(seed, error):
    with pytest.raises(error, match="seed"):
        Network([Dense(2, 2)], seed=seed)


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.5, TypeError), ("0", TypeError)])
def test_dense_seed(seed, error):
    with pytest.raises(error, match="seed"):
        Dense(2, 2, seed=seed)


def test_valid_calls_still_work():
    # the happy path of every entry point above (each on a fresh float64 network, since a default fit
    # leaves float32 parameters), so the failures above are about the bad value alone
    for _, call in X_ENTRIES.values():
        call(net(), X_OK)
    for _, call in Y_ENTRIES.values():
        call(net(), Y_OK)
    net().fit(X_OK, Y_OK, epochs=np.int64(2), batch_size=np.int64(3), lr=np.float32(0.1))


COMPLEX_Y = [np.array([0, 1, 1, 0], dtype=complex), np.array([[1, 0], [0, 1], [0, 1], [1, 0]], dtype=complex)]


@pytest.mark.parametrize("y", COMPLEX_Y, ids=["labels", "targets"])
def test_complex_y_is_refused_not_silently_truncated(y):
    net = Network([Dense(3, 2, "softmax")], seed=0)
    with pytest.raises(TypeError, match=r"y must be numeric labels or a target matrix, got an array of shape \(4"):
        net.fit(np.ones((4, 3)), y, epochs=1)


def test_a_one_node_softmax_output_is_refused():
    with pytest.raises(ValueError, match="a softmax output layer needs at least 2 nodes"):
        Network([Dense(3, 1, "softmax")])
