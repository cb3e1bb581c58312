"""Shubhang Desai's tutorial (A soft introduction to neural networks): softmax regression on the 16-row table."""

import json

import numpy as np
import pytest

import glassnet.tutorials
from glassnet import datasets


@pytest.fixture(scope="module")
def result():
    return glassnet.tutorials.run("desai")


@pytest.fixture(scope="module")
def traced():
    return glassnet.tutorials.run("desai", trace=True)


def numpy_run(seed, alpha, summed, iterations=4000):
    """The training loop in plain NumPy, drawing from the generator in the order the tutorial documents:
    W first (N(0, 1)), then 4 row numbers with replacement per iteration."""
    X, y = datasets.toy16()
    Xt, yt, Xv, yv = X[:8], y[:8], X[8:12], y[8:12]
    rng = np.random.default_rng(seed)
    W, b = rng.normal(0.0, 1.0, size=(4, 2)), np.zeros(2)
    batch_acc, val_acc = [], []
    for i in range(1, iterations + 1):
        rows = rng.integers(0, 8, size=4)
        Xb, yb = Xt[rows], yt[rows]
        Z = Xb @ W + b
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        if i % 100 == 0:
            batch_acc.append((i, float(np.mean(P.argmax(1) == yb))))
        dZ = P - np.eye(2)[yb]
        if not summed:
            dZ /= len(rows)
        W -= alpha * Xb.T @ dZ
        b -= alpha * dZ.sum(axis=0)
        if i % 500 == 0:
            val_acc.append((i, float(np.mean((Xv @ W + b).argmax(1) == yv))))
    return W, b, batch_acc, val_acc


def test_reaches_the_tutorials_100_percent(result):
    assert result.data["test_accuracy"] == 1.0
    assert result.data["val_accuracy"][-1] == (4000, 1.0)
    assert result.data["lr"] == pytest.approx(0.04)


def test_logs_have_the_tutorials_schedule(result):
    assert [i for i, _ in result.data["train_accuracy"]] == list(range(100, 4001, 100))
    assert [i for i, _ in result.data["val_accuracy"]] == list(range(500, 4001, 500))
    # a 4-row minibatch can only score 0, 0.25, 0.5, 0.75 or 1
    assert {v * 4 for _, v in result.data["train_accuracy"]} <= {0.0, 1.0, 2.0, 3.0, 4.0}


def test_matches_an_independent_numpy_run(result):
    W, b, batch_acc, val_acc = numpy_run(seed=0, alpha=0.04, summed=False)
    np.testing.assert_allclose(result.data["W"], W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.data["b"], b, rtol=1e-10, atol=1e-12)
    assert result.data["train_accuracy"] == batch_acc
    assert result.data["val_accuracy"] == val_acc
    np.testing.assert_allclose(result.data["W_start"], np.random.default_rng(0).normal(0, 1, (4, 2)))


def test_lr_four_alpha_on_the_mean_is_the_tutorials_summed_step(result):
    W, b, _, _ = numpy_run(seed=0, alpha=0.01, summed=True)
    np.testing.assert_allclose(result.data["W"], W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.data["b"], b, rtol=1e-9, atol=1e-12)


def test_stated_alpha_run_is_reported(result):
    literal = result.data["stated_alpha_run"]
    W, b, _, val_acc = numpy_run(seed=0, alpha=0.01, summed=False)
    assert literal["lr"] == 0.01
    np.testing.assert_allclose(literal["W"], W, rtol=1e-10, atol=1e-12)
    assert literal["val_accuracy"] == val_acc
    assert f"At lr 0.01 on the mean loss: test accuracy {literal['test_accuracy']:.2f}" in result.text()


def test_text_is_a_compact_table(result):
    text = result.text()
    table = text[text.index("iteration  minibatch acc"):text.index("test accuracy at the end")]
    assert len(table.strip().splitlines()) == 1 + 8
    assert "test accuracy at the end: 1.00" in text
    assert "W = [" in text and "b = [" in text and "Glossary" in text
    assert "Trace of iteration 1" not in text and "trace" not in result.data


def test_repeated_rows_are_found_from_the_data(result):
    X, _ = datasets.toy16()
    pairs = [[i, j] for i in range(16) for j in range(i + 1, 16) if (X[i] == X[j]).all()]
    assert [r["rows"] for r in result.data["repeated_rows"]] == pairs == [[0, 9], [1, 2], [14, 15]]
    assert result.data["repeated_rows"][0]["splits"] == ["train", "validation"]
    assert "rows 0 (train) and 9 (validation) are both [1, 1, 0, 1]" in result.errata[6].fix


def test_trace_of_the_first_iteration(traced, result):
    tr = traced.data["trace"]
    first_rows = np.random.default_rng(0)
    first_rows.normal(size=(4, 2))
    X, y = datasets.toy16()
    rows = first_rows.integers(0, 8, size=4)
    np.testing.assert_array_equal(tr["standard"]["X"], X[rows])
    np.testing.assert_allclose(tr["standard"]["W1"], traced.data["W_start"])
    np.testing.assert_allclose(tr["augmented"]["W1"][0], [0.0, 0.0])
    Yhat = np.array(tr["standard"]["A1"])
    np.testing.assert_allclose(tr["standard"]["dZ1"], (Yhat - np.eye(2)[y[rows]]) / 4, atol=1e-15)
    text = traced.text()
    assert "Trace of iteration 1 (standard notation)" in text and "dW1 = X1.T @ dZ1" in text
    # tracing the first step does not change the run
    assert traced.data["W"] == result.data["W"]


def test_json_round_trip(traced):
    back = json.loads(json.dumps(traced.as_dict()))
    assert back["tutorial"] == "desai"
    data = back["results"]
    assert data["W"] == traced.data["W"] and data["b"] == traced.data["b"]
    assert data["test_accuracy"] == traced.data["test_accuracy"]
    assert data["val_accuracy"] == [list(p) for p in traced.data["val_accuracy"]]
    assert data["trace"]["standard"]["loss"] == traced.data["trace"]["standard"]["loss"]
    assert len(back["errata"]) == 9


def test_other_seed_and_short_run():
    short = glassnet.tutorials.run("desai", seed=5, iterations=250)
    assert len(short.data["train_accuracy"]) == 2 and short.data["val_accuracy"] == []
    W, _, _, _ = numpy_run(seed=5, alpha=0.04, summed=False, iterations=250)
    np.testing.assert_allclose(short.data["W"], W, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options, error, word", [
    ({"lr": 0}, ValueError, "lr"),
    ({"seed": -1}, ValueError, "seed"),
    ({"iterations": 0}, ValueError, "iterations"),
    ({"iterations": 10.5}, TypeError, "iterations"),
])
def test_bad_options_are_rejected(options, error, word):
    with pytest.raises(error, match=word):
        glassnet.tutorials.run("desai", **options)
