"""Ben Gorman's stairs worked example (GormAnalysis, *Introduction to Neural Networks, Part 2: A Worked Example*)
on glassnet.

Four 2x2 grayscale images go through a 4-2-2 network (sigmoid hidden layer,
softmax output, cross-entropy loss) for one step of gradient descent, shown in
the tutorial's augmented notation. Then the same architecture is trained on
generated stairs images.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet import datasets
from glassnet.checks import positive_number
from glassnet.tutorials import Erratum, Matrices, Prose, Step, TutorialResult

# Pixels p1 p2 (top row) p3 p4 (bottom row); the tutorial's scale is 0 = white, 255 = black.
IMAGES = np.array([[252, 4, 155, 175], [175, 10, 186, 200], [82, 131, 230, 100], [115, 138, 80, 88]], dtype=float)
# Column 0 is "stairs", column 1 "something else", in the tutorial's order.
Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)
# Starting weights in augmented form: the top row of each matrix is the bias.
W1 = np.array([[-0.00469, 0.00797], [-0.00256, 0.00889], [0.00146, 0.00322], [0.00816, 0.00258], [-0.00597, -0.00876]])
W2 = np.array([[-0.00588, -0.00232], [-0.00647, 0.00540], [0.00374, -0.00005]])
STEPSIZE = 0.1
# P(stairs) as printed in the tutorial's loss table (erratum 1 compares it with its Yhat matrix).
TABLE_YHAT_STAIRS = np.array([0.49865, 0.49836, 0.49757, 0.49838])

GLOSSARY = """\
tutorial     glassnet             meaning
X1           [1 | X]              the images as rows, after a ones column (bias)
W1           [b1; W1]             hidden-layer weights; the top row is the bias
Z1           Z1 = X @ W1 + b1     what each of the two hidden nodes receives
X2           [1 | A1]             A1 = sigmoid(Z1), after a ones column
W2           [b2; W2]             output-layer weights; the top row is the bias
Z2           Z2 = A1 @ W2 + b2    what each of the two output nodes receives
Yhat         A2 = softmax(Z2)     per image: P(stairs), P(something else)
CE_i, CE     loss_i, loss         cross entropy of image i; their mean
nabla_M      dM                   d(mean CE)/dM; nabla_X2 = [. | dA1]"""


def _network(W1_aug, W2_aug):
    """The tutorial's 4-2-2 network built from augmented weight matrices."""
    return glassnet.Network(
        [
            glassnet.Dense(4, 2, "sigmoid", init=W1_aug[1:], bias_init=W1_aug[0]),
            glassnet.Dense(2, 2, "softmax", init=W2_aug[1:], bias_init=W2_aug[0]),
        ],
        loss="cross_entropy",
    )


def worked_example():
    """The tutorial's network, four images and targets: ``(net, X, Y)``, ready for ``glassnet.trace_step``."""
    return _network(W1, W2), IMAGES.copy(), Y.copy()


def _lists(M):
    return {name: np.asarray(value).tolist() for name, value in M.items()}


def _worked_step(result, trace):
    """Forward pass, loss, backward pass and one update on the four images."""
    net = _network(W1, W2)
    t = glassnet.trace_step(net, IMAGES, Y, lr=STEPSIZE)
    aug, N = t.augmented(), len(IMAGES)
    forward = {"Z1": aug["Z1"], "X2": aug["X2"], "Z2": aug["Z2"], "Yhat": aug["Yhat"]}
    result.add("Forward pass",
               Prose("Z1 = X1 @ W1, X2 = [1 | sigmoid(Z1)], Z2 = X2 @ W2, Yhat = softmax(Z2) row by row."), "",
               Matrices(forward))

    CE = t["loss_i"]
    rows = ["image  p1   p2   p3   p4   stairs  Yhat_stairs  Yhat_else  CE_i"]
    for i, (p, y_row, yh, ce) in enumerate(zip(IMAGES.astype(int), Y, aug["Yhat"], CE), 1):
        rows.append(f"{i:>5}  {p[0]:>3}  {p[1]:>3}  {p[2]:>3}  {p[3]:>3}  {'yes' if y_row[0] else 'no':>6}"
                    f"  {yh[0]:>11.5f}  {yh[1]:>9.5f}  {ce:.5f}")
    result.add("Loss", Prose("CE_i = -sum_c Y_ic log(Yhat_ic); only the true class's probability counts."), "",
               "\n".join(rows), "", f"CE = mean of CE_i = {t['loss']:.5f}")

    nabla = {"nabla_Z2": aug["dZ2"], "nabla_X2": aug["dZ2"] @ W2.T, "nabla_Z1": aug["dZ1"],
             "nabla_W2": aug["dW2"], "nabla_W1": aug["dW1"]}
    update = {"W1": aug["W1_new"], "W2": aug["W2_new"]}
    ce_after = net.evaluate(IMAGES, Y)["loss"]
    result.add("Backward pass (gradients of the mean CE, as glassnet computes them)",
               Prose(f"CE is a mean over N = {N} images, so each gradient carries a factor 1/N:"),
               "nabla_Z2 = (Yhat - Y) / N, nabla_X2 = nabla_Z2 @ W2.T,\n"
               "nabla_Z1 = nabla_X2[:, 1:] * X2[:, 1:] * (1 - X2[:, 1:])  (element by element),\n"
               "nabla_W2 = X2.T @ nabla_Z2, nabla_W1 = X1.T @ nabla_Z1.",
               Prose("The first column of nabla_X2 belongs to the constant 1 and is not used."), "", Matrices(nabla))
    result.add(f"Update with stepsize {STEPSIZE}",
               Prose(f"W <- W - {STEPSIZE} * nabla_W (top rows are the biases)."), "", Matrices(update), "",
               Prose(f"CE on the four images after the step: {ce_after:.5f} (before: {t['loss']:.5f})"))

    # The tutorial's boxed formulas drop the 1/N: they are the gradient of the sum of CE_i.
    summed = {name: N * value for name, value in nabla.items()}
    summed_update = {"W1": W1 - STEPSIZE * summed["nabla_W1"], "W2": W2 - STEPSIZE * summed["nabla_W2"]}
    summed_net = _network(summed_update["W1"], summed_update["W2"])
    ce_after_sum = summed_net.evaluate(IMAGES, Y)["loss"]
    Z1_after_sum = summed_net.layers[0].Z
    result.add("The tutorial's boxed formulas, followed literally (erratum 2)",
               Prose(f"The tutorial's nabla_Z2 = Yhat - Y has no 1/N: its formulas give the gradient of the SUM of "
                     f"CE_i, N = {N} times the ones above.\nIts step with stepsize {STEPSIZE} gives:"), "",
               Matrices({"nabla_W2 (sum)": summed["nabla_W2"], "nabla_W1 (sum)": summed["nabla_W1"],
                          "W1 (sum step)": summed_update["W1"], "W2 (sum step)": summed_update["W2"],
                          "Z1 (after sum step)": Z1_after_sum}), "",
               Prose(f"CE after this step: {ce_after_sum:.5f} (before: {t['loss']:.5f}; "
                     f"after glassnet's mean step: {ce_after:.5f})"))

    result.data.update(
        glossary=GLOSSARY,
        inputs={"X1": aug["X1"].tolist(), "W1": W1.tolist(), "W2": W2.tolist()},
        forward=_lists(forward),
        loss={"Y": Y.tolist(), "CE": CE.tolist(), "mean_CE": t["loss"]},
        backward=_lists(nabla),
        update={**_lists(update), "stepsize": STEPSIZE, "mean_CE_after": ce_after},
        summed_loss={**_lists(summed), **_lists(summed_update), "Z1_after": Z1_after_sum.tolist(),
                     "mean_CE_after": ce_after_sum},
    )
    if trace:
        result.add("Full trace (augmented notation)", Step(t, "augmented"))
        result.add("Full trace (standard notation: Z = X @ W + b)", Step(t, "standard"))
        result.data["trace"] = {"augmented": t.as_dict("augmented"), "standard": t.as_dict("standard")}


def _train(X, y, scale, seed, epochs, lr, n_train):
    """Train a fresh 4-2-2 net on pixels divided by ``scale``; returns the numbers it reached."""
    start = glassnet.Uniform(-0.01, 0.01)  # the tutorial's starting range
    net = glassnet.Network([glassnet.Dense(4, 2, "sigmoid", init=start, bias_init=start),
                            glassnet.Dense(2, 2, "softmax", init=start, bias_init=start)], seed=seed)
    Yall = np.column_stack([y, 1 - y])  # column 0 = stairs, as in the worked example
    Xs = X / scale
    history = net.fit(Xs[:n_train], Yall[:n_train], epochs=epochs, lr=lr, dtype=np.float64)
    net.forward(Xs[:n_train])
    hidden = net.layers[0]
    return {
        "max_abs_Z1": float(np.abs(hidden.Z).max()),
        "saturated_share": float(np.mean((hidden.A < 0.01) | (hidden.A > 0.99))),
        "final_loss": history.loss[-1],
        "classes_predicted": len(np.unique(net.predict(Xs[:n_train]))),
        "train_accuracy": net.evaluate(Xs[:n_train], Yall[:n_train])["accuracy"],
        "test_accuracy": net.evaluate(Xs[n_train:], Yall[n_train:])["accuracy"],
    }


def _training(result, seed, epochs, lr, n_train=400, n_test=100):
    X, y = datasets.stairs(n_train + n_test, seed=seed)
    scaled = _train(X, y, 255.0, seed, epochs, lr, n_train)
    raw = _train(X, y, 1.0, seed, epochs, lr, n_train)
    keys = ("train_accuracy", "test_accuracy", "max_abs_Z1", "saturated_share", "classes_predicted")
    line = "{:<14} {:>9.3f} {:>9.3f} {:>10.1f} {:>10.0%} {:>10}"
    table = [f"{'inputs':<14} {'train acc':>9} {'test acc':>9} {'max |Z1|':>10} {'saturated':>10} {'classes':>10}"]
    for name, reached in (("pixels / 255", scaled), ("raw 0-255", raw)):
        table.append(line.format(name, *(reached[k] for k in keys)))
    result.add(
        "Training on generated stairs images",
        Prose(f"{n_train} training and {n_test} test images from glassnet.datasets.stairs(seed={seed}); the same 4-2-2 "
        f"network, weights drawn from Uniform(-0.01, 0.01), {epochs} epochs of full-batch gradient descent with "
        f"lr {lr} on the mean CE.\nPixels are divided by 255 first. On raw 0-255 pixels a weight of a few "
        "hundredths already makes Z1 large, the sigmoid sits at 0 or 1 where its slope is almost 0, and hardly "
        "any gradient reaches W1. 'saturated' is the share of hidden outputs A1 on the training images within "
        "0.01 of 0 or 1 after training (a trained net may saturate on purpose, once it has learnt); 'classes' "
        "counts the classes it predicts on the training images (1: the same answer for every image).\n"
        "With only two hidden nodes, some starting weights (other seeds) settle in a poorer local minimum."),
        "",
        "\n".join(table),
    )
    result.data["training"] = {"seed": seed, "n_train": n_train, "n_test": n_test, "epochs": epochs, "lr": lr,
                               "scale": 255.0, **scaled, "raw_pixels": raw}


def run(trace=False, seed=0, epochs=3000, lr=2.0) -> TutorialResult:
    """Reproduce the stairs worked example and train its network on generated images.

    Parameters
    ----------
    trace : bool
        Also include the full trace of the worked step in both notations.
    seed : int
        Seed of the generated images and of the starting weights in the training part.
    epochs, lr : int, float
        Full-batch gradient descent settings of the training part.
    """
    seed = positive_number("seed", seed, integer=True, allow_zero=True)
    result = TutorialResult("stairs")
    result.add("Glossary", GLOSSARY)
    result.add("The four images, their targets and the starting weights",
               Prose("Each row of X1 is one image (p1 p2 on top, p3 p4 below; 0 white, 255 black) after a 1 for "
                     "the bias. Y column 0 is stairs, column 1 something else."), "",
               Matrices({"X1": np.hstack([np.ones((4, 1)), IMAGES]), "Y": Y, "W1": W1, "W2": W2}))
    _worked_step(result, trace)
    _training(result, seed, epochs, lr)
    result.errata = _errata(result.data)
    return result


def _errata(data):
    """The tutorial's mistakes, with glassnet's numbers filled in."""
    yhat, CE = np.array(data["forward"]["Yhat"]), data["loss"]["CE"]
    ce_before, ce_after, summed = data["loss"]["mean_CE"], data["update"]["mean_CE_after"], data["summed_loss"]
    scaled, raw = data["training"], data["training"]["raw_pixels"]
    return [
        Erratum("loss table, Yhat_Stairs of images 2-4",
                "prints " + ", ".join(f"{v:.5f}" for v in TABLE_YHAT_STAIRS[1:])
                + "; with Yhat_Else those rows sum to 1.0001",
                "the Yhat matrix and glassnet give " + ", ".join(f"{v:.5f}" for v in yhat[1:, 0])
                + "; the table's CE column (" + ", ".join(f"{v:.4f}" for v in CE[1:])
                + ") matches the matrix, so the table has a typo"),
        Erratum("backpropagation, boxed gradients",
                "CE is defined as the mean of CE_i, but nabla_Z2 = Yhat - Y (and everything after it) is the "
                "gradient of the sum of CE_i, N = 4 times larger",
                f"glassnet differentiates the mean: nabla_Z2 = (Yhat - Y) / N. Followed literally with stepsize "
                f"0.1, the summed step moves the mean CE from {ce_before:.5f} to {summed['mean_CE_after']:.5f}; "
                f"the mean step gives {ce_after:.5f}"),
        Erratum("step 5, the product written as a circled times",
                "calls it the tensor product that multiplies element by element",
                "element-by-element multiplication is the Hadamard product (often written as a circled dot); "
                "a tensor (outer) product of two 1x2 rows would have 4 entries. glassnet uses NumPy's *"),
        Erratum("step 1, dCE_1/dYhat",
                "the denominators lack the partial sign (dCE_1 over yhat_11 instead of over d yhat_11)",
                "read them as partial derivatives dCE_1/d yhat_1c = -y_1c / yhat_1c"),
        Erratum("the data: raw 0-255 pixels",
                "the example feeds raw intensities and never mentions scaling",
                f"large inputs saturate the hidden sigmoids: after the summed step, Z1 of image 1 is "
                f"{summed['Z1_after'][0][0]:.2f}; training on raw pixels reaches train/test accuracy "
                f"{raw['train_accuracy']:.3f}/{raw['test_accuracy']:.3f}, on pixels / 255 "
                f"{scaled['train_accuracy']:.3f}/{scaled['test_accuracy']:.3f}; this tutorial divides by 255"),
        Erratum("loss table, CE column", "shows 4 decimals while every other number has 5",
                "glassnet prints 5 decimals everywhere; the tutorial's values agree when rounded to 4"),
        Erratum("problem description, pixel scale",
                "0 is white and 255 is black, the reverse of the usual grayscale convention (0 = black)",
                "a convention, not a mistake; glassnet.datasets.stairs follows the tutorial's"),
    ]
