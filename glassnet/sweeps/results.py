"""A sweep's results: the CSV file (one row per trial, rewritten whole after every finished trial, so a killed
sweep leaves only whole rows and a rerun skips the trials it holds), ``SweepResult`` and its plot."""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass

IDENTITY = ("recipe", "data", "data_sha256", "options", "sweep_seed", "repeat")  # with the axes: a trial's key


def columns(axes, metrics) -> list:
    return ["trial", *IDENTITY, *axes, "trial_seed", "status", *metrics, "seconds", "engine", "error"]


def row_key(row: dict, axes) -> tuple:
    return tuple(str(row[k]) for k in (*IDENTITY, *axes))


def cell(value) -> str:
    """A metric as text: repr, the shortest text that reads back as the same float, so equal metrics are equal
    bytes in the file."""
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def read_rows(out, expected) -> list:
    """The rows of an existing results file (none if it does not exist); a file of another sweep is refused."""
    try:
        with open(out, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames
            rows = list(reader)
    except FileNotFoundError:
        return []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"--out {out}: not a sweep's results file ({exc})") from None
    if header is None:
        return []
    if header != expected:
        raise ValueError(f"--out {out} holds another sweep's results (columns {', '.join(header)}); give a new "
                         "--out, or the same --grid settings to go on with it")
    return rows


def write_rows(out, header, rows):
    from glassnet.files import write_atomically

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomically(out, buffer.getvalue().encode("utf-8"), "--out")


@dataclass
class SweepResult:
    """What ``sweep`` did: ``rows`` (this sweep's rows of the results file, as text, in trial order), ``axes`` (the
    swept settings), ``ran`` and ``failed`` (trials run now, and how many of them failed), ``skipped`` (trials
    the file already held), ``out`` (the file, or None), ``metric`` (the score ``text`` and ``plot`` show)."""

    rows: list
    axes: list
    ran: int
    failed: int
    skipped: int
    out: str | None
    metric: str = "test_accuracy"

    def summary(self, metric=None) -> list:
        """``(combination, [metric of each finished repeat])`` for every combination, in grid order."""
        metric = metric or self.metric
        groups = {}
        for row in self.rows:
            values = groups.setdefault(tuple(row[a] for a in self.axes), [])
            if row["status"] == "ok" and row[metric]:
                values.append(float(row[metric]))
        return list(groups.items())

    def text(self) -> str:
        """The mean, lowest and highest metric of every combination, as a table."""
        name = self.metric.replace("_", " ")
        width = [max(len(a), *(len(r[a]) for r in self.rows)) for a in self.axes]
        head = "  ".join(a.rjust(w) for a, w in zip(self.axes, width))
        lines = [f"{head}  {'mean ' + name:>{len(name) + 5}}  {'min':>6}  {'max':>6}  runs"]
        for combination, values in self.summary():
            cells = "  ".join(v.rjust(w) for v, w in zip(combination, width))
            if values:
                stats = f"{statistics.fmean(values):>{len(name) + 5}.4f}  {min(values):6.4f}  {max(values):6.4f}"
            else:
                stats = f"{'-':>{len(name) + 5}}  {'-':>6}  {'-':>6}"
            lines.append(f"{cells}  {stats}  {len(values):>4}")
        return "\n".join(lines)


def plot_results(result: SweepResult, path, metric=None) -> str:
    """One panel per swept setting: the metric of every finished trial against that setting (a dot each, so the
    spread over repeats and over the other settings shows) and their mean (a line), as Rashid plots his
    experiments. Writes a PNG and returns its path."""
    from matplotlib.figure import Figure

    from glassnet.files import write_atomically

    metric = metric or result.metric
    axes = [a for a in result.axes if len({r[a] for r in result.rows}) > 1] or result.axes
    fig = Figure(figsize=(4.0 * len(axes), 4.0), dpi=100, layout="constrained")
    panels = fig.subplots(1, len(axes), sharey=True, squeeze=False)[0]
    finished = [r for r in result.rows if r["status"] == "ok" and r[metric]]
    for ax, name in zip(panels, axes):
        values = list(dict.fromkeys(r[name] for r in result.rows))  # grid order
        xs = [values.index(r[name]) for r in finished]
        ys = [float(r[metric]) for r in finished]
        jitter = [((i * 0.618) % 1 - 0.5) * 0.2 for i in range(len(xs))]  # side by side, not on top of each other
        ax.scatter([x + j for x, j in zip(xs, jitter)], ys, s=12, alpha=0.5, label="one trial")
        means = [statistics.fmean(y for x, y in zip(xs, ys) if x == i) if i in xs else math.nan
                 for i in range(len(values))]
        ax.plot(range(len(values)), means, marker="o", color="black", label="mean")
        ax.set_xticks(range(len(values)), values)
        ax.set(xlabel=name, title=f"{metric.replace('_', ' ')} vs {name}")
        ax.grid(alpha=0.3)
    panels[0].set_ylabel(metric.replace("_", " "))
    panels[0].legend(loc="best", fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return write_atomically(path, buffer.getvalue(), "--plot")


__all__ = ["IDENTITY", "SweepResult", "cell", "columns", "plot_results", "read_rows", "row_key", "write_rows"]
