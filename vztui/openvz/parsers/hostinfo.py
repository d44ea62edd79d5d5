"""Readers of the host's own figures: /proc/meminfo, /proc/loadavg, /proc/cpuinfo and ``df -P -k``.

Tolerated: trailing blanks, CRLF line ends, a missing final newline, blank lines. Anything that cannot have come
from the kernel (or from POSIX df) raises ParseError with the line number.
"""

from __future__ import annotations

import re
from typing import Final

from vztui.openvz.errors import ParseError
from vztui.openvz.models import FsUsage, LoadAvg, MemInfo
from vztui.openvz.parsers._kernelfile import decimal, excerpt, lines_of, u64

_KIB: Final = 1024

# -- meminfo ---------------------------------------------------------------------------------------------------


def parse_meminfo(text: str) -> MemInfo:
    """/proc/meminfo → MemInfo, every figure in **bytes** (the file's ``kB`` is KiB, so values are × 1024).

    MemTotal and MemFree are required. RHEL6-era OpenVZ kernels (2.6.32) have no MemAvailable line; then
    ``available`` is estimated as MemFree + Buffers + Cached, the same figure ``free`` showed on those systems.
    Missing swap lines read as 0. Lines without a unit (``HugePages_Total:``) are counts and are ignored here.
    """
    source = "/proc/meminfo"
    lines = lines_of(text)
    sizes: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        name, colon, rest = line.partition(":")
        value = rest.split()
        if not colon or not name or name != name.strip() or not 1 <= len(value) <= 2:
            what = (
                "the file ends in the middle of a line"
                if _cut_off(number, lines, text)
                else "expected 'Name: value kB'"
            )
            raise ParseError(f"{what}: {excerpt(line)}", number, source=source)
        amount = u64(value[0], number, source, name)
        if len(value) == 1:
            continue
        if value[1] != "kB":
            raise ParseError(f"{name}: unknown unit {excerpt(value[1])} (expected kB)", number, source=source)
        sizes[name] = amount * _KIB
    for required in ("MemTotal", "MemFree"):
        if required not in sizes:
            raise ParseError(f"no {required} line", source=source)
    free = sizes["MemFree"]
    buffers, cached = sizes.get("Buffers", 0), sizes.get("Cached", 0)
    return MemInfo(
        total=sizes["MemTotal"],
        free=free,
        available=sizes.get("MemAvailable", free + buffers + cached),
        swap_total=sizes.get("SwapTotal", 0),
        swap_free=sizes.get("SwapFree", 0),
        buffers=buffers,
        cached=cached,
    )


# -- loadavg ---------------------------------------------------------------------------------------------------


def parse_loadavg(text: str) -> LoadAvg:
    """/proc/loadavg (``0.05 0.04 0.03 2/345 6789``) → LoadAvg with the runnable/total task counts."""
    source = "/proc/loadavg"
    lines = [line for line in lines_of(text) if line.strip()]
    if len(lines) != 1:
        raise ParseError(f"expected one line, got {len(lines)}", source=source)
    parts = lines[0].split()
    if len(parts) != 5 or parts[3].count("/") != 1:
        raise ParseError(f"expected '1min 5min 15min running/total lastpid': {excerpt(lines[0])}", 1, source=source)
    one, five, fifteen = (
        decimal(token, 1, source, what) for token, what in zip(parts[:3], ("1min", "5min", "15min"), strict=True)
    )
    running, _, total = parts[3].partition("/")
    u64(parts[4], 1, source, "last pid")
    return LoadAvg(one, five, fifteen, u64(running, 1, source, "running"), u64(total, 1, source, "total tasks"))


# -- cpuinfo ---------------------------------------------------------------------------------------------------


def parse_cpuinfo(text: str) -> tuple[int, str]:
    """/proc/cpuinfo → (number of logical CPUs, model name of the first); the model is "" when not given.

    CPUs are counted by their ``processor`` lines (x86 and newer ARM kernels print one per CPU; old ARM kernels
    also print a capitalised ``Processor`` line holding the model, which is not a CPU).
    """
    source = "/proc/cpuinfo"
    count = 0
    model = ""
    for number, line in enumerate(lines_of(text), start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise ParseError(f"expected 'key : value': {excerpt(line)}", number, source=source)
        key = key.strip()
        if key == "processor":
            count += 1
        elif key == "model name" and not model:
            model = value.strip()
    if not count:
        raise ParseError("no 'processor' line: not a /proc/cpuinfo", source=source)
    return count, model


# -- df --------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\S+")
_DF_NUMBER = re.compile(r"-|-?[0-9]+")
_DF_CAPACITY = re.compile(r"-|[0-9]+%")


def parse_df(text: str) -> list[FsUsage]:
    """``df -P -k PATH`` → one FsUsage per row (at least one), sizes in 1 KiB blocks.

    The header is skipped whatever its language (``Filesystem 1024-blocks Used Available Capacity Mounted on`` in
    the C locale). POSIX output never wraps a row; filesystem and mount point may contain spaces, so a row is
    anchored on its first "number number number capacity%" run. GNU df prints ``-`` for figures a filesystem does
    not report (read as 0) and a negative Available when root's reserve is in use (kept negative).
    """
    source = "df -P -k"
    lines = [(number, line) for number, line in enumerate(lines_of(text), start=1) if line.strip()]
    if not lines:
        raise ParseError("empty output: expected the df header and a row", source=source)
    if _df_row(lines[0][1], lines[0][0], source) is not None:
        raise ParseError(f"no header line: {excerpt(lines[0][1])}", lines[0][0], source=source)
    usages: list[FsUsage] = []
    for number, line in lines[1:]:
        usage = _df_row(line, number, source)
        if usage is None:
            raise ParseError(
                f"expected 'filesystem size used available capacity mountpoint': {excerpt(line)}", number, source=source
            )
        usages.append(usage)
    if not usages:
        raise ParseError("only a header: df printed no filesystem row", source=source)
    return usages


def _df_row(line: str, number: int, source: str) -> FsUsage | None:
    """One row, or None when the line has no "size used available capacity" run with text on both sides."""
    tokens = list(_TOKEN.finditer(line))
    words = [token.group() for token in tokens]
    for index in range(4, len(words) - 1):
        if _DF_CAPACITY.fullmatch(words[index]) and all(_DF_NUMBER.fullmatch(w) for w in words[index - 3 : index]):
            return FsUsage(
                filesystem=line[: tokens[index - 4].end()].strip(),
                size_kib=_df_number(words[index - 3], number, source, "size"),
                used_kib=_df_number(words[index - 2], number, source, "used"),
                available_kib=_df_number(words[index - 1], number, source, "available"),
                mountpoint=line[tokens[index + 1].start() :],
            )
    return None


def _df_number(word: str, number: int, source: str, what: str) -> int:
    if word == "-":
        return 0
    if word.startswith("-"):
        return -u64(word[1:], number, source, what)
    return u64(word, number, source, what)


def _cut_off(number: int, lines: list[str], text: str) -> bool:
    return number == len(lines) and not text.endswith("\n")
