"""The helper tools' reports: vzquota stat/show, vzmemcheck, vzcpucheck, vzcalc and ``vztmpl-dl --list-local``.

Each reader skips lines before the tool's first recognisable line (a banner or MOTD on stdout), then reads the
report strictly: a line it cannot place raises ParseError with its number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vztui.openvz.errors import ParseError
from vztui.openvz.models import DiskUsage, QuotaUsage, UgidQuota
from vztui.openvz.parsers._excerpt import excerpt

_EMPTY_INT_MAP: Mapping[int, int] = MappingProxyType({})


def _number_lines(text: str) -> list[tuple[int, str]]:
    """(1-based number, line) for every non-blank line, trailing blanks stripped."""
    return [(number, line.rstrip()) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]


# -- vzquota ------------------------------------------------------------------------------------------------------

_QUOTA_ROW = re.compile(
    r"^\s*(?P<name>1k-blocks|inodes)\s+(?P<usage>\d{1,20})(?P<over>\*?)\s+(?P<soft>\d{1,20})\s+"
    r"(?P<hard>\d{1,20})(?:\s+(?P<grace>\S+))?\s*$",
    re.ASCII,
)
_BATCH_WIDTH = 14
"""vzquota -b prints five ``%14llu`` per line with nothing between them."""
_UGID_STATE = re.compile(r"^User/group quota:\s*(?P<state>\S+)\s*$", re.ASCII)
_UGIDS = re.compile(
    r"^\*?Ugids:\s*loaded\s+(?P<loaded>\d{1,20}),\s*total\s+(?P<total>\d{1,20}),\s*limit\s+(?P<limit>\d{1,20})\s*$",
    re.ASCII,
)
_UGID_EXCEEDED = re.compile(r"^Ugid limit was exceeded:\s*(?P<answer>yes|no)\s*$", re.ASCII)


def parse_vzquota_stat(text: str, *, ctid: int = 0) -> QuotaUsage:
    """``vzquota stat|show CTID [-t]`` (or ``-b`` batch) → QuotaUsage of that CT (``ctid`` is not in the output).

    Blocks are 1 KiB. The ``*`` after a usage marks it over a limit; grace is empty unless over the soft limit.
    With ``-t`` the ugid (second-level) state is read too; the per-user object table after it is not.
    """
    source = "vzquota"
    lines = _number_lines(text)
    batch = [numbers for _number, line in lines if (numbers := _batch_numbers(line)) is not None]
    if len(batch) == len(lines) == 2:  # -b: blocks, then inodes
        blocks, inodes = batch
        return QuotaUsage(
            ctid=ctid,
            blocks=DiskUsage(blocks[0], blocks[1], blocks[2]),
            inodes=DiskUsage(inodes[0], inodes[1], inodes[2]),
        )
    header = next((index for index, (_n, line) in enumerate(lines) if line.split()[:2] == ["resource", "usage"]), None)
    if header is None:
        if not lines:
            raise ParseError("empty output (expected the vzquota resource table)", 0, source=source)
        raise ParseError("no 'resource usage softlimit hardlimit grace' header", lines[0][0], source=source)
    rows: dict[str, DiskUsage] = {}
    index = header + 1
    while index < len(lines) and len(rows) < 2:
        number, line = lines[index]
        match = _QUOTA_ROW.match(line)
        if match is None:
            raise ParseError(f"expected a 1k-blocks or inodes row, got {excerpt(line)}", number, source=source)
        rows[match["name"]] = DiskUsage(
            usage=int(match["usage"]),
            softlimit=int(match["soft"]),
            hardlimit=int(match["hard"]),
            grace=match["grace"] or "",
            over=bool(match["over"]),
        )
        index += 1
    if set(rows) != {"1k-blocks", "inodes"}:
        raise ParseError("the 1k-blocks or the inodes row is missing", lines[header][0], source=source)
    return QuotaUsage(ctid=ctid, blocks=rows["1k-blocks"], inodes=rows["inodes"], ugid=_ugid(lines[index:]))


def _batch_numbers(line: str) -> list[int] | None:
    """The five numbers of a ``vzquota -b`` line: 14-character cells, which a 14-digit value fills completely."""
    if len(line) == 5 * _BATCH_WIDTH:
        cells = [line[start : start + _BATCH_WIDTH].strip() for start in range(0, len(line), _BATCH_WIDTH)]
    else:
        cells = line.split()
    if len(cells) != 5 or not all(cell.isascii() and cell.isdigit() and len(cell) <= 20 for cell in cells):
        return None
    return [int(cell) for cell in cells]


def _ugid(lines: list[tuple[int, str]]) -> UgidQuota | None:
    if not lines:
        return None
    number, line = lines[0]
    state = _UGID_STATE.match(line)
    if state is None:
        raise ParseError(f"expected 'User/group quota: …', got {excerpt(line)}", number, source="vzquota")
    counts = _UGIDS.match(lines[1][1]) if len(lines) > 1 else None
    if counts is None:
        raise ParseError(
            "expected 'Ugids: loaded N, total N, limit N'", lines[1][0] if len(lines) > 1 else number, source="vzquota"
        )
    exceeded = _UGID_EXCEEDED.match(lines[2][1]) if len(lines) > 2 else None
    return UgidQuota(
        state=state["state"],
        loaded=int(counts["loaded"]),
        total=int(counts["total"]),
        limit=int(counts["limit"]),
        exceeded=exceeded is not None and exceeded["answer"] == "yes",
    )


# -- vzmemcheck ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemCheckRow:
    """One vzmemcheck row: the eight columns, in percent of the node or in MiB (see ``VzMemCheck.mbytes``)."""

    lowmem_util: float
    lowmem_commit: float
    ram_util: float
    memswap_util: float
    memswap_commit: float
    alloc_util: float
    alloc_commit: float
    alloc_limit: float


@dataclass(frozen=True, slots=True)
class VzMemCheck:
    """``vzmemcheck [-v] [-A]``: per-CT rows (``-v`` only), the summary, and with ``-A`` the node's totals."""

    mbytes: bool
    summary: MemCheckRow
    rows: Mapping[int, MemCheckRow] = field(default_factory=lambda: MappingProxyType({}))
    totals: MemCheckRow | None = None

    @property
    def mem_commit_percent(self) -> float | None:
        """The "MemSwap commit" summary admins watch, in percent (None for ``-A`` output in MiB)."""
        return None if self.mbytes else self.summary.memswap_commit


_FLOAT = r"-?(?:\d+(?:\.\d*)?|inf|nan)"
_EIGHT = r"\s+".join([f"({_FLOAT})"] * 8)
_MEM_ROW = re.compile(rf"^\s*(\d{{1,10}})\s+{_EIGHT}\s*$", re.ASCII)
_MEM_SUMMARY = re.compile(rf"^\s*Summary:\s+{_EIGHT}\s*$", re.ASCII)
_MEM_PLAIN = re.compile(rf"^\s*{_EIGHT}\s*$", re.ASCII)
_MEM_UNITS = {"Output values in %": False, "Output values in Mbytes": True}


def parse_vzmemcheck(text: str) -> VzMemCheck:
    """``vzmemcheck``, ``-v``, ``-A`` or ``-vA`` → VzMemCheck; lines before ``Output values in …`` are skipped."""
    source = "vzmemcheck"
    lines = _number_lines(text)
    start = next((i for i, (_n, line) in enumerate(lines) if line.strip() in _MEM_UNITS), None)
    if start is None:
        raise ParseError("no 'Output values in %|Mbytes' line", lines[0][0] if lines else 0, source=source)
    mbytes = _MEM_UNITS[lines[start][1].strip()]
    body = lines[start + 1 :]
    if len(body) < 2 or body[0][1].split()[-3:] != ["Alloc"] * 3 or body[1][1].split()[-2:] != ["commit", "limit"]:
        raise ParseError("missing the two header lines", body[0][0] if body else lines[start][0], source=source)
    rows: dict[int, MemCheckRow] = {}
    summary: MemCheckRow | None = None
    totals: MemCheckRow | None = None
    for number, line in body[2:]:
        if summary is None:
            if (match := _MEM_ROW.match(line)) is not None:
                rows[int(match.group(1))] = _mem_row(match.groups()[1:])
                continue
            if set(line.strip()) == {"-"}:
                continue
            if (match := _MEM_SUMMARY.match(line) or _MEM_PLAIN.match(line)) is not None:
                summary = _mem_row(match.groups())
                continue
        elif mbytes and totals is None and (match := _MEM_PLAIN.match(line)) is not None:
            totals = _mem_row(match.groups())
            continue
        raise ParseError(f"unexpected line {excerpt(line)}", number, source=source)
    if summary is None:
        raise ParseError("no summary line", body[-1][0], source=source)
    return VzMemCheck(mbytes=mbytes, summary=summary, rows=MappingProxyType(rows), totals=totals)


def _mem_row(values: tuple[str | None, ...]) -> MemCheckRow:
    numbers = [float(value or 0) for value in values]
    return MemCheckRow(*numbers)


# -- vzcpucheck ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VzCpuCheck:
    """``vzcpucheck [-v]``: CPU units promised (the host's VE0CPUUNITS included) against the node's power."""

    utilization: int
    power: float
    """Sum of bogomips × 25; old versions print a fraction (``73072.5``)."""
    units: Mapping[int, int] = field(default_factory=lambda: _EMPTY_INT_MAP)
    """CTID → cpuunits from ``-v`` (the host as 0); empty without ``-v``."""
    overcommitted: bool = False

    @property
    def usage_ratio(self) -> float | None:
        return self.utilization / self.power if self.power > 0 else None


_CPU_UTIL = re.compile(r"^Current CPU utilization:\s*(\d{1,20})\s*$", re.ASCII)
_CPU_POWER = re.compile(r"^Power of the node:\s*(\d+(?:\.\d+)?)\s*$", re.ASCII)
_CPU_ROW = re.compile(r"^\s*(\d{1,10})\s+(\d{1,20})\s*$", re.ASCII)
_CPU_HEADERS = (("VEID", "CPUUNITS"), ("veid", "units"))


def parse_vzcpucheck(text: str) -> VzCpuCheck:
    """``vzcpucheck`` or ``vzcpucheck -v`` (vzctl 4.x ``VEID CPUUNITS`` or the old ``veid units`` header).

    Lines before the ``-v`` header or the ``Current CPU utilization`` line are skipped.
    """
    source = "vzcpucheck"
    lines = _number_lines(text)
    start = next(
        (i for i, (_n, line) in enumerate(lines) if tuple(line.split()) in _CPU_HEADERS or _CPU_UTIL.match(line)),
        None,
    )
    if start is None:
        raise ParseError("no 'Current CPU utilization' line", lines[0][0] if lines else 0, source=source)
    units: dict[int, int] = {}
    utilization: int | None = None
    power: float | None = None
    overcommitted = False
    index = start
    if tuple(lines[start][1].split()) in _CPU_HEADERS:
        index += 1
        if index < len(lines) and set(lines[index][1].strip()) == {"-"}:
            index += 1
        while index < len(lines) and (row := _CPU_ROW.match(lines[index][1])) is not None:
            units[int(row.group(1))] = int(row.group(2))
            index += 1
    for number, line in lines[index:]:
        if utilization is None and (match := _CPU_UTIL.match(line)):
            utilization = int(match.group(1))
        elif utilization is not None and power is None and (match := _CPU_POWER.match(line)):
            power = float(match.group(1))
        elif power is not None and line.strip() == "Warning: hardware node is overcommitted":
            overcommitted = True
        else:
            raise ParseError(f"unexpected line {excerpt(line)}", number, source=source)
    if utilization is None or power is None:
        raise ParseError("'Current CPU utilization' or 'Power of the node' missing", 0, source=source)
    return VzCpuCheck(utilization=utilization, power=power, units=MappingProxyType(units), overcommitted=overcommitted)


# -- vzcalc -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalcRow:
    """One vzcalc row in percent of the node; None where vzcalc prints ``n/a`` (Current of a stopped CT)."""

    current: float | None
    promised: float | None
    maximum: float | None


@dataclass(frozen=True, slots=True)
class VzCalc:
    """``vzcalc [-v] CTID``: the ``Memory`` summary and, with ``-v``, the rows by name (``Low Mem``, …)."""

    memory: CalcRow
    rows: Mapping[str, CalcRow] = field(default_factory=lambda: MappingProxyType({}))


_CALC_VALUE = r"(n/a|-?\d+(?:\.\d+)?)"
_CALC_ROW = re.compile(
    rf"^(?P<name>[A-Za-z][A-Za-z .+]*?)\s+{_CALC_VALUE}\s+{_CALC_VALUE}\s+{_CALC_VALUE}\s*$", re.ASCII
)
_CALC_NAMES = frozenset({"Low Mem", "Total RAM", "Mem + Swap", "Alloc. Mem", "Num. Proc", "Memory"})


def parse_vzcalc(text: str) -> VzCalc:
    """``vzcalc [-v] CTID`` → VzCalc; lines before the ``Resource Current(%) …`` header are skipped."""
    source = "vzcalc"
    lines = _number_lines(text)
    start = next((i for i, (_n, line) in enumerate(lines) if line.split()[:2] == ["Resource", "Current(%)"]), None)
    if start is None:
        raise ParseError(
            "no 'Resource Current(%) Promised(%) Max(%)' header", lines[0][0] if lines else 0, source=source
        )
    rows: dict[str, CalcRow] = {}
    for number, line in lines[start + 1 :]:
        if set(line.strip()) == {"-"}:
            continue
        match = _CALC_ROW.match(line)
        if match is None or match["name"] not in _CALC_NAMES or match["name"] in rows:
            raise ParseError(f"unexpected line {excerpt(line)}", number, source=source)
        rows[match["name"]] = CalcRow(*(None if value == "n/a" else float(value) for value in match.groups()[1:]))
    memory = rows.pop("Memory", None)
    if memory is None:
        raise ParseError("no 'Memory' summary row", lines[-1][0], source=source)
    return VzCalc(memory=memory, rows=MappingProxyType(rows))


# -- vztmpl-dl --list-local ---------------------------------------------------------------------------------------

_TEMPLATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@-]*$", re.ASCII)


def parse_template_list(text: str) -> list[str]:
    """``vztmpl-dl --list-local`` → template names, one per line (``centos-7-x86_64-minimal``).

    Lines before the first name that are not names (a banner) are skipped; after it, a line that is not a
    template name raises ParseError. Nothing cached prints nothing: ``[]``.
    """
    names: list[str] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if _TEMPLATE.match(line):
            names.append(line)
        elif names:
            raise ParseError(f"not a template name: {excerpt(line)}", number, source="vztmpl-dl")
    return names
