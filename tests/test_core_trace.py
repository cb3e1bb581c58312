"""trace_step: every recorded matrix against an independent computation; both renderings."""

import copy
import re

import numpy as np
import pytest

import glassnet
from glassnet import SGD, Dense, Network, format_matrix, format_number, trace_step

X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]])
y = np.array([1, 0, 2])
LR = 0.7


def net_with_bias():
    return Network([Dense(2, 3, "sigmoid"), Dense(3, 3, "softmax")], seed=3)


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def test_every_entry_of_a_softmax_cross_entropy_step():
    net = net_with_bias()
    W1, b1, W2, b2 = (p.copy() for p in net.parameters())
    t = trace_step(net, X, y, lr=LR)

    Y = np.eye(3)[y]
    Z1 = X @ W1 + b1
    A1 = sigmoid(Z1)
    Z2 = A1 @ W2 + b2
    A2 = np.exp(Z2) / np.exp(Z2).sum(axis=1, keepdims=True)
    loss_i = -np.log(A2[np.arange(3), y])
    dZ2 = (A2 - Y) / 3  # softmax + cross entropy, mean over 3 samples
    dW2, db2 = A1.T @ dZ2, dZ2.sum(axis=0)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * A1 * (1 - A1)
    dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
    expected = {
        "X": X, "Y": Y, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2,
        "loss_i": loss_i, "dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1,
        "W1_new": W1 - LR * dW1, "b1_new": b1 - LR * db1, "W2_new": W2 - LR * dW2, "b2_new": b2 - LR * db2,
    }
    assert set(t.names) == set(expected) | {"loss"}  # no dA2: the loss hands over a fused dZ2
    for name, value in expected.items():
        np.testing.assert_allclose(t[name], value, rtol=1e-12, atol=1e-15, err_msg=name)
    assert t["loss"] == pytest.approx(loss_i.mean(), rel=1e-14)
    assert "dA2" not in t and "Z1" in t
    assert t.fused


def test_non_fused_step_records_dA_and_skips_missing_biases():
    net = Network([Dense(2, 2, "tanh", bias=False), Dense(2, 2, "sigmoid")], loss="squared_error", seed=1)
    W1, W2, b2 = (p.copy() for p in net.parameters())
    T = np.array([[0.99, 0.01], [0.01, 0.99], [0.5, 0.5]])
    t = trace_step(net, X, T, lr=LR)

    Z1 = X @ W1
    A1 = np.tanh(Z1)
    A2 = sigmoid(A1 @ W2 + b2)
    dA2 = (A2 - T) / 3
    dZ2 = dA2 * A2 * (1 - A2)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (1 - A1**2)
    assert "b1" not in t and "db1" not in t and "b1_new" not in t
    assert not t.fused
    for name, value in {
        "Z1": Z1, "A2": A2, "dA2": dA2, "dZ2": dZ2, "dA1": dA1, "dZ1": dZ1,
        "W1_new": W1 - LR * (X.T @ dZ1), "W2_new": W2 - LR * (A1.T @ dZ2), "b2_new": b2 - LR * dZ2.sum(0),
    }.items():
        np.testing.assert_allclose(t[name], value, rtol=1e-12, atol=1e-15, err_msg=name)
    assert t["loss"] == pytest.approx(np.mean(0.5 * ((A2 - T) ** 2).sum(axis=1)), rel=1e-14)


def test_trace_step_updates_the_network_like_train_step():
    a = net_with_bias()
    b, c = copy.deepcopy(a), copy.deepcopy(a)
    trace_step(a, X, y, lr=LR)
    trace_step(c, X, y, optimizer=SGD(LR))
    b.train_step(X, y, SGD(LR))
    for p, q, r in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(p, q)
        np.testing.assert_array_equal(p, r)


def test_trace_default_learning_rate_is_0_1():
    a = net_with_bias()
    W1 = a.layers[0].W.copy()
    t = trace_step(a, X, y)
    np.testing.assert_allclose(t["W1_new"], W1 - 0.1 * t["dW1"], rtol=1e-14)


def test_entries_are_snapshots():
    net = net_with_bias()
    t = trace_step(net, X, y, lr=LR)
    W1 = t["W1"].copy()
    net.train_step(X, y, SGD(LR))
    np.testing.assert_array_equal(t["W1"], W1)
    assert not np.array_equal(t["W1_new"], net.layers[0].W)


def test_three_layer_trace():
    net = Network([Dense(2, 3, "relu"), Dense(3, 4, "tanh"), Dense(4, 2, "softmax")], seed=5)
    params = [p.copy() for p in net.parameters()]
    t = trace_step(net, X, [0, 1, 1], lr=LR)
    hidden = (lambda Z: np.maximum(Z, 0), np.tanh)
    A = X
    for l in range(3):
        W, b = params[2 * l], params[2 * l + 1]
        Z = A @ W + b
        np.testing.assert_allclose(t[f"Z{l + 1}"], Z, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(t[f"dW{l + 1}"], A.T @ t[f"dZ{l + 1}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(t[f"W{l + 1}_new"], W - LR * t[f"dW{l + 1}"], rtol=1e-12, atol=1e-15)
        if l < 2:
            A = hidden[l](Z)
            np.testing.assert_allclose(t[f"A{l + 1}"], A, rtol=1e-12, atol=1e-15)
    assert {f"dA{l}" for l in (1, 2)} <= set(t.names)


def test_augmented_view_folds_the_bias_into_the_weights():
    net = net_with_bias()
    t = trace_step(net, X, y, lr=LR)
    aug = t.augmented()
    for l, A_prev in ((1, t["X"]), (2, t["A1"])):
        np.testing.assert_array_equal(aug[f"X{l}"][:, 0], np.ones(3))
        np.testing.assert_array_equal(aug[f"X{l}"][:, 1:], A_prev)
        np.testing.assert_array_equal(aug[f"W{l}"], np.vstack([t[f"b{l}"], t[f"W{l}"]]))
        np.testing.assert_allclose(aug[f"X{l}"] @ aug[f"W{l}"], t[f"Z{l}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(aug[f"dW{l}"], aug[f"X{l}"].T @ t[f"dZ{l}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(aug[f"W{l}_new"], aug[f"W{l}"] - LR * aug[f"dW{l}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(aug[f"dZ{l}"], t[f"dZ{l}"])
    np.testing.assert_array_equal(aug["Yhat"], t["A2"])


def test_augmented_view_without_bias_has_no_ones_column():
    net = Network([Dense(2, 2, "sigmoid", bias=False), Dense(2, 2, "softmax")], seed=0)
    aug = trace_step(net, X, y % 2).augmented()
    assert aug["X1"].shape == (3, 2) and aug["W1"].shape == (2, 2)
    assert aug["X2"].shape == (3, 3) and aug["W2"].shape == (3, 2)


def test_format_matrix_by_hand():
    # widest cell "10.00" (5 characters): every cell is right-aligned to it; later rows indented under "M = "
    assert format_matrix([[1.5, -0.25], [10, 2]], "M", 2) == "M = [  1.50  -0.25 ]\n    [ 10.00   2.00 ]"
    assert format_matrix([[1, 0], [255, 7]]) == "[   1    0 ]\n[ 255    7 ]"  # whole numbers: no decimals
    assert format_matrix(0.123456, "loss", 3) == "loss = 0.123"
    assert format_matrix([0.5, -0.5], "b", 1) == "b = [  0.5  -0.5 ]"
    assert format_number(-0.000001, 3) == "0.000"  # no negative zero


def block_is_aligned(block):
    lines = block.splitlines()
    return len({line.index("[") for line in lines}) == 1 and len({line.rindex("]") for line in lines}) == 1


def test_standard_render_contains_every_matrix_aligned():
    t = trace_step(net_with_bias(), X, y, lr=LR)
    text = t.render(decimals=4)
    for name in ("X", "W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "Y", "loss_i", "dZ2", "dW2", "db2", "dA1",
                 "dZ1", "dW1", "db1"):
        block = format_matrix(t[name], name, 4)
        assert block in text, name
        assert block_is_aligned(block)
    assert format_matrix(t["W1_new"], "W1", 4) in text
    assert f"loss = mean(loss_i) = {format_number(t['loss'], 4)}" in text
    assert "{loss}" not in text
    assert "Z1 = X @ W1 + b1" in text and "dW1 = X.T @ dZ1" in text and "Z2 = A1 @ W2 + b2" in text


def test_augmented_render():
    t = trace_step(net_with_bias(), X, y, lr=LR)
    aug = t.augmented()
    text = t.render(notation="augmented")
    for name in ("X1", "W1", "Z1", "X2", "W2", "Z2", "Yhat"):
        assert format_matrix(aug[name], name, 5) in text, name
    assert format_matrix(aug["dW1"], "dW1", 5) in text
    assert format_matrix(aug["W2_new"], "W2", 5) in text
    assert "Z1 = X1 @ W1" in text
    assert not re.search(r"^b\d = ", text, re.MULTILINE)  # biases live inside W


@pytest.mark.parametrize("notation", ["standard", "augmented"])
def test_render_only_the_requested_parts(notation):
    t = trace_step(net_with_bias(), X, y, lr=LR)
    headings = {"forward": "== Forward pass", "loss": "== Loss ==", "backward": "== Backward pass ==",
                "update": "== Update =="}
    for parts in (("forward",), ("loss",), ("backward", "update"), ("forward", "loss", "backward", "update")):
        text = t.render(notation=notation, parts=parts)
        for part, heading in headings.items():
            assert (heading in text) == (part in parts), (parts, part)
    forward_only = t.render(notation=notation, parts=("forward",))
    assert "dW1" not in forward_only and "loss_i" not in forward_only


def test_render_respects_decimals():
    t = trace_step(net_with_bias(), X, y, lr=LR)
    assert format_matrix(t["Z1"], "Z1", 2) in t.render(decimals=2)
    assert format_matrix(t["Z1"], "Z1", 2) not in t.render(decimals=6)


def test_as_dict_is_plain_data():
    t = trace_step(net_with_bias(), X, y, lr=LR)
    d = t.as_dict()
    assert d["Z1"] == t["Z1"].tolist() and d["loss"] == t["loss"]
    assert t.as_dict("augmented")["X1"] == t.augmented()["X1"].tolist()
    assert "layers=2" in repr(t)


def test_bad_render_arguments():
    t = trace_step(net_with_bias(), X, y, lr=LR)
    with pytest.raises(ValueError, match="notation.*'column'"):
        t.render(notation="column")
    with pytest.raises(ValueError, match="parts.*gradients"):
        t.render(parts=("forward", "gradients"))
    with pytest.raises(TypeError, match=r"notation must be a string.*got 2 \(int\)"):
        t.render(notation=2)
    # as_dict checks its notation too, rather than reading anything but "standard" as augmented
    with pytest.raises(ValueError, match="unknown notation 'column'; expected one of"):
        t.as_dict("column")


def test_bad_trace_step_arguments():
    net = net_with_bias()
    with pytest.raises(ValueError, match="optimizer.*lr"):
        trace_step(net, X, y, optimizer=SGD(0.1), lr=0.1)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(TypeError, match=r"optimizer must have a step\(params, grads\) method, got 'sgd' \(str\)"):
        trace_step(net, X, y, optimizer="sgd")
    for p, q in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, q)  # the network is left as it was
    with pytest.raises(ValueError, match="lr"):
        trace_step(net, X, y, lr=-1.0)
    with pytest.raises(ValueError, match="X"):
        trace_step(net, X[:, :1], y)
    with pytest.raises(ValueError, match="y"):
        trace_step(net, X, [0, 1])


def test_public_names():
    assert glassnet.Trace is type(trace_step(net_with_bias(), X, y))
