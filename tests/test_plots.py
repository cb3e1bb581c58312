"""glassnet.plots: every function writes a valid PNG (or GIF) of the promised size and rejects bad input."""

import os
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

import glassnet
from glassnet import plots
from glassnet.experiments import RashidGridResult, iris_slope

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == PNG_SIGNATURE
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def only_file(folder, name):
    """The folder holds exactly ``name``: no temporary file was left behind."""
    assert sorted(os.listdir(folder)) == [name]


@pytest.fixture(scope="module")
def net2d():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 0] > 1).astype(int)
    net = glassnet.Network([glassnet.Dense(2, 8, "tanh"), glassnet.Dense(8, 3, "softmax")], seed=0)
    history = net.fit(X, y, epochs=5, lr=0.5, validation_data=(X, y))
    return net, X, y, history


@pytest.fixture(scope="module")
def iris_result():
    return iris_slope(learning_rates=(0.1, 0.5))


# ---------------------------------------------------------------- plumbing
def test_paths_are_checked(tmp_path, net2d):
    history = net2d[3]
    with pytest.raises(ValueError, match=r"path must name a \.png file, got '.*curves\.jpg'"):
        plots.learning_curves(history, tmp_path / "curves.jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.learning_curves(history, tmp_path / "missing" / "curves.png")
    with pytest.raises(TypeError, match=r"path must be a file path \(str or os.PathLike\), got 42 \(int\)"):
        plots.learning_curves(history, 42)
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(IsADirectoryError, match="folder.png' is a directory"):
        plots.learning_curves(history, tmp_path / "folder.png")
    assert os.listdir(tmp_path) == ["folder.png"]
    assert os.listdir(tmp_path / "folder.png") == []


def test_returns_the_path_as_given(tmp_path, monkeypatch, net2d):
    monkeypatch.chdir(tmp_path)
    assert plots.learning_curves(net2d[3], "./Curves.PNG") == "./Curves.PNG"  # the suffix check ignores case
    assert png_size(tmp_path / "Curves.PNG") == (1000, 400)


def test_overwrites_atomically_and_returns_the_path(tmp_path, net2d):
    target = tmp_path / "curves.png"
    target.write_bytes(b"old")
    assert plots.learning_curves(net2d[3], target) == str(target)
    assert png_size(target) == (1000, 400)
    only_file(tmp_path, "curves.png")


def test_no_pyplot_and_safe_in_threads(tmp_path, net2d):
    code = "import sys, glassnet.plots; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    net, X, y, history = net2d
    with ThreadPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(lambda i: plots.confusion_matrix(y, net.predict(X), tmp_path / f"cm{i}.png"), range(4)))
    assert [png_size(p) for p in paths] == [(640, 480)] * 4


# ---------------------------------------------------------------- learning curves
def test_learning_curves_from_history_and_dict(tmp_path, net2d):
    path = plots.learning_curves(net2d[3], tmp_path / "a.png")
    assert png_size(path) == (1000, 400)
    path = plots.learning_curves({"loss": [0.9, 0.5, 0.4], "extra": [1]}, tmp_path / "b.png")
    assert png_size(path) == (1000, 400)


def test_learning_curves_rejects_bad_history(tmp_path):
    with pytest.raises(TypeError, match="history must be"):
        plots.learning_curves([0.5, 0.4], tmp_path / "x.png")
    with pytest.raises(ValueError, match="'loss'"):
        plots.learning_curves({"accuracy": [0.5]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"history\['val_loss'\] has 1 epochs"):
        plots.learning_curves({"loss": [0.5, 0.4], "val_loss": [0.6]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="NaN"):
        plots.learning_curves({"loss": [0.5, float("nan")]}, tmp_path / "x.png")
    with pytest.raises(TypeError, match=r"history\['loss'\]"):
        plots.learning_curves({"loss": ["a", "b"]}, tmp_path / "x.png")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- confusion
def test_confusion_matrix_png(tmp_path):
    path = plots.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], tmp_path / "cm.png", class_names=["a", "b", "c"])
    assert png_size(path) == (640, 480)
    only_file(tmp_path, "cm.png")
    with pytest.raises(ValueError, match="class_names has 2 names but the labels go up to 2"):
        plots.confusion_matrix([0, 1, 2], [0, 1, 1], tmp_path / "x.png", class_names=["a", "b"])
    with pytest.raises(TypeError, match="class_names must be a sequence"):
        plots.confusion_matrix([0, 1], [0, 1], tmp_path / "x.png", class_names="ab")


# ---------------------------------------------------------------- network pictures
def test_decision_regions_png(tmp_path, net2d):
    net, X, y, _ = net2d
    path = plots.decision_regions(net, X, y, tmp_path / "dr.png", resolution=40)
    assert png_size(path) == (640, 480)
    only_file(tmp_path, "dr.png")


def test_decision_regions_rejects_bad_input(tmp_path, net2d):
    net, X, y, _ = net2d
    with pytest.raises(ValueError, match=r"X must have 2 columns .* got shape \(60, 3\)"):
        plots.decision_regions(net, np.c_[X, X[:, 0]], y, tmp_path / "x.png")
    with pytest.raises(ValueError, match="resolution must be between 2 and 1000"):
        plots.decision_regions(net, X, y, tmp_path / "x.png", resolution=1)
    with pytest.raises(TypeError, match="resolution must be an integer"):
        plots.decision_regions(net, X, y, tmp_path / "x.png", resolution=50.5)
    with pytest.raises(ValueError, match="y has 59 rows but X has 60 samples"):
        plots.decision_regions(net, X, y[:-1], tmp_path / "x.png")
    with pytest.raises(TypeError, match="net must be a glassnet Network"):
        plots.decision_regions("net", X, y, tmp_path / "x.png")


@pytest.mark.parametrize("n_in", [4, 64, 784])
def test_first_layer_weights_square_images(tmp_path, n_in):
    net = glassnet.Network([glassnet.Dense(n_in, 12, "sigmoid"), glassnet.Dense(12, 2, "softmax")], seed=0)
    path = plots.first_layer_weights(net, tmp_path / "w.png")
    assert png_size(path) == (640, 640)


def test_first_layer_weights_needs_a_shape_for_non_square_inputs(tmp_path):
    net = glassnet.Network([glassnet.Dense(6, 3, "sigmoid"), glassnet.Dense(3, 2, "softmax")], seed=0)
    with pytest.raises(ValueError, match="image_shape is required: the first layer has 6 inputs"):
        plots.first_layer_weights(net, tmp_path / "w.png")
    with pytest.raises(ValueError, match="image_shape 2x2 has 4 pixels but the first layer has 6 inputs"):
        plots.first_layer_weights(net, tmp_path / "w.png", image_shape=(2, 2))
    with pytest.raises(TypeError, match="image_shape must be a pair"):
        plots.first_layer_weights(net, tmp_path / "w.png", image_shape="2x3")
    with pytest.raises(TypeError, match="net must be a glassnet Network"):
        plots.first_layer_weights(object(), tmp_path / "w.png")
    assert os.listdir(tmp_path) == []
    path = plots.first_layer_weights(net, tmp_path / "w.png", image_shape=(2, 3), max_nodes=2)
    assert png_size(path) == (640, 640)


# ---------------------------------------------------------------- experiments
def test_iris_slope_png(tmp_path, iris_result):
    path = plots.iris_slope(iris_result, tmp_path / "iris.png")
    assert png_size(path) == (800, 400)  # 400 px per learning rate
    with pytest.raises(TypeError, match="result must be the IrisSlopeResult"):
        plots.iris_slope({"slopes": {}}, tmp_path / "x.png")


def test_iris_slope_animation_gif(tmp_path, iris_result):
    path = plots.iris_slope_animation(iris_result, tmp_path / "iris.gif")
    only_file(tmp_path, "iris.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.size == (384, 288)
        assert gif.n_frames == 60
    path = plots.iris_slope_animation(iris_result, tmp_path / "short.gif", frames=7)
    with Image.open(path) as gif:
        assert gif.n_frames == 7


def test_iris_slope_animation_rejects_bad_input(tmp_path, iris_result):
    with pytest.raises(ValueError, match="frames must be between 2 and 60"):
        plots.iris_slope_animation(iris_result, tmp_path / "x.gif", frames=61)
    with pytest.raises(ValueError, match=r"path must name a \.gif file, got '.*x\.png'"):
        plots.iris_slope_animation(iris_result, tmp_path / "x.png")
    with pytest.raises(TypeError, match="fps must be an integer"):
        plots.iris_slope_animation(iris_result, tmp_path / "x.gif", fps="fast")


def test_rashid_grid_png(tmp_path):
    result = RashidGridResult(
        learning_rates=(0.1, 0.3), lr_accuracy=[0.8, 0.9], epochs=(1, 2), epochs_accuracy=[0.7, 0.9],
        hidden=(10, 100), hidden_accuracy=[0.85, 0.9], base_lr=0.3, base_epochs=2, base_hidden=100,
        n_train=1348, n_test=449, seed=0, seconds=1.0,
    )
    path = plots.rashid_grid(result, tmp_path / "grid.png")
    assert png_size(path) == (1200, 400)
    with pytest.raises(TypeError, match="result must be the RashidGridResult"):
        plots.rashid_grid(None, tmp_path / "x.png")
