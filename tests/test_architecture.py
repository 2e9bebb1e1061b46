"""The package keeps the shape ARCHITECTURE.md describes.

* the import contracts of pyproject.toml (import-linter): the layers, no cycle between the
  modules of a package, private modules used only inside their package;
* no module imports the root package ``scratchnn`` (its ``__init__`` imports everything);
* scratchnn's own modules are imported at the top of a module, never inside a function, except
  the documented lazy imports of the matplotlib-backed parts (``scratchnn.plot``, ``scratchnn.lab``)
  and the root package's PEP 562 ``__getattr__``, which imports each subpackage on first use with
  ``importlib`` (``importlib.import_module`` is used nowhere else, but in ``lab`` for its lessons);
* a name starting with ``_`` is not imported from another module, nor read from one
  (``module._name``);
* no module is longer than about 600 lines.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "scratchnn"
MODULES = sorted(PACKAGE.rglob("*.py"))
#: imported inside functions on purpose: they load matplotlib, which takes about a second
LAZY = {"scratchnn.plot", "scratchnn.lab"}
MAX_LINES = 600


def _module_name(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path, node):
    """The absolute module name an ``ImportFrom`` node refers to."""
    if not node.level:
        return node.module or ""
    base = _module_name(path).split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_module(name):
    """Whether ``name`` (``scratchnn.x.y``) is a module or package of scratchnn."""
    target = SRC.joinpath(*name.split("."))
    return target.with_suffix(".py").exists() or (target / "__init__.py").exists()


def _imports(path):
    """``[(node, absolute module names, inside a function?)]`` of one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.append((child, [a.name for a in child.names], inner))
            elif isinstance(child, ast.ImportFrom):
                module = _resolve(path, child)
                relative = child.module is None or child.level
                names = [f"{module}.{a.name}" for a in child.names] if relative else [module]
                found.append((child, [module] + names, inner))
            visit(child, inner)
    visit(tree, False)
    return tree, found


def test_the_import_contracts_are_kept():
    """``lint-imports`` (import-linter, in the test extras) passes on pyproject.toml's contracts."""
    pytest.importorskip("importlinter", reason="import-linter is in the test extras: .[test]")
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(SRC.parent / 'pyproject.toml')!r}, no_cache=True, "
            "no_logo=True))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SRC.parent,
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_imports_are_at_the_top_and_never_the_root_package(path):
    _, found = _imports(path)
    for node, names, inside in found:
        ours = [n for n in names if n == "scratchnn" or n.startswith("scratchnn.")]
        root = names[0] == "scratchnn" and (isinstance(node, ast.Import) or any(
            not _is_module(n) for n in names[1:]))           # `from .. import layers` imports a module
        assert not root, (f"{path.name}:{node.lineno} imports the root package; import from the module that "
                          "defines the name")
        if inside and ours:
            assert any(n == lazy or n.startswith(lazy + ".") for n in ours for lazy in LAZY), (
                f"{path.name}:{node.lineno} imports {ours[0]} inside a function: move it to the top of the "
                "module (only scratchnn.plot and scratchnn.lab are imported lazily, for matplotlib)")


#: the only modules that import scratchnn's modules by name with ``importlib.import_module``
IMPORTLIB_LOADERS = {"scratchnn", "scratchnn.lab"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_importlib_loads_modules_only_in_the_root_and_the_lab(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr in ("import_module", "__import__")]
    if _module_name(path) not in IMPORTLIB_LOADERS:
        assert not calls, (f"{path.name}:{calls[0].lineno} imports a module with importlib: import it at the "
                           "top (only the root package's __getattr__ and the lab load modules on first use)")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_name_crosses_a_module_border(path):
    tree, found = _imports(path)
    modules = set()                         # local names bound to scratchnn modules
    for node, names, _ in found:
        if isinstance(node, ast.ImportFrom) and names[0].startswith("scratchnn"):
            for alias in node.names:
                private_module = _is_module(f"{names[0]}.{alias.name}")   # checked by import-linter
                if alias.name.startswith("_") and not alias.name.startswith("__") and not private_module:
                    pytest.fail(f"{path.name}:{node.lineno} imports the private name {alias.name} from "
                                f"{names[0]}")
                modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            target = (PACKAGE / node.value.id.lstrip("_")).with_suffix(".py")
            is_module = target.exists() or target.with_suffix("").is_dir()
            assert not is_module, f"{path.name}:{node.lineno} reads {node.value.id}.{node.attr}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_modules_stay_short(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines: split it by concept"
