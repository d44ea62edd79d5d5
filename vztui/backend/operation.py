"""The unit of change: an ``Operation`` (one argv on one node) and a ``Plan`` (ordered steps that stop at the first
failure). The same argv is shown in the confirmation, written to the journal and sent to the node.
"""

from __future__ import annotations

import enum
import itertools
import os
import time
from dataclasses import dataclass, field


class OpState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    """vztui died or lost the node while it ran: the outcome is unknown until reconciled."""
    SKIPPED = "skipped"
    """A plan step not run because an earlier one failed, or a target whose state no longer allowed the action."""

    @property
    def finished(self) -> bool:
        return self not in (OpState.QUEUED, OpState.RUNNING)


class ReadOnlyError(PermissionError):
    """A mutating operation was refused because the session or the node is read-only."""


_counter = itertools.count(1)


def new_op_id() -> str:
    """Unique across processes sharing one journal: time, pid and a counter."""
    return f"{int(time.time() * 1000):x}-{os.getpid():x}-{next(_counter):x}"


@dataclass(frozen=True, slots=True)
class OpRequest:
    """What a caller asks for: one command on one node touching some CTs. Immutable; the queue wraps it."""

    node: str
    argv: tuple[str, ...]
    kind: str
    """The action id from the registry (``start``, ``set``, ``create`` …) or ``exec``/``raw`` for others."""
    ctids: tuple[int, ...] = ()
    mutating: bool = True
    title: str = ""
    timeout: float = 600.0
    expect_states: tuple[str, ...] = ()
    """CT states the action is valid in; re-checked when the operation's turn comes (empty: no check)."""
    reads_output: bool = False
    """A read-back step (``vzlist -H -o layout``) whose stdout a later step may need."""


@dataclass(slots=True)
class Operation:
    """A queued request and what became of it. Mutated only by the queue, on the event loop."""

    request: OpRequest
    id: str = field(default_factory=new_op_id)
    user: str = field(default_factory=lambda: os.environ.get("USER", "") or str(os.getuid()))
    plan_id: str | None = None
    step: int = 0
    state: OpState = OpState.QUEUED
    queued_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    reason: str = ""
    """Why it failed, was skipped or was interrupted, in words (the exit code's meaning, a transport error …)."""
    output_lines: int = 0

    @property
    def node(self) -> str:
        return self.request.node

    @property
    def ctids(self) -> tuple[int, ...]:
        return self.request.ctids

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else time.time()
        return end - self.started_at
