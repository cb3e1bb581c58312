"""The presets: the tutorials' worked examples and a classic, as settings a page can load in one click."""

from __future__ import annotations

from glassnet.playground.settings import Settings

_BASE = Settings().as_dict()

PRESETS = {
    "stairs": {
        "title": "the stairs worked example",
        "about": "Ben Gorman's 4-2-2 network, starting weights and four 2x2 images; one step (batch = the four "
                 "images, lr 0.1) gives the tutorial's numbers: Z1[0] = [-0.42392, 1.12803], loss 0.69257",
        "notation": "augmented",
        "settings": {"dataset": "stairs", "hidden": [2], "activation": "sigmoid", "output": "softmax", "bias": True,
                     "optimizer": "sgd", "lr": 0.1, "l2": 0.0, "init": "tutorial", "batch_size": 4,
                     "shuffle": False, "seed": 0},
    },
    "desai": {
        "title": "Desai's 16-row table",
        "about": "Shubhang Desai's softmax regression: one Dense(4, 2) layer, W ~ N(0, 1), lr 0.04 (his 0.01 on a "
                 "summed gradient), minibatches of 4; rows 0-7 train, rows 8-15 test",
        "notation": "standard",
        "settings": {"dataset": "toy16", "hidden": [], "output": "softmax", "bias": True, "optimizer": "sgd",
                     "lr": 0.04, "l2": 0.0, "init": "normal", "batch_size": 4, "shuffle": True, "seed": 0},
    },
    "rashid": {
        "title": "Rashid's bug classifier",
        "about": "Tariq Rashid's line y = A x through the ladybird and the caterpillar, A starting at 0.25, one bug "
                 "per step, lr 0.5, as a 1-1 linear layer without bias and squared error (the gradient step; "
                 "glassnet's rashid tutorial compares it with the book's rule): A goes 0.25 -> 0.775 -> 1.8375",
        "notation": "standard",
        "settings": {"dataset": "bugs", "hidden": [], "output": "linear", "bias": False, "optimizer": "sgd",
                     "lr": 0.5, "l2": 0.0, "init": "tutorial", "batch_size": 1, "shuffle": False, "seed": 0},
    },
    "xor": {
        "title": "XOR with two hidden neurons",
        "about": "XOR's four corners, opposite ones alike: no straight line separates the classes; two tanh units "
                 "draw two parallel lines that do. Seed 3 finds them; some seeds settle with one corner wrong (a local "
                 "minimum): try new seed",
        "notation": "standard",
        "settings": {"dataset": "corners", "n_points": 200, "noise": 0.1, "train_ratio": 0.5, "data_seed": 0,
                     "features": ["x1", "x2"], "hidden": [2], "activation": "tanh", "output": "softmax",
                     "bias": True, "optimizer": "adam", "lr": 0.03, "l2": 0.0, "init": "glorot", "batch_size": 10,
                     "shuffle": True, "seed": 3},
    },
}


def preset_settings(name) -> dict:
    """The full settings of preset ``name`` (every setting the preset leaves out at its default)."""
    return {**_BASE, **PRESETS[name]["settings"]}
