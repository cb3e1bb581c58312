"""glassnet: a from-scratch NumPy neural-network library that shows its work.

The public API::

    Dense, Network, History           layers and the network (glassnet.layers, .network)
    SGD                               optimizers (glassnet.optimizers)
    Uniform, Normal, Rashid, Glorot,
    He, Constant                      weight initializers (glassnet.initializers)
    gradient_check                    back-propagation vs finite differences
    load, ModelFileError              model files (glassnet.io; Network.save writes them)
    data, datasets, metrics           loaders and preprocessing, bundled data, scores
    plots, experiments                (import explicitly: they load matplotlib)
    trace_step, Trace                 every matrix of one training step
    format_matrix                     aligned text rendering of a matrix
"""

from glassnet import data, datasets, io, metrics, preprocessing
from glassnet.activations import ACTIVATIONS
from glassnet.gradcheck import gradient_check, numerical_gradients
from glassnet.initializers import Constant, Glorot, He, Normal, Rashid, Uniform
from glassnet.io import ModelFileError, load
from glassnet.layers import Dense
from glassnet.losses import LOSSES
from glassnet.network import History, Network
from glassnet.optimizers import SGD
from glassnet.render import format_matrix, format_number
from glassnet.trace import Trace, trace_step

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Constant",
    "Dense",
    "Glorot",
    "ModelFileError",
    "He",
    "History",
    "Network",
    "Normal",
    "Rashid",
    "SGD",
    "Trace",
    "Uniform",
    "__version__",
    "data",
    "datasets",
    "io",
    "load",
    "metrics",
    "format_matrix",
    "format_number",
    "gradient_check",
    "numerical_gradients",
    "preprocessing",
    "trace_step",
]
