"""glassnet.experiments: Rashid's iris slope exercise and his accuracy experiments on 8x8 digits."""

import json

import numpy as np
import pytest

import glassnet
from glassnet import datasets
from glassnet.experiments import iris_slope, rashid_grid, rms_scale

SETOSA, VERSICOLOR = 0, 1


# ---------------------------------------------------------------- R's scale()
def test_rms_scale_matches_r_output():
    # R prints scale(c(1, 2, 3), center = FALSE, scale = TRUE) as 0.3779645 0.7559289 1.1338934, scale 2.645751.
    X_scaled, scale = rms_scale([[1.0], [2.0], [3.0]])
    assert [round(v, 7) for v in X_scaled[:, 0]] == [0.3779645, 0.7559289, 1.1338934]
    assert round(scale[0], 6) == 2.645751


def test_rms_scale_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 2 rows"):
        rms_scale([[1.0, 2.0]])
    with pytest.raises(ValueError, match="all-zero column"):
        rms_scale([[1.0, 0.0], [2.0, 0.0]])
    with pytest.raises(TypeError, match="X must be"):
        rms_scale("abc")


@pytest.fixture(scope="module")
def iris_result():
    return iris_slope()


def test_iris_data_is_scaled_like_r(iris_result):
    X, y = datasets.iris()
    raw = X[:100]
    rms = np.sqrt((raw**2).sum(axis=0) / (len(raw) - 1))  # R: sqrt(sum(x^2) / (n - 1)), no centring
    np.testing.assert_allclose(iris_result.X, raw / rms, rtol=1e-12)
    np.testing.assert_allclose(iris_result.scale, rms, rtol=1e-12)
    np.testing.assert_array_equal(iris_result.labels, y[:100])
    assert (iris_result.labels == SETOSA).sum() == 50 and (iris_result.labels == VERSICOLOR).sum() == 50


def test_setosa_lies_above_versicolor_so_targets_point_into_the_gap(iris_result):
    x, width = iris_result.X[:, 0], iris_result.X[:, 1]
    ratio = width / x
    assert np.median(ratio[iris_result.labels == SETOSA]) > np.median(ratio[iris_result.labels == VERSICOLOR])
    # Rashid aims a little inside the gap: below a point of the upper class, above a point of the lower class.
    setosa = iris_result.labels == SETOSA
    np.testing.assert_allclose(iris_result.targets[setosa], width[setosa] - iris_result.margin)
    np.testing.assert_allclose(iris_result.targets[~setosa], width[~setosa] + iris_result.margin)


def test_first_update_follows_rashids_rule(iris_result):
    i = iris_result.order[0]
    x, width = iris_result.X[i, :2]
    t = width - 0.1 if iris_result.labels[i] == SETOSA else width + 0.1
    for L in (0.01, 0.1, 0.5):
        A0 = iris_result.slopes[L][0]
        assert A0 == iris_result.initial_slope
        E = t - A0 * x
        assert iris_result.slopes[L][1] == pytest.approx(A0 + L * E / x, rel=1e-14)


def test_every_update_follows_rashids_rule(iris_result):
    x, width, labels = iris_result.X[:, 0], iris_result.X[:, 1], iris_result.labels
    for L, slopes in iris_result.slopes.items():
        assert len(slopes) == iris_result.n_updates + 1 == 101
        A = iris_result.initial_slope
        for k, i in enumerate(iris_result.order):
            t = width[i] - 0.1 if labels[i] == SETOSA else width[i] + 0.1
            A += L * (t - A * x[i]) / x[i]
            assert slopes[k + 1] == pytest.approx(A, rel=1e-12)
        assert iris_result.final_slopes[L] == slopes[-1]


def test_reported_accuracy_is_that_of_the_final_line(iris_result):
    x, width = iris_result.X[:, 0], iris_result.X[:, 1]
    for L, A in iris_result.final_slopes.items():
        predicted_setosa = width > A * x
        accuracy = np.mean(predicted_setosa == (iris_result.labels == SETOSA))
        assert iris_result.accuracies[L] == accuracy
        assert accuracy >= 0.9  # one pass already puts the line between most of the flowers
    data = json.loads(json.dumps(iris_result.as_dict()))
    assert data["accuracies"] == {"0.01": iris_result.accuracies[0.01], "0.1": iris_result.accuracies[0.1],
                                  "0.5": iris_result.accuracies[0.5]}
    assert data["slopes"]["0.1"] == iris_result.slopes[0.1].tolist()


def test_order_and_start_are_seeded_and_shared(iris_result):
    again = iris_slope(seed=0)
    assert again.initial_slope == iris_result.initial_slope
    np.testing.assert_array_equal(again.order, iris_result.order)
    assert sorted(iris_result.order) == list(range(100))  # one epoch visits every flower once
    other = iris_slope(seed=1)
    assert other.initial_slope != iris_result.initial_slope
    unshuffled = iris_slope(epochs=2, shuffle=False)
    np.testing.assert_array_equal(unshuffled.order, np.tile(np.arange(100), 2))


def test_small_rate_settles_near_the_mean_target_slope():
    # A += L (t - A x) / x is A <- (1 - L) A + L (t / x): a moving average of the slopes t / x that would put the
    # line through each target, so with a small L and many passes A hovers around their mean.
    result = iris_slope(learning_rates=(0.01,), epochs=20, initial_slope=0.25)
    mean_slope = np.mean(result.targets / result.X[:, 0])
    assert abs(result.final_slopes[0.01] - mean_slope) < 0.01
    assert result.accuracies[0.01] >= 0.98
    assert f"{result.final_slopes[0.01]:.5f}" in result.text()


def test_iris_slope_rejects_bad_input():
    with pytest.raises(ValueError, match="learning_rates"):
        iris_slope(learning_rates=())
    with pytest.raises(ValueError, match=r"learning_rates\[1\]"):
        iris_slope(learning_rates=(0.1, -0.5))
    with pytest.raises(TypeError, match="learning_rates"):
        iris_slope(learning_rates=0.1)
    with pytest.raises(ValueError, match="repeat"):
        iris_slope(learning_rates=(0.1, 0.1))
    with pytest.raises(ValueError, match="epochs"):
        iris_slope(epochs=0)
    with pytest.raises(TypeError, match="initial_slope"):
        iris_slope(initial_slope="steep")
    with pytest.raises(ValueError, match="initial_slope"):
        iris_slope(initial_slope=float("inf"))
    with pytest.raises(TypeError, match=r"shuffle must be True or False, got 'yes' \(str\)"):
        iris_slope(shuffle="yes")
    with pytest.raises(TypeError, match=r"shuffle must be True or False, got 1 \(int\)"):
        iris_slope(shuffle=1)


def test_iris_slope_takes_numpy_bools_for_shuffle():
    plain, numpy_bool = iris_slope(shuffle=False), iris_slope(shuffle=np.False_)
    np.testing.assert_array_equal(numpy_bool.order, plain.order)
    np.testing.assert_array_equal(numpy_bool.order, np.arange(100))


# ---------------------------------------------------------------- rashid_grid
TINY = dict(learning_rates=(0.1, 0.5), epochs=(1, 2), hidden=(5, 10), base_lr=0.5, base_epochs=2, base_hidden=10)


@pytest.fixture(scope="module")
def grid():
    return rashid_grid(**TINY, seed=3)


def rashid_cell(lr, epochs, hidden, seed):
    """One cell trained from scratch with the public API, following Rashid's recipe."""
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.25, seed)
    net = glassnet.Network(
        [
            glassnet.Dense(64, hidden, "sigmoid", bias=False, init=glassnet.Rashid()),
            glassnet.Dense(hidden, 10, "sigmoid", bias=False, init=glassnet.Rashid()),
        ],
        loss="squared_error",
        seed=seed,
    )
    T_train = np.full((len(y_train), 10), 0.01)
    T_train[np.arange(len(y_train)), y_train] = 0.99
    net.fit(X_train / 16 * 0.99 + 0.01, T_train, epochs=epochs, batch_size=1, lr=lr, shuffle=False)
    return net.evaluate(X_test / 16 * 0.99 + 0.01, y_test)["accuracy"]


def test_grid_shapes_and_ranges(grid):
    assert grid.learning_rates == (0.1, 0.5) and grid.epochs == (1, 2) and grid.hidden == (5, 10)
    for acc in (grid.lr_accuracy, grid.epochs_accuracy, grid.hidden_accuracy):
        assert len(acc) == 2
        assert all(0.0 <= a <= 1.0 for a in acc)
    assert (grid.n_train, grid.n_test) == (1348, 449)
    # The base cell (lr 0.5, 2 epochs, 10 hidden) belongs to all three series and is the same run.
    assert grid.lr_accuracy[1] == grid.epochs_accuracy[1] == grid.hidden_accuracy[1]
    assert f"{grid.hidden_accuracy[0]:.4f}" in grid.text()
    assert json.loads(json.dumps(grid.as_dict()))["lr_accuracy"] == grid.lr_accuracy


def test_grid_cells_match_a_fresh_run_and_evaluate(grid):
    assert grid.lr_accuracy[0] == rashid_cell(lr=0.1, epochs=2, hidden=10, seed=3)
    # 1 epoch is read off the 2-epoch run: it must equal a run that stops after 1 epoch.
    assert grid.epochs_accuracy[0] == rashid_cell(lr=0.5, epochs=1, hidden=10, seed=3)


def test_rashid_grid_rejects_bad_input():
    with pytest.raises(ValueError, match="hidden"):
        rashid_grid(hidden=(0,))
    with pytest.raises(TypeError, match=r"epochs\[0\]"):
        rashid_grid(epochs=(1.5,))
    with pytest.raises(ValueError, match="learning_rates"):
        rashid_grid(learning_rates=[])
    with pytest.raises(ValueError, match="base_lr"):
        rashid_grid(base_lr=0)


