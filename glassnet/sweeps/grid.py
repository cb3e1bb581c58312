"""A sweep's grid: the settings it varies, read and checked by ``glassnet train``'s own parser, and its trials.

``parse_grid``   ``KEY=V1,V2`` texts (or a dict) as ``{setting: [canonical value texts]}``
``trials``       every combination of the grid (or an explicit list of them) times the repeats, each a ``Trial``
                 with the settings its recipe trains with and its seed
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass, field

from glassnet.sweeps.recipes import RECIPES, get_recipe, trial_seed


class TrainFlags(argparse.ArgumentParser):
    """train's flags alone (``glassnet.flags``), refusing a value with a ValueError instead of exiting."""

    def error(self, message):
        raise ValueError(message)


def train_parser():
    from glassnet.flags import add_train_flags

    parser = TrainFlags(prog="glassnet train", add_help=False)
    add_train_flags(parser)
    return parser


def _parse_value(parser, key, text):
    """``text`` as train's ``--KEY`` would read it, in its canonical text; a ValueError naming the grid axis."""
    flag = "--layers" if key == "hidden" else "--" + key.replace("_", "-")
    given = text.replace("-", ",") if key == "layers" else text
    if key == "hidden" and not given.isdigit():
        raise ValueError(f"--grid hidden: expected a whole number of hidden nodes >= 1, got {text!r}")
    if key == "layers" and not all(part.isdigit() for part in text.split("-")):
        raise ValueError(f"--grid layers: expected layer sizes joined by dashes such as 128-64, got {text!r}")
    try:
        args = parser.parse_args([flag, given])
    except ValueError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise ValueError(f"--grid {key}: {reason}") from None
    value = args.layers if key in ("layers", "hidden") else getattr(args, key)
    if key in ("layers", "hidden"):
        sizes = [int(part) for part in value.split(",")]
        if min(sizes) < 1:
            raise ValueError(f"--grid {key}: layer sizes must be >= 1, got {text!r}")
        return "-".join(map(str, sizes))
    return repr(value) if isinstance(value, float) else str(value)


def _items(grid):
    """``grid`` as ``[(key, [value texts], where)]``: where names it in a message."""
    if isinstance(grid, dict):
        items = []
        for key, values in grid.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise TypeError(f"grid[{key!r}] must be a list of values, got {type(values).__name__} {values!r}")
            texts = ["-".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v) for v in values]
            items.append((str(key), texts, f"grid[{key!r}]"))
        return items
    if isinstance(grid, (list, tuple)):
        items = []
        for entry in grid:
            if not isinstance(entry, str) or "=" not in entry:
                raise ValueError(f"--grid expects KEY=V1,V2,... such as lr=0.01,0.1, got {entry!r}")
            key, _, values = entry.partition("=")
            items.append((key.strip(), [v.strip() for v in values.split(",")], f"--grid {entry}"))
        return items
    raise TypeError(f"grid must be a dict of setting -> values or a list of 'KEY=V1,V2' texts, got "
                    f"{type(grid).__name__}")


def parse_grid(grid, recipe="train") -> dict:
    """The grid as ``{setting: [canonical value texts]}``, in the order given.

    ``grid`` is a dict ``{setting: values}`` or a list of ``"KEY=V1,V2,..."``
    texts (the CLI's ``--grid``). Every value is read by ``glassnet train``'s
    own parser, so a value train refuses is refused here, naming the axis.
    Layer sizes are written with dashes (``layers=128-64,256``: two values).
    ``recipe`` names the settings a grid may vary (``glassnet.sweeps.RECIPES``).
    """
    axes = get_recipe(recipe).axes
    items = _items(grid)
    if not items:
        raise ValueError("--grid: give at least one setting to sweep, such as --grid lr=0.01,0.1")
    parser = train_parser()
    parsed = {}
    for key, texts, where in items:
        key = key.replace("-", "_")
        if key not in axes:
            what = "train settings" if recipe == "train" else f"the {recipe} recipe's settings"
            raise ValueError(f"{where}: unknown setting {key!r}; a grid varies {what}: {', '.join(axes)}")
        if key in parsed:
            raise ValueError(f"{where}: {key} is given twice; put all its values in one --grid {key}=...")
        if not texts or any(t == "" for t in texts):
            raise ValueError(f"{where}: an empty value; expected {key}=V1,V2,... with no empty entry")
        values = [_parse_value(parser, key, t) for t in texts]
        if len(set(values)) < len(values):
            raise ValueError(f"{where}: a value is given twice")
        parsed[key] = values
    if "hidden" in parsed and "layers" in parsed:
        raise ValueError("--grid hidden and --grid layers both set the hidden layers; give one of them")
    return parsed


@dataclass
class Trial:
    number: int          # its place in the sweep, from 1
    combination: dict    # setting -> canonical value text, the grid's axes only
    repeat: int          # from 1
    seed: int            # the seed of its weights and shuffling (its recipe's rule)
    settings: dict = field(repr=False)  # every setting the run uses


def combinations(grid: dict) -> list:
    """Every combination of a parsed grid, the last axis varying fastest."""
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def explicit(cells, recipe="train") -> tuple:
    """An explicit list of combinations (dicts of setting -> value, all with the same settings), each checked as
    a grid of one value per setting: ``(axes, combinations)``."""
    if isinstance(cells, (str, bytes, dict)) or not hasattr(cells, "__iter__"):
        raise TypeError(f"cells must be a list of dicts of setting -> value, got {type(cells).__name__}")
    cells = list(cells)
    if not cells:
        raise ValueError("cells: give at least one combination of settings")
    out = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise TypeError(f"cells[{i}] must be a dict of setting -> value, got {type(cell).__name__}")
        if list(cell) != list(cells[0]):
            raise ValueError(f"cells[{i}] sets {', '.join(map(str, cell))}; cells[0] sets "
                             f"{', '.join(map(str, cells[0]))}: every cell must set the same settings")
        parsed = parse_grid({k: [v] for k, v in cell.items()}, recipe)
        out.append({k: v[0] for k, v in parsed.items()})
    unique = list({json.dumps(c): c for c in out}.values())
    return list(out[0]), unique


def trials(grid, repeats=1, seed=0, recipe="train", options=None) -> list:
    """The trials of a parsed grid (a dict, or a list of combinations), each ``repeats`` times.

    ``options`` are the sweep's settings that are not axes (a table's target, say); the recipe checks each
    combination with them and gives every trial its settings and its seed.
    """
    rule = get_recipe(recipe)
    parser = train_parser()
    out = []
    for combination in (combinations(grid) if isinstance(grid, dict) else grid):
        settings = rule.settings(parser, combination, seed, options or {})
        for repeat in range(1, repeats + 1):
            out.append(Trial(len(out) + 1, combination, repeat, rule.seed(settings["seed"], combination, repeat),
                             settings))
    return out


__all__ = ["RECIPES", "Trial", "combinations", "explicit", "parse_grid", "train_parser", "trial_seed", "trials"]
