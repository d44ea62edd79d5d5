"""The durable record of every operation: append-only JSON Lines, fsynced per record, with each operation's full
output in its own file.

Writes happen on one dedicated thread, in submission order, so the event loop never waits on the disk except where
durability matters (``started`` is on disk before the command is sent). A full or failing disk never raises into
the queue: the journal enters an error state (``error``) that the UI shows, and recovers by itself when a later
write succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vztui.backend.operation import Operation, OpRequest, OpState
from vztui.backend.transport import OutputLine

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.jsonl"
OUTPUT_DIR = "output"
FORMAT_VERSION = 1

MIB = 1024 * 1024


def default_directory() -> Path:
    """``$XDG_STATE_HOME/vztui`` (platformdirs' user state dir): the journal outlives caches but is not config."""
    import platformdirs

    return Path(platformdirs.user_state_dir("vztui"))


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What the node said about one CT of an interrupted operation after vztui came back."""

    ctid: int
    status: str
    """The CT's state (``running``, ``stopped``, ``mounted``, ``suspended``, ``deleted``) or empty on failure."""
    line: str = ""
    """``vzctl status`` output as the node printed it, or the reason it could not be asked."""

    @property
    def ok(self) -> bool:
        return bool(self.status)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One operation as the journal tells it, folded from its records."""

    op_id: str
    node: str
    argv: tuple[str, ...]
    ctids: tuple[int, ...]
    kind: str
    title: str
    user: str
    mutating: bool
    plan_id: str | None
    step: int
    pid: int
    host: str
    queued_at: float
    started_at: float | None = None
    finished_at: float | None = None
    state: OpState | None = None
    """The final state, or None while the journal has no ``finished`` record."""
    exit_code: int | None = None
    reason: str = ""
    output_lines: int = 0
    reconciled: tuple[Reconciliation, ...] = ()

    @property
    def unfinished(self) -> bool:
        return self.state is None

    def to_request(self) -> OpRequest:
        return OpRequest(
            node=self.node,
            argv=self.argv,
            kind=self.kind,
            ctids=self.ctids,
            mutating=self.mutating,
            title=self.title,
        )

    def to_operation(self) -> Operation:
        """A read-only view for the operations list (what the previous run left behind)."""
        return Operation(
            request=self.to_request(),
            id=self.op_id,
            user=self.user,
            plan_id=self.plan_id,
            step=self.step,
            state=self.state or OpState.INTERRUPTED,
            queued_at=self.queued_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            exit_code=self.exit_code,
            reason=self.reason,
            output_lines=self.output_lines,
        )


@dataclass(slots=True)
class _Fold:
    """Mutable accumulator used while reading records."""

    queued: dict[str, Any]
    started_at: float | None = None
    finished: dict[str, Any] | None = None
    reconciled: list[Reconciliation] = field(default_factory=list)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Journal:
    """Append-only operation journal in ``directory`` (default: the platformdirs user state dir).

    Files: ``journal.jsonl`` (rotated to ``journal.1.jsonl`` … when it exceeds ``max_bytes``; ``keep`` old files
    are kept) and ``output/<op id>.log`` (one per operation, each capped at ``max_output_bytes``; the oldest are
    deleted when the directory exceeds ``output_budget``).
    """

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        max_bytes: int = 8 * MIB,
        keep: int = 5,
        max_output_bytes: int = 64 * MIB,
        output_budget: int = 512 * MIB,
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_directory()
        self.path = self.directory / JOURNAL_NAME
        self.output_dir = self.directory / OUTPUT_DIR
        self.max_bytes = max_bytes
        self.keep = keep
        self.max_output_bytes = max_output_bytes
        self.output_budget = output_budget
        self._executor: ThreadPoolExecutor | None = None
        self._fd: int | None = None
        self._outputs: dict[str, tuple[int, int]] = {}
        """op id → (fd, bytes written), touched only on the writer thread."""
        self._lock = threading.Lock()
        self._error: str | None = None
        self._lost = 0
        self._finished_since_prune = 0
        self.on_error: Callable[[str | None], None] | None = None
        """Called (from the writer thread) when the error state changes; the Cluster forwards it to the loop."""
        self._host = socket.gethostname()

    # -- state -------------------------------------------------------------------------------------------------

    @property
    def error(self) -> str | None:
        """Why the last write failed (None when the journal is healthy)."""
        with self._lock:
            return self._error

    @property
    def lost_records(self) -> int:
        """Records that could not be written since the journal was opened."""
        with self._lock:
            return self._lost

    def _set_error(self, error: str | None) -> None:
        with self._lock:
            changed = error != self._error
            self._error = error
            if error is not None:
                self._lost += 1
        if changed:
            if error:
                log.error("%s", error)
            if self.on_error is not None:
                self.on_error(error)

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def open(self) -> None:
        """Create the directories and start the writer thread. Never raises: failures become ``error``."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vztui-journal")
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._set_error(f"journal directory {self.directory} unusable: {exc.strerror or exc}")

    async def close(self) -> None:
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        await asyncio.get_running_loop().run_in_executor(executor, self._close_files)
        executor.shutdown(wait=True)

    def close_sync(self) -> None:
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        executor.submit(self._close_files).result()
        executor.shutdown(wait=True)

    def _close_files(self) -> None:
        for fd, _ in self._outputs.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._outputs.clear()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    # -- writing -----------------------------------------------------------------------------------------------

    def _submit(self, fn: Callable[[], None]) -> Future[None]:
        if self._executor is None:
            self.open()
        assert self._executor is not None
        return self._executor.submit(fn)

    def _append_now(self, record: Mapping[str, Any]) -> None:
        """Write one record and fsync it (writer thread only)."""
        data = (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8", "replace")
        try:
            self._rotate_if_needed(len(data))
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                if _ends_torn(self.path):
                    data = b"\n" + data  # a crash mid-write left half a line: never glue a record onto it
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
        except OSError as exc:
            self._drop_fd()
            self._set_error(f"journal write to {self.path} failed: {exc.strerror or exc}")
            return
        if self.error is not None:
            self._set_error(None)

    def _drop_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return
        if not self.path.is_file() or size + incoming <= self.max_bytes:
            return
        self._drop_fd()
        for index in range(self.keep, 0, -1):
            older = self.directory / f"journal.{index}.jsonl"
            newer = self.directory / (f"journal.{index - 1}.jsonl" if index > 1 else JOURNAL_NAME)
            if index == self.keep:
                with contextlib.suppress(FileNotFoundError):
                    older.unlink()
            with contextlib.suppress(FileNotFoundError):
                newer.rename(older)

    def _record(self, event: str, at: float | None = None, **fields: Any) -> dict[str, Any]:
        when = time.time() if at is None else at
        return {"v": FORMAT_VERSION, "event": event, "at": round(when, 3), "time": _iso(when), **fields}

    def _queued_record(self, op: Operation) -> dict[str, Any]:
        request = op.request
        return self._record(
            "queued",
            op.queued_at,
            op=op.id,
            node=request.node,
            argv=list(request.argv),
            ctids=list(request.ctids),
            kind=request.kind,
            title=request.title,
            user=op.user,
            mutating=request.mutating,
            plan=op.plan_id,
            step=op.step,
            pid=os.getpid(),
            host=self._host,
        )

    def _append_sync(self, record: Mapping[str, Any]) -> None:
        self._submit(lambda: self._append_now(record)).result()

    def queued(self, op: Operation) -> None:
        self._submit(lambda: self._append_now(self._queued_record(op)))

    async def started(self, op: Operation) -> None:
        """Record the start and wait until it is on disk (or failed): a crash after this is "interrupted"."""
        record = self._record("started", op.started_at, op=op.id)
        future = self._submit(lambda: self._open_output_and_append(op, record))
        await asyncio.wrap_future(future)

    def _open_output_and_append(self, op: Operation, record: Mapping[str, Any]) -> None:
        self._append_now(record)
        path = self.output_path(op.id)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            header = f"# {op.node}: {shlex.join(op.request.argv)}\n# started {_iso(op.started_at or time.time())}\n"
            os.write(fd, header.encode("utf-8", "replace"))
        except OSError as exc:
            self._set_error(f"journal output file {path} failed: {exc.strerror or exc}")
            return
        self._outputs[op.id] = (fd, len(header))

    def output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        """Append streamed lines to the operation's output file (not fsynced per line; synced when it finishes)."""
        batch = list(lines)
        self._submit(lambda: self._write_output(op_id, batch))

    def _write_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        slot = self._outputs.get(op_id)
        if slot is None:
            return
        fd, written = slot
        if written >= self.max_output_bytes:
            return
        data = "".join(f"{'out' if line.stream == 'stdout' else 'err'} {line.text}\n" for line in lines).encode(
            "utf-8", "replace"
        )
        if written + len(data) > self.max_output_bytes:
            data = data[: max(0, self.max_output_bytes - written)]
            data += f"\n# vztui: output truncated at {self.max_output_bytes} bytes\n".encode()
        try:
            os.write(fd, data)
        except OSError as exc:
            self._set_error(f"journal output file {self.output_path(op_id)} failed: {exc.strerror or exc}")
            return
        self._outputs[op_id] = (fd, written + len(data))

    def finished(self, op: Operation) -> None:
        record = self._record(
            "finished",
            op.finished_at,
            op=op.id,
            state=op.state.value,
            exit_code=op.exit_code,
            duration=None if op.duration is None else round(op.duration, 3),
            reason=op.reason,
            output_lines=op.output_lines,
        )
        self._submit(lambda: self._finish_now(op.id, record))

    def _finish_now(self, op_id: str, record: Mapping[str, Any]) -> None:
        slot = self._outputs.pop(op_id, None)
        if slot is not None:
            fd, _ = slot
            try:
                os.fsync(fd)
            except OSError as exc:
                self._set_error(f"journal output file {self.output_path(op_id)} failed: {exc.strerror or exc}")
            finally:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._append_now(record)
        self._finished_since_prune += 1
        if self._finished_since_prune >= 64:
            self._finished_since_prune = 0
            self._prune_outputs()

    def refused(self, request: OpRequest, reason: str, user: str) -> None:
        """A mutating request the read-only guard refused: kept for the audit trail, never run."""
        record = self._record(
            "refused",
            node=request.node,
            argv=list(request.argv),
            ctids=list(request.ctids),
            kind=request.kind,
            user=user,
            reason=reason,
            pid=os.getpid(),
        )
        self._submit(lambda: self._append_now(record))

    def reconciled(self, op_id: str, node: str, result: Reconciliation) -> None:
        record = self._record(
            "reconciled", op=op_id, node=node, ctid=result.ctid, status=result.status, line=result.line
        )
        self._submit(lambda: self._append_now(record))

    async def drain(self) -> None:
        """Wait until every record submitted so far has been written (or failed)."""
        await asyncio.wrap_future(self._submit(lambda: None))

    def _prune_outputs(self) -> None:
        try:
            files = [
                (entry.stat().st_mtime, entry.stat().st_size, Path(entry.path)) for entry in os.scandir(self.output_dir)
            ]
        except OSError:
            return
        total = sum(size for _, size, _ in files)
        if total <= self.output_budget:
            return
        for _, size, path in sorted(files):
            if total <= self.output_budget * 0.9:
                break
            if path.stem in self._outputs:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size

    # -- reading -----------------------------------------------------------------------------------------------

    def output_path(self, op_id: str) -> Path:
        return self.output_dir / f"{op_id}.log"

    def read_output(self, op_id: str) -> str:
        """The operation's full output file as text ("" when absent)."""
        try:
            return self.output_path(op_id).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def files(self) -> list[Path]:
        """Journal files, oldest first."""
        rotated = sorted(
            self.directory.glob("journal.*.jsonl"),
            key=lambda p: int(p.name.split(".")[1]) if p.name.split(".")[1].isdigit() else 0,
            reverse=True,
        )
        return [*rotated, self.path] if self.path.exists() else rotated

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable record, oldest first; a torn last line (crash mid-write) is skipped."""
        for path in self.files():
            try:
                with path.open("rb") as handle:
                    for raw in handle:
                        try:
                            record = json.loads(raw)
                        except ValueError:
                            continue
                        if isinstance(record, dict):
                            yield record
            except OSError as exc:
                log.warning("cannot read journal file %s: %s", path, exc)

    def entries(self) -> list[JournalEntry]:
        """Every operation in the journal, in the order it was queued."""
        folds: dict[str, _Fold] = {}
        for record in self.records():
            op_id = record.get("op")
            if not isinstance(op_id, str):
                continue
            event = record.get("event")
            if event == "queued":
                folds[op_id] = _Fold(queued=record)
                continue
            fold = folds.get(op_id)
            if fold is None:
                continue
            if event == "started":
                fold.started_at = _float(record.get("at"))
            elif event in ("finished", "interrupted"):
                fold.finished = record
            elif event == "reconciled":
                fold.reconciled.append(
                    Reconciliation(
                        ctid=_int(record.get("ctid")),
                        status=str(record.get("status") or ""),
                        line=str(record.get("line") or ""),
                    )
                )
        return [_entry(op_id, fold) for op_id, fold in folds.items()]

    def recover(self) -> list[JournalEntry]:
        """Close out what a dead vztui left unfinished; return the interrupted operations to reconcile.

        Started-but-unfinished operations of a process that is no longer alive become INTERRUPTED (their outcome
        is unknown); queued-only ones become CANCELLED (they never ran). Nothing is ever re-run. Operations whose
        reconciliation has not happened yet (a node was down last time) are returned again.
        """
        pending: list[JournalEntry] = []
        now = time.time()
        me = os.getpid()
        for found in self.entries():
            entry = found
            if entry.unfinished:
                if entry.pid == me or (entry.host == self._host and _pid_alive(entry.pid)):
                    continue
                who = f"vztui (pid {entry.pid} on {entry.host or 'this host'})"
                if entry.started_at is not None:
                    reason = f"{who} stopped while this ran; outcome unknown until the CT state is re-read"
                    state = OpState.INTERRUPTED
                else:
                    reason = f"never started: {who} stopped first; not re-run"
                    state = OpState.CANCELLED
                record = self._record(
                    "finished", now, op=entry.op_id, state=state.value, exit_code=None, duration=None, reason=reason
                )
                self._append_sync(record)
                entry = _replace_outcome(entry, state, reason, now)
            if entry.state is OpState.INTERRUPTED and entry.ctids and not any(r.ok for r in entry.reconciled):
                pending.append(entry)
        return pending


def _ends_torn(path: Path) -> bool:
    """True when the file's last byte is not a newline (the previous writer died mid-record)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except OSError:
        return False


def _replace_outcome(entry: JournalEntry, state: OpState, reason: str, at: float) -> JournalEntry:
    return replace(entry, state=state, reason=reason, finished_at=at)


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _int(value: object) -> int:
    return int(value) if isinstance(value, int) else 0


def _entry(op_id: str, fold: _Fold) -> JournalEntry:
    q = fold.queued
    fin = fold.finished or {}
    state: OpState | None = None
    if fold.finished is not None:
        try:
            state = OpState(str(fin.get("state") or OpState.INTERRUPTED.value))
        except ValueError:
            state = OpState.INTERRUPTED
    return JournalEntry(
        op_id=op_id,
        node=str(q.get("node") or ""),
        argv=tuple(str(a) for a in q.get("argv") or ()),
        ctids=tuple(int(c) for c in q.get("ctids") or () if isinstance(c, int)),
        kind=str(q.get("kind") or ""),
        title=str(q.get("title") or ""),
        user=str(q.get("user") or ""),
        mutating=bool(q.get("mutating", True)),
        plan_id=q.get("plan") if isinstance(q.get("plan"), str) else None,
        step=_int(q.get("step")),
        pid=_int(q.get("pid")),
        host=str(q.get("host") or ""),
        queued_at=_float(q.get("at")) or 0.0,
        started_at=fold.started_at,
        finished_at=_float(fin.get("at")) if fold.finished is not None else None,
        state=state,
        exit_code=fin.get("exit_code") if isinstance(fin.get("exit_code"), int) else None,
        reason=str(fin.get("reason") or ""),
        output_lines=_int(fin.get("output_lines")),
        reconciled=tuple(fold.reconciled),
    )


__all__ = ["Journal", "JournalEntry", "Reconciliation", "default_directory"]
