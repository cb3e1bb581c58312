"""The shape of the package: no import cycles, no private names used across modules, a small model module."""

import ast
from pathlib import Path

import pytest

import glassnet

PACKAGE = Path(glassnet.__file__).parent


def modules() -> dict:
    """``{"glassnet.network": Path, ...}`` for every module of the package (``glassnet`` is its __init__)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def imported_modules(name, tree) -> set:
    """Every package module that ``name`` imports, wherever the import statement is (functions included)."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    out.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .y import z
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                # "from glassnet import fastpath" imports a module; "from glassnet import Dense" runs the __init__
                out.add(target if target in MODULES else base)
    return {m for m in out if m in MODULES and m != name}


def import_graph() -> dict:
    return {name: imported_modules(name, ast.parse(path.read_text())) for name, path in MODULES.items()}


def find_cycle(graph):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles_in_function_level_imports():
    # the checker itself: a cycle closed by an import inside a function is still a cycle
    a = ast.parse("from glassnet.io import load\n")
    b = ast.parse("def save():\n    from glassnet.network import Network\n")
    graph = {"glassnet.network": imported_modules("glassnet.network", a), "glassnet.io": set()}
    graph["glassnet.io"] = imported_modules("glassnet.io", b)
    assert find_cycle(graph) == ["glassnet.io", "glassnet.network", "glassnet.io"]


def test_the_model_module_imports_no_training_code():
    graph = import_graph()
    assert graph["glassnet.network"].isdisjoint(
        {"glassnet.fastpath", "glassnet.blas", "glassnet.callbacks", "glassnet.schedules", "glassnet.history",
         "glassnet.io"}
    )
    # fit is reached through training, which does not import the model back
    assert "glassnet.network" not in graph["glassnet.training"]
    assert "glassnet" not in graph["glassnet.io"] and "glassnet" not in graph["glassnet.modelfile"]


def test_network_is_the_model_only():
    lines = MODULES["glassnet.network"].read_text().count("\n")
    assert lines <= 375, f"network.py has {lines} lines"
    methods = set(vars(glassnet.Network))
    assert {"forward", "backward", "train_step", "predict", "config", "from_config", "fit", "save"} <= methods
    assert not methods & {"_run", "_best_of", "_validation", "_reference_epoch", "_cast", "_draw"}


def defined_names(tree) -> set:
    """Every name a module defines itself: functions, classes, assignments and ``x.attr =`` attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


def private_uses(name, tree) -> list:
    """``_``-prefixed names of other modules that ``name`` uses: ``from m import _x``, ``obj._x``, ``m._x``."""
    own = defined_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    target = f"{node.module}.{alias.name}"
                    if target not in MODULES:
                        found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if node.attr not in own:
                found.append(f"line {node.lineno}: .{node.attr}")
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_of_another_module_is_used(name):
    assert private_uses(name, ast.parse(MODULES[name].read_text())) == []


def test_private_modules_have_one_owner_and_the_cli_and_tutorials_use_public_modules():
    graph = import_graph()
    private = [m for m in MODULES if "._" in m and "__" not in m]
    users = {m: sorted(n for n, targets in graph.items() if m in targets) for m in private}
    assert users == {}  # glassnet.blas, once private to fastpath, is shared with the optimizers now


def test_the_private_name_checker_sees_what_it_must():
    tree = ast.parse("from glassnet.network import _x\nnet._forward(X)\nself._mine = 1\nself._mine\n")
    assert private_uses("glassnet.cli", tree) == ["line 1: from glassnet.network import _x", "line 2: ._forward"]


def test_version_lives_in_one_module_that_imports_nothing_of_the_package():
    assert import_graph()["glassnet.version"] == set()
    from glassnet.version import __version__

    assert glassnet.__version__ is __version__


def test_import_glassnet_is_light_and_the_heavy_modules_come_on_first_use():
    import subprocess
    import sys

    code = (
        "import sys, glassnet; print('matplotlib' in sys.modules, 'glassnet.tutorials' in sys.modules); "
        "print(glassnet.tutorials.run('desai').data['test_accuracy'], callable(glassnet.plots.learning_curves)); "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "1.0", "True", "True"]


def test_names_that_moved_keep_working_for_this_release():
    import numpy as np

    from glassnet import metrics, network

    Yhat, Y = np.array([[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]]), np.eye(2)[[1, 1, 1]]
    assert network.classes is metrics.classes and network.n_correct(Yhat, Y) == 2
    assert metrics.class_labels("y", [2.0, 0.0], 2).tolist() == [2, 0]
    with pytest.raises(ValueError, match="y has 3 rows but X has 2 samples"):
        metrics.class_labels("y", [0, 1, 1], 2)
