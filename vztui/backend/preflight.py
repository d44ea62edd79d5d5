"""Migration pre-flight: everything that would make ``vzmigrate`` fail (or overcommit the target) checked for all
chosen containers at once, before anything moves, then ``vzmigrate --check-only`` for those that pass.

The static checks read only snapshots and node facts: VE_PRIVATE/VE_ROOT identical on both nodes (the seed's
requirement), OS template in the target's cache, CTID free there, no IP clash (with the target or with another CT
moving in the same batch), and the target's RAM+swap promise after the move (vzmemcheck's "MemSwap commit").
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.backend.transport import CommandResult, TransportError
from vztui.openvz.commands import vzmigrate
from vztui.openvz.exitcodes import explain_exit
from vztui.openvz.models import Container, CtStatus, NodeInfo
from vztui.openvz.units import PAGE_SIZE


class Level(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    """Allowed, but the admin should know (overcommit)."""
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    """One pre-flight check of one container: its name (a table column), the verdict and why."""

    name: str
    level: Level
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Preflight:
    """All checks of one container's move from ``node`` to ``dest``."""

    node: str
    ctid: int
    dest: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.level is not Level.FAIL for check in self.checks)

    @property
    def reason(self) -> str:
        """The first failure in words, or "" when the move may go ahead."""
        return next((f"{c.name}: {c.detail}" for c in self.checks if c.level is Level.FAIL), "")

    def check(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)


CHECK_NAMES = ("state", "paths", "template", "ctid", "ips", "capacity", "check-only")
"""The columns of the pre-flight table, in the order they are checked."""


def _bare(address: str) -> str:
    text = address.split("/", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _memswap_bytes(container: Container) -> int:
    """RAM + swap a VSwap container was promised (physpages + swappages limits); 0 when unlimited or unknown."""
    total = 0
    for resource in ("physpages", "swappages"):
        bc = container.beancounter(resource)
        limit = bc.effective_limit if bc is not None else None
        total += (limit or 0) * PAGE_SIZE
    return total


def static_checks(
    moves: Sequence[tuple[str, int]],
    dest: str,
    snapshots: Mapping[str, NodeSnapshot],
    infos: Mapping[str, NodeInfo | None],
    *,
    live: bool = False,
) -> list[Preflight]:
    """The checks that need no command, for every (node, ctid) moving to ``dest`` together."""
    snaps = snapshots
    target = snaps.get(dest)
    dest_info = infos.get(dest)
    taken_ips = {
        _bare(address): f"{ctid} on {dest}"
        for ctid, ct in (target.containers.items() if target is not None else ())
        for address in ct.ips
    }
    incoming = 0
    results: list[Preflight] = []
    for node, ctid in moves:
        checks: list[Check] = []
        source = snaps.get(node)
        container = source.containers.get(ctid) if source is not None else None
        checks.append(_state(node, ctid, dest, container=container, source=source, target=target, live=live))
        checks.append(_paths(node, dest, infos.get(node), dest_info))
        checks.append(_template(dest, container, dest_info))
        if target is not None and ctid in target.containers:
            checks.append(Check("ctid", Level.FAIL, f"CTID {ctid} already exists on {dest}"))
        else:
            checks.append(Check("ctid", Level.OK, f"free on {dest}"))
        clashes = []
        for address in container.ips if container is not None else ():
            owner = taken_ips.get(_bare(address))
            if owner is not None:
                clashes.append(f"{address} is used by {owner}")
        if clashes:
            checks.append(Check("ips", Level.FAIL, "; ".join(clashes)))
        else:
            checks.append(Check("ips", Level.OK, "no clash"))
            for address in container.ips if container is not None else ():
                taken_ips[_bare(address)] = f"{ctid} (moving too)"
        moving = container is not None and all(check.level is not Level.FAIL for check in checks)
        if moving and container is not None:
            incoming += _memswap_bytes(container)
        checks.append(_capacity(dest, target, dest_info, incoming if moving else None))
        results.append(Preflight(node, ctid, dest, tuple(checks)))
    return results


def _state(
    node: str,
    ctid: int,
    dest: str,
    *,
    container: Container | None,
    source: NodeSnapshot | None,
    target: NodeSnapshot | None,
    live: bool,
) -> Check:
    if source is None or source.health is not NodeHealth.UP:
        return Check("state", Level.FAIL, f"{node} is not reachable")
    if target is None or target.health is not NodeHealth.UP:
        return Check("state", Level.FAIL, f"{dest} is not reachable")
    if node == dest:
        return Check("state", Level.FAIL, f"already on {dest}")
    if container is None:
        return Check("state", Level.FAIL, f"not found on {node}")
    if container.status is CtStatus.SUSPENDED:
        return Check("state", Level.FAIL, "suspended: resume it first")
    if live and container.status is not CtStatus.RUNNING:
        return Check("state", Level.FAIL, f"{container.status.value}: a live migration needs it running")
    return Check("state", Level.OK, container.status.value)


def _paths(node: str, dest: str, source: NodeInfo | None, target: NodeInfo | None) -> Check:
    if source is None or target is None:
        return Check("paths", Level.FAIL, "vz.conf of both nodes is needed (not read yet)")
    drift = [
        f"{key} is {mine} on {node} but {theirs} on {dest}"
        for key, mine, theirs in (
            ("VE_PRIVATE", source.vz.ve_private, target.vz.ve_private),
            ("VE_ROOT", source.vz.ve_root, target.vz.ve_root),
        )
        if mine != theirs
    ]
    if drift:
        return Check("paths", Level.FAIL, "; ".join(drift))
    return Check("paths", Level.OK, "identical")


def _template(dest: str, container: Container | None, target: NodeInfo | None) -> Check:
    template = container.ostemplate if container is not None else None
    if not template:
        return Check("template", Level.WARN, "the CT's OS template is not known")
    if target is None:
        return Check("template", Level.FAIL, f"{dest}'s template cache is not known yet")
    if template not in target.templates:
        return Check("template", Level.FAIL, f"{template} is not in {dest}'s template cache")
    return Check("template", Level.OK, template)


def _capacity(dest: str, target: NodeSnapshot | None, info: NodeInfo | None, incoming: int | None) -> Check:
    """``incoming``: RAM+swap of the CTs moving so far, this one included (None: this one is not moving)."""
    if incoming is None:
        return Check("capacity", Level.OK, "not counted: the move is blocked")
    if info is None or target is None:
        return Check("capacity", Level.WARN, f"{dest}'s capacity is not known")
    total = info.capacity.ram_bytes + info.capacity.swap_bytes
    if total <= 0:
        return Check("capacity", Level.WARN, f"{dest}'s RAM is not known")
    promised = sum(_memswap_bytes(ct) for ct in target.containers.values()) + incoming
    percent = 100.0 * promised / total
    detail = f"{percent:.0f}% of {dest}'s RAM+swap promised after the move"
    return Check("capacity", Level.WARN if percent > 100.0 else Level.OK, detail)


Runner = Callable[[str, Sequence[str]], Awaitable[CommandResult]]
"""Runs an argv on a node now (``Cluster.run_read``)."""


async def check_only(preflight: Preflight, dest_address: str, run: Runner, *, live: bool = False) -> Preflight:
    """Add ``vzmigrate --check-only`` (only when every static check passed: it would fail for the same reason)."""
    if not preflight.ok:
        skipped = Check("check-only", Level.FAIL, "not run: " + preflight.reason)
        return Preflight(preflight.node, preflight.ctid, preflight.dest, (*preflight.checks, skipped))
    argv = vzmigrate(dest_address, preflight.ctid, live=live, check_only=True)
    try:
        result = await run(preflight.node, argv)
    except (TransportError, OSError, PermissionError) as error:
        check = Check("check-only", Level.FAIL, str(error))
    else:
        if result.ok:
            check = Check("check-only", Level.OK, "vzmigrate --check-only passed")
        else:
            said = (result.stderr_text.strip() or result.stdout_text.strip()).splitlines()
            meaning = explain_exit("vzmigrate", result.exit_code).describe(result.exit_code)
            check = Check("check-only", Level.FAIL, meaning + (f" ({said[-1]})" if said else ""))
    return Preflight(preflight.node, preflight.ctid, preflight.dest, (*preflight.checks, check))
