"""``glassnet sweep``: its flags and what it prints. The sweep itself is ``glassnet.sweeps.sweep``."""

from __future__ import annotations

import sys

from glassnet.flags import add_table_flags
from glassnet.sweeps import ENGINES, SETTINGS, sweep


def add_command(subparsers):
    """Add ``glassnet sweep`` to the CLI's subparsers; it calls ``run(args)``."""
    summary = "train for every combination of some train settings, several times, and keep the scores in a CSV"
    p = subparsers.add_parser("sweep", help=summary, description=summary[0].upper() + summary[1:] + ".")
    p.add_argument("--data", default="digits", metavar="DATA",
                   help="a built-in data set (digits, iris, stairs, stairs4, mnist5k), a CSV file or a folder of "
                        "MNIST files (default: digits)")
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2",
                   help=f"a train setting and its values, such as lr=0.01,0.1; repeat for more settings. Settings: "
                        f"{', '.join(SETTINGS)} (hidden=N: one hidden layer; layers=128-64: sizes with dashes; "
                        "missing: CSV files only)")
    p.add_argument("--repeats", type=int, default=1, metavar="N", help="trials per combination (default: 1)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="the sweep's seed: the data split and every trial's seed (default: 0)")
    add_engine_flags(p)
    p.add_argument("--out", default="sweep.csv", metavar="CSV",
                   help="the results file; trials it holds are not run again (default: sweep.csv)")
    p.add_argument("--plot", metavar="PNG", help="write the metric against each swept setting to this PNG file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_table_flags(p)
    p.set_defaults(run=run)
    return p


def add_engine_flags(p):
    """--engine, --address and --workers: where the trials run (a sweep's, and an experiment's that sweeps)."""
    p.add_argument("--engine", default="local", choices=ENGINES,
                   help="local: processes on this machine; ray: Ray tasks (pip install 'glassnet[ray]') "
                        "(default: local)")
    p.add_argument("--address", metavar="ADDR",
                   help="ray only: an existing Ray cluster, HOST:PORT, ray://HOST:PORT or auto (default: a local "
                        "Ray started for the sweep)")
    p.add_argument("--workers", type=int, metavar="N", help="trials at once on this machine (default: its CPUs)")


def run(args):
    """``glassnet sweep``: run the sweep, then print each combination's scores. Ctrl-C keeps the finished trials."""
    def say(line):
        print(line, flush=True)

    table = {k: getattr(args, k) for k in ("target", "ignore", "task", "categorical", "numeric", "missing",
                                           "delimiter")}
    try:
        result = sweep(args.data, args.grid, repeats=args.repeats, seed=args.seed, engine=args.engine,
                       address=args.address, workers=args.workers, out=args.out, plot=args.plot, quiet=args.quiet,
                       echo=say, **table)
    except KeyboardInterrupt:
        print(f"glassnet: sweep stopped; the finished trials are in {args.out}: run the same command to go on",
              file=sys.stderr)
        raise
    print(result.text())
    print(f"ran {result.ran} trials ({result.failed} failed), {result.skipped} were already done; "
          f"results in {result.out}")
    if args.plot:
        print(f"saved the plot to {args.plot}")


__all__ = ["add_command", "add_engine_flags", "run"]
