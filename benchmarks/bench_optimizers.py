"""Training with Adam and with SGD + momentum: glassnet against PyTorch and the matmul floor.

Two networks, both ReLU hidden layers and a softmax output with cross entropy, in float32:

* ``mnist``: 784-256-128-10 on synthetic MNIST-sized inputs (10 classes);
* ``tabular``: 20-32-32-3 on synthetic tabular inputs (3 classes), where the
  time goes to the Python and NumPy calls of every step rather than to the arithmetic.

For each network, optimizer (``Adam(0.001)``; ``SGD(0.01, momentum=0.9)``; with
``--optimizers sgd``, plain ``SGD(0.01)`` too, which glassnet folds into its
products) and batch size (1, 32, 128, 1024), one epoch is timed for:

* glassnet: the public ``Network.fit`` (shuffled, float32), in a worker
  process of its own;
* glassnet as it was at ``--before COMMIT`` (checked out with ``git worktree``),
  in another worker process, if asked for;
* PyTorch (CPU), if installed: ``nn.Linear`` and ``nn.ReLU`` layers,
  ``CrossEntropyLoss`` and ``torch.optim.Adam`` / ``SGD`` with their defaults,
  the ordinary ``zero_grad``, forward, ``backward``, ``step`` loop over shuffled
  batches, with as many threads as NumPy's BLAS uses;
* the matmul floor: only the eight matrix products a step needs (three forward,
  ``dW`` and ``dZ`` of the two upper layers, ``dW`` of the first) with
  ``np.matmul`` into preallocated arrays, no shuffling, no optimizer. As in
  ``bench_vs_peers.py``, a batch of one keeps ``np.matmul`` for the outer
  product ``X.T @ dZ1``, which NumPy computes without BLAS, so a trainer can
  beat the floor there.

The trainers take turns within every repeat (their order rotates from one
repeat to the next), each cell reports the median of its repeats and their
range, and the ratios are the medians of the ratios within each repeat: on a
shared machine only numbers measured side by side compare. Run from the
repository root::

    python benchmarks/bench_optimizers.py                   # about 5 minutes
    python benchmarks/bench_optimizers.py --before 68d2d0f  # and glassnet as it was then
    python benchmarks/bench_optimizers.py --quick           # a smoke test

On a busy machine two BLAS threads (NumPy's and PyTorch's) slow down many times whenever a
neighbour takes a core; ``OPENBLAS_NUM_THREADS=1`` in front gives steadier numbers (every
trainer then uses one thread).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NETWORKS = {"mnist": (784, 256, 128, 10), "tabular": (20, 32, 32, 3)}
OPTIMIZERS = ("adam", "momentum")  # the default; "sgd" on request
BATCH_SIZES = (1, 32, 128, 1024)
LR = {"adam": 0.001, "momentum": 0.01, "sgd": 0.01}
# samples per timed epoch, by network and batch size: a tenth of a second or more each
SAMPLES = {"mnist": {1: 1_000, 32: 8_192, 128: 16_384, 1024: 32_768},
           "tabular": {1: 4_000, 32: 32_768, 128: 65_536, 1024: 131_072}}


def make_data(net, n, seed=0):
    """``n`` float32 samples of the network's input size: a random prototype per class plus noise."""
    sizes = NETWORKS[net]
    rng = np.random.default_rng(seed)
    prototypes = rng.random((sizes[-1], sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], size=n)
    X = rng.standard_normal((n, sizes[0]), dtype=np.float32)
    X *= 0.5
    X += prototypes[y]
    return X, y


# ---------------------------------------------------------------- trainers: epoch(net, opt, X, y, B) -> seconds
def glassnet_epoch():
    import glassnet
    from glassnet.optimizers import SGD, Adam

    def epoch(net, opt, X, y, B):
        sizes = NETWORKS[net]
        layers = [glassnet.Dense(a, b, "relu") for a, b in zip(sizes[:-2], sizes[1:-1])]
        network = glassnet.Network([*layers, glassnet.Dense(sizes[-2], sizes[-1], "softmax")], seed=0)
        optimizer = Adam(LR[opt]) if opt == "adam" else SGD(LR[opt], momentum=0.9 if opt == "momentum" else 0.0)
        start = time.perf_counter()
        network.fit(X, y, epochs=1, batch_size=B, optimizer=optimizer)
        return time.perf_counter() - start

    return epoch


def torch_epoch():
    import torch
    from bench_vs_peers import blas_threads

    torch.set_num_threads(blas_threads())

    def epoch(net, opt, X, y, B):
        sizes = NETWORKS[net]
        torch.manual_seed(0)
        layers = []
        for a, b in zip(sizes[:-2], sizes[1:-1]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
        loss_fn = torch.nn.CrossEntropyLoss()
        if opt == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=LR[opt])
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=LR[opt], momentum=0.9 if opt == "momentum" else 0.0)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        start = time.perf_counter()
        order = torch.randperm(len(Xt))
        for i in range(0, len(Xt), B):
            idx = order[i : i + B]
            optimizer.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            optimizer.step()
        return time.perf_counter() - start

    return epoch


def floor_epoch():
    rng = np.random.default_rng(0)
    weights = {net: [rng.standard_normal((a, b), dtype=np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
               for net, sizes in NETWORKS.items()}

    def epoch(net, opt, X, y, B):
        W1, W2, W3 = weights[net]
        out = {}
        for b in {B, len(X) % B} - {0}:
            out[b] = [np.empty(shape, np.float32) for shape in (
                (b, W1.shape[1]), (b, W2.shape[1]), (b, W3.shape[1]), W3.shape, (b, W2.shape[1]), W2.shape,
                (b, W1.shape[1]), W1.shape)]
        start = time.perf_counter()
        for i in range(0, len(X), B):
            Xb = X[i : i + B]
            A1, A2, Z3, dW3, dZ2, dW2, dZ1, dW1 = out[len(Xb)]
            np.matmul(Xb, W1, out=A1)
            np.matmul(A1, W2, out=A2)
            np.matmul(A2, W3, out=Z3)
            np.matmul(A2.T, Z3, out=dW3)
            np.matmul(Z3, W3.T, out=dZ2)
            np.matmul(A1.T, dZ2, out=dW2)
            np.matmul(dZ2, W2.T, out=dZ1)
            np.matmul(Xb.T, dZ1, out=dW1)
        return time.perf_counter() - start

    return epoch


class Worker:
    """glassnet from another tree, in a process of its own: ``epoch`` sends it a cell and reads the seconds."""

    def __init__(self, tree):
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", str(tree)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def epoch(self, net, opt, X, y, B):
        self.proc.stdin.write(json.dumps([net, opt, len(X), B]) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def worker(tree):
    """The worker's side: glassnet from ``tree``; one JSON cell a line in, its seconds out."""
    # an editable install's import hook would find this checkout's glassnet first: take it out
    sys.meta_path[:] = [finder for finder in sys.meta_path if "editable" not in type(finder).__module__.lower()
                        and "editable" not in repr(finder).lower()]
    sys.path.insert(0, tree)
    epoch, data = glassnet_epoch(), {}
    for line in sys.stdin:
        net, opt, n, B = json.loads(line)
        if (net, n) not in data:
            data[net, n] = make_data(net, n)
        print(json.dumps(epoch(net, opt, *data[net, n], B)), flush=True)


# ------------------------------------------------------------------ timing
def run(trainers, cells, repeats, scale=1.0, out=print):
    """Time every trainer on every ``(net, opt, B)`` cell; print the table and return ``{cell: {trainer: [s/s]}}``."""
    from bench_vs_peers import machine

    out(f"machine: {machine()}")
    out(f"float32; the median of {repeats} epochs per cell (range in brackets); ratios: medians of the paired "
        "ratios of each repeat")
    results = {}
    for cell in cells:
        net, opt, B = cell
        n = max(B, int(SAMPLES[net][B] * scale))
        X, y = make_data(net, n)
        for epoch in trainers.values():  # warm-up: buffers, caches, BLAS threads
            epoch(net, opt, X[: min(n, 4 * B)], y[: min(n, 4 * B)], B)
        speeds = results[cell] = {name: [] for name in trainers}
        names = list(trainers)
        for r in range(repeats):
            for name in names[r % len(names):] + names[: r % len(names)]:
                speeds[name].append(n / trainers[name](net, opt, X, y, B))
    refs = [ref for ref in ("torch", "floor") if ref in trainers]
    out("")
    out(f"{'network':<9}{'optimizer':<10}{'batch':>6}  {'trainer':<17}{'samples/s':>11}  {'range':<19}"
        + "".join(f"{'vs ' + ref:>10}" for ref in refs))
    for (net, opt, B), speeds in results.items():
        for name, values in speeds.items():
            span = f"[{min(values):,.0f}-{max(values):,.0f}]"
            ratios = [f"{statistics.median(a / b for a, b in zip(values, speeds[ref])):.2f}x" for ref in refs]
            out(f"{net:<9}{opt:<10}{B:>6}  {name:<17}{statistics.median(values):>11,.0f}  {span:<19}"
                + "".join(f"{r:>10}" for r in ratios))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per cell and trainer (default 5)")
    parser.add_argument("--before", metavar="COMMIT", help="also time glassnet as it was at this commit")
    parser.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated (default all)")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS), help="comma-separated, of adam, momentum, sgd "
                        "(default adam,momentum)")
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)), help="comma-separated")
    parser.add_argument("--quick", action="store_true", help="an eighth of the samples, two repeats: a smoke test")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    sys.path.insert(0, str(HERE))
    nets, opts = args.networks.split(","), args.optimizers.split(",")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    if set(nets) - set(NETWORKS) or set(opts) - set(LR) or set(batch_sizes) - set(BATCH_SIZES):
        parser.error(f"networks are {list(NETWORKS)}, optimizers {list(LR)}, batch sizes {BATCH_SIZES}")
    repeats, scale = (2, 0.125) if args.quick else (args.repeats, 1.0)
    workers = [Worker(HERE.parent)]
    trainers = {"glassnet": workers[0].epoch}
    with tempfile.TemporaryDirectory(prefix="bench_optimizers_") as folder:
        try:
            if args.before:
                tree = Path(folder) / "before"
                subprocess.run(["git", "-C", str(HERE.parent), "worktree", "add", "--detach", str(tree), args.before],
                               check=True, capture_output=True)
                workers.append(Worker(tree))
                trainers[f"glassnet {args.before}"] = workers[-1].epoch
            try:
                trainers["torch"] = torch_epoch()
            except ImportError:
                print("torch not installed: skipped")
            trainers["floor"] = floor_epoch()
            cells = [(net, opt, B) for net in nets for opt in opts for B in batch_sizes]
            return run(trainers, cells, repeats, scale)
        finally:
            for w in workers:
                w.close()
            if args.before:
                subprocess.run(["git", "-C", str(HERE.parent), "worktree", "remove", "--force",
                                str(Path(folder) / "before")], capture_output=True)


if __name__ == "__main__":
    main()
