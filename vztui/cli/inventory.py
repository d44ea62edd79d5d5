"""``vztui ls``, ``vztui failing`` and ``vztui show``: the dashboard's views as tables or JSON for scripts."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vztui.backend.snapshot import NodeSnapshot
from vztui.backend.transport import TransportError
from vztui.cli import exitcodes
from vztui.cli.errors import CliError
from vztui.cli.output import jsonable, print_json, print_table
from vztui.cli.session import polled_cluster, report_unreachable, target
from vztui.filters import FilterError, compile_filter, failcnt_total
from vztui.openvz.errors import ParseError
from vztui.openvz.models import Container
from vztui.openvz.units import Unit, human_bytes, human_value, to_bytes


def _containers(snapshots: Mapping[str, NodeSnapshot]) -> Iterator[tuple[str, Container, float | None]]:
    for node, snap in snapshots.items():
        for ctid in sorted(snap.containers):
            yield node, snap.containers[ctid], snap.cpu_percent.get(ctid)


def _ram(ct: Container) -> str:
    bc = ct.beancounter("physpages")
    if bc is None:
        return ""
    limit = bc.effective_limit
    held = human_bytes(to_bytes(bc.held, Unit.PAGES))
    return f"{held}/{human_bytes(to_bytes(limit, Unit.PAGES))}" if limit else f"{held}/∞"


def _disk(ct: Container) -> str:
    if ct.diskspace is None:
        return ""
    used = human_bytes(ct.diskspace.usage * 1024)
    bound = ct.diskspace.softlimit or ct.diskspace.hardlimit
    return f"{used}/{human_value(bound, Unit.KIB)}" if bound else used


def container_json(node: str, ct: Container, cpu: float | None) -> dict[str, Any]:
    return {"node": node, "cpu_percent": cpu, "failcnt": failcnt_total(ct), **jsonable(ct)}


async def _snapshots(args: argparse.Namespace) -> Mapping[str, NodeSnapshot]:
    async with polled_cluster(target(args)) as cluster:
        return cluster.snapshots()


def ls(args: argparse.Namespace) -> int:
    try:
        matches = compile_filter(args.filter)
    except FilterError as error:
        raise CliError(f"--filter: {error}") from None
    snapshots = asyncio.run(_snapshots(args))
    rows = [(node, ct, cpu) for node, ct, cpu in _containers(snapshots) if matches(ct, node, cpu)]
    if args.json:
        print_json([container_json(node, ct, cpu) for node, ct, cpu in rows])
    else:
        print_table(
            (
                "CTID",
                "NODE",
                "STATUS",
                "NAME",
                "HOSTNAME",
                "IP",
                "TEMPLATE",
                "LAYOUT",
                "CPU%",
                "NPROC",
                "RAM",
                "DISK",
                "FAILCNT",
            ),
            [
                (
                    ct.ctid,
                    node,
                    ct.status.value,
                    ct.name or "",
                    ct.hostname or "",
                    ",".join(ct.ips),
                    ct.ostemplate or "",
                    ct.layout.value,
                    "" if cpu is None else f"{cpu:.1f}",
                    "" if ct.numproc is None else ct.numproc,
                    _ram(ct),
                    _disk(ct),
                    failcnt_total(ct),
                )
                for node, ct, cpu in rows
            ],
            right=("CTID", "CPU%", "NPROC", "FAILCNT"),
        )
    return exitcodes.UNREACHABLE if report_unreachable(snapshots) else exitcodes.OK


@dataclass(frozen=True, slots=True)
class Failing:
    """One resource of one CT that is failing now: its failcnt rose in the window, or it is near its limit."""

    node: str
    ctid: int
    name: str
    resource: str
    held: int
    maxheld: int
    barrier: int
    limit: int
    failcnt: int
    rise: int
    usage: float | None

    @property
    def severity(self) -> tuple[int, float, int]:
        return (self.rise, self.usage or 0.0, self.failcnt)


def failing_rows(before: Mapping[str, NodeSnapshot] | None, after: Mapping[str, NodeSnapshot]) -> list[Failing]:
    """Worst first: the biggest failcnt rise, then the fullest resource, then the most failures overall."""
    from vztui.backend.delta import compute_delta, near_limits_of

    found: dict[tuple[str, int, str], Failing] = {}
    for node, snap in after.items():
        rises: dict[tuple[int, str], int] = {}
        if before is not None and node in before:
            for increase in compute_delta(before[node], snap).failcnt_increases:
                rises[(increase.ctid, increase.resource)] = increase.increase
        for ct in snap.containers.values():
            near = {n.resource: n.ratio for n in near_limits_of(node, ct)}
            for resource, bc in ct.resources.items():
                rise = rises.get((ct.ctid, resource), 0)
                if rise or resource in near:
                    found[(node, ct.ctid, resource)] = Failing(
                        node,
                        ct.ctid,
                        ct.display_name,
                        resource,
                        bc.held,
                        bc.maxheld,
                        bc.barrier,
                        bc.limit,
                        bc.failcnt,
                        rise,
                        bc.usage_ratio,
                    )
    return sorted(found.values(), key=lambda row: (row.severity, -row.ctid), reverse=True)


async def _two_samples(
    args: argparse.Namespace,
) -> tuple[Mapping[str, NodeSnapshot] | None, Mapping[str, NodeSnapshot]]:
    async with polled_cluster(target(args)) as cluster:
        first = cluster.snapshots()
        if args.window <= 0:
            return None, first
        await asyncio.sleep(args.window)
        await cluster.refresh()
        return first, cluster.snapshots()


def failing(args: argparse.Namespace) -> int:
    if args.window < 0:
        raise CliError("--window: must be 0 or more seconds")
    before, after = asyncio.run(_two_samples(args))
    rows = failing_rows(before, after)
    if args.json:
        print_json(rows)
    elif rows:
        print_table(
            ("NODE", "CTID", "NAME", "RESOURCE", "HELD", "BARRIER", "LIMIT", "USE%", "FAILCNT", "RISE"),
            [
                (
                    row.node,
                    row.ctid,
                    row.name,
                    row.resource,
                    human_value(row.held, _unit(row.resource)),
                    human_value(row.barrier, _unit(row.resource)),
                    human_value(row.limit, _unit(row.resource)),
                    "" if row.usage is None else f"{row.usage * 100:.0f}",
                    row.failcnt,
                    f"+{row.rise}" if row.rise else "",
                )
                for row in rows
            ],
            right=("CTID", "HELD", "BARRIER", "LIMIT", "USE%", "FAILCNT", "RISE"),
        )
    else:
        window = f" and no failcnt rose in {args.window:g}s" if args.window > 0 else ""
        print(f"nothing failing: no resource at >= 90% of its limit{window}")
    return exitcodes.UNREACHABLE if report_unreachable(after) else exitcodes.OK


def _unit(resource: str) -> Unit:
    from vztui.openvz.resources import unit_of

    return unit_of(resource)


async def _show(
    args: argparse.Namespace,
) -> tuple[str, Container, float | None, Mapping[str, str], Mapping[str, NodeSnapshot]]:
    wanted, ctid = args.ct
    if wanted is not None:
        if args.node and wanted not in args.node:
            raise CliError(f"{wanted}/{ctid}: node {wanted} is not among --node {', '.join(args.node)}")
        args = argparse.Namespace(**{**vars(args), "node": [wanted]})
    async with polled_cluster(target(args)) as cluster:
        snapshots = cluster.snapshots()
        hits = [(node, snap) for node, snap in snapshots.items() if ctid in snap.containers]
        if not hits:
            report_unreachable(snapshots)
            raise CliError(f"container {ctid} not found on {', '.join(snapshots)}", exitcodes.FAILED)
        if len(hits) > 1:
            nodes = ", ".join(node for node, _ in hits)
            raise CliError(
                f"container {ctid} exists on several nodes ({nodes}): name one, e.g. vztui show {hits[0][0]}/{ctid}"
            )
        node, snap = hits[0]
        try:
            config: Mapping[str, str] = (await cluster.read_ct_config(node, ctid)).values
        except (OSError, TransportError, ParseError) as error:
            # A missing or garbled config is shown as such; the rest of the CT is still worth printing.
            config = {"# unreadable": str(error)}
        return node, snap.containers[ctid], snap.cpu_percent.get(ctid), config, snapshots


def show(args: argparse.Namespace) -> int:
    node, ct, cpu, config, snapshots = asyncio.run(_show(args))
    if args.json:
        print_json({**container_json(node, ct, cpu), "config": dict(config)})
        return exitcodes.OK
    fields = [
        ("CTID", ct.ctid),
        ("Node", node),
        ("Status", ct.status.value),
        ("Name", ct.name or "-"),
        ("Hostname", ct.hostname or "-"),
        ("IPs", " ".join(ct.ips) or "-"),
        ("Template", ct.ostemplate or "-"),
        ("Layout", ct.layout.value),
        ("Private", ct.private or "-"),
        ("Root", ct.root or "-"),
        ("Onboot", {True: "yes", False: "no", None: "-"}[ct.onboot]),
        ("CPU", "-" if cpu is None else f"{cpu:.1f}%"),
        ("CPU units/limit/cpus", f"{ct.cpuunits or '-'} / {ct.cpulimit or '-'} / {ct.cpus or 'all'}"),
        ("Processes", "-" if ct.numproc is None else ct.numproc),
        ("RAM", _ram(ct) or "-"),
        ("Disk", _disk(ct) or "-"),
        ("Description", ct.description or "-"),
    ]
    print_table(("FIELD", "VALUE"), fields)
    if ct.resources:
        print()
        print_table(
            ("RESOURCE", "HELD", "MAXHELD", "BARRIER", "LIMIT", "FAILCNT"),
            [
                (
                    name,
                    human_value(bc.held, bc.unit),
                    human_value(bc.maxheld, bc.unit),
                    human_value(bc.barrier, bc.unit),
                    human_value(bc.limit, bc.unit),
                    bc.failcnt,
                )
                for name, bc in ct.resources.items()
            ],
            right=("HELD", "MAXHELD", "BARRIER", "LIMIT", "FAILCNT"),
        )
    if config:
        print()
        print_table(("CONFIG", "VALUE"), sorted(config.items()))
    return exitcodes.UNREACHABLE if report_unreachable(snapshots) else exitcodes.OK
