"""The facade the UI and the CLI drive: every node's poller, the operation queue, the journal and the transports
behind one object. Listener callbacks always run on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from vztui.backend.history import DEFAULT_SAMPLES, History
from vztui.backend.journal import Journal, JournalEntry
from vztui.backend.nodespec import NodeSpec
from vztui.backend.operation import Operation, OpRequest, OpState, ReadOnlyError
from vztui.backend.output import DEFAULT_MAX_LINES
from vztui.backend.poller import NodePoller
from vztui.backend.queue import OperationQueue
from vztui.backend.readonly import is_inspection, read_only_message
from vztui.backend.reconcile import describe, read_ct_status, reconcile
from vztui.backend.snapshot import NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import CommandResult, OutputLine, Stream, Transport
from vztui.backend.transports import create_transport
from vztui.openvz.commands import vzctl_snapshot_list
from vztui.openvz.exitcodes import explain_exit
from vztui.openvz.models import CtConfig, NodeInfo, PloopSnapshot

log = logging.getLogger(__name__)

CT_CONFIG_DIR = "/etc/vz/conf"


@runtime_checkable
class ClusterListener(Protocol):
    """What the UI implements to hear about the cluster. Called on the event loop; keep each call short.

    A listener may also define ``on_journal_error(message: str | None)`` to hear when the journal cannot write
    (disk full …) and when it recovers.
    """

    def on_delta(self, delta: NodeDelta) -> None: ...

    def on_operation(self, op: Operation) -> None: ...

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None: ...


TransportFactory = Callable[[NodeSpec], Transport]


class CommandFailedError(Exception):
    """An inspection command ran but exited non-zero; the message says what the exit code means and what vzctl said."""

    def __init__(self, node: str, result: CommandResult) -> None:
        self.node = node
        self.result = result
        meaning = explain_exit(result.argv[0] if result.argv else "", result.exit_code).describe(result.exit_code)
        said = result.stderr_text.strip() or result.stdout_text.strip()
        super().__init__(f"{node}: {shlex.join(result.argv)}: {meaning}" + (f" ({said})" if said else ""))


class Cluster:
    """All nodes of one vztui session.

    ``read_only`` makes every mutating request fail with ReadOnlyError in the queue (and ``run_read`` refuse
    anything but inspection commands); a node's own ``read_only`` does the same for that node.
    """

    def __init__(
        self,
        specs: Iterable[NodeSpec],
        *,
        read_only: bool = False,
        journal_dir: str | None = None,
        transport_factory: TransportFactory = create_transport,
        history_samples: int = DEFAULT_SAMPLES,
        max_output_lines: int = DEFAULT_MAX_LINES,
    ) -> None:
        self._specs: dict[str, NodeSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"node {spec.name!r} is configured twice")
            self._specs[spec.name] = spec
        self.read_only = read_only
        self._journal = Journal(journal_dir)
        self._factory = transport_factory
        self._transports: dict[str, Transport] = {}
        self._pollers: dict[str, NodePoller] = {}
        self._history = History(samples=history_samples)
        self._listeners: list[ClusterListener] = []
        self._max_output_lines = max_output_lines
        self._queue: OperationQueue | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False
        self._paused = False

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the journal (closing out what a crashed run left), connect, and start polling every node."""
        if self._started:
            return
        self._started = True
        self._loop = asyncio.get_running_loop()
        self._journal.on_error = self._journal_error_from_thread
        self._journal.open()
        interrupted: list[JournalEntry] = await asyncio.to_thread(self._journal.recover)
        for name, spec in self._specs.items():
            self._transports[name] = self._factory(spec)
        self._queue = OperationQueue(
            self._specs,
            transport_for=self.transport,
            journal=self._journal,
            read_only=self.read_only,
            state_of=self._state_of,
            read_status=self._read_status,
            on_operation=self._emit_operation,
            on_output=self._emit_output,
            on_finished=self._after_operation,
            max_output_lines=self._max_output_lines,
        )
        past = [entry.to_operation() for entry in interrupted]
        self._queue.add_history(past)
        for name, spec in self._specs.items():
            poller = NodePoller(spec, self._transports[name], on_delta=self._emit_delta)
            poller.set_paused(self._paused)
            self._pollers[name] = poller
            poller.start()
        if interrupted:
            self._spawn(self._reconcile(interrupted, past))

    async def stop(self) -> None:
        """Stop polling, cancel queued operations, kill running ones, close connections and the journal."""
        if not self._started:
            return
        self._started = False
        await asyncio.gather(*(poller.stop() for poller in self._pollers.values()), return_exceptions=True)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._queue is not None:
            await self._queue.close()
        await asyncio.gather(*(t.close() for t in self._transports.values()), return_exceptions=True)
        await self._journal.close()

    async def __aenter__(self) -> Cluster:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- nodes and snapshots -----------------------------------------------------------------------------------

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def spec(self, node: str) -> NodeSpec:
        return self._specs[node]

    def transport(self, node: str) -> Transport:
        try:
            return self._transports[node]
        except KeyError:
            if node not in self._specs:
                raise KeyError(f"unknown node {node!r}") from None
            raise RuntimeError("the cluster is not started") from None

    def snapshots(self) -> Mapping[str, NodeSnapshot]:
        """The latest snapshot of every node (UNREACHABLE placeholders until a node was polled)."""
        result: dict[str, NodeSnapshot] = {}
        for name in self._specs:
            poller = self._pollers.get(name)
            result[name] = (
                poller.snapshot
                if poller is not None
                else NodeSnapshot(node=name, taken_at=0.0, health=NodeHealth.UNREACHABLE, error="not started")
            )
        return MappingProxyType(result)

    def node_info(self, node: str) -> NodeInfo | None:
        poller = self._pollers.get(node)
        return poller.info if poller is not None else None

    async def refresh(self, node: str | None = None) -> None:
        """Poll ``node`` (or every node) now and wait for the result (``refresh_static`` re-reads vz.conf & co)."""
        names = [node] if node is not None else list(self._pollers)
        for name in names:
            if name not in self._pollers:
                raise KeyError(f"unknown node {name!r}")
        await asyncio.gather(*(self._refresh_one(self._pollers[name]) for name in names))

    async def _refresh_one(self, poller: NodePoller) -> None:
        await poller.refresh()

    async def refresh_static(self, node: str) -> NodeInfo | None:
        """Re-read a node's static facts (vz.conf, samples, templates, hostname, kernel, vzctl version)."""
        return await self._pollers[node].refresh_static()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume automatic polling of every node (``refresh`` still works while paused)."""
        self._paused = paused
        for poller in self._pollers.values():
            poller.set_paused(paused)

    @property
    def paused(self) -> bool:
        return self._paused

    def history(self, node: str, ctid: int, resource: str) -> Sequence[int]:
        """Up to ``history_samples`` ticks of ``resource``'s held value (or ``cpu``: percent), oldest first."""
        return self._history.get(node, ctid, resource)

    # -- operations --------------------------------------------------------------------------------------------

    @property
    def queue(self) -> OperationQueue:
        if self._queue is None:
            raise RuntimeError("the cluster is not started")
        return self._queue

    async def submit(self, request: OpRequest) -> Operation:
        """Queue one operation. Raises ReadOnlyError (nothing sent) or KeyError for an unknown node."""
        return self.queue.submit(request)

    async def submit_plan(self, requests: Sequence[OpRequest]) -> list[Operation]:
        """Queue ordered steps that stop at the first failure (the rest become SKIPPED with the reason)."""
        return self.queue.submit_plan(requests)

    async def cancel(self, op_id: str) -> bool:
        return await self.queue.cancel(op_id)

    async def retry(self, op_id: str) -> Operation:
        return self.queue.retry(op_id)

    def operations(self) -> list[Operation]:
        return self.queue.operations() if self._queue is not None else []

    def output(self, op_id: str) -> list[OutputLine]:
        """The operation's output kept in memory, or (for an earlier run's operation) read from the journal."""
        if self._queue is not None:
            kept = self._queue.output(op_id)
            if kept:
                return kept
        return _lines_from_journal(self._journal.read_output(op_id))

    @property
    def journal(self) -> Journal:
        return self._journal

    @property
    def journal_error(self) -> str | None:
        """Why the journal cannot write right now (disk full …), or None."""
        return self._journal.error

    # -- reads -------------------------------------------------------------------------------------------------

    async def read_ct_config(self, node: str, ctid: int) -> CtConfig:
        """``/etc/vz/conf/CTID.conf`` from the node, parsed (raises OSError/FileNotFoundError, TransportError)."""
        from vztui.openvz.parsers import parse_conf

        raw = await self.transport(node).read_file(f"{CT_CONFIG_DIR}/{int(ctid)}.conf")
        values = parse_conf(raw.decode("utf-8", errors="replace"))
        return CtConfig(ctid=ctid, values=MappingProxyType(dict(values)))

    async def ploop_snapshots(self, node: str, ctid: int) -> list[PloopSnapshot]:
        """``vzctl snapshot-list CTID`` parsed, oldest first (ploop only). Raises CommandFailedError with the exit
        code's meaning and vzctl's stderr when vzctl refuses (simfs layout, missing CT …), TransportError, ParseError.
        """
        from vztui.openvz.parsers import parse_snapshot_list

        result = await self.run_read(node, vzctl_snapshot_list(ctid))
        if not result.ok:
            raise CommandFailedError(node, result)
        return parse_snapshot_list(result.stdout_text)

    async def run_read(self, node: str, argv: Sequence[str], *, timeout: float | None = None) -> CommandResult:
        """Run an inspection command now, outside the queue. On a read-only session or node only inspection
        commands (vzlist, vzctl status, vzquota stat …) pass; anything else raises ReadOnlyError unsent."""
        spec = self.spec(node)
        if (self.read_only or spec.read_only) and not is_inspection(argv):
            raise ReadOnlyError(read_only_message(node, argv, session_read_only=self.read_only))
        return await self.transport(node).run(argv, timeout=timeout or spec.command_timeout)

    # -- listeners ---------------------------------------------------------------------------------------------

    def subscribe(self, listener: ClusterListener) -> Callable[[], None]:
        """Add a listener; the returned function removes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _emit_delta(self, delta: NodeDelta) -> None:
        changed = delta.appeared | delta.changed.keys() if delta.changed or delta.appeared else ()
        self._history.record(delta.snapshot, changed)
        for listener in list(self._listeners):
            try:
                listener.on_delta(delta)
            except Exception:
                log.exception("listener failed on a delta of %s", delta.node)

    def _emit_operation(self, op: Operation) -> None:
        for listener in list(self._listeners):
            try:
                listener.on_operation(op)
            except Exception:
                log.exception("listener failed on operation %s", op.id)

    def _emit_output(self, batch: Mapping[str, list[OutputLine]]) -> None:
        for op_id, lines in batch.items():
            for listener in list(self._listeners):
                try:
                    listener.on_output(op_id, lines)
                except Exception:
                    log.exception("listener failed on output of %s", op_id)

    def _journal_error_from_thread(self, message: str | None) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._emit_journal_error, message)

    def _emit_journal_error(self, message: str | None) -> None:
        for listener in list(self._listeners):
            handler = getattr(listener, "on_journal_error", None)
            if handler is None:
                continue
            try:
                handler(message)
            except Exception:
                log.exception("listener failed on a journal error")

    # -- queue plumbing ----------------------------------------------------------------------------------------

    def _state_of(self, node: str, ctid: int) -> tuple[str | None, float]:
        poller = self._pollers.get(node)
        if poller is None:
            return None, 0.0
        snapshot = poller.snapshot
        container = snapshot.containers.get(ctid)
        if container is None:
            return None, snapshot.taken_at
        return container.status.value, snapshot.taken_at

    async def _read_status(self, node: str, ctid: int) -> str | None:
        found = await read_ct_status(self.transport(node), ctid, timeout=self.spec(node).command_timeout)
        return found.status or None

    def _after_operation(self, op: Operation) -> None:
        """A finished mutation changes what the table shows: poll that node now rather than in up to 2 s."""
        if op.request.mutating and op.state is not OpState.SKIPPED:
            poller = self._pollers.get(op.node)
            if poller is not None:
                poller.poke()

    async def _reconcile(self, entries: Sequence[JournalEntry], shown: Sequence[Operation]) -> None:
        findings = await reconcile(self._journal, entries, self._transports.get)
        by_id = {op.id: op for op in shown}
        for op_id, results in findings.items():
            op = by_id.get(op_id)
            if op is None or not results:
                continue
            op.reason = f"{op.reason}. Reconciled: {describe(results)}"
            self._emit_operation(op)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _lines_from_journal(text: str) -> list[OutputLine]:
    lines: list[OutputLine] = []
    for raw in text.splitlines():
        if raw.startswith("out "):
            lines.append(OutputLine(Stream.STDOUT, raw[4:], at=0.0))
        elif raw.startswith("err "):
            lines.append(OutputLine(Stream.STDERR, raw[4:], at=0.0))
    return lines
