"""Sizes and units as OpenVZ spells them: suffixes K/M/G/T/P/B, 4 KiB pages, KiB blocks, and numeric "unlimited".

vzctl's value grammar (REFERENCE §2.5): one optional, case-insensitive suffix; decimal fractions allowed (``2.2G``
in the shipped samples); the literal ``unlimited`` is LONG_MAX. The kernel never prints the word: it prints
9223372036854775807 on 64-bit hosts and 2147483647 on 32-bit ones.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from vztui.openvz.errors import ParseError

LONG_MAX = 9223372036854775807
"""``unlimited`` on a 64-bit host (and what vzctl stores for the word)."""
INT_MAX = 2147483647
"""``unlimited`` on a 32-bit or old host; vzctl also treats it as unlimited in PHYSPAGES."""
PAGE_SIZE = 4096
"""x86 page size: the unit of every ``*pages`` beancounter and of vzctl's ``P`` suffix."""
KIB = 1024

UNLIMITED_WORD = "unlimited"

_SUFFIXES: dict[str, int] = {
    "B": 1,
    "K": 1024,
    "M": 1024**2,
    "G": 1024**3,
    "T": 1024**4,
    "P": PAGE_SIZE,
}
_NUMBER = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<sfx>[BbKkMmGgTtPp]?)$")


class Unit(StrEnum):
    """The unit a beancounter or quota value is counted in."""

    BYTES = "bytes"
    PAGES = "pages"
    ITEMS = "items"
    KIB = "KiB"


def is_unlimited(value: int) -> bool:
    """True for the kernel's and vzctl's spellings of "no limit" on 64-bit and 32-bit hosts."""
    return value >= LONG_MAX or value == INT_MAX


def parse_size(text: str, *, unit: Unit = Unit.BYTES, allow_suffix: bool = True) -> int:
    """Parse one vzctl-style value (``512M``, ``2.2G``, ``131072``, ``unlimited``) into ``unit``.

    A suffixed value is an amount of bytes converted into ``unit`` (rounded up to whole pages or KiB, as vzctl
    rounds ``--ram`` up); a bare number is already in ``unit``. ``ITEMS`` refuses suffixes, like vzctl. Values above
    LONG_MAX are clamped to LONG_MAX, as vzctl truncates them.
    """
    raw = text.strip()
    if raw.lower() == UNLIMITED_WORD:
        return LONG_MAX
    match = _NUMBER.match(raw)
    if match is None:
        raise ParseError(f"not a size: {text!r}")
    suffix = match["sfx"].upper()
    if suffix and (not allow_suffix or unit is Unit.ITEMS):
        raise ParseError(f"a suffix is not allowed here: {text!r}")
    try:
        number = Decimal(match["num"])
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise ParseError(f"not a size: {text!r}") from exc
    if not suffix:
        if number != number.to_integral_value():
            raise ParseError(f"a fraction needs a suffix: {text!r}")
        return min(int(number), LONG_MAX)
    amount = number * _SUFFIXES[suffix]
    if unit is Unit.PAGES:
        amount = _ceil_div(amount, PAGE_SIZE)
    elif unit is Unit.KIB:
        amount = _ceil_div(amount, KIB)
    return min(int(amount.to_integral_value(rounding="ROUND_CEILING")), LONG_MAX)


def parse_barrier_limit(text: str, *, unit: Unit = Unit.BYTES) -> tuple[int, int]:
    """Parse ``X`` or ``X:Y``; a single value sets barrier = limit (vzctl's rule)."""
    parts = text.split(":")
    if len(parts) == 1:
        value = parse_size(parts[0], unit=unit)
        return value, value
    if len(parts) == 2:
        return parse_size(parts[0], unit=unit), parse_size(parts[1], unit=unit)
    raise ParseError(f"expected barrier[:limit], got {text!r}")


def format_ubc_value(value: int) -> str:
    """One number as vzctl writes it into a config: ``unlimited`` for LONG_MAX, else the integer."""
    return UNLIMITED_WORD if value >= LONG_MAX else str(value)


def format_barrier_limit(barrier: int, limit: int) -> str:
    """``bar:lim`` as vzctl saves UBCs: a single number when both are equal (REFERENCE §11)."""
    if barrier == limit:
        return format_ubc_value(barrier)
    return f"{format_ubc_value(barrier)}:{format_ubc_value(limit)}"


def to_bytes(value: int, unit: Unit) -> int:
    """Convert a kernel value to bytes (items stay counts)."""
    if unit is Unit.PAGES:
        return value * PAGE_SIZE
    if unit is Unit.KIB:
        return value * KIB
    return value


def human_bytes(value: int, *, precision: int = 1) -> str:
    """Short human size for tables and gauges: ``512M``, ``2.2G``, ``900K``, ``12B``; ``∞`` when unlimited."""
    if is_unlimited(value):
        return "∞"
    for suffix, factor in (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if value >= factor:
            scaled = value / factor
            text = f"{scaled:.{precision}f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value}B"


def human_value(value: int, unit: Unit) -> str:
    """A beancounter value in the unit a human thinks in: sizes for bytes/pages/KiB, plain counts for items."""
    if is_unlimited(value):
        return "∞"
    if unit is Unit.ITEMS:
        return f"{value:,}".replace(",", " ") if value >= 100_000 else str(value)
    return human_bytes(to_bytes(value, unit))


def _ceil_div(amount: Decimal, divisor: int) -> Decimal:
    quotient = amount / divisor
    return quotient.to_integral_value(rounding="ROUND_CEILING")
