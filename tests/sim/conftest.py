"""Simulator fixtures: a bare node, a populated node, the demo cluster (built once per session, read-only tests)."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from vztui.sim.cluster import SimCluster, build_cluster
from vztui.sim.provision import init_node
from vztui.sim.runner import run_tool


@dataclass(frozen=True)
class ToolResult:
    code: int
    stdout: str
    stderr: str


def run_in_process(root: Path, tool: str, *args: str) -> ToolResult:
    """Run a simulated tool in this process (fast; the same code path as the wrappers)."""
    out, err = io.StringIO(), io.StringIO()
    code = run_tool(root, tool, list(args), stdout=out, stderr=err)
    return ToolResult(code, out.getvalue(), err.getvalue())


def run_wrapper(root: Path, tool: str, *args: str) -> ToolResult:
    """Run ``ROOT/bin/<tool>`` as a separate process, exactly as a shell on the node would."""
    proc = subprocess.run([str(root / "bin" / tool), *args], capture_output=True, text=True, timeout=30, check=False)
    return ToolResult(proc.returncode, proc.stdout, proc.stderr)


def run_cli(*args: str) -> ToolResult:
    proc = subprocess.run(
        [sys.executable, "-m", "vztui.sim.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )
    return ToolResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def demo_cluster(tmp_path_factory: pytest.TempPathFactory) -> SimCluster:
    """The default demo cluster; tests must not change it (use ``fresh_cluster`` for that)."""
    return build_cluster(tmp_path_factory.mktemp("demo") / "cluster", seed=0)


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> SimCluster:
    return build_cluster(tmp_path / "cluster", seed=7)


@pytest.fixture
def bare_root(tmp_path: Path) -> Path:
    root = tmp_path / "hn1"
    init_node(root)
    return root
