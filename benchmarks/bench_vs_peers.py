"""glassnet against PyTorch and scikit-learn: one epoch of MLP training, and single-sample prediction.

Everyone trains the same network on the same data: 784-200-10, sigmoid hidden
layer, softmax output with cross entropy, plain SGD at lr 0.1, on synthetic
float32 inputs (60,000 x 784, 10 classes, seeded). One epoch is timed at batch
sizes 1 (on the first 5,000 samples), 32, 128 and 1024:

* glassnet: the public ``Network.fit`` (float32, shuffled every epoch);
* PyTorch (CPU): ``nn.Linear``, ``nn.Sigmoid``, ``nn.Linear``, ``CrossEntropyLoss``,
  ``optim.SGD``, looping over shuffled batches of a pre-made tensor, with as many
  threads as NumPy's BLAS uses;
* scikit-learn: ``MLPClassifier`` with the same settings, one epoch (``max_iter=1``);
* the matmul floor: only the five matrix products one epoch needs (forward
  ``X @ W1`` and ``A1 @ W2``, backward ``A1.T @ dZ2``, ``dZ2 @ W2.T`` and
  ``X.T @ dZ1``) with ``np.matmul`` into preallocated arrays, no shuffling. For
  batch 1, ``X.T @ dZ1`` has an inner dimension of 1, for which ``np.matmul``
  does not call BLAS; the floor keeps ``np.matmul`` anyway, so it is the same
  five calls at every batch size.

Each cell is the best of ``--repeats`` timed epochs after one warm-up run; the
trainers take turns within each repeat. A missing peer is reported and skipped. Run from the repository root::

    python benchmarks/bench_vs_peers.py            # the full run (about a minute)
    python benchmarks/bench_vs_peers.py --quick    # small sizes, a smoke test
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from importlib import metadata

import numpy as np

import glassnet

N_IN, N_HIDDEN, N_CLASSES, LR = 784, 200, 10, 0.1
BATCH_SIZES = (1, 32, 128, 1024)


# ---------------------------------------------------------------- the data
def make_data(n, seed=0):
    """``n`` float32 samples in 10 classes: a random prototype per class plus noise."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((N_CLASSES, N_IN), dtype=np.float32)
    y = rng.integers(0, N_CLASSES, size=n)
    X = rng.standard_normal((n, N_IN), dtype=np.float32)
    X *= 0.5
    X += prototypes[y]
    return X, y


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else os.cpu_count() or 1


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux)."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return cpu


def machine() -> str:
    cpu = cpu_name()
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{p['internal_api']} {p['version']} ({p['num_threads']} threads)"
            for p in threadpool_info() if p["user_api"] == "blas"
        )
    except ImportError:
        blas = "unknown BLAS (threadpoolctl not installed)"
    peers = []
    for name, package in (("torch", "torch"), ("sklearn", "scikit-learn")):
        try:
            peers.append(f"{name} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            peers.append(f"{name} not installed")
    return (
        f"{cpu}, {os.cpu_count()} cores; python {platform.python_version()}, numpy {np.__version__} "
        f"with {blas}; glassnet {glassnet.__version__}; {'; '.join(peers)}"
    )


# ---------------------------------------------------------------- trainers
# Each trainer is (name, setup) where setup() returns (epoch, predict): epoch(X, y, B) trains one
# epoch of a fresh network and returns the seconds it took; predict(x) predicts one sample.
def glassnet_trainer():
    def build():
        return glassnet.Network(
            [glassnet.Dense(N_IN, N_HIDDEN, "sigmoid"), glassnet.Dense(N_HIDDEN, N_CLASSES, "softmax")], seed=0
        )

    state = {"net": build()}

    def epoch(X, y, B):
        net = build()
        start = time.perf_counter()
        net.fit(X, y, epochs=1, batch_size=B, lr=LR)
        seconds = time.perf_counter() - start
        state["net"] = net
        return seconds

    return epoch, lambda x: state["net"].predict(x)


def torch_trainer():
    import torch

    torch.set_num_threads(blas_threads())
    state = {}

    def epoch(X, y, B):
        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.Sigmoid(), torch.nn.Linear(N_HIDDEN, N_CLASSES)
        )
        loss_fn = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        start = time.perf_counter()
        order = torch.randperm(len(Xt))
        for i in range(0, len(Xt), B):
            idx = order[i : i + B]
            optimizer.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        state["model"] = model
        return seconds

    def predict(x):
        with torch.no_grad():
            return state["model"](torch.from_numpy(x)).argmax(dim=1)

    return epoch, predict


def sklearn_trainer():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    state = {}

    def epoch(X, y, B):
        clf = MLPClassifier(
            hidden_layer_sizes=(N_HIDDEN,), activation="logistic", solver="sgd", momentum=0.0, alpha=0.0,
            learning_rate_init=LR, batch_size=B, max_iter=1, shuffle=True, random_state=0,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        seconds = time.perf_counter() - start
        state["clf"] = clf
        return seconds

    return epoch, lambda x: state["clf"].predict(x)


def floor_trainer():
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((N_IN, N_HIDDEN), dtype=np.float32)
    W2 = rng.standard_normal((N_HIDDEN, N_CLASSES), dtype=np.float32)

    def epoch(X, y, B):
        out = {}
        for b in {B, len(X) % B} - {0}:
            out[b] = [np.empty(shape, np.float32) for shape in (
                (b, N_HIDDEN), (b, N_CLASSES), (N_HIDDEN, N_CLASSES), (b, N_HIDDEN), (N_IN, N_HIDDEN))]
        start = time.perf_counter()
        for i in range(0, len(X), B):
            Xb = X[i : i + B]
            A1, Z2, dW2, dZ1, dW1 = out[len(Xb)]
            np.matmul(Xb, W1, out=A1)
            np.matmul(A1, W2, out=Z2)
            np.matmul(A1.T, Z2, out=dW2)
            np.matmul(Z2, W2.T, out=dZ1)
            np.matmul(Xb.T, dZ1, out=dW1)
        return time.perf_counter() - start

    return epoch, None


TRAINERS = {"glassnet": glassnet_trainer, "torch": torch_trainer, "sklearn": sklearn_trainer, "floor": floor_trainer}


# ------------------------------------------------------------------ timing
def run(trainers, n_samples, n_batch1, batch_sizes, repeats, out=print):
    """Time every trainer; print and return ``(speeds, latencies)``.

    ``speeds[name][B]`` is samples per second, ``latencies[name]`` seconds per
    single-sample prediction. The trainers take turns within every repeat, so
    that a burst of load from elsewhere on the machine hits them alike; each
    cell keeps its best repeat.
    """
    out(f"machine: {machine()}")
    X, y = make_data(n_samples)
    out(f"data: {n_samples:,} x {N_IN} float32, {N_CLASSES} classes; batch 1 on the first {n_batch1:,} samples; "
        f"best of {repeats}")
    setups = {}
    for name in trainers:
        try:
            setups[name] = TRAINERS[name]()
        except ImportError:
            out(f"{name} not installed: skipped")
    speeds = {name: {} for name in setups}
    for B in batch_sizes:
        Xs, ys = (X[:n_batch1], y[:n_batch1]) if B == 1 else (X, y)
        warm = min(len(Xs), 8 * B)
        for epoch, _ in setups.values():
            epoch(Xs[:warm], ys[:warm], B)
        for _ in range(repeats):
            for name, (epoch, _) in setups.items():
                speeds[name][B] = max(speeds[name].get(B, 0.0), len(Xs) / epoch(Xs, ys, B))

    x = X[:1]
    predictors = {name: predict for name, (_, predict) in setups.items() if predict is not None}
    latencies = {name: float("inf") for name in predictors}
    for predict in predictors.values():
        predict(x)
    for _ in range(repeats):
        for name, predict in predictors.items():
            calls = 2000
            start = time.perf_counter()
            for _ in range(calls):
                predict(x)
            latencies[name] = min(latencies[name], (time.perf_counter() - start) / calls)

    out("")
    refs = ("torch", "sklearn", "floor")
    out(f"{'trainer':<10}{'batch':>7}{'samples/s':>13}" + "".join(f"{'vs ' + ref:>12}" for ref in refs))
    for name, by_batch in speeds.items():
        for B, sps in by_batch.items():
            ratios = [f"{sps / speeds[ref][B]:.2f}x" if ref in speeds else "-" for ref in refs]
            out(f"{name:<10}{B:>7}{sps:>13,.0f}" + "".join(f"{r:>12}" for r in ratios))
    out("")
    out(f"{'predict, 1 sample':<20}{'latency':>12}{'vs torch':>12}")
    for name, seconds in latencies.items():
        ratio = f"{seconds / latencies['torch']:.2f}x" if "torch" in latencies else "-"
        out(f"{name:<20}{seconds * 1e6:>9.1f} us{ratio:>12}")
    return speeds, latencies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (4,000 samples, batch 1 on 500): a smoke test"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per cell; the best counts (default 5)")
    parser.add_argument(
        "--trainers", default=",".join(TRAINERS), help=f"comma-separated subset of {','.join(TRAINERS)} (default all)"
    )
    args = parser.parse_args(argv)
    trainers = [t.strip() for t in args.trainers.split(",") if t.strip()]
    unknown = sorted(set(trainers) - set(TRAINERS))
    if unknown or args.repeats < 1:
        parser.error(f"unknown trainers {unknown}" if unknown else "--repeats must be at least 1")
    n_samples, n_batch1 = (4_000, 500) if args.quick else (60_000, 5_000)
    return run(trainers, n_samples, n_batch1, BATCH_SIZES, args.repeats)


if __name__ == "__main__":
    main()
