"""The node tree: the cluster, then each node with its reachability, CT counts and memory commitment.

Selecting a node scopes the container table to it; selecting the cluster shows every node again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from vztui.backend.snapshot import NodeDelta, NodeHealth, NodeSnapshot
from vztui.openvz.models import Beancounter, BeancounterTable, Container, CtStatus, NodeInfo
from vztui.openvz.units import PAGE_SIZE, is_unlimited
from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean

BAR_CELLS = 5
_EIGHTHS = " ▏▎▍▌▋▊▉█"


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """What one tree line shows; compared before relabelling so unchanged nodes cost nothing."""

    name: str
    health: NodeHealth
    running: int
    total: int
    commit: float | None
    """Memory commitment (RAM+swap promised to CTs / RAM+swap of the node), 1.0 = 100 %."""
    since: float
    error: str
    connecting: bool = False
    """No poll has reported yet (the app just started): not an error, so not shown as one."""


class NodeTally:
    """Running count and promised RAM+swap of one node's CTs, kept per CT so a delta costs only its changed CTs.

    ``with_promised=False`` (the node reports vzmemcheck's commitment itself) skips the RAM+swap sums, which would
    otherwise be redone for every CT whose held values moved.
    """

    __slots__ = ("_cts", "promised", "running", "with_promised")

    def __init__(self, snapshot: NodeSnapshot, *, with_promised: bool = True) -> None:
        self._cts: dict[int, tuple[bool, int]] = {}
        self.running = 0
        self.promised = 0
        self.with_promised = with_promised
        for ctid, container in snapshot.containers.items():
            self._set(ctid, container)

    def apply(self, delta: NodeDelta) -> None:
        containers = delta.snapshot.containers
        for ctid in delta.vanished:
            self._drop(ctid)
        for ctid in delta.appeared:
            self._set(ctid, containers[ctid])
        watched = ("status", "resources") if self.with_promised else ("status",)
        for ctid, fields in delta.changed.items():
            if any(name in fields for name in watched):
                self._set(ctid, containers[ctid])

    def _drop(self, ctid: int) -> None:
        old = self._cts.pop(ctid, None)
        if old is not None:
            self.running -= old[0]
            self.promised -= old[1]

    def _set(self, ctid: int, container: Container) -> None:
        promised = 0
        if self.with_promised:
            resources = container.resources
            promised = _promised(_limit(resources, "physpages")) + _promised(_limit(resources, "swappages"))
        entry = (container.status is CtStatus.RUNNING, promised)
        old = self._cts.get(ctid)
        if old == entry:
            return
        if old is not None:
            self.running -= old[0]
            self.promised -= old[1]
        self._cts[ctid] = entry
        self.running += entry[0]
        self.promised += promised


def needs_promised(info: NodeInfo | None) -> bool:
    """Whether the tree must sum RAM+swap limits itself (the node did not report vzmemcheck's commitment)."""
    return info is None or info.capacity.mem_commit_percent is None


def _limit(resources: Mapping[str, Beancounter], resource: str) -> int | None:
    """A limit read without building a Beancounter where the engine's compact table allows it: this runs for every
    CT whose held values moved, i.e. nearly every running CT on every tick."""
    if isinstance(resources, BeancounterTable):
        return resources.limit(resource)
    bc = resources.get(resource)
    return None if bc is None else bc.limit


def _promised(limit: int | None) -> int:
    """Bytes of RAM or swap promised by a limit in pages (nothing when unset or unlimited)."""
    if not limit or is_unlimited(limit):
        return 0
    return limit * PAGE_SIZE


def memory_commitment(snapshot: NodeSnapshot, info: NodeInfo | None, tally: NodeTally) -> float | None:
    """vzmemcheck's MemSwap commit when the node reported it, else the CTs' RAM+swap limits over RAM+swap."""
    if info is not None and info.capacity.mem_commit_percent is not None:
        return info.capacity.mem_commit_percent / 100.0
    meminfo = snapshot.meminfo
    if meminfo is None or not meminfo.total + meminfo.swap_total:
        return None
    return tally.promised / (meminfo.total + meminfo.swap_total)


def summarise(
    snapshot: NodeSnapshot, info: NodeInfo | None, tally: NodeTally, *, connecting: bool = False
) -> NodeSummary:
    return NodeSummary(
        connecting=connecting,
        name=snapshot.node,
        health=snapshot.health,
        running=tally.running,
        total=len(snapshot.containers),
        commit=memory_commitment(snapshot, info, tally),
        # Shown only while stale: an up node's line must not change every tick (no repaint, no bytes when idle).
        since=snapshot.taken_at if snapshot.health is NodeHealth.STALE else 0.0,
        error=snapshot.error,
    )


def commitment_bar(ratio: float | None, palette: Palette) -> Text:
    """A five-cell bar in eighths plus the percentage, coloured at the 70 %/90 % thresholds (over 100 % is full)."""
    if ratio is None:
        return Text("·" * BAR_CELLS + "    ?", style=palette.muted)
    eighths = round(min(1.0, max(0.0, ratio)) * BAR_CELLS * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    text = Text(bar, style=palette.ratio_style(ratio) or palette.success)
    text.append("░" * (BAR_CELLS - len(bar)), style=palette.muted)
    text.append(f"{ratio * 100:4.0f}%", style=palette.ratio_style(ratio))
    return text


def node_label(summary: NodeSummary, palette: Palette) -> Text:
    if summary.connecting:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("◌ ", style=palette.muted)
        text.append(clean(summary.name).ljust(6), style="bold")
        text.append(" connecting…", style=palette.muted)
        return text
    glyph, style = {
        NodeHealth.UP: ("●", palette.success),
        NodeHealth.STALE: ("◐", palette.warning),
        NodeHealth.UNREACHABLE: ("✖", palette.error),
    }[summary.health]
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(glyph, style=style)
    text.append(" ")
    text.append(clean(summary.name).ljust(6), style="bold")
    text.append(f" {summary.running:>3}/{summary.total:<3} ")
    text.append_text(commitment_bar(summary.commit, palette))
    return text


def reason_label(summary: NodeSummary, palette: Palette) -> Text | None:
    """The line under a node that is not up: since when its data is old, or why it cannot be reached."""
    if summary.health is NodeHealth.UP or summary.connecting:
        return None
    if summary.health is NodeHealth.STALE:
        since = time.strftime("%H:%M:%S", time.localtime(summary.since))
        text = Text(f"stale since {since}", style=palette.warning)
    else:
        text = Text("unreachable", style=palette.error)
    if summary.error:
        text.append(": ")
        text.append(clean(summary.error))
    return text


class NodeTree(Tree[str | None]):
    """``data`` of each node line is the node name; the root's is None (all nodes)."""

    class ScopeChanged(Message):
        def __init__(self, node: str | None) -> None:
            super().__init__()
            self.node = node

    def __init__(self, cluster_name: str, nodes: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(Text(clean(cluster_name) + " · all nodes", style="bold"), data=None, id=id)
        self.show_root = True
        self.guide_depth = 2
        self._palette = Palette()
        self._summaries: dict[str, NodeSummary] = {}
        self._lines: dict[str, TreeNode[str | None]] = {}
        self._reasons: dict[str, TreeNode[str | None]] = {}
        for name in nodes:
            self._lines[name] = self.root.add(Text(clean(name)), data=name, expand=True, allow_expand=False)
        self.root.expand()

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        summaries, self._summaries = self._summaries, {}
        for summary in summaries.values():
            self.show_summary(summary)

    def summary(self, node: str) -> NodeSummary | None:
        return self._summaries.get(node)

    def show_summary(self, summary: NodeSummary) -> None:
        if self._summaries.get(summary.name) == summary:
            return
        self._summaries[summary.name] = summary
        line = self._lines.get(summary.name)
        if line is None:
            line = self._lines[summary.name] = self.root.add(
                Text(clean(summary.name)), data=summary.name, expand=True, allow_expand=False
            )
        line.set_label(node_label(summary, self._palette))
        reason = reason_label(summary, self._palette)
        leaf = self._reasons.get(summary.name)
        if reason is None:
            if leaf is not None:
                leaf.remove()
                del self._reasons[summary.name]
        elif leaf is None:
            self._reasons[summary.name] = line.add_leaf(reason, data=summary.name)
            line.expand()
        else:
            leaf.set_label(reason)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str | None]) -> None:
        event.stop()
        self.post_message(self.ScopeChanged(event.node.data))
