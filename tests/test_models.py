"""glassnet.models: the ready-made networks are built as their sources build them."""

import numpy as np

import glassnet
from glassnet import models


def test_rashid_network_layout():
    net = models.rashid_network(4, 3, 2, seed=5)
    assert isinstance(net, glassnet.Network)
    assert [layer.W.shape for layer in net.layers] == [(4, 3), (3, 2)]
    assert [layer.activation.name for layer in net.layers] == ["sigmoid", "sigmoid"]
    assert [layer.bias for layer in net.layers] == [False, False]
    assert net.loss.name == "squared_error"


def test_rashid_network_draws_n_0_1_over_n_in_weights_from_its_seed():
    net = models.rashid_network(4, 3, 2, seed=5)
    rng = np.random.default_rng(5)  # the network's seed draws the layers in order
    np.testing.assert_allclose(net.layers[0].W, rng.normal(0.0, 1 / np.sqrt(4), size=(4, 3)), rtol=1e-12)
    np.testing.assert_allclose(net.layers[1].W, rng.normal(0.0, 1 / np.sqrt(3), size=(3, 2)), rtol=1e-12)
    again, other = models.rashid_network(4, 3, 2, seed=5), models.rashid_network(4, 3, 2, seed=6)
    np.testing.assert_array_equal(again.layers[0].W, net.layers[0].W)
    assert not np.array_equal(other.layers[0].W, net.layers[0].W)
    wide = models.rashid_network(400, 300, 2, seed=0)
    assert abs(wide.layers[0].W.std() - 1 / np.sqrt(400)) < 0.002
    assert abs(wide.layers[1].W.std() - 1 / np.sqrt(300)) < 0.01


def test_rashid_network_forward_is_two_sigmoids_without_biases():
    net = models.rashid_network(3, 5, 2, seed=1)
    X = np.random.default_rng(2).uniform(0.01, 0.99, size=(4, 3))
    W1, W2 = net.layers[0].W, net.layers[1].W

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    np.testing.assert_allclose(net.forward(X), sigmoid(sigmoid(X @ W1) @ W2), rtol=1e-12)


def test_experiments_keeps_the_old_name_for_this_release():
    from glassnet import experiments

    assert experiments.rashid_network is models.rashid_network
