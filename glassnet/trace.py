"""A trace of one training step: every matrix of the forward pass, the loss,
the backward pass and the update, recorded by name and rendered as text.

Names (``l`` is the layer number, starting at 1)::

    X                      the input batch
    Z{l}, A{l}             pre-activation and output of layer l (the last A is Yhat)
    Y                      the target matrix
    loss_i, loss           per-sample losses and their mean
    dA{l}                  dL/dA of layer l (absent for the output layer when the
                           loss hands over a fused dZ, e.g. softmax + cross entropy)
    dZ{l}, dW{l}, db{l}    gradients of layer l
    W{l}, b{l}             parameters before the update
    W{l}_new, b{l}_new     parameters after the update

Two notations are rendered. The default is ``Z = X @ W + b``. The *augmented*
notation of the stairs tutorial folds each bias into its weight matrix: a
column of ones is put in front of every layer input (``X1 = [1 | X]``,
``X2 = [1 | A1]``) and the bias becomes the top row of the weights
(``W1 = [b1; W1]``), so ``Z1 = X1 @ W1`` with no separate bias. It is a view of
the same numbers, not a different computation.
"""

from __future__ import annotations

import numpy as np

from glassnet.checks import choice
from glassnet.optimizers import SGD, optimizer_or_lr
from glassnet.render import format_matrix, format_number


class Trace:
    """The named matrices of one training step (see the module docstring).

    Besides ``entries``: ``n_layers``, ``bias`` (whether each layer has one),
    ``loss_name``, ``fused`` (the loss handed the output layer its dZ),
    ``activations`` (each layer's activation name), ``optimizer`` (the repr of
    the optimizer that took the step) and ``lr``, the learning rate when the step
    was plain gradient descent ``W_new = W - lr * dW`` (None for any other rule).
    """

    def __init__(self, entries: dict, n_layers: int, bias: list, loss_name: str, fused: bool, activations=None,
                 optimizer=None, lr=None):
        self.entries = entries
        self.n_layers = n_layers
        self.bias = bias
        self.loss_name = loss_name
        self.fused = fused
        self.activations = activations
        self.optimizer = optimizer
        self.lr = lr

    def __getitem__(self, name):
        return self.entries[name]

    def __contains__(self, name):
        return name in self.entries

    @property
    def names(self):
        return list(self.entries)

    def augmented(self) -> dict:
        """The same step in the augmented notation (ones column, bias row on top of W).

        Keys: ``X{l}`` (input of layer l with a ones column), ``W{l}``,
        ``W{l}_new`` and ``dW{l}`` (bias row on top), ``Z{l}``, ``dZ{l}``, ``Yhat``,
        and for every layer after the first that has a bias ``dX{l} = dZ{l} @ W{l}.T``:
        its first column belongs to the constant 1, the others are ``dA{l-1}``.
        Layers without bias get no ones column.
        """
        e, out = self.entries, {}
        inputs = [e["X"]] + [e[f"A{l}"] for l in range(1, self.n_layers)]
        for l in range(1, self.n_layers + 1):
            has_b = self.bias[l - 1]
            A_prev = inputs[l - 1]
            out[f"X{l}"] = np.hstack([np.ones((A_prev.shape[0], 1)), A_prev]) if has_b else A_prev
            for w_key, b_key in ((f"W{l}", f"b{l}"), (f"dW{l}", f"db{l}"), (f"W{l}_new", f"b{l}_new")):
                out[w_key] = np.vstack([e[b_key], e[w_key]]) if has_b else e[w_key]
            out[f"Z{l}"] = e[f"Z{l}"]
            out[f"dZ{l}"] = e[f"dZ{l}"]
            if has_b and l > 1:
                out[f"dX{l}"] = e[f"dZ{l}"] @ out[f"W{l}"].T
        out["Yhat"] = e[f"A{self.n_layers}"]
        return out

    NOTATIONS = ("standard", "augmented")
    PARTS = ("forward", "loss", "backward", "update")

    def render(self, notation="standard", decimals=5, parts=PARTS) -> str:
        """The step as aligned text.

        ``notation`` is ``"standard"`` or ``"augmented"``; ``parts`` picks any of
        ``"forward"``, ``"loss"``, ``"backward"``, ``"update"``.
        """
        notation = choice("notation", notation, self.NOTATIONS)
        unknown = set(parts) - set(self.PARTS)
        if unknown:
            raise ValueError(f"parts must be drawn from {self.PARTS}, got unknown {sorted(unknown)}")
        M = self.entries if notation == "standard" else {**self.entries, **self.augmented()}
        blocks = []
        for part in self.PARTS:
            if part in parts:
                for title, name, value in getattr(self, f"_{part}_blocks")(M, notation):
                    blocks.append(title if name is None else f"{title}\n{format_matrix(value, name, decimals)}")
        return "\n\n".join(blocks).replace("{loss}", format_number(self.entries["loss"], decimals))

    # Each *_blocks method yields (title, name, matrix); name None is a heading line.
    def _forward_blocks(self, M, notation):
        L = self.n_layers
        if notation == "augmented":
            yield "== Forward pass (augmented: ones column in X, bias row on top of W) ==", None, None
            for l in range(1, L + 1):
                yield f"input of layer {l}", f"X{l}", M[f"X{l}"]
                yield f"weights of layer {l}", f"W{l}", M[f"W{l}"]
                yield f"Z{l} = X{l} @ W{l}", f"Z{l}", M[f"Z{l}"]
            yield f"Yhat = f(Z{L})", "Yhat", M["Yhat"]
            return
        yield "== Forward pass ==", None, None
        yield "input batch", "X", M["X"]
        for l in range(1, L + 1):
            prev = "X" if l == 1 else f"A{l - 1}"
            yield f"weights of layer {l}", f"W{l}", M[f"W{l}"]
            if self.bias[l - 1]:
                yield f"bias of layer {l}", f"b{l}", M[f"b{l}"]
            plus_b = f" + b{l}" if self.bias[l - 1] else ""
            yield f"Z{l} = {prev} @ W{l}{plus_b}", f"Z{l}", M[f"Z{l}"]
            yield f"A{l} = f(Z{l})" + ("  (the prediction Yhat)" if l == L else ""), f"A{l}", M[f"A{l}"]

    def _loss_blocks(self, M, notation):
        yield "== Loss ==", None, None
        yield "targets", "Y", M["Y"]
        yield f"{self.loss_name} of each sample", "loss_i", M["loss_i"]
        yield "loss = mean(loss_i) = {loss}", None, None

    def _backward_blocks(self, M, notation):
        yield "== Backward pass ==", None, None
        for l in range(self.n_layers, 0, -1):
            if f"dA{l}" in M:
                yield f"dA{l} = dL/dA{l}", f"dA{l}", M[f"dA{l}"]
            how = "(Yhat - Y) / N, fused" if (l == self.n_layers and self.fused) else f"dA{l} * f'(Z{l})"
            yield f"dZ{l} = {how}", f"dZ{l}", M[f"dZ{l}"]
            if notation == "augmented":
                yield f"dW{l} = X{l}.T @ dZ{l}  (top row: bias)", f"dW{l}", M[f"dW{l}"]
                continue
            prev = "X" if l == 1 else f"A{l - 1}"
            yield f"dW{l} = {prev}.T @ dZ{l}", f"dW{l}", M[f"dW{l}"]
            if self.bias[l - 1]:
                yield f"db{l} = column sums of dZ{l}", f"db{l}", M[f"db{l}"]

    def _update_blocks(self, M, notation):
        yield "== Update ==", None, None
        for l in range(1, self.n_layers + 1):
            if notation == "augmented":
                yield f"W{l} after the step (top row: bias)", f"W{l}", M[f"W{l}_new"]
                continue
            yield f"W{l} after the step", f"W{l}", M[f"W{l}_new"]
            if self.bias[l - 1]:
                yield f"b{l} after the step", f"b{l}", M[f"b{l}_new"]

    def as_dict(self, notation="standard") -> dict:
        """Plain lists and floats, for JSON (``notation`` as for ``render``)."""
        notation = choice("notation", notation, self.NOTATIONS)
        source = self.entries if notation == "standard" else self.augmented()
        return {k: np.asarray(v).tolist() for k, v in source.items()}

    def _repr_html_(self):  # Jupyter: every matrix and formula, in MathML
        from glassnet.report import trace_html

        return trace_html(self)

    def _repr_markdown_(self):  # the same in LaTeX, for front ends that render Markdown only
        from glassnet.report import trace_markdown

        return trace_markdown(self)

    def __repr__(self):
        return f"Trace(layers={self.n_layers}, loss={self.entries['loss']:.5f}, entries={len(self.entries)})"


def trace_step(net, X, y, optimizer=None, lr=None) -> Trace:
    """Run one training step of ``net`` on ``(X, y)`` and record every matrix.

    The network is updated, exactly as ``net.train_step`` would update it.
    Give ``optimizer`` or ``lr`` (plain SGD); the default is ``SGD(0.1)``.
    """
    optimizer = optimizer_or_lr(optimizer, lr, default_lr=0.1)
    X = net.check_X(X)
    Y = net.targets(y, X.shape[0])
    e = {"X": X.copy()}
    for l, layer in enumerate(net.layers, 1):
        e[f"W{l}"] = layer.W.copy()
        if layer.bias:
            e[f"b{l}"] = layer.b.copy()
    Yhat = net.forward(X)
    for l, layer in enumerate(net.layers, 1):
        e[f"Z{l}"] = layer.Z.copy()
        e[f"A{l}"] = layer.A.copy()
    e["Y"] = Y
    e["loss_i"] = net.loss.per_sample(Yhat, Y)
    e["loss"] = float(e["loss_i"].mean())
    net.backward(Y)
    for l in range(len(net.layers), 0, -1):
        layer = net.layers[l - 1]
        if layer.dA is not None:
            e[f"dA{l}"] = layer.dA.copy()
        e[f"dZ{l}"] = layer.dZ.copy()
        e[f"dW{l}"] = layer.dW.copy()
        if layer.bias:
            e[f"db{l}"] = layer.db.copy()
    optimizer.step(net.parameters(), net.gradients())
    for l, layer in enumerate(net.layers, 1):
        e[f"W{l}_new"] = layer.W.copy()
        if layer.bias:
            e[f"b{l}_new"] = layer.b.copy()
    fused = net.layers[-1].dA is None
    plain = isinstance(optimizer, SGD) and optimizer.momentum == 0 and optimizer.weight_decay == 0
    return Trace(e, len(net.layers), [layer.bias for layer in net.layers], net.loss.name, fused,
                 [layer.activation.name for layer in net.layers], repr(optimizer), optimizer.lr if plain else None)
