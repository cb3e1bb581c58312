"""The trainers that ``bench_matrix.py`` times, one per library, and what it prints about the machine.

A set-up (``Setup``) is an optimizer, a hidden-layer activation, a network, a
batch size and a dtype; every network ends in softmax with cross entropy. For a
set-up and its data each ``make_*`` function returns a ``Trainer``: ``warm()``
runs a few batches (compilation, first-touch allocations, thread start-up), and
``run(epochs)`` trains ``epochs`` shuffled passes over the data with a fresh
optimizer (the weights go on from the last run) and returns once the work is
done. Building the model and moving the data into the library happen before,
untimed; everything ``run`` does is timed. A library that is not installed
raises ``ImportError``.

This module is for the benchmarks only: glassnet never imports it.
"""

from __future__ import annotations

import os
import platform
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

import numpy as np

import glassnet

NETWORKS = {  # layer sizes, inputs first
    "tabular": (20, 32, 32, 3),
    "mnist": (784, 256, 128, 10),
    "wide": (784, 1024, 1024, 10),
}
OPTIMIZERS = ("sgd", "momentum", "adam")
ACTIVATIONS = ("relu", "sigmoid", "tanh")
BATCH_SIZES = (1, 32, 128, 1024)
DTYPES = ("float32", "float64")
# Small enough that no trainer diverges at batch 1 on the widest network; speed does not depend on them.
LR = {"sgd": 0.01, "momentum": 0.001, "adam": 0.001}
MOMENTUM = 0.9


@dataclass(frozen=True)
class Setup:
    optimizer: str
    activation: str
    network: str
    batch: int
    dtype: str

    @property
    def sizes(self) -> tuple[int, ...]:
        return NETWORKS[self.network]

    @property
    def np_dtype(self):
        return np.dtype(self.dtype)

    def label(self) -> str:
        return f"{self.optimizer} {self.activation} {self.network} {self.batch} {self.dtype}"


@dataclass
class Trainer:
    warm: Callable[[], None]
    run: Callable[[int], None]
    model: object = None  # the library's model object (the memory section predicts with it)


# ---------------------------------------------------------------- the machine
def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown BLAS (threadpoolctl not installed)"
    return ", ".join(f"{p['internal_api']} {p['version']} ({p['num_threads']} threads)"
                     for p in threadpool_info() if p["user_api"] == "blas") or "no BLAS found"


def versions(packages=("torch", "jax", "jaxlib", "scikit-learn", "onnxruntime")) -> str:
    found = []
    for package in packages:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return "; ".join(found)


def machine() -> list[str]:
    """Lines describing the machine and the software, for the top of the output."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return [
        f"machine: {cpu_name()}, {cores()} cores (os.cpu_count {os.cpu_count()}); load average {load}",
        f"python {platform.python_version()}; numpy {np.__version__} with {blas()}",
        f"glassnet {glassnet.__version__}; {versions()}",
    ]


# ---------------------------------------------------------------- the data
def make_data(n, n_in, n_classes, dtype=np.float32, seed=0, chunk=1024):
    """``n`` samples in ``n_classes`` classes: a random prototype per class plus noise, made in chunks.

    Chunks keep the peak memory at the array itself (the memory section
    measures from after this). Every class appears among the first rows.
    """
    rng = np.random.default_rng(seed)
    prototypes = rng.random((n_classes, n_in)).astype(dtype)
    y = rng.integers(0, n_classes, size=n)
    y[: min(n, n_classes)] = np.arange(min(n, n_classes))
    X = np.empty((n, n_in), dtype)
    for start in range(0, n, chunk):
        block = X[start : start + chunk]
        rng.standard_normal(dtype=X.dtype, out=block)
        block *= 0.5
        block += prototypes[y[start : start + chunk]]
    return X, y


def init_weights(sizes, dtype, seed=0):
    """Glorot-uniform weights and zero biases, ``[(W, b), ...]`` with ``W`` of shape ``(n_in, n_out)``."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        limit = np.sqrt(6 / (n_in + n_out))
        layers.append((rng.uniform(-limit, limit, (n_in, n_out)).astype(dtype), np.zeros(n_out, dtype)))
    return layers


def _epochs_of(X, B):
    if len(X) % B:
        raise ValueError(f"the data's {len(X)} rows are not a multiple of the batch size {B}")


# ---------------------------------------------------------------- glassnet
def make_glassnet(setup: Setup, X, y) -> Trainer:
    """The public ``Network.fit``: one call per run, ``epochs`` passes, the set-up's dtype."""
    sizes = setup.sizes
    hidden = [glassnet.Dense(a, b, setup.activation) for a, b in zip(sizes, sizes[1:-1])]
    net = glassnet.Network([*hidden, glassnet.Dense(sizes[-2], sizes[-1], "softmax")], loss="cross_entropy", seed=0)

    def optimizer():
        if setup.optimizer == "adam":
            return glassnet.optimizers.Adam(LR["adam"])
        return glassnet.optimizers.SGD(LR[setup.optimizer], momentum=MOMENTUM if setup.optimizer == "momentum" else 0)

    def fit(X, y, epochs):
        net.fit(X, y, epochs=epochs, batch_size=setup.batch, optimizer=optimizer(), dtype=setup.np_dtype)

    warm = 8 * setup.batch
    return Trainer(warm=lambda: fit(X[:warm], y[:warm], 1), run=lambda e: fit(X, y, e), model=net)


# ---------------------------------------------------------------- the matmul floor
def make_floor(setup: Setup, X, y) -> Trainer:
    """Only the matrix products of a training step, in NumPy, into preallocated arrays, on consecutive rows.

    Per layer ``l``: forward ``A_prev @ W``; backward ``A_prev.T @ dZ`` and,
    except for the first layer (no one needs the input's gradient),
    ``dZ @ W.T``. No activation, loss, update or shuffling. For a batch of one
    the weight gradient is an outer product, which ``np.matmul`` computes
    without BLAS; ``np.dot`` calls BLAS for it, so the floor uses that there.
    """
    B, dtype = setup.batch, setup.np_dtype
    _epochs_of(X, B)
    Ws = [W for W, _ in init_weights(setup.sizes, dtype)]
    A = [np.empty((B, n), dtype) for n in setup.sizes[1:]]  # each layer's output, which is also its dZ here
    dA = [np.empty((B, n), dtype) for n in setup.sizes[1:-1]]  # dZ @ W.T for layers 2..L
    dW = [np.empty_like(W) for W in Ws]
    outer = np.dot if B == 1 else np.matmul

    def run(epochs, steps=None):
        n = len(X) if steps is None else steps * B
        for _ in range(epochs):
            for start in range(0, n, B):
                inputs = [X[start : start + B], *A[:-1]]
                for l, W in enumerate(Ws):
                    np.matmul(inputs[l], W, out=A[l])
                for l in range(len(Ws) - 1, -1, -1):
                    if l > 0:
                        np.matmul(A[l], Ws[l].T, out=dA[l - 1])
                    outer(inputs[l].T, A[l], out=dW[l])

    return Trainer(warm=lambda: run(1, steps=min(8, len(X) // B)), run=run)


# ---------------------------------------------------------------- PyTorch
def make_torch(setup: Setup, X, y) -> Trainer:
    """PyTorch eager, the ordinary loop: ``nn.Sequential``, ``torch.optim``, zero_grad/backward/step."""
    import torch

    torch.set_num_threads(cores())
    torch.manual_seed(0)
    act = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}[setup.activation]
    sizes = setup.sizes
    modules = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        modules.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            modules.append(act())
    model = torch.nn.Sequential(*modules).to(getattr(torch, setup.dtype))
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    B = setup.batch

    def optimizer():
        if setup.optimizer == "adam":
            return torch.optim.Adam(model.parameters(), lr=LR["adam"])
        return torch.optim.SGD(model.parameters(), lr=LR[setup.optimizer],
                               momentum=MOMENTUM if setup.optimizer == "momentum" else 0)

    def run(epochs, steps=None):
        opt = optimizer()
        n = len(Xt) if steps is None else steps * B
        for _ in range(epochs):
            order = torch.randperm(len(Xt))[:n]
            for start in range(0, n, B):
                idx = order[start : start + B]
                opt.zero_grad()
                loss = loss_fn(model(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()

    return Trainer(warm=lambda: run(1, steps=min(8, len(X) // B)), run=run, model=model)


# ---------------------------------------------------------------- JAX
def make_jax(setup: Setup, X, y) -> Trainer:
    """JAX with a jitted training step: ``jax.grad`` of the loss and the update in ``jax.numpy``, in one ``jax.jit``.

    The data live on the device; each step gets the indices of its batch and
    gathers the rows inside the jitted function. Parameters and optimizer
    state are donated to the step, so XLA can update them in place. float64
    cells switch ``jax_enable_x64`` on (and float32 cells off) before anything
    is built.
    """
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", setup.dtype == "float64")
    dtype = jnp.dtype(setup.dtype)
    act = {"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}[setup.activation]
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in init_weights(setup.sizes, setup.np_dtype)]
    kind, lr, B = setup.optimizer, LR[setup.optimizer], setup.batch
    b1, b2, eps = 0.9, 0.999, 1e-8

    def loss_fn(params, xb, yb):
        a = xb
        for W, b in params[:-1]:
            a = act(a @ W + b)
        W, b = params[-1]
        logp = jax.nn.log_softmax(a @ W + b)
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

    def update(params, state, grads):
        if kind == "sgd":
            return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), state
        if kind == "momentum":
            v = jax.tree_util.tree_map(lambda v, g: MOMENTUM * v + g, state, grads)
            return jax.tree_util.tree_map(lambda p, v: p - lr * v, params, v), v
        m, s, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        s = jax.tree_util.tree_map(lambda s, g: b2 * s + (1 - b2) * g * g, s, grads)
        scale = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        params = jax.tree_util.tree_map(lambda p, m, s: p - scale * m / (jnp.sqrt(s) + eps), params, m, s)
        return params, (m, s, t)

    def step(params, state, X, y, idx):
        grads = jax.grad(loss_fn)(params, X[idx], y[idx])
        return update(params, state, grads)

    step = jax.jit(step, donate_argnums=(0, 1))

    def fresh_state():
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        if kind == "sgd":
            return ()
        if kind == "momentum":
            return zeros
        return zeros, jax.tree_util.tree_map(jnp.zeros_like, params), jnp.zeros((), dtype)

    Xd, yd = jnp.asarray(X), jnp.asarray(y.astype(np.int32))
    rng = np.random.default_rng(0)
    _epochs_of(X, B)

    def run(epochs, steps=None):
        nonlocal params
        state = fresh_state()
        for _ in range(epochs):
            order = rng.permutation(len(X)).astype(np.int32).reshape(-1, B)
            for idx in order[:steps]:
                params, state = step(params, state, Xd, yd, idx)
        jax.block_until_ready(params)

    return Trainer(warm=lambda: run(1, steps=min(8, len(X) // B)), run=run)


# ---------------------------------------------------------------- scikit-learn
def make_sklearn(setup: Setup, X, y) -> Trainer:
    """``MLPClassifier``: no L2 (``alpha=0``), constant learning rate, shuffled, ``max_iter`` epochs.

    ``warm_start=True`` keeps the weights of the warm-up's ``fit``, so their
    initialization is not timed (each ``fit`` still makes a fresh optimizer);
    ``n_iter_no_change`` above the epochs keeps it from stopping early.
    Momentum is heavy-ball (``nesterovs_momentum=False``). scikit-learn keeps
    float32 input in float32.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    solver = "adam" if setup.optimizer == "adam" else "sgd"
    activation = {"sigmoid": "logistic"}.get(setup.activation, setup.activation)
    clf = MLPClassifier(
        hidden_layer_sizes=setup.sizes[1:-1], activation=activation, solver=solver, alpha=0.0, batch_size=setup.batch,
        learning_rate="constant", learning_rate_init=LR[setup.optimizer],
        momentum=MOMENTUM if setup.optimizer == "momentum" else 0.0, nesterovs_momentum=False, shuffle=True,
        random_state=0, warm_start=True, max_iter=1,
    )

    def fit(X, y, epochs):
        clf.set_params(max_iter=epochs, n_iter_no_change=epochs + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)

    warm = max(8 * setup.batch, 64)  # every class among them (make_data puts them first): warm_start needs it
    return Trainer(warm=lambda: fit(X[:warm], y[:warm], 1), run=lambda e: fit(X, y, e))


PEERS = {"glassnet": make_glassnet, "torch": make_torch, "jax": make_jax, "sklearn": make_sklearn, "floor": make_floor}
