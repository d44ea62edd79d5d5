"""``ActionRunner``: turns a keypress on containers into confirmed queue operations, and reports per-CT results.

Every flow runs in a worker (so it can wait for dialogs without blocking the app): plan from the latest snapshots,
confirm showing the exact command lines, submit, then follow the operations until each target has a result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from textual.app import App, SuspendNotSupported
from textual.worker import Worker

from vztui.backend.operation import Operation, OpRequest, OpState, ReadOnlyError
from vztui.backend.snapshot import NodeDelta
from vztui.backend.transport import OutputLine, TransportError
from vztui.openvz.actions import ACTIONS, ActionSpec
from vztui.openvz.commands import vzctl_exec
from vztui.openvz.errors import ValidationError
from vztui.openvz.presets import ISPBASIC, Preset
from vztui.ui.action_plan import ActionPlan, TargetPlan, plan_action
from vztui.ui.backend_api import ClusterApi
from vztui.ui.screens.confirm import ConfirmScreen
from vztui.ui.screens.prompt import PromptField

IMPLEMENTED: frozenset[str] = frozenset(
    {
        "start",
        "stop",
        "stop_fast",
        "restart",
        "mount",
        "umount",
        "suspend",
        "resume",
        "destroy",
        "set",
        "enter",
        "exec",
        "create",
        "snapshot_list",
        "snapshot_create",
        "snapshot_switch",
        "snapshot_delete",
        "snapshot_mount",
        "snapshot_umount",
        "migrate",
        "status",
        "quota",
        "calc",
    }
)
"""The action ids this runner carries out: every id of the registry today (a test keeps the two in step, so a new
registry action gets a flow here before the dashboard offers it). ``snapshot_list`` and the snapshot actions that
need a chosen snapshot open the snapshots screen; ``migrate`` opens the pre-flight screen."""
_SNAPSHOT_SCREEN = frozenset(
    {"snapshot_list", "snapshot_switch", "snapshot_delete", "snapshot_mount", "snapshot_umount"}
)

EXEC_FIELDS = (PromptField("command", "Command", "e.g. df -h /"),)

STOP_TIMEOUT_EXIT = 33
"""vzctl's VZ_STOP_ERROR: "Unable to stop container: operation timed out" (REFERENCE §2.3)."""
MAX_RESULT_LINES = 12
_SUMMARY_ORDER = ("succeeded", "failed", "interrupted", "cancelled", "skipped")


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What became of one target of an action: ``succeeded``, ``failed``, ``skipped``, ``cancelled`` …"""

    node: str
    ctid: int
    state: str
    reason: str = ""
    exit_code: int | None = None

    def line(self) -> str:
        mark = "✓" if self.state == OpState.SUCCEEDED.value else "✗"
        detail = f": {self.reason}" if self.reason else ""
        return f"{mark} {self.ctid} on {self.node} {self.state}{detail}"


@dataclass(slots=True, eq=False)
class Batch:
    """The operations one confirmed action queued, per target, until every one of them has finished."""

    title: str
    ops: dict[tuple[str, int], list[Operation]] = field(default_factory=dict)
    skipped: tuple[TargetPlan, ...] = ()
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once every operation has finished (screens wait on it to reload what the action changed)."""

    @property
    def done(self) -> bool:
        return all(op.state.finished for ops in self.ops.values() for op in ops)

    def results(self) -> list[ItemResult]:
        """One result per target, skipped ones last: the first step that did not succeed decides (a plan's later
        steps are skipped because of it)."""
        results: list[ItemResult] = []
        for (node, ctid), ops in self.ops.items():
            failed = next((op for op in ops if op.state is not OpState.SUCCEEDED), None)
            if failed is None:
                results.append(ItemResult(node, ctid, OpState.SUCCEEDED.value))
            else:
                results.append(ItemResult(node, ctid, failed.state.value, failed.reason, failed.exit_code))
        return results + [ItemResult(t.node, t.ctid, "skipped", t.skipped) for t in self.skipped]


def check_exec(values: Mapping[str, str]) -> str | None:
    """Why the domain builder refuses this ``vzctl exec`` command (empty, several lines …), or None."""
    try:
        vzctl_exec(101, values.get("command", ""))
    except ValidationError as error:
        return str(error)
    return None


class ActionRunner:
    """Runs action ids from ``vztui.openvz.actions.ACTIONS`` on (node, ctid) targets for the dashboard.

    ``presets`` are the configured create presets by name (the built-in ``ispbasic`` when none are given).
    Finished actions land in ``finished`` (newest last) and are announced with per-container results.
    """

    def __init__(self, app: App[object], cluster: ClusterApi, *, presets: Mapping[str, Preset] | None = None) -> None:
        self._app = app
        self.cluster = cluster
        self.presets: Mapping[str, Preset] = MappingProxyType(dict(presets or {ISPBASIC.name: ISPBASIC}))
        self._batches: dict[str, Batch] = {}
        """Operation id → the batch it belongs to, while it runs."""
        self.finished: list[Batch] = []
        self.worker: Worker[None] | None = None
        """The latest flow's worker (a flow waits for dialogs, so it never runs on the caller's task)."""
        self._unsubscribe = cluster.subscribe(self)

    # -- the contract F1 wires keys to --------------------------------------------------------------------------

    def available(self, action_id: str) -> bool:
        """Whether the dashboard should offer ``action_id`` now: known here, and not mutating on a read-only session."""
        spec = ACTIONS.get(action_id)
        if spec is None or action_id not in IMPLEMENTED:
            return False
        return not (spec.mutating and self.cluster.read_only)

    async def invoke(self, action_id: str, targets: Sequence[tuple[str, int]], *, hidden_marked: int = 0) -> None:
        """Start ``action_id`` on ``targets`` (captured now): dialogs, confirmation and submission run in a worker.

        Returns at once; the outcome is reported by notifications and ``finished``.
        """
        if action_id == "create":
            await self.invoke_create(targets[0][0] if targets else None)
            return
        spec = ACTIONS.get(action_id)
        if spec is None or action_id not in IMPLEMENTED:
            self._app.notify(f"{action_id}: not an action vztui can run", severity="error", markup=False)
            return
        if not targets:
            self._app.notify(f"{spec.title}: no container selected or marked", severity="warning", markup=False)
            return
        if self._refuse_read_only(spec):
            return
        if action_id == "migrate":
            from vztui.ui.screens.migrate import MigrateScreen

            self._app.push_screen(MigrateScreen(self, tuple(dict.fromkeys(targets))))
            return
        if action_id in _SNAPSHOT_SCREEN:
            from vztui.ui.screens.snapshots import SnapshotsScreen

            node, ctid = targets[0]
            self._app.push_screen(SnapshotsScreen(self, node, ctid))
            return
        captured = tuple(dict.fromkeys(targets))
        self._start(self._flow(spec, captured, hidden_marked), f"action {action_id}")

    async def invoke_create(self, node: str | None) -> None:
        """Open the create form (on ``node`` when given), then confirm and queue the create plan."""
        spec = ACTIONS["create"]
        if self._refuse_read_only(spec):
            return
        self._start(self._create_flow(node), "action create")

    def close(self) -> None:
        """Stop listening to the cluster (the app calls it on unmount)."""
        self._unsubscribe()

    # -- flows -------------------------------------------------------------------------------------------------

    def _start(self, flow: Any, name: str) -> None:
        self.worker = self._app.run_worker(flow, name=name, group="vztui-actions", exit_on_error=False)

    def _refuse_read_only(self, spec: ActionSpec) -> bool:
        if spec.mutating and self.cluster.read_only:
            self._app.notify(
                f"{spec.title} refused: this vztui session is read-only (--read-only). Nothing was sent.",
                title="Read-only",
                severity="error",
                markup=False,
            )
            return True
        return False

    def _plan(
        self,
        spec: ActionSpec,
        targets: Sequence[tuple[str, int]],
        params: Mapping[str, object] | None = None,
        *,
        hidden_marked: int = 0,
    ) -> ActionPlan:
        nodes = {node for node, _ in targets if node in self.cluster.nodes}
        specs = {node: self.cluster.spec(node) for node in nodes}
        return plan_action(
            spec,
            targets,
            self.cluster.snapshots(),
            params,
            read_only_nodes={node for node, spec in specs.items() if spec.read_only},
            protected_nodes={node for node, spec in specs.items() if spec.protected},
            hidden_marked=hidden_marked,
        )

    async def _flow(self, spec: ActionSpec, targets: tuple[tuple[str, int], ...], hidden_marked: int) -> None:
        try:
            if spec.id == "enter":
                await self._enter(spec, targets[0])
                return
            params: dict[str, object] = {}
            details: Sequence[str] = ()
            if spec.id == "set":
                from vztui.ui.screens.setform import SetFormResult, SetFormScreen

                node, ctid = targets[0]
                host_cpus = self._host_cpus(node)
                form: SetFormResult | None = await self._app.push_screen_wait(
                    SetFormScreen(self.cluster, node, ctid, host_cpus=host_cpus, targets=len(targets))
                )
                if form is None:
                    return
                params = {"changes": form.changes}
                details = (f"Config change of CT {ctid} on {node}:", *form.diff) if form.diff else ()
            elif spec.id == "snapshot_create":
                from vztui.ui.screens.prompt import PromptScreen
                from vztui.ui.screens.snapshots import CREATE_FIELDS, check_create

                title = f"{spec.title} of {len(targets)} container(s)"
                values = await self._app.push_screen_wait(
                    PromptScreen(title, CREATE_FIELDS, check_create, submit="Next…")
                )
                if values is None:
                    return
                params = dict(values)
            elif spec.id == "exec":
                from vztui.ui.screens.prompt import PromptScreen

                ctids = " ".join(str(ctid) for _, ctid in targets)
                values = await self._app.push_screen_wait(
                    PromptScreen(f"Run a command in {ctids}", EXEC_FIELDS, check_exec, submit="Run…")
                )
                if values is None:
                    return
                params = {"command": values["command"]}
            plan = self._plan(spec, targets, params, hidden_marked=hidden_marked)
            await self._confirm_and_submit(plan, details=details)
        except Exception as error:  # a flow must never take the dashboard down
            self._app.notify(f"{spec.title} failed: {error}", severity="error", markup=False)

    async def run_confirmed(
        self, action_id: str, targets: Sequence[tuple[str, int]], params: Mapping[str, object] | None = None
    ) -> Batch | None:
        """Plan, confirm and queue ``action_id`` with ready parameters (for screens such as snapshots); call it from
        a worker. Returns the queued batch (wait on ``batch.finished``), or None when refused, empty or cancelled."""
        spec = ACTIONS[action_id]
        if self._refuse_read_only(spec):
            return None
        return await self._confirm_and_submit(self._plan(spec, targets, params))

    async def _confirm_and_submit(self, plan: ActionPlan, *, details: Sequence[str] = ()) -> Batch | None:
        if not plan.runnable:
            reasons = "; ".join(plan.skip_lines()) or "no target"
            self._app.notify(f"{plan.heading}: nothing to run ({reasons})", severity="warning", markup=False)
            return None
        if plan.spec.needs_confirmation or plan.typed_confirmation is not None:
            confirmed: bool = await self._app.push_screen_wait(ConfirmScreen(plan, details=details))
            if not confirmed:
                return None
        return await self.submit(plan)

    async def submit(self, plan: ActionPlan) -> Batch:
        """Queue a confirmed plan: one operation per step, a create's steps as one plan that stops at a failure."""
        batch = Batch(plan.heading, skipped=plan.skipped)
        refused: list[str] = []
        for target in plan.runnable:
            try:
                ops = await self._submit_target(target.requests)
            except ReadOnlyError as error:
                refused.append(str(error))
                batch.skipped += (TargetPlan(target.node, target.ctid, skipped="refused: read-only"),)
                continue
            except KeyError as error:
                batch.skipped += (TargetPlan(target.node, target.ctid, skipped=str(error)),)
                continue
            batch.ops[(target.node, target.ctid)] = ops
            for op in ops:
                self._batches[op.id] = batch
        if refused:
            self._app.notify(refused[0], title="Read-only", severity="error", markup=False)
        self._check_done(batch)
        return batch

    async def _submit_target(self, requests: Sequence[OpRequest]) -> list[Operation]:
        if len(requests) == 1:
            return [await self.cluster.submit(requests[0])]
        return await self.cluster.submit_plan(requests)

    def _host_cpus(self, node: str) -> int | None:
        info = self.cluster.node_info(node)
        return info.capacity.cpus if info is not None else None

    # -- create ------------------------------------------------------------------------------------------------

    async def _create_flow(self, node: str | None) -> None:
        from vztui.ui.screens.create import CreateScreen, plan_create

        try:
            request = await self._app.push_screen_wait(CreateScreen(self.cluster, node, self.presets))
            if request is None:
                return
            spec = self.cluster.spec(request.node)
            info = self.cluster.node_info(request.node)
            plan = plan_create(
                request,
                info,
                root_prefix=spec.root_prefix,
                protected=spec.protected,
                host_cpus=self._host_cpus(request.node),
            )
            await self._confirm_and_submit(plan)
        except Exception as error:  # a flow must never take the dashboard down
            self._app.notify(f"Create failed: {error}", severity="error", markup=False)

    # -- enter -------------------------------------------------------------------------------------------------

    async def _enter(self, spec: ActionSpec, target: tuple[str, int]) -> None:
        plan = self._plan(spec, [target])
        if not plan.runnable:
            self._app.notify(f"Enter: {'; '.join(plan.skip_lines())}", severity="warning", markup=False)
            return
        node, ctid = target
        argv = plan.runnable[0].requests[0].argv
        transport = self.cluster.transport(node)
        try:
            # Blocking on purpose: the terminal belongs to the shell until it exits; the queue catches up after.
            with self._app.suspend():
                code = transport.run_interactive(argv)
        except SuspendNotSupported:
            self._app.notify(
                "Enter needs a real terminal: this one cannot hand itself over to a shell.",
                severity="error",
                markup=False,
            )
            return
        except TransportError as error:
            self._app.notify(f"Enter {ctid} on {node}: {error.message}", severity="error", markup=False)
            return
        if code != 0:
            self._app.notify(f"Shell in {ctid} on {node} ended with exit {code}", severity="warning", markup=False)

    # -- following operations (ClusterListener) ----------------------------------------------------------------

    def on_delta(self, delta: NodeDelta) -> None:
        return

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        return

    def on_operation(self, op: Operation) -> None:
        batch = self._batches.get(op.id)
        if batch is None or not op.state.finished:
            return
        del self._batches[op.id]
        self._check_done(batch)

    def _check_done(self, batch: Batch) -> None:
        if not batch.done or any(done is batch for done in self.finished):
            return
        self.finished.append(batch)
        batch.finished.set()
        results = batch.results()
        good = sum(1 for result in results if result.state == OpState.SUCCEEDED.value)
        counts = {state: sum(1 for result in results if result.state == state) for state in _SUMMARY_ORDER}
        summary = ", ".join(f"{count} {state}" for state, count in counts.items() if count)
        lines = [result.line() for result in results[:MAX_RESULT_LINES]]
        if len(results) > MAX_RESULT_LINES:
            lines.append(f"… and {len(results) - MAX_RESULT_LINES} more (see the operations pane)")
        self._app.notify(
            "\n".join(lines),
            title=f"{batch.title} — {summary}",
            severity="information" if good == len(results) else "warning",
            markup=False,
        )
        self._offer_fast_stop(batch)

    def _offer_fast_stop(self, batch: Batch) -> None:
        """Graceful stops that timed out: offer ``vzctl stop --fast`` for all of those CTs in one confirmation."""
        stuck = [
            op
            for ops in batch.ops.values()
            for op in ops
            if op.request.kind == "stop"
            and op.state is OpState.FAILED
            and (op.exit_code == STOP_TIMEOUT_EXIT or "timed out" in op.reason)
        ]
        if not stuck:
            return
        targets = tuple((op.node, ctid) for op in stuck for ctid in op.ctids)
        reason = stuck[0].reason if len(stuck) == 1 else f"{len(stuck)} graceful stops timed out"
        self._start(self._fast_stop_flow(targets, reason), "offer stop --fast")

    async def _fast_stop_flow(self, targets: tuple[tuple[str, int], ...], reason: str) -> None:
        spec = ACTIONS["stop_fast"]
        plan = self._plan(spec, targets)
        if not plan.runnable:
            return
        plan = ActionPlan(
            plan.spec,
            plan.targets,
            protected=plan.protected,
            title=f"Stop timed out ({reason}) — kill at once",
        )
        await self._confirm_and_submit(plan)
