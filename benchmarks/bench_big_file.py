"""``glassnet train`` and ``glassnet predict`` on a big CSV file: seconds and peak memory, this tree against an
older one.

An MNIST-like file of about ``--size-mb`` MB is generated in a temporary folder (as ``bench_csv.py`` writes
it: a header, then a label 0-9 and 784 pixels 0-255 per row). Each command runs in a fresh process of its
own, which reports its wall-clock seconds and its peak resident memory (``ru_maxrss``):

* ``train --data FILE --target label --epochs 1 --layers 32 --quiet --out MODEL``: reading, the split,
  the preprocessing and one epoch (the epoch is a small part: the file's handling is what is measured);
* ``predict MODEL --data FILE --ignore label --out PREDICTIONS``.

``peak/array`` divides the peak by the size of the file's numbers as float64 (rows x 785 x 8 bytes), the
least any reader must hold. ``--before COMMIT`` runs the same commands with glassnet as it was at that
commit (checked out with ``git worktree`` in the temporary folder), taking turns with this tree, so that
the two are measured on the same machine at the same time. Run from the repository root::

    python benchmarks/bench_big_file.py --before 80a5ebd    # the reader cell by cell: about 15 minutes
    python benchmarks/bench_big_file.py --quick              # a 5 MB file, one run each: a smoke test
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(tree: str, argv: list) -> dict:
    """Run ``glassnet ARGV`` with the glassnet of ``tree`` in this process; its seconds and peak memory."""
    # an editable install's import hook would find this checkout's glassnet first: take it out
    sys.meta_path[:] = [finder for finder in sys.meta_path if "editable" not in type(finder).__module__.lower()
                        and "editable" not in repr(finder).lower()]
    sys.path.insert(0, tree)
    for name in [m for m in sys.modules if m == "glassnet" or m.startswith("glassnet.")]:
        del sys.modules[name]
    from glassnet.cli import main

    start = time.perf_counter()
    code = main(argv)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"code": code, "seconds": seconds, "peak": peak_kb * 1024}


def run(tree: Path, argv: list, timeout: float) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(tree), "--", *argv], capture_output=True,
                          text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    if result["code"] != 0:
        return {"error": f"exit code {result['code']}: {proc.stderr.strip()[-200:]}"}
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=200.0, help="the file's size (default 200)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per command and tree (default 3)")
    parser.add_argument("--before", metavar="COMMIT", help="also run glassnet as it was at this commit")
    parser.add_argument("--quick", action="store_true", help="a 5 MB file, one run each")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed for one run (default 900)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.child:
        print(json.dumps(child(args.child, rest[1:] if rest[:1] == ["--"] else rest)))
        return
    if args.quick:
        args.size_mb, args.repeats = 5.0, 1
    sys.path.insert(0, str(HERE))
    from bench_csv import load_average, machine, write_mnist  # the same file and machine line as bench_csv.py

    print(machine())
    print(f"load average at start: {load_average()}")
    root = HERE.parent
    with tempfile.TemporaryDirectory(prefix="bench_big_file_") as folder:
        folder = Path(folder)
        trees = {"this tree": root}
        if args.before:
            before = folder / "before"
            subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(before), args.before],
                           check=True, capture_output=True)
            trees[f"at {args.before}"] = before
        try:
            path = folder / "mnist.csv"
            rows = write_mnist(path, int(args.size_mb * 1e6))
            array = rows * 785 * 8
            print(f"file: {path.stat().st_size / 1e6:.1f} MB, {rows:,} rows x 785 numbers "
                  f"({array / 1e6:.0f} MB as float64)\n")
            commands = {
                "train": lambda model: ["train", "--data", str(path), "--target", "label", "--epochs", "1",
                                        "--layers", "32", "--quiet", "--out", str(model)],
                "predict": lambda model: ["predict", str(model), "--data", str(path), "--ignore", "label",
                                          "--out", str(folder / "predictions.csv")],
            }
            results = {(c, t): [] for c in commands for t in trees}
            for _ in range(args.repeats):
                for name, tree in trees.items():  # the trees take turns
                    model = folder / f"{name.replace(' ', '_')}.safetensors"
                    for command, make in commands.items():
                        results[command, name].append(run(tree, make(model), args.timeout))
            print(f"{'command':8s} {'glassnet':18s} {'seconds':>8s} {'peak MB':>8s} {'peak/array':>10s}  runs")
            for (command, name), runs in results.items():
                ok = [r for r in runs if "error" not in r]
                if not ok:
                    print(f"{command:8s} {name:18s} failed: {runs[0]['error']}")
                    continue
                seconds = statistics.median(r["seconds"] for r in ok)
                peak = statistics.median(r["peak"] for r in ok)
                print(f"{command:8s} {name:18s} {seconds:8.1f} {peak / 1e6:8.0f} {peak / array:10.2f}  {len(ok)}")
        finally:
            if args.before:
                subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(folder / "before")],
                               capture_output=True)
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
