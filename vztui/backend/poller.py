"""One poller per node: a single task that polls, publishes, then sleeps ``spec.refresh`` and polls again.

It never overlaps itself (the next poll is armed only after the previous one finished), so a slow node simply
refreshes less often; a dead or hung one times out, keeps its last data marked STALE, and never delays other nodes.
Each tick is exactly one transport round trip (the batch script); static facts are read at connect and on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from vztui.backend.assemble import SnapshotAssembler
from vztui.backend.batch import new_nonce, poll_argv, split_sections
from vztui.backend.delta import NearCache, compute_delta
from vztui.backend.memtrim import pin_mmap_threshold, trimmer
from vztui.backend.nodeinfo import read_node_info, vz_dir
from vztui.backend.nodespec import NodeSpec
from vztui.backend.snapshot import NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import CommandResult, Transport, TransportError
from vztui.openvz.models import NodeInfo

log = logging.getLogger(__name__)

MIN_INTERVAL = 0.2
STATIC_RETRY = 60.0
"""Seconds before a static read that failed for an internal reason (not the network) is tried again."""


class NodePoller:
    """Polls one node. ``on_delta`` receives every new snapshot's delta (on the event loop)."""

    def __init__(
        self,
        spec: NodeSpec,
        transport: Transport,
        *,
        on_delta: Callable[[NodeDelta], None],
        interval: float | None = None,
        timeout: float | None = None,
    ) -> None:
        self.spec = spec
        self.transport = transport
        self._on_delta = on_delta
        self.interval = max(MIN_INTERVAL, interval if interval is not None else spec.refresh)
        self.timeout = timeout if timeout is not None else max(1.0, min(spec.command_timeout, 30.0))
        self._assembler = SnapshotAssembler(spec.name)
        self._near_cache: NearCache = {}
        self._snapshot = NodeSnapshot(
            node=spec.name, taken_at=0.0, health=NodeHealth.UNREACHABLE, error="not polled yet"
        )
        self._info: NodeInfo | None = None
        self._info_problems: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._paused = False
        self._tick_done = asyncio.Condition()
        self._ticks = 0
        self._started = 0
        self._forced = False
        self._static_lock = asyncio.Lock()
        self._static_error = ""
        self._static_due = 0.0

    # -- public ------------------------------------------------------------------------------------------------

    @property
    def node(self) -> str:
        return self.spec.name

    @property
    def snapshot(self) -> NodeSnapshot:
        return self._snapshot

    @property
    def info(self) -> NodeInfo | None:
        return self._info

    @property
    def info_problems(self) -> list[str]:
        return list(self._info_problems)

    @property
    def ticks(self) -> int:
        return self._ticks

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"poller-{self.node}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if not paused:
            self._wake.set()

    def poke(self) -> None:
        """Poll as soon as the current poll (if any) finished, instead of waiting for the interval."""
        self._wake.set()

    async def refresh(self) -> NodeSnapshot:
        """Poll now (after any poll in flight, even while paused) and return the resulting snapshot."""
        if self._task is None:
            await self.poll_once()
            return self._snapshot
        target = self._started + 1
        self._forced = True
        self._wake.set()
        async with self._tick_done:
            await self._tick_done.wait_for(lambda: self._ticks >= target)
        return self._snapshot

    async def refresh_static(self) -> NodeInfo | None:
        """Re-read vz.conf, samples, templates, hostname, kernel and vzctl version (one round trip).

        Never raises (cancellation aside): a transport failure or an internal error (a parser that cannot be
        imported …) is kept in ``info_problems``; an internal one is also named in every snapshot's ``error`` and
        retried only after STATIC_RETRY seconds, so a broken static read cannot double every tick's round trips.
        """
        async with self._static_lock:
            try:
                info, problems = await read_node_info(self.transport, self.spec.root_prefix, timeout=self.timeout)
            except TransportError as exc:
                self._info_problems = [f"static info: {exc.message}"]
                return self._info
            except Exception as exc:
                log.exception("%s: could not read the node's static info", self.node)
                self._static_error = f"static info: internal error: {exc!r}"
                self._info_problems = [self._static_error]
                self._static_due = time.monotonic() + STATIC_RETRY
                return self._info
            self._static_error = ""
            self._info, self._info_problems = info, problems
            if problems:
                log.warning("%s: static info incomplete: %s", self.node, "; ".join(problems))
            return info

    # -- the loop ----------------------------------------------------------------------------------------------

    async def _loop(self) -> None:
        """Poll, wait, repeat, until stopped. Nothing but cancellation ends it: poll_once never raises, and anything
        that still escapes is logged, shown on the node and followed by the normal wait."""
        while True:
            if not self._paused or self._forced:
                self._forced = False
                try:
                    # At connect, and again after a node that was down comes back.
                    if self._info is None and time.monotonic() >= self._static_due:
                        await self.refresh_static()
                    await self.poll_once()
                except Exception as exc:
                    log.exception("%s: poller tick failed", self.node)
                    self._snapshot = self._failed(self._snapshot, f"internal error in the poller: {exc!r}")
                    with contextlib.suppress(Exception):
                        self._on_delta(NodeDelta(self.node, self._snapshot, health_changed=True))
            if self._forced:
                continue
            self._wake.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that arrives just as the wake
            # event fires (a poke after an operation), and Cluster.stop() then waits for this task forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()

    async def poll_once(self) -> NodeDelta:
        """One tick: one round trip, parse, merge, delta, publish."""
        self._started += 1
        try:
            delta = await self._poll()
        except Exception as exc:  # the last net: _poll handles what it expects; this keeps the loop and refresh() alive
            log.exception("%s: poll failed unexpectedly", self.node)
            prev = self._snapshot
            delta = self._publish(self._failed(prev, f"internal error in the poller: {exc!r}"), prev)
        finally:
            async with self._tick_done:
                self._ticks += 1
                self._tick_done.notify_all()
        try:
            self._on_delta(delta)
        except Exception:
            log.exception("%s: delta listener failed", self.node)
        return delta

    async def _poll(self) -> NodeDelta:
        prev = self._snapshot
        previous = prev if prev.health is not NodeHealth.UNREACHABLE or prev.containers else None
        nonce = new_nonce()
        argv = poll_argv(self.spec.root_prefix, vz_dir(self._info, self.spec.root_prefix), nonce)
        started = time.monotonic()
        taken_at = time.time()
        try:
            result = await self.transport.run(argv, timeout=self.timeout)
        except TransportError as exc:
            return self._publish(self._failed(prev, f"poll failed: {exc.message}"), prev)
        except OSError as exc:
            return self._publish(self._failed(prev, f"poll failed: {exc}"), prev)
        except Exception as exc:  # a transport bug is this node's problem, never the loop's end
            log.exception("%s: transport failed unexpectedly", self.node)
            return self._publish(self._failed(prev, f"internal error in the transport: {exc!r}"), prev)
        duration = time.monotonic() - started
        try:
            job = functools.partial(self._digest, result, nonce, previous, taken_at=taken_at, duration=duration)
            executor = _assembly_executor()
            digested = await asyncio.get_running_loop().run_in_executor(
                executor,
                functools.partial(
                    trimmer.run,
                    job,
                    functools.partial(_nothing_queued, executor),
                    len(result.stdout) + len(result.stderr),
                ),
            )
        except Exception as exc:  # a parser bug must not kill this node's poller (or anyone else's)
            log.exception("%s: could not build a snapshot", self.node)
            return self._publish(self._failed(prev, f"internal error reading the poll: {exc!r}"), prev)
        if isinstance(digested, str):
            return self._publish(self._failed(prev, digested), prev)
        self._snapshot = digested.snapshot
        return digested

    def _digest(
        self, result: CommandResult, nonce: str, previous: NodeSnapshot | None, *, taken_at: float, duration: float
    ) -> NodeDelta | str:
        """Decode, cut, parse, merge and diff one poll's output (on the assembly thread); or why it is unusable.

        All of it stays off the event loop: at 200 CTs a node this is milliseconds of CPU the UI must not wait for.
        """
        sections = split_sections(result.stdout_text, result.stderr_text, nonce)
        if not sections:
            detail = result.stderr_text.strip().splitlines()
            return "poll output unusable (" + f"exit {result.exit_code}" + (f": {detail[-1]}" if detail else "") + ")"
        snapshot = self._assembler.build(
            sections, prev=previous, taken_at=taken_at, info=self._info, poll_duration=duration, round_trips=1
        )
        return self._delta(snapshot, previous, assembled=True)

    def _failed(self, prev: NodeSnapshot, error: str) -> NodeSnapshot:
        health = NodeHealth.STALE if prev.taken_at > 0 else NodeHealth.UNREACHABLE
        if prev.health is not health or prev.error != error:
            log.warning("%s: %s", self.node, error)
        return NodeSnapshot(
            node=prev.node,
            taken_at=prev.taken_at,
            health=health,
            containers=prev.containers,
            vestat=prev.vestat,
            quota=prev.quota,
            cpu_percent=prev.cpu_percent,
            started_at=prev.started_at,
            meminfo=prev.meminfo,
            loadavg=prev.loadavg,
            filesystems=prev.filesystems,
            info=self._info or prev.info,
            error=error,
            poll_duration=0.0,
            round_trips=1,
        )

    def _publish(self, snapshot: NodeSnapshot, prev: NodeSnapshot | None) -> NodeDelta:
        delta = self._delta(snapshot, prev)
        self._snapshot = delta.snapshot
        return delta

    def _delta(self, snapshot: NodeSnapshot, prev: NodeSnapshot | None, *, assembled: bool = False) -> NodeDelta:
        if self._static_error and self._static_error not in snapshot.error:
            problems = (snapshot.error, self._static_error)
            snapshot = dataclasses.replace(snapshot, error="; ".join(p for p in problems if p))
        hint = self._assembler.counters_only if assembled else frozenset()
        return compute_delta(prev, snapshot, near_cache=self._near_cache, counters_only=hint)


_executor: ThreadPoolExecutor | None = None


def _nothing_queued(executor: ThreadPoolExecutor) -> bool:
    """Whether no other node's output waits for the assembly thread (cancelled jobs leave the queue as it runs)."""
    return executor._work_queue.empty()


def _assembly_executor() -> ThreadPoolExecutor:
    """One thread assembles every node's snapshots, one after another.

    The GIL runs parsing one thread at a time anyway, so more threads buy no throughput; one thread keeps the
    transient memory of a tick to one node's output at a time (with 50 nodes polled in step, a thread per node
    held every node's parse at once) and the allocator to one arena. Made once per process, which is also when the
    allocator is told to return big freed buffers (every node's poll output) at once: see ``memtrim``.
    """
    global _executor  # noqa: PLW0603 - one process-wide thread, made on first use
    if _executor is None:
        pin_mmap_threshold()
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vztui-assemble")
    return _executor
