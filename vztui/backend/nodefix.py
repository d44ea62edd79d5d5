"""The node consistency fix as queue requests: read the node's vz.conf, compute the rewrite and the directories it
lacks, and turn both into node-level operations (no CTID) that run as one plan, vz.conf first.

Both commands change the node, so the read-only guard refuses them in the queue whatever the caller claims.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from vztui.backend.operation import OpRequest
from vztui.backend.transport import CommandResult
from vztui.openvz.models import VzConf
from vztui.openvz.nodefix import (
    VZ_CONF,
    VzConfChange,
    current_value,
    mkdir_argv,
    node_dirs,
    rewrite_vzconf,
    vzconf_diff,
    write_vzconf_argv,
)

NODEFIX_KIND = "nodefix"
FileReader = Callable[[str], Awaitable[bytes]]
Runner = Callable[[Sequence[str]], Awaitable[CommandResult]]


@dataclass(frozen=True, slots=True)
class NodeFixPlan:
    """What fixing ``node`` means: the vz.conf changes (with the diff) and the missing directories, as requests."""

    node: str
    changes: tuple[VzConfChange, ...]
    diff: tuple[str, ...]
    missing_dirs: tuple[str, ...]
    requests: tuple[OpRequest, ...]

    @property
    def needed(self) -> bool:
        return bool(self.requests)


async def plan_node_fix(
    node: str,
    read_file: FileReader,
    run: Runner,
    *,
    root_prefix: str,
    wanted: Mapping[str, str],
    known: VzConf | None = None,
) -> NodeFixPlan:
    """Build the fix for ``node``: ``wanted`` maps vz.conf keys to the cluster's values (only drifting ones).

    Raises OSError/TransportError when vz.conf cannot be read and ValidationError for a value vztui will not write.
    """
    text = (await read_file(VZ_CONF)).decode("utf-8", errors="strict")
    new_text, changes = rewrite_vzconf(text, wanted)
    defaults = known or VzConf()
    values = {
        key: current_value(new_text, key) or fallback
        for key, fallback in (
            ("VE_ROOT", defaults.ve_root),
            ("VE_PRIVATE", defaults.ve_private),
            ("TEMPLATE", defaults.template),
            ("LOCKDIR", defaults.lockdir),
            ("DUMPDIR", defaults.dumpdir),
        )
    }
    wanted_dirs = node_dirs(values)
    missing = await _missing(run, root_prefix, wanted_dirs)
    requests: list[OpRequest] = []
    if changes:
        keys = ", ".join(change.key for change in changes)
        requests.append(
            OpRequest(
                node=node,
                argv=tuple(write_vzconf_argv(root_prefix, text, new_text)),
                kind=NODEFIX_KIND,
                mutating=True,
                title=f"vz.conf: set {keys} as on the other nodes",
            )
        )
    if missing:
        requests.append(
            OpRequest(
                node=node,
                argv=tuple(mkdir_argv(root_prefix, missing)),
                kind=NODEFIX_KIND,
                mutating=True,
                title=f"create {len(missing)} missing director{'ies' if len(missing) != 1 else 'y'}",
            )
        )
    diff = tuple(vzconf_diff(text, new_text)) if changes else ()
    return NodeFixPlan(node, changes, diff, missing, tuple(requests))


async def _missing(run: Runner, root_prefix: str, paths: Sequence[str]) -> tuple[str, ...]:
    """Which of ``paths`` are not directories on the node: ``ls -d -- PATH/`` lists only those that are (a file in
    the way is "Not a directory" and counts as missing, so the mkdir fails visibly rather than being skipped)."""
    if not paths:
        return ()
    prefix = root_prefix.rstrip("/")
    result = await run(["ls", "-d", "--", *(f"{prefix}{path}/" for path in paths)])
    if result.exit_code not in (0, 1, 2):
        raise OSError(f"{shlex.join(result.argv)}: exit {result.exit_code}: {result.stderr_text.strip()}")
    present = set(result.stdout_text.splitlines())
    return tuple(path for path in paths if f"{prefix}{path}/" not in present)
