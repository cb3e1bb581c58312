"""Angad Sandhu's tutorial: glassnet's four steps against a separate column-vector NumPy version."""

import json

import numpy as np
import pytest

import glassnet
from glassnet.tutorials import run, sandhu


@pytest.fixture(scope="module")
def result():
    return run("sandhu")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sandhu_numpy(W, b, examples, alpha, iterations):
    """Sandhu's algorithm in his own layout: columns, W_i of shape (n_i, n_(i-1)), loss (y - yhat)^2 with dZ3 =
    (yhat - y) sigma'(Z3). Returns one dict per update."""
    W = [np.array(w, dtype=float) for w in W]
    b = [np.array(v, dtype=float).reshape(-1, 1) for v in b]
    steps = []
    for _ in range(iterations):
        for x, y in examples:
            A = [np.array([[x]])]
            Z = []
            for Wi, bi in zip(W, b):
                Z.append(Wi @ A[-1] + bi)
                A.append(sigmoid(Z[-1]))
            yhat = A[-1][0, 0]
            dZ = [None] * 3
            dZ[2] = (A[3] - y) * A[3] * (1 - A[3])
            for i in (1, 0):
                dZ[i] = (W[i + 1].T @ dZ[i + 1]) * A[i + 1] * (1 - A[i + 1])
            dW = [dZ[i] @ A[i].T for i in range(3)]
            step = {"yhat": yhat, "L": (y - yhat) ** 2}
            for i in range(3):
                step[f"Z{i + 1}"], step[f"A{i + 1}"], step[f"dZ{i + 1}"] = Z[i], A[i + 1], dZ[i]
                step[f"dW{i + 1}"], step[f"W{i + 1}"], step[f"b{i + 1}"] = dW[i], W[i].copy(), b[i].copy()
            for i in range(3):
                W[i] = W[i] - alpha * dW[i]
                b[i] = b[i] - alpha * dZ[i]
                step[f"W{i + 1}_new"], step[f"b{i + 1}_new"] = W[i].copy(), b[i].copy()
            steps.append(step)
    return steps


def test_setup_matches_the_seed(result):
    d = result.data
    assert d["sizes"] == [1, 4, 3, 1] and d["lr"] == 1.0 and d["seed"] == 0
    assert d["X"] == [2.0, 3.0] and d["Y"] == [1.0, 0.0]
    # Sandhu's shapes: W_i is (n_i, n_(i-1)), b_i has n_i entries
    for i, (n_prev, n) in enumerate(zip(d["sizes"], d["sizes"][1:]), 1):
        assert np.shape(d["initial"][f"W{i}"]) == (n, n_prev)
        assert np.shape(d["initial"][f"b{i}"]) == (n,)
    steps = d["steps"]
    assert [(s["iteration"], s["example"], s["x"], s["y"]) for s in steps] == [
        (1, 1, 2.0, 1.0), (1, 2, 3.0, 0.0), (2, 1, 2.0, 1.0), (2, 2, 3.0, 0.0)]


def test_initial_weights_are_seeded_normal_draws(result):
    # Network(seed=0) draws W1, b1, W2, b2, W3, b3 in turn from default_rng(0), glassnet's layout (n_in, n_out).
    rng = np.random.default_rng(0)
    for i, (n_prev, n) in enumerate(zip((1, 4, 3), (4, 3, 1)), 1):
        W = rng.normal(0.0, 1.0, size=(n_prev, n))
        b = rng.normal(0.0, 1.0, size=n)
        np.testing.assert_array_equal(result.data["initial"][f"W{i}"], W.T)
        np.testing.assert_array_equal(result.data["initial"][f"b{i}"], b)


def test_four_steps_match_column_vector_numpy(result):
    d = result.data
    W0 = [d["initial"][f"W{i}"] for i in (1, 2, 3)]
    b0 = [d["initial"][f"b{i}"] for i in (1, 2, 3)]
    expected = sandhu_numpy(W0, b0, list(zip(d["X"], d["Y"])), d["lr"], iterations=2)
    assert len(d["steps"]) == len(expected) == 4
    for got, want in zip(d["steps"], expected):
        assert abs(got["yhat"] - want["yhat"]) < 1e-12
        assert abs(got["A3"][0] - want["yhat"]) < 1e-12
        assert abs(got["L"] - want["L"]) < 1e-12
        assert abs(got["glassnet_loss"] - want["L"] / 2) < 1e-12
        for name in ("Z1", "A1", "Z2", "A2", "Z3", "A3", "dZ1", "dZ2", "dZ3", "b1_new", "b2_new", "b3_new"):
            np.testing.assert_allclose(got[name], want[name][:, 0], rtol=0, atol=1e-12, err_msg=name)
        for name in ("W1", "W2", "W3", "dW1", "dW2", "dW3", "W1_new", "W2_new", "W3_new"):
            np.testing.assert_allclose(got[name], want[name], rtol=0, atol=1e-12, err_msg=name)
        # db equals dZ for a single example
        for i in (1, 2, 3):
            assert got[f"db{i}"] == got[f"dZ{i}"]


def test_sandhu_view_is_the_transpose_of_glassnet(result):
    net = sandhu.network()
    W = [layer.W.copy() for layer in net.layers]
    tr = glassnet.trace_step(net, [[2.0]], [[1.0]], lr=1.0)
    view = sandhu.sandhu_view(tr)
    for i in (1, 2, 3):
        np.testing.assert_array_equal(view[f"W{i}"], W[i - 1].T)
        np.testing.assert_array_equal(view[f"dW{i}"], tr[f"dW{i}"].T)
        np.testing.assert_array_equal(view[f"Z{i}"], tr[f"Z{i}"].T)
    assert view["L"] == pytest.approx(2 * tr["loss"], rel=1e-14)


def test_twenty_five_iterations(result):
    rows = result.data["iterations_25"]
    assert [r["iteration"] for r in rows] == list(range(1, 26))
    d = result.data
    # Iteration 1 and 2 of the fit continue exactly from the stepped run: after the fit's 2nd iteration the
    # outputs are those of a fresh NumPy run of 2 iterations.
    W0 = [d["initial"][f"W{i}"] for i in (1, 2, 3)]
    b0 = [d["initial"][f"b{i}"] for i in (1, 2, 3)]
    last_of_two = sandhu_numpy(W0, b0, list(zip(d["X"], d["Y"])), 1.0, iterations=2)[-1]
    W, b = [last_of_two[f"W{i}_new"] for i in (1, 2, 3)], [last_of_two[f"b{i}_new"] for i in (1, 2, 3)]
    for k, x in enumerate(d["X"]):
        a = np.array([[x]])
        for Wi, bi in zip(W, b):
            a = sigmoid(Wi @ a + bi)
        assert abs(rows[1]["yhat"][k] - a[0, 0]) < 1e-12
    last = rows[-1]
    assert last["L"] == pytest.approx([(y - p) ** 2 for y, p in zip(d["Y"], last["yhat"])], rel=1e-14)
    # The outputs drift to 0.5 and the mean loss to about 0.25, not 0.5; one of two right.
    assert all(abs(p - 0.5) < 0.05 for p in last["yhat"])
    assert abs(np.mean(last["L"]) - 0.25) < 0.01
    assert last["accuracy"] == 0.5
    for r in rows:  # an output of 0.5 or more is the class "even" (target 1)
        assert r["accuracy"] == np.mean([(p >= 0.5) == (t == 1) for p, t in zip(r["yhat"], d["Y"])])
    assert [other["seed"] for other in d["iterations_25_other_seeds"]] == [1, 2, 3, 4, 5]
    for other in d["iterations_25_other_seeds"]:
        assert abs(np.mean(other["L"]) - 0.25) < 0.02


def test_seed_outputs_are_not_claimed(result):
    text = result.text()
    assert "cannot be reproduced" in text
    ours = [s["yhat"] for s in result.data["steps"][:3]]
    assert f"A3 = {ours[0]:.4f}, {ours[1]:.4f}, {ours[2]:.4f}" in text


def test_errata_numbers(result):
    text = result.text()
    assert f"{1 / (1 - np.exp(-2.0)):.4f} at x = 2" in text  # the sign-flipped sigmoid leaves (0, 1)
    values = np.concatenate([np.ravel(v) for v in result.data["initial"].values()])
    assert values.min() < 0 and values.max() > 1  # N(0, 1) draws are not confined to [0, 1]
    assert f"from {values.min():.2f} to {values.max():.2f}" in text
    assert len(result.errata) >= 12


def test_text_trace_and_json(result):
    text = result.text()
    assert "Step 1: iteration 1, example 1 (x = 2, y = 1), in Sandhu's notation" in text
    assert text.count("new W3 = ") == 4
    assert "== Forward pass ==" not in text
    traced = run("sandhu", trace=True).text()
    assert traced.count("== Forward pass ==") == 4
    assert traced.count("in Sandhu's notation") == 4
    back = json.loads(json.dumps(result.as_dict()))
    assert back["results"]["steps"][0]["A3"] == result.data["steps"][0]["A3"]
    with pytest.raises(TypeError):
        run("sandhu", hidden=3)
