"""Pictures of training and of the tutorials' experiments, written as PNG (and GIF) files.

Everything is drawn with matplotlib's object-oriented API on an Agg canvas
(``Figure`` + ``FigureCanvasAgg``, never ``pyplot``): no display is needed, no
global figure state is touched, and plots can be made from several threads.
Every function checks its ``path`` before drawing anything
(``glassnet.checks.output_file``: a str or PathLike naming a ``.png`` file, or
``.gif`` for the animation, in a folder that exists), writes the file
atomically (a temporary file in the same folder, then ``os.replace``) and
returns the path as a string. Sizes are fixed, so a figure is always the same
number of pixels:

=========================  =================
function                   pixels (w x h)
=========================  =================
``learning_curves``        1000 x 400
``confusion_matrix``       640 x 480
``decision_regions``       640 x 480
``first_layer_weights``    640 x 640
``iris_slope``             400 per learning rate x 400
``iris_slope_animation``   384 x 288 (GIF)
``rashid_grid``            1200 x 400
=========================  =================
"""

from __future__ import annotations

import io
import math
import numbers
from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from PIL import Image

from glassnet.checks import class_labels, describe, finite_matrix, output_file, positive_number
from glassnet.experiments import ABOVE, BELOW, IrisSlopeResult, RashidGridResult
from glassnet.files import write_atomically
from glassnet.metrics import confusion_counts

DPI = 100
ANIMATION_DPI = 80
MAX_FRAMES = 60


# ---------------------------------------------------------------- plumbing
def _figure(width, height, dpi=DPI):
    """A figure of ``width`` x ``height`` inches with its own Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save_png(fig, path) -> str:
    buffer = io.BytesIO()
    # print_png ignores savefig rc settings such as savefig.bbox = "tight", which would change the pixel size.
    fig.canvas.print_png(buffer)
    return write_atomically(path, buffer.getvalue())


def _class_names(class_names):
    """``class_names`` as a non-empty list of strings, or a clear error."""
    if isinstance(class_names, str) or not hasattr(class_names, "__len__"):
        raise TypeError(f"class_names must be a sequence of names, got {describe(class_names)}")
    if len(class_names) == 0:
        raise ValueError("class_names must hold one name per class, got an empty sequence")
    return [str(c) for c in class_names]


def _class_colors(n_classes):
    """One distinct color per class: tab10 up to 10 classes, tab20 up to 20, then viridis."""
    if n_classes <= 10:
        return list(colormaps["tab10"].colors[:n_classes])
    if n_classes <= 20:
        return list(colormaps["tab20"].colors[:n_classes])
    return list(colormaps["viridis"](np.linspace(0, 1, n_classes)))


def _check_network(net, *attributes):
    """``net`` must look like a glassnet Network: it has every one of ``attributes``."""
    if not all(getattr(net, name, None) for name in attributes):
        raise TypeError(f"net must be a glassnet Network, got {describe(net)}")


def _check_result(name, result, kind):
    if not isinstance(result, kind):
        raise TypeError(f"{name} must be the {kind.__name__} of glassnet.experiments, got {describe(result)}")


# ---------------------------------------------------------------- training
_CURVES = ("loss", "val_loss", "accuracy", "val_accuracy")


def _history_curves(history) -> dict:
    """The per-epoch curves of a ``History`` or dict as float arrays, checked for matching lengths."""
    if isinstance(history, Mapping):
        raw = dict(history)
    elif callable(getattr(history, "as_dict", None)):
        raw = history.as_dict()
    else:
        raise TypeError(f"history must be a glassnet History or a dict of lists, got {describe(history)}")
    if len(raw.get("loss", ())) == 0:
        raise ValueError(f"history must have a non-empty 'loss' list, got keys {sorted(raw)}")
    curves = {}
    for key in _CURVES:
        values = raw.get(key)
        if values is None or len(values) == 0:
            continue
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise ValueError(f"history[{key!r}] must be a flat list with one number per epoch, got shape {arr.shape}")
        curves[key] = finite_matrix(f"history[{key!r}]", arr).ravel()
    n = len(curves["loss"])
    for key, arr in curves.items():
        if len(arr) != n:
            raise ValueError(f"history[{key!r}] has {len(arr)} epochs but history['loss'] has {n}; they must match")
    return curves


def learning_curves(history, path):
    """Loss (left) and accuracy (right) per epoch, training and validation; 1000 x 400 px PNG.

    Parameters
    ----------
    history : History or dict
        ``Network.fit``'s ``History`` or a dict with a ``"loss"`` list and
        optionally ``"accuracy"``, ``"val_loss"``, ``"val_accuracy"`` lists of
        the same length (other keys are ignored).
    path : str or PathLike
        Where to write the PNG (must end in ``.png``).
    """
    curves = _history_curves(history)
    output_file("path", path, ".png")
    epochs = np.arange(1, len(curves["loss"]) + 1)
    marker = "o" if len(epochs) <= 30 else None
    fig = _figure(10.0, 4.0)
    for ax, what in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        for key, label in ((what, "training"), (f"val_{what}", "validation")):
            if key in curves:
                ax.plot(epochs, curves[key], marker=marker, label=label)
        if what in curves or f"val_{what}" in curves:
            ax.legend()
        else:
            ax.text(0.5, 0.5, f"no {what} recorded", ha="center", va="center", transform=ax.transAxes)
        ax.set(xlabel="epoch", ylabel=what, title=what.capitalize() + " per epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    return _save_png(fig, path)


def confusion_matrix(y_true, y_pred, path, class_names=None):
    """The confusion matrix as a heat map with the counts written in; 640 x 480 px PNG.

    Rows are true classes and columns predicted classes (see ``confusion_counts``);
    the title gives the accuracy. ``class_names`` (one per class) label the axes.
    """
    if class_names is None:
        C = confusion_counts(y_true, y_pred)
        names = [str(k) for k in range(len(C))]
    else:
        names = _class_names(class_names)
        largest = int(max(class_labels("y_true", y_true).max(), class_labels("y_pred", y_pred).max()))
        if largest >= len(names):
            raise ValueError(f"class_names has {len(names)} names but the labels go up to {largest}")
        C = confusion_counts(y_true, y_pred, len(names))
    output_file("path", path, ".png")
    total, right = int(C.sum()), int(np.trace(C))
    fig = _figure(6.4, 4.8)
    ax = fig.subplots()
    im = ax.imshow(C, cmap="Blues", vmin=0)
    fig.colorbar(im, ax=ax, label="samples")
    for i, j in np.ndindex(C.shape):
        dark = C[i, j] > 0.6 * C.max()
        ax.text(j, i, str(C[i, j]), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ticks = np.arange(len(C))
    ax.set_xticks(ticks, names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right")
    ax.set_yticks(ticks, names)
    ax.set(xlabel="predicted class", ylabel="true class",
           title=f"Confusion matrix: accuracy {right / total:.4f} ({right}/{total})")
    return _save_png(fig, path)


def decision_regions(net, X, y, path, resolution=200):
    """The class ``net.predict`` gives at every point of the plane, with the data on top; 640 x 480 px PNG.

    Only for networks with 2 inputs. The plane spans ``X``'s range plus 5 % on
    every side and is sampled on a ``resolution`` x ``resolution`` grid.
    """
    _check_network(net, "predict")
    X = finite_matrix("X", X)
    if X.shape[1] != 2:
        raise ValueError(
            f"X must have 2 columns (one per axis) to draw decision regions, got shape {X.shape}; "
            "for wider inputs plot something else, e.g. confusion_matrix"
        )
    y = class_labels("y", y, n_rows=len(X))
    resolution = positive_number("resolution", resolution, integer=True)
    if not 2 <= resolution <= 1000:
        raise ValueError(f"resolution must be between 2 and 1000 grid points per axis, got {resolution}")
    output_file("path", path, ".png")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.where(hi > lo, 0.05 * (hi - lo), 0.5)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    G0, G1 = np.meshgrid(g0, g1)
    regions = np.asarray(net.predict(np.column_stack([G0.ravel(), G1.ravel()]))).reshape(G0.shape)
    predicted = np.asarray(net.predict(X))
    n_classes = int(max(regions.max(), predicted.max(), y.max())) + 1
    names = getattr(net, "class_names", None)
    if names is not None and len(names) >= n_classes:
        names = _class_names(names)
        n_classes = len(names)
    else:
        names = [str(k) for k in range(n_classes)]
    colors = _class_colors(n_classes)

    fig = _figure(6.4, 4.8)
    ax = fig.subplots()
    ax.pcolormesh(g0, g1, regions, cmap=ListedColormap(colors), vmin=-0.5, vmax=n_classes - 0.5,
                  alpha=0.3, shading="nearest")
    for k in np.unique(y):
        ax.scatter(X[y == k, 0], X[y == k, 1], s=18, color=colors[k], edgecolors="black", linewidths=0.5,
                   label=names[k])
    ax.legend(title="class", fontsize=8, loc="best")
    ax.set(xlabel="input 1 (X[:, 0])", ylabel="input 2 (X[:, 1])",
           title=f"Decision regions: accuracy {np.mean(predicted == y):.4f} on these {len(y)} points")
    return _save_png(fig, path)


def first_layer_weights(net, path, image_shape=None, max_nodes=100):
    """Each hidden node's incoming weights drawn as an image (column ``W[:, j]`` of the first layer); 640 x 640 px PNG.

    Nodes are tiled in reading order (node 1 top left); one shared color scale,
    symmetric around zero (red positive, blue negative), so tiles can be compared.

    Parameters
    ----------
    net : Network
    path : str or PathLike
        Where to write the PNG (must end in ``.png``).
    image_shape : (rows, cols), optional
        How the inputs form an image (row-major, as digits and MNIST are stored).
        Inferred as a square when ``n_in`` is a perfect square (2x2 stairs, 8x8
        digits, 28x28 MNIST); required otherwise.
    max_nodes : int
        Draw at most this many nodes (the first ones).
    """
    _check_network(net, "predict", "layers")
    W = np.asarray(net.layers[0].W)
    n_in, n_nodes = W.shape
    if image_shape is None:
        side = math.isqrt(n_in)
        if side * side != n_in:
            raise ValueError(
                f"image_shape is required: the first layer has {n_in} inputs, not a perfect square; "
                f"pass image_shape=(rows, cols) with rows * cols == {n_in}"
            )
        image_shape = (side, side)
    if (
        not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in image_shape)
    ):
        raise TypeError(f"image_shape must be a pair of positive integers (rows, cols), got {describe(image_shape)}")
    rows, cols = (int(s) for s in image_shape)
    if rows * cols != n_in:
        raise ValueError(f"image_shape {rows}x{cols} has {rows * cols} pixels but the first layer has {n_in} inputs")
    max_nodes = positive_number("max_nodes", max_nodes, integer=True)
    output_file("path", path, ".png")

    shown = min(n_nodes, max_nodes)
    grid_cols = math.ceil(math.sqrt(shown))
    grid_rows = math.ceil(shown / grid_cols)
    # One mosaic image with a one-pixel NaN gap between tiles: a single imshow stays fast for hundreds of nodes.
    mosaic = np.full((grid_rows * (rows + 1) - 1, grid_cols * (cols + 1) - 1), np.nan)
    for j in range(shown):
        top, left = (k * (n + 1) for k, n in zip(divmod(j, grid_cols), (rows, cols)))
        mosaic[top : top + rows, left : left + cols] = W[:, j].reshape(rows, cols)
    limit = float(np.nanmax(np.abs(mosaic))) or 1.0
    cmap = colormaps["RdBu_r"].with_extremes(bad="0.35")

    fig = _figure(6.4, 6.4)
    ax = fig.subplots()
    im = ax.imshow(mosaic, cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label="weight")
    ax.set_axis_off()
    which = f"all {n_nodes}" if shown == n_nodes else f"the first {shown} of {n_nodes}"
    ax.set_title(f"First-layer weights of {which} hidden nodes\n(each a {rows}x{cols} image, node 1 top left)")
    return _save_png(fig, path)


# ---------------------------------------------------------------- experiments
def _iris_scatter(ax, result):
    x, y = result.X[:, 0], result.X[:, 1]
    for k, marker in ((ABOVE, "o"), (BELOW, "^")):
        ax.scatter(x[result.labels == k], y[result.labels == k], s=16, marker=marker, color=f"C{k}",
                   label=result.class_names[k], zorder=3)
    pad_x, pad_y = 0.05 * np.ptp(x), 0.05 * np.ptp(y)
    ax.set_xlim(x.min() - pad_x, x.max() + pad_x)
    ax.set_ylim(y.min() - pad_y, y.max() + pad_y)
    return np.array([0.0, x.max() + pad_x])  # the lines run from the origin past the data


def iris_slope(result, path):
    """Rashid's dividing line ``y = A x`` moving over the updates, one panel per learning rate; PNG.

    Each panel shows the two species (scaled sepal length against width), the
    starting line (dashed), up to 40 intermediate lines (faint, darker as
    training goes on) and the final line (bold). Size: 400 px per learning
    rate wide, 400 px high.
    """
    _check_result("result", result, IrisSlopeResult)
    output_file("path", path, ".png")
    n_panels = len(result.learning_rates)
    fig = _figure(4.0 * n_panels, 4.0)
    axes = np.atleast_1d(fig.subplots(1, n_panels, sharey=True))
    middle = np.unique(np.linspace(1, result.n_updates - 1, min(40, result.n_updates - 1)).round().astype(int))
    fade = np.linspace(0.1, 0.5, len(middle))
    for ax, lr in zip(axes, result.learning_rates):
        A = result.slopes[lr]
        xs = _iris_scatter(ax, result)
        segments = [np.column_stack([xs, a * xs]) for a in A[middle]]
        ax.add_collection(LineCollection(segments, colors=[(0.3, 0.3, 0.3, f) for f in fade], linewidths=0.8))
        ax.plot(xs, A[0] * xs, "--", color="gray", label=f"start A = {A[0]:.3f}")
        ax.plot(xs, A[-1] * xs, color="black", linewidth=2.5, label=f"final A = {A[-1]:.3f}")
        ax.set(title=f"L = {lr:g}: accuracy {result.accuracies[lr]:.2f}", xlabel="Sepal length (scaled)")
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel("Sepal width (scaled)")
    fig.suptitle(f"Slope-only classifier y = A x on setosa vs versicolor: {result.n_updates} updates, "
                 f"margin {result.margin:g}")
    return _save_png(fig, path)


# Line colors that stand apart from the species' colors (C0 blue, C1 orange).
_LINE_COLORS = ("black", "tab:red", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")


def iris_slope_animation(result, path, frames=MAX_FRAMES, fps=12):
    """An animated GIF of the dividing lines moving update by update, all learning rates in one panel; 384 x 288 px.

    Parameters
    ----------
    result : IrisSlopeResult
    path : str or PathLike
        Where to write the GIF (must end in ``.gif``).
    frames : int
        2 to 60 frames, evenly spread from the start to the last update
        (fewer if there are fewer updates). Every frame names its update.
    fps : int
        Frames per second.
    """
    _check_result("result", result, IrisSlopeResult)
    frames = positive_number("frames", frames, integer=True)
    if not 2 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be between 2 and {MAX_FRAMES}, got {frames}")
    fps = positive_number("fps", fps, integer=True)
    output_file("path", path, ".gif")
    count = min(frames, result.n_updates + 1)
    steps = np.linspace(0, result.n_updates, count).round().astype(int)

    fig = _figure(4.8, 3.6, dpi=ANIMATION_DPI)
    ax = fig.subplots()
    xs = _iris_scatter(ax, result)
    lines = [ax.plot(xs, xs, color=_LINE_COLORS[i % len(_LINE_COLORS)], linewidth=2)[0]
             for i in range(len(result.learning_rates))]
    ax.set(xlabel="Sepal length (scaled)", ylabel="Sepal width (scaled)")
    legend = ax.legend(handles=[*ax.collections, *lines], fontsize=7, loc="lower right")
    labels = legend.get_texts()[len(ax.collections):]
    counter = ax.set_title(f"y = A x after update {result.n_updates} of {result.n_updates}")
    moving = [*lines, legend, counter]
    for artist in moving:
        artist.set_animated(True)
    # Draw (and lay out) the still parts once, then per frame paste them back and draw only the moving parts.
    fig.canvas.draw()
    fig.set_layout_engine("none")
    background = fig.canvas.copy_from_bbox(fig.bbox)
    images = []
    for step in steps:
        for line, label, lr in zip(lines, labels, result.learning_rates):
            A = result.slopes[lr][step]
            line.set_ydata(A * xs)
            label.set_text(f"L = {lr:g}: A = {A:.3f}")
        counter.set_text(f"y = A x after update {step} of {result.n_updates}")
        fig.canvas.restore_region(background)
        for artist in moving:
            fig.draw_artist(artist)
        images.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3]))
    # One palette for all frames (smaller and faster than one per frame, and no flicker), taken from the first,
    # middle and last frames together so that a line hidden under another at the start still gets its color.
    sample = np.concatenate([np.asarray(images[i]) for i in (0, len(images) // 2, -1)])
    palette = Image.fromarray(sample).quantize(colors=255)
    indexed = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    indexed[0].save(buffer, format="GIF", save_all=True, append_images=indexed[1:], duration=round(1000 / fps), loop=0)
    return write_atomically(path, buffer.getvalue())


def rashid_grid(result, path):
    """Test accuracy against learning rate, epochs and hidden nodes (Rashid's three experiments); 1200 x 400 px PNG."""
    _check_result("result", result, RashidGridResult)
    output_file("path", path, ".png")
    fig = _figure(12.0, 4.0)
    axes = fig.subplots(1, 3, sharey=True)
    spread = result.runs if result.repeats > 1 and result.runs else None
    for i, (ax, (name, (values, accuracy, fixed))) in enumerate(zip(axes, result.series().items())):
        if spread:  # every run a dot, the mean a line
            xs = [v for v, runs in zip(values, spread[i]) for _ in runs]
            ax.scatter(xs, [a for runs in spread[i] for a in runs], s=14, alpha=0.5, color="gray",
                       label=f"each of {result.repeats} runs")
            ax.legend(loc="lower right", fontsize=8)
        ax.plot(values, accuracy, marker="o")
        for v, a in zip(values, accuracy):
            ax.annotate(f"{a:.3f}", (v, a), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        if name != "learning rate":
            ax.set_xticks(values)
        ax.set(xlabel=name, title=f"accuracy vs {name}\n({fixed})", ylim=(0, 1.05))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy")
    fig.suptitle(f"Rashid's experiments on 8x8 digits ({result.n_train} train / {result.n_test} test images)")
    return _save_png(fig, path)
