"""What every kernel-file reader shares: exact unsigned numbers, and error messages that quote the bad line.

The kernel prints counters with ``%lu``/``%llu``/``%u``: plain ASCII digits, never a sign, never wider than an
unsigned 64-bit value. Anything else did not come from the kernel and is refused here rather than guessed at.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from vztui.openvz.errors import ParseError

U64_MAX = 2**64 - 1
"""The largest value a ``%lu`` column can hold; real kernels do print it (a counter that wrapped below zero)."""

_MAX_DIGITS = len(str(U64_MAX))
_EXCERPT = 80


def excerpt(line: str) -> str:
    """The line as an error message quotes it: repr'd, cut to a readable length (hostile lines can be megabytes)."""
    return repr(line if len(line) <= _EXCERPT else line[:_EXCERPT] + "…")


def u64(token: str, number: int, source: str, what: str) -> int:
    """One ``%lu`` value, or ParseError naming the column (``what``) and the line ``number``."""
    if not (token.isascii() and token.isdigit()):
        raise ParseError(f"{what}: expected an unsigned number, got {excerpt(token)}", number, source=source)
    if len(token) > _MAX_DIGITS or int(token) > U64_MAX:
        raise ParseError(f"{what}: {excerpt(token)} is larger than any 64-bit counter", number, source=source)
    return int(token)


def plain_numbers(text: str) -> bool:
    """True when ``int()`` reads every number in ``text`` exactly as the kernel meant it.

    ``int()`` also accepts a sign, ``_`` digit separators and non-ASCII digits, none of which a kernel prints; when
    the text has any of them, readers take their strict per-value path instead. (``isascii`` is O(1) in CPython
    and the two ``in`` scans run at memchr speed, so checking a whole file costs far less than checking each value.)
    """
    return text.isascii() and "+" not in text and "_" not in text


def u64_row(tokens: Sequence[str], columns: Sequence[str], number: int, source: str, *, plain: bool) -> list[int]:
    """Several ``%lu`` values at once: ``int()`` at C speed when the text is ``plain``, else (or on any doubt) one
    by one through ``u64`` for the exact error."""
    if plain:
        try:
            values = list(map(int, tokens))
        except ValueError:
            pass
        else:
            if not values or (min(values) >= 0 and max(values) <= U64_MAX):
                return values
    return [u64(token, number, source, column) for token, column in zip(tokens, columns, strict=True)]


def decimal(token: str, number: int, source: str, what: str) -> float:
    """A ``%lu.%02lu``-style decimal (loadavg), refusing ``nan``/``inf``/exponents that ``float()`` would take."""
    whole, dot, fraction = token.partition(".")
    if not (whole.isascii() and whole.isdigit() and (not dot or (fraction.isascii() and fraction.isdigit()))):
        raise ParseError(f"{what}: expected a decimal number, got {excerpt(token)}", number, source=source)
    if len(whole) > _MAX_DIGITS:
        raise ParseError(f"{what}: {excerpt(token)} is out of range", number, source=source)
    return float(token)


def lines_of(text: str) -> list[str]:
    """The text's lines with ``\\r`` line ends and trailing blanks removed; a missing final newline is fine."""
    lines = text.split("\n")
    if lines and not lines[-1].strip():
        lines.pop()
    return [line.rstrip() for line in lines]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a parser allocates hundreds of thousands of objects.

    Parsers create no reference cycles, so nothing is lost; the collector simply runs at its next trigger. Safe
    with threads: a parser only re-enables a collector it found enabled, so the worst case of two overlapping
    parsers is that the second finishes with the collector already running again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
