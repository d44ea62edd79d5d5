"""Run one simulated tool on one node: the code behind ``ROOT/bin/<tool>`` and ``vztui-sim run ROOT TOOL ...``.

Kept import-light (each tool call is a fresh process): only the chosen tool's module is imported.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path
from typing import Protocol, TextIO

from vztui.sim.node import SimNode

TOOLS: dict[str, str] = {
    "vzctl": "vztui.sim.vzctl",
    "vzmigrate": "vztui.sim.vzmigrate",
    "vzlist": "vztui.sim.tools.vzlist",
    "vzquota": "vztui.sim.tools.vzquota",
    "vzcpucheck": "vztui.sim.tools.vzcpucheck",
    "vzmemcheck": "vztui.sim.tools.vzmemcheck",
    "vzcalc": "vztui.sim.tools.vzcalc",
    "vzsplit": "vztui.sim.tools.vzsplit",
    "vztmpl-dl": "vztui.sim.tools.vztmpl_dl",
}
"""Tool name → module exposing ``main(node, argv, stdout, stderr) -> int``."""


class ToolMain(Protocol):
    def __call__(self, node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int: ...


def load_tool(tool: str) -> ToolMain | None:
    """The tool's ``main``, or None when the tool is unknown or its module is not installed."""
    module_name = TOOLS.get(tool)
    if module_name is None:
        return None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    main: ToolMain | None = getattr(module, "main", None)
    return main


def run_tool(
    root: Path | str, tool: str, argv: list[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run ``tool argv`` on node ``root`` and return its exit code; /proc is brought up to date around the call."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    node = SimNode(root)
    main = load_tool(tool)
    if main is None:
        known = tool in TOOLS
        err.write(f"{tool}: command not found\n" if not known else f"{tool}: not available in this simulator build\n")
        err.flush()
        return 127
    try:
        node.refresh_proc()
        code = main(node, argv, out, err)
        node.refresh_proc()
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 141
    except Exception as exc:
        # A simulator bug must not look like tool output; VZTUI_SIM_DEBUG=1 shows the traceback.
        if os.environ.get("VZTUI_SIM_DEBUG"):
            raise
        err.write(f"{tool}: simulator internal error: {type(exc).__name__}: {exc}\n")
        code = 1
    finally:
        with contextlib.suppress(BrokenPipeError, ValueError):
            out.flush()
            err.flush()
    return code


def wrapper_main(root: str, tool: str) -> None:
    """Entry point of the generated ``ROOT/bin/<tool>`` scripts."""
    try:
        code = run_tool(root, tool, sys.argv[1:])
    except BrokenPipeError:
        code = 141
    sys.exit(code)
