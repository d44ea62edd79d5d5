"""Readers of the OpenVZ files under /proc/vz: vestat (CPU accounting), veinfo (running VEs) and vzquota (disk quota).

Columns are split on whitespace except where the kernel glues them (vzquota, see ``parse_proc_vzquota``). Tolerated:
trailing blanks, CRLF line ends, a missing final newline. A truncated last row raises ParseError.
"""

from __future__ import annotations

import ipaddress
from itertools import combinations, pairwise
from typing import Final

from vztui.openvz.errors import ParseError
from vztui.openvz.models import DiskUsage, QuotaUsage, VeInfo, VeStat
from vztui.openvz.parsers._kernelfile import U64_MAX, excerpt, lines_of, plain_numbers, u64, u64_row

VESTAT_COLUMNS: Final = (
    "VEID",
    "user",
    "nice",
    "system",
    "uptime",
    "idle",
    "strv",
    "uptime",
    "used",
    "maxlat",
    "totlat",
    "numsched",
)
"""The header of /proc/vz/vestat Version 2.2 (``uptime`` really appears twice: jiffies, then cycles)."""

_CTID_DIGITS = 10


def _ctid(token: str, number: int, source: str) -> int:
    if not (token.isascii() and token.isdigit()) or len(token) > _CTID_DIGITS:
        raise ParseError(f"expected a container ID, got {excerpt(token)}", number, source=source)
    return int(token)


def _cut_off(number: int, count: int, text: str) -> bool:
    """True when line ``number`` is the last one and the text does not end with a newline (a read cut short)."""
    return number == count and not text.endswith("\n")


# -- vestat ----------------------------------------------------------------------------------------------------


def parse_vestat(text: str) -> dict[int, VeStat]:
    """/proc/vz/vestat → {ctid: VeStat} for every running CT (the host, VE 0, is not listed).

    Both layouts (64-bit ``%20`` columns, 32-bit ``%10``/``%20`` mix) read the same way. Columns a newer kernel
    appends after ``numsched`` are ignored; fewer columns than Version 2.2's twelve raise ParseError.
    """
    source = "/proc/vz/vestat"
    lines = lines_of(text)
    version = lines[0].split() if lines else []
    if len(version) != 2 or version[0] != "Version:":
        got = excerpt(lines[0]) if lines and lines[0] else "an empty file"
        raise ParseError(f"expected 'Version: 2.2', got {got}", 1, source=source)
    header = tuple(lines[1].split()) if len(lines) > 1 else ()
    if header[: len(VESTAT_COLUMNS)] != VESTAT_COLUMNS:
        got = excerpt(lines[1]) if len(lines) > 1 else "end of file"
        raise ParseError(f"expected the column header ({' '.join(VESTAT_COLUMNS)}), got {got}", 2, source=source)
    width = len(header)
    plain = plain_numbers(text)
    stats: dict[int, VeStat] = {}
    for number, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != width:
            what = "the file ends in the middle of a row" if _cut_off(number, len(lines), text) else "a row"
            raise ParseError(
                f"{what} with {len(parts)} columns, expected {width}: {excerpt(line)}", number, source=source
            )
        ctid = _ctid(parts[0], number, source)
        values = u64_row(parts[1:12], VESTAT_COLUMNS[1:], number, source, plain=plain)
        if ctid in stats:
            raise ParseError(f"CT {ctid} is listed twice", number, source=source)
        stats[ctid] = VeStat(ctid, *values)
    return stats


# -- veinfo ----------------------------------------------------------------------------------------------------


def parse_veinfo(text: str) -> dict[int, VeInfo]:
    """/proc/vz/veinfo → {ctid: VeInfo} for every running VE, the host (0) included; empty text → {}.

    A line is ``veid class_id numproc`` and then the VE's IP addresses, in the kernel's order, exactly as printed.
    OpenVZ 7 prints ``%10s 0 %5u`` with the CT's name as veid: numeric names read, UUIDs raise ParseError.
    """
    source = "/proc/vz/veinfo"
    lines = lines_of(text)
    infos: dict[int, VeInfo] = {}
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 3:
            what = "the file ends in the middle of a row" if _cut_off(number, len(lines), text) else "a row"
            raise ParseError(f"{what}: expected veid, class and process count: {excerpt(line)}", number, source=source)
        ctid = _ctid(parts[0], number, source)
        class_id = u64(parts[1], number, source, "class")
        numproc = u64(parts[2], number, source, "numproc")
        for address in parts[3:]:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ParseError(f"CT {ctid}: not an IP address: {excerpt(address)}", number, source=source) from None
        if ctid in infos:
            raise ParseError(f"VE {ctid} is listed twice", number, source=source)
        infos[ctid] = VeInfo(ctid, class_id, numproc, tuple(parts[3:]))
    return infos


# -- vzquota ---------------------------------------------------------------------------------------------------

_MAX_DIGITS = len(str(U64_MAX))
_BLOCKS: Final = "1k-blocks"
_QUOTA_ROWS: Final = (_BLOCKS, "inodes")
_QUOTA_COLUMNS: Final = {
    name: tuple(f"{name} {column}" for column in ("usage", "softlimit", "hardlimit", "time", "expire"))
    for name in _QUOTA_ROWS
}
_QUOTA_WIDTH = 15
"""Width of the usage/softlimit/hardlimit columns (``%15Lu``): the kernel prints no space between columns."""


def parse_proc_vzquota(text: str) -> dict[int, QuotaUsage]:
    """/proc/vz/vzquota → {quota id (= CTID): QuotaUsage}; empty text (no simfs quota, file absent) → {}.

    Layout, from the kernel source (fs/quota/vzdquota, ``vzquota_read_proc``): a header starting ``qid: path``,
    then per quota a ``<id>: <path>`` line and the rows ``1k-blocks`` and ``inodes``, each with usage, softlimit,
    hardlimit, time and expire. The columns are ``%11s%15Lu%15Lu%15Lu%11u%11u`` with no separating space, so a
    block count of 15 digits or more (an "unlimited" quota) runs into its neighbour; such runs are split back when
    exactly one reading fits the widths, preferring softlimit == hardlimit (what an unlimited quota sets), and raise
    ParseError otherwise. (That preference could only mislead for unequal limits whose glued digits happen to split
    into two identical halves.)
    ``over`` is set when usage is above a non-zero soft or hard limit. ``grace`` stays empty: the file gives the
    expiry as an absolute time, and turning it into "time left" needs a clock, which a parser does not have.
    """
    source = "/proc/vz/vzquota"
    lines = lines_of(text)
    rows = [(number, line.split()) for number, line in enumerate(lines, start=1) if line.strip()]
    if not rows:
        return {}
    head_number, head = rows[0]
    if head[:2] != ["qid:", "path"]:
        raise ParseError(
            f"expected the header 'qid: path usage ...', got {excerpt(lines[head_number - 1])}", 1, source=source
        )
    quotas: dict[int, QuotaUsage] = {}
    plain = plain_numbers(text)
    pending: int | None = None
    figures: dict[str, DiskUsage] = {}
    for number, words in rows[1:]:
        first, parts = words[0], words
        if first.startswith(_BLOCKS) and first[len(_BLOCKS) :].isdigit():
            first, parts = _BLOCKS, [_BLOCKS, first[len(_BLOCKS) :], *words[1:]]  # a usage of 15+ digits
        if first in _QUOTA_ROWS:
            if pending is None:
                raise ParseError(f"a {first} row before any '<id>: <path>' line", number, source=source)
            if first in figures:
                raise ParseError(f"quota {pending}: two {first} rows", number, source=source)
            truncated = _cut_off(number, len(lines), text)
            figures[first] = _quota_row(parts, number, source, truncated=truncated, plain=plain)
        elif first.endswith(":") and first[:-1].isascii() and first[:-1].isdigit():
            _finish(quotas, pending, figures, number, source)
            pending, figures = _ctid(first[:-1], number, source), {}
            if pending in quotas:
                raise ParseError(f"quota {pending} is listed twice", number, source=source)
        else:
            raise ParseError(
                f"expected '<id>: <path>', '1k-blocks' or 'inodes': {excerpt(lines[number - 1])}", number, source=source
            )
    _finish(quotas, pending, figures, len(lines), source)
    return quotas


def _finish(
    quotas: dict[int, QuotaUsage], ctid: int | None, figures: dict[str, DiskUsage], number: int, source: str
) -> None:
    if ctid is None:
        return
    missing = [name for name in _QUOTA_ROWS if name not in figures]
    if missing:
        raise ParseError(f"quota {ctid}: no {' or '.join(missing)} row", number, source=source)
    quotas[ctid] = QuotaUsage(ctid, figures[_BLOCKS], figures["inodes"])


def _quota_row(parts: list[str], number: int, source: str, *, truncated: bool, plain: bool) -> DiskUsage:
    name, values = parts[0], parts[1:]
    if len(values) < 5 and name == _BLOCKS and len(values) >= 3:
        values = [*_unglue(values[:-2], number, source), *values[-2:]]
    if len(values) != 5:
        what = "the file ends in the middle of a row" if truncated else f"{name}: expected 5 numbers"
        raise ParseError(f"{what}: {excerpt(' '.join(parts))}", number, source=source)
    usage, soft, hard, _time, _expire = u64_row(values, _QUOTA_COLUMNS[name], number, source, plain=plain)
    over = 0 < soft < usage or 0 < hard < usage
    return DiskUsage(usage, soft, hard, over=over)


def _unglue(tokens: list[str], number: int, source: str) -> list[str]:
    """Split runs of digits back into usage, softlimit and hardlimit (three ``%15Lu`` columns, no separators).

    Within a run every value after the first filled its column (15+ digits); no value has a leading zero (``%Lu``
    pads with spaces), which also rules out reading ``0`` + two limits as a longer usage. Of the readings that fit,
    one with softlimit == hardlimit wins (unlimited quotas set both); anything still ambiguous is refused.
    """
    if any(len(token) > 3 * _MAX_DIGITS for token in tokens):
        raise ParseError(
            f"1k-blocks: a number too long for any counter: {excerpt(' '.join(tokens))}", number, source=source
        )
    readings: list[list[str]] = []
    for cuts in _cut_choices(tokens, 3 - len(tokens)):
        pieces = [piece for token, at in zip(tokens, cuts, strict=True) for piece in _split_at(token, at)]
        if all(piece.isdigit() and (len(piece) == 1 or piece[0] != "0") for piece in pieces):  # %Lu: no 0-padding
            readings.append(pieces)
    if len(readings) > 1:
        readings = [reading for reading in readings if reading[1] == reading[2]] or readings
    if len(readings) != 1:
        raise ParseError(
            f"1k-blocks: values run together and cannot be told apart: {excerpt(' '.join(tokens))}",
            number,
            source=source,
        )
    return readings[0]


def _cut_choices(tokens: list[str], extra: int) -> list[tuple[tuple[int, ...], ...]]:
    """Every way to place ``extra`` cuts in ``tokens`` so each piece after a cut is a full-width number."""
    slots = [
        (index, position)
        for index, token in enumerate(tokens)
        for position in range(1, len(token) - _QUOTA_WIDTH + 1)
        if token[position] != "0"
    ]
    choices = []
    for picked in combinations(slots, extra):
        per_token = tuple(tuple(sorted(p for i, p in picked if i == index)) for index in range(len(tokens)))
        if all(_widths_ok(token, cuts) for token, cuts in zip(tokens, per_token, strict=True)):
            choices.append(per_token)
    return choices


def _widths_ok(token: str, cuts: tuple[int, ...]) -> bool:
    return all(end - start >= _QUOTA_WIDTH for start, end in pairwise([*cuts, len(token)]))


def _split_at(token: str, cuts: tuple[int, ...]) -> list[str]:
    bounds = [0, *cuts, len(token)]
    return [token[start:end] for start, end in pairwise(bounds)]
