"""load_csv on big CSV files: speed (MB/s) and peak memory, against the reader it replaced and its peers.

Two files are generated in a temporary folder (deleted at the end), each about ``--size-mb`` MB:

* mnist: a header, then rows of a label 0-9 and 784 pixels 0-255, four in five of them 0, as in MNIST's CSV;
* table: a header, then rows of 50 numbers written with 6 decimals (half of them negative) and a label
  that is one of three names.

Every reader loads every file in a child process of its own, so that one load's memory does not count in
the next; each cell of the table is the median of ``--repeats`` loads (the readers take turns):

* MB/s: the file's size over the wall-clock seconds of the call;
* peak MB: the child's peak resident memory during the call (Linux's VmHWM, reset just before it; elsewhere
  ``ru_maxrss``) minus its resident memory just before the call;
* array MB: the size of what the call returns (X and y; for pandas, the DataFrame with its strings);
* peak/array: the two above divided.

The readers:

* ``load_csv``: this tree's ``glassnet.data.load_csv`` (``load_csv f32``: with ``dtype="float32"``);
* ``before``: ``load_csv`` as it was before it read in blocks (the newest commit of glassnet/data.py with
  ``_read_rows``, the csv module cell by cell), taken from git; it is slow, so it runs ``--before-repeats``
  times (1 unless told); ``--no-before`` skips it, as does a checkout without git;
* ``np.loadtxt``: NumPy's C reader on the whole file in one call, the label column through a converter;
* ``pandas``: ``pandas.read_csv(path)``, when pandas is installed (it is not a glassnet dependency).

The machine is shared in many setups: run it alone, two or three times, and quote medians. Run from the
repository root::

    python benchmarks/bench_csv.py              # two files of about 200 MB (several minutes, most of it 'before')
    python benchmarks/bench_csv.py --quick      # two files of about 5 MB, one load each: a smoke test
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_vs_peers import cpu_name  # the same machine line as the training benchmark

REPO = Path(__file__).resolve().parent.parent
NAMES = ["setosa", "versicolor", "virginica"]
READERS = ["load_csv", "load_csv f32", "before", "np.loadtxt", "pandas"]
HEADER = f"{'reader':14s} {'MB/s':>8s} {'seconds':>8s} {'peak MB':>8s} {'array MB':>9s} {'peak/array':>10s}  loads"


# ---------------------------------------------------------------- the files
def write_mnist(path: Path, size: int, seed=0) -> int:
    """About ``size`` bytes of MNIST-like CSV; returns the number of rows."""
    rng = np.random.default_rng(seed)
    rows = 0
    with open(path, "w", newline="") as f:
        f.write("label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)) + "\n")
        while f.tell() < size:
            block = rng.integers(0, 256, size=(2000, 785))
            block[:, 1:][rng.random((2000, 784)) < 0.8] = 0
            block[:, 0] %= 10
            np.savetxt(f, block, fmt="%d", delimiter=",")
            rows += len(block)
    return rows


def write_table(path: Path, size: int, seed=0) -> int:
    """About ``size`` bytes of 50 six-decimal numbers and a name per row; returns the number of rows."""
    rng = np.random.default_rng(seed)
    rows = 0
    with open(path, "w", newline="") as f:
        f.write(",".join(f"f{j}" for j in range(50)) + ",species\n")
        while f.tell() < size:
            X = rng.standard_normal((5000, 50)) * 10
            labels = rng.integers(0, 3, size=5000)
            f.writelines(",".join(f"{v:.6f}" for v in row) + f",{NAMES[k]}\n" for row, k in zip(X, labels))
            rows += len(X)
    return rows


# ---------------------------------------------------------------- 'before': load_csv from git
def before_commit() -> str | None:
    """The newest commit whose glassnet/data.py still has ``_read_rows`` (None without git or such a commit)."""
    try:
        log = subprocess.run(
            ["git", "-C", str(REPO), "log", "--format=%H", "--", "glassnet/data.py"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    for commit in log:
        source = git_source(commit)
        if "def _read_rows(" in source:
            return commit
    return None


def git_source(commit: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "show", f"{commit}:glassnet/data.py"], capture_output=True, text=True, check=True
    ).stdout


# ---------------------------------------------------------------- one load, in a child process
def resident_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def reset_peak() -> bool:
    """Start the peak-memory count afresh (Linux: VmHWM := VmRSS); False where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_kb(reset: bool) -> int:
    """The peak resident memory since ``reset_peak`` (or since the process started)."""
    if reset:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def child(reader: str, path: str, shape: str, before_file: str | None) -> dict:
    """Load ``path`` with ``reader`` in this (fresh) process: seconds, peak memory over the start, array bytes."""
    target = 0 if shape == "mnist" else None
    if reader in ("load_csv", "load_csv f32"):
        from glassnet.data import load_csv

        dtype = "float32" if reader == "load_csv f32" else "float64"

        def load():
            return load_csv(path, target=target, dtype=dtype)

    elif reader == "before":
        spec = importlib.util.spec_from_file_location("glassnet_data_before", before_file)
        before = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(before)

        def load():
            return before.load_csv(path, target=target)

    elif reader == "np.loadtxt":
        converters = None if shape == "mnist" else {50: NAMES.index}

        def load():
            return np.loadtxt(path, delimiter=",", skiprows=1, converters=converters)

    else:
        import pandas

        def load():
            return pandas.read_csv(path)

    start_kb = resident_kb()
    reset = reset_peak()
    start = time.perf_counter()
    result = load()
    seconds = time.perf_counter() - start
    peak = peak_kb(reset)
    if reader == "pandas":
        nbytes = int(result.memory_usage(deep=True).sum())
    elif isinstance(result, np.ndarray):
        nbytes = result.nbytes
    else:
        nbytes = result.X.nbytes + (0 if result.y is None else result.y.nbytes)
    return {"seconds": seconds, "peak": (peak - start_kb) * 1024, "nbytes": nbytes}


def run_child(reader, path, shape, before_file, timeout) -> dict | None:
    command = [sys.executable, __file__, "--child", reader, str(path), shape, str(before_file)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report
def machine() -> str:
    cpu = cpu_name()
    try:
        import pandas

        pandas_version = f"pandas {pandas.__version__}"
    except ImportError:
        pandas_version = "pandas not installed"
    return (
        f"{cpu}, {os.cpu_count()} cores; python {platform.python_version()}, numpy {np.__version__}, "
        f"{pandas_version}"
    )


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=200.0, help="the size of each file (default 200)")
    parser.add_argument("--repeats", type=int, default=3, help="loads per reader and file (default 3)")
    parser.add_argument("--before-repeats", type=int, default=1, help="loads by 'before' per file (default 1)")
    parser.add_argument("--no-before", action="store_true", help="skip the old row-by-row reader")
    parser.add_argument("--readers", default=",".join(READERS), help=f"a comma-separated subset of {READERS}")
    parser.add_argument("--files", default="mnist,table", help="a comma-separated subset of mnist,table")
    parser.add_argument("--quick", action="store_true", help="files of about 5 MB, one load each")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed for one load (default 600)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        reader, path, shape, before_file = args.child
        print(json.dumps(child(reader, path, shape, before_file)))
        return
    if args.quick:
        args.size_mb, args.repeats, args.before_repeats = 5.0, 1, 1
    readers = [r.strip() for r in args.readers.split(",") if r.strip()]
    unknown = sorted(set(readers) - set(READERS))
    if unknown:
        parser.error(f"unknown readers {unknown}; choose from {READERS}")
    notes = []
    if "pandas" in readers and importlib.util.find_spec("pandas") is None:
        readers.remove("pandas")
        notes.append("pandas: not installed, skipped")
    commit = None
    if "before" in readers and not args.no_before:
        commit = before_commit()
        if commit is None:
            readers.remove("before")
            notes.append("before: no git history with the row-by-row reader, skipped")
    elif "before" in readers:
        readers.remove("before")

    print(machine())
    print(f"load average at start: {load_average()}")
    if commit:
        print(f"before = glassnet/data.py at commit {commit[:12]}")
    for note in notes:
        print(note)
    with tempfile.TemporaryDirectory(prefix="bench_csv_") as folder:
        folder = Path(folder)
        before_file = folder / "glassnet_data_before.py"
        if commit:
            before_file.write_text(git_source(commit))
        for shape in [s.strip() for s in args.files.split(",") if s.strip()]:
            path = folder / f"{shape}.csv"
            write = write_mnist if shape == "mnist" else write_table
            rows = write(path, int(args.size_mb * 1e6))
            size = path.stat().st_size
            print(f"\n{shape}: {size / 1e6:.1f} MB, {rows:,} rows")
            results = {reader: [] for reader in readers}
            for repeat in range(max(args.repeats, args.before_repeats if commit else 0)):
                for reader in readers:
                    wanted = args.before_repeats if reader == "before" else args.repeats
                    if repeat < wanted:
                        results[reader].append(run_child(reader, path, shape, before_file, args.timeout))
            print(HEADER)
            for reader, runs in results.items():
                failed = [r["error"] for r in runs if "error" in r]
                runs = [r for r in runs if "error" not in r]
                if not runs:
                    print(f"{reader:14s} failed: {failed[0] if failed else 'not run'}")
                    continue
                seconds = statistics.median(r["seconds"] for r in runs)
                peak = statistics.median(r["peak"] for r in runs)
                nbytes = runs[0]["nbytes"]
                print(
                    f"{reader:14s} {size / 1e6 / seconds:8.1f} {seconds:8.2f} {peak / 1e6:8.0f} {nbytes / 1e6:9.0f} "
                    f"{peak / nbytes:10.2f}  {len(runs)}" + (f" ({len(failed)} failed: {failed[0]})" if failed else "")
                )
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
