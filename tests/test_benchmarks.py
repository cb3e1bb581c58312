"""The benchmark scripts run: tiny modes of them, with glassnet alone (the peers are not dependencies).

Speed is measured by the benchmarks, never asserted here.
"""

import re
import subprocess
import sys
from pathlib import Path

BENCH_MATRIX = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_matrix.py"


def run_matrix(*args) -> list[str]:
    done = subprocess.run([sys.executable, str(BENCH_MATRIX), *args], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_bench_matrix_smoke_trains_every_cell():
    lines = run_matrix("--smoke")
    assert lines[0].startswith("machine: ") and " cores" in lines[0]
    assert lines[1].startswith("python ") and "numpy" in lines[1]
    assert lines[2].startswith("glassnet ")
    header = next(line for line in lines if line.startswith("optimizer"))
    assert header.split()[6:8] == ["glassnet", "floor"]
    rows = [line.split() for line in lines if re.match(r"(sgd|momentum|adam) ", line)]
    assert [row[:5] for row in rows] == [["sgd", "relu", "tabular", "32", "float32"],
                                         ["adam", "tanh", "tabular", "128", "float32"],
                                         ["momentum", "sigmoid", "mnist", "1", "float32"]]
    for row in rows:
        samples, glassnet, floor = (float(v.replace(",", "")) for v in row[5:8])
        assert samples > 0 and glassnet > 0 and floor > 0
        assert row[8] == "-"  # no peer ran
        assert abs(float(row[9]) - glassnet / floor) < 0.01 + 0.01 * glassnet / floor  # printed to 2 decimals
    assert any(line.startswith("misses: ") for line in lines)


def test_bench_matrix_smoke_memory_of_glassnet():
    lines = run_matrix("--smoke", "--section", "memory")
    for task in ("fit", "predict"):
        row = next(line for line in lines if line.startswith(f"glassnet {task}")).split()
        baseline, peak, extra, code, again = map(float, row[2:7])
        assert baseline > 0 and peak >= baseline and extra >= 0 and again >= 0
    assert any(line.startswith("tracemalloc in glassnet's fit") for line in lines)
