"""Ready-made networks of the tutorials and books.

Each function returns a fresh, seeded ``Network`` built the way its source
builds it, so a tutorial, an experiment and a user can all start from the same
model.
"""

from __future__ import annotations

from glassnet.initializers import Rashid
from glassnet.layers import Dense
from glassnet.network import Network


def rashid_network(n_in, n_hidden, n_out, seed=0):
    """Rashid's 3-layer network: sigmoid layers without biases, ``N(0, 1/n_in)`` weights, squared error.

    As in *Make Your Own Neural Network*: ``n_in`` inputs, one hidden layer of
    ``n_hidden`` sigmoid nodes and ``n_out`` sigmoid outputs, no biases, every
    weight drawn from a normal distribution with standard deviation
    ``1/sqrt(links into the node)`` (``glassnet.Rashid()``) by ``seed``.
    """
    return Network(
        [
            Dense(n_in, n_hidden, "sigmoid", bias=False, init=Rashid()),
            Dense(n_hidden, n_out, "sigmoid", bias=False, init=Rashid()),
        ],
        loss="squared_error",
        seed=seed,
    )
