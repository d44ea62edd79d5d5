"""Turns one poll's sections into an immutable NodeSnapshot: each section parsed by the domain parser, beancounter
held values merged into the Containers, CPU % from vestat deltas, start times from vestat uptime.

Built to be cheap at 10,000 CTs: the previous tick's parsed pieces are kept per CT (vzlist JSON object, beancounter
block) and reused when their text is unchanged, so unchanged CTs keep the very same Container object and the delta
is an identity check. Texts are remembered by their 64-bit string hash, not kept: the text of every CT's block costs
~3 KB a CT (30 MB at 10,000 CTs) while a hash is 32 bytes, and an accidental collision (2**-64 a comparison)
would only delay that CT's update to the next tick that changes it. One broken section never loses the others: it
keeps the previous tick's value and is named in ``error``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from array import array
from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from types import MappingProxyType
from typing import TypeVar

from vztui.backend.batch import Section, beancounter_source
from vztui.backend.gcpause import paused_collector
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.backend.vestat import VeStatTable, jiffies, read_vestat
from vztui.openvz.errors import ParseError
from vztui.openvz.models import (
    Beancounter,
    BeancounterTable,
    Container,
    CtStatus,
    DiskUsage,
    LoadAvg,
    MemInfo,
    NodeInfo,
    VeStat,
)

VESTAT_HZ = 1000
"""Kernel jiffies per second in /proc/vz/vestat's user/nice/system/uptime columns: the kernel prints raw jiffies
(``cputime_to_jiffies``), and RHEL6-based OpenVZ kernels are built with CONFIG_HZ=1000. Only start times depend on
it; CPU % is a ratio of two jiffy counts."""

START_JITTER = 2.0
"""Seconds a recomputed start time may move before it counts as a restart (clock and rounding noise)."""

_EMPTY_BC: Mapping[str, Beancounter] = MappingProxyType({})
T = TypeVar("T")

_ROW_TOKENS = 6
"""resource, held, maxheld, barrier, limit, failcnt."""
_BAD_FIRST_LINE = re.compile(r"[ \t\r]*[0-9\n]")
_BAD_LINE = re.compile(r"\n[ \t\r]*[0-9\n]")
"""A blank line, or a line starting with a number (a row cut in two): at a block's start, or anywhere in it (kept
as two patterns: one with ``(?:^|\\n)`` cannot use the regex engine's literal-prefix scan and is ~15x slower)."""
_MAX_LAYOUTS = 64
"""Distinct resource columns remembered per node (a real node has one or two; hostile text cannot grow this)."""
_Layout = tuple[tuple[str, ...], Mapping[str, int], tuple[int, ...] | None]
"""(resource names, name -> row, the rows to keep when the block has dummy rows, else None)."""


class SnapshotAssembler:
    """Builds one node's snapshots tick after tick, reusing everything that did not change."""

    def __init__(self, node: str) -> None:
        self.node = node
        self._vzlist_chunks: array[int] = array("q")
        self._vzlist_parsed: list[Container] = []
        self._vzlist_shapes: array[int] = array("q")
        """Per vzlist object: the hash of its text without the disk usage numbers (0: not in vzlist's layout).
        Both hash lists are int64 arrays: 8 bytes an entry instead of a list slot plus an int object (~40 bytes)."""
        self._shared: dict[str, dict[object, object]] = {name: {} for name in _SHARED_FIELDS}
        self._bc_blocks: dict[str, tuple[int, Mapping[str, Beancounter]]] = {}
        self._bc_header = 0
        self._layouts: dict[tuple[str, ...], _Layout] = {}
        self._merged: dict[int, tuple[Container, Mapping[str, Beancounter], Container]] = {}
        self._whole: dict[str, tuple[int, object]] = {}
        self.counters_only: frozenset[int] = frozenset()
        """CTs of the last build whose vzlist view was reused and only beancounters changed (a delta hint)."""

    # -- entry point -------------------------------------------------------------------------------------------

    @paused_collector
    def build(
        self,
        sections: Mapping[str, Section],
        *,
        prev: NodeSnapshot | None,
        taken_at: float | None = None,
        info: NodeInfo | None = None,
        poll_duration: float = 0.0,
        round_trips: int = 1,
    ) -> NodeSnapshot:
        # Imported here, not at module level: the parser package is large and the dashboard's first frame must not
        # wait for it. An import failure raises out of build() and the poller reports it on the node.
        from vztui.openvz.parsers import parse_df, parse_loadavg, parse_meminfo, parse_proc_vzquota

        when = time.time() if taken_at is None else taken_at
        problems: list[str] = []

        base = self._section(sections, "vzlist", problems, self._parse_vzlist)
        stale = base is None
        bc = self._section(sections, "beancounters", problems, self._parse_beancounters)
        vestat = self._section(sections, "vestat", problems, lambda s: self._cached(s, _parse_vestat))
        quota = self._section(sections, "vzquota", problems, lambda s: self._cached(s, parse_proc_vzquota))
        meminfo = self._section(sections, "meminfo", problems, lambda s: parse_meminfo(s.text))
        loadavg = self._section(sections, "loadavg", problems, lambda s: parse_loadavg(s.text))
        df = self._section(sections, "df", problems, lambda s: tuple(parse_df(s.text)))

        self.counters_only = frozenset()
        if base is None:
            containers = dict(prev.containers) if prev is not None else {}
        else:
            beancounters: Mapping[int, Mapping[str, Beancounter]] = bc if bc is not None else {}
            containers = self._merge(base, beancounters)
        vestats: Mapping[int, VeStat] = (
            vestat if vestat is not None else (prev.vestat if prev is not None else _frozen({}))
        )
        if not stale:
            health = NodeHealth.UP
        else:  # no CT list this tick: the last one (if there ever was one) is shown, marked stale
            health = (
                NodeHealth.STALE
                if prev is not None and prev.health is not NodeHealth.UNREACHABLE
                else NodeHealth.UNREACHABLE
            )
        return NodeSnapshot(
            node=self.node,
            taken_at=when,
            health=health,
            containers=MappingProxyType(containers),
            vestat=vestats,
            quota=_frozen(quota) if quota is not None else (prev.quota if prev is not None else _frozen({})),
            cpu_percent=_cpu_percent(prev, vestats, containers),
            started_at=_started_at(prev, vestats, when, containers),
            meminfo=_typed(meminfo, MemInfo) or (prev.meminfo if prev is not None else None),
            loadavg=_typed(loadavg, LoadAvg) or (prev.loadavg if prev is not None else None),
            filesystems=df if isinstance(df, tuple) else (prev.filesystems if prev is not None else ()),
            info=info,
            error="; ".join(problems),
            poll_duration=poll_duration,
            round_trips=round_trips,
        )

    # -- sections ----------------------------------------------------------------------------------------------

    def _section(
        self,
        sections: Mapping[str, Section],
        name: str,
        problems: list[str],
        parse: Callable[[Section], T],
    ) -> T | None:
        section = sections.get(name)
        if section is None:
            problems.append(f"{name}: missing from the poll output")
            return None
        problem = section.problem()
        if problem:
            problems.append(problem)
            return None
        try:
            return parse(section)
        except ParseError as exc:
            problems.append(f"{name}: {exc}")
            return None

    def _cached(self, section: Section, parse: Callable[[str], T]) -> T:
        """Reuse the previous parse when the section's text is identical (quota tables rarely change)."""
        hit = self._whole.get(section.name)
        fingerprint = hash(section.text)
        if hit is not None and hit[0] == fingerprint:
            return hit[1]  # type: ignore[return-value]
        value = parse(section.text)
        self._whole[section.name] = (fingerprint, value)
        return value

    def _parse_vzlist(self, section: Section) -> list[Container]:
        """vzlist -j, one JSON object per CT: only objects whose text changed since last tick are parsed again.

        The common change (a running CT's disk usage moved, nothing else) is recognised from the text: when an
        object differs from its previous version only in the two ``"usage"`` numbers, the previous Container is
        copied with the new figures instead of decoding and validating the whole object again.
        """
        from vztui.openvz.parsers import parse_vzlist_json

        chunks = _json_objects(section.text)
        if chunks is None:
            parsed: list[Container] = [self._share(container) for container in parse_vzlist_json(section.text)]
            self._vzlist_chunks, self._vzlist_shapes, self._vzlist_parsed = array("q"), array("q"), []
            return parsed
        old_chunks, old_shapes, old_parsed = self._vzlist_chunks, self._vzlist_shapes, self._vzlist_parsed
        result: list[Container | None] = []
        shapes: array[int] = array("q")
        misses: list[int] = []
        hashes = array("q", map(hash, chunks))
        for index, fingerprint in enumerate(hashes):
            if index < len(old_chunks) and old_chunks[index] == fingerprint:
                result.append(old_parsed[index])
                shapes.append(old_shapes[index])
                continue
            disk = _disk_shape(chunks[index])
            shapes.append(disk[0] if disk is not None else 0)
            if disk is not None and index < len(old_chunks) and old_shapes[index] == disk[0]:
                moved = _with_disk_usage(old_parsed[index], disk[1], disk[2])
                if moved is not None:
                    result.append(moved)
                    continue
            result.append(None)
            misses.append(index)
        if misses:
            fresh = parse_vzlist_json("[" + ",".join(chunks[i] for i in misses) + "]")
            if len(fresh) != len(misses):
                raise ParseError(f"vzlist: {len(misses)} objects re-read, {len(fresh)} parsed")
            for index, container in zip(misses, fresh, strict=True):
                result[index] = self._share(container)
        done = [c for c in result if c is not None]
        self._vzlist_chunks, self._vzlist_shapes, self._vzlist_parsed = hashes, shapes, done
        return done

    def _share(self, container: Container) -> Container:
        """``container`` (just parsed, not yet seen by anyone) with the values of ``_SHARED_FIELDS`` replaced by an
        equal object another CT of this node already holds: JSON decoding makes a new string or int for every CT,
        though most CTs of a node share their OS template, origin sample and CPU units (~1.5 MB at 10,000 CTs).
        Only objects of the very same type are shared (``1 == True``), and a table that grew past
        ``_MAX_SHARED`` values (hostile variety) is emptied rather than kept growing."""
        for name, setter in _SHARED_SETTERS:
            value = getattr(container, name)
            if value is None:
                continue
            table = self._shared[name]
            shared = table.get(value)
            if shared is None:
                if len(table) >= _MAX_SHARED:
                    table.clear()
                table[value] = value
            elif shared is not value and type(shared) is type(value):
                setter(container, shared)
        return container

    def _parse_beancounters(self, section: Section) -> Mapping[int, Mapping[str, Beancounter]]:
        """/proc/bc/resources (or user_beancounters) per CT block, re-reading only blocks whose text changed.

        Every ``:`` in these files ends a uid (``      101:``) or the ``Version:`` line, so splitting on it cuts the
        file into blocks at C speed; each block's text is compared with the same CT's block of the previous tick.
        A changed block in the kernel's own shape (one row a line, plain numbers) becomes a compact
        BeancounterTable read at C speed; anything else goes through the strict parser, which names the problem.
        """
        from vztui.openvz.parsers import parse_bc_resources, parse_user_beancounters

        kind, text = beancounter_source(section)
        parse = parse_user_beancounters if kind == "user_beancounters" else parse_bc_resources
        parts = text.split(":")
        if len(parts) < 2:
            return _frozen_bc(parse(text))
        head_end = parts[1].rfind("\n")
        header = parts[0] + ":" + parts[1][: head_end + 1] if head_end >= 0 else ""
        uid = parts[1][head_end + 1 :]
        fast = _plain_kernel_numbers(text) and self._header_ok(header, parse)
        old = self._bc_blocks
        blocks: dict[str, tuple[int, Mapping[str, Beancounter]]] = {}
        stale: list[tuple[str, str, int]] = []
        read = self._read_block
        for part in parts[2:]:
            cut = part.rfind("\n")
            body, next_uid = (part[: cut + 1], part[cut + 1 :]) if cut >= 0 else (part, "")
            key = uid.strip()
            prev = old.get(key)
            fingerprint = hash(body)
            if prev is not None and prev[0] == fingerprint and key not in blocks:
                blocks[key] = prev
            else:
                table = read(body) if fast and key not in blocks and _is_uid(key) else None
                if table is not None:
                    blocks[key] = (fingerprint, table)
                else:
                    stale.append((uid, body, fingerprint))
            uid = next_uid
        if uid.strip():  # a last row without its newline (cut off, or just unterminated): the strict parser decides
            self._bc_blocks = {}
            return _frozen_bc(parse(text))
        if stale:
            fresh = parse(header + "".join(f"{u}:{b}" for u, b, _ in stale))
            for u, _, fingerprint in stale:
                key = u.strip()
                ctid = int(key) if key.isdigit() else None
                counters = fresh.get(ctid) if ctid is not None else None
                blocks[key] = (fingerprint, MappingProxyType(counters) if counters is not None else _EMPTY_BC)
        self._bc_blocks = blocks
        return {int(key): value[1] for key, value in blocks.items() if key.isdigit()}

    def _header_ok(self, header: str, parse: Callable[[str], object]) -> bool:
        """Whether the beancounter file's first two lines are the kernel's (checked by the strict parser, once
        per distinct header)."""
        fingerprint = hash(header)
        if self._bc_header == fingerprint:
            return True
        try:
            parse(header)
        except ParseError:
            return False
        self._bc_header = fingerprint
        return True

    def _read_block(self, body: str) -> BeancounterTable | None:
        """One CT's rows (the text after ``<uid>:``) as a BeancounterTable, or None when the block is not exactly
        one ``<resource> <5 numbers>`` row a line (the strict parser then reads it and names any problem).

        Checked without a Python-level loop over rows: the tokens must come in sixes whose first is a resource
        name (the layout check) and whose others are numbers (``int`` then ``array('Q')`` refuse anything else),
        there must be one line per six tokens, and no line may be blank or start with a number. Together that
        means every line starts a row and holds exactly one.
        """
        tokens = body.split()
        rows = body.count("\n")
        if (
            not rows
            or len(tokens) != _ROW_TOKENS * rows
            or _BAD_FIRST_LINE.match(body)
            or _BAD_LINE.search(body)
            or body[-1] != "\n"
        ):
            return None
        raw = tuple(tokens[0::_ROW_TOKENS])
        layout = self._layouts.get(raw)
        if layout is None:
            layout = self._layout(raw)
            if layout is None:
                return None
        names, index, keep = layout
        del tokens[0::_ROW_TOKENS]
        try:
            values = array("Q", map(int, tokens))
        except (ValueError, OverflowError):  # not a number, or outside 0 .. 2**64-1
            return None
        if keep is not None:
            values = array("Q", [values[5 * at + column] for at in keep for column in range(5)])
        return BeancounterTable(names, index, values)

    def _layout(self, raw: tuple[str, ...]) -> _Layout | None:
        """The shared names/index of a block's resource column (dummy rows dropped), or None when a name is not a
        plain resource name or repeats. Remembered: every CT of a node has one of a few layouts."""
        from vztui.openvz.resources import DUMMY

        if len(self._layouts) >= _MAX_LAYOUTS:
            self._layouts.clear()
        keep = tuple(at for at, name in enumerate(raw) if name != DUMMY)
        names = tuple(raw[at] for at in keep)
        if len(set(names)) != len(names) or not all(name.isascii() and name.isidentifier() for name in names):
            return None
        index = MappingProxyType({name: row for row, name in enumerate(names)})
        layout = (names, index, None if len(keep) == len(raw) else keep)
        self._layouts[raw] = layout
        return layout

    # -- merge -------------------------------------------------------------------------------------------------

    def _merge(
        self, base: list[Container], beancounters: Mapping[int, Mapping[str, Beancounter]]
    ) -> dict[int, Container]:
        """vzlist's config view plus the kernel's held values; an unchanged CT keeps its Container object."""
        old = self._merged
        merged: dict[int, tuple[Container, Mapping[str, Beancounter], Container]] = {}
        out: dict[int, Container] = {}
        counters_only: set[int] = set()
        for container in base:
            ctid = container.ctid
            counters = beancounters.get(ctid, _EMPTY_BC) if container.status is not CtStatus.STOPPED else _EMPTY_BC
            hit = old.get(ctid)
            if hit is not None and hit[0] is container:
                if hit[1] is counters:
                    merged[ctid] = hit
                    out[ctid] = hit[2]
                    continue
                counters_only.add(ctid)
            if counters:
                numproc = _held(counters, "numproc")
                result = _with_counters(container, counters, numproc if numproc is not None else container.numproc)
            else:
                result = container
            merged[ctid] = (container, counters, result)
            out[ctid] = result
        self._merged = merged
        self.counters_only = frozenset(counters_only)
        return out


_SHARED_FIELDS: tuple[str, ...] = ("ostemplate", "origin_sample", "cpuunits")
"""Container fields whose values repeat across a node's CTs (strings and ints: immutable, so sharing is safe)."""
_MAX_SHARED = 1024
"""Distinct values remembered per field and node (a node has a few templates; a CT's values still change freely)."""

_CONTAINER_SLOTS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Container))
_read_container = attrgetter(*_CONTAINER_SLOTS)
_CONTAINER_SETTERS: tuple[Callable[[Container, object], None], ...] = tuple(
    getattr(Container, name).__set__ for name in _CONTAINER_SLOTS
)
"""The slots' own descriptors: setting through them skips the frozen dataclass's ``__setattr__`` guard."""
_SHARED_SETTERS: tuple[tuple[str, Callable[[Container, object], None]], ...] = tuple(
    (name, getattr(Container, name).__set__) for name in _SHARED_FIELDS
)


def _with_counters(container: Container, counters: Mapping[str, Beancounter], numproc: int | None) -> Container:
    """``dataclasses.replace(container, resources=counters, numproc=numproc)`` without re-running ``__init__``.

    The values come from an already valid Container, so copying the slots is enough; at 10,000 running CTs per
    tick this is the difference between ~2 µs and ~18 µs per CT.
    """
    clone = _copy_container(container)
    setter = object.__setattr__
    setter(clone, "resources", counters)
    setter(clone, "numproc", numproc)
    return clone


def _copy_container(container: Container) -> Container:
    """A field-for-field copy of a valid Container, made without ``__init__`` (the caller then sets what moved)."""
    clone = object.__new__(Container)
    for setter, value in zip(_CONTAINER_SETTERS, _read_container(container), strict=True):
        setter(clone, value)
    return clone


_DISKSPACE_OPEN = '"diskspace": {\n      '
_DISKINODES_OPEN = '"diskinodes": {\n      '
_USAGE = '"usage": '


def _disk_shape(chunk: str) -> tuple[int, int, int] | None:
    """(hash of the object's text without its two disk usage numbers, diskspace usage, diskinodes usage), or None
    when the object is not in vzlist's own layout with both as plain non-negative integers.

    ``"usage": `` cannot occur inside a JSON string (the quote would be escaped), so splitting on it finds exactly
    the keys; both must open their object as vzlist prints them (``"diskspace": {`` then ``"diskinodes": {``).
    """
    pieces = chunk.split(_USAGE)
    if len(pieces) != 3 or not pieces[0].endswith(_DISKSPACE_OPEN) or not pieces[1].endswith(_DISKINODES_OPEN):
        return None
    first, second = pieces[1], pieces[2]
    cut_first, cut_second = first.find(","), second.find(",")
    space, inodes = first[:cut_first], second[:cut_second]
    if cut_first < 0 or cut_second < 0 or not (_json_natural(space) and _json_natural(inodes)):
        return None
    return hash((pieces[0], first[cut_first:], second[cut_second:])), int(space), int(inodes)


def _json_natural(text: str) -> bool:
    """A JSON integer >= 0 as json.loads reads it (no sign, no leading zero)."""
    return text.isascii() and text.isdigit() and (len(text) == 1 or text[0] != "0")


def _with_disk_usage(container: Container, space: int, inodes: int) -> Container | None:
    """``container`` with new diskspace/diskinodes usage, or None when it has no such figures to update."""
    old_space, old_inodes = container.diskspace, container.diskinodes
    if old_space is None or old_inodes is None:
        return None
    clone = _copy_container(container)
    setter = object.__setattr__
    setter(
        clone, "diskspace", DiskUsage(space, old_space.softlimit, old_space.hardlimit, old_space.grace, old_space.over)
    )
    setter(
        clone,
        "diskinodes",
        DiskUsage(inodes, old_inodes.softlimit, old_inodes.hardlimit, old_inodes.grace, old_inodes.over),
    )
    return clone


def _json_objects(text: str) -> list[str] | None:
    """The top-level objects of vzlist's JSON array as text, or None when the layout is not vzlist's own.

    vzlist writes each CT as ``\\n  {`` … ``\\n  }`` (REFERENCE §3.4); splitting on those lines is exact for its
    output. Anything else (another writer's layout) returns None and is parsed whole.
    """
    body = text.strip()
    if not body.startswith("[") or not body.endswith("]"):
        return None
    inner = body[1:-1].strip()
    if not inner:
        return []
    pieces = inner.split("\n  },\n  {")
    if not pieces[0].startswith("{") or not pieces[-1].endswith("}"):
        return None
    if len(pieces) == 1:  # one object in vzlist's layout; anything else (several on one line …) is parsed whole
        return [inner] if inner.startswith("{\n    ") and inner.endswith("\n  }") else None
    pieces[0] += "\n  }"
    for index in range(1, len(pieces) - 1):
        pieces[index] = "{" + pieces[index] + "\n  }"
    pieces[-1] = "{" + pieces[-1]
    return pieces


def _cpu_percent(
    prev: NodeSnapshot | None, now: Mapping[int, VeStat], containers: Mapping[int, Container]
) -> Mapping[int, float]:
    """Percent of one CPU each running CT used since the previous tick (busy jiffies / elapsed jiffies).

    When the counters did not move (two polls within one kernel update) the previous figure stands.
    """
    if prev is None or not prev.vestat:
        return _frozen({})
    before = prev.vestat
    if before is now:
        return prev.cpu_percent
    carried = prev.cpu_percent
    result: dict[int, float] = {}
    for row_ctid, busy_now, up_now, busy_then, up_then in _paired_jiffies(before, now):
        container = containers.get(row_ctid)
        if container is None:
            continue
        ctid = container.ctid  # the key object the Container already holds, not one more int per CT
        elapsed = up_now - up_then
        busy = busy_now - busy_then
        if elapsed == 0 and busy == 0:
            figure = carried.get(ctid)
            if figure is not None:
                result[ctid] = figure
            continue
        if elapsed <= 0 or busy < 0:
            continue
        result[ctid] = round(100.0 * busy / elapsed, 1)
    return MappingProxyType(result)


def _paired_jiffies(
    before: Mapping[int, VeStat], now: Mapping[int, VeStat]
) -> Iterator[tuple[int, int, int, int, int]]:
    """(ctid, busy now, uptime now, busy before, uptime before) for each CT in ``now`` that ``before`` has too;
    row by row when both list the same CTs in the same order (the common case), else through a CTID index."""
    ids, busy, uptimes = jiffies(now)
    old_ids, old_busy, old_uptimes = jiffies(before)
    if ids == old_ids:
        yield from zip(ids, busy, uptimes, old_busy, old_uptimes, strict=True)
        return
    rows = {ctid: row for row, ctid in enumerate(old_ids)}
    for ctid, busy_now, up_now in zip(ids, busy, uptimes, strict=True):
        row = rows.get(ctid)
        if row is not None:
            yield ctid, busy_now, up_now, old_busy[row], old_uptimes[row]


def _parse_vestat(text: str) -> Mapping[int, VeStat]:
    """The kernel's layout straight into a VeStatTable; anything else through the strict parser (which raises
    ParseError naming the problem), kept compact as well."""
    from vztui.openvz.parsers import parse_vestat

    table = read_vestat(text)
    return table if table is not None else VeStatTable.from_stats(parse_vestat(text))


def _started_at(
    prev: NodeSnapshot | None, vestat: Mapping[int, VeStat], taken_at: float, containers: Mapping[int, Container]
) -> Mapping[int, float]:
    """When each running CT started (epoch seconds), stable across ticks so uptime does not churn the delta."""
    old = prev.started_at if prev is not None else {}
    result: dict[int, float] = {}
    ctids, _, uptimes = jiffies(vestat)
    for row_ctid, uptime in zip(ctids, uptimes, strict=True):
        container = containers.get(row_ctid)
        if container is None or not container.running:
            continue
        ctid = container.ctid  # as in _cpu_percent
        started = round(taken_at - uptime / VESTAT_HZ)
        previous = old.get(ctid)
        result[ctid] = previous if previous is not None and abs(previous - started) <= START_JITTER else started
    return MappingProxyType(result)


def _frozen(value: Mapping[int, T]) -> Mapping[int, T]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


def _frozen_bc(value: Mapping[int, Mapping[str, Beancounter]]) -> Mapping[int, Mapping[str, Beancounter]]:
    return {ctid: MappingProxyType(dict(counters)) for ctid, counters in value.items()}


def _held(counters: Mapping[str, Beancounter], resource: str) -> int | None:
    if isinstance(counters, BeancounterTable):
        return counters.held(resource)
    bc = counters.get(resource)
    return bc.held if bc is not None else None


def _plain_kernel_numbers(text: str) -> bool:
    """True when ``int()`` reads every number in ``text`` exactly as the kernel printed it (no sign, no ``_``, ASCII
    digits only); the fast block reader is used only then."""
    return text.isascii() and "+" not in text and "_" not in text and "-" not in text


def _is_uid(key: str) -> bool:
    return key.isascii() and key.isdigit() and len(key) <= _MAX_UID_DIGITS


_MAX_UID_DIGITS = 10


def _typed(value: object, kind: type[T]) -> T | None:
    return value if isinstance(value, kind) else None
