"""Tariq Rashid's Make Your Own Neural Network: every printed number, the update rules and the MNIST-CSV reader."""

import json
import math

import numpy as np
import pytest

from glassnet.tutorials import rashid, run


@pytest.fixture(scope="module")
def result():
    return run("rashid")


@pytest.fixture(scope="module")
def data(result):
    return result.data


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------- section 1
def test_bug_classifier_reproduces_the_seed(data):
    d = data["bug_classifier"]
    assert d["x"] == [3.0, 1.0] and [round(t, 10) for t in d["t"]] == [1.1, 2.9]
    assert round(d["y"][0], 5) == 0.75
    assert round(d["E"][0], 5) == 0.35
    assert d["A"][0] == 0.25
    assert round(d["A"][1], 5) == 0.30833
    assert round(d["A"][2], 5) == 1.60417


def test_bug_classifier_rules(data):
    d = data["bug_classifier"]
    # Without moderation each update puts the line through its target: A x = t.
    for A, x, t in zip(d["A_unmoderated"][1:], d["x"], d["t"]):
        assert math.isclose(A * x, t)
    # glassnet's gradient step adds L * E * x, computed here from scratch.
    A = 0.25
    for x, t, got in zip(d["x"], d["t"], d["A_gradient"][1:]):
        A += d["L"] * (t - A * x) * x
        assert math.isclose(got, A, rel_tol=1e-12)
    assert round(d["A_gradient"][2], 5) == 1.8375
    # Both final lines separate the bugs: ladybird (3, 1) under, caterpillar (1, 3) over.
    for A in (d["A"][-1], d["A_gradient"][-1]):
        assert 1.0 < A * 3.0 and 3.0 > A * 1.0


# ---------------------------------------------------------------- section 2
def test_two_node_signals(data):
    d = data["two_node"]
    assert [round(v, 5) for v in d["X"]] == [1.05, 0.6]
    assert [round(v, 5) for v in d["O"]] == [0.74077, 0.64566]
    assert round(d["O"][1], 4) == 0.6457
    assert round(d["exp_minus_x2"], 4) == 0.5488
    assert round(1 + d["exp_minus_x2"], 4) == 1.5488
    # Rashid's column view: X = W . I with his W = glassnet's W.T
    W, I = np.array(d["W"]), np.array(d["I"])
    assert np.array_equal(W, np.array(d["W_glassnet"]).T)
    np.testing.assert_allclose(W @ I, d["X"], rtol=1e-14)


# ---------------------------------------------------------------- section 3
def test_three_layer_example(data):
    d = data["three_layer"]
    assert [round(v, 5) for v in d["X_hidden"]] == [1.16, 0.42, 0.62]
    assert [round(v, 3) for v in d["O_hidden"]] == [0.761, 0.603, 0.65]
    assert [round(v, 5) for v in d["X_output"]] == [0.97595, 0.88858, 1.25461]
    assert [round(v, 5) for v in d["O_output"]] == [0.7263, 0.7086, 0.7781]
    # The book's figures follow from the 3-decimal hidden outputs.
    assert [round(v, 3) for v in d["X_output_from_rounded"]] == [0.975, 0.888, 1.254]
    assert [round(v, 3) for v in d["O_output_from_rounded"]] == [0.726, 0.708, 0.778]
    # Independent column-vector computation.
    O_h = sigmoid(np.array(d["W_input_hidden"]) @ np.array(d["I"]))
    np.testing.assert_allclose(sigmoid(np.array(d["W_hidden_output"]) @ O_h), d["O_output"], rtol=1e-14)


# ---------------------------------------------------------------- section 4
def test_backpropagated_errors(data):
    d = data["backprop_errors"]
    assert [round(v, 5) for v in d["e_hidden_split"]] == [0.42, 0.88]
    W, e = np.array(d["W"]), np.array(d["e_output"])  # W[j, k]: hidden j -> output k
    w11, w12, w21, w22 = W[0, 0], W[0, 1], W[1, 0], W[1, 1]
    assert math.isclose(d["e_hidden_split"][0], e[0] * w11 / (w11 + w21) + e[1] * w12 / (w12 + w22))
    np.testing.assert_allclose(d["e_hidden_matrix"], W @ e, rtol=1e-14)
    assert [round(v, 5) for v in d["e_hidden_matrix"]] == [2.1, 4.4]


# ---------------------------------------------------------------- section 5
def book_forward(data):
    """Section 5's step recomputed in Rashid's column layout: weights, inputs, outputs, error."""
    d, s3 = data["weight_update"], data["three_layer"]
    W_ih, W_ho = np.array(s3["W_input_hidden"]), np.array(s3["W_hidden_output"])
    I, T, lr = np.array(s3["I"])[:, None], np.array(d["T"])[:, None], d["lr"]
    O_h = sigmoid(W_ih @ I)
    O = sigmoid(W_ho @ O_h)
    return d, W_ho, I, lr, O_h, O, T - O


def test_output_update_is_rashids_rule(data):
    d, W_ho, I, lr, O_h, O, E = book_forward(data)
    rashid_dW = lr * (E * O * (1 - O)) @ O_h.T
    np.testing.assert_allclose(d["dW_hidden_output_glassnet"], rashid_dW, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["dW_hidden_output_rashid"], rashid_dW, rtol=0, atol=1e-12)
    # The glassnet step is the trace of the network of section 3, in glassnet's layout.
    tr = d["trace"]
    np.testing.assert_allclose(np.array(tr["W2_new"]) - np.array(tr["W2"]), rashid_dW.T, rtol=0, atol=1e-12)
    assert round(tr["loss"], 12) == round(0.5 * float((E**2).sum()), 12)


def test_hidden_update_book_vs_gradient(data):
    d, W_ho, I, lr, O_h, O, E = book_forward(data)
    chain_rule = lr * ((W_ho.T @ (E * O * (1 - O))) * O_h * (1 - O_h)) @ I.T
    book = lr * ((W_ho.T @ E) * O_h * (1 - O_h)) @ I.T
    np.testing.assert_allclose(d["dW_input_hidden_glassnet"], chain_rule, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["dW_input_hidden_rashid"], book, rtol=0, atol=1e-12)
    assert np.abs(book - chain_rule).max() > 1e-3


# ---------------------------------------------------------------- section 6
def test_digits_recipe(data):
    d = data["recipe"]
    assert d["source"] == "digits" and d["n_inputs"] == 64 and d["hidden"] == 100
    assert d["n_train"] + d["n_test"] == 1797
    assert d["epochs"] == 10 and d["bias"] is False and len(d["train_loss"]) == 10
    assert d["train_loss"][-1] < d["train_loss"][0]
    assert d["performance"] > 0.9


def test_recipe_is_seeded():
    a = run("rashid", hidden=20, epochs=2, seed=3).data["recipe"]
    b = run("rashid", hidden=20, epochs=2, seed=3).data["recipe"]
    assert a["performance"] == b["performance"] and a["train_loss"] == b["train_loss"]


def write_csv(path, rows):
    path.write_text("".join(",".join(str(v) for v in row) + "\n" for row in rows))
    return path


def synthetic_mnist(n, seed):
    """``n`` rows of a label and 784 pixels: noise, plus a bright stripe of 70 pixels where the label says."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    pixels = rng.integers(0, 40, size=(n, 784))
    for i, k in enumerate(labels):
        pixels[i, 70 * k : 70 * k + 70] = rng.integers(200, 256, size=70)
    return np.column_stack([labels, pixels])


def test_csv_recipe_reads_and_learns(tmp_path):
    train = write_csv(tmp_path / "train.csv", synthetic_mnist(20, 0))
    test = write_csv(tmp_path / "test.csv", synthetic_mnist(10, 1))
    r = run("rashid", train=train, test=test, hidden=16, epochs=20, lr=0.3)
    d = r.data["recipe"]
    assert d["source"] == "csv" and (d["n_train"], d["n_test"], d["n_inputs"]) == (20, 10, 784)
    assert d["first_test_label"] == 0 and int(np.argmax(d["first_test_output"])) == 0
    assert d["performance"] == 1.0
    assert "MNIST CSV files" in r.text()


def test_csv_epochs_default_to_one(tmp_path):
    path = write_csv(tmp_path / "a.csv", synthetic_mnist(10, 2))
    assert run("rashid", train=path, test=path, hidden=4).data["recipe"]["epochs"] == 1


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda rows: [r[:-1] for r in rows], "has 784 columns; MNIST CSV has 785"),
        (lambda rows: [rows[0], rows[1], [*rows[2][:4], "x", *rows[2][5:]]], "row 3, column 5"),
        (lambda rows: [rows[0], [10, *rows[1][1:]]], "label"),
        (lambda rows: [rows[0], [*rows[1][:7], 256, *rows[1][8:]]], "row 2, column 8: pixels must be 0-255, got 256"),
    ],
)
def test_bad_csv_files_are_reported_with_file_row_and_column(tmp_path, edit, message):
    # glassnet.data.mnist reads the files; its own tests cover every bad-file case,
    # here we check that the tutorial passes those errors on, naming the file.
    good = write_csv(tmp_path / "good.csv", synthetic_mnist(3, 0))
    rows = [list(r) for r in synthetic_mnist(3, 0)]
    bad = write_csv(tmp_path / "bad.csv", edit(rows))
    with pytest.raises(ValueError) as exc:
        run("rashid", train=bad, test=good)
    assert "bad.csv" in str(exc.value)
    assert message in str(exc.value)


def test_missing_file_and_option_errors(tmp_path):
    good = write_csv(tmp_path / "good.csv", synthetic_mnist(3, 0))
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        run("rashid", train=good, test=missing)
    with pytest.raises(ValueError, match="give both train and test"):
        run("rashid", train=good)
    with pytest.raises(ValueError, match="hidden must be a finite number > 0, got 0"):
        run("rashid", hidden=0)
    with pytest.raises(TypeError, match="epochs must be an integer, got 1.5"):
        run("rashid", epochs=1.5)
    with pytest.raises(ValueError, match="seed must be a finite number >= 0, got -1"):
        run("rashid", seed=-1)
    with pytest.raises(TypeError, match="path"):
        rashid.run(train=3, test=3)


# ------------------------------------------------------------------ output
def test_errata_numbers_are_computed(result):
    text = result.text()
    typo = 0.8 * 2 / (2 + 3) + 0.5 * 1 / (4 + 4)
    assert f"{typo:.4f}" in text  # e_hidden,1 with the w22 + w22 typo
    O = result.data["three_layer"]["O_output"][0]  # sigmoid applied once (right) and twice (the erratum)
    assert f"{O * (1 - O):.4f}" in text and f"{sigmoid(O) * (1 - sigmoid(O)):.4f}" in text
    assert len(result.errata) >= 9


def test_text_json_and_trace(result):
    text = result.text()
    for heading in ("1. Training a simple classifier", "2. Following signals", "3. A three-layer example",
                    "4. Back-propagating errors", "5. Updating the weights", "6. The MNIST recipe", "Errata"):
        assert heading in text
    assert "0.30833" in text and "1.60417" in text and "0.6457" in text
    assert "== Backward pass ==" not in text
    assert "== Backward pass ==" in run("rashid", trace=True, hidden=8, epochs=1).text()
    back = json.loads(json.dumps(result.as_dict()))
    assert back["results"]["bug_classifier"]["A"] == result.data["bug_classifier"]["A"]
    assert back["tutorial"] == "rashid"
