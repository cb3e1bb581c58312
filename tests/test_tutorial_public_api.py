"""The tutorials (and the modules built for them) use glassnet's public API only.

Read from the source: no ``_``-prefixed name of another module or object
(``thing._x`` where ``thing`` is not ``self``/``cls``, ``from m import _x``),
tutorials import only glassnet's public modules, and every ``glassnet.<name>``
they use is in ``glassnet.__all__``.
"""

import ast
from pathlib import Path

import pytest

import glassnet

PACKAGE = Path(glassnet.__file__).parent
TUTORIALS = sorted((PACKAGE / "tutorials").glob("*.py"))
BUILT_ON = [PACKAGE / f"{name}.py" for name in ("experiments", "plots", "trace", "gradcheck", "models")]
PUBLIC_MODULES = {
    "glassnet", "glassnet.checks", "glassnet.data", "glassnet.datasets", "glassnet.metrics", "glassnet.models",
    "glassnet.preprocessing", "glassnet.tutorials",
}


def private_uses(path):
    """``(line, text)`` of every reach into another object's or module's private names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom):
            found += [(node.lineno, f"from {node.module} import {a.name}") for a in node.names if a.name[0] == "_"
                      and a.name != "annotations"]
    return found


def glassnet_imports(path):
    tree = ast.parse(path.read_text(), str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("glassnet"):
            # "from glassnet import datasets" imports a module; "from glassnet import Dense" a name of glassnet
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                modules.add(sub if node.module == "glassnet" and sub in PUBLIC_MODULES else node.module)
        elif isinstance(node, ast.Import):
            modules.update(a.name for a in node.names if a.name.startswith("glassnet"))
    return modules


def test_the_checker_sees_private_uses(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from glassnet.network import _x\nimport glassnet\nnet._forward(X)\nself._ok\ncls._ok\nx.__len__\n")
    assert private_uses(bad) == [(1, "from glassnet.network import _x"), (3, "net._forward")]
    imports = tmp_path / "imports.py"
    imports.write_text("import glassnet.layers\nfrom glassnet import datasets, Dense\nfrom glassnet.models import m\n")
    assert glassnet_imports(imports) == {"glassnet.layers", "glassnet.datasets", "glassnet", "glassnet.models"}


@pytest.mark.parametrize("path", TUTORIALS + BUILT_ON, ids=lambda p: p.name)
def test_no_private_names_of_other_objects(path):
    assert private_uses(path) == []


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_tutorials_import_public_modules_only(path):
    assert glassnet_imports(path) <= PUBLIC_MODULES


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_tutorials_use_public_names_of_glassnet(path):
    used = {
        node.attr
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "glassnet"
    }
    assert used <= set(glassnet.__all__)
