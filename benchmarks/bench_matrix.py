"""glassnet against its peers over a matrix of training set-ups, plus inference and memory.

**Training** (``--section train``). A set-up is an optimizer (SGD, SGD with
momentum 0.9, Adam), a hidden-layer activation (relu, sigmoid, tanh), a network
(tabular 20-32-32-3, MNIST-sized 784-256-128-10, wide 784-1024-1024-10; every
one ends in softmax with cross entropy), a batch size (1, 32, 128, 1024) and a
dtype (float32, float64). All 216 combinations would take hours, so the run
takes three slices of them (64 cells):

* every optimizer x network x batch size, in float32 with relu (36 cells): the
  core, where the optimizer's per-step cost and the network's size meet;
* sigmoid and tanh, with plain SGD in float32, on the tabular and MNIST-sized
  networks at every batch size (16 cells): the activation is elementwise work,
  which weighs most where the products are small; on the wide network the
  products swamp it;
* float64, with plain SGD and Adam and relu, on every network at batch 32 and
  1024 (12 cells): float64 doubles the bytes of every product and update, which
  shows at large batches (arithmetic) and small ones (reading the weights).

``--quick`` runs nine cells spread over the same slices with shorter runs,
``--smoke`` three tiny ones with glassnet and the floor only (what the test
runs; with ``--section memory``, glassnet's memory on 2,000 rows), and
``--only network=mnist --only batch=128,1024`` keeps the cells that match;
``--list`` prints the cells and their sizes without running them.

The trainers (``_peers.py`` has them): glassnet's public ``Network.fit``;
PyTorch eager (an ordinary ``nn.Sequential`` / ``torch.optim`` loop, as many
threads as cores); JAX with a jitted training step (``jax.grad`` and the update
in ``jax.numpy``; ``jax_enable_x64`` for float64 cells); scikit-learn's
``MLPClassifier`` (no L2, constant learning rate, heavy-ball momentum; it has
every set-up of the matrix and keeps float32 input in float32); and the matmul
floor: only the matrix products one training step needs (per layer ``A_prev @
W``, ``A_prev.T @ dZ`` and, above the first layer, ``dZ @ W.T``), in NumPy, in
the same dtype. Every cell trains on synthetic, seeded data: a fixed number of
samples, sized from a rough model of the slowest peer's speed so that one run of
each trainer takes about 0.5-2 seconds (several shuffled epochs over at most
16,384 rows for the 784-input networks, 65,536 for the tabular one). Each
trainer first runs a few batches untimed (warm-up, JAX's compilation); then the
trainers take turns, cell by cell, ``--repeats`` times (the order rotating), and
each cell reports the median. Every timed run follows a few untimed batches of
the same trainer, so that the threads the trainer before it left spinning do
not share the cores with its start. Targets, marked per cell and listed at the end:
glassnet >= 1.2x the fastest peer (torch, jax, sklearn) at batch 1 and 32,
>= 1.0x at 128 and 1024; with momentum and Adam at batch >= 128 >= 0.75 of the
floor; plain SGD at batch 1024 >= 0.80 of the floor.

**Inference** (``--section predict``). ``predict_proba`` of the MNIST-sized
network (relu, float32): the latency of one sample (the median over blocks of
calls) and the throughput at batch 10,000 (the median of single calls), each
timing after untimed calls of the same predictor (the one before leaves its
threads spinning a while), against PyTorch (the same network
from ``glassnet.io.to_torch``, eval mode, under ``torch.inference_mode``, NumPy
in and out) and ONNX Runtime running glassnet's own export
(``glassnet.io.to_onnx``; CPUExecutionProvider, as many intra-op threads as
cores). Targets: batch 1 at most 0.5x PyTorch's time and at most 1.0x ONNX
Runtime's; batch 10,000 at least 0.9x ONNX Runtime's throughput.

**Memory** (``--section memory``). Each measurement runs in a fresh child
process: imports, then 60,000 x 784 float32 rows and their labels made from a
seed (in chunks, so no temporary copy), then the untrained 784-256-128-10 relu
model; its resident set size then is the baseline. The Linux peak (VmHWM) is
reset there (``/proc/self/clear_refs``), the operation runs, and the report
gives the peak minus the baseline: every page the process touched on top of
what it held, the library's lazily loaded code and thread stacks included.
Measured: one epoch of training (batch 128, plain SGD) and ``predict`` on all
rows, for glassnet and PyTorch. Target: glassnet's training peak no more than
PyTorch's. A last child traces glassnet's ``fit`` with ``tracemalloc`` (NumPy
reports its array allocations to it; BLAS's own buffers it does not see): the
peak of traced memory, what is held at the end of the epoch and by which lines.

Run from the repository root (the peers are not glassnet dependencies)::

    pip install torch scikit-learn jax onnxruntime
    python benchmarks/bench_matrix.py                  # everything (about 20 minutes on 2 cores)
    python benchmarks/bench_matrix.py --quick          # a smoke test of every section (1-2 minutes)
    python benchmarks/bench_matrix.py --section train --only network=wide --only optimizer=adam
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _peers import ACTIVATIONS, BATCH_SIZES, DTYPES, NETWORKS, OPTIMIZERS, PEERS, Setup, cores, machine, make_data
from bench_csv import reset_peak  # VmHWM := VmRSS, as the CSV benchmark measures its peaks

import glassnet

RIVALS = ("torch", "jax", "sklearn")  # the floor is a yardstick, not a peer
ROWS_CAP = {"tabular": 65_536, "mnist": 16_384, "wide": 16_384}  # multiples of every batch size
MEMORY_ROWS = 60_000
MEMORY_SETUP = Setup("sgd", "relu", "mnist", 128, "float32")


# ---------------------------------------------------------------- the cells
def plan(mode="full") -> list[Setup]:
    """The sampled cells of the matrix (the module's docstring says why these)."""
    if mode == "smoke":
        return [Setup("sgd", "relu", "tabular", 32, "float32"), Setup("adam", "tanh", "tabular", 128, "float32"),
                Setup("momentum", "sigmoid", "mnist", 1, "float32")]
    if mode == "quick":
        return [
            Setup("sgd", "relu", "tabular", 1, "float32"), Setup("momentum", "relu", "tabular", 32, "float32"),
            Setup("momentum", "relu", "mnist", 128, "float32"), Setup("adam", "relu", "mnist", 1024, "float32"),
            Setup("sgd", "relu", "wide", 1024, "float32"), Setup("sgd", "tanh", "tabular", 32, "float32"),
            Setup("sgd", "sigmoid", "mnist", 128, "float32"), Setup("adam", "relu", "tabular", 32, "float64"),
            Setup("sgd", "relu", "mnist", 1024, "float64"),
        ]
    cells = [Setup(o, "relu", n, b, "float32") for n in NETWORKS for o in OPTIMIZERS for b in BATCH_SIZES]
    cells += [Setup("sgd", a, n, b, "float32") for a in ("sigmoid", "tanh") for n in ("tabular", "mnist")
              for b in BATCH_SIZES]
    cells += [Setup(o, "relu", n, b, "float64") for o in ("sgd", "adam") for n in NETWORKS for b in (32, 1024)]
    return cells


def seconds_per_sample(setup: Setup) -> float:
    """A rough guess at the slowest usual peer's time per sample (PyTorch's or scikit-learn's), for sizing runs.

    A step costs a fixed overhead (the Python and dispatch of a 3-layer step,
    more for optimizers with state), reading the weights a few times (what
    dominates small batches on a large network), and the products' arithmetic
    at 50 GFLOP/s in float32, half that in float64 (what these libraries reach
    on 2 cores). Only the sizes of the runs depend on it.
    """
    sizes, item = setup.sizes, setup.np_dtype.itemsize
    weights = [a * b for a, b in zip(sizes, sizes[1:])]
    flops = 2 * (2 * sum(weights) + sum(weights[1:]))  # forward, dW, and dX above the first layer
    overhead = {"sgd": 5e-4, "momentum": 6e-4, "adam": 7e-4}[setup.optimizer]
    traffic = 4 * sum(weights) * item / 10e9
    return (overhead + traffic) / setup.batch + flops / (50e9 * 4 / item)


def sizing(setup: Setup, target_s: float, min_batches: int) -> tuple[int, int]:
    """``(rows, epochs)`` for one timed run of ``setup``: about ``target_s`` seconds for the slowest peer."""
    B, cap = setup.batch, ROWS_CAP[setup.network]
    n = max(float(f"{target_s / seconds_per_sample(setup):.2g}"), min_batches * B)  # two significant digits
    if n <= cap:
        return int(n // B) * B, 1
    return cap, round(n / cap)


def matches(setup: Setup, only: dict) -> bool:
    return all(str(getattr(setup, key)) in values for key, values in only.items())


# ---------------------------------------------------------------- training
@dataclass
class Cell:
    setup: Setup
    samples: int
    speeds: dict = field(default_factory=dict)  # samples per second, the median of the repeats
    notes: dict = field(default_factory=dict)  # a trainer that did not finish: why
    seconds: float = 0.0  # the cell's wall time, data, warm-ups and every run included

    def fastest_rival(self):
        found = {name: s for name, s in self.speeds.items() if name in RIVALS}
        return max(found.items(), key=lambda item: item[1]) if found else (None, None)

    def ratios(self):
        """``(glassnet / fastest rival, that rival, glassnet / floor)``, None where a side is missing."""
        g = self.speeds.get("glassnet")
        rival, best = self.fastest_rival()
        vs_rival = g / best if g and best else None
        vs_floor = g / self.speeds["floor"] if g and self.speeds.get("floor") else None
        return vs_rival, rival, vs_floor

    def misses(self) -> list[str]:
        vs_rival, rival, vs_floor = self.ratios()
        out = []
        want = 1.2 if self.setup.batch <= 32 else 1.0
        if vs_rival is not None and vs_rival < want:
            out.append(f"{vs_rival:.3f}x {rival} (target {want:.1f}x)")
        floor_target = floor_goal(self.setup)
        if floor_target is not None and vs_floor is not None and vs_floor < floor_target:
            out.append(f"{vs_floor:.3f} of the floor (target {floor_target:.2f})")
        return out


def floor_goal(setup: Setup):
    if setup.optimizer in ("momentum", "adam") and setup.batch >= 128:
        return 0.75
    if setup.optimizer == "sgd" and setup.batch == 1024:
        return 0.80
    return None


def available(peers, out) -> list[str]:
    """The peers whose libraries import; the others are reported once and skipped."""
    modules = {"torch": "torch", "jax": "jax", "sklearn": "sklearn.neural_network"}
    kept = []
    for name in peers:
        try:
            if name in modules:
                __import__(modules[name])
            kept.append(name)
        except ImportError as exc:
            out(f"{name} not installed ({exc}): skipped")
    return kept


def time_cell(setup, peers, repeats, target_s, min_batches) -> Cell:
    """Train every peer on one cell's data in turns; the median of ``repeats`` runs each."""
    started = time.perf_counter()
    rows, epochs = sizing(setup, target_s, min_batches)
    X, y = make_data(rows, setup.sizes[0], setup.sizes[-1], setup.np_dtype, seed=0)
    cell = Cell(setup, rows * epochs)
    trainers = {}
    for name in peers:
        try:
            trainers[name] = PEERS[name](setup, X, y)
            trainers[name].warm()
        except glassnet.TrainingDiverged:
            cell.notes[name] = "diverged"
    times = {name: [] for name in trainers}
    for r in range(repeats):
        order = list(trainers)
        for name in order[r % len(order) :] + order[: r % len(order)]:
            if name in cell.notes:
                continue
            try:
                # untimed batches first: the trainer before this one leaves its threads spinning a while
                # (OpenBLAS's, PyTorch's, XLA's), and they would share the cores with this run's start
                trainers[name].warm()
                start = time.perf_counter()
                trainers[name].run(epochs)
            except glassnet.TrainingDiverged:
                cell.notes[name] = "diverged"
                continue
            times[name].append(time.perf_counter() - start)
    cell.speeds = {name: cell.samples / statistics.median(t) for name, t in times.items() if name not in cell.notes}
    cell.seconds = time.perf_counter() - started
    return cell


COLUMNS = f"{'optimizer':<9} {'act':<7} {'network':<7} {'batch':>5} {'dtype':<7} {'samples':>9}"


def cell_line(cell: Cell, peers) -> str:
    s = cell.setup
    text = f"{s.optimizer:<9} {s.activation:<7} {s.network:<7} {s.batch:>5} {s.dtype:<7} {cell.samples:>9,}"
    for name in peers:
        value = cell.speeds.get(name)
        text += f" {value:>10,.0f}" if value else f" {cell.notes.get(name, '-'):>10}"
    vs_rival, rival, vs_floor = cell.ratios()
    text += f"  {f'{vs_rival:.2f}x {rival}' if vs_rival else '-':<13}{f'{vs_floor:.2f}' if vs_floor else '-':>8}"
    misses = cell.misses()
    goal = floor_goal(s) is not None or vs_rival is not None
    return text + f"  {'MISS' if misses else 'ok' if goal else '':<6}{cell.seconds:>5.0f}"


def train_section(cells, peers, repeats, target_s, min_batches, out=print) -> list[Cell]:
    peers = available(peers, out)
    out(f"training: samples per second, median of {repeats}; vs peer = glassnet / the fastest of "
        f"{', '.join(p for p in RIVALS if p in peers) or 'no peer'}; vs floor = glassnet / the matmul floor; "
        "secs = the cell's wall time")
    titles = f"  {'vs peer':<13}{'vs floor':>8}  {'target':<6}{'secs':>5}"
    out(COLUMNS + "".join(f" {name:>10}" for name in peers) + titles)
    done = []
    for setup in cells:
        cell = time_cell(setup, peers, repeats, target_s, min_batches)
        done.append(cell)
        out(cell_line(cell, peers))
    missed = [(cell, text) for cell in done for text in cell.misses()]
    out("")
    out(f"misses: {len(missed)}, in {len({id(cell) for cell, _ in missed})} of {len(done)} cells"
        + (":" if missed else ""))
    for cell, text in missed:
        out(f"  {cell.setup.label()}: glassnet at {text}")
    return done


# ---------------------------------------------------------------- inference
def seconds_per_call(fn, x, calls) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn(x)
    return (time.perf_counter() - start) / calls


def inference_section(quick=False, out=print) -> dict:
    """``predict_proba`` latency at batch 1 and throughput at batch 10,000, against PyTorch and ONNX Runtime."""
    setup = Setup("sgd", "relu", "mnist", 1, "float32")
    X, y = make_data(10_000, setup.sizes[0], setup.sizes[-1], np.float32, seed=1)
    net = PEERS["glassnet"](setup, X[:64], y[:64]).model
    net.cast(np.float32)  # what a default fit leaves; the untrained weights take as long as trained ones
    predictors = {"glassnet": net.predict_proba}
    tmp = tempfile.TemporaryDirectory()
    try:
        import torch

        torch.set_num_threads(cores())
        model = glassnet.io.to_torch(net).eval()

        def torch_predict(x):
            with torch.inference_mode():
                return model(torch.from_numpy(x)).numpy()

        predictors["torch"] = torch_predict
    except ImportError as exc:
        out(f"torch not installed ({exc}): skipped")
    try:
        import onnxruntime

        path = glassnet.io.to_onnx(net, Path(tmp.name) / "mnist.onnx")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = cores()
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        predictors["onnxruntime"] = lambda x: session.run(None, {input_name: x})[0]
    except ImportError as exc:
        out(f"onnx or onnxruntime not installed ({exc}): skipped")

    reference = net.predict_proba(X[:256])
    for name, fn in predictors.items():
        gap = float(np.abs(fn(X[:256]) - reference).max())
        if gap > 1e-4:
            raise AssertionError(f"{name} predicts other probabilities than glassnet (largest difference {gap:.3g})")

    blocks, calls, repeats = (5, 200, 3) if quick else (21, 500, 7)
    one, big = X[:1], X
    latency = {name: [] for name in predictors}
    throughput = {name: [] for name in predictors}
    for fn in predictors.values():  # warm-up
        seconds_per_call(fn, one, 50)
        fn(big)
    # Each timing starts with untimed calls of the same predictor: the peer before it leaves its threads
    # spinning for a while (ONNX Runtime's pool, OpenBLAS's, PyTorch's), and they would share the cores with
    # the first calls of the next.
    for _ in range(blocks):
        for name, fn in predictors.items():
            seconds_per_call(fn, one, calls // 10)
            latency[name].append(seconds_per_call(fn, one, calls))
    for _ in range(repeats):
        for name, fn in predictors.items():
            fn(big)
            throughput[name].append(len(big) / seconds_per_call(fn, big, 1))
    tmp.cleanup()
    result = {name: (statistics.median(latency[name]), statistics.median(throughput[name])) for name in predictors}

    out(f"inference: predict_proba of {'-'.join(map(str, setup.sizes))} relu, float32; batch 1: median over {blocks} "
        f"blocks of {calls} calls; batch {len(big):,}: median of {repeats} calls; NumPy in, NumPy out")
    big_title = f"batch {len(big):,} (samples/s)"
    out(f"{'':<12}{'batch 1 (us)':>14}{'vs torch':>10}{'vs ORT':>8}{big_title:>28}{'vs ORT':>8}")

    def ratio(a, b):
        return f"{a / b:.2f}x" if b else "-"

    torch_s, ort = result.get("torch", (None, None)), result.get("onnxruntime", (None, None))
    for name, (seconds, sps) in result.items():
        out(f"{name:<12}{seconds * 1e6:>14.1f}{ratio(seconds, torch_s[0]):>10}{ratio(seconds, ort[0]):>8}"
            f"{sps:>28,.0f}{ratio(sps, ort[1]):>8}")
    g = result["glassnet"]
    checks = []
    if torch_s[0]:
        checks.append(("batch 1 <= 0.5x torch's time", g[0] / torch_s[0] <= 0.5))
    if ort[0]:
        checks += [("batch 1 <= 1.0x ORT's time", g[0] / ort[0] <= 1.0),
                   (f"batch {len(big):,} >= 0.9x ORT's throughput", g[1] / ort[1] >= 0.9)]
    out("targets: " + "; ".join(f"{what}: {'ok' if ok else 'MISS'}" for what, ok in checks))
    return result


# ---------------------------------------------------------------- memory
def _status_kib(*names) -> dict:
    """Fields of ``/proc/self/status`` in KiB (``VmRSS``, ``VmHWM``, ``RssFile``, ...); empty off Linux."""
    try:
        with open("/proc/self/status") as f:
            return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in f) if k in names}
    except OSError:
        return {}


def _settle_heap():
    """Give the C heap's free pages back to the system (glibc), so that the baseline holds no reusable free memory."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def memory_child(spec: dict) -> dict:
    """One memory measurement, in this (fresh) process; returns what the parent prints (sizes in KiB).

    The operation runs twice, each time measured from its own baseline: the
    first call pays the one-time costs too (library code read in, BLAS's
    buffers, thread stacks), the second shows what every further call needs.
    """
    import resource

    library, task, rows = spec["library"], spec["task"], spec["rows"]
    if library == "torch":
        import torch

        torch.set_num_threads(cores())
    setup = MEMORY_SETUP
    X, y = make_data(rows, setup.sizes[0], setup.sizes[-1], np.float32, seed=0)
    trainer = PEERS[library](setup, X, y)
    if task == "predict" and library == "glassnet":
        trainer.model.cast(np.float32)  # what a default fit leaves
    traced = {}

    def operation():
        if task == "trace":
            import tracemalloc

            tracemalloc.start()

            def at_epoch_end(epoch, history):
                traced["current"], traced["peak_so_far"] = tracemalloc.get_traced_memory()
                stats = tracemalloc.take_snapshot().statistics("lineno")
                traced["largest"] = [(f"{s.traceback[0].filename}:{s.traceback[0].lineno}", s.size, s.count)
                                     for s in stats[:8] if s.size >= 64 * 1024]

            optimizer = glassnet.optimizers.SGD(0.01)
            trainer.model.fit(X, y, epochs=1, batch_size=setup.batch, optimizer=optimizer, callbacks=[at_epoch_end])
            traced["after"], traced["peak"] = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        elif task == "fit":
            trainer.run(1)
        elif library == "glassnet":
            return trainer.model.predict(X)
        else:
            with torch.inference_mode():
                return trainer.model(torch.from_numpy(X)).argmax(dim=1).numpy()

    calls = []
    for _ in range(1 if task == "trace" else 2):
        _settle_heap()
        before = _status_kib("VmRSS", "RssFile")
        reset = reset_peak()
        result = operation()
        after = _status_kib("VmHWM", "RssFile")
        peak = after["VmHWM"] if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        calls.append({"baseline": before.get("VmRSS"), "peak": peak, "peak_reset": reset,
                      "file_growth": after.get("RssFile", 0) - before.get("RssFile", 0)})
        del result
    return {"calls": calls, "traced": traced}


def run_child(spec: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise RuntimeError(f"the memory child {spec} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_section(peers, rows=MEMORY_ROWS, out=print) -> dict:
    """Peak memory of one epoch of training and of ``predict``, glassnet and PyTorch, each in a fresh process."""
    libraries = [name for name in ("glassnet", "torch") if name in available(peers, out)]
    setup = MEMORY_SETUP
    out(f"memory: {rows:,} x {setup.sizes[0]} float32 rows ({rows * setup.sizes[0] * 4 / 1e6:.1f} MB) and int64 "
        f"labels; {'-'.join(map(str, setup.sizes))} relu; training = one epoch, batch {setup.batch}, plain SGD; "
        "each in a fresh process")
    out("counted: the peak resident set size during the operation (VmHWM, reset just before it) minus the resident "
        "set size just before it, after the imports, the data, the untrained model and malloc_trim; 'code' is the "
        "growth of the file-backed pages (the libraries' code and data read in for the operation), part of it; the "
        "2nd call repeats the operation in the same process, without the one-time costs")
    results = {}
    for task in ("fit", "predict"):
        for library in libraries:
            results[(library, task)] = run_child({"library": library, "task": task, "rows": rows})["calls"]
    if not results:
        return results
    mb = 1024
    out(f"{'':<18}{'baseline MB':>12}{'peak MB':>10}{'peak - baseline MB':>20}{'of it code MB':>15}"
        f"{'2nd call: peak - baseline MB':>30}")
    for (library, task), (first, second) in results.items():
        peak_note = "" if first["peak_reset"] else "  (the peak since the start: clear_refs refused)"
        out(f"{library + ' ' + task:<18}{first['baseline'] / mb:>12.1f}{first['peak'] / mb:>10.1f}"
            f"{(first['peak'] - first['baseline']) / mb:>20.1f}{first['file_growth'] / mb:>15.1f}"
            f"{(second['peak'] - second['baseline']) / mb:>30.1f}{peak_note}")
    if ("glassnet", "fit") in results and ("torch", "fit") in results:
        g_extra, t_extra = (results[(name, "fit")][0]["peak"] - results[(name, "fit")][0]["baseline"]
                            for name in ("glassnet", "torch"))
        out(f"target: glassnet's training peak <= torch's: {'ok' if g_extra <= t_extra else 'MISS'} "
            f"({g_extra / mb:.1f} MB against {t_extra / mb:.1f} MB over the baseline, first call)")
    if "glassnet" in libraries:
        traced = run_child({"library": "glassnet", "task": "trace", "rows": rows})["traced"]
        results[("glassnet", "trace")] = traced
        mib = 1024 * 1024
        out(f"tracemalloc in glassnet's fit (NumPy's arrays and Python objects, not BLAS's buffers): peak "
            f"{traced['peak'] / mib:.1f} MB; held at the end of the epoch {traced['current'] / mib:.1f} MB; "
            f"held after fit returned {traced['after'] / mib:.1f} MB")
        out("  the largest blocks held at the end of the epoch:")
        root = str(Path(glassnet.__file__).resolve().parents[1]) + os.sep
        for where, size, count in traced["largest"]:
            out(f"    {size / mib:8.2f} MB  {count:>5} blocks  {where.replace(root, '')}")
    return results


# ---------------------------------------------------------------- the command line
def parse_only(values) -> dict:
    keys = {"optimizer": OPTIMIZERS, "activation": ACTIVATIONS, "network": tuple(NETWORKS),
            "batch": tuple(map(str, BATCH_SIZES)), "dtype": DTYPES}
    only = {}
    for value in values:
        key, _, wanted = value.partition("=")
        if key not in keys:
            raise ValueError(f"--only {value!r}: the key must be one of {', '.join(keys)}")
        chosen = {w.strip() for w in wanted.split(",") if w.strip()}
        if not chosen or chosen - set(keys[key]):
            raise ValueError(f"--only {value!r}: {key} takes {', '.join(keys[key])}")
        only[key] = only.get(key, set()) | chosen
    return only


def say(line):
    print(line, flush=True)


def main(argv=None, out=say):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="nine cells, short runs, small memory data (1-2 minutes)")
    mode.add_argument("--smoke", action="store_true",
                      help="three tiny cells with glassnet and the floor (seconds; what the test runs)")
    parser.add_argument("--section", default=None,
                        help="comma-separated train,predict,memory (default all; --smoke: train)")
    parser.add_argument("--only", action="append", default=[], metavar="KEY=V1,V2",
                        help="keep the cells whose optimizer, activation, network, batch or dtype is one of the values")
    parser.add_argument("--peers", default=None,
                        help=f"comma-separated subset of {','.join(PEERS)} (default all; --smoke: glassnet,floor)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per cell (default 3; --smoke 1)")
    parser.add_argument("--list", action="store_true", help="print the cells and their sizes, run nothing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(memory_child(json.loads(args.child))))
        return None

    kind = "smoke" if args.smoke else "quick" if args.quick else "full"
    sections = (args.section or ("train" if kind == "smoke" else "train,predict,memory")).split(",")
    peers = (args.peers or ("glassnet,floor" if kind == "smoke" else ",".join(PEERS))).split(",")
    repeats = args.repeats or (1 if kind == "smoke" else 3)
    unknown = sorted(set(sections) - {"train", "predict", "memory"}) + sorted(set(peers) - set(PEERS))
    if unknown or repeats < 1:
        parser.error(f"unknown sections or peers: {unknown}" if unknown else "--repeats must be at least 1")
    try:
        only = parse_only(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    target_s, min_batches = {"full": (1.5, 8), "quick": (0.25, 4), "smoke": (0.01, 2)}[kind]
    cells = [c for c in plan(kind) if matches(c, only)]
    if args.list:
        for c in cells:
            rows, epochs = sizing(c, target_s, min_batches)
            out(f"{c.label():<40} {rows:>7,} rows x {epochs:>3} epochs = {rows * epochs:>10,} samples")
        return cells

    started = time.perf_counter()
    for line in machine():
        out(line)
    out(f"mode: {kind}; sections: {', '.join(sections)}; peers: {', '.join(peers)}; threads: NumPy's BLAS as above, "
        f"torch and onnxruntime {cores()}, JAX (XLA) its own pool")
    if hasattr(os, "getloadavg") and os.getloadavg()[0] > cores() / 2:
        out(f"warning: the machine is busy (load average {os.getloadavg()[0]:.1f} on {cores()} cores). A trainer "
            "with several threads slows down many times over when other processes take its cores (PyTorch with 2 "
            "threads trained 40x slower than with 1 at a load of 5): the numbers and ratios say little then")
    results = {}
    if "train" in sections:
        out("")
        results["train"] = train_section(cells, peers, repeats, target_s, min_batches, out)
    if "predict" in sections:
        out("")
        results["predict"] = inference_section(kind != "full", out)
    if "memory" in sections:
        out("")
        results["memory"] = memory_section(peers, {"full": MEMORY_ROWS, "quick": 10_000, "smoke": 2_000}[kind], out)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    out("")
    out(f"took {time.perf_counter() - started:.0f} s; load average at the end {load}")
    return results


if __name__ == "__main__":
    main()
