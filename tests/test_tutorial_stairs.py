"""Ben Gorman's stairs worked example: every printed number, the gradients it leaves out, and training."""

import json

import numpy as np
import pytest

import glassnet.tutorials

# The worked example's data, as the tutorial prints it (augmented weights: bias row on top).
X1 = np.array([[1, 252, 4, 155, 175], [1, 175, 10, 186, 200], [1, 82, 131, 230, 100], [1, 115, 138, 80, 88]], float)
Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], float)
W1 = np.array([[-0.00469, 0.00797], [-0.00256, 0.00889], [0.00146, 0.00322], [0.00816, 0.00258], [-0.00597, -0.00876]])
W2 = np.array([[-0.00588, -0.00232], [-0.00647, 0.00540], [0.00374, -0.00005]])

# The tutorial's printed results.
SEED_Z1 = [[-0.42392, 1.12803], [-0.11433, 0.32380], [1.25645, 0.87617], [0.02983, 0.91020]]
SEED_X2 = [[1, 0.39558, 0.75548], [1, 0.47145, 0.58025], [1, 0.77841, 0.70603], [1, 0.50746, 0.71304]]
SEED_Z2 = [[-0.00561, -0.00022], [-0.00676, 0.00020], [-0.00828, 0.00185], [-0.00650, 0.00038]]
SEED_YHAT = [[0.49865, 0.50135], [0.49826, 0.50174], [0.49747, 0.50253], [0.49828, 0.50172]]
SEED_CE = [0.6958, 0.6966, 0.6881, 0.6897]  # 4 decimals in the tutorial
SEED_MEAN_CE = 0.69257


@pytest.fixture(scope="module")
def result():
    return glassnet.tutorials.run("stairs")


@pytest.fixture(scope="module")
def traced():
    return glassnet.tutorials.run("stairs", trace=True)


def rounded(M, decimals=5):
    return np.round(np.asarray(M, dtype=float), decimals).tolist()


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def forward(W1_aug, W2_aug):
    """The tutorial's forward pass in plain NumPy; returns X2, Yhat and the mean CE."""
    X2 = np.hstack([np.ones((4, 1)), sigmoid(X1 @ W1_aug)])
    E = np.exp(X2 @ W2_aug)
    Yhat = E / E.sum(axis=1, keepdims=True)
    return X2, Yhat, -(Y * np.log(Yhat)).sum(axis=1).mean()


def seed_formulas():
    """The tutorial's boxed formulas (the gradient of the summed CE), in plain NumPy."""
    X2, Yhat, _ = forward(W1, W2)
    nabla_Z2 = Yhat - Y
    nabla_X2 = nabla_Z2 @ W2.T
    nabla_Z1 = nabla_X2[:, 1:] * X2[:, 1:] * (1 - X2[:, 1:])
    return {"nabla_Z2": nabla_Z2, "nabla_X2": nabla_X2, "nabla_Z1": nabla_Z1,
            "nabla_W2": X2.T @ nabla_Z2, "nabla_W1": X1.T @ nabla_Z1}


def test_forward_pass_matches_every_printed_number(result):
    f = result.data["forward"]
    assert rounded(f["Z1"]) == SEED_Z1
    assert rounded(f["X2"]) == SEED_X2
    assert rounded(f["Z2"]) == SEED_Z2
    assert rounded(f["Yhat"]) == SEED_YHAT


def test_loss_matches_the_tutorial(result):
    assert rounded(result.data["loss"]["CE"], 4) == SEED_CE
    assert round(result.data["loss"]["mean_CE"], 5) == SEED_MEAN_CE
    assert result.data["loss"]["mean_CE"] == pytest.approx(np.mean(result.data["loss"]["CE"]), abs=1e-15)


def test_inputs_are_the_tutorials(result):
    assert result.data["inputs"]["X1"] == X1.tolist()
    assert result.data["inputs"]["W1"] == W1.tolist()
    assert result.data["inputs"]["W2"] == W2.tolist()
    assert result.data["loss"]["Y"] == Y.tolist()


def test_gradients_are_the_seed_formulas_divided_by_n(result):
    expected = seed_formulas()
    for name, value in expected.items():
        np.testing.assert_allclose(result.data["backward"][name], value / 4, rtol=1e-9, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(result.data["summed_loss"][name], value, rtol=1e-9, atol=1e-15, err_msg=name)


def test_gradients_match_finite_differences_of_the_mean_ce(result):
    h = 1e-6
    for name, W_aug in (("nabla_W1", W1), ("nabla_W2", W2)):
        numeric = np.zeros_like(W_aug)
        for idx in np.ndindex(W_aug.shape):
            plus, minus = W_aug.copy(), W_aug.copy()
            plus[idx] += h
            minus[idx] -= h
            pair = [(p, W2) if name == "nabla_W1" else (W1, p) for p in (plus, minus)]
            numeric[idx] = (forward(*pair[0])[2] - forward(*pair[1])[2]) / (2 * h)
        np.testing.assert_allclose(result.data["backward"][name], numeric, rtol=1e-5, atol=1e-10, err_msg=name)


def test_update_with_stepsize_point_one(result):
    expected = seed_formulas()
    for W_aug, key in ((W1, "W1"), (W2, "W2")):
        mean_step = W_aug - 0.1 * expected[f"nabla_{key}"] / 4
        sum_step = W_aug - 0.1 * expected[f"nabla_{key}"]
        np.testing.assert_allclose(result.data["update"][key], mean_step, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(result.data["summed_loss"][key], sum_step, rtol=1e-12, atol=1e-15)
    upd, summed = result.data["update"], result.data["summed_loss"]
    assert upd["mean_CE_after"] == pytest.approx(forward(np.array(upd["W1"]), np.array(upd["W2"]))[2], rel=1e-12)
    assert summed["mean_CE_after"] == pytest.approx(
        forward(np.array(summed["W1"]), np.array(summed["W2"]))[2], rel=1e-12)
    # the mean step lowers the loss on the four images; the tutorial's summed step raises it
    assert upd["mean_CE_after"] < SEED_MEAN_CE < summed["mean_CE_after"]
    np.testing.assert_allclose(summed["Z1_after"], X1 @ np.array(summed["W1"]), rtol=1e-12)


def test_text_shows_the_tutorials_symbols_and_numbers(result):
    text = result.text()
    for fragment in ("Z1 = [ -0.42392   1.12803 ]", "Yhat = [ 0.49865  0.50135 ]", "CE = mean of CE_i = 0.69257",
                     "nabla_W1 = ", "nabla_Z2 = ", "nabla_W2 (sum) = ", "X2 = [ 1.00000  0.39558  0.75548 ]",
                     "Glossary", "[1 | A1]"):
        assert fragment in text, fragment
    assert "Full trace" not in text and "trace" not in result.data


def test_training_on_generated_images(result):
    tr = result.data["training"]
    assert tr["train_accuracy"] >= 0.95 and tr["test_accuracy"] >= 0.95
    assert tr["n_train"] == 400 and tr["n_test"] == 100
    raw = tr["raw_pixels"]
    # unscaled pixels pin the hidden sigmoids and the same settings do not learn
    assert raw["saturated_share"] > 0.9 and raw["max_abs_Z1"] > 10 * tr["max_abs_Z1"]
    assert raw["train_accuracy"] < 0.7 and raw["classes_predicted"] == 1
    assert f"{tr['test_accuracy']:.3f}" in result.text()


def test_errata_are_backed_by_numbers(result):
    errata = [e.as_dict() for e in result.errata]
    assert len(errata) == 7
    assert "0.49826, 0.49747, 0.49828" in errata[0]["glassnet"]
    assert f"{result.data['summed_loss']['mean_CE_after']:.5f}" in errata[1]["glassnet"]
    assert "Hadamard" in errata[2]["glassnet"]


def test_trace_holds_both_notations(traced, result):
    tr = traced.data["trace"]
    np.testing.assert_allclose(tr["augmented"]["Z1"], traced.data["forward"]["Z1"])
    np.testing.assert_allclose(tr["augmented"]["W1"], W1)
    np.testing.assert_allclose(tr["augmented"]["dW1"], traced.data["backward"]["nabla_W1"])
    np.testing.assert_allclose(tr["standard"]["b1"], W1[0])
    np.testing.assert_allclose(tr["standard"]["W2_new"], np.array(traced.data["update"]["W2"])[1:])
    text = traced.text()
    assert "Full trace (augmented notation)" in text and "dW1 = X1.T @ dZ1" in text and "db2 = " in text
    assert traced.data["forward"] == result.data["forward"]


def test_json_round_trip(traced):
    back = json.loads(json.dumps(traced.as_dict()))
    assert back["tutorial"] == "stairs"
    assert rounded(back["results"]["forward"]["Yhat"]) == SEED_YHAT
    assert back["results"]["loss"]["mean_CE"] == traced.data["loss"]["mean_CE"]
    assert back["results"]["backward"]["nabla_W1"] == traced.data["backward"]["nabla_W1"]
    assert back["results"]["trace"]["augmented"]["Yhat"] == traced.data["forward"]["Yhat"]
    assert len(back["errata"]) == len(traced.errata)


@pytest.mark.parametrize("options, error, word", [
    ({"lr": -1.0}, ValueError, "lr"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 2.5}, TypeError, "epochs"),
    ({"seed": -3}, ValueError, "seed"),
    ({"seed": "zero"}, TypeError, "seed"),
])
def test_bad_options_are_rejected(options, error, word):
    with pytest.raises(error, match=word):
        glassnet.tutorials.run("stairs", **options)


def test_unknown_option_is_rejected():
    with pytest.raises(TypeError):
        glassnet.tutorials.run("stairs", batch=3)
