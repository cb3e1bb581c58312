"""Angad Sandhu, *Understanding neural networks using an example*, rebuilt on glassnet.

A 1-4-3-1 network with a sigmoid in every layer and a bias per node is trained
on two examples, input 2 -> target 1 ("even") and input 3 -> target 0 ("odd"),
one example per update with learning rate 1.0, for two passes: four updates,
each shown matrix by matrix. The tutorial's starting weights were images that
are lost, so glassnet draws them from N(0, 1) with a stated seed; the numbers
the tutorial prints for its outputs cannot be reproduced and are not claimed.

Sandhu writes one sample as a column, ``Z_i = W_i . A_{i-1} + b_i`` with
``W_i`` of shape ``(n_i, n_{i-1})``; glassnet writes it as a row,
``Z = A_prev @ W + b`` with ``W`` of shape ``(n_{i-1}, n_i)``: Sandhu's ``W_i`` is
glassnet's ``W`` transposed (see ``GLOSSARY``).
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.metrics import classes
from glassnet.tutorials import Erratum, Prose, Step, TutorialResult

fm = glassnet.format_matrix
fn = glassnet.format_number

GLOSSARY = """\
Sandhu (one sample as a column)       glassnet (one sample as a row)
A0 = Z0 = x (the input)               X
W_i, shape (n_i, n_(i-1))             W{i}.T (W{i} has shape (n_(i-1), n_i))
b_i, shape (n_i, 1)                   b{i}, shape (n_i,)
Z_i = W_i . A_(i-1) + b_i             Z{i} = A{i-1} @ W{i} + b{i} (transposed)
A_i = sigma(Z_i); A3 = y-hat          A{i} = sigmoid(Z{i}); A3 = Yhat
L = (y - y-hat)^2                     squared_error = 1/2 (Yhat - Y)^2 = L / 2
dZ_i = dL/dZ_i                        dZ{i}
dW_i = dZ_i . A_(i-1)^T, db_i = dZ_i  dW{i} = A{i-1}.T @ dZ{i} (= dW_i.T), db{i}
alpha                                 lr"""

SIZES = (1, 4, 3, 1)
X = np.array([[2.0], [3.0]])  # the inputs 2 and 3 ...
Y = np.array([[1.0], [0.0]])  # ... and their targets: 1 for even, 0 for odd
LR = 1.0
ITERATIONS = 2
SEED = 0
PRINTED_A3 = (0.9968, 0.9992, 0.9968)  # the outputs the tutorial prints for its first three steps


def network(seed=SEED):
    """The 1-4-3-1 sigmoid network with every weight and bias drawn from N(0, 1) by ``seed``."""
    layers = [
        glassnet.Dense(n_in, n_out, "sigmoid", init=glassnet.Normal(0.0, 1.0), bias_init=glassnet.Normal(0.0, 1.0))
        for n_in, n_out in zip(SIZES, SIZES[1:])
    ]
    return glassnet.Network(layers, loss="squared_error", seed=seed)


def sandhu_view(trace):
    """One glassnet ``Trace`` in Sandhu's column notation: vectors as columns, ``W_i = W{i}.T``.

    Keys: ``A0, W{i}, b{i}, Z{i}, A{i}, L, dZ{i}, dW{i}, db{i}, W{i}_new, b{i}_new``.
    """
    col = np.atleast_2d
    v = {"A0": trace["X"].T}
    for i in range(1, len(SIZES)):
        v[f"W{i}"], v[f"b{i}"] = trace[f"W{i}"].T, col(trace[f"b{i}"]).T
        v[f"Z{i}"], v[f"A{i}"] = trace[f"Z{i}"].T, trace[f"A{i}"].T
    y_hat, y = trace[f"A{len(SIZES) - 1}"][0, 0], trace["Y"][0, 0]
    v["L"] = (y - y_hat) ** 2
    for i in range(len(SIZES) - 1, 0, -1):
        v[f"dZ{i}"], v[f"dW{i}"], v[f"db{i}"] = trace[f"dZ{i}"].T, trace[f"dW{i}"].T, col(trace[f"db{i}"]).T
    for i in range(1, len(SIZES)):
        v[f"W{i}_new"], v[f"b{i}_new"] = trace[f"W{i}_new"].T, col(trace[f"b{i}_new"]).T
    return v


def _render_sandhu(v, decimals=5):
    """A step in Sandhu's notation, forward, loss, backward and update."""
    L = len(SIZES) - 1
    out = [fm(v["A0"], "A0 = x")]
    for i in range(1, L + 1):
        out += [f"Z{i} = W{i} . A{i - 1} + b{i}, A{i} = sigma(Z{i})",
                fm(v[f"W{i}"], f"W{i}", decimals), fm(v[f"b{i}"], f"b{i}", decimals),
                fm(v[f"Z{i}"], f"Z{i}", decimals), fm(v[f"A{i}"], f"A{i}", decimals)]
    loss, half = fn(v["L"], decimals), fn(v["L"] / 2, decimals)
    out.append(f"L = (y - A{L})^2 = {loss}  (glassnet's squared_error: L / 2 = {half})")
    out += [f"dZ{L} = (A{L} - y) * sigma'(Z{L}), sigma'(Z) = A (1 - A)", fm(v[f"dZ{L}"], f"dZ{L}", decimals)]
    for i in range(L - 1, 0, -1):
        out += [f"dZ{i} = W{i + 1}^T . dZ{i + 1} * sigma'(Z{i})", fm(v[f"dZ{i}"], f"dZ{i}", decimals)]
    for i in range(L, 0, -1):
        out += [f"dW{i} = dZ{i} . A{i - 1}^T, db{i} = dZ{i}; W{i} -= alpha dW{i}, b{i} -= alpha db{i}",
                fm(v[f"dW{i}"], f"dW{i}", decimals), fm(v[f"W{i}_new"], f"W{i}", decimals),
                fm(v[f"b{i}_new"], f"b{i}", decimals)]
    return "\n".join(out)


def _step_data(step, iteration, example, trace, v):
    """The JSON record of one step: vectors as flat lists, W in Sandhu's (n_i, n_(i-1)) layout."""
    record = {"step": step, "iteration": iteration, "example": example,
              "x": float(v["A0"][0, 0]), "y": float(trace["Y"][0, 0]),
              "yhat": float(v["A3"][0, 0]), "L": float(v["L"]), "glassnet_loss": trace["loss"]}
    for key, value in v.items():
        if key not in ("A0", "L"):
            record[key] = value.tolist() if key.startswith(("W", "dW")) else value[:, 0].tolist()
    return record


def _twenty_five_iterations(seed=SEED, lr=LR):
    """Train a fresh copy of the network for 25 passes and record each pass."""
    net = network(seed)
    rows = []

    def record(epoch, history):
        Yhat = net.predict_proba(X)
        rows.append({"iteration": epoch, "yhat": Yhat[:, 0].tolist(), "L": ((Y[:, 0] - Yhat[:, 0]) ** 2).tolist(),
                     "accuracy": float(np.mean(classes(Yhat) == classes(Y)))})

    net.fit(X, Y, epochs=25, batch_size=1, shuffle=False, lr=lr, callbacks=[record], dtype=np.float64)
    lines = ["iteration  yhat(2)  yhat(3)   L(2)     L(3)     mean L   right"]
    for r in rows:
        if r["iteration"] in (1, 2, 3, 5, 10, 15, 20, 25):
            lines.append(
                f"{r['iteration']:>9}  {fn(r['yhat'][0], 4)}   {fn(r['yhat'][1], 4)}    {fn(r['L'][0], 4)}   "
                f"{fn(r['L'][1], 4)}   {fn(np.mean(r['L']), 4)}   {int(round(2 * r['accuracy']))}/2"
            )
    return rows, "\n".join(lines)


def run(trace=False) -> TutorialResult:
    """Rebuild Sandhu's step-by-step example with glassnet.

    Parameters
    ----------
    trace : bool
        Add, for every step, glassnet's full trace and the same step in Sandhu's
        column notation. Without it the first step is shown in full and the
        others as a summary.
    """
    result = TutorialResult("sandhu")
    net = network()
    initial = {f"W{i}": layer.W.T.tolist() for i, layer in enumerate(net.layers, 1)}
    initial.update({f"b{i}": layer.b.tolist() for i, layer in enumerate(net.layers, 1)})
    result.add("Glossary (Sandhu -> glassnet)", GLOSSARY)
    result.add(
        "The network and the data",
        Prose("Layers 1 -> 4 -> 3 -> 1, a sigmoid in every layer (the output too), one bias per node.\n"
              "Examples: x = 2 with target y = 1 (even) and x = 3 with target y = 0 (odd).\n"
              f"Loss (y - y-hat)^2, learning rate alpha = {LR}, one update per example, {ITERATIONS} iterations.\n"
              "Sandhu's starting weights were pictures that did not survive, so glassnet draws every weight and "
              f"bias from a normal distribution N(0, 1), as the tutorial describes, with seed {SEED} "
              f"(glassnet.Normal(0, 1), Network(..., seed={SEED})). Starting values in Sandhu's layout (glassnet "
              "stores each W transposed: W1 (1, 4), W2 (4, 3), W3 (3, 1)):"),
        *(fm(layer.W.T, f"W{i}") + "\n" + fm(layer.b[:, None], f"b{i}") for i, layer in enumerate(net.layers, 1)),
        "",
        Prose("About the loss: glassnet's squared_error is 1/2 (y-hat - y)^2, half of Sandhu's L. Sandhu's dZ3 is "
              "(y-hat - y) sigma'(Z3) with no factor 2, which is the derivative of the half version, so the updates "
              "below are exactly Sandhu's rule. Each step reports both, L and L / 2."),
    )

    steps, summary = [], []
    for iteration in range(1, ITERATIONS + 1):
        for example, (x, y) in enumerate(zip(X, Y), 1):
            tr = glassnet.trace_step(net, x[None, :], y[None, :], lr=LR)
            v = sandhu_view(tr)
            steps.append(_step_data(len(steps) + 1, iteration, example, tr, v))
            head = f"Step {len(steps)}: iteration {iteration}, example {example} (x = {x[0]:g}, y = {y[0]:g})"
            if trace or len(steps) == 1:
                result.add(head + ", in Sandhu's notation", _render_sandhu(v))
            if trace:
                result.add(head + ", glassnet's trace", Step(tr))
            summary.append(
                f"{head}: A3 = {fn(v['A3'][0, 0], 4)}, L = {fn(v['L'], 4)}\n"
                f"  new W3 = {fm(v['W3_new'])}  new b3 = {fm(v['b3_new'][0])}"
            )
    result.add("The four updates", "\n".join(summary))
    result.data.update({"seed": SEED, "lr": LR, "sizes": list(SIZES), "X": X[:, 0].tolist(), "Y": Y[:, 0].tolist(),
                        "initial": initial, "steps": steps})

    ours = [s["yhat"] for s in steps[:3]]
    result.add("What Sandhu's tutorial printed", Prose("\n".join([
        "The tutorial prints A3 = " + ", ".join(f"{a:.4f}" for a in PRINTED_A3) + " for steps 1-3.",
        "Those numbers come from its lost starting weights, so they cannot be reproduced here.",
        "With glassnet's seeded start the same steps give A3 = " + ", ".join(fn(a, 4) for a in ours) + ".",
        "What carries over is the method: every matrix above follows Sandhu's formulas, and the tests check "
        "glassnet's four steps against a separate column-vector NumPy implementation.",
    ])))
    result.data["tutorial_printed_A3"] = list(PRINTED_A3)

    rows, table = _twenty_five_iterations()
    last = rows[-1]
    others = [{"seed": seed, **_twenty_five_iterations(seed)[0][-1]} for seed in range(1, 6)]
    result.add(
        "Does the loss 'balance out at 0.5' after 20-25 iterations?",
        Prose("A fresh copy of the same network, trained the same way for 25 iterations (each = both examples):"),
        table,
        Prose(f"After 25 iterations y-hat = {fn(last['yhat'][0], 4)} for x = 2 and {fn(last['yhat'][1], 4)} for "
              "x = 3: both outputs creep towards 0.5 and stay close to each other, so the network barely tells 2 "
              "from 3. Answering 0.5 to both would give a mean L of 0.25 and one of two right, and that is where it "
              f"is heading. Other seeds (1-5) end at mean L = {', '.join(fn(np.mean(r['L']), 3) for r in others)}. "
              f"So it is the outputs that settle near 0.5, the accuracy is {last['accuracy']:.0%} "
              f"({int(round(2 * last['accuracy']))} of 2) and the mean loss is {fn(np.mean(last['L']), 3)}, not "
              "0.5: the tutorial's sentence mixes up loss, output and accuracy. With two examples the accuracy can "
              "only be 0, 1/2 or 1, and one pass shows no trend that would predict this."),
    )
    result.data["iterations_25"] = rows
    result.data["iterations_25_other_seeds"] = others
    result.errata = _errata(steps, initial, rows)
    return result


def _errata(steps, initial, rows):
    values = np.concatenate([np.ravel(v) for v in initial.values()])
    big_alpha = np.mean(rows[-1]["L"])
    small_alpha = np.mean(_twenty_five_iterations(lr=0.1)[0][-1]["L"])
    s2 = steps[1]  # iteration 1, example 2: x = 3, y = 0
    signs = ", ".join(f"dZ{i} {_sign_word(s2[f'dZ{i}'])}" for i in range(len(SIZES) - 1, 0, -1))
    sigma_wrong = 1 / (1 - np.exp(-2.0))
    return [
        Erratum(
            "Initial values",
            "the starting weights and biases are shown only as images, which are lost",
            f"here they are drawn from N(0, 1) with seed {SEED}; the tutorial's outputs "
            f"(A3 = {', '.join(f'{a:.4f}' for a in PRINTED_A3)}) depend on the lost values and are not reproduced",
        ),
        Erratum(
            "Sample data",
            "'very simple 2 values of [2, 3] and [1, 0]'",
            "these are the inputs (2, 3) and their targets (1, 0), i.e. the examples 2 -> 1 and 3 -> 0",
        ),
        Erratum(
            "Design",
            "an activation function (sigmoid) for each hidden layer",
            "the output layer is a sigmoid too (A3 lies in (0, 1) and dZ3 contains sigma'); glassnet uses "
            "sigmoid in all three layers",
        ),
        Erratum(
            "Calculating A1",
            "sigma(x) = 1 / (1 - e^(-x))",
            f"the sign is wrong: sigma(x) = 1 / (1 + e^(-x)); the formula as printed is not even in (0, 1), "
            f"e.g. it gives {fn(sigma_wrong, 4)} at x = 2",
        ),
        Erratum(
            "Loss function",
            "(y - y-hat)^2 is called the root mean square (RMS) loss",
            "it has no root and, for one example, no mean: it is the squared error; glassnet's squared_error "
            "is half of it, matching Sandhu's dZ3 = (y-hat - y) sigma'(Z3)",
        ),
        Erratum(
            "Initialisation",
            "a 'normal' (Beta) distribution of mean 0 and variance 1, so every element is between 0 and 1",
            "a normal distribution is not a Beta distribution, and N(0, 1) draws are not confined to [0, 1]: "
            f"glassnet's seed-{SEED} start has values from {fn(values.min(), 2)} to {fn(values.max(), 2)}",
        ),
        Erratum(
            "Backward propagation",
            "dZ is the partial derivative of Z with respect to the loss",
            "the other way round: dZ is the derivative of the loss with respect to Z, dL/dZ",
        ),
        Erratum(
            "Forward propagation, 1st iteration, 2nd example",
            "the output near 1.0 for x = 3 is described as misclassifying the input as odd",
            "an output near 1 is the answer 'even' (the target for even numbers is 1): the model called the odd "
            "number 3 even",
        ),
        Erratum(
            "Backward propagation, 1st iteration, 2nd example",
            "the dZ values are larger and positive this time",
            f"dZ3 = (y-hat - 0) sigma'(Z3) is positive, but dZ2 and dZ1 take the signs of the weights they "
            f"pass back through (dZ_i = W_(i+1)^T . dZ_(i+1) * sigma'); in glassnet's run: {signs}",
        ),
        Erratum(
            "Update, 1st iteration, 2nd example",
            "the weights and biases are now all lower than the original initialisation of 0.5",
            "the weights were drawn at random from N(0, 1), not set to 0.5, so there is no common starting "
            "value to compare with",
        ),
        Erratum(
            "Update weights, biases",
            "after multiplying dW and db by the learning rate 'we subtract our original values'",
            "the other way round: the scaled gradients are subtracted from the weights, W_i <- W_i - alpha dW_i",
        ),
        Erratum(
            "Learning rate",
            "a small alpha gives small changes but will also be more accurate",
            "not in general: smaller steps need more iterations to get as far; here, after 25 iterations, "
            f"alpha = 0.1 leaves the mean L at {fn(small_alpha, 4)} against {fn(big_alpha, 4)} with alpha = 1.0",
        ),
        Erratum(
            "Forward propagation, 2nd iteration",
            "after 20-25 iterations the loss will balance out at 0.5 (50% accuracy)",
            "loss and accuracy are different quantities, and one pass shows no such trend; trained for 25 "
            "iterations, glassnet's outputs approach 0.5, 1 of 2 examples is right and the mean loss is near "
            "0.25, not 0.5 (last section)",
        ),
    ]


def _sign_word(values):
    if min(values) > 0:
        return "all positive"
    if max(values) < 0:
        return "all negative"
    return "mixed signs"
