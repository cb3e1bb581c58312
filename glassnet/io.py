"""Model files: a trained ``Network`` saved as data and read back safely.

``save(net, path)`` writes a safetensors file (the format is described in
``glassnet.modelfile``): the weights as tensors, everything else as JSON.
``load(path)`` rebuilds the network with ``Network.from_config`` from the
file's description and puts the saved weights in; anything the constructors
refuse becomes a ``ModelFileError`` that names the file. Nothing in a file is
ever executed. ``inspect(path)`` loads a file the same way and describes it.
A loaded network's shuffling generator starts afresh from its saved seed.
"""

from __future__ import annotations

import numpy as np

from glassnet import training
from glassnet.checkpoint import run_of as checkpoint_run
from glassnet.checks import describe
from glassnet.modelfile import (
    CHECKPOINT_KEY,
    FORMAT,
    FORMAT_VERSION,
    METADATA_KEY,
    WEIGHT_DTYPES,
    ModelFileError,
    check_class_count,
    check_one_dtype,
    damaged,
    history_from_json,
    read,
    save,
)
from glassnet.network import Network
from glassnet.onnx_export import to_onnx
from glassnet.preprocessing import preprocessing_from_config
from glassnet.torch_exchange import from_torch, save_torch, to_torch, to_torch_state_dict

__all__ = [
    "FORMAT", "FORMAT_VERSION", "METADATA_KEY", "ModelFileError", "from_torch", "inspect", "load", "resume", "save",
    "save_torch", "to_onnx", "to_torch", "to_torch_state_dict",
]


def load(path) -> Network:
    """Read a model file written by ``save`` and rebuild the ``Network``.

    The file is checked completely (format, version, architecture, tensor
    names, shapes and dtypes, finite weights, JSON) before the network is
    used; nothing in it is executed.

    Returns
    -------
    Network
        With the saved layers (and their initializers), loss, seed, weights
        (dtype kept), ``preprocessing``, ``class_names``, ``notes``, and a
        ``history`` attribute (a ``History`` or None).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ModelFileError (a ValueError)
        If the file is not a valid glassnet model file; the message says why.
    """
    return build(*read(path))


def resume(path, X, y, *, validation_data=None, sample_weight=None, callbacks=(), epochs=None, checkpoint=None,
           checkpoint_every=None, on_start=None) -> Network:
    """Go on with the training run saved in the checkpoint ``path`` (written by ``fit(..., checkpoint=path)``).

    The network, the optimizer and its state, the schedule, early stopping,
    the shuffling generator, the epoch (or the batch within it) and the
    history all come from the checkpoint, and so does every setting of
    ``fit``. Give the same data as the run had (``X``, ``y``, and
    ``validation_data`` and ``sample_weight`` if it had them): they are
    compared with the fingerprint the checkpoint keeps, and other data is
    refused with a ``glassnet.CheckpointError``. ``callbacks`` are not saved:
    give them again. The run then ends exactly as if it had never stopped. It
    keeps writing checkpoints, to ``path`` unless ``checkpoint`` names another
    file, every ``checkpoint_every`` epochs (by default as before).
    ``epochs`` extends a run that ended by reaching its epochs; a run that
    ended otherwise (early stopping, a callback) is returned as it ended.
    ``on_start``, if given, is called with no arguments once the data have
    passed these checks, just before training goes on: a place to announce
    the run that an error about the data never follows.

    Returns
    -------
    Network
        The trained network; ``net.history`` holds the whole run's ``History``.

    Examples
    --------
    >>> net.fit(X, y, epochs=50, checkpoint="run.safetensors")  # doctest: +SKIP
    >>> net = glassnet.resume("run.safetensors", X, y)  # after a crash or Ctrl-C  # doctest: +SKIP
    """
    path, document, tensors = read(path)
    net = build(path, document, tensors)
    run = checkpoint_run(path, document, tensors, net)
    return training.resume(net, run, path, X, y, validation_data=validation_data, sample_weight=sample_weight,
                           callbacks=callbacks, epochs=epochs, checkpoint=checkpoint,
                           checkpoint_every=checkpoint_every, on_start=on_start)


def inspect(path) -> dict:
    """Describe a model file without training or predicting: what ``glassnet inspect`` prints.

    The file is validated exactly as ``load`` validates it.

    Returns
    -------
    dict
        ``path``, ``format_version``, ``glassnet_version``, ``loss``, ``layers``
        (each with ``n_in``, ``n_out``, ``activation``, ``bias``,
        ``parameters`` and ``dtype``), ``n_inputs``, ``n_outputs``,
        ``n_parameters``, ``dtypes`` (tensor name -> dtype name),
        ``preprocessing`` (its config or None), ``class_names`` and
        ``training`` (None, or ``epochs``, the ``final`` value of every
        per-epoch metric, whatever ``History.run_info()`` holds, such as
        ``best_epoch``, and then ``kept``: every metric of that epoch, whose
        weights the file holds), ``notes`` and ``checkpoint``: None for a model,
        else where its run stands (``epochs_done``, ``epochs``, ``ended``: None
        or why the run ended, ``in_epoch``: None or ``{"epoch", "rows"}`` when
        a signal stopped it inside an epoch); a checkpoint holds the weights of
        the moment it was written, not those early stopping would keep.
    """
    path, document, tensors = read(path)
    net = build(path, document, tensors)
    checkpoint = None
    if document.get(CHECKPOINT_KEY) is not None:
        run = checkpoint_run(path, document, tensors, net)
        checkpoint = {"epochs_done": run.epoch, "epochs": run.settings.get("epochs"), "ended": run.ended,
                      "in_epoch": None if run.progress is None else {k: run.progress[k] for k in ("epoch", "rows")}}
    training = None
    if net.history is not None:
        per_epoch = net.history.as_dict()
        training = {
            "epochs": net.history.epochs,
            "final": {key: values[-1] for key, values in per_epoch.items()},
            **net.history.run_info(),
        }
        if net.history.best_epoch and checkpoint is None:  # the epoch whose weights the file holds
            training["kept"] = {key: values[net.history.best_epoch - 1] for key, values in per_epoch.items()}
    shape_keys = ("type", "n_in", "n_out", "activation", "bias")
    return {
        "path": str(path),
        "format_version": document["format_version"],
        "glassnet_version": document["glassnet_version"],
        "loss": net.loss.name,
        "layers": [
            {
                **{k: v for k, v in layer.config().items() if k in shape_keys},
                "parameters": layer.n_parameters(),
                "dtype": layer.W.dtype.name,
            }
            for layer in net.layers
        ],
        "n_inputs": net.n_in,
        "n_outputs": net.n_out,
        "n_parameters": net.n_parameters(),
        "dtypes": {name: t.dtype.name for name, t in tensors.items() if not name.startswith(CHECKPOINT_KEY + ".")},
        "preprocessing": document["preprocessing"],
        "class_names": net.class_names,
        "training": training,
        "notes": net.notes,
        "checkpoint": checkpoint,
    }


def build(path, document, tensors) -> Network:
    """Turn what ``modelfile.read(path)`` returned into a ``Network``, or raise a ``ModelFileError``."""
    config = document["network"]
    try:
        prefixes = tuple(f"{key}." for key in ("preprocessing", CHECKPOINT_KEY) if document.get(key) is not None)
        weights = _weights(config, prefixes, tensors)
        # Built from its description (initializers and seed included, so that restarts
        # redraw it as they would the original); the drawn weights are then replaced.
        net = Network.from_config(config)
        for layer, (W, b) in zip(net.layers, weights):
            layer.W, layer.b = W, b
        params = {f"layers.{i}.{n}": p for i, layer in enumerate(net.layers) for n, p in zip("Wb", layer.parameters())}
        check_one_dtype(params, "the file")
        if document["class_names"] is not None:
            check_class_count(document["class_names"], net.n_out, "class_names")
    except (ValueError, TypeError) as exc:
        raise damaged(path, exc) from exc

    if document["preprocessing"] is not None:
        prefix = "preprocessing."
        arrays = {name[len(prefix):]: t for name, t in tensors.items() if name.startswith(prefix)}
        try:
            net.preprocessing = preprocessing_from_config(document["preprocessing"], arrays)
        except (ValueError, TypeError, KeyError) as exc:
            raise damaged(path, f"bad preprocessing: {exc}") from exc
        for step in getattr(net.preprocessing, "steps", [net.preprocessing]):
            if getattr(step, "takes_tables", False) and step.n_outputs_ is None:  # saved fitted, always
                raise damaged(path, f"its {step.name!r} preprocessing step holds no fitted columns")
        width = net.preprocessing.n_outputs_
        if width is not None and width != net.n_in:
            raise damaged(path, f"its preprocessing makes {width} columns but the network has {net.n_in} inputs")
    names = document["class_names"]
    net.class_names = None if names is None else list(names)
    net.notes = document.get("notes", {})
    net.history = history_from_json(document["history"])
    return net


def _weights(config, prefixes, tensors):
    """Each layer's ``(W, b)`` tensors, checked against the layers' configs before any layer is built.

    ``prefixes``: the names of other tensors the file may hold start with one of these.

    The shapes are compared with the configs first, so that a network is
    only built as large as the weights the file really holds.
    """
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list) or not config["layers"]:
        layers = config.get("layers") if isinstance(config, dict) else None
        raise ValueError(
            f"'network' must be an object with a non-empty 'layers' list, got {type(config).__name__} "
            f"with layers {describe(layers)}"
        )
    expected = {}
    for i, layer in enumerate(config["layers"]):
        if not isinstance(layer, dict):
            raise ValueError(f"layer {i} must be an object, got {type(layer).__name__}")
        expected[f"layers.{i}.W"] = (layer.get("n_in"), layer.get("n_out"))
        if layer.get("bias") is not False:
            expected[f"layers.{i}.b"] = (layer.get("n_out"),)
    missing = [name for name in expected if name not in tensors]
    if missing:
        raise ValueError(f"tensor(s) {_few(missing)} are missing; the architecture needs {_few(list(expected))}")
    extra = sorted(
        name for name in tensors
        if name not in expected and not (prefixes and name.startswith(prefixes))
    )
    if extra:
        raise ValueError(f"unexpected tensor(s) {_few(extra)}; the architecture needs only {_few(list(expected))}")
    for name, shape in expected.items():
        tensor = tensors[name]
        if tensor.shape != shape:
            raise ValueError(f"tensor {name} has shape {tensor.shape} but the architecture says {shape}")
        if tensor.dtype.name not in WEIGHT_DTYPES:
            raise ValueError(f"tensor {name} has dtype {tensor.dtype.name}; weights must be float32 or float64")
        if not np.all(np.isfinite(tensor)):
            raise ValueError(f"tensor {name} contains NaN or infinite values")
    return [(tensors[f"layers.{i}.W"], tensors.get(f"layers.{i}.b")) for i in range(len(config["layers"]))]


def _few(names, shown=5) -> str:
    """The first ``shown`` of ``names`` and how many more, for a message of bounded length."""
    more = len(names) - shown
    return str(names[:shown])[:-1] + (f", ... ({more} more)]" if more > 0 else "]")
