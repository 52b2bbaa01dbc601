"""The package's shape: layers that import downwards only, and no import hidden in a function
to get around that."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "generator"
REPO = PACKAGE.parent
LAYERS = ["cli", "preview", "build", "render", "site", "diagnostics"]


def test_the_import_contracts_hold():
    run = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                          "lint_imports_command()", "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout


def test_every_sub_package_is_in_a_contract():
    """A new sub-package outside the contracts could import anything."""
    subpackages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert subpackages == (set(LAYERS) - {"cli", "diagnostics"}) | {"results", "collect"}


def test_the_contract_catches_an_upward_import(tmp_path):
    """The contract itself fails on a violation: a copy of the package where the model imports the build."""
    copy = tmp_path / "generator"
    subprocess.run(["cp", "-r", str(PACKAGE), str(copy)], check=True)
    model = copy / "site" / "model.py"
    model.write_text(model.read_text() + "\nfrom generator.build import run  # noqa\n")
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    run = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, '.'); "
                          "from importlinter.cli import lint_imports_command; lint_imports_command()", "--no-cache"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode != 0
    assert "generator.site.model -> generator.build.run" in run.stdout


def test_no_module_imports_examsite_code_inside_a_function():
    """Lazy imports are for heavy third-party libraries only, never a way round a cycle. The
    command line alone loads a command's stack (the preview's web server, the results tools)
    when that command runs."""
    lazy = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.level or (inner.module or "").startswith("generator")):
                        lazy.append(f"{path.relative_to(REPO)}:{inner.lineno}")
    assert lazy == []
