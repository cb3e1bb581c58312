"""glassnet.sklearn: scikit-learn's own estimator checks, and the estimators in scikit-learn's tools."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import glassnet
from glassnet.datasets import iris
from glassnet.sklearn import GlassClassifier, GlassRegressor

SMALL = dict(hidden_layer_sizes=(8,), epochs=30, learning_rate=0.02, random_state=0)  # the checks fit hundreds
IRIS = dict(SMALL, batch_size=16)  # more steps for the unscaled flowers


# Every check passes: none is marked expected to fail. (check_array_api_input is skipped by scikit-learn
# itself unless the environment sets SCIPY_ARRAY_API=1, as for every estimator.)
@parametrize_with_checks([GlassClassifier(**SMALL), GlassRegressor(**SMALL)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def flowers():
    X, y = iris()
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


def test_string_labels_are_kept_in_classes_and_predictions(flowers):
    X, y = flowers
    clf = GlassClassifier(**IRIS).fit(X, y)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert clf.predict(X[:2]).tolist() == ["setosa", "setosa"]
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.score(X, y) > 0.9
    assert clf.n_features_in_ == 4 and len(clf.loss_curve_) == clf.n_iter_ == 30
    assert clf.network_.class_names == ["setosa", "versicolor", "virginica"]


def test_pipeline_grid_search_cross_val_score_and_clone(flowers):
    X, y = flowers
    pipe = make_pipeline(StandardScaler(), GlassClassifier(**IRIS))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8
    search = GridSearchCV(pipe, {"glassclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3).fit(X, y)
    assert search.best_params_["glassclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    copy = clone(search.best_estimator_)
    assert copy.get_params()["glassclassifier__epochs"] == 30 and not hasattr(copy[-1], "network_")


def test_partial_fit_trains_one_epoch_a_call_and_needs_the_classes_first(flowers):
    X, y = flowers
    clf = GlassClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be given"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y != "virginica"], y[y != "virginica"], classes=np.unique(y))
    for _ in range(20):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 21 and clf.loss_curve_[-1] < clf.loss_curve_[1]
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    with pytest.raises(ValueError, match="labels not in classes"):
        clf.partial_fit(X[:2], ["rose", "setosa"])
    reg = GlassRegressor(**SMALL).partial_fit(X[:, :3], X[:, 3])
    assert reg.n_iter_ == 1 and reg.predict(X[:, :3]).shape == (150,)


def test_the_fitted_network_is_a_glassnet_network_that_saves_and_loads(flowers, tmp_path):
    X, y = flowers
    clf = GlassClassifier(**SMALL, dtype="float32").fit(X, y)
    assert isinstance(clf.network_, glassnet.Network) and clf.network_.dtype == np.float32
    np.testing.assert_array_equal(clf.classes_[clf.network_.predict(X)], clf.predict(X))
    clf.network_.save(tmp_path / "flowers.safetensors")
    loaded = glassnet.load(tmp_path / "flowers.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.class_names == clf.classes_.tolist()
    assert glassnet.trace_step(clf.network_, X[:1], [0], lr=0.1).n_layers == 2  # traced like any network


def test_random_state_is_the_network_seed(flowers):
    X, y = flowers
    clf = GlassClassifier(**SMALL).fit(X, y)
    net = glassnet.Network([glassnet.Dense(4, 8, "relu"), glassnet.Dense(8, 3, "softmax")], seed=0)
    net.fit(X, clf.classes_.searchsorted(y), epochs=30, batch_size=150,
            optimizer=glassnet.Adam(0.02, weight_decay=1e-4), dtype=np.float64)
    np.testing.assert_array_equal(net.predict_proba(X), clf.predict_proba(X))


def test_feature_names_of_a_data_frame_are_recorded_and_matched_by_name(flowers):
    pd = pytest.importorskip("pandas")
    X, y = flowers
    frame = pd.DataFrame(X, columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    clf = GlassClassifier(**SMALL).fit(frame, y)
    assert clf.feature_names_in_.tolist() == list(frame.columns)
    shuffled = frame[["petal_width", "sepal_length", "petal_length", "sepal_width"]]
    np.testing.assert_array_equal(clf.network_.predict(shuffled), clf.network_.predict(frame))
    np.testing.assert_array_equal(clf.classes_[clf.network_.predict(shuffled)], clf.predict(frame))


def test_multi_output_regression_and_sample_weight(flowers):
    X, _ = flowers
    Y = X @ [[1, 0], [0, 1], [1, -1], [0, 2]]
    reg = GlassRegressor(**SMALL, batch_size=16).fit(X, Y)
    assert reg.predict(X).shape == (150, 2) and reg.network_.n_out == 2 and reg.score(X, Y) > 0.9
    w = np.arange(150) % 3  # full batches (150 and 150 rows): a weight of 2 trains like the row given twice
    weighted = GlassRegressor(**SMALL).fit(X, Y, sample_weight=w)
    repeated = GlassRegressor(**SMALL).fit(X.repeat(w, axis=0), Y.repeat(w, axis=0))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6)


def test_class_weight_is_keyed_by_label(flowers):
    X, y = flowers
    heavy = GlassClassifier(**IRIS, class_weight={"virginica": 100.0}).fit(X, y)
    assert (heavy.predict(X) == "virginica").sum() > 50
    with pytest.raises(ValueError, match=r"^class_weight has labels \['rose'\] that are not classes"):
        GlassClassifier(class_weight={"rose": 2}).fit(X, y)


@pytest.mark.parametrize("kwargs, message", [
    (dict(learning_rate=-1), "learning_rate must be a finite number > 0, got -1"),
    (dict(l2=-1), "l2 must be a finite number >= 0, got -1"),
    (dict(random_state=-3), "random_state must be a finite number >= 0, got -3"),
    (dict(hidden_layer_sizes=(0,)), r"hidden_layer_sizes must be a tuple of positive ints, got \(0,\)"),
    (dict(batch_size="big"), "batch_size must be 'auto' or a positive int, got 'big'"),
    (dict(early_stopping=3, validation_fraction=1.5), r"validation_fraction must be in \(0, 1\), got 1.5"),
    (dict(class_weight="heavy"), "unknown class_weight 'heavy'"),
    (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'"),
    (dict(epochs=0), "epochs must be a finite number > 0, got 0"),
])
def test_bad_arguments_are_one_line_errors_that_name_them(flowers, kwargs, message):
    X, y = flowers
    with pytest.raises(ValueError, match=f"^{message}") as info:
        GlassClassifier(**kwargs).fit(X, y)
    assert "\n" not in str(info.value)
