"""Throttles applied from the failing-now view and how to take them back: one undo entry per throttle, kept for the
whole session (per cluster), so the failing screen can be closed and reopened before the admin undoes.
"""

from __future__ import annotations

import shlex
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial

from rich.text import Text
from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider

from vztui.backend.operation import Operation, OpRequest, OpState, ReadOnlyError
from vztui.backend.transport import TransportError
from vztui.openvz.errors import ParseError, ValidationError
from vztui.openvz.triage import THROTTLE, check_throttle, cpulimit_live, shown_cpulimit, suggest_throttle
from vztui.ui.action_plan import ActionPlan, TargetPlan
from vztui.ui.backend_api import ClusterApi


@dataclass(frozen=True, slots=True)
class ThrottleEntry:
    """A live throttle and the limit it replaced (0 = none). ``op_id``: the operation that applied it."""

    node: str
    ctid: int
    previous: int
    applied: int
    op_id: str
    host_cpus: int | None = None
    at: float = 0.0

    def undo_request(self) -> OpRequest:
        argv = cpulimit_live(self.ctid, self.previous, host_cpus=self.host_cpus)
        shown = "no limit" if self.previous == 0 else str(self.previous)
        return OpRequest(
            node=self.node,
            argv=tuple(argv),
            kind="set",
            ctids=(self.ctid,),
            mutating=True,
            title=f"undo throttle of {self.ctid}: cpulimit back to {shown} (live)",
            expect_states=("running",),
        )

    def label(self) -> str:
        before = "no limit" if self.previous == 0 else f"{self.previous}"
        return f"CT {self.ctid} on {self.node}: cpulimit {self.applied} → back to {before}"

    def undo_line(self) -> str:
        return shlex.join(self.undo_request().argv)


class TriageBook:
    """The session's undo entries, newest last."""

    def __init__(self) -> None:
        self._entries: list[ThrottleEntry] = []

    @property
    def entries(self) -> tuple[ThrottleEntry, ...]:
        return tuple(self._entries)

    def add(self, entry: ThrottleEntry) -> None:
        self._entries.append(entry)

    def remove(self, entry: ThrottleEntry) -> None:
        if entry in self._entries:
            self._entries.remove(entry)

    def latest(self, target: tuple[str, int] | None = None) -> ThrottleEntry | None:
        """The newest entry for ``target`` (node, ctid), else the newest of all."""
        if target is not None:
            for entry in reversed(self._entries):
                if (entry.node, entry.ctid) == target:
                    return entry
        return self._entries[-1] if self._entries else None


_BOOKS: dict[int, tuple[Callable[[], object], TriageBook]] = {}
"""id(cluster) → (a weak reference to it, its book). By id: engines need not be hashable (test fakes are not)."""


def triage_book(cluster: object) -> TriageBook:
    """The book of ``cluster`` (one per engine, so it lives as long as the session)."""
    key = id(cluster)
    found = _BOOKS.get(key)
    if found is not None and found[0]() is cluster:
        return found[1]
    book = TriageBook()

    def forget(ref: object, key: int = key) -> None:
        if key in _BOOKS and _BOOKS[key][0] is ref:
            del _BOOKS[key]

    try:
        holder: Callable[[], object] = weakref.ref(cluster, forget)
    except TypeError:  # no weak references to it: keep it (and its book) for the process

        def holder() -> object:
            return cluster

    _BOOKS[key] = (holder, book)
    return book


def undo_refusal(entry: ThrottleEntry, operations: Sequence[Operation], live_cpulimit: int | None) -> tuple[str, bool]:
    """Why ``entry`` cannot be undone now (in words, "" when it can), and whether the entry is spent (the throttle
    failed, or the CT is back at its previous limit) and should be dropped.

    ``live_cpulimit`` is vzlist's figure for the running CT (read back from the kernel, so rounded: see
    ``shown_cpulimit``); None when unknown.
    """
    op = next((op for op in operations if op.id == entry.op_id), None)
    if op is not None and not op.state.finished:
        return f"the throttle of CT {entry.ctid} is still {op.state.value}; wait for it", False
    if op is not None and op.state is not OpState.SUCCEEDED:
        why = op.reason or "no reason given"
        return f"the throttle of CT {entry.ctid} {op.state.value} ({why}): nothing to undo", True
    if live_cpulimit is None or live_cpulimit == shown_cpulimit(entry.applied):
        return "", False
    if live_cpulimit == shown_cpulimit(entry.previous):
        return f"CT {entry.ctid} is already back at its previous cpulimit (restarted?): nothing to undo", True
    return (
        f"CT {entry.ctid}'s cpulimit is {live_cpulimit} now, not the throttle's {entry.applied}: it was changed "
        "since; use Change settings rather than overwrite that",
        False,
    )


# -- flows (run in a worker: they wait for dialogs) --------------------------------------------------------------


def throttle_plan(entry: ThrottleEntry, *, protected: bool = False) -> tuple[ActionPlan, tuple[str, ...]]:
    """The confirmation of ``entry``'s throttle: its one request, and the lines saying it is live only and how to
    undo it (the same ``undo_line`` the undo will run)."""
    request = OpRequest(
        node=entry.node,
        argv=tuple(cpulimit_live(entry.ctid, entry.applied, host_cpus=entry.host_cpus)),
        kind="set",
        ctids=(entry.ctid,),
        mutating=True,
        title=f"throttle {entry.ctid}: cpulimit {entry.applied} (live, not saved)",
        expect_states=("running",),
    )
    plan = ActionPlan(THROTTLE, (TargetPlan(entry.node, entry.ctid, (request,)),), protected=protected)
    details = (
        "Live only: the saved config keeps its value, so a restart of the CT forgets the throttle.",
        f"Undo (u on the failing screen, or the command palette): {entry.undo_line()}",
    )
    return plan, details


async def throttle(app: App[object], cluster: ClusterApi, node: str, ctid: int) -> ThrottleEntry | None:
    """Ask for the limit, confirm the exact command, queue it and record the undo entry; None when not done."""
    from vztui.ui.screens.confirm import ConfirmScreen
    from vztui.ui.screens.prompt import PromptField, PromptScreen

    snapshot = cluster.snapshots().get(node)
    container = snapshot.containers.get(ctid) if snapshot is not None else None
    if container is None or not container.running:
        state = container.status.value if container is not None else "not found"
        app.notify(f"Throttle: CT {ctid} on {node} is {state}; only a running CT can be throttled", markup=False)
        return None
    if cluster.read_only or cluster.spec(node).read_only:
        app.notify(
            f"Throttle refused: {'this vztui session' if cluster.read_only else f'node {node}'} is read-only. "
            "Nothing was sent.",
            title="Read-only",
            severity="error",
            markup=False,
        )
        return None
    info = cluster.node_info(node)
    host_cpus = info.capacity.cpus if info is not None and info.capacity.cpus else None
    previous = await _saved_or_live_cpulimit(cluster, node, ctid, container.cpulimit)

    def check(values: Mapping[str, str]) -> str | None:
        try:
            check_throttle(values["cpulimit"], previous, host_cpus=host_cpus)
        except ValidationError as error:
            return error.message
        return None

    now_text = "no limit" if previous == 0 else f"{previous} % of one CPU"
    field = PromptField("cpulimit", "cpulimit (% of one CPU)", value=str(suggest_throttle(previous)))
    values = await app.push_screen_wait(
        PromptScreen(f"Throttle CT {ctid} on {node} (now: {now_text})", [field], check, submit="Next…")
    )
    if values is None:
        return None
    limit = check_throttle(values["cpulimit"], previous, host_cpus=host_cpus)
    entry = ThrottleEntry(node, ctid, previous, limit, "", host_cpus, time.time())
    plan, details = throttle_plan(entry, protected=cluster.spec(node).protected)
    request = plan.runnable[0].requests[0]
    if not await app.push_screen_wait(ConfirmScreen(plan, details=details)):
        return None
    try:
        op = await cluster.submit(request)
    except ReadOnlyError as error:
        app.notify(str(error), title="Read-only", severity="error", markup=False)
        return None
    entry = replace(entry, op_id=op.id)
    triage_book(cluster).add(entry)
    app.notify(f"Throttling CT {ctid} on {node} to cpulimit {limit}; u undoes it", markup=False)
    return entry


async def undo(app: App[object], cluster: ClusterApi, entry: ThrottleEntry) -> bool:
    """Put the previous limit back (one key: the undo was shown with the throttle's confirmation)."""
    book = triage_book(cluster)
    snapshot = cluster.snapshots().get(entry.node)
    container = snapshot.containers.get(entry.ctid) if snapshot is not None else None
    live = container.cpulimit if container is not None and container.running else None
    reason, spent = undo_refusal(entry, cluster.operations(), live)
    if reason:
        if spent:
            book.remove(entry)
        app.notify(f"Undo throttle: {reason}", severity="warning", markup=False)
        return False
    try:
        await cluster.submit(entry.undo_request())
    except ReadOnlyError as error:
        app.notify(str(error), title="Read-only", severity="error", markup=False)
        return False
    book.remove(entry)
    app.notify(f"Undoing the throttle: {entry.undo_line()}", markup=False)
    return True


async def _saved_or_live_cpulimit(cluster: ClusterApi, node: str, ctid: int, listed: int | None) -> int:
    """The limit in force before the throttle: the CT's saved CPULIMIT when the running CT still has it (exact; vzlist
    shows it rounded), else vzlist's live figure (someone set a limit without --save)."""
    try:
        config = await cluster.read_ct_config(node, ctid)
    except (OSError, TransportError, ParseError):
        return listed or 0
    value = config.values.get("CPULIMIT", "").strip()
    saved = int(value) if value.isascii() and value.isdigit() else 0
    if listed is None or shown_cpulimit(saved) == listed:
        return saved
    return listed


class TriageCommands(Provider):
    """Command palette entries of the failing screen: undo each recorded throttle (newest first)."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        undo_one = getattr(screen, "undo_throttle", None)
        cluster = getattr(screen, "cluster", None)
        if undo_one is None or cluster is None:
            return []
        book = triage_book(cluster)
        return [
            (f"Undo throttle: {entry.label()}", entry.undo_line(), partial(undo_one, entry))
            for entry in reversed(book.entries)
        ]

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(Text(title), callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
