"""One node's capacity in the tools' own terms, read on demand for the capacity screen: ``vzcpucheck -v``,
``vzmemcheck -v``, ``vzcalc -v`` for the containers promised the most, and what vzsplit would measure
(threads-max and the container partition's blocks and inodes).

Every command is an inspection (allowed on a read-only session); each failure is named in ``problems`` and leaves
its figures unknown rather than zero.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from vztui.backend.nodeinfo import vz_dir
from vztui.backend.transport import CommandResult, TransportError
from vztui.openvz.commands import vzcalc, vzcpucheck, vzmemcheck
from vztui.openvz.errors import ParseError
from vztui.openvz.models import NodeInfo
from vztui.openvz.split import SplitInputs

Runner = Callable[[Sequence[str]], Awaitable[CommandResult]]
"""Runs one inspection argv on the node (``Cluster.run_read`` bound to the node)."""

CALC_TOP = 8
"""vzcalc is one process per container: only the containers promised the most are asked."""
THREADS_MAX = "/proc/sys/kernel/threads-max"


@dataclass(frozen=True, slots=True)
class MemCommit:
    """vzmemcheck's columns for one container or the node's summary, in percent of the node."""

    lowmem_util: float
    lowmem_commit: float
    ram_util: float
    memswap_util: float
    memswap_commit: float
    alloc_util: float
    alloc_commit: float
    alloc_limit: float


@dataclass(frozen=True, slots=True)
class CalcFigures:
    """``vzcalc -v CTID``'s Memory row in percent of the node; None where vzcalc printed ``n/a``."""

    current: float | None
    promised: float | None
    maximum: float | None


@dataclass(frozen=True, slots=True)
class CtCapacity:
    """One container's share: its cpuunits (vzcpucheck -v), vzmemcheck row and, for the top ones, vzcalc."""

    ctid: int
    cpuunits: int | None = None
    memory: MemCommit | None = None
    calc: CalcFigures | None = None


@dataclass(frozen=True, slots=True)
class CapacityReport:
    """What the capacity screen shows for one node."""

    node: str
    cpu_utilization: int | None
    cpu_power: float | None
    cpu_overcommitted: bool
    host_cpuunits: int | None
    memory: MemCommit | None
    cts: tuple[CtCapacity, ...]
    """By vzmemcheck's MemSwap commit, largest first (containers vzmemcheck does not list last, by CTID)."""
    split: SplitInputs
    problems: tuple[str, ...] = ()


async def read_capacity(
    node: str, run: Runner, *, info: NodeInfo | None, root_prefix: str = "", calc_top: int = CALC_TOP
) -> CapacityReport:
    """Ask the node (concurrently) and assemble the report; never raises for a tool's failure.

    A missing threads-max is no problem worth showing: vzsplit's own cap applies (see ``SplitInputs``).
    """
    from vztui.openvz.parsers import parse_df, parse_vzcalc, parse_vzcpucheck, parse_vzmemcheck

    problems: list[str] = []
    partition = vz_dir(info, root_prefix)
    cpu_out, mem_out, blocks_out, inodes_out, threads_out = await asyncio.gather(
        _text(run, vzcpucheck(verbose=True), problems),
        _text(run, vzmemcheck(verbose=True), problems),
        _text(run, ["df", "-P", "-k", partition], problems),
        _text(run, ["df", "-P", "-i", partition], problems),
        _text(run, ["cat", f"{root_prefix.rstrip('/')}{THREADS_MAX}"], []),
    )
    units: dict[int, int] = {}
    utilization: int | None = None
    power: float | None = None
    overcommitted = False
    if cpu_out is not None:
        try:
            cpu = parse_vzcpucheck(cpu_out)
            units, utilization, power, overcommitted = dict(cpu.units), cpu.utilization, cpu.power, cpu.overcommitted
        except ParseError as error:
            problems.append(f"vzcpucheck: {error}")
    rows: dict[int, MemCommit] = {}
    summary: MemCommit | None = None
    if mem_out is not None:
        try:
            mem = parse_vzmemcheck(mem_out)
            summary = MemCommit(*_eight(mem.summary))
            rows = {ctid: MemCommit(*_eight(row)) for ctid, row in mem.rows.items()}
        except ParseError as error:
            problems.append(f"vzmemcheck: {error}")
    disk_kib = disk_inodes = 0
    for output, what in ((blocks_out, "blocks"), (inodes_out, "inodes")):
        if output is None:
            continue
        try:
            size = parse_df(output)[0].size_kib
        except ParseError as error:
            problems.append(f"df ({what}): {error}")
            continue
        if what == "blocks":
            disk_kib = size
        else:
            disk_inodes = size
    threads_max: int | None = None
    if threads_out is not None:
        text = threads_out.strip()
        if text.isascii() and text.isdigit():
            threads_max = int(text)
        else:
            problems.append(f"{THREADS_MAX}: not a number")
    order = sorted(rows, key=lambda ctid: (-rows[ctid].memswap_commit, ctid))
    calcs: dict[int, CalcFigures] = {}
    top = order[: max(calc_top, 0)]
    refusals: list[list[str]] = [[] for _ in top]
    outputs = await asyncio.gather(*(_text(run, vzcalc(ctid, verbose=True), refusals[i]) for i, ctid in enumerate(top)))
    refused: dict[str, list[int]] = {}
    for ctid, output, said in zip(top, outputs, refusals, strict=True):
        if output is None:
            # "vzcalc -v 101: exit 1: Error: …" → one line per distinct reason, with the CTs it applies to
            refused.setdefault(said[0].split(": ", 1)[1] if said else "failed", []).append(ctid)
            continue
        try:
            memory = parse_vzcalc(output).memory
        except ParseError as error:
            problems.append(f"vzcalc {ctid}: {error}")
            continue
        calcs[ctid] = CalcFigures(memory.current, memory.promised, memory.maximum)
    for reason, ctids in refused.items():
        problems.append(f"vzcalc -v refused {len(ctids)} CT(s) ({' '.join(map(str, sorted(ctids)))}): {reason}")
    listed = order + sorted(ctid for ctid in units if ctid and ctid not in rows)
    cts = tuple(CtCapacity(ctid, units.get(ctid), rows.get(ctid), calcs.get(ctid)) for ctid in listed)
    capacity = info.capacity if info is not None else None
    split = SplitInputs(
        ram_bytes=capacity.ram_bytes if capacity is not None else 0,
        swap_bytes=capacity.swap_bytes if capacity is not None else 0,
        threads_max=threads_max,
        disk_kib=disk_kib,
        disk_inodes=disk_inodes,
    )
    return CapacityReport(
        node=node,
        cpu_utilization=utilization,
        cpu_power=power,
        cpu_overcommitted=overcommitted,
        host_cpuunits=units.get(0),
        memory=summary,
        cts=cts,
        split=split,
        problems=tuple(problems),
    )


async def _text(run: Runner, argv: Sequence[str], problems: list[str]) -> str | None:
    """stdout of ``argv``, or None with the reason appended to ``problems``."""
    try:
        result = await run(argv)
    except (TransportError, OSError) as error:
        problems.append(f"{shlex.join(argv)}: {error}")
        return None
    if not result.ok:
        said = (result.stderr_text.strip() or result.stdout_text.strip()).splitlines()
        problems.append(f"{shlex.join(argv)}: exit {result.exit_code}" + (f": {said[-1]}" if said else ""))
        return None
    return result.stdout_text


def _eight(row: object) -> tuple[float, ...]:
    names = (
        "lowmem_util",
        "lowmem_commit",
        "ram_util",
        "memswap_util",
        "memswap_commit",
        "alloc_util",
        "alloc_commit",
        "alloc_limit",
    )
    return tuple(float(getattr(row, name)) for name in names)
