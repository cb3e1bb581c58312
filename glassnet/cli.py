"""The ``glassnet`` command line.

Errors never show a traceback: a usage or input error prints one line on
stderr and exits with 2; any other failure prints one line and exits with 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import glassnet
from glassnet import tutorials


class UsageError(Exception):
    """A problem with the command line or its input files (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def progress_bar(total_epochs, quiet=False):
    """A tqdm bar as a ``fit`` callback: epoch, loss, accuracy, validation accuracy.

    Returns ``(callback, bar)``; the bar is disabled with ``quiet`` or when
    stderr is not a terminal, so logs and pipes stay clean.
    """
    from tqdm import tqdm

    bar = tqdm(total=total_epochs, unit="epoch", desc="training", disable=quiet or not sys.stderr.isatty())

    def callback(epoch, history):
        stats = {"loss": f"{history.loss[-1]:.4f}", "acc": f"{history.accuracy[-1]:.3f}"}
        if history.val_accuracy:
            stats["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
        bar.set_postfix(stats, refresh=False)
        bar.update(1)

    return callback, bar


# ------------------------------------------------------------------ commands
def cmd_tutorial(args):
    options = {}
    if args.train or args.test:
        if args.name != "rashid":
            raise UsageError("--train/--test are options of the rashid tutorial only")
        if not (args.train and args.test):
            raise UsageError("give both --train PATH and --test PATH (MNIST CSV files)")
        options = {"train": args.train, "test": args.test}
    result = tutorials.run(args.name, trace=args.trace, **options)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(result.text())


def digits_demo(quiet=False, epochs=30, seed=0):
    """Train a 64-32-10 network on scikit-learn's 8x8 digits; return (net, history, test metrics)."""
    from glassnet.datasets import digits, train_test_split

    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_fraction=0.25, seed=seed)
    net = glassnet.Network(
        [glassnet.Dense(64, 32, "tanh"), glassnet.Dense(32, 10, "softmax")], loss="cross_entropy", seed=seed
    )
    callback, bar = progress_bar(epochs, quiet)
    with bar:
        history = net.fit(
            X_train, y_train, epochs=epochs, batch_size=16, lr=0.1, validation_data=(X_test, y_test),
            callbacks=[callback],
        )
    return net, history, net.evaluate(X_test, y_test)


def cmd_demo(args):
    from glassnet.tutorials import stairs

    print("glassnet demo, part 1: one training step of the stairs worked example (GormAnalysis)")
    print("-" * 78)
    net, X, Y = stairs.worked_example()
    trace = glassnet.trace_step(net, X, Y, lr=0.1)
    print(trace.render("augmented", parts=("forward", "loss")))
    print("\n(run 'glassnet tutorial stairs --trace' for the backward pass and the update)\n")

    print("glassnet demo, part 2: a 64-32-10 network on scikit-learn's 8x8 digits")
    print("-" * 78)
    net, history, metrics = digits_demo(quiet=args.quiet)
    print(net.summary())
    print(f"\ntrained {history.epochs} epochs: final training loss {history.loss[-1]:.4f}")
    print(f"test accuracy: {metrics['accuracy']:.4f} on {metrics['n_samples']} held-out digits")


# ---------------------------------------------------------------------- main
def build_parser():
    parser = _Parser(
        prog="glassnet",
        description="A from-scratch NumPy neural-network library that shows its work.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {glassnet.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("demo", help="a worked example with its trace, then a digits network with a progress bar")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("tutorial", help="reproduce one of the four tutorials number for number")
    p.add_argument("name", choices=sorted(tutorials.TUTORIALS), help="which tutorial")
    p.add_argument("--trace", action="store_true", help="print every matrix of every step")
    p.add_argument("--json", action="store_true", help="machine-readable results instead of text")
    p.add_argument("--train", metavar="PATH", help="rashid only: MNIST training data in CSV form")
    p.add_argument("--test", metavar="PATH", help="rashid only: MNIST test data in CSV form")
    p.set_defaults(run=cmd_tutorial)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        args.run(args)
        return 0
    except UsageError as exc:
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"glassnet: error: {_first_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (e.g. `| head`) has gone: stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise is one line, never a traceback
        print(f"glassnet: failed: {type(exc).__name__}: {_first_line(exc)}", file=sys.stderr)
        return 1


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
