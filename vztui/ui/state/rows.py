"""One table row per container: the latest Container plus what the table derives from ticks (CPU %, failcnt Δ)."""

from __future__ import annotations

from dataclasses import dataclass

from vztui.openvz.models import Container


def row_key(node: str, ctid: int) -> str:
    """Rows are keyed by node and CTID: CTIDs are unique per node, not necessarily across a cluster."""
    return f"{node}/{ctid}"


def split_key(key: str) -> tuple[str, int]:
    node, _, ctid = key.rpartition("/")
    return node, int(ctid)


@dataclass(slots=True)
class CtRow:
    """The table's view of one container. Mutable on purpose: the table owns it and updates it in place per tick."""

    key: str
    node: str
    ctid: int
    container: Container
    cpu: float | None = None
    started_at: float | None = None
    fail_delta: int = 0
    """failcnt increase (all resources) at the last tick of this row's node; 0 when nothing rose."""

    @property
    def failcnt(self) -> int:
        return sum(bc.failcnt for bc in self.container.resources.values())
