"""Model files: a trained ``Network`` saved as data and read back safely.

A model file is a `safetensors <https://huggingface.co/docs/safetensors>`_ file:

* the weights are tensors named ``layers.<i>.W`` (shape ``(n_in, n_out)``) and
  ``layers.<i>.b`` (shape ``(n_out,)``), in their own dtype (float32 or float64),
  so a loaded network predicts bit for bit what the saved one did;
* the fitted preprocessing's arrays are tensors named ``preprocessing.<key>``;
* everything else is one JSON document stored in the header's metadata under
  the key ``"glassnet"``: the format name and version, the glassnet version,
  the architecture (``Network.config()``), the preprocessing's ``config()``,
  the class names and the training history.

Reading a file never runs code from it (no pickle, no eval): the JSON is plain
data, and every name, shape and number in it is checked before a ``Network`` is
built. Writing is atomic: the bytes go to a temporary file in the target's
directory, which replaces the target only once it is complete and on disk.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save as safetensors_save

from glassnet.activations import ACTIVATIONS
from glassnet.checks import describe
from glassnet.files import write_atomically
from glassnet.history import History
from glassnet.layers import Dense
from glassnet.losses import LOSSES
from glassnet.network import Network
from glassnet.version import __version__

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
METADATA_KEY = "glassnet"
WEIGHT_DTYPES = ("float32", "float64")


class ModelFileError(ValueError):
    """A file that cannot be loaded as a glassnet model; the message says why."""


# ------------------------------------------------------------------ writing
def save(net, path, history=None):
    """Write ``net`` to the safetensors model file ``path``, atomically.

    Parameters
    ----------
    net : Network
        The network; its weights must be finite float32 or float64 arrays.
        Its ``preprocessing`` (an object with ``config()`` and ``arrays()``,
        see ``glassnet.data``) and ``class_names`` are saved with it.
    path : str or Path
        The file to write (``.safetensors`` by convention). Its directory must
        exist; an existing file is replaced only once the new one is complete.
    history : History, optional
        The training history to store. Defaults to ``net.history`` when the
        network has one (a loaded model), so load-then-save keeps it.

    Examples
    --------
    >>> net = Network([Dense(2, 3, "tanh"), Dense(3, 1, "sigmoid")], loss="binary_cross_entropy", seed=0)
    >>> save(net, "tiny.safetensors")
    >>> np.array_equal(load("tiny.safetensors").predict_proba([[1.0, 2.0]]), net.predict_proba([[1.0, 2.0]]))
    True
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a glassnet Network, got {describe(net)}")
    path = _as_path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save the model to {path}: it is a directory; give a file name")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save the model to {path}: directory {path.parent} does not exist")
    if history is None:
        history = getattr(net, "history", None)
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be a glassnet History or None, got {describe(history)}")

    tensors = {}
    for i, layer in enumerate(net.layers):
        for name, value in (("W", layer.W), ("b", layer.b if layer.bias else None)):
            if value is None:
                continue
            if not isinstance(value, np.ndarray) or value.dtype.name not in WEIGHT_DTYPES:
                raise TypeError(f"layers[{i}].{name} must be a float32 or float64 array, got {describe(value)}")
            if not np.all(np.isfinite(value)):
                raise ValueError(
                    f"layers[{i}].{name} contains NaN or infinite values; the training diverged, "
                    "so there is no usable model to save (try a smaller learning rate)"
                )
            tensors[f"layers.{i}.{name}"] = np.ascontiguousarray(value)
    _check_one_dtype(tensors, "net")

    preprocessing = None
    if net.preprocessing is not None:
        if not all(callable(getattr(net.preprocessing, m, None)) for m in ("config", "arrays")):
            raise TypeError(
                "net.preprocessing needs config() and arrays() methods to be saved (see glassnet.data), "
                f"got {describe(net.preprocessing)}"
            )
        preprocessing = net.preprocessing.config()
        for key, value in net.preprocessing.arrays().items():
            tensors[f"preprocessing.{key}"] = np.ascontiguousarray(value)

    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "glassnet_version": __version__,
        "network": net.config(),
        "preprocessing": preprocessing,
        "class_names": _class_names_to_json(net.class_names, net.n_out),
        "history": None if history is None else _history_to_json(history),
        "notes": _notes(net.notes),
    }
    try:
        text = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"the model's description cannot be written as JSON ({exc}); net.config() and "
            "net.preprocessing.config() must return plain dicts, lists, strings, booleans and finite numbers"
        ) from exc
    write_atomically(path, safetensors_save(tensors, metadata={METADATA_KEY: text}))


def _check_one_dtype(weights, where):
    """The network computes in one dtype (``Network.dtype``), so all its weights must share it."""
    dtypes = {name: tensor.dtype.name for name, tensor in weights.items()}
    if len(set(dtypes.values())) > 1:
        raise ValueError(
            f"the weights in {where} mix dtypes ({', '.join(f'{k}: {v}' for k, v in dtypes.items())}); "
            "a network's weights must all be float32 or all float64"
        )


def _notes(notes):
    if not isinstance(notes, dict) or not all(isinstance(key, str) for key in notes):
        raise TypeError(f"net.notes must be a dict with string keys, got {describe(notes)}")
    return notes


def _class_names_to_json(class_names, n_out):
    if class_names is None:
        return None
    if not isinstance(class_names, (list, tuple, np.ndarray)):
        raise TypeError(f"class_names must be a list of names, got {describe(class_names)}")
    names = [name.item() if isinstance(name, np.generic) else name for name in class_names]
    for name in names:
        if isinstance(name, bool) or not isinstance(name, (str, numbers.Real)):
            raise TypeError(f"class_names must hold strings or numbers, got {describe(name)}")
        if not isinstance(name, str) and not math.isfinite(name):
            raise ValueError(f"class_names must be finite numbers or strings, got {name!r}")
    _check_class_count(names, n_out, "class_names")
    return names


def _check_class_count(names, n_out, what):
    expected = (1, 2) if n_out == 1 else (n_out,)
    if len(names) not in expected:
        raise ValueError(
            f"{what} has {len(names)} names but the network has {n_out} output(s); "
            f"expected {' or '.join(map(str, expected))} names"
        )


def _history_to_json(history) -> dict:
    """Every field ``history`` has recorded (per-epoch lists and run facts such as ``best_epoch``)."""

    def plain(v):
        if isinstance(v, numbers.Integral):
            return int(v)
        # JSON has no NaN or infinity: a diverged epoch's loss is stored as null.
        return float(v) if math.isfinite(v) else None

    return {
        key: [plain(v) for v in value] if isinstance(value, list) else plain(value)
        for key, value in vars(history).items()
        if value is not None and value != []
    }


# ------------------------------------------------------------------ reading
def load(path) -> Network:
    """Read a model file written by ``save`` and rebuild the ``Network``.

    The file is checked completely (format, version, architecture, tensor
    names, shapes and dtypes, finite weights, JSON) before anything is built;
    nothing in it is executed.

    Returns
    -------
    Network
        With the saved layers, loss, weights (dtype kept), ``preprocessing``,
        ``class_names``, and a ``history`` attribute (a ``History`` or None).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ModelFileError (a ValueError)
        If the file is not a valid glassnet model file; the message says why.
    """
    return _build(*_read(path))


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
        per-epoch metric and whatever ``History.run_info()`` holds, such as
        ``best_epoch``) and ``notes``.
    """
    path, document, tensors = _read(path)
    net = _build(path, document, tensors)
    training = None
    if net.history is not None:
        training = {
            "epochs": net.history.epochs,
            "final": {key: values[-1] for key, values in net.history.as_dict().items()},
            **net.history.run_info(),
        }
    return {
        "path": str(path),
        "format_version": document["format_version"],
        "glassnet_version": document["glassnet_version"],
        "loss": net.loss.name,
        "layers": [
            {**layer.config(), "parameters": layer.n_parameters(), "dtype": layer.W.dtype.name}
            for layer in net.layers
        ],
        "n_inputs": net.n_in,
        "n_outputs": net.n_out,
        "n_parameters": net.n_parameters(),
        "dtypes": {name: tensor.dtype.name for name, tensor in tensors.items()},
        "preprocessing": document["preprocessing"],
        "class_names": net.class_names,
        "training": training,
        "notes": net.notes,
    }


def _read(path):
    """Open, parse and validate a model file; return ``(path, document, tensors)``."""
    path = _as_path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a model file")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path} is not a glassnet model file: the file is empty (0 bytes)")
    try:
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
            if METADATA_KEY not in metadata:
                raise ModelFileError(
                    f"{path} was not written by glassnet: it is a safetensors file, but its header has no "
                    f"{METADATA_KEY!r} metadata entry describing the network"
                )
            # Copies: the reader maps the file into memory, the network needs its own writable arrays.
            tensors = {name: np.array(f.get_tensor(name)) for name in f.keys()}
    except SafetensorError as exc:
        raise ModelFileError(
            f"{path} is not a glassnet model file: it is not a valid safetensors file ({exc}); "
            "it may be truncated or corrupted"
        ) from exc
    except TypeError as exc:  # a tensor dtype NumPy lacks, such as bfloat16
        raise _damaged(path, exc) from exc

    try:
        document = json.loads(metadata[METADATA_KEY], parse_constant=_reject_constant)
    except ValueError as exc:
        raise _damaged(path, f"its {METADATA_KEY!r} metadata is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise _damaged(path, f"its {METADATA_KEY!r} metadata must be a JSON object, got {type(document).__name__}")
    if document.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} was not written by glassnet as a model: its format is {document.get('format')!r}, "
            f"expected {FORMAT!r}"
        )
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _damaged(path, f"format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses glassnet model format version {version}, written by glassnet "
            f"{document.get('glassnet_version')}; this glassnet ({__version__}) reads versions up to "
            f"{FORMAT_VERSION}: upgrade glassnet to load it"
        )
    for key in ("glassnet_version", "network", "preprocessing", "class_names", "history"):
        if key not in document:
            raise _damaged(path, f"its metadata has no {key!r} entry")
    if not isinstance(document["glassnet_version"], str):
        raise _damaged(path, f"glassnet_version must be a string, got {document['glassnet_version']!r}")

    try:
        layers = _check_network_config(document["network"])
        _check_tensors(layers, document["preprocessing"] is not None, tensors)
        _check_class_names(document["class_names"], layers[-1]["n_out"])
        _check_history(document["history"])
        # files written before notes existed have none
        if not isinstance(document.get("notes", {}), dict):
            raise ValueError(f"notes must be a JSON object, got {_short(document['notes'])}")
    except ValueError as exc:
        raise _damaged(path, exc) from exc
    return path, document, tensors


def _damaged(path, reason) -> ModelFileError:
    return ModelFileError(f"{path} is a damaged glassnet model file: {reason}")


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed in a model file")


def _check_network_config(config):
    """Check the architecture; return its list of layer dicts."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list) or not config["layers"]:
        raise ValueError(f"'network' must be an object with a non-empty 'layers' list, got {_short(config)}")
    loss = config.get("loss")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; this glassnet knows {sorted(LOSSES)}")
    layers = config["layers"]
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or layer.get("type") != "Dense":
            raise ValueError(f"layer {i} must be an object with type 'Dense', got {_short(layer)}")
        for key in ("n_in", "n_out"):
            value = layer.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"layer {i} {key} must be a positive integer, got {value!r}")
        activation = layer.get("activation")
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            raise ValueError(
                f"layer {i} has unknown activation {activation!r}; "
                f"this glassnet knows {sorted(ACTIVATIONS)}"
            )
        if not isinstance(layer.get("bias"), bool):
            raise ValueError(f"layer {i} bias must be true or false, got {layer.get('bias')!r}")
        if i > 0 and layers[i - 1]["n_out"] != layer["n_in"]:
            raise ValueError(
                f"layer {i - 1} has {layers[i - 1]['n_out']} outputs but layer {i} expects {layer['n_in']} inputs"
            )
    return layers


def _check_tensors(layers, has_preprocessing, tensors):
    """Every weight present with its layer's shape, a float dtype and finite values; nothing unexpected."""
    expected = {}
    for i, layer in enumerate(layers):
        expected[f"layers.{i}.W"] = (layer["n_in"], layer["n_out"])
        if layer["bias"]:
            expected[f"layers.{i}.b"] = (layer["n_out"],)
    missing = [name for name in expected if name not in tensors]
    if missing:
        raise ValueError(f"tensor(s) {missing} are missing; the architecture needs {list(expected)}")
    extra = sorted(
        name for name in tensors
        if name not in expected and not (has_preprocessing and name.startswith("preprocessing."))
    )
    if extra:
        raise ValueError(f"unexpected tensor(s) {extra}; the architecture needs only {list(expected)}")
    for name, shape in expected.items():
        tensor = tensors[name]
        if tensor.shape != shape:
            raise ValueError(f"tensor {name} has shape {tensor.shape} but the architecture says {shape}")
        if tensor.dtype.name not in WEIGHT_DTYPES:
            raise ValueError(f"tensor {name} has dtype {tensor.dtype.name}; weights must be float32 or float64")
        if not np.all(np.isfinite(tensor)):
            raise ValueError(f"tensor {name} contains NaN or infinite values")
    _check_one_dtype({name: tensors[name] for name in expected}, "the file")


def _check_class_names(names, n_out):
    if names is None:
        return
    if not isinstance(names, list) or not all(
        isinstance(name, (str, int, float)) and not isinstance(name, bool) for name in names
    ):
        raise ValueError(f"class_names must be a list of strings or numbers, got {_short(names)}")
    _check_class_count(names, n_out, "class_names")


def _check_history(history):
    if history is None:
        return
    if not isinstance(history, dict):
        raise ValueError(f"history must be an object, got {_short(history)}")
    defaults = vars(History())
    for key, value in history.items():
        if isinstance(value, list):
            ok = all(v is None or _is_number(v) for v in value)
        else:
            ok = _is_number(value)
        # Fields this History lacks (from a newer glassnet) are skipped by _build; known ones must keep their kind.
        if not ok or (key in defaults and isinstance(defaults[key], list) != isinstance(value, list)):
            kind = "a list of numbers" if isinstance(defaults.get(key), list) else "a number or a list of numbers"
            raise ValueError(f"history {key!r} must be {kind}, got {_short(value)}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _build(path, document, tensors) -> Network:
    """Turn a validated document and its tensors into a ``Network``."""
    layers = []
    for i, config in enumerate(document["network"]["layers"]):
        # The layer keeps its default initializer, so that fit(restarts=...) redraws a loaded
        # network as it would a new one; the weights it draws now are replaced by the saved ones.
        layer = Dense(config["n_in"], config["n_out"], config["activation"], bias=config["bias"])
        layer.W = tensors[f"layers.{i}.W"]
        if layer.bias:
            layer.b = tensors[f"layers.{i}.b"]
        layers.append(layer)
    try:
        net = Network(layers, loss=document["network"]["loss"])
    except ValueError as exc:
        raise _damaged(path, exc) from exc

    if document["preprocessing"] is not None:
        from glassnet.preprocessing import preprocessing_from_config

        prefix = "preprocessing."
        arrays = {name[len(prefix):]: t for name, t in tensors.items() if name.startswith(prefix)}
        try:
            net.preprocessing = preprocessing_from_config(document["preprocessing"], arrays)
        except (ValueError, TypeError, KeyError) as exc:
            raise _damaged(path, f"bad preprocessing: {exc}") from exc
    names = document["class_names"]
    net.class_names = None if names is None else list(names)
    net.notes = document.get("notes", {})
    net.history = None
    if document["history"] is not None:
        history = History()
        # Only the fields this glassnet's History has: a newer file may record more.
        known = vars(history)
        for key, value in document["history"].items():
            if key in known:
                if isinstance(value, list):
                    value = [math.nan if v is None else v for v in value]
                setattr(history, key, value)
        net.history = history
    return net


# ------------------------------------------------------------------ helpers
def _as_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or pathlib.Path, got {describe(path)}")
    return Path(path)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


