"""Shubhang Desai's *A soft introduction to neural networks* on glassnet: softmax regression on 16 rows.

One ``Dense(4, 2, "softmax")`` layer with cross entropy, trained by SGD on
random minibatches of 4 of the 8 training rows, as the tutorial's loop does.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet import datasets
from glassnet.checks import positive_number
from glassnet.tutorials import Erratum, Prose, Step, TutorialResult

STATED_ALPHA = 0.01  # the tutorial's learning rate, applied to a summed gradient
BATCH = 4
ITERATIONS = 4000
SPLITS = {"train": slice(0, 8), "validation": slice(8, 12), "test": slice(12, 16)}

GLOSSARY = """\
tutorial            glassnet                  meaning
X, y                datasets.toy16()          16 rows; label = 3rd of 4 features
W (4x2), b (2)      Dense(4, 2).W, .b         the only layer: W ~ N(0, 1), b = 0
linear(input)       Z = X @ W + b             one score per class
softmax, "norm"     A = softmax(Z) = Yhat     scores to class probabilities
loss                loss (cross_entropy)      batch mean of -log(P(true class))
dloss               dZ = (Yhat - Y) / N       gradient at the scores (mean: 1/N)
dW, db              dW = X.T @ dZ, db         gradients of the parameters
alpha (1e-2)        SGD(lr)                   step size"""


def _train(lr, seed, iterations, trace=False):
    """Train a fresh layer; returns its log (JSON-ready) and the first step's trace (None unless asked)."""
    X, y = datasets.toy16()
    (Xt, yt), (Xv, yv) = ((X[SPLITS[k]], y[SPLITS[k]]) for k in ("train", "validation"))
    # The network's seed draws W and then the minibatches, so one number fixes the whole run.
    net = glassnet.Network([glassnet.Dense(4, 2, "softmax", init=glassnet.Normal(0.0, 1.0), bias_init=0.0)],
                           loss="cross_entropy", seed=seed)
    W_start = net.layers[0].W.copy()
    optimizer = glassnet.SGD(lr)
    log = {"train_accuracy": [], "val_accuracy": []}
    first_step = None
    for i in range(1, iterations + 1):
        rows = net.rng.integers(0, len(Xt), size=BATCH)  # with replacement, as the tutorial draws
        Xb, yb = Xt[rows], yt[rows]
        if i % 100 == 0:
            # the tutorial's "training accuracy": this minibatch, scored before its update
            log["train_accuracy"].append((i, net.evaluate(Xb, yb)["accuracy"]))
        if trace and i == 1:
            first_step = glassnet.trace_step(net, Xb, yb, optimizer=optimizer)
        else:
            net.train_step(Xb, yb, optimizer)
        if i % 500 == 0:
            log["val_accuracy"].append((i, net.evaluate(Xv, yv)["accuracy"]))
    Xs, ys = X[SPLITS["test"]], y[SPLITS["test"]]
    log["test_accuracy"] = net.evaluate(Xs, ys)["accuracy"]
    log.update(lr=lr, W_start=W_start.tolist(), W=net.layers[0].W.tolist(), b=net.layers[0].b.tolist())
    return log, first_step


def _table(log, literal):
    """One line per validation check; the 100-iteration minibatch scores go into the data."""
    batch, val_literal = dict(log["train_accuracy"]), dict(literal["val_accuracy"])
    last = f"val. acc at lr {literal['lr']:g}"
    lines = [f"iteration  minibatch acc  mean of last 5  validation acc  {last}"]
    for i, val in log["val_accuracy"]:
        recent = [batch[j] for j in range(i - 400, i + 1, 100) if j in batch]
        lines.append(f"{i:>9}  {batch[i]:>13.2f}  {np.mean(recent):>14.2f}  {val:>14.2f}  "
                     f"{val_literal[i]:>{len(last)}.2f}")
    return "\n".join(lines)


def _overlaps():
    """Rows of the table that repeat, within and across the splits (row numbers 0-15)."""
    X, _ = datasets.toy16()
    split_of = {i: name for name, s in SPLITS.items() for i in range(16)[s]}
    found = []
    for i in range(16):
        for j in range(i + 1, 16):
            if np.array_equal(X[i], X[j]):
                found.append({"rows": [i, j], "splits": [split_of[i], split_of[j]], "x": X[i].astype(int).tolist()})
    return found


def run(trace=False, seed=0, lr=4 * STATED_ALPHA, iterations=ITERATIONS) -> TutorialResult:
    """Train Desai's softmax regression on the 16-row table.

    Parameters
    ----------
    trace : bool
        Also include the trace of the first iteration in both notations.
    seed : int
        Seeds the starting weights and the minibatch draws.
    lr : float
        SGD learning rate on glassnet's mean loss. The default 0.04 is the
        tutorial's step: its alpha 0.01 times a gradient summed over 4 rows.
    iterations : int
        Number of minibatch updates.
    """
    iterations = positive_number("iterations", iterations, integer=True)
    result = TutorialResult("desai")
    result.add("Glossary", GLOSSARY)
    log, first_step = _train(lr, seed, iterations, trace)
    literal, _ = _train(STATED_ALPHA, seed, iterations)
    result.add(
        "Set-up",
        Prose("Rows 0-7 train, 8-11 validate, 12-15 test. There is no hidden layer: one Dense(4, 2, 'softmax') "
              "layer is softmax regression. Each iteration draws 4 training rows at random (a row may come twice) and "
              f"takes one SGD step. The tutorial's update is W -= {STATED_ALPHA} * dW with dW summed over the 4 rows; "
              "glassnet's loss is the mean over the batch, so its gradient is a quarter of that and the same step is "
              f"SGD({4 * STATED_ALPHA:g}). This run uses lr = {lr:g}, seed {seed}."),
        "",
        glassnet.format_matrix(np.array(log["W_start"]), "W at the start"),
    )
    result.add(
        f"Training ({iterations} iterations)",
        Prose("'minibatch acc' is what the tutorial prints as training accuracy: the 4-row batch of that "
              "iteration, scored before its update; 'mean of last 5' averages it over the last 5 checks (every 100 "
              "iterations). Validation accuracy is measured after the update. The last column repeats the run with "
              f"the tutorial's alpha {STATED_ALPHA} on glassnet's mean loss, a step 4 times smaller."),
        "",
        _table(log, literal),
        "",
        Prose(f"test accuracy at the end: {log['test_accuracy']:.2f}"),
        "",
        glassnet.format_matrix(np.array(log["W"]), "W"),
        glassnet.format_matrix(np.array(log["b"]), "b"),
        "",
        Prose(f"At lr {STATED_ALPHA:g} on the mean loss: test accuracy {literal['test_accuracy']:.2f}."),
    )
    overlaps = _overlaps()
    result.data.update(glossary=GLOSSARY, seed=seed, iterations=iterations, batch_size=BATCH, **log,
                       stated_alpha_run=literal, repeated_rows=overlaps)
    if trace:
        result.add("Trace of iteration 1 (standard notation)", Step(first_step, "standard"))
        result.add("Trace of iteration 1 (augmented notation: bias as the top row of W)",
                   Step(first_step, "augmented"))
        result.data["trace"] = {"standard": first_step.as_dict("standard"),
                                "augmented": first_step.as_dict("augmented")}
    result.errata = _errata(overlaps)
    return result


def _errata(overlaps):
    """The tutorial's mistakes, each checked against its code; the repeated rows come from the data."""
    repeats = "; ".join(f"rows {o['rows'][0]} ({o['splits'][0]}) and {o['rows'][1]} ({o['splits'][1]}) are both "
                        f"{o['x']}" for o in overlaps)
    return [
        Erratum("softmax_cross_entropy, batch_size = input.shape[1]",
                "takes the number of columns (2 classes) as the batch size (4)",
                "so indeces = [0, 1], and norm[indeces, y] (shapes (2,) and (4, 1)) broadcasts to a 4x2 array: "
                "batch rows 0 and 1 scored against each of the four labels; the loss adds those 8 terms and divides "
                "by 2. In the backward pass dloss[indeces, y] -= 1 subtracts 1 once per distinct (row, label) pair, "
                "in rows 0 and 1 only. If all four labels agree, rows 0 and 1 get the right gradient; if both "
                "classes occur, both columns of rows 0 and 1 drop by 1, which for 2 classes has the same effect as "
                "no target at all; rows 2 and 3 never get a target. A row without a target gets dZ = Yhat, which "
                "only pulls its prediction towards 50/50. glassnet gives every row its own label: "
                "dZ = (Yhat - Y) / N"),
        Erratum("loss versus gradient", "the loss is divided by a batch size, the gradient dloss is not",
                f"glassnet's loss and gradient are both means; SGD({4 * STATED_ALPHA:g}) here equals the "
                f"tutorial's alpha {STATED_ALPHA} on a summed gradient"),
        Erratum("softmax_cross_entropy_backward, dloss = norm",
                "dloss is the cached softmax array itself, so -= 1 overwrites the cache",
                "harmless in this loop (the next forward pass refills the cache) but wrong for anyone who reads the "
                "cache afterwards; glassnet's loss writes dZ into a new array and leaves the layer's A as it was"),
        Erratum("softmax", "exp(input) without subtracting each row's largest score",
                "exp overflows for scores above about 709 (exp(1000) gives inf and then nan); the scores here stay "
                "small, so it does not bite. glassnet's softmax subtracts the row maximum first, which leaves the "
                "result unchanged"),
        Erratum("conclusion", "calls the model a one-hidden-layer neural network",
                "there is no hidden layer: one linear layer with softmax is softmax (multinomial logistic) regression"),
        Erratum("training loop, printed training accuracy",
                "reports accuracy on the current 4-row minibatch, from the forward pass before the update",
                "glassnet reports the same quantity, labelled 'minibatch acc'; it moves in steps of 0.25 and is "
                "not the accuracy on the 8 training rows"),
        Erratum("the data split", "presents validation and test rows as data the network has not seen",
                f"{repeats}. A validation row repeating a training row is not unseen data"),
        Erratum("W = np.random.randn(4, 2), np.random.choice", "no seed, so every run differs",
                "glassnet seeds the weights and the minibatch draws (seed option)"),
        Erratum("np.random.choice(X_train.shape[0], 4)",
                "draws with replacement: a batch can hold the same row twice and some rows go unused for a while",
                "glassnet draws the same way to match; Network.fit instead shuffles and visits every row each epoch"),
    ]
