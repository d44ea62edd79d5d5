"""Test harness for the dashboard shell: the app over the fake cluster (``tests.ui.fake_cluster``), and a small
seeded simulated cluster driven by the real engine over the local transport.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tests.ui.fake_cluster import clock
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.ui.app import VztuiApp


def make_app(cluster: Any, *, read_only: bool = False, keymap: dict[str, str] | None = None, **kw: Any) -> VztuiApp:
    return VztuiApp(
        cluster,
        cluster_name="testlab",
        read_only=read_only,
        keymap=keymap or {},
        theme=kw.pop("theme", "textual-dark"),
        clock=kw.pop("clock", clock),
        **kw,
    )


# -- the real engine over a seeded simulated cluster ---------------------------------------------------------------

SIM_NOW_ENV = "VZTUI_SIM_NOW"


def sim_specs(directory: Path, *, nodes: int = 2, cts: int = 5, seed: int = 7) -> list[NodeSpec]:
    """Build a seeded simulated cluster under ``directory``; NodeSpecs for the local transport."""
    from vztui.sim.cluster import build_cluster

    cluster = build_cluster(directory, nodes=nodes, cts=cts, seed=seed)
    return [
        NodeSpec(
            name=name,
            host=name,
            transport=TransportKind.LOCAL,
            root_prefix=str(root),
            path=str(cluster.bin_dir(name)),
            refresh=3600.0,
        )
        for name, root in cluster.nodes.items()
    ]


class frozen_sim_clock:  # noqa: N801 - used like a function: ``with frozen_sim_clock(T):``
    """Freeze the simulator's wall clock (its tools read ``VZTUI_SIM_NOW``) for the duration of the block."""

    def __init__(self, when: float) -> None:
        self.when = when
        self._old: str | None = None

    def set(self, when: float) -> None:
        self.when = when
        os.environ[SIM_NOW_ENV] = repr(when)

    def __enter__(self) -> frozen_sim_clock:
        self._old = os.environ.get(SIM_NOW_ENV)
        self.set(self.when)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._old is None:
            os.environ.pop(SIM_NOW_ENV, None)
        else:
            os.environ[SIM_NOW_ENV] = self._old


def iter_keys(rows: Iterable[tuple[str, int]]) -> Iterator[str]:
    for node, ctid in rows:
        yield f"{node}/{ctid}"
