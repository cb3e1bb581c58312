"""PyTorch exchange (glassnet.torch_exchange): the same predictions both ways, and a safetensors state dict."""

import numpy as np
import pytest

from glassnet import Dense, Network
from glassnet.torch_exchange import from_torch, save_torch, to_torch, to_torch_state_dict

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional, in no extra)")
nn = torch.nn
safetensors_torch = pytest.importorskip("safetensors.torch")

X = np.random.default_rng(0).normal(size=(20, 4))
TOLERANCE = {np.float32: 1e-6, np.float64: 1e-12}


def network(output="softmax", dtype=np.float64):
    n_out, loss = {"softmax": (3, "cross_entropy"), "sigmoid": (1, "binary_cross_entropy"),
                   "linear": (2, "squared_error")}[output]
    net = Network([Dense(4, 6, "sigmoid"), Dense(6, 6, "tanh"), Dense(6, 5, "relu", bias=False),
                   Dense(5, 5, "linear"), Dense(5, n_out, output)], loss=loss, seed=0)
    net.cast(dtype)
    return net


def torch_output(model, X):
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "linear"])
def test_glassnet_to_torch_and_back_gives_the_same_outputs(output, dtype):
    net = network(output, dtype)
    model = to_torch(net)
    Xd = X.astype(dtype)
    np.testing.assert_allclose(torch_output(model, Xd), net.predict_proba(Xd), rtol=0, atol=TOLERANCE[dtype])
    back = from_torch(model)
    assert [layer.activation.name for layer in back.layers] == [layer.activation.name for layer in net.layers]
    assert back.loss.name == net.loss.name and back.dtype == dtype
    for mine, theirs in zip(net.layers, back.layers):
        assert np.array_equal(mine.W, theirs.W) and (mine.b is None) == (theirs.b is None)
    state = to_torch_state_dict(net)
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "6.weight", "6.bias",
                           "7.weight", "7.bias"]
    assert tuple(state["0.weight"].shape) == (6, 4)  # torch's (n_out, n_in): glassnet's W transposed


def test_a_torch_model_becomes_a_network_with_the_same_outputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Sequential(nn.Linear(8, 8), nn.Tanh()),
                          nn.Linear(8, 3), nn.Identity(), nn.Softmax(dim=1))
    net = from_torch(model)
    assert repr(net).count("Dense") == 3 and net.loss.name == "cross_entropy" and net.dtype == np.float32
    Xf = X.astype(np.float32)
    np.testing.assert_allclose(net.predict_proba(Xf), torch_output(model, Xf), rtol=0, atol=1e-6)
    # a state dict holds no activations: they are given
    net = from_torch(model.state_dict(), activations=["relu", "tanh", "softmax"])
    np.testing.assert_allclose(net.predict_proba(Xf), torch_output(model, Xf), rtol=0, atol=1e-6)
    regression = from_torch(nn.Linear(4, 2).double())
    assert regression.is_regression and regression.loss.name == "squared_error" and regression.dtype == np.float64


def test_the_safetensors_file_loads_into_an_nn_sequential(tmp_path):
    net = network("softmax", np.float32)
    net.class_names = ["a", "b", "c"]
    path = save_torch(net, tmp_path / "m.safetensors")
    model = nn.Sequential(nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 5, bias=False),
                          nn.ReLU(), nn.Linear(5, 5), nn.Linear(5, 3), nn.Softmax(dim=-1))
    model.load_state_dict(safetensors_torch.load_file(path))  # strict: every name and shape matches
    np.testing.assert_allclose(torch_output(model, X.astype(np.float32)), net.predict_proba(X.astype(np.float32)),
                               rtol=0, atol=1e-6)


def test_what_cannot_be_read_is_refused_in_one_line():
    with pytest.raises(ValueError, match="a state dict holds no activations: give activations"):
        from_torch({"0.weight": torch.zeros(3, 4)})
    with pytest.raises(ValueError, match="activations has 1 names but the state dict has 2 layers"):
        from_torch({"0.weight": torch.zeros(3, 4), "1.weight": torch.zeros(2, 3)}, activations=["relu"])
    with pytest.raises(ValueError, match=r"0.weight has 3 outputs but 1.weight takes 5 inputs"):
        from_torch({"0.weight": torch.zeros(3, 4), "1.weight": torch.zeros(2, 5)}, activations=["relu", "linear"])
    with pytest.raises(ValueError, match=r"the state dict holds \['0.running_mean'\]"):
        from_torch({"0.weight": torch.zeros(3, 4), "0.running_mean": torch.zeros(3)}, activations=["linear"])
    with pytest.raises(TypeError, match="from_torch cannot read the module Dropout"):
        from_torch(nn.Sequential(nn.Linear(4, 3), nn.Dropout()))
    with pytest.raises(ValueError, match="follows another activation"):
        from_torch(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Tanh()))
    with pytest.raises(ValueError, match="activations come from the module's activation modules"):
        from_torch(nn.Sequential(nn.Linear(4, 3)), activations=["relu"])
    with pytest.raises(TypeError, match="from_torch reads an nn.Sequential .* got Conv1d"):
        from_torch(nn.Conv1d(1, 1, 1))
    with pytest.raises(TypeError, match="net must be a glassnet Network"):
        to_torch_state_dict("model.safetensors")
