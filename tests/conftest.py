"""Shared helpers for the core tests: finite differences and a float64 ``fit``."""

import inspect
import warnings

import numpy as np
import pytest

import glassnet


@pytest.fixture
def finite_diff():
    """``finite_diff(f, P, h)``: central-difference gradient of scalar ``f()`` w.r.t. ``P`` (restored after)."""

    def grad(f, P, h=1e-6):
        G = np.zeros_like(P, dtype=np.float64)
        flat, gflat = P.reshape(-1), G.reshape(-1)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + h
            plus = f()
            flat[i] = saved - h
            minus = f()
            flat[i] = saved
            gflat[i] = (plus - minus) / (2 * h)
        return G

    return grad


@pytest.fixture
def fit64():
    """``fit64(net, X, y, **kw)``: ``net.fit`` in float64 (passes ``dtype`` where ``fit`` has that argument)."""
    extra = {"dtype": np.float64} if "dtype" in inspect.signature(glassnet.Network.fit).parameters else {}

    def fit(net, X, y, **kw):
        return net.fit(X, y, **extra, **kw)

    return fit


@pytest.fixture
def strict_fp():
    """Run the test with every warning an error and NumPy raising on overflow, invalid values and division by zero.

    Underflow stays allowed: rounding e^-800 to 0 is the correct float64 answer, not an accident.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield
