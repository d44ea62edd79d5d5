"""Everything one vzctl invocation knows: the node, the CT, its merged configuration and where to print.

vzctl merges the CT config over vz.conf (``merge_vps_param``) before running any command; ``Invocation`` keeps the
raw CT config text as well, because ``set --save`` and ``create`` rewrite it byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vztui.sim.node import SimNode
from vztui.sim.shconf import SkippedLine, expand_veid, parse_shell_conf
from vztui.sim.state import CtRuntime
from vztui.sim.vzctl.console import Console


class VzctlExit(Exception):  # noqa: N818 - a control-flow signal carrying vzctl's exit code
    """Abort the command with ``code``; any message was printed before raising."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass(slots=True)
class Invocation:
    """One ``vzctl <command> <ctid> ...`` call."""

    node: SimNode
    console: Console
    command: str
    ctid: int
    argv: list[str]
    conf_text: str | None = None
    conf: dict[str, str] = field(default_factory=dict)

    # --- configuration ---------------------------------------------------------------------------------------------

    def reload_conf(self, *, warn: bool = False) -> None:
        """Re-read the CT config; ``warn`` prints vzctl's complaint about each line it skips (as its first read
        of the file in a command does: vps_parse_config in src/lib/config.c)."""
        self.conf_text = self.node.read_config_text(self.ctid)
        skipped: list[SkippedLine] = []
        self.conf = parse_shell_conf(self.conf_text, skipped) if self.conf_text is not None else {}
        if warn:
            warn_skipped(self.console, self.conf_path, skipped)

    @property
    def has_conf(self) -> bool:
        return self.conf_text is not None

    def value(self, key: str, default: str = "") -> str:
        """A parameter as vzctl sees it: the CT config's value, else vz.conf's, else ``default``."""
        if key in self.conf:
            return self.conf[key]
        return self.node.vzconf.get(key, default)

    @property
    def private(self) -> str:
        return expand_veid(self.value("VE_PRIVATE", "/vz/private/$VEID"), self.ctid)

    @property
    def root(self) -> str:
        return expand_veid(self.value("VE_ROOT", "/vz/root/$VEID"), self.ctid)

    @property
    def conf_path(self) -> str:
        return self.node.conf_path(self.ctid)

    @property
    def layout(self) -> str:
        """``ploop`` or ``simfs``: the CT config's VE_LAYOUT, else what the private area looks like."""
        return self.node.layout(self.ctid, self.conf)

    @property
    def is_ploop(self) -> bool:
        return self.layout == "ploop"

    def host(self, node_path: str) -> Path:
        return self.node.host(node_path)

    @property
    def dump_file(self) -> str:
        return self.node.dump_file(self.ctid)

    @property
    def cmdline(self) -> str:
        return " ".join(["vzctl", *self.argv])

    # --- runtime -------------------------------------------------------------------------------------------------

    def runtime(self) -> CtRuntime:
        return self.node.runtime(self.ctid)

    def is_running(self) -> bool:
        return self.runtime().running

    def is_mounted(self) -> bool:
        """vzctl's ``vps_is_mounted``: a missing mount point prints ``stat(<root>)`` and counts as unmounted."""
        if not self.host(self.root).exists():
            self.console.error(f"stat({self.root}): No such file or directory")
            return False
        return self.runtime().mounted

    def private_exists(self) -> bool:
        return self.host(self.private).exists()

    # --- output --------------------------------------------------------------------------------------------------

    def info(self, message: str) -> None:
        self.console.info(message)

    def error(self, message: str) -> None:
        self.console.error(message)

    def fail(self, code: int, *messages: str) -> VzctlExit:
        """Print ``messages`` as errors and return the exception to raise (``raise inv.fail(43, "...")``)."""
        for message in messages:
            self.console.error(message)
        return VzctlExit(code)


def warn_skipped(console: Console, path: str, skipped: list[SkippedLine]) -> None:
    """``Warning: can't parse <file>:<line> (<reason>), skipping`` per line vzctl's parse_line() refused."""
    for line in skipped:
        console.error(f"Warning: can't parse {path}:{line.line} ({line.reason}), skipping")
