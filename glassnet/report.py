"""Reports: one training step (a ``Trace``) worked out, a network, a training history, as text, Markdown
or HTML (``glassnet.markup`` writes the formats).

``step_report`` works a step out the way the tutorials do: every matrix, every formula with its matrices
substituted, and the first entry of each product spelled out with its numbers, in the standard notation
(``Z = X W + b``) or the stairs tutorial's augmented one (a column of ones in front of each layer's input,
the bias as the top row of ``W``). ``Trace``, ``Network`` and ``History`` show themselves in Jupyter through
the functions at the end.
"""

from __future__ import annotations

import numpy as np

from glassnet.checks import choice
from glassnet.markup import Block, Document, Exp, Fn, Frac, Mat, Num, Paren, Square, Sum, Sym

NOTATIONS = ("standard", "augmented")
PARTS = ("forward", "loss", "backward", "update")


def _terms(n, limit=5):
    """The terms a sum of ``n`` shows: all up to ``limit``, else the first three, an ellipsis (None), the last."""
    return list(range(n)) if n <= limit else [0, 1, 2, None, n - 1]


def _sum(terms):
    """Items of ``t0 + t1 + ...`` (a None term is the ellipsis)."""
    items = []
    for k, term in enumerate(terms):
        items += ([] if k == 0 else ["+"]) + (["..."] if term is None else list(term))
    return items


def _count(n, what):
    return f"{n} {what}" + ("" if n == 1 else "s")


def _entry(base, layer, i, j=None, hat=False):
    return Sym(base, layer, (i + 1,) if j is None else (i + 1, j + 1), hat=hat)


class _Step:
    """Writes the sections of one traced step into a Document. The entry formulas are spelled out for the
    activations sigmoid, tanh, relu, linear and softmax and the losses glassnet has; any other shows its
    matrices."""

    def __init__(self, doc, trace, notation, decimals, level):
        self.doc, self.t, self.d, self.level = doc, trace, decimals, level
        self.aug = notation == "augmented"
        self.e = trace.entries
        self.M = {**trace.entries, **trace.augmented()} if self.aug else trace.entries
        self.L = trace.n_layers
        self.N = self.e["X"].shape[0]
        self.acts = list(getattr(trace, "activations", None) or [None] * self.L)

    # -- names
    def num(self, x, paren=True):
        return Num(float(x), self.d, paren)

    def mat(self, M):
        return Mat(np.asarray(M), self.d)

    def input(self, l):
        """Symbol, element base and matrix of layer ``l``'s input."""
        if self.aug:
            return Sym("X", l), ("x", l), self.M[f"X{l}"]
        return (Sym("X"), ("x", None), self.e["X"]) if l == 1 else (Sym("A", l - 1), ("a", l - 1), self.e[f"A{l - 1}"])

    def act_name(self, l):
        return self.acts[l - 1] or "f"

    def yhat(self, index=()):
        return Sym("y" if index else "Y", index=index, hat=True)

    # -- sections
    def forward(self):
        doc = self.doc
        doc.heading("Forward pass", self.level)
        doc.para("Each row of X is one sample." + (
            " Each layer's input gets a column of ones in front, and the layer's bias is the top row of its W, "
            "so Z = X W." if self.aug else " Z = X W + b adds the bias b to every row."))
        doc.matrix(Sym("X"), self.e["X"], self.d)
        for l in range(1, self.L + 1):
            self.forward_layer(l)

    def forward_layer(self, l):
        doc, e, M = self.doc, self.e, self.M
        W = M[f"W{l}"]
        n_in, n_out = e[f"W{l}"].shape
        has_b = self.t.bias[l - 1]
        doc.heading(f"Layer {l}: {_count(n_in, 'input')}, {_count(n_out, self.act_name(l) + ' node')}", self.level + 1)
        inp, (x, xl), A_prev = self.input(l)
        if self.aug and has_b:
            prev = Sym("X") if l == 1 else Sym("A", l - 1)
            doc.equation(inp, Block(("1", prev)), self.mat(A_prev))
        doc.matrix(Sym("W", l), W, self.d)
        if has_b and not self.aug:
            doc.matrix(Sym("b", l), e[f"b{l}"], self.d)
        Z = e[f"Z{l}"]
        plus_b = has_b and not self.aug
        symbolic = [inp, "@", Sym("W", l)] + (["+", Sym("b", l)] if plus_b else [])
        numbers = [self.mat(A_prev), "@", self.mat(W)] + (["+", self.mat(e[f"b{l}"])] if plus_b else [])
        doc.equation(Sym("Z", l), symbolic, numbers, self.mat(Z))
        terms = [(_entry(x, xl, 0, k), A_prev[0, k], _entry("w", l, k, 0), W[k, 0]) for k in range(W.shape[0])]
        bias = (Sym("b", l, (1,)), e[f"b{l}"][0]) if plus_b else None
        self.products(_entry("z", l, 0, 0), terms, Z[0, 0], bias)
        A = e[f"A{l}"]
        lhs = [self.yhat(), "=", Sym("A", l)] if l == self.L else [Sym("A", l)]
        doc.equation(lhs, Fn(self.act_name(l), (Sym("Z", l),)), self.mat(A))
        self.activation_entry(l)

    def products(self, lhs, terms, value, bias=None):
        """``lhs = a1 b1 + a2 b2 + ... (+ bias) = numbers = value``: an entry of a product spelled out. A term is
        ``(symbol, number)`` (a sum of numbers) or ``(symbol, number, symbol, number)`` (of products); ``bias``,
        a ``(symbol, number)`` added at the end, is shown even when the terms are elided."""
        shown = [None if k is None else terms[k] for k in _terms(len(terms))] + ([bias] if bias else [])
        in_sum = len(shown) > 1  # a negative term of a sum gets parentheses, a lone number none
        symbolic = _sum([None if t is None else [t[0]] if len(t) == 2 else [t[0], ".", t[2]] for t in shown])
        numbers = _sum([None if t is None else [self.num(t[1], in_sum)] if len(t) == 2 else
                        [self.num(t[1]), ".", self.num(t[3])] for t in shown])
        self.doc.equation(lhs, symbolic, numbers, self.num(value, False))

    def activation_entry(self, l):
        z, a = self.e[f"Z{l}"][0, 0], self.e[f"A{l}"][0, 0]
        zs = _entry("z", l, 0, 0)
        name = self.act_name(l)
        lhs = _entry("y", None, 0, 0, hat=True) if l == self.L else _entry("a", l, 0, 0)
        if name == "sigmoid":
            sides = [Frac(("1",), ("1", "+", Exp(("-", zs)))), Frac(("1",), ("1", "+", Exp((self.num(-z, False),))))]
        elif name == "relu":
            sides = [Fn("max", ("0", ",", zs)), Fn("max", ("0", ",", self.num(z, False)))]
        elif name == "tanh":
            sides = [Fn("tanh", (zs,)), Fn("tanh", (self.num(z, False),))]
        elif name == "linear":
            sides = [zs]
        elif name == "softmax":
            row = self.e[f"Z{l}"][0]
            shown = _terms(len(row))
            denominator = _sum([None if k is None else [Exp((_entry("z", l, 0, k),))] for k in shown])
            numbers = _sum([None if k is None else [Exp((self.num(row[k], False),))] for k in shown])
            sides = [Frac((Exp((zs,)),), tuple(denominator)), Frac((Exp((self.num(z, False),)),), tuple(numbers))]
        else:
            sides = [Fn(name, (zs,))]
        self.doc.equation(lhs, *sides, self.num(a, False))

    def loss(self):
        doc, e = self.doc, self.e
        doc.heading("Loss", self.level)
        doc.matrix(Sym("Y"), e["Y"], self.d)
        Y, P, name = e["Y"], e[f"A{self.L}"], self.t.loss_name
        li = Sym("loss", index=("i",))
        y, yh = Sym("y", index=("i", "c")), Sym("y", index=("i", "c"), hat=True)
        cols = range(Y.shape[1])
        if name == "cross_entropy":
            doc.para("Cross entropy: only the log-probability of each sample's true class counts.")
            doc.equation(li, ["-", Sum("c"), y, Fn("log", (yh,))])
            keep = [c for c in cols if Y[0, c] != 0] if len(cols) > 4 else list(cols)
            terms = [[self.num(Y[0, c]), ".", Fn("log", (self.num(P[0, c]),))] for c in keep]
        elif name == "binary_cross_entropy":
            doc.equation(li, ["-", Sum("c"), Paren((y, Fn("log", (yh,)), "+", Paren(("1", "-", y)),
                                                    Fn("log", (Paren(("1", "-", yh)),))))])
            keep = list(cols)
            terms = [[self.num(Y[0, c]), ".", Fn("log", (self.num(P[0, c]),)), "+", self.num(1 - Y[0, c]), ".",
                      Fn("log", (self.num(1 - P[0, c]),))] for c in keep]
        elif name == "squared_error":
            doc.equation(li, [Frac(("1",), ("2",)), Sum("c"), Square((yh, "-", y))])
            keep = list(cols)
            terms = [[Square((self.num(P[0, c]), "-", self.num(Y[0, c])))] for c in keep]
        else:
            keep, terms = [], []
        if terms:
            shown = [None if k is None else terms[k] for k in _terms(len(terms))]
            numbers = _sum(shown)
            numbers = ([Frac(("1",), ("2",)), Paren(tuple(numbers))] if name == "squared_error"
                       else ["-", Paren(tuple(numbers))])
            doc.equation(Sym("loss", index=(1,)), numbers, self.num(e["loss_i"][0], False))
            if name == "cross_entropy" and len(keep) < len(cols):
                doc.para("(The terms of the classes with y = 0 are 0 and left out.)")
        doc.matrix(li, np.asarray(e["loss_i"])[:, None], self.d)
        losses = [None if k is None else [self.num(e["loss_i"][k])] for k in _terms(self.N)]
        doc.equation(Sym("loss"), [Frac(("1",), ("N",)), Sum("i"), li],
                     Frac(tuple(_sum(losses)), (str(self.N),)), self.num(e["loss"], False))

    def backward(self):
        doc = self.doc
        doc.heading("Backward pass", self.level)
        doc.para(f"Gradients of the mean loss over the N = {_count(self.N, 'sample')}, from the output layer back; "
                 "dM is the gradient of the loss with respect to M.")
        for l in range(self.L, 0, -1):
            self.backward_layer(l)

    def backward_layer(self, l):
        doc, e, M, L = self.doc, self.e, self.M, self.L
        doc.heading(f"Layer {l}", self.level + 1)
        dZ = e[f"dZ{l}"]
        if l == L and self.t.fused:
            doc.para(f"{self.act_name(l)} with {self.t.loss_name}: the activation's derivative cancels the loss's, "
                     "so dZ = (Yhat - Y) / N.")
            doc.equation(Sym("dZ", l), Frac((self.yhat(), "-", Sym("Y")), ("N",)),
                         Frac((self.mat(e[f"A{L}"]), "-", self.mat(e["Y"])), (str(self.N),)), self.mat(dZ))
            y0 = e["Y"][0, 0]
            doc.equation(_entry("dz", l, 0, 0), Frac((self.yhat((1, 1)), "-", Sym("y", index=(1, 1))), ("N",)),
                         Frac((self.num(e[f"A{L}"][0, 0], False), "-", self.num(y0)), (str(self.N),)),
                         self.num(dZ[0, 0], False))
        else:
            if l == L:
                self.output_gradient()
            self.delta(l)
        inp, (x, xl), A_prev = self.input(l)
        dW = M[f"dW{l}"]
        if self.aug and self.t.bias[l - 1]:
            doc.para(f"The top row of dW{l} is the gradient of the bias.")
        doc.equation(Sym("dW", l), [Sym(inp.base, inp.layer, T=True), "@", Sym("dZ", l)],
                     [self.mat(A_prev.T), "@", self.mat(dZ)], self.mat(dW))
        terms = [(_entry(x, xl, i, 0), A_prev[i, 0], _entry("dz", l, i, 0), dZ[i, 0]) for i in range(self.N)]
        self.products(_entry("dw", l, 0, 0), terms, dW[0, 0])
        if self.t.bias[l - 1] and not self.aug:
            db = e[f"db{l}"]
            doc.equation(Sym("db", l), [Sum("i"), Sym("dZ", l, ("i", "j"))], self.mat(db))
            terms = [(_entry("dz", l, i, 0), dZ[i, 0]) for i in range(self.N)]
            self.products(Sym("db", l, (1,)), terms, db[0])
        if l > 1:
            self.input_gradient(l)

    def output_gradient(self):
        """dA of the output layer, when the loss hands over dL/dYhat (no fused dZ)."""
        doc, e, L = self.doc, self.e, self.L
        name, dA = self.t.loss_name, e[f"dA{L}"]
        Yh, Y = self.yhat(), Sym("Y")
        P, T = e[f"A{L}"][0, 0], e["Y"][0, 0]
        yh, y = self.yhat((1, 1)), Sym("y", index=(1, 1))
        if name == "squared_error":
            sym, nums = (Yh, "-", Y), (self.num(P, False), "-", self.num(T))
        elif name == "binary_cross_entropy":
            sym = (Frac((Yh, "-", Y), (Yh, "*", Paren(("1", "-", Yh)))),)
            nums = (Frac((self.num(P, False), "-", self.num(T)), (self.num(P), ".", Paren(("1", "-", self.num(P))))),)
        elif name == "cross_entropy":
            sym, nums = ("-", Frac((Y,), (Yh,))), ("-", Frac((self.num(T, False),), (self.num(P, False),)))
        else:
            doc.matrix(Sym("dA", L), dA, self.d)
            return
        doc.equation(Sym("dA", L), Frac(sym, ("N",)), self.mat(dA))
        entry = tuple(s if s not in (Yh, Y) else (yh if s == Yh else y) for s in sym)
        if name == "binary_cross_entropy":
            entry = (Frac((yh, "-", y), (yh, ".", Paren(("1", "-", yh)))),)
        elif name == "cross_entropy":
            entry = ("-", Frac((y,), (yh,)))
        doc.equation(_entry("da", L, 0, 0), Frac(entry, ("N",)), Frac(nums, (str(self.N),)),
                     self.num(dA[0, 0], False))

    def delta(self, l):
        """dZ = dA * f'(Z), with f' written from the layer's output A where it can be."""
        doc, e = self.doc, self.e
        dA, A, Z, dZ = e[f"dA{l}"], e[f"A{l}"], e[f"Z{l}"], e[f"dZ{l}"]
        name = self.act_name(l)
        dAs, As, Zs = Sym("dA", l), Sym("A", l), Sym("Z", l)
        da, a, z = _entry("da", l, 0, 0), _entry("a", l, 0, 0), _entry("z", l, 0, 0)
        n = self.num
        if name == "sigmoid":
            sides = [[dAs, "*", As, "*", Paren(("1", "-", As))],
                     [self.mat(dA), "*", self.mat(A), "*", Paren(("1", "-", self.mat(A)))]]
            entry = [[da, ".", a, ".", Paren(("1", "-", a))], [n(dA[0, 0]), ".", n(A[0, 0]), ".",
                                                                Paren(("1", "-", n(A[0, 0])))]]
        elif name == "tanh":
            sides = [[dAs, "*", Paren(("1", "-", As, "*", As))],
                     [self.mat(dA), "*", Paren(("1", "-", self.mat(A), "*", self.mat(A)))]]
            entry = [[da, ".", Paren(("1", "-", Square((a,))))], [n(dA[0, 0]), ".",
                                                                 Paren(("1", "-", Square((n(A[0, 0]),))))]]
        elif name == "relu":
            sides = [[dAs, "*", Paren((Zs, ">", "0"))]]
            entry = [[da, ".", Paren((z, ">", "0"))], [n(dA[0, 0]), ".", n(float(Z[0, 0] > 0))]]
            doc.para("(Z > 0) is 1 where Z is positive and 0 elsewhere: the slope of max(0, z).")
        elif name == "linear":
            sides, entry = [[dAs]], [[da]]
        elif name == "softmax":
            doc.para("softmax couples the entries of a row: dz_ij = a_ij (da_ij - sum_k a_ik da_ik).")
            sides, entry = [], []
        else:
            sides, entry = [[dAs, "*", Fn(f"{name}'", (Zs,))]], []
        doc.equation(Sym("dZ", l), *sides, self.mat(dZ))
        if entry:
            doc.equation(_entry("dz", l, 0, 0), *entry, self.num(dZ[0, 0], False))

    def input_gradient(self, l):
        """dA of layer l - 1: dZ W.T (in the augmented notation, without the ones column's gradient)."""
        doc, e, M = self.doc, self.e, self.M
        dZ, W, dA = e[f"dZ{l}"], M[f"W{l}"], e[f"dA{l - 1}"]
        first = 1 if self.aug and self.t.bias[l - 1] else 0
        if first:
            dX = M[f"dX{l}"]
            doc.equation(Sym("dX", l), [Sym("dZ", l), "@", Sym("W", l, T=True)],
                         [self.mat(dZ), "@", self.mat(W.T)], self.mat(dX))
            doc.para(f"The first column of dX{l} belongs to the constant 1 and goes no further; the other columns "
                     f"are dA{l - 1}:")
            doc.matrix(Sym("dA", l - 1), dA, self.d)
            base, value = "dx", dX[0, first]
        else:
            doc.equation(Sym("dA", l - 1), [Sym("dZ", l), "@", Sym("W", l, T=True)],
                         [self.mat(dZ), "@", self.mat(W.T)], self.mat(dA))
            base, value = "da", dA[0, 0]
        layer = l if first else l - 1
        terms = [(_entry("dz", l, 0, k), dZ[0, k], _entry("w", l, first, k), W[first, k]) for k in range(W.shape[1])]
        self.products(_entry(base, layer, 0, first), terms, value)

    def update(self):
        doc, e, M = self.doc, self.e, self.M
        doc.heading("Update", self.level)
        lr = getattr(self.t, "lr", None)
        rate = f"{lr:g}" if lr is not None else None
        if lr is None:
            doc.para(f"The optimizer ({getattr(self.t, 'optimizer', None) or 'not plain gradient descent'}) moved "
                     "every parameter by its own rule; the parameters after the step:")
            for l in range(1, self.L + 1):
                doc.matrix(Sym("W", l), M[f"W{l}_new"], self.d)
                if self.t.bias[l - 1] and not self.aug:
                    doc.matrix(Sym("b", l), e[f"b{l}_new"], self.d)
            return
        doc.para(f"Plain gradient descent with learning rate lr = {lr:g}: every parameter takes a step of lr times "
                 "its gradient, downhill" + (" (the top row of W is the bias)." if self.aug else "."))
        for l in range(1, self.L + 1):
            names = [("W", "dW", "w", "dw", (0, 0))]
            if self.t.bias[l - 1] and not self.aug:
                names.append(("b", "db", "b", "db", (0,)))
            for P, dP, p, dp, at in names:
                old, grad, new = M[f"{P}{l}"], M[f"{dP}{l}"], M[f"{P}{l}_new"]
                doc.equation(Sym(P, l), [Sym(P, l), "-", rate, ".", Sym(dP, l)],
                             [self.mat(old), "-", rate, ".", self.mat(grad)], self.mat(new),
                             rels=["<-", "=", "="])
                index = tuple(k + 1 for k in at)
                doc.equation(Sym(p, l, index), [Sym(p, l, index), "-", rate, ".", Sym(dp, l, index)],
                             [self.num(old[at], False), "-", rate, ".", self.num(grad[at])],
                             self.num(new[at], False), rels=["<-", "=", "="])


def add_step(doc, trace, notation="standard", decimals=5, parts=PARTS, level=2):
    """Add the sections of ``trace`` (one training step) to ``doc``: the ``parts`` among forward, loss, backward
    and update, in the ``notation`` (standard ``Z = X W + b`` or augmented), headings at ``level``."""
    notation = choice("notation", notation, NOTATIONS)
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"parts must be drawn from {PARTS}, got unknown {sorted(unknown)}")
    step = _Step(doc, trace, notation, decimals, level)
    for part in PARTS:
        if part in parts:
            getattr(step, part)()
    return doc


def step_report(trace, notation="standard", decimals=5, title="One training step, worked out", intro=(),
                parts=PARTS) -> Document:
    """A Document of ``trace``: the paragraphs ``intro``, then every matrix and formula of the step."""
    doc = Document(title)
    for line in intro:
        doc.para(line)
    return add_step(doc, trace, notation, decimals, parts)


# ------------------------------------------------------------------ notebooks
def trace_html(trace) -> str:
    """``Trace._repr_html_``: the step with every formula, in MathML."""
    return step_report(trace).render("html", fragment=True)


def trace_markdown(trace) -> str:
    """``Trace._repr_markdown_``: the step with every formula, in LaTeX."""
    return step_report(trace).render("markdown")


def network_html(net) -> str:
    """``Network._repr_html_``: the layers with their shapes, activations and parameter counts."""
    doc = Document()
    rows = [[f"{i} Dense", f"({layer.n_in}, {layer.n_out})", layer.activation.name, f"{layer.n_parameters():,}"]
            for i, layer in enumerate(net.layers, 1)]
    doc.table(["layer", "W shape", "activation", "parameters"], rows)
    doc.para(f"loss: {net.loss.name}; total parameters: {net.n_parameters():,}; weights: {net.dtype}")
    return doc.render("html", fragment=True)


def history_html(history, shown=10) -> str:
    """``History._repr_html_``: the per-epoch numbers as a table (the first and last epochs of a long run)."""
    doc = Document()
    curves = history.as_dict()
    n = history.epochs
    epochs = list(range(n)) if n <= shown else [*range(shown // 2), None, *range(n - shown // 2, n)]
    best = history.best_epoch
    rows = [["..."] * (len(curves) + 1) if k is None else
            [f"{k + 1}" + (" (kept)" if best == k + 1 else ""), *(f"{v[k]:.4f}" for v in curves.values())]
            for k in epochs]
    doc.table(["epoch", *curves], rows)
    facts = [f"{n} epochs"] + [f"{k}: {v}" for k, v in history.run_info().items()]
    doc.para("; ".join(facts))
    return doc.render("html", fragment=True)
