"""Value parsing exactly as vzctl 4.11.1 does it: C number parsing, size suffixes, IPs, masks, devices and veths.

vzctl is lenient in precise, sometimes surprising ways (``--ram -1`` is 0 pages, ``2.5`` items is 2, a suffix on a
pages value truncates instead of rounding). The simulator must reproduce that, so these helpers follow the C code
(learned from kolyshkin/vzctl ``src/lib/config.c``, ``util.c``, ``veth.c``, ``bitmap.c``) rather than our strict
validators. Every failure raises ``BadValueError``; callers turn it into vzctl's own message.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from vztui.openvz.units import LONG_MAX, PAGE_SIZE

ULLONG_MAX = 2**64 - 1
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
LONG_MIN = -(2**63)
IFNAMSIZE = 16
CPUMASK_NBITS = 4096
NODEMASK_NBITS = 4096
_C_SPACE = " \t\n\v\f\r"

_MULTIPLIERS = {"T": 1024**4, "G": 1024**3, "M": 1024**2, "K": 1024, "P": PAGE_SIZE, "B": 1}
_DIGITS = re.compile(r"[0-9]+")
_STRTOLD = re.compile(r"[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class BadValueError(ValueError):
    """A value vzctl's parser rejects (it would print ``Bad parameter for --opt: value``)."""


@dataclass(frozen=True, slots=True)
class CNumber:
    """What C's strto* functions return: the value, the unparsed tail and whether ERANGE was raised."""

    value: int
    tail: str
    erange: bool = False


def strtoull(text: str) -> CNumber:
    """glibc ``strtoull(text, &tail, 10)``: leading blanks and a sign are accepted; ``-1`` wraps to ULLONG_MAX."""
    body = text.lstrip(_C_SPACE)
    sign = 1
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    match = _DIGITS.match(body)
    if match is None:
        return CNumber(0, text)
    magnitude = int(match.group())
    tail = body[match.end() :]
    if magnitude > ULLONG_MAX:
        return CNumber(ULLONG_MAX, tail, erange=True)
    value = magnitude if sign > 0 else (-magnitude) % 2**64
    return CNumber(value, tail)


def strtol(text: str) -> CNumber:
    """glibc ``strtol(text, &tail, 10)`` on a 64-bit host (clamps and flags ERANGE on overflow)."""
    body = text.lstrip(_C_SPACE)
    sign = 1
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    match = _DIGITS.match(body)
    if match is None:
        return CNumber(0, text)
    value = sign * int(match.group())
    tail = body[match.end() :]
    if value > LONG_MAX:
        return CNumber(LONG_MAX, tail, erange=True)
    if value < LONG_MIN:
        return CNumber(LONG_MIN, tail, erange=True)
    return CNumber(value, tail)


def parse_int(text: str) -> int:
    """vzctl ``parse_int``: a whole C int, nothing after it (an empty string is 0, as in C)."""
    number = strtol(text)
    if number.tail or not INT_MIN <= number.value <= INT_MAX:
        raise BadValueError(text)
    return number.value


def parse_ulong(text: str) -> int:
    """vzctl ``parse_ul``: ``unlimited`` or an unsigned number up to LONG_MAX."""
    if text == "unlimited":
        return LONG_MAX
    number = strtoull(text)
    if number.tail or number.value > LONG_MAX:
        raise BadValueError(text)
    return number.value


def parse_ul_sfx(text: str, divisor: int, *, allow_unlimited: bool) -> tuple[int, str]:
    """vzctl ``parse_ul_sfx``: ``N[.F][TGMKPB]``; a suffix multiplies, then the result is divided by ``divisor``.

    ``divisor`` 0 means "no suffix allowed" (items). The division truncates, and a value above LONG_MAX becomes
    LONG_MAX + 1 so the caller sees the overflow. Returns the value and the unparsed tail (``:…`` or empty).
    """
    if allow_unlimited and text.startswith("unlimited"):
        return LONG_MAX, text[len("unlimited") :]
    number = strtoull(text)
    if number.erange:
        raise BadValueError(text)
    value = number.value
    exact = Decimal(value)
    tail = number.tail
    if tail.startswith("."):
        match = _STRTOLD.match(text)
        if match is None:  # pragma: no cover - strtoull already consumed digits before the dot
            raise BadValueError(text)
        try:
            exact = Decimal(match.group().strip(_C_SPACE))
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
            raise BadValueError(text) from exc
        if exact.adjusted() > 4931:  # beyond long double: ERANGE
            raise BadValueError(text)
        tail = text[match.end() :]
        value = int(exact) % 2**64
    if tail and tail[0] != ":":
        if not divisor:
            raise BadValueError(text)
        multiplier = _MULTIPLIERS.get(tail[0].upper())
        if multiplier is None:
            raise BadValueError(text)
        scaled = exact * multiplier / divisor
        value = LONG_MAX + 1 if scaled > LONG_MAX else int(scaled)
        tail = tail[1:]
    return value, tail


def parse_twoul_sfx(text: str, divisor: int, *, allow_unlimited: bool) -> tuple[int, int, bool]:
    """vzctl ``parse_twoul_sfx``: ``X[:Y]`` (Y defaults to X). Returns barrier, limit and "was truncated"."""
    truncated = False
    first, tail = parse_ul_sfx(text, divisor, allow_unlimited=allow_unlimited)
    if first > LONG_MAX:
        first, truncated = LONG_MAX, True
    if tail.startswith(":"):
        second, rest = parse_ul_sfx(tail[1:], divisor, allow_unlimited=allow_unlimited)
        if rest:
            raise BadValueError(text)
        if second > LONG_MAX:
            second, truncated = LONG_MAX, True
        return first, second, truncated
    if tail:
        raise BadValueError(text)
    return first, first, truncated


def parse_vswap_pages(text: str) -> int:
    """``--ram``/``--swap``: bytes (suffix optional) rounded up to 4 KiB pages with C's 64-bit wrap-around.

    The wrap is why ``--ram -1`` ends up as 0 pages (REFERENCE §11).
    """
    value, tail = parse_ul_sfx(text, 1, allow_unlimited=True)
    if tail:
        raise BadValueError(text)
    pages = ((value + PAGE_SIZE - 1) % 2**64) // PAGE_SIZE
    return min(pages, LONG_MAX)


def parse_cpulimit(text: str) -> tuple[int, bool]:
    """``--cpulimit N`` or ``N%`` (0..100 per CPU). Returns the number and whether it was a percentage of all CPUs.

    Like vzctl, the number goes through a C ``int`` cast, so ``-5`` is stored as a huge unsigned value.
    """
    number = strtoull(text)
    value = number.value & 0xFFFFFFFF
    if value >= 2**31:
        value = (value - 2**32) % 2**64
    if number.tail == "%":
        if value > 100:
            raise BadValueError(text)
        return value, True
    if number.tail or number.erange:
        raise BadValueError(text)
    return value, False


def parse_iolimit(text: str, default_multiplier: int) -> int:
    """``--iolimit``: ``unlimited`` is 0; the bare number is MB/s on the command line; stored in bytes/s.

    A result above INT_MAX is "truncated", which the command line treats as a bad value.
    """
    if text == "unlimited":
        return 0
    number = strtoull(text)
    if number.erange:
        raise BadValueError(text)
    value = number.value
    if value > INT_MAX:
        raise BadValueError(text)
    if number.tail:
        multiplier = _MULTIPLIERS.get(number.tail[0].upper())
        if multiplier is None or len(number.tail) != 1:
            raise BadValueError(text)
        value *= multiplier
    else:
        value *= default_multiplier
    if value > INT_MAX:
        raise BadValueError(text)
    return value


def parse_yesno(text: str) -> bool:
    if text == "yes":
        return True
    if text == "no":
        return False
    raise BadValueError(text)


def canon_ip(text: str) -> str:
    """vzctl ``canon_ip``: ``addr[/mask]`` normalised the way inet_ntop prints it; the mask is kept."""
    address, slash, mask_text = text.partition("/")
    family = 6 if ":" in address else 4
    try:
        parsed = ipaddress.IPv6Address(address) if family == 6 else ipaddress.IPv4Address(address)
    except ValueError as exc:
        raise BadValueError(text) from exc
    if family == 6 and "%" in address:
        raise BadValueError(text)
    canonical = _inet_ntop(parsed)
    if not slash:
        return canonical
    mask = parse_int(mask_text)
    if not 0 <= mask <= (128 if family == 6 else 32):
        raise BadValueError(text)
    return f"{canonical}/{mask}"


def _inet_ntop(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """glibc inet_ntop: like Python's compressed form, but IPv4-mapped/compatible tails print as dotted quads."""
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    words = [int.from_bytes(address.packed[i : i + 2], "big") for i in range(0, 16, 2)]
    if words[:5] == [0] * 5 and words[5] in (0, 0xFFFF) and (words[5] or words[6]):
        head = "::ffff:" if words[5] else "::"
        return head + str(ipaddress.IPv4Address(address.packed[12:]))
    return address.compressed


def find_ip(addresses: list[str], wanted: str) -> str | None:
    """vzctl ``find_ip``: the first entry equal to ``wanted``, or the same address with any (or no) mask."""
    ip_only, slash, _ = wanted.partition("/")
    prefix = f"{ip_only}/"
    for entry in addresses:
        if entry == wanted or (slash and entry == ip_only) or entry.startswith(prefix):
            return entry
    return None


def split_tokens(text: str, separators: str = " \t") -> list[str]:
    """C ``strtok`` over ``separators``: empty tokens vanish."""
    return [token for token in re.split(f"[{re.escape(separators)}]+", text) if token]


def parse_bitmap(text: str, nbits: int) -> frozenset[int]:
    """vzctl ``bitmap_parse``: ``0-2,7`` style lists (``all`` is handled by the caller)."""
    bits: set[int] = set()
    rest = text
    while True:
        match = re.match(r"([0-9]+)(?:-([0-9]+))?", rest)
        if match is None:
            raise BadValueError(text)
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if low > high or high >= nbits:
            raise BadValueError(text)
        bits.update(range(low, high + 1))
        rest = rest[match.end() :]
        if rest.startswith(","):
            rest = rest[1:]
        if not rest:
            return frozenset(bits)
        if match.group(2) is None and rest[0] == "-":
            raise BadValueError(text)


def format_bitmap(bits: frozenset[int], nbits: int) -> str:
    """vzctl ``conf_store_bitmap``: ``all`` when every bit is set, else ranges such as ``0-1,3``."""
    if len(bits) == nbits:
        return "all"
    ordered = sorted(bits)
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        start = end = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == end + 1:
            index += 1
            end = ordered[index]
        parts.append(str(start) if start == end else f"{start}-{end}")
        index += 1
    return ",".join(parts)


def parse_hwaddr(text: str) -> str:
    """vzctl ``parse_hwaddr``: six hex pairs at offsets 0, 3, 6 …; returned as vzctl prints MACs (upper case)."""
    octets = []
    for index in range(6):
        pair = text[3 * index : 3 * index + 2]
        if len(pair) != 2 or not all(ch in "0123456789abcdefABCDEF" for ch in pair):
            raise BadValueError(text)
        octets.append(pair.upper())
    return ":".join(octets)


def generate_mac(ctid: int, device: str, hwid: str = "00:00:00:00:00:00") -> str:
    """vzctl ``generate_mac``: a stable MAC in SWsoft's OUI 00:18:51 hashed from device, CTID and the host's hwid.

    ``hwid`` is the first ``link/ether`` address of the host, so real MACs differ per node; the simulator passes
    its own node's value to get stable, node-specific addresses.
    """
    data = f"{device}:{ctid}:{hwid} ".encode()
    mask = 0xFFFFFFFF
    hashed = ctid & mask
    for index in range(len(data) - 1):
        hashed = (hashed + _signed_char(data[index])) & mask
        mixed = ((_signed_char(data[index + 1]) << 11) ^ hashed) & mask
        hashed = ((hashed << 16) ^ mixed) & mask
        hashed = (hashed + (hashed >> 11)) & mask
    hashed ^= (hashed << 3) & mask
    hashed = (hashed + (hashed >> 5)) & mask
    hashed ^= (hashed << 4) & mask
    hashed = (hashed + (hashed >> 17)) & mask
    hashed ^= (hashed << 25) & mask
    hashed = (hashed + (hashed >> 6)) & mask
    octets = [0x00, 0x18, 0x51, hashed & 0xFF, (hashed >> 8) & 0xFF, (hashed >> 15) & 0xFF]
    return ":".join(f"{octet:02X}" for octet in octets)


def _signed_char(byte: int) -> int:
    return byte - 256 if byte >= 128 else byte


def default_host_ifname(ctid: int, ct_ifname: str) -> str:
    """vzctl ``generate_veth_name``: ``veth<CTID>.<N>`` where N is the first number in the CT-side name."""
    match = re.match(r"[^0-9]+([0-9]+)", ct_ifname)
    number = int(match.group(1)) if match else 0
    number = min(number, INT_MAX)
    return f"veth{ctid}.{number}"
