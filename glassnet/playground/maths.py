"""The maths of the last step, for the page: a ``glassnet.Trace`` as titled blocks with their formulas.

Each block is one matrix of the step (``X``, ``Z1``, ``A1``, ..., ``Yhat``,
``loss_i``, ``dZ``, ``dW``, ``db``, the weights before and after) with the
formula that made it, in glassnet's ``Z = X @ W + b`` notation or in the
stairs tutorial's augmented one (``Trace.augmented()``: a ones column in
front of each layer's input, the bias as the top row of ``W``). A matrix
larger than ``SHOWN_ROWS`` x ``SHOWN_COLS`` is cut to its top-left corner;
its block states the whole shape. The weights also travel whole, apart from
the blocks, for the page's weight-by-weight update formulas (``update``).
"""

from __future__ import annotations

import numpy as np

SHOWN_ROWS = 8
SHOWN_COLS = 10

ACTIVATION = {
    "sigmoid": "1 / (1 + exp(−Z{l}))",
    "tanh": "tanh(Z{l})",
    "relu": "max(0, Z{l})",
    "linear": "Z{l}",
    "softmax": "exp(Z{l}) / (row sums of exp(Z{l}))",
}
DERIVATIVE = {  # f'(Z) written with the output A, as glassnet computes it
    "sigmoid": "A{l} * (1 − A{l})",
    "tanh": "(1 − A{l}²)",
    "relu": "[Z{l} > 0]",
    "linear": "1",
}
LOSS = {
    "cross_entropy": "loss_i = −Σ_k Y_ik · log Yhat_ik",
    "binary_cross_entropy": "loss_i = −Σ_k [Y_ik · log Yhat_ik + (1 − Y_ik) · log(1 − Yhat_ik)]",
    "squared_error": "loss_i = ½ Σ_k (Yhat_ik − Y_ik)²",
}


def block(part, title, formula, name, value, layer=None, units=False):
    """One matrix as the page shows it; ``units``: its columns are layer ``layer``'s units (highlightable)."""
    M = np.asarray(value, dtype=np.float64)
    if M.ndim == 1:  # a bias is a row; per-row losses are a column
        M = M.reshape(1, -1) if name.startswith(("b", "db")) else M.reshape(-1, 1)
    shown = M[:SHOWN_ROWS, :SHOWN_COLS]
    return {"part": part, "title": title, "formula": formula, "name": name, "shape": list(np.shape(value)),
            "rows": shown.tolist(), "more_rows": M.shape[0] - shown.shape[0], "more_cols": M.shape[1] - shown.shape[1],
            "layer": layer, "units": units}


def blocks(trace, net, settings, notation="standard") -> list:
    """The step's blocks, forward pass, loss, backward pass and update, in ``notation``."""
    e = trace.entries
    aug = trace.augmented() if notation == "augmented" else None
    L = len(net.layers)
    acts = [layer.activation.name for layer in net.layers]
    bias = [layer.bias for layer in net.layers]
    out = []
    for l in range(1, L + 1):
        prev = "X" if l == 1 else f"A{l - 1}"
        if aug is not None:
            ones = "[1 | " + prev + "]" if bias[l - 1] else prev
            out.append(block("forward", f"input of layer {l}", f"X{l} = {ones}", f"X{l}", aug[f"X{l}"]))
            out.append(block("forward", f"weights of layer {l}" + (" (top row: bias)" if bias[l - 1] else ""),
                             "", f"W{l}", aug[f"W{l}"]))
            out.append(block("forward", "what each unit receives", f"Z{l} = X{l} @ W{l}", f"Z{l}", e[f"Z{l}"], l,
                             True))
        else:
            if l == 1:
                out.append(block("forward", "the batch", "X", "X", e["X"]))
            out.append(block("forward", f"weights of layer {l}", "", f"W{l}", e[f"W{l}"]))
            if bias[l - 1]:
                out.append(block("forward", f"bias of layer {l}", "", f"b{l}", e[f"b{l}"]))
            plus_b = f" + b{l}" if bias[l - 1] else ""
            out.append(block("forward", "what each unit receives", f"Z{l} = {prev} @ W{l}{plus_b}", f"Z{l}",
                             e[f"Z{l}"], l, True))
        name = "Yhat" if l == L else f"A{l}"
        what = "the prediction" if l == L else "what each unit sends on"
        formula = f"{name} = {acts[l - 1]}(Z{l}) = " + ACTIVATION[acts[l - 1]].format(l=l)
        out.append(block("forward", what, formula, name, e[f"A{l}"], l, True))
    out.append(block("loss", "targets", "Y", "Y", e["Y"]))
    out.append(block("loss", f"{trace.loss_name} of each row", LOSS[trace.loss_name], "loss_i", e["loss_i"]))
    out.append({"part": "loss", "title": "the batch's loss", "formula": "loss = mean of loss_i", "name": "loss",
                "value": float(e["loss"])})
    for l in range(L, 0, -1):
        prev = "X" if l == 1 else f"A{l - 1}"
        if l == L and trace.fused:
            formula = f"dZ{l} = (Yhat − Y) / N  ({acts[-1]} and {trace.loss_name}, fused)"
        else:
            if l == L:
                dA = f"dA{l} = dL/dYhat = (Yhat − Y) / N" if trace.loss_name == "squared_error" else f"dA{l} = dL/dYhat"
            else:
                dA = f"dA{l} = dZ{l + 1} @ W{l + 1}.T" + ("  (without the bias row)" if aug is not None else "")
            out.append(block("backward", f"gradient at the output of layer {l}", dA, f"dA{l}", e[f"dA{l}"], l, True))
            formula = f"dZ{l} = dA{l} * f'(Z{l}) = dA{l} * " + DERIVATIVE[acts[l - 1]].format(l=l)
        out.append(block("backward", f"gradient at what layer {l} receives", formula, f"dZ{l}", e[f"dZ{l}"], l, True))
        if aug is not None:
            top = " (top row: bias)" if bias[l - 1] else ""
            out.append(block("backward", f"gradient of layer {l}'s weights{top}", f"dW{l} = X{l}.T @ dZ{l}", f"dW{l}",
                             aug[f"dW{l}"]))
            continue
        out.append(block("backward", f"gradient of layer {l}'s weights", f"dW{l} = {prev}.T @ dZ{l}", f"dW{l}",
                         e[f"dW{l}"]))
        if bias[l - 1]:
            out.append(block("backward", f"gradient of layer {l}'s bias", f"db{l} = column sums of dZ{l}", f"db{l}",
                             e[f"db{l}"]))
    rule = update_rule(settings)
    for l in range(1, L + 1):
        if aug is not None:
            out.append(block("update", f"layer {l} after the step", rule.format(p=f"W{l}", g=f"dW{l}"), f"W{l}",
                             aug[f"W{l}_new"]))
            continue
        out.append(block("update", f"layer {l} after the step", rule.format(p=f"W{l}", g=f"dW{l}"), f"W{l}",
                         e[f"W{l}_new"]))
        if bias[l - 1]:
            out.append(block("update", f"bias {l} after the step", update_rule(settings, bias=True)
                             .format(p=f"b{l}", g=f"db{l}"), f"b{l}", e[f"b{l}_new"]))
    return out


def update_rule(settings, bias=False) -> str:
    """The optimizer's rule for parameter ``{p}`` with gradient ``{g}`` (L2 applies to weights only)."""
    g = "{g}" if bias or not settings.l2 else "({g} + λ·{p})"
    if settings.optimizer == "sgd":
        return "{p} ← {p} − lr · " + g
    if settings.optimizer == "momentum":
        return "v ← μ·v + " + g + ";  {p} ← {p} − lr · v"
    return ("m ← β1·m + (1 − β1)·g;  s ← β2·s + (1 − β2)·g²;  {p} ← {p} − lr · m̂ / (√ŝ + ε)"
            + ("" if bias or not settings.l2 else ",  g = {g} + λ·{p}"))


def update(trace, net, optimizer) -> list:
    """Per layer, whole: the weights before and after the last step, the gradients and the optimizer's state."""
    e = trace.entries
    layers, i = [], 0
    for l, layer in enumerate(net.layers, 1):
        entry = {"W": e[f"W{l}"].tolist(), "dW": e[f"dW{l}"].tolist(), "W_new": e[f"W{l}_new"].tolist()}
        entry["state_W"] = _state(optimizer, i)
        i += 1
        if layer.bias:
            entry.update(b=e[f"b{l}"].tolist(), db=e[f"db{l}"].tolist(), b_new=e[f"b{l}_new"].tolist())
            entry["state_b"] = _state(optimizer, i)
            i += 1
        layers.append(entry)
    return layers


def _state(optimizer, i):
    slot = optimizer.state.get(i)
    return None if slot is None else {k: v.tolist() for k, v in slot.items()}
