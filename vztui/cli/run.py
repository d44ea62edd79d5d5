"""``vztui run ACTION CTID...``: one action on containers through the same validation, read-only guard, queue and
journal as a keypress in the dashboard, with the output streamed and a result per container.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vztui.backend.cluster import Cluster
from vztui.backend.operation import Operation, OpState, ReadOnlyError
from vztui.backend.plans import action_requests, write_sample_argv
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.backend.transport import OutputLine, Stream
from vztui.cli import exitcodes
from vztui.cli.common import stdin_is_tty
from vztui.cli.errors import CliError
from vztui.cli.output import clean, print_json, print_table
from vztui.cli.session import Target, polled_cluster, report_unreachable, target
from vztui.openvz.actions import ACTIONS, ActionSpec, build_argvs
from vztui.openvz.errors import ValidationError
from vztui.openvz.presets import PlanStep

FLAG_PARAMS = frozenset(
    {"wait", "force", "fast", "skip_suspend", "skip_resume", "live", "check_only", "keep_dst", "exec2"}
)
"""Action parameters that are switches: given as yes/no, true/false, 1/0."""
_TRUE = {"yes", "true", "1", "on"}
_FALSE = {"no", "false", "0", "off"}


@dataclass
class Job:
    """One container's share of the action: where it is, what will run, and (after) what became of it."""

    ctid: int
    node: str = ""
    argvs: list[tuple[str, ...]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    mutating: list[bool] = field(default_factory=list)
    skipped: str = ""
    """Why nothing is sent for this CT (not found, wrong state, refused); empty when it runs."""
    outcome: str = "skipped"
    """What a CT that runs nothing counts as: ``skipped`` (its state does not allow the action, not an error),
    ``failed`` (not found) or ``refused`` (read-only)."""
    unreachable: bool = False
    operations: list[Operation] = field(default_factory=list)


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--param {pair!r}: expected KEY=VALUE")
        key = key.strip()
        if key in params:
            params[key] = f"{params[key]} {value}" if key in ("ipadd", "ipdel", "ip", "nameserver") else value
        else:
            params[key] = value
    return params


def _typed(params: Mapping[str, str]) -> dict[str, object]:
    typed: dict[str, object] = {}
    for key, value in params.items():
        lowered = value.strip().lower()
        if key in FLAG_PARAMS or key == "remove_area":
            if lowered in _TRUE:
                typed[key] = True
            elif lowered in _FALSE:
                typed[key] = False
            else:
                raise CliError(f"--param {key}={value}: expected yes or no")
        else:
            typed[key] = value
    return typed


def _host_cpus(cluster: Cluster, node: str) -> int | None:
    info = cluster.node_info(node)
    return info.capacity.cpus if info is not None else None


def _set_params(params: Mapping[str, str], host_cpus: int | None) -> dict[str, object]:
    from vztui.openvz.resources import RESOURCES
    from vztui.openvz.validate import validate_form

    form = {(f"ubc.{key}" if key in RESOURCES else key): value for key, value in params.items() if key != "setmode"}
    changes, errors = validate_form(form, host_cpus=host_cpus)
    if errors or changes is None:
        raise CliError("; ".join(str(error) for error in errors) or "nothing to change")
    if changes.is_empty:
        raise CliError("set: nothing to change (give parameters such as -p ram=1G -p cpus=2)")
    result: dict[str, object] = {"changes": changes}
    if "setmode" in params:
        result["setmode"] = params["setmode"]
    return result


def _plan_create(job: Job, where: Target, cluster: Cluster, params: Mapping[str, str]) -> None:
    from vztui.openvz.presets import create_plan

    name = params.get("preset", "ispbasic")
    preset = where.config.presets.get(name)
    if preset is None:
        raise CliError(f"unknown preset {name!r} (configured: {', '.join(where.config.presets)})")
    unknown = set(params) - {"preset", "ostemplate", "layout", "hostname", "ip", "ipadd"}
    if unknown:
        raise CliError(f"create: unknown parameter {sorted(unknown)[0]!r} (preset, ostemplate, layout, hostname, ip)")
    if "ostemplate" not in params:
        raise CliError("create: -p ostemplate=NAME is required (see the node's template cache)")
    ips = " ".join(params.get(key, "") for key in ("ip", "ipadd")).replace(",", " ").split()
    steps = create_plan(
        job.ctid,
        ostemplate=params["ostemplate"],
        layout=params.get("layout", "ploop"),
        hostname=params.get("hostname"),
        ips=ips,
        preset=preset,
        host_cpus=_host_cpus(cluster, job.node),
    )
    info = cluster.node_info(job.node)
    if info is None or preset.sample_name not in info.samples:  # the seed panel writes a missing sample first
        job.argvs.append(tuple(write_sample_argv(preset, cluster.spec(job.node).root_prefix)))
        job.titles.append(f"write {preset.sample_filename}")
        job.mutating.append(True)
    for step in steps:
        job.argvs.append(step.argv)
        job.titles.append(step.title)
        job.mutating.append(step.mutating)


def plan_jobs(
    spec: ActionSpec,
    targets: Sequence[tuple[str | None, int]],
    params: Mapping[str, str],
    where: Target,
    cluster: Cluster,
) -> list[Job]:
    """Locate each CT (``targets``: (node or None, CTID) as ``vztui.cli.parser.container_ref`` reads them), check
    its state and build its command lines. Raises CliError for bad parameters."""
    snapshots = cluster.snapshots()
    located: dict[int, list[str]] = {}
    for node, snap in snapshots.items():
        for ctid in snap.containers:
            located.setdefault(ctid, []).append(node)
    named = {node for node, _ in targets if node is not None}
    unknown = sorted(named - snapshots.keys())
    if unknown:
        raise CliError(f"{unknown[0]}: not among the nodes this command reaches ({', '.join(snapshots)})")
    jobs: list[Job] = []
    for wanted, ctid in dict.fromkeys(targets):
        job = Job(ctid)
        jobs.append(job)
        if spec.id == "create":
            if ctid in located:
                raise CliError(f"create: CTID {ctid} already exists on {', '.join(located[ctid])}")
            if wanted is None and len(where.specs) != 1:
                raise CliError("create: name the node, as NODE/CTID or with exactly one --node NAME")
            job.node = wanted if wanted is not None else where.specs[0].name
            if snapshots[job.node].health is not NodeHealth.UP:
                job.skipped = f"node {job.node} is {snapshots[job.node].health.value}"
                job.outcome, job.unreachable = "failed", True
                continue
            _plan_create(job, where, cluster, params)
            continue
        nodes = located.get(ctid, [])
        if wanted is not None:
            nodes = [wanted] if wanted in nodes else []
        if not nodes:
            searched = [wanted] if wanted is not None else list(snapshots)
            down = [n for n in searched if snapshots[n].health is not NodeHealth.UP]
            job.skipped = ("not found" if wanted is None else f"not found on {wanted}") + (
                f" (unreachable: {', '.join(down)})" if down else ""
            )
            job.outcome, job.unreachable = "failed", bool(down)
            continue
        if len(nodes) > 1:
            raise CliError(
                f"CTID {ctid} exists on several nodes ({', '.join(nodes)}): name one, e.g. {nodes[0]}/{ctid}"
            )
        job.node = nodes[0]
        status = snapshots[job.node].containers[ctid].status
        refusal = spec.refusal(status)
        if refusal:
            job.skipped = refusal
            continue
        if spec.id == "set":
            typed: dict[str, object] = _set_params(params, _host_cpus(cluster, job.node))
        else:
            typed = _typed(params)
            if spec.id == "migrate" and isinstance(typed.get("dest"), str) and typed["dest"] in cluster.nodes:
                typed["dest"] = cluster.spec(str(typed["dest"])).address
        try:
            argvs = build_argvs(spec.id, ctid, typed)
        except ValidationError as error:
            raise CliError(f"{spec.id}: {error}") from None
        job.argvs = [tuple(argv) for argv in argvs]
        job.titles = [f"{spec.title} {ctid}"] * len(argvs)
        job.mutating = [spec.mutating] * len(argvs)
    return jobs


def _confirm(spec: ActionSpec, jobs: Sequence[Job], where: Target, *, assume_yes: bool) -> None:
    """Show the exact commands and ask; without a terminal, --yes is the only way to say yes."""
    runnable = [job for job in jobs if not job.skipped]
    if not runnable or not spec.mutating or where.read_only:
        return
    if assume_yes:
        return
    if not stdin_is_tty():
        raise CliError(f"{spec.id} changes containers: pass --yes to run it without a terminal")
    print(f"{spec.title}: {len(runnable)} container(s)")
    for job in runnable:
        for argv in job.argvs:
            print(f"  {job.node}: {clean(shlex.join(argv))}")
    for job in jobs:
        if job.skipped:
            print(f"  skip {job.ctid}: {job.skipped}")
    protected = any(where_spec.protected for where_spec in where.specs if where_spec.name in {j.node for j in runnable})
    if spec.typed_confirmation or spec.destructive or protected:
        expected = str(runnable[0].ctid) if len(runnable) == 1 else str(len(runnable))
        what = "the CTID" if len(runnable) == 1 else "the number of containers"
        prompt = f"Type {what} ({expected}) to confirm: "
    else:
        expected = "yes"
        prompt = "Type yes to run: "
    sys.stdout.write(prompt)
    sys.stdout.flush()
    if sys.stdin.readline().strip() != expected:
        raise CliError("not confirmed: nothing was run", exitcodes.FAILED)


class _Watcher:
    """Streams output lines as they arrive and wakes the command when every operation it queued has finished."""

    def __init__(self, labels: Mapping[str, str], *, stream: bool) -> None:
        self.labels = labels
        self.stream = stream
        self.pending: set[str] = set(labels)
        self.done = asyncio.Event()
        self.lines: dict[str, list[OutputLine]] = {}

    def expect(self, op: Operation) -> None:
        if op.state.finished:
            self.pending.discard(op.id)
        if not self.pending:
            self.done.set()

    def on_delta(self, delta: object) -> None:
        return

    def on_operation(self, op: Operation) -> None:
        if op.id in self.pending and op.state.finished:
            self.pending.discard(op.id)
            if not self.pending:
                self.done.set()

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        label = self.labels.get(op_id)
        if label is None:
            return
        self.lines.setdefault(op_id, []).extend(lines)
        if not self.stream:
            return
        for line in lines:
            out = sys.stderr if line.stream is Stream.STDERR else sys.stdout
            out.write(f"{label}| {clean(line.text)}\n")
            out.flush()


async def _submit(cluster: Cluster, spec: ActionSpec, job: Job) -> list[Operation]:
    steps = [PlanStep(*step) for step in zip(job.argvs, job.titles, job.mutating, strict=True)]
    requests = action_requests(spec, job.node, job.ctid, steps)
    if len(requests) == 1:
        return [await cluster.submit(requests[0])]
    return await cluster.submit_plan(requests)


async def _run(
    args: argparse.Namespace, spec: ActionSpec, params: Mapping[str, str]
) -> tuple[list[Job], dict[str, list[OutputLine]], Mapping[str, NodeSnapshot]]:
    where = target(args)
    async with polled_cluster(where) as cluster:
        jobs = plan_jobs(spec, args.targets, params, where, cluster)
        _confirm(spec, jobs, where, assume_yes=args.yes)
        for job in jobs:
            if job.skipped:
                continue
            try:
                job.operations = await _submit(cluster, spec, job)
            except ReadOnlyError as error:
                job.skipped, job.outcome = str(error), "refused"
        labels = {op.id: f"{job.node} {job.ctid}" for job in jobs for op in job.operations}
        watcher = _Watcher(labels, stream=not args.json)
        unsubscribe = cluster.subscribe(watcher)
        try:
            for job in jobs:
                for op in job.operations:
                    watcher.expect(op)
            if labels:
                await watcher.done.wait()
        finally:
            unsubscribe()
        lines = {op_id: cluster.output(op_id) for op_id in labels}
        return jobs, lines, cluster.snapshots()


def _result(job: Job, op: Operation | None) -> tuple[str, int | None, str]:
    if op is None:
        return job.outcome, None, job.skipped
    return op.state.value, op.exit_code, op.reason


def run(args: argparse.Namespace) -> int:
    spec = ACTIONS.get(args.action)
    if spec is None:
        raise CliError(f"unknown action {args.action!r} (actions: {', '.join(ACTIONS)})")
    if spec.interactive:
        raise CliError(f"{spec.id} needs an interactive terminal session: use it from the dashboard")
    params = parse_params(args.param)
    jobs, lines, snapshots = asyncio.run(_run(args, spec, params))
    rows: list[dict[str, Any]] = []
    for job in jobs:
        ops: list[Operation | None] = list(job.operations) or [None]
        for op in ops:
            state, code, reason = _result(job, op)
            rows.append(
                {
                    "ctid": job.ctid,
                    "node": job.node or None,
                    "action": spec.id,
                    "state": state,
                    "exit_code": code,
                    "reason": reason,
                    "op_id": op.id if op else None,
                    "argv": list(op.request.argv) if op else None,
                    "output": [line.text for line in lines.get(op.id, [])] if op else [],
                }
            )
    if args.json:
        print_json(rows)
    else:
        print_table(
            ("CTID", "NODE", "STATE", "EXIT", "COMMAND", "REASON"),
            [
                (
                    row["ctid"],
                    row["node"] or "-",
                    row["state"],
                    "" if row["exit_code"] is None else row["exit_code"],
                    shlex.join(row["argv"]) if row["argv"] else "",
                    row["reason"],
                )
                for row in rows
            ],
            right=("CTID", "EXIT"),
        )
    bad = {OpState.FAILED.value, OpState.CANCELLED.value, OpState.INTERRUPTED.value, "failed", "refused"}
    if any(job.unreachable for job in jobs):
        report_unreachable(snapshots)
        return exitcodes.UNREACHABLE
    return exitcodes.FAILED if any(row["state"] in bad for row in rows) else exitcodes.OK
