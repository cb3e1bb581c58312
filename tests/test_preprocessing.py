"""glassnet.preprocessing: scalers, their round trip through config/arrays, target matrices."""

import json
import re

import numpy as np
import pytest

import glassnet
from glassnet.preprocessing import (
    MinMax,
    Pipeline,
    RashidScale,
    Standardize,
    one_hot,
    preprocessing_from_config,
    rashid_targets,
)


def raises(error, message):
    """``pytest.raises`` that matches ``message`` literally."""
    return pytest.raises(error, match=re.escape(message))


# -------------------------------------------------------- preprocessing

X_RAW = np.array([[1.0, 5.0, 0.0], [3.0, 5.0, 255.0], [2.0, 5.0, 100.0], [6.0, 5.0, 20.0]])


def test_standardize():
    prep = Standardize().fit(X_RAW)
    Z = prep.transform(X_RAW)
    assert np.allclose(Z[:, [0, 2]].mean(axis=0), 0) and np.allclose(Z[:, [0, 2]].std(axis=0), 1)
    assert np.all(Z[:, 1] == 0)  # constant column: scale 1, exact zeros
    assert prep.arrays()["scale"][1] == 1.0
    assert Standardize().fit_transform([[1.0], [3.0]]).tolist() == [[-1.0], [1.0]]


def test_minmax():
    prep = MinMax(-1, 1).fit(X_RAW)
    Z = prep.transform(X_RAW)
    assert np.allclose(Z[:, 0], [-1.0, -0.2, -0.6, 1.0])
    assert np.all(Z[:, 1] == -1.0)  # constant column maps to low
    assert prep.transform([[11.0, 9.0, 255.0]]).tolist() == [[3.0, -1.0, 1.0]]
    with raises(ValueError, "MinMax needs low < high, got low=1.0, high=0.0"):
        MinMax(1, 0)


def test_rashid_scale():
    assert RashidScale().transform([[0.0, 255.0, 127.5]]).tolist() == [[0.01, 1.0, 0.505]]
    prep = RashidScale(16).fit([[0, 16], [8, 4]])
    assert prep.transform([[8.0, 0.0]]).tolist() == [[0.505, 0.01]]
    with raises(ValueError, "RashidScale(max_value=255.0) expects X in [0, 255.0], got values from 0.0 to 300.0"):
        RashidScale().fit([[0.0, 300.0]])
    with raises(ValueError, "max_value must be > 0, got 0.0"):
        RashidScale(0)


def test_pipeline_composes_and_flattens():
    inner = Pipeline([RashidScale(), Standardize()])
    prep = Pipeline([inner, MinMax()]).fit(X_RAW)
    assert [type(step).__name__ for step in prep.steps] == ["RashidScale", "Standardize", "MinMax"]
    by_hand = MinMax().fit_transform(Standardize().fit_transform(RashidScale().fit_transform(X_RAW)))
    assert np.allclose(prep.transform(X_RAW), by_hand)
    assert sorted(prep.arrays()) == ["1.mean", "1.scale", "2.max", "2.min"]
    assert repr(prep) == "Pipeline([RashidScale(max_value=255.0), Standardize(), MinMax(low=0.0, high=1.0)])"
    with raises(TypeError, "steps[1] must be a preprocessing object (Standardize, MinMax, RashidScale, Pipeline, "
                           "glassnet.tables.Columns), got 'scale' (str)"):
        Pipeline([Standardize(), "scale"])


def fitted_objects():
    return [
        Standardize().fit(X_RAW),
        MinMax(0.1, 0.9).fit(X_RAW),
        RashidScale().fit(X_RAW),
        RashidScale(),
        Pipeline([RashidScale(), Standardize(), MinMax()]).fit(X_RAW),
    ]


@pytest.mark.parametrize("prep", fitted_objects(), ids=repr)
def test_round_trip_through_config_and_arrays(prep):
    config = json.loads(json.dumps(prep.config()))
    assert config["name"] == prep.name
    arrays = {key: np.array(value) for key, value in prep.arrays().items()}
    rebuilt = preprocessing_from_config(config, arrays)
    assert type(rebuilt) is type(prep) and repr(rebuilt) == repr(prep)
    X_new = X_RAW[::-1] * 0.5
    assert np.array_equal(rebuilt.transform(X_new), prep.transform(X_new))
    assert rebuilt.transform(X_new).dtype == np.float64
    assert prep.transform(X_new.astype(np.float32)).dtype == np.float32
    assert np.allclose(prep.transform(X_new.astype(np.float32)), prep.transform(X_new), atol=1e-5)


@pytest.mark.parametrize("prep", [Standardize(), MinMax(), RashidScale()], ids=repr)
def test_transform_checks_the_column_count(prep):
    prep.fit(X_RAW)
    with raises(ValueError, f"X has 2 columns but this {type(prep).__name__} was fitted on 3 (got shape (4, 2)"):
        prep.transform(X_RAW[:, :2])


def test_unfitted_transform_says_fit_first():
    with raises(RuntimeError, "this Standardize is not fitted yet; call fit(X) first"):
        Standardize().transform(X_RAW)
    with raises(RuntimeError, "this MinMax is not fitted yet"):
        MinMax().arrays()
    with raises(ValueError, "X contains NaN or infinite values (first at row 1, column 1)"):
        Standardize().fit(X_RAW).transform([[1, 2, 3], [1, np.nan, 3]])


def test_preprocessing_from_config_rejects_bad_data():
    mean, scale = np.zeros(3), np.ones(3)
    bad = [
        ([1, 2], {}, "preprocessing config must be a dict, got [1, 2] (list)"),
        ({"name": "os.system"}, {}, "unknown preprocessing name 'os.system'; expected one of"),
        ({}, {}, "unknown preprocessing name None"),
        ({"name": "standardize", "extra": 1}, {"mean": mean, "scale": scale}, "needs exactly the keys ['name']"),
        ({"name": "standardize"}, {"mean": mean}, "expected exactly the arrays ['mean', 'scale'], got ['mean']"),
        ({"name": "standardize"}, {"mean": mean, "scale": np.ones(2)}, "must have the same length, got [3, 2]"),
        ({"name": "standardize"}, {"mean": np.zeros((3, 1)), "scale": scale}, "array 'mean' must be 1-D"),
        ({"name": "standardize"}, {"mean": mean, "scale": np.array([1, 0, 1.0])}, "scale must be > 0"),
        ({"name": "standardize"}, {"mean": [0, 0, 0], "scale": scale}, "array 'mean' must be a numeric numpy array"),
        ({"name": "standardize"}, {"mean": np.array([0, np.inf, 0]), "scale": scale}, "non-empty and finite"),
        ({"name": "minmax", "low": 0, "high": 1}, {"min": np.ones(3), "max": mean}, "need max >= min"),
        ({"name": "minmax", "low": "0", "high": 1}, {"min": mean, "max": scale}, "low must be a finite number"),
        ({"name": "minmax", "low": 1, "high": 0}, {"min": mean, "max": scale}, "MinMax needs low < high"),
        ({"name": "rashid", "max_value": 255}, {}, "needs exactly the keys ['max_value', 'n_features', 'name']"),
        ({"name": "rashid", "max_value": 255, "n_features": 2.0}, {}, "n_features must be an integer"),
        ({"name": "rashid", "max_value": 255, "n_features": None}, {"x": mean}, "expected exactly the arrays []"),
        ({"name": "pipeline", "steps": []}, {}, "pipeline steps must be a non-empty list"),
        ({"name": "pipeline", "steps": [{"name": "pipeline", "steps": []}]}, {}, "step 0 is itself a pipeline"),
        (
            {"name": "pipeline", "steps": [{"name": "standardize"}]},
            {"0.mean": mean, "0.scale": scale, "9.mean": mean},
            "pipeline arrays ['9.mean'] belong to no step",
        ),
        (
            {"name": "pipeline", "steps": [{"name": "standardize"}, {"name": "standardize"}]},
            {"0.mean": mean, "0.scale": scale, "1.mean": np.zeros(2), "1.scale": np.ones(2)},
            "pipeline step 1 was fitted on 2 columns but step 0 gives 3",
        ),
    ]
    for config, arrays, message in bad:
        with raises(ValueError, message):
            preprocessing_from_config(config, arrays)


def test_network_applies_its_preprocessing():
    net = glassnet.Network([glassnet.Dense(3, 2, "softmax")], seed=0)
    net.preprocessing = Standardize().fit(X_RAW)
    assert np.allclose(net.predict_proba(X_RAW), net.forward(net.preprocessing.transform(X_RAW)))


# -------------------------------------------------------------- targets


def test_one_hot_and_rashid_targets():
    assert one_hot([2, 0, 1], 3).tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert one_hot(np.array([1.0]), 2).tolist() == [[0, 1]]
    assert rashid_targets([5], 10).tolist() == [[0.01] * 5 + [0.99] + [0.01] * 4]
    assert rashid_targets([0, 1], 2, low=0.1, high=0.9).tolist() == [[0.9, 0.1], [0.1, 0.9]]
    with raises(ValueError, "y[1] is 3; class labels must be whole numbers 0 to 2"):
        one_hot([0, 3], 3)
    with raises(ValueError, "y[0] is 0.5; class labels must be whole numbers 0 to 1"):
        one_hot([0.5], 2)
    with raises(ValueError, "y must be a non-empty 1-D array of class labels, got shape (1, 2)"):
        one_hot([[0, 1]], 2)
    with raises(TypeError, "n_classes must be an integer"):
        one_hot([0], 2.0)
    with raises(ValueError, "rashid_targets needs low < high, got low=0.99, high=0.01"):
        rashid_targets([0], 2, low=0.99, high=0.01)


