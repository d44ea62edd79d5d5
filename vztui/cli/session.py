"""A short-lived Cluster for one CLI command: started paused, polled exactly once, stopped on the way out.

The same backend as the dashboard (transports, poller, queue, journal), so what ``vztui ls`` prints is what the
table shows and what ``vztui run`` does is journaled like a keypress.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vztui.backend.cluster import Cluster
from vztui.backend.nodespec import NodeSpec
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.cli.common import journal_dir, load, select
from vztui.cli.errors import CliError
from vztui.config import Config

if TYPE_CHECKING:
    from vztui.demo import Demo


@dataclass(frozen=True, slots=True)
class Target:
    """Which nodes a command talks to, how, and where it journals."""

    config: Config
    specs: tuple[NodeSpec, ...]
    journal_dir: Path
    read_only: bool
    demo: Demo | None = None


def target(args: argparse.Namespace) -> Target:
    """The configured nodes (or the demo cluster with ``--demo``), restricted by ``--node``."""
    config = load(args)
    if args.demo:
        from vztui.demo import DemoError, prepare_demo

        try:
            demo = prepare_demo(nodes=args.nodes, cts=args.cts, seed=args.seed)
        except DemoError as error:
            raise CliError(str(error)) from None
        specs = tuple(dataclasses.replace(spec, refresh=config.defaults.refresh) for spec in demo.specs)
        if args.node:
            unknown = [name for name in args.node if name not in {spec.name for spec in specs}]
            if unknown:
                raise CliError(f"unknown demo node {unknown[0]!r} (demo nodes: {', '.join(s.name for s in specs)})")
            specs = tuple(spec for spec in specs if spec.name in args.node)
        return Target(config, specs, demo.journal_dir, config.read_only, demo)
    return Target(config, tuple(select(config, args.node)), journal_dir(config), config.read_only)


@contextlib.asynccontextmanager
async def polled_cluster(where: Target) -> AsyncIterator[Cluster]:
    """A started Cluster whose every node has been polled once (reachable or not) before the body runs."""
    with contextlib.ExitStack() as stack:
        if where.demo is not None:
            from vztui.demo import kernel_ticker

            stack.enter_context(kernel_ticker(where.demo))
        cluster = Cluster(where.specs, read_only=where.read_only, journal_dir=str(where.journal_dir))
        cluster.set_paused(True)
        await cluster.start()
        try:
            # Bounded: a node that neither answers nor fails in time is reported like an unreachable one.
            budget = max(spec.connect_timeout + spec.command_timeout for spec in where.specs) + 5
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(budget):
                    await cluster.refresh()
            yield cluster
        finally:
            await cluster.stop()


def report_unreachable(snapshots: Mapping[str, NodeSnapshot]) -> bool:
    """Tell stderr which nodes could not be read; True when any could not."""
    down = [snap for snap in snapshots.values() if snap.health is not NodeHealth.UP]
    for snap in down:
        print(f"vztui: {snap.node}: {snap.health.value}: {snap.error or 'no data'}", file=sys.stderr)
    return bool(down)
