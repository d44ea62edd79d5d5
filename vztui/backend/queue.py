"""The operation queue: runs vzctl operations on nodes with a per-node concurrency limit, never two at once on one CT,
plans that stop at their first failure, cancel and retry, and the read-only guard.

All scheduling happens on the event loop; each running operation is one task that streams its command through the
node's transport. State changes go to ``on_operation``, output to the coalescer (batched ~50 ms) and the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from vztui.backend.ctlocks import CtLocks
from vztui.backend.journal import Journal
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import Operation, OpRequest, OpState, ReadOnlyError, new_op_id
from vztui.backend.output import DEFAULT_MAX_LINES, BatchSink, OutputBuffer, OutputCoalescer
from vztui.backend.readonly import refusal_reason
from vztui.backend.transport import (
    AuthenticationError,
    CommandTimeoutError,
    ExitStatus,
    HostKeyError,
    OutputLine,
    Transport,
    TransportError,
)

log = logging.getLogger(__name__)

StateLookup = Callable[[str, int], tuple[str | None, float]]
"""(node, ctid) → (the CT's state in the latest snapshot or None when unknown, when that snapshot was taken)."""

KEEP_FINISHED = 2000
"""Finished operations (and their in-memory output) kept for the operations list; the journal keeps all."""

_RESULT_STATE = {
    "start": "running",
    "restart": "running",
    "resume": "running",
    "stop": "stopped",
    "umount": "stopped",
    "mount": "mounted",
    "suspend": "suspended",
    "destroy": "deleted",
}
"""The state an action leads to: finding a CT already in it reads "already running" rather than "is running"."""


@dataclass(slots=True)
class _NodeSlots:
    """Scheduling state of one node."""

    limit: int
    pending: list[Operation] = field(default_factory=list)
    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    busy: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Plan:
    id: str
    steps: list[Operation]

    def after(self, op: Operation) -> list[Operation]:
        return self.steps[op.step + 1 :]


class OperationQueue:
    """Schedules and runs operations; see the module docstring for the rules it keeps.

    ``transport_for(node)`` returns the node's transport; ``state_of`` reads the latest snapshot for the state
    re-check; ``read_status(node, ctid)`` asks the node directly (``vzctl status``) when the snapshot predates the
    queue's own last change to that CT.
    """

    def __init__(
        self,
        specs: Mapping[str, NodeSpec],
        *,
        transport_for: Callable[[str], Transport],
        journal: Journal,
        read_only: bool = False,
        state_of: StateLookup | None = None,
        read_status: Callable[[str, int], Awaitable[str | None]] | None = None,
        on_operation: Callable[[Operation], None] | None = None,
        on_output: BatchSink | None = None,
        on_finished: Callable[[Operation], None] | None = None,
        max_output_lines: int = DEFAULT_MAX_LINES,
    ) -> None:
        self._specs = dict(specs)
        self._transport_for = transport_for
        self._journal = journal
        self.read_only = read_only
        self._state_of = state_of
        self._read_status = read_status
        self._on_operation = on_operation
        self._on_finished = on_finished
        self._coalescer = OutputCoalescer(self._deliver_output)
        self._on_output = on_output
        self._max_output_lines = max_output_lines
        self._slots = {name: _NodeSlots(limit=max(1, spec.max_parallel)) for name, spec in self._specs.items()}
        self._ops: OrderedDict[str, Operation] = OrderedDict()
        self._outputs: dict[str, OutputBuffer] = {}
        self._plans: dict[str, _Plan] = {}
        self._blocked: set[str] = set()
        """Plan steps waiting for their predecessor."""
        self._cancelling: set[str] = set()
        self._touched: dict[tuple[str, int], float] = {}
        """(node, ctid) → when the queue last finished changing it (snapshots older than that are not trusted)."""
        self._ct_locks = CtLocks(journal.directory / "locks")
        self._closed = False

    # -- admission ---------------------------------------------------------------------------------------------

    def check_allowed(self, request: OpRequest) -> None:
        """Raise ReadOnlyError when the session or the node forbids ``request``; record the refusal."""
        spec = self._specs.get(request.node)
        if spec is None:
            raise KeyError(f"unknown node {request.node!r}")
        reason = refusal_reason(request, session_read_only=self.read_only, node_read_only=spec.read_only)
        if reason:
            self._journal.refused(request, reason, _current_user())
            raise ReadOnlyError(reason)

    def submit(self, request: OpRequest) -> Operation:
        """Queue one operation (raises ReadOnlyError or KeyError before anything is queued)."""
        self._ensure_open()
        self.check_allowed(request)
        op = Operation(request=request)
        self._admit(op)
        self._pump(request.node)
        return op

    def submit_plan(self, requests: Sequence[OpRequest]) -> list[Operation]:
        """Queue ordered steps: each runs only after the previous one succeeded; a failure skips the rest.

        The whole plan is checked against the read-only guard first: a plan is refused as a whole, never halfway.
        """
        self._ensure_open()
        if not requests:
            return []
        for request in requests:
            self.check_allowed(request)
        plan_id = new_op_id()
        steps = [Operation(request=request, plan_id=plan_id, step=index) for index, request in enumerate(requests)]
        self._plans[plan_id] = _Plan(plan_id, steps)
        for op in steps[1:]:
            self._blocked.add(op.id)
        for op in steps:
            self._admit(op)
        for node in dict.fromkeys(op.node for op in steps):
            self._pump(node)
        return steps

    def _admit(self, op: Operation) -> None:
        self._ops[op.id] = op
        self._outputs[op.id] = OutputBuffer(self._max_output_lines)
        self._slots[op.node].pending.append(op)
        self._journal.queued(op)
        self._notify(op)

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("the operation queue is stopped")

    # -- scheduling --------------------------------------------------------------------------------------------

    def _pump(self, node: str) -> None:
        """Start every pending operation of ``node`` that may run now, oldest first.

        A waiting operation claims its CTs, so a later one on the same CT never overtakes it (per-CT FIFO), while
        operations on other CTs still fill free slots.
        """
        slots = self._slots[node]
        claimed: set[int] = set()
        still: list[Operation] = []
        for op in slots.pending:
            cts = set(op.ctids)
            can_run = (
                len(slots.running) < slots.limit
                and op.id not in self._blocked
                and not (cts & slots.busy)
                and not (cts & claimed)
            )
            if can_run:
                slots.busy |= cts
                slots.running[op.id] = asyncio.get_running_loop().create_task(self._run(op), name=f"op-{op.id}")
            else:
                claimed |= cts
                still.append(op)
        slots.pending = still

    async def _run(self, op: Operation) -> None:
        slots = self._slots[op.node]
        try:
            # Another vztui process of this user (dashboard, script) may be changing the same CT: wait for it, then
            # re-check the state it left behind.
            guarded = op.request.mutating and op.ctids
            async with self._ct_locks.hold(op.node, op.ctids if guarded else ()):
                skip_reason = await self._recheck(op)
                if op.id in self._cancelling:
                    self._finish(op, OpState.CANCELLED, None, "cancelled by user before it started")
                elif skip_reason:
                    self._finish(op, OpState.SKIPPED, None, skip_reason)
                else:
                    await self._execute(op)
        except asyncio.CancelledError:
            if not op.state.finished:
                why = "cancelled by user" if op.id in self._cancelling else "vztui stopped"
                killed = "; the command was killed" if op.state is OpState.RUNNING else " before it started"
                self._finish(op, OpState.CANCELLED, None, why + killed)
        except Exception as exc:  # one broken operation must never take the queue down
            log.exception("operation %s crashed", op.id)
            if not op.state.finished:
                self._finish(op, OpState.FAILED, None, f"internal error: {exc}")
        finally:
            slots.running.pop(op.id, None)
            slots.busy.difference_update(op.ctids)
            self._cancelling.discard(op.id)
            self._after_finish(op)

    async def _recheck(self, op: Operation) -> str:
        """The reason to skip ``op`` because a CT is no longer in a state the action allows, or ""."""
        expected = op.request.expect_states
        if not expected or not op.ctids:
            return ""
        problems: list[str] = []
        for ctid in op.ctids:
            state = await self._state_now(op.node, ctid)
            if state is None or state in expected:
                continue
            if _RESULT_STATE.get(op.request.kind) == state:
                problems.append(f"{ctid}: already {state}")
            else:
                problems.append(f"{ctid}: is {state}; {op.request.kind} needs {' or '.join(expected)}")
        return "; ".join(problems)

    async def _state_now(self, node: str, ctid: int) -> str | None:
        state, taken_at = self._state_of(node, ctid) if self._state_of else (None, 0.0)
        if taken_at >= self._touched.get((node, ctid), 0.0) and state is not None:
            return state
        if self._read_status is None:
            return state if taken_at >= self._touched.get((node, ctid), 0.0) else None
        try:
            return await self._read_status(node, ctid)
        except (TransportError, OSError) as exc:
            log.warning("state re-check of CT %s on %s failed: %s", ctid, node, exc)
            return None

    async def _execute(self, op: Operation) -> None:
        op.state = OpState.RUNNING
        op.started_at = time.time()
        await self._journal.started(op)
        self._notify(op)
        buffer = self._outputs[op.id]
        transport = self._transport_for(op.node)
        status: ExitStatus | None = None
        events = transport.stream(op.request.argv, timeout=op.request.timeout)
        try:
            async for event in events:
                if isinstance(event, OutputLine):
                    op.output_lines += 1
                    buffer.extend((event,))
                    self._coalescer.add(op.id, event)
                else:
                    status = event
        except CommandTimeoutError:
            self._finish(
                op, OpState.FAILED, None, f"timed out after {op.request.timeout:g} s on {op.node}; command killed"
            )
            return
        except TransportError as exc:
            # A refused host key or login means the command never left vztui: failed, not of unknown outcome.
            unsent = isinstance(exc, HostKeyError | AuthenticationError)
            state = OpState.INTERRUPTED if op.request.mutating and not unsent else OpState.FAILED
            unknown = "; outcome unknown until the CT state is re-read" if state is OpState.INTERRUPTED else ""
            self._finish(op, state, None, f"lost {op.node}: {exc.message}{unknown}")
            return
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
        if status is None or (status.exit_code < 0 and status.reason):
            reason = status.reason if status is not None else "the command ended without an exit status"
            state = OpState.INTERRUPTED if op.request.mutating else OpState.FAILED
            self._finish(op, state, None, f"{op.node}: {reason}")
            return
        if status.exit_code == 0:
            self._finish(op, OpState.SUCCEEDED, 0, "")
        elif _informational(op.request.argv, status.exit_code):
            self._finish(op, OpState.SUCCEEDED, status.exit_code, explain(op.request.argv, status.exit_code))
        else:
            self._finish(op, OpState.FAILED, status.exit_code, explain(op.request.argv, status.exit_code))

    def _finish(self, op: Operation, state: OpState, exit_code: int | None, reason: str) -> None:
        self._coalescer.flush()
        op.state = state
        op.exit_code = exit_code
        op.reason = reason
        op.finished_at = time.time()
        if op.request.mutating and state is not OpState.SKIPPED:
            for ctid in op.ctids:
                self._touched[(op.node, ctid)] = op.finished_at
        self._journal.finished(op)
        self._notify(op)

    def _after_finish(self, op: Operation) -> None:
        """Advance or close the op's plan, then fill the freed slot."""
        nodes = {op.node}
        plan = self._plans.get(op.plan_id) if op.plan_id else None
        if plan is not None:
            rest = plan.after(op)
            if op.state is OpState.SUCCEEDED and rest:
                self._blocked.discard(rest[0].id)
                nodes.add(rest[0].node)
            else:
                self._skip_rest(op, rest)
                self._plans.pop(plan.id, None)
        if self._on_finished is not None:
            self._on_finished(op)
        if not self._closed:
            for node in nodes:
                self._pump(node)
        self._prune()

    def _skip_rest(self, failed: Operation, rest: Iterable[Operation]) -> None:
        if failed.state is OpState.SUCCEEDED:
            return
        cause = f"not run: step {failed.step + 1} ({shlex.join(failed.request.argv)}) {failed.state.value}"
        if failed.reason:
            cause += f": {failed.reason}"
        for op in rest:
            if op.state.finished:
                continue
            self._blocked.discard(op.id)
            slots = self._slots[op.node]
            if op in slots.pending:
                slots.pending.remove(op)
            self._finish(op, OpState.SKIPPED, None, cause)

    # -- control -----------------------------------------------------------------------------------------------

    async def cancel(self, op_id: str) -> bool:
        """Cancel a queued (dropped) or running (command killed) operation. False when it already finished."""
        op = self._ops.get(op_id)
        if op is None:
            raise KeyError(f"unknown operation {op_id!r}")
        if op.state.finished:
            return False
        slots = self._slots[op.node]
        task = slots.running.get(op_id)
        if task is None:
            slots.pending.remove(op)
            self._blocked.discard(op_id)
            self._finish(op, OpState.CANCELLED, None, "cancelled by user before it started")
            self._after_finish(op)
            return True
        self._cancelling.add(op_id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(asyncio.wait({task}))
        return True

    def retry(self, op_id: str) -> Operation:
        """Queue ``op_id``'s request again (a new operation). For a failed plan step, the steps it caused to be
        skipped are queued after it as a new plan. Returns the new operation for ``op_id``'s step.
        """
        op = self._ops.get(op_id)
        if op is None:
            raise KeyError(f"unknown operation {op_id!r}")
        if not op.state.finished:
            raise ValueError(f"operation {op_id} is still {op.state.value}; only finished operations can be retried")
        plan = [op]
        if op.plan_id is not None and op.state is not OpState.SUCCEEDED:
            plan += [
                other
                for other in self._ops.values()
                if other.plan_id == op.plan_id and other.step > op.step and other.state is OpState.SKIPPED
            ]
        if len(plan) == 1:
            return self.submit(op.request)
        return self.submit_plan([step.request for step in plan])[0]

    async def close(self) -> None:
        """Stop: drop queued operations (cancelled, never run) and kill running ones."""
        self._closed = True
        for slots in self._slots.values():
            for op in list(slots.pending):
                self._finish(op, OpState.CANCELLED, None, "never started: vztui stopped first")
            slots.pending.clear()
        tasks = [task for slots in self._slots.values() for task in slots.running.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._coalescer.close()

    # -- reading -----------------------------------------------------------------------------------------------

    def operations(self) -> list[Operation]:
        return list(self._ops.values())

    def get(self, op_id: str) -> Operation | None:
        return self._ops.get(op_id)

    def output(self, op_id: str) -> list[OutputLine]:
        buffer = self._outputs.get(op_id)
        if buffer is None:
            return []
        return buffer.lines(full_output_at=str(self._journal.output_path(op_id)))

    def busy_cts(self, node: str) -> frozenset[int]:
        return frozenset(self._slots[node].busy)

    def add_history(self, ops: Iterable[Operation]) -> None:
        """Show operations from an earlier run (read from the journal) in the list; they are never run."""
        for op in ops:
            if op.id not in self._ops:
                self._ops[op.id] = op
                self._ops.move_to_end(op.id, last=False)
                self._notify(op)

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _notify(self, op: Operation) -> None:
        if self._on_operation is not None:
            try:
                self._on_operation(op)
            except Exception:
                log.exception("operation listener failed")

    def _deliver_output(self, batch: dict[str, list[OutputLine]]) -> None:
        for op_id, lines in batch.items():
            self._journal.output(op_id, lines)
        if self._on_output is not None:
            try:
                self._on_output(batch)
            except Exception:
                log.exception("output listener failed")

    def _prune(self) -> None:
        finished = [op_id for op_id, op in self._ops.items() if op.state.finished]
        for op_id in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            self._ops.pop(op_id, None)
            self._outputs.pop(op_id, None)


def _informational(argv: Sequence[str], exit_code: int) -> bool:
    """A non-zero exit the tool documents as a report, not a failure (see ``ExitInfo.success``)."""
    from vztui.openvz.exitcodes import explain_exit

    return bool(argv) and explain_exit(argv[0], exit_code).success


def explain(argv: Sequence[str], exit_code: int) -> str:
    """``exit 9 (VZ_LOCKED): … `` from the tool's own exit-code table (vzctl, vzmigrate, vzquota …)."""
    from vztui.openvz.exitcodes import explain_exit

    return explain_exit(argv[0] if argv else "", exit_code).describe(exit_code)


def _current_user() -> str:
    return os.environ.get("USER", "") or str(os.getuid())
