"""glassnet: a from-scratch NumPy neural-network library that shows its work.

The public API::

    Dense, Network, History           layers, the model and what fit measured (.layers, .network, .history)
    training                          fit and the readable training loop (reference_epoch)
    SGD, Adam, get_optimizer          optimizers (glassnet.optimizers)
    ConstantLR, StepDecay,
    ExponentialDecay, get_schedule    learning-rate schedules (glassnet.schedules)
    EarlyStopping, StopTraining       training control (glassnet.callbacks)
    Uniform, Normal, Rashid, Glorot,
    He, Constant                      weight initializers (glassnet.initializers)
    gradient_check                    back-propagation vs finite differences
    load, ModelFileError              model files (glassnet.io; Network.save writes them)
    resume, TrainingInterrupted,
    CheckpointError                   go on with a run saved by fit(..., checkpoint=PATH) (glassnet.checkpoint)
    data, preprocessing               file loaders; scalers and target matrices
    tables                            people's own tables: read, decide the task, split, Columns by name
    datasets, metrics, models         bundled and generated data sets; scores; ready-made networks
    plots, experiments, tutorials,
    playground, sweep, sweeps         loaded on first use (plots brings matplotlib); playground.serve() is the web
                                      page, sweep() runs a grid of training runs (glassnet.sweeps)
    trace_step, Trace                 every matrix of one training step
    report                            a step worked out, a network, a history as text, Markdown or HTML
    format_matrix                     aligned text rendering of a matrix
"""

from glassnet import data, datasets, io, metrics, models, preprocessing, report, tables, training
from glassnet.activations import ACTIVATIONS
from glassnet.callbacks import EarlyStopping, StopTraining
from glassnet.checkpoint import CheckpointError, TrainingInterrupted
from glassnet.divergence import TrainingDiverged
from glassnet.gradcheck import gradient_check, numerical_gradients
from glassnet.history import History
from glassnet.initializers import Constant, Glorot, He, Normal, Rashid, Uniform
from glassnet.io import ModelFileError, load, resume
from glassnet.layers import Dense
from glassnet.losses import LOSSES
from glassnet.network import Network
from glassnet.optimizers import SGD, Adam, get_optimizer
from glassnet.render import format_matrix, format_number
from glassnet.schedules import ConstantLR, ExponentialDecay, StepDecay, get_schedule
from glassnet.trace import Trace, trace_step
from glassnet.version import __version__

# Loaded on first use, so that ``import glassnet`` stays quick and does not load matplotlib.
_LAZY = ("experiments", "playground", "plots", "sweep", "sweeps", "tutorials")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        if name == "sweep":  # the function; its module is glassnet.sweeps
            return importlib.import_module("glassnet.sweeps").sweep
        return importlib.import_module(f"glassnet.{name}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])


__all__ = [
    "ACTIVATIONS",
    "Adam",
    "CheckpointError",
    "Constant",
    "ConstantLR",
    "Dense",
    "EarlyStopping",
    "ExponentialDecay",
    "Glorot",
    "He",
    "History",
    "LOSSES",
    "ModelFileError",
    "Network",
    "Normal",
    "Rashid",
    "SGD",
    "StepDecay",
    "StopTraining",
    "Trace",
    "TrainingDiverged",
    "TrainingInterrupted",
    "Uniform",
    "data",
    "datasets",
    "experiments",
    "format_matrix",
    "format_number",
    "get_optimizer",
    "get_schedule",
    "gradient_check",
    "io",
    "load",
    "metrics",
    "models",
    "numerical_gradients",
    "playground",
    "plots",
    "preprocessing",
    "report",
    "resume",
    "sweep",
    "tables",
    "trace_step",
    "training",
    "tutorials",
    "__version__",
]
