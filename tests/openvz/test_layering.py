"""The domain layer stays pure: nothing under vztui.openvz imports Textual, paramiko, the backend, the UI or the
simulator, neither in its source (any import statement, also inside functions) nor at run time (indirectly)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import vztui.openvz

FORBIDDEN = ("textual", "paramiko", "vztui.backend", "vztui.ui", "vztui.sim")
PACKAGE_DIR = Path(vztui.openvz.__file__).resolve().parent


def _is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR.parent.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def forbidden_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every forbidden module ``source`` imports, as ``line: name`` (relative imports resolved against ``module``)."""
    found: list[str] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.extend(f"{node.lineno}: {name}" for name in names if _is_forbidden(name))
    return sorted(found, key=lambda entry: int(entry.partition(":")[0]))


def test_the_scanner_sees_every_kind_of_forbidden_import() -> None:
    source = (
        "import os\n"
        "import textual.app\n"
        "from paramiko import SSHClient\n"
        "def later():\n"
        "    from vztui.backend import poller\n"
        "from ...sim import node\n"
        "from ... import ui\n"
    )
    assert forbidden_imports(source, "vztui.openvz.parsers.vzlist") == [
        "2: textual.app",
        "3: paramiko",
        "3: paramiko.SSHClient",
        "5: vztui.backend",
        "5: vztui.backend.poller",
        "6: vztui.sim",
        "6: vztui.sim.node",
        "7: vztui.ui",
    ]
    assert forbidden_imports("from vztui.openvz.models import Container\nimport json\n", "vztui.openvz.x") == []


def test_no_module_of_the_domain_layer_imports_a_forbidden_package() -> None:
    sources = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(sources) > 10 and PACKAGE_DIR / "parsers" / "vzlist.py" in sources
    offenders = {
        str(path.relative_to(PACKAGE_DIR)): found
        for path in sources
        if (
            found := forbidden_imports(
                path.read_text(encoding="utf-8"), _module_name(path), is_package=path.name == "__init__.py"
            )
        )
    }
    assert offenders == {}


def test_importing_every_domain_module_pulls_in_nothing_forbidden() -> None:
    """In a fresh interpreter, so modules other tests imported cannot hide or fake a violation."""
    script = (
        "import importlib, json, pkgutil, sys\n"
        "import vztui.openvz as pkg\n"
        "names = [m.name for m in pkgutil.walk_packages(pkg.__path__, 'vztui.openvz.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(json.dumps({'imported': names, 'loaded': sorted(sys.modules)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "vztui.openvz.parsers.vzlist" in report["imported"]
    assert "vztui.openvz.parsers.conffile" in report["imported"]
    assert [name for name in report["loaded"] if _is_forbidden(name)] == []
