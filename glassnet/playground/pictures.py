"""What the page draws, as numbers: the network over a grid of the plane, and the state of its units.

The page paints every picture itself (canvas); the server sends only
numbers. Heat maps travel as base64 strings of bytes, one byte per cell
(0-255 across a stated ``[lo, hi]``), which keeps a frame small enough for
30 and more pictures a second:

- ``picture``: the output over the plane of the two plotted raw columns
  (the other raw columns held at their training means): the class of each
  cell and how sure the network is (its largest output, rescaled from
  ``1/k``-or-less to 1), or the predicted value for a regression. A
  single plotted column gives a strip (classes) or a curve (regression).
- ``neurons``: each unit's output ``A`` over a coarser grid, layer by layer.
- ``unit_stats``: per hidden layer, the share of outputs on the training
  rows in a sigmoid's or tanh's flat tails (``|f'| < 1%`` of its largest
  value) and the share of ReLUs that are dead (0 for every training row).
"""

from __future__ import annotations

import base64

import numpy as np

GRID = 60          # cells per side of the decision picture
NEURON_STEP = 3    # the neuron maps take every third row and column: 20 x 20
CURVE_POINTS = 120
# Where each activation's output lies, for its heat map (None: the map's own largest |value|).
RANGES = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": None, "linear": None}
FLAT = 0.01  # a unit is saturated where |f'(z)| < FLAT times its largest value


def encode(values, lo, hi) -> str:
    """``values`` as bytes 0-255 across ``[lo, hi]`` (clipped), base64."""
    span = hi - lo if hi > lo else 1.0
    scaled = np.clip((np.asarray(values, dtype=np.float64) - lo) * (255.0 / span), 0, 255)
    return base64.b64encode(np.rint(scaled).astype(np.uint8).tobytes()).decode("ascii")


def grid(data):
    """``(raw, width, height)``: the raw rows of the picture's grid, ``height`` 1 for a single column."""
    means = data.X_train.mean(axis=0)
    if len(data.plot) == 1:
        xs = np.linspace(data.extent[0], data.extent[1], CURVE_POINTS if data.kind == "regression" else GRID)
        raw = np.tile(means, (len(xs), 1))
        raw[:, data.plot[0]] = xs
        return raw, len(xs), 1
    xs = np.linspace(data.extent[0], data.extent[1], GRID)
    ys = np.linspace(data.extent[3], data.extent[2], GRID)  # the top row first, as a canvas draws
    gx, gy = np.meshgrid(xs, ys)
    raw = np.tile(means, (GRID * GRID, 1))
    raw[:, data.plot[0]] = gx.ravel()
    raw[:, data.plot[1]] = gy.ravel()
    return raw, GRID, GRID


def inputs_on_grid(data):
    """The network's inputs over the grid: the raw grid through ``data.inputs``; computed once per data set."""
    raw, width, height = grid(data)
    return np.asarray(data.inputs(raw), dtype=np.float64).reshape(len(raw), -1), width, height


def feature_maps(data, X_grid, width, height) -> list:
    """Each input's value over the (coarser) grid, as the first column of the network picture."""
    maps = []
    for j, name in enumerate(data.input_names):
        values = _coarse(X_grid[:, j], width, height)
        m = float(np.abs(values).max()) or 1.0
        maps.append({"name": name, "lo": -m, "hi": m, "data": encode(values, -m, m)})
    return maps


def _coarse(values, width, height):
    if height == 1:
        return values[::NEURON_STEP]
    return values.reshape(height, width)[::NEURON_STEP, ::NEURON_STEP].ravel()


def picture(net, data, X_grid, width, height) -> dict:
    """The output picture and every unit's map, from one forward pass over the grid."""
    Yhat = net.forward(X_grid)
    out = {"width": width, "height": height, "extent": data.extent}
    if data.kind == "regression":
        lo, hi = _target_range(data)
        if height == 1:
            out.update(kind="curve", values=Yhat[:, 0].tolist(), lo=lo, hi=hi)
        else:
            out.update(kind="values", lo=lo, hi=hi, data=encode(Yhat[:, 0], lo, hi))
    else:
        if Yhat.shape[1] == 1:  # one sigmoid output: P(class 1)
            Yhat = np.column_stack([1 - Yhat[:, 0], Yhat[:, 0]])
        k = Yhat.shape[1]
        best = Yhat.max(axis=1) / np.maximum(Yhat.sum(axis=1), 1e-12)  # independent sigmoids need not sum to 1
        out.update(kind="classes", classes=base64.b64encode(Yhat.argmax(axis=1).astype(np.uint8).tobytes())
                   .decode("ascii"), confidence=encode(best, 1.0 / k, 1.0))
    maps = []
    for layer in net.layers:
        A = layer.A
        layer_maps = []
        for j in range(A.shape[1]):
            values = _coarse(A[:, j], width, height)
            lo, hi = _range(layer.activation.name, values)
            layer_maps.append({"lo": lo, "hi": hi, "data": encode(values, lo, hi)})
        maps.append(layer_maps)
    out["neurons"] = maps
    return out


def _range(activation, values):
    fixed = RANGES[activation]
    if fixed is not None:
        return fixed
    m = float(np.abs(values).max()) or 1.0
    return -m, m


def _target_range(data):
    y = np.concatenate([data.y_train.ravel(), data.y_test.ravel()]).astype(np.float64)
    lo, hi = float(y.min()), float(y.max())
    return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)


def unit_stats(net, X) -> list:
    """Per hidden layer on the rows ``X``: its activation, the share saturated and the share of dead ReLUs."""
    net.forward(X)
    stats = []
    for layer in net.layers[:-1]:
        A, name = layer.A, layer.activation.name
        entry = {"activation": name, "saturated": None, "dead": None}
        if name == "sigmoid":
            entry["saturated"] = float(np.mean(A * (1 - A) < FLAT * 0.25))
        elif name == "tanh":
            entry["saturated"] = float(np.mean(1 - A * A < FLAT))
        elif name == "relu":
            entry["dead"] = float(np.mean(np.all(A <= 0, axis=0)))
        stats.append(entry)
    return stats
