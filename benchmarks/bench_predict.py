"""Prediction speed: glassnet's ``predict_proba`` and ``predict`` against PyTorch and ONNX Runtime.

Two float32 networks, both ending in softmax: 784-256-128-10 with ReLU and the
README's 784-200-10 with sigmoid (untrained weights: the arithmetic is the same
as for trained ones). The peers compute the same probabilities: PyTorch runs
``glassnet.io.to_torch(net)`` in eval mode under ``torch.inference_mode()``
with ``torch.set_num_threads(cores)``, NumPy in and out; ONNX Runtime runs an
``InferenceSession`` on glassnet's own export (``glassnet.io.to_onnx``,
CPUExecutionProvider, ``intra_op_num_threads = cores``). Every predictor's
output is checked against glassnet's first.

Batch 1: the seconds per call over blocks of ``--calls`` calls; batch 10,000:
samples per second over single calls. Every block runs every predictor once,
in an order shuffled per block, each after a short pause (``--pause``) so that
the threads the one before left spinning (OpenMP's, ONNX Runtime's, OpenBLAS's)
have gone idle. Reported: the median and the range over blocks, and the median
of the per-block ratios of glassnet to each peer (the fairest comparison on a
shared machine, where the speed drifts from block to block), against the
project's targets: ``predict_proba`` of one sample at most 0.5x PyTorch's time
and at most 1.0x ONNX Runtime's, at batch 10,000 at least 0.9x ONNX Runtime's
throughput.

    pip install torch onnxruntime           # the peers; not glassnet dependencies
    python benchmarks/bench_predict.py      # about 3 minutes; --quick for a smoke test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _peers import cores, machine

import glassnet

NETWORKS = {"relu": ((784, 256, 128, 10), "relu"), "sigmoid": ((784, 200, 10), "sigmoid")}
BIG = 10_000


def network(name):
    sizes, hidden = NETWORKS[name]
    layers = [glassnet.Dense(a, b, hidden) for a, b in zip(sizes[:-2], sizes[1:-1])]
    net = glassnet.Network([*layers, glassnet.Dense(sizes[-2], sizes[-1], "softmax")], seed=0)
    net.cast(np.float32)  # what a default fit leaves
    return net


def peers(net, folder, out=print) -> dict:
    """``{"torch": predict_proba, "onnxruntime": predict_proba}`` for those installed."""
    found = {}
    try:
        import torch

        torch.set_num_threads(cores())
        model = glassnet.io.to_torch(net).eval()

        def torch_proba(x):
            with torch.inference_mode():
                return model(torch.from_numpy(x)).numpy()

        found["torch"] = torch_proba
    except ImportError as exc:
        out(f"torch not installed ({exc}): skipped")
    try:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = cores()
        path = glassnet.io.to_onnx(net, Path(folder) / "net.onnx")
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        found["onnxruntime"] = lambda x: session.run(None, {name: x})[0]
    except ImportError as exc:
        out(f"onnx or onnxruntime not installed ({exc}): skipped")
    return found


def seconds_per_call(fn, x, calls) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn(x)
    return (time.perf_counter() - start) / calls


def interleaved(predictors, x, calls, blocks, pause) -> dict:
    """``{name: [seconds per call, one per block]}``, the predictors in a new order in every block."""
    times = {name: [] for name in predictors}
    order = list(predictors)
    for fn in predictors.values():  # warm-up: first-touch allocations, thread start-up
        seconds_per_call(fn, x, max(1, calls // 10))
    for block in range(blocks):
        random.Random(block).shuffle(order)
        for name in order:
            time.sleep(pause)
            times[name].append(seconds_per_call(predictors[name], x, calls))
    return times


def paired(times, a, b) -> float:
    return statistics.median(x / y for x, y in zip(times[a], times[b]))


def report(title, times, unit, to_unit, out, throughput=False) -> None:
    """One line per predictor; the ratios are of times (batch 1) or of throughputs (``throughput=True``)."""
    names = list(times)
    peer_names = [n for n in ("torch", "onnxruntime") if n in times]
    out(title)
    out(f"{'':<24}{'median':>12}{'range':>22}" + "".join(f"{'vs ' + p:>16}" for p in peer_names))
    for name in names:
        values = [to_unit(t) for t in times[name]]
        ratios = "".join(f"{paired(times, p, name) if throughput else paired(times, name, p):>15.2f}x"
                         for p in peer_names)
        spread = f"{min(values):,.1f}-{max(values):,.1f}"
        out(f"{name:<24}{statistics.median(values):>12,.1f}{spread:>22}{ratios}  {unit}")


def main(argv=None, out=print) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: few, short blocks")
    parser.add_argument("--networks", default="relu,sigmoid", help="comma-separated: relu, sigmoid")
    parser.add_argument("--calls", type=int, default=300, help="calls per block at batch 1")
    parser.add_argument("--blocks", type=int, default=31, help="blocks at batch 1")
    parser.add_argument("--repeats", type=int, default=11, help="blocks (one call each) at batch 10,000")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds before each timed block")
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.blocks, args.repeats, args.pause = 20, 3, 2, 0.0
    for line in machine():
        out(line)
    misses, results = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for name in args.networks.split(","):
            net = network(name)
            X = np.random.default_rng(1).random((BIG, net.n_in), dtype=np.float32)
            predictors = {"glassnet predict_proba": net.predict_proba, "glassnet predict": net.predict,
                          **peers(net, folder, out)}
            reference = net.predict_proba(X[:256])
            for peer, fn in predictors.items():
                got = fn(X[:256])
                same = np.array_equal(got, reference.argmax(axis=1)) if peer == "glassnet predict" else \
                    float(np.abs(got - reference).max()) < 1e-4
                if not same:
                    raise AssertionError(f"{peer} predicts otherwise than glassnet's predict_proba")
            one = X[:1].copy()
            single = interleaved(predictors, one, args.calls, args.blocks, args.pause)
            big = interleaved(predictors, X, 1, args.repeats, args.pause)
            sizes = "-".join(map(str, NETWORKS[name][0]))
            out("")
            report(f"{sizes} {name}, float32, batch 1: time per call over {args.blocks} blocks of {args.calls} "
                   "calls; ratios of times (lower is faster), medians of the per-block ratios", single, "us",
                   lambda t: t * 1e6, out)
            report(f"{sizes} {name}, float32, batch {BIG:,}: over {args.repeats} calls; ratios of throughputs "
                   "(higher is faster), medians of the per-block ratios", big, "samples/s", lambda t: BIG / t, out,
                   throughput=True)
            results[name] = {"batch 1": single, f"batch {BIG}": big}
            g = "glassnet predict_proba"
            if "torch" in single and paired(single, g, "torch") > 0.5:
                misses.append(f"{name} batch 1: {paired(single, g, 'torch'):.2f}x PyTorch's time (target <= 0.5x)")
            if "onnxruntime" in single:
                if paired(single, g, "onnxruntime") > 1.0:
                    misses.append(f"{name} batch 1: {paired(single, g, 'onnxruntime'):.2f}x ONNX Runtime's time "
                                  "(target <= 1.0x)")
                throughput = 1 / paired(big, g, "onnxruntime")
                if throughput < 0.9:
                    misses.append(f"{name} batch {BIG:,}: {throughput:.2f}x ONNX Runtime's throughput "
                                  "(target >= 0.9x)")
    out("")
    out("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
