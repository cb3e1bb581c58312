"""Tariq Rashid, *Make Your Own Neural Network*, rebuilt on glassnet.

Sections, in the book's order: the bug classifier ``y = A x``; signals through
a 2-node layer; the 3-layer matrix example; back-propagating errors; one weight
update (Rashid's rule next to glassnet's gradient step); the MNIST recipe.

The glossary below (``GLOSSARY``) maps Rashid's names onto glassnet's.
"""

from __future__ import annotations

import os

import numpy as np

import glassnet
from glassnet import datasets
from glassnet.checks import positive_number
from glassnet.data import mnist
from glassnet.models import rashid_network
from glassnet.preprocessing import RashidScale, rashid_targets
from glassnet.tutorials import Erratum, Prose, Step, TutorialResult

fm = glassnet.format_matrix
fn = glassnet.format_number

GLOSSARY = """\
Rashid keeps one sample as a column and puts the weights into a node on a row;
glassnet keeps samples as rows:
    I (column of inputs)              X (one row)
    W_input_hidden, W_hidden_output   W1.T, W2.T (Rashid's W = glassnet's W.T)
    X = W . I                         Z = X @ W   (the same numbers, transposed)
    O = sigmoid(X)                    A = sigmoid(Z)
    w_jk (node j -> node k)           W[j, k]
    E = T - O                         -(Yhat - Y) = -dL/dYhat for one sample
    learning rate (L, alpha)          lr"""



def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------- section 1
def _bug_classifier():
    X, y = datasets.bugs()
    widths, lengths = X[:, 0], X[:, 1]
    # Each target sits 0.1 inside the gap between the bugs: just above the
    # ladybird's length, just below the caterpillar's, so a line through both
    # targets has the ladybird under it and the caterpillar over it.
    targets = lengths + np.where(y == 0, 0.1, -0.1)
    L = 0.5

    def rashid_rule(rate):
        A, rows = 0.25, []
        for x, t in zip(widths, targets):
            y_hat = A * x
            E = t - y_hat
            dA = rate * E / x
            rows.append((y_hat, E, dA))
            A += dA
        return rows

    rows = rashid_rule(L)
    A_path = np.r_[0.25, 0.25 + np.cumsum([r[2] for r in rows])]
    A_full = np.r_[0.25, 0.25 + np.cumsum([r[2] for r in rashid_rule(1.0)])]

    # The gradient step on 1/2 (t - A x)^2, done by glassnet: a 1-by-1 linear layer without bias.
    net = glassnet.Network([glassnet.Dense(1, 1, "linear", bias=False, init=[[0.25]])], loss="squared_error")
    A_grad = [0.25] + [
        float(glassnet.trace_step(net, [[x]], [[t]], lr=L)["W1_new"][0, 0]) for x, t in zip(widths, targets)
    ]

    def sides(A):
        return ["below" if length < A * w else "above" for w, length in zip(widths, lengths)]

    names = [datasets.BUG_CLASSES[k] for k in y]
    parts = [
        Prose("Training data (glassnet.datasets.bugs()):"),
        *(f"  {n:<11} width {w:.1f}  length {h:.1f}  target t = {t:.1f}"
          for n, w, h, t in zip(names, widths, lengths, targets)),
        Prose("The targets are 0.1 inside the gap between the two bugs (1.0 + 0.1 and 3.0 - 0.1), so the line is "
              "asked to pass just above the ladybird and just below the caterpillar. The book gives the 1.1 "
              "without saying why."),
        "",
        Prose(f"Start with A = 0.25 and learning rate L = {L}. Rashid's rule: E = t - y, dA = L * E / x."),
    ]
    for t, n, (y_hat, E, dA), A_new in zip(targets, names, rows, A_path[1:]):
        parts.append(
            f"  {n:<11} y = A x = {fn(y_hat)}  E = {fn(t)} - {fn(y_hat)} = {fn(E)}\n"
            f"  {'':<11} dA = {fn(dA)}  A -> {fn(A_new)}"
        )
    parts += [
        Prose(f"Final line y = {fn(A_path[-1])} x: the ladybird is {sides(A_path[-1])[0]} it, "
              f"the caterpillar {sides(A_path[-1])[1]} it."),
        "",
        Prose("Why dividing by x: with L = 1 the rule gives (A + dA) x = A x + E = t, so the new line passes "
              "exactly through the target, and only the last example counts: "
              f"A goes {fn(A_full[1])} then {fn(A_full[2])} = 2.9 / 1.0. That line still has the caterpillar above "
              "it, but only by 0.1: it is fitted to the last example. The moderation L < 1 keeps part of what "
              "earlier examples taught."),
        "",
        Prose("This rule is not a gradient step. For the error 1/2 (t - A x)^2 the slope is dE/dA = -E x, so "
              "gradient descent adds L * E * x (it multiplies by x where Rashid divides). glassnet, with a "
              f"1-input linear Dense layer, squared_error and SGD(lr={L}), does the gradient step:"),
        f"  A: {' -> '.join(fn(a) for a in A_grad)}",
        Prose(f"  (line y = {fn(A_grad[-1])} x: ladybird {sides(A_grad[-1])[0]}, caterpillar {sides(A_grad[-1])[1]})"),
        Prose("Both rules move A the same way (the sign of E); they differ in how far."),
    ]
    data = {
        "x": widths.tolist(), "t": targets.tolist(), "L": L, "A": A_path.tolist(),
        "y": [r[0] for r in rows], "E": [r[1] for r in rows], "dA": [r[2] for r in rows],
        "A_unmoderated": A_full.tolist(), "A_gradient": A_grad,
    }
    return parts, data


# ----------------------------------------------------------------- section 2
def _two_node():
    W = np.array([[0.9, 0.2], [0.3, 0.8]])  # W[i, j]: from input i to node j
    layer = glassnet.Dense(2, 2, "sigmoid", bias=False, init=W)
    I = np.array([[1.0, 0.5]])
    O = layer.forward(I)
    X = layer.Z
    X_rashid = W.T @ I.T  # Rashid's column view: X = W . I
    e = np.exp(-X[0, 1])
    parts = [
        Prose("Inputs 1.0 and 0.5; w11 = 0.9, w12 = 0.2, w21 = 0.3, w22 = 0.8 (w_ij: input i -> node j)."),
        Prose("glassnet, one sample per row, Z = X @ W:"),
        fm(I, "X"), fm(W, "W"), fm(X, "Z"), fm(O, "A"),
        Prose("Rashid, one sample per column, X = W . I, with his W = glassnet's W.T (rows = receiving nodes):"),
        fm(W.T, "W"), fm(I.T, "I"), fm(X_rashid, "X"), fm(_sigmoid(X_rashid), "O"),
        Prose("Same numbers, transposed. Node 2 by hand: x = 1.0*0.2 + 0.5*0.8 = 0.6, "
              f"e^-0.6 = {fn(e, 4)}, y = 1/(1 + {fn(e, 4)}) = 1/{fn(1 + e, 4)} = {fn(O[0, 1], 4)} "
              f"({fn(O[0, 1])} to 5 decimals)."),
    ]
    data = {
        "I": I[0].tolist(), "W": W.T.tolist(), "W_glassnet": W.tolist(), "X": X[0].tolist(),
        "O": O[0].tolist(), "exp_minus_x2": float(e),
    }
    return parts, data


# ----------------------------------------------------------------- section 3
W_INPUT_HIDDEN = np.array([[0.9, 0.3, 0.4], [0.2, 0.8, 0.2], [0.1, 0.5, 0.6]])  # Rashid layout
W_HIDDEN_OUTPUT = np.array([[0.3, 0.7, 0.5], [0.6, 0.5, 0.2], [0.8, 0.1, 0.9]])
I3 = np.array([[0.9, 0.1, 0.8]])


def _three_layer_net():
    """The book's 3-3-3 example as a glassnet network (glassnet W = Rashid W.T)."""
    return glassnet.Network(
        [glassnet.Dense(3, 3, "sigmoid", bias=False, init=W_INPUT_HIDDEN.T),
         glassnet.Dense(3, 3, "sigmoid", bias=False, init=W_HIDDEN_OUTPUT.T)],
        loss="squared_error",
    )


def _three_layer():
    net = _three_layer_net()
    net.forward(I3)
    hidden, output = net.layers
    X_hidden = W_INPUT_HIDDEN @ I3.T
    O_hidden = _sigmoid(X_hidden)
    X_output = W_HIDDEN_OUTPUT @ O_hidden
    O_rounded = np.round(O_hidden, 3)
    X_book = W_HIDDEN_OUTPUT @ O_rounded
    parts = [
        Prose("Input I and the book's weights (Rashid's layout: one row per receiving node):"),
        fm(I3.T, "I"), fm(W_INPUT_HIDDEN, "W_input_hidden"), fm(W_HIDDEN_OUTPUT, "W_hidden_output"),
        Prose("Rashid: X_hidden = W_input_hidden . I, O_hidden = sigmoid(X_hidden), and again for the output:"),
        fm(X_hidden, "X_hidden"), fm(O_hidden, "O_hidden"), fm(X_output, "X_output"),
        fm(_sigmoid(X_output), "O_output"),
        Prose("glassnet (Dense layers with W1 = W_input_hidden.T, W2 = W_hidden_output.T) gives the same rows:"),
        fm(hidden.Z, "Z1"), fm(hidden.A, "A1"), fm(output.Z, "Z2"), fm(output.A, "A2"),
        Prose("The book prints X_output = 0.975, 0.888, 1.254 and O_output = 0.726, 0.708, 0.778. Those figures "
              "come out when the hidden outputs are first rounded to 3 decimals; the exact values differ in the "
              "last digit:"),
        fm(O_rounded.T, "O_hidden rounded", 3), fm(X_book.T, "W_hidden_output . O_hidden rounded", 4),
        fm(_sigmoid(X_book).T, "sigmoid of that", 4),
    ]
    data = {
        "I": I3[0].tolist(), "W_input_hidden": W_INPUT_HIDDEN.tolist(), "W_hidden_output": W_HIDDEN_OUTPUT.tolist(),
        "X_hidden": hidden.Z[0].tolist(), "O_hidden": hidden.A[0].tolist(),
        "X_output": output.Z[0].tolist(), "O_output": output.A[0].tolist(),
        "X_output_from_rounded": X_book[:, 0].tolist(), "O_output_from_rounded": _sigmoid(X_book)[:, 0].tolist(),
    }
    return parts, data


# ----------------------------------------------------------------- section 4
def _backpropagating_errors():
    # W[j, k]: from hidden node j to output node k (w11 = 2, w12 = 1, w21 = 3, w22 = 4)
    W = np.array([[2.0, 1.0], [3.0, 4.0]])
    e = np.array([[0.8, 0.5]])
    # Each output's error is shared among its incoming links in proportion to
    # their weights: divide every column of W by its sum.
    fractions = W / W.sum(axis=0)
    e_split = e @ fractions.T
    # Dense.backward returns dZ @ W.T; with a linear activation dZ is the error itself.
    # It needs one forward pass to remember its input; any input will do.
    layer = glassnet.Dense(2, 2, "linear", bias=False, init=W)
    layer.forward(np.ones((1, 2)))
    e_matrix = layer.backward(dA=e)
    parts = [
        Prose("Output errors e1 = 0.8, e2 = 0.5; links hidden j -> output k: w11 = 2.0, w21 = 3.0 (into output 1), "
              "w12 = 1.0, w22 = 4.0 (into output 2). glassnet layout W[j, k]:"),
        fm(W, "W"), fm(e, "e"),
        Prose("Split in proportion to the weights: each column divided by its sum gives the shares,"),
        fm(fractions, "shares"),
        "e_hidden,1 = 0.8 * 2/(2+3) + 0.5 * 1/(1+4)\ne_hidden,2 = 0.8 * 3/(2+3) + 0.5 * 4/(1+4)",
        fm(e_split, "e_hidden"),
        Prose(f"The shares of each output add up to 1, so the total error is kept: {fn(e.sum(), 2)} -> "
              f"{fn(e_split.sum(), 2)}."),
        Prose("The book then drops the denominators to get a plain matrix product, e_hidden = W_ho^T . e in its "
              "column layout, which is e @ W.T in glassnet's rows, the line dX = dZ @ W.T of Dense.backward:"),
        fm(e_matrix, "e_hidden"),
        Prose("Both columns of W sum to 5 here, so this is exactly 5 times the split (total "
              f"{fn(e_matrix.sum(), 2)}); with unequal column sums the proportions change too. The chain rule has "
              "the same W.T product, but applied to the output's dZ rather than to the raw errors (section 5)."),
    ]
    data = {
        "W": W.tolist(), "e_output": e[0].tolist(), "e_hidden_split": e_split[0].tolist(),
        "e_hidden_matrix": e_matrix[0].tolist(),
    }
    return parts, data


# ----------------------------------------------------------------- section 5
T5 = np.array([[0.01, 0.99, 0.01]])
LR5 = 0.3


def _weight_update(trace):
    net = _three_layer_net()
    tr = glassnet.trace_step(net, I3, T5, lr=LR5)
    # Rashid's recipe in his column layout, written out independently of glassnet.
    I, T = I3.T, T5.T
    O_h = _sigmoid(W_INPUT_HIDDEN @ I)
    O_o = _sigmoid(W_HIDDEN_OUTPUT @ O_h)
    E_o = T - O_o
    dW_ho = LR5 * (E_o * O_o * (1 - O_o)) @ O_h.T
    E_h = W_HIDDEN_OUTPUT.T @ E_o  # the book's hidden error: output errors without their sigmoid slope
    dW_ih = LR5 * (E_h * O_h * (1 - O_h)) @ I.T
    dW2 = tr["W2_new"] - tr["W2"]
    dW1 = tr["W1_new"] - tr["W1"]
    parts = [
        Prose(f"The 3-layer network of section 3, target T = {fm(T5)}, learning rate {LR5}."),
        Prose("Rashid's rule for the output layer (his layout, rows = output nodes):"),
        "  dW_hidden_output = lr * (E * O (1 - O)) . O_hidden^T,  E = T - O",
        fm(dW_ho, "dW_hidden_output"),
        Prose("glassnet's trace_step with squared_error and SGD(lr): W2_new - W2, transposed to Rashid's layout:"),
        fm(dW2.T, "dW_hidden_output"),
        Prose(f"Largest difference: {np.abs(dW2.T - dW_ho).max():.1e}. They agree because glassnet's squared_error "
              "is the mean over samples of 1/2 sum_k (Yhat - Y)^2: the 1/2 cancels the 2 that the derivative brings "
              "down, so dL/dYhat = Yhat - Y = -E for one sample, and glassnet's W -= lr * dW is Rashid's "
              "W += lr * (E * O (1 - O)) . O_hidden^T, transposed.\n"
              "Without the 1/2 (the book's (t - o)^2) the true gradient is twice as large; the book drops the 2 "
              "and lets the learning rate absorb it."),
        "",
        Prose("The hidden layer is different. The book's hidden error is W_ho^T . E (section 4), the raw output "
              "errors. The chain rule passes back W_ho^T . (E * O (1 - O)): each output error times that output's "
              "sigmoid slope. glassnet does the latter, so the two hidden updates differ:"),
        fm(dW_ih, "book dW_input_hidden"),
        fm(dW1.T, "glassnet dW_input_hidden"),
        Prose("The book's version is not the gradient of the squared error. It points roughly the same way (the "
              "slopes O (1 - O) are positive, at most 0.25) but weighs the outputs differently and, here, is "
              f"{np.linalg.norm(dW_ih) / np.linalg.norm(dW1):.1f} times as large."),
    ]
    if trace:
        parts += ["", Prose("Full trace of the glassnet step:"), Step(tr)]
    data = {
        "T": T5[0].tolist(), "lr": LR5, "E": E_o[:, 0].tolist(),
        "dW_hidden_output_rashid": dW_ho.tolist(), "dW_hidden_output_glassnet": dW2.T.tolist(),
        "dW_input_hidden_rashid": dW_ih.tolist(), "dW_input_hidden_glassnet": dW1.T.tolist(),
        "trace": tr.as_dict(),
    }
    return parts, data


# ----------------------------------------------------------------- section 6
def _read_digits(path):
    """``X, y`` from an MNIST CSV file, whose labels must be the digits 0-9."""
    X, y = mnist(path)
    bad = np.flatnonzero(y > 9)
    if len(bad):
        raise ValueError(f"{os.fspath(path)}: data row {bad[0] + 1} has label {y[bad[0]]}; MNIST labels are digits 0-9")
    return X, y


def _mnist_recipe(train, test, hidden, epochs, lr, seed):
    if (train is None) != (test is None):
        raise ValueError(f"give both train and test CSV files, or neither; got train={train!r}, test={test!r}")
    hidden = positive_number("hidden", hidden, integer=True)
    seed = positive_number("seed", seed, integer=True, allow_zero=True)
    if epochs is not None:
        epochs = positive_number("epochs", epochs, integer=True)
    if train is None:
        X, y = datasets.digits()
        X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_fraction=0.25, seed=seed)
        top, source = 16.0, "scikit-learn's 8x8 digits (64 pixels 0-16), seeded 75/25 split"
        # about 1,350 training images instead of 60,000: more passes for a useful number of updates
        epochs = 10 if epochs is None else epochs
    else:
        X_train, y_train = _read_digits(train)
        X_test, y_test = _read_digits(test)
        top, source = 255.0, f"MNIST CSV files {os.fspath(train)!r} and {os.fspath(test)!r}"
        epochs = 1 if epochs is None else epochs
    scale = RashidScale(max_value=top).transform

    n_in = X_train.shape[1]
    net = rashid_network(n_in, hidden, 10, seed=seed)
    history = net.fit(scale(X_train), rashid_targets(y_train, 10), epochs=epochs, batch_size=1, lr=lr,
                      dtype=np.float64)
    scores = net.evaluate(scale(X_test), rashid_targets(y_test, 10))
    first = net.predict_proba(scale(X_test[:1]))[0]
    parts = [
        Prose(f"Data: {source};\n"
              f"{len(X_train)} training and {len(X_test)} test images.\n"
              f"Inputs scaled to 0.01-0.99 (x / {top:g} * 0.99 + 0.01); targets 0.99 for the right digit, 0.01 for "
              "the others (a sigmoid never reaches 0 or 1, so those targets would push the weights without end).\n"
              f"Network {n_in}-{hidden}-10, sigmoid everywhere, no biases (as in the book), weights drawn by "
              f"glassnet.Rashid(): normal with std = 1/sqrt(links into the node); seed {seed}.\n"
              f"Loss squared_error, one update per image (batch_size=1), lr = {lr}, {epochs} epoch(s).\n"
              "glassnet takes the exact gradient, so its hidden-layer update differs slightly from the book's "
              "code (section 5).\n"
              "Mean training loss per epoch: " + ", ".join(fn(v) for v in history.loss) + "\n"
              f"Output layer for the first test image (label {y_test[0]}):"),
        fm(first[None, :], "O", decimals=2),
        Prose("Performance (share of test images whose largest output is the right digit): "
              f"{scores['accuracy']:.4f}"),
    ]
    data = {
        "source": "digits" if train is None else "csv", "n_train": len(X_train), "n_test": len(X_test),
        "n_inputs": n_in, "hidden": hidden, "epochs": epochs, "lr": lr, "seed": seed, "bias": False,
        "train_loss": history.loss, "test_loss": scores["loss"], "performance": scores["accuracy"],
        "first_test_output": first.tolist(), "first_test_label": int(y_test[0]),
    }
    return parts, data


# -------------------------------------------------------------------- errata
def _errata():
    # Numbers behind the errata, computed here so the text cannot drift from them.
    w11, w21, w12, w22, e1, e2 = 2.0, 3.0, 1.0, 4.0, 0.8, 0.5
    typo = e1 * w11 / (w11 + w21) + e2 * w12 / (w22 + w22)
    right = e1 * w11 / (w11 + w21) + e2 * w12 / (w12 + w22)
    X_out = (W_HIDDEN_OUTPUT @ _sigmoid(W_INPUT_HIDDEN @ I3.T))[:, 0]
    O_out = _sigmoid(X_out)
    O = O_out[0]
    s = _sigmoid(O)
    saturated = float(glassnet.ACTIVATIONS["sigmoid"].forward(np.array([40.0]))[0])
    return [
        Erratum(
            "Training a simple classifier",
            "the desired target is 1.1 although the ladybird's length is 1.0; the book never says why",
            "the target is nudged 0.1 into the gap between the bugs (and the caterpillar's 3.0 down to 2.9) "
            "so the line ends up between them rather than on top of an example",
        ),
        Erratum(
            "Error update",
            "dA = E / x (then L * E / x) is presented as the way to learn the slope",
            "it is right as algebra (it puts the line exactly through the target) but it is not gradient "
            "descent: the gradient of 1/2 (t - A x)^2 gives dA = L * E * x; glassnet shows both (section 1)",
        ),
        Erratum(
            "A three layer example with matrix multiplication",
            "X_output = 0.975, 0.888, 1.254 and O_output = 0.726, 0.708, 0.778",
            "these follow from hidden outputs rounded to 3 decimals; exact arithmetic gives "
            f"{', '.join(fn(v, 3) for v in X_out)} and {', '.join(fn(v, 3) for v in O_out)} (section 3 shows both)",
        ),
        Erratum(
            "Backpropagating errors to more layers",
            "the second share is written w12 / (w22 + w22)",
            f"the denominator is w12 + w22, as on the Review II slide; with w12 = 1, w22 = 4, e = (0.8, 0.5) "
            f"the typo gives e_hidden,1 = {fn(typo, 4)} instead of {fn(right, 2)}, and the shares of output 2 "
            f"no longer add up to 1",
        ),
        Erratum(
            "Review I",
            "X = W . I multiplies the weights by a column of inputs",
            "not an error, a convention: glassnet puts samples in rows, Z = X @ W with W = Rashid's W "
            "transposed (see the glossary)",
        ),
        Erratum(
            "Review II / Solution for the hidden layer",
            "the hidden error is W^T . e_output, the raw output errors, and the hidden update uses it",
            "the gradient sends back W^T . (e * O (1 - O)), each output error times its sigmoid slope; the "
            "book's hidden update is not a gradient step (section 5 shows both); glassnet uses the gradient",
        ),
        Erratum(
            "Solution (output layer)",
            "sigmoid(sum_j w_jk . o_j): the sum runs over j while w_jk already names one fixed j",
            "use another index for the sum, e.g. sigmoid(sum_i w_ik . o_i)",
        ),
        Erratum(
            "Solutions and Matrix version",
            "the output-layer slope keeps the factor -2, the hidden-layer slope has -1 and the matrix "
            "update has neither (and a + sign)",
            "the constants only rescale the learning rate, so training is unaffected; glassnet makes the "
            "update exact by putting 1/2 in the loss (1/2 sum (Yhat - Y)^2), whose gradient has no 2",
        ),
        Erratum(
            "Matrix version",
            "dw_jk = alpha * E_k * sigmoid(O_k) * (1 - sigmoid(O_k)) . O_j^T",
            f"O_k is already a sigmoid output, so the slope is O_k (1 - O_k), as the matrix above it says "
            f"(S_k (1 - S_k)); applying the sigmoid twice changes it, e.g. O = {fn(O, 4)}: O (1 - O) = "
            f"{fn(O * (1 - O), 4)} but sigmoid(O) (1 - sigmoid(O)) = {fn(s * (1 - s), 4)}",
        ),
        Erratum(
            "Key points",
            "values below 0 or above 1, inclusive, are impossible for the logistic sigmoid",
            "the outputs fill the open interval (0, 1): 0 and 1 themselves are never reached in exact "
            f"arithmetic (in float64 a saturated node rounds to exactly 1: sigmoid(40) = {saturated!r}), which is "
            "why targets of 0.01 and 0.99 are used",
        ),
    ]


def run(trace=False, train=None, test=None, hidden=100, epochs=None, lr=0.1, seed=0) -> TutorialResult:
    """Rebuild Tariq Rashid's *Make Your Own Neural Network* with glassnet.

    Parameters
    ----------
    trace : bool
        Add the full trace of the weight update in section 5.
    train, test : path, optional
        MNIST CSV files (no header; each row a label 0-9 and 784 pixels 0-255).
        Give both or neither; without them the recipe runs on scikit-learn's
        bundled 8x8 digits.
    hidden : int
        Hidden nodes of the recipe network.
    epochs : int, optional
        Passes over the training data (default 1 for MNIST files, as in the
        book, and 10 for the much smaller digits set).
    lr : float
        Learning rate of the recipe.
    seed : int
        Seed of the weights, the shuffling and the digits split.
    """
    result = TutorialResult("rashid")
    sections = [
        ("bug_classifier", "1. Training a simple classifier: y = A x", _bug_classifier()),
        ("two_node", "2. Following signals through a 2-node layer", _two_node()),
        ("three_layer", "3. A three-layer example with matrix multiplication", _three_layer()),
        ("backprop_errors", "4. Back-propagating errors", _backpropagating_errors()),
        ("weight_update", "5. Updating the weights: Rashid's rule and glassnet's gradient step", _weight_update(trace)),
        ("recipe", "6. The MNIST recipe", _mnist_recipe(train, test, hidden, epochs, lr, seed)),
    ]
    result.add("Glossary (Rashid -> glassnet)", GLOSSARY)
    for key, heading, (parts, data) in sections:
        result.add(heading, *parts)
        result.data[key] = data
    result.errata = _errata()
    return result
