"""What a page may ask for: the settings of a session, checked at the API's edge, and the limits.

Every request goes through here before the engine sees it. A setting that
is unknown, of the wrong type or beyond a limit raises ``RequestError``
with an HTTP status and one line that names the setting, what was given
and what is allowed; the server sends that line back as
``{"error": "..."}``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from glassnet.playground.data import DATASETS, FEATURES, TUTORIAL_SETS

# Bounds on what one session holds and one request does, so that no page can exhaust the server.
LIMITS = {
    "max_sessions": 16,         # open sessions (browser tabs) at once
    "session_ttl_s": 1800,      # a session unused this long is forgotten
    "max_hidden_layers": 6,
    "max_neurons": 16,          # per hidden layer
    "max_points": 2000,         # rows of a generated set
    "max_rows": 5000,           # rows of a CSV file
    "max_columns": 64,          # numeric columns of a CSV file
    "max_upload_bytes": 2_000_000,
    "max_steps": 500,           # batches per request
    "max_epoch_batches": 5000,  # batches one "epoch" request may run
    "max_body_bytes": 3_000_000,
}

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
# The output layer and its loss: the pairs glassnet fuses (softmax + cross entropy, sigmoid + binary cross
# entropy), and a linear output with squared error for regression.
OUTPUTS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "linear": "squared_error"}
OPTIMIZERS = ("sgd", "momentum", "adam")
INITS = ("uniform", "normal", "rashid", "glorot", "he", "tutorial")
NOTATIONS = ("standard", "augmented")


class RequestError(ValueError):
    """A request the server refuses: ``status`` (4xx) and a one-line message."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Settings:
    """Everything that decides a run: the data, the network, the optimizer, the seeds.

    Two sessions with equal settings train the very same weights, bit for bit.
    """

    dataset: str = "circles"
    n_points: int = 400
    noise: float = 0.1
    train_ratio: float = 0.5
    classes: int = 3            # blobs only
    data_seed: int = 0
    features: tuple = ("x1", "x2")
    target: str | None = None   # CSV only: the target column (None: the last)
    plot: tuple | None = None   # CSV only: the one or two input columns the picture shows
    hidden: tuple = (4, 4)
    activation: str = "tanh"
    output: str = "softmax"
    bias: bool = True
    optimizer: str = "sgd"
    lr: float = 0.03
    l2: float = 0.0
    init: str = "glorot"
    seed: int = 0
    batch_size: int = 10
    shuffle: bool = True

    @property
    def loss(self) -> str:
        return OUTPUTS[self.output]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["features"], d["hidden"] = list(self.features), list(self.hidden)
        d["plot"] = None if self.plot is None else list(self.plot)
        return d


NAMES = tuple(f.name for f in fields(Settings))


def check_settings(given, base=None) -> Settings:
    """``base`` (default: the defaults) with the entries of the dict ``given`` checked and put in."""
    if not isinstance(given, dict):
        raise RequestError(f"settings must be a JSON object, got {type(given).__name__}")
    unknown = sorted(set(given) - set(NAMES))
    if unknown:
        raise RequestError(f"unknown setting {unknown[0]!r}; the settings are {', '.join(NAMES)}")
    values = (base or Settings()).as_dict()
    values.update(given)
    v = values
    checked = dict(
        dataset=_choice("dataset", v["dataset"], DATASETS),
        n_points=_integer("n_points", v["n_points"], 10, LIMITS["max_points"]),
        noise=_number("noise", v["noise"], 0.0, 0.5),
        train_ratio=_number("train_ratio", v["train_ratio"], 0.1, 0.9),
        classes=_integer("classes", v["classes"], 3, 6),
        data_seed=_integer("data_seed", v["data_seed"], 0, 2**31 - 1),
        features=_features(v["features"]),
        target=None if v["target"] is None else _text("target", v["target"]),
        plot=_plot(v["plot"]),
        hidden=_hidden(v["hidden"]),
        activation=_choice("activation", v["activation"], ACTIVATIONS),
        output=_choice("output", v["output"], tuple(OUTPUTS)),
        bias=_flag("bias", v["bias"]),
        optimizer=_choice("optimizer", v["optimizer"], OPTIMIZERS),
        lr=_number("lr", v["lr"], 1e-6, 10.0),
        l2=_number("l2", v["l2"], 0.0, 1.0),
        init=_choice("init", v["init"], INITS),
        seed=_integer("seed", v["seed"], 0, 2**31 - 1),
        batch_size=_integer("batch_size", v["batch_size"], 1, LIMITS["max_rows"]),
        shuffle=_flag("shuffle", v["shuffle"]),
    )
    if checked["init"] == "tutorial" and checked["dataset"] not in ("stairs", "bugs"):
        raise RequestError("init 'tutorial' (the tutorial's own starting weights) goes with the stairs or bugs "
                           f"data set, not {checked['dataset']!r}")
    if checked["dataset"] not in TUTORIAL_SETS and checked["dataset"] != "csv" and not checked["features"]:
        raise RequestError("features is empty; choose at least one input feature")
    return Settings(**checked)


def check_steps(value) -> int:
    return _integer("steps", value, 1, LIMITS["max_steps"])


def check_notation(value) -> str:
    return _choice("notation", value, NOTATIONS)


# --------------------------------------------------------------- one check per kind of value
def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _choice(name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise RequestError(f"{name} must be one of {', '.join(allowed)}; got {_show(value)}")
    return value


def _integer(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{name} must be a whole number from {lo:,} to {hi:,}; got {_show(value)}")
    if not lo <= value <= hi:
        raise RequestError(f"{name} must be from {lo:,} to {hi:,}; got {value:,}")
    return value


def _number(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(f"{name} must be a number from {lo:g} to {hi:g}; got {_show(value)}")
    if not lo <= value <= hi:
        raise RequestError(f"{name} must be from {lo:g} to {hi:g}; got {value:g}")
    return float(value)


def _flag(name, value):
    if not isinstance(value, bool):
        raise RequestError(f"{name} must be true or false; got {_show(value)}")
    return value


def _text(name, value):
    if not isinstance(value, str) or not value or len(value) > 200:
        raise RequestError(f"{name} must be a column name (1 to 200 characters); got {_show(value)}")
    return value


def _features(value):
    if not isinstance(value, list) or any(not isinstance(k, str) or k not in FEATURES for k in value):
        raise RequestError(f"features must be a list drawn from {', '.join(FEATURES)}; got {_show(value)}")
    return tuple(k for k in FEATURES if k in value)  # one order, whatever order the page sent


def _plot(value):
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= 2 or len(set(map(str, value))) < len(value):
        raise RequestError(f"plot must be a list of one or two different column names; got {_show(value)}")
    return tuple(_text("plot column", p) for p in value)


def _hidden(value):
    most, width = LIMITS["max_hidden_layers"], LIMITS["max_neurons"]
    if not isinstance(value, list):
        raise RequestError(f"hidden must be a list of layer sizes such as [4, 4]; got {_show(value)}")
    if len(value) > most:
        raise RequestError(f"hidden has {len(value)} layers; the playground allows at most {most}")
    for i, n in enumerate(value):
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= width:
            raise RequestError(f"hidden[{i}] must be a number of neurons from 1 to {width}; got {_show(n)}")
    return tuple(value)
