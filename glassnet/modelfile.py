"""The model file format: a network written as safetensors plus JSON, and read back as checked data.

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
built. A SHA-256 of the description and the tensors is stored in the header
too (under ``"glassnet.sha256"``) and checked at load, so a flipped bit is a
``ModelFileError``, not a quietly different model. Writing is atomic: the bytes go to a temporary file in the target's
directory, which replaces the target only once it is complete and on disk.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save as safetensors_save

from glassnet.checks import describe, file_path, output_file, path_text, shown
from glassnet.files import write_atomically
from glassnet.history import History
from glassnet.version import __version__

# A model's description may take this many characters besides 32 per weight, nested at most MAX_NESTING deep.
MAX_DESCRIPTION = 1_000_000
MAX_NESTING = 64
FORMAT = "glassnet-model"
FORMAT_VERSION = 1
METADATA_KEY = "glassnet"
CHECKSUM_KEY = "glassnet.sha256"  # files written before it existed have none, and are read without
WEIGHT_DTYPES = ("float32", "float64")
CHECKPOINT_KEY = "checkpoint"  # the document's entry, and the prefix of the tensors, of a training run's state


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
        The training history to store. Defaults to ``net.history``: the last
        ``fit``'s, or the one a loaded model came with.

    Examples
    --------
    >>> from glassnet import Dense, Network, load
    >>> net = Network([Dense(2, 3, "tanh"), Dense(3, 1, "sigmoid")], loss="binary_cross_entropy", seed=0)
    >>> save(net, "tiny.safetensors")
    >>> np.array_equal(load("tiny.safetensors").predict_proba([[1.0, 2.0]]), net.predict_proba([[1.0, 2.0]]))
    True
    """
    path = output_file("path", path)
    write(path, *encode(net, history))


def encode(net, history=None):
    """``(document, tensors)``: what ``save`` writes for ``net``, as a JSON-ready dict and named arrays.

    ``glassnet.checkpoint`` adds the state of a training run to both before it
    calls ``write``.
    """
    if not all(hasattr(net, a) for a in ("layers", "config", "preprocessing", "class_names", "notes")):
        raise TypeError(f"net must be a glassnet Network, got {describe(net)}")
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
    check_one_dtype(tensors, "net")

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
        "class_names": _class_names_to_json(net.class_names, net.layers[-1].n_out),
        "history": None if history is None else history_to_json(history),
        "notes": _notes(net.notes),
    }
    return document, tensors


def write(path, document, tensors):
    """Write ``document`` (JSON-ready) and ``tensors`` to ``path`` as safetensors with a checksum, atomically."""
    try:
        text = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"the model's description cannot be written as JSON ({exc}); net.config() and "
            "net.preprocessing.config() must return plain dicts, lists, strings, booleans and finite numbers"
        ) from exc
    metadata = {METADATA_KEY: text, CHECKSUM_KEY: checksum(text, tensors)}
    write_atomically(path, safetensors_save(tensors, metadata=metadata))


def checksum(text, tensors) -> str:
    """SHA-256 of the JSON description and of every tensor (name, dtype, shape and bytes, in name order).

    Stored beside the description at save and recomputed at load, so that a
    flipped bit anywhere (a weight's, the description's) is found rather than
    loaded as a silently different model.
    """
    digest = hashlib.sha256(text.encode("utf-8"))
    for name in sorted(tensors):
        tensor = np.ascontiguousarray(tensors[name])
        digest.update(f"\0{name}\0{tensor.dtype.str}\0{tensor.shape}\0".encode())
        digest.update(tensor.tobytes())
    return digest.hexdigest()


def check_one_dtype(weights, where):
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
    check_class_count(names, n_out, "class_names")
    return names


def check_class_count(names, n_out, what):
    expected = (1, 2) if n_out == 1 else (n_out,)
    if len(names) not in expected:
        raise ValueError(
            f"{what} has {len(names)} names but the network has {n_out} output(s); "
            f"expected {' or '.join(map(str, expected))} names"
        )


def history_to_json(history) -> dict:
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
def read(path):
    """Open and parse a model file; return ``(path, document, tensors)``.

    Checked here: the container, the size and nesting of the JSON (bounded
    before it is parsed), that its numbers are finite, the format and its
    version, that every entry of the document is there, the class names,
    the history and the notes. What the network entry and the tensors say is
    checked by ``glassnet.io.load`` as it builds the network.
    """
    path = file_path("path", path)
    where = path_text(path)  # on one line, cut
    try:
        exists = path.exists()
        size = path.stat().st_size if exists and not path.is_dir() else None
    except OSError as exc:  # a name too long for the system, and the like
        raise ValueError(f"model file {where}: {exc.strerror or exc}") from None
    if not exists:
        raise FileNotFoundError(f"model file {where} does not exist")
    if size is None:
        raise IsADirectoryError(f"{where} is a directory, not a model file")
    if size == 0:
        raise ModelFileError(f"{where} is not a glassnet model file: the file is empty (0 bytes)")
    try:
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
            if METADATA_KEY not in metadata:
                raise ModelFileError(
                    f"{where} was not written by glassnet: it is a safetensors file, but its header has no "
                    f"{METADATA_KEY!r} metadata entry describing the network"
                )
            # Copies: the reader maps the file into memory, the network needs its own writable arrays.
            tensors = {name: np.array(f.get_tensor(name)) for name in f.keys()}
    except SafetensorError as exc:
        raise ModelFileError(
            f"{where} is not a glassnet model file: it is not a valid safetensors file ({_printable(exc)}); "
            "it may be truncated or corrupted"
        ) from exc
    except TypeError as exc:  # a tensor dtype NumPy lacks, such as bfloat16
        raise damaged(path, exc) from exc

    for name, tensor in tensors.items():  # NumPy lacks bfloat16 and float8, but a package (ml_dtypes) may add them
        if tensor.dtype.kind not in "biuf" or tensor.dtype.name.startswith(("bfloat", "float8")):
            raise damaged(path, f"tensor {_short(name)} has dtype {tensor.dtype.name}, which glassnet does not write")
    text = metadata[METADATA_KEY]
    unknown = sorted(set(metadata) - {METADATA_KEY, CHECKSUM_KEY})
    if unknown:
        raise damaged(path, f"its header has metadata entries glassnet does not write: {[_short(k) for k in unknown]}")
    stored = metadata.get(CHECKSUM_KEY)
    if stored is not None and stored != checksum(text, tensors):
        raise damaged(path, "its contents do not match the checksum saved with them: some bits have changed "
                            "since it was written (a damaged disk, copy or download?)")
    # What a model needs to say is small next to its weights (an explicit init array repeats a layer's
    # weights at most), so a larger description is refused before it is parsed into Python objects.
    budget = MAX_DESCRIPTION + 32 * sum(tensor.size for tensor in tensors.values())
    if len(text) > budget:
        raise damaged(path, f"its {METADATA_KEY!r} metadata has {len(text):,} characters, more than its weights need")
    depth = _nesting(text)
    if depth > MAX_NESTING:
        raise damaged(path, f"its {METADATA_KEY!r} metadata nests {depth} levels deep; at most {MAX_NESTING} are read")
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite, parse_int=_integer)
    except ValueError as exc:
        raise damaged(path, f"its {METADATA_KEY!r} metadata is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise damaged(path, f"its {METADATA_KEY!r} metadata must be a JSON object, got {type(document).__name__}")
    if document.get("format") != FORMAT:
        raise ModelFileError(
            f"{where} was not written by glassnet as a model: its format is {shown(document.get('format'))}, "
            f"expected {FORMAT!r}"
        )
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise damaged(path, f"format_version must be a positive integer, got {shown(version)}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{where} uses glassnet model format version {version}, written by glassnet "
            f"{_plain(document.get('glassnet_version'))}; this glassnet ({__version__}) reads versions up to "
            f"{FORMAT_VERSION}: upgrade glassnet to load it"
        )
    for key in ("glassnet_version", "network", "preprocessing", "class_names", "history"):
        if key not in document:
            raise damaged(path, f"its metadata has no {key!r} entry")
    if not isinstance(document["glassnet_version"], str):
        raise damaged(path, f"glassnet_version must be a string, got {shown(document['glassnet_version'])}")

    try:
        _check_class_names(document["class_names"])
        _check_history(document["history"])
        # files written before notes existed have none
        if not isinstance(document.get("notes", {}), dict):
            raise ValueError(f"notes must be a JSON object, got {_short(document['notes'])}")
        # a checkpoint (glassnet.checkpoint) is a model file with the state of its training run besides
        if not isinstance(document.get(CHECKPOINT_KEY, {}), dict):
            raise ValueError(f"{CHECKPOINT_KEY} must be a JSON object, got {_short(document[CHECKPOINT_KEY])}")
    except ValueError as exc:
        raise damaged(path, exc) from exc
    return path, document, tensors


def damaged(path, reason) -> ModelFileError:
    # the reason may quote text from the file (safetensors quotes a bad dtype as it is): one line, escaped
    return ModelFileError(f"{path_text(path)} is a damaged glassnet model file: {_printable(reason)}")


def _printable(reason) -> str:
    """``str(reason)`` on one line: newlines and other control characters escaped."""
    text = str(reason)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed in a model file")


def _finite(text) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is too large for a float")
    return value


def _integer(text) -> int:
    if len(text.lstrip("-")) > 40:
        raise ValueError(f"an integer of {len(text)} digits is not allowed in a model file")
    return int(text)


def _nesting(text) -> int:
    """How deeply the JSON ``text`` nests arrays and objects (strings are skipped), in C-speed passes."""
    brackets = re.sub(r"[^\[\]{}]", "", re.sub(r'"(?:[^"\\]|\\.)*"', "", text))
    if not brackets:
        return 0
    steps = np.frombuffer(brackets.encode(), dtype=np.uint8)
    depth = np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1))
    return int(depth.max())


def _check_class_names(names):
    if names is None:
        return
    if not isinstance(names, list) or not all(
        isinstance(name, (str, int, float)) and not isinstance(name, bool) for name in names
    ):
        raise ValueError(f"class_names must be a list of strings or numbers, got {_short(names)}")


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
    lengths = {key: len(history[key]) for key in History.PER_EPOCH if history.get(key)}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"history lists must have one length (one entry per epoch), got {lengths}")
    best, epochs = history.get("best_epoch"), max(lengths.values(), default=0)
    if best is not None and (not isinstance(best, int) or isinstance(best, bool) or not 1 <= best <= epochs):
        raise ValueError(f"history best_epoch must be an epoch from 1 to {epochs}, got {_short(best)}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def history_from_json(data) -> History | None:
    """The ``History`` a model file's checked ``history`` entry describes (None for none)."""
    if data is None:
        return None
    history = History()
    # Only the fields this glassnet's History has: a newer file may record more.
    known = vars(history)
    for key, value in data.items():
        if key in known:
            if isinstance(value, list):
                value = [math.nan if v is None else v for v in value]
            setattr(history, key, value)
    return history


# ------------------------------------------------------------------ helpers
def _plain(value) -> str:
    """A string from the file as it is, on one line and cut; anything else as ``shown`` gives it."""
    if not isinstance(value, str):
        return shown(value)
    text = _printable(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


