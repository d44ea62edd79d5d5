"""What an action will do before anything is sent: per target, the exact queue requests or why it is skipped.

The confirmation dialog shows an ``ActionPlan`` and the runner submits the very same requests, so what the admin
approved is byte for byte what runs. Pure: built from snapshots, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from vztui.backend.operation import OpRequest
from vztui.backend.plans import action_requests, action_steps
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.openvz.actions import ActionSpec, Target
from vztui.openvz.commands import display
from vztui.openvz.errors import ValidationError


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """One container's share of an action: the requests to queue (in order), or the reason it is skipped."""

    node: str
    ctid: int
    requests: tuple[OpRequest, ...] = ()
    skipped: str = ""

    @property
    def runs(self) -> bool:
        return not self.skipped and bool(self.requests)


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """An action on its targets, as the confirmation shows it.

    ``hidden_marked``: marked containers the current filter hides (they are among the targets; the dialog warns).
    ``protected``: a runnable target sits on a node configured ``protected`` (typed confirmation even for one CT).
    """

    spec: ActionSpec
    targets: tuple[TargetPlan, ...]
    hidden_marked: int = 0
    protected: bool = False
    title: str = ""

    @property
    def runnable(self) -> tuple[TargetPlan, ...]:
        return tuple(target for target in self.targets if target.runs)

    @property
    def skipped(self) -> tuple[TargetPlan, ...]:
        return tuple(target for target in self.targets if not target.runs)

    @property
    def heading(self) -> str:
        count = len(self.runnable)
        what = self.title or self.spec.title
        if self.spec.target is Target.NEW_CONTAINER:
            return what
        return f"{what}: {count} container{'s' if count != 1 else ''}"

    def command_lines(self) -> list[tuple[str, str]]:
        """(node, command line) for every request, in submission order: the exact argvs, shell-quoted."""
        return [(target.node, display(request.argv)) for target in self.runnable for request in target.requests]

    def skip_lines(self) -> list[str]:
        """``102: already running`` for every skipped target (with the node when targets span several)."""
        several = len({target.node for target in self.targets}) > 1
        return [
            f"{target.ctid}{f' ({target.node})' if several else ''}: {target.skipped or 'nothing to run'}"
            for target in self.skipped
        ]

    @property
    def typed_confirmation(self) -> str | None:
        """What the admin must type to confirm (the CTID, or the count for bulk), or None when a button will do."""
        runnable = self.runnable
        if not runnable or not (self.spec.typed_confirmation or (self.protected and self.spec.mutating)):
            return None
        return str(runnable[0].ctid) if len(runnable) == 1 else str(len(runnable))


def plan_action(
    spec: ActionSpec,
    targets: Iterable[tuple[str, int]],
    snapshots: Mapping[str, NodeSnapshot],
    params: Mapping[str, object] | None = None,
    *,
    hidden_marked: int = 0,
    read_only_nodes: Collection[str] = (),
    protected_nodes: Collection[str] = (),
) -> ActionPlan:
    """Check each target's state in the latest snapshot and build its requests (CTIDs captured now; the queue
    re-checks each CT's state when its turn comes). Duplicated targets count once."""
    planned: list[TargetPlan] = []
    for node, ctid in dict.fromkeys(targets):
        planned.append(_plan_one(spec, node, ctid, snapshots, params, read_only=node in read_only_nodes))
    protected = any(target.node in protected_nodes for target in planned if target.runs)
    return ActionPlan(spec, tuple(planned), hidden_marked=hidden_marked, protected=protected)


def _plan_one(
    spec: ActionSpec,
    node: str,
    ctid: int,
    snapshots: Mapping[str, NodeSnapshot],
    params: Mapping[str, object] | None,
    *,
    read_only: bool,
) -> TargetPlan:
    snapshot = snapshots.get(node)
    if snapshot is None:
        return TargetPlan(node, ctid, skipped=f"unknown node {node}")
    if spec.mutating and read_only:
        return TargetPlan(node, ctid, skipped=f"node {node} is read-only")
    if snapshot.health is not NodeHealth.UP:
        return TargetPlan(node, ctid, skipped=f"node {node} is {snapshot.health.value}: its state is not known")
    container = snapshot.containers.get(ctid)
    if container is None:
        return TargetPlan(node, ctid, skipped=f"not found on {node}")
    refusal = spec.refusal(container.status)
    if refusal:
        return TargetPlan(node, ctid, skipped=refusal)
    try:
        steps = action_steps(spec, ctid, params)
    except ValidationError as error:
        return TargetPlan(node, ctid, skipped=str(error))
    return TargetPlan(node, ctid, tuple(action_requests(spec, node, ctid, steps)))
