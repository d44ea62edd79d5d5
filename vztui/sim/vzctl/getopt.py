"""GNU ``getopt_long`` as vzctl experiences it: permutation, unique prefixes, and glibc's exact error texts.

vzctl's option errors are glibc's, not vzctl's (``vzctl: unrecognized option '--bogus'``), so the simulator has to
reproduce the parser itself rather than use argparse. Parsing is lazy: vzctl validates each option as getopt returns
it and stops at the first bad value, so the order of messages depends on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

PROG = "vzctl"


@dataclass(frozen=True, slots=True)
class LongOpt:
    """One entry of a ``struct option`` table: ``key`` plays the role of the ``val`` field."""

    name: str
    has_arg: bool
    key: str


@dataclass(frozen=True, slots=True)
class Opt:
    """An option getopt returned: the table key, the spelling the user gave (for messages) and its argument."""

    key: str
    name: str
    value: str | None
    long: bool = True


@dataclass(frozen=True, slots=True)
class OptError:
    """getopt's ``'?'``: the message glibc already printed to stderr."""

    message: str


class GetoptLong:
    """Iterate over ``args`` (everything after the CTID) like repeated ``getopt_long`` calls.

    After iteration ``positional`` holds the non-option arguments in order, as glibc leaves them at
    ``argv[optind:]`` after permuting.
    """

    def __init__(
        self,
        args: Sequence[str],
        longopts: Sequence[LongOpt],
        shortopts: str = "",
        *,
        prog: str = PROG,
    ) -> None:
        self._args = list(args)
        self._longopts = list(longopts)
        self._short = _parse_shortopts(shortopts)
        self._prog = prog
        self.positional: list[str] = []

    def __iter__(self) -> Iterator[Opt | OptError]:
        args = self._args
        i = 0
        while i < len(args):
            arg = args[i]
            i += 1
            if arg == "--":
                self.positional.extend(args[i:])
                return
            if arg.startswith("--"):
                result, consumed = self._long(arg, args[i] if i < len(args) else None)
                i += consumed
                yield result
            elif arg.startswith("-") and arg != "-":
                for item, consumed in self._shorts(arg, args[i] if i < len(args) else None):
                    i += consumed
                    yield item
            else:
                self.positional.append(arg)

    def _long(self, arg: str, following: str | None) -> tuple[Opt | OptError, int]:
        body = arg[2:]
        name, eq, inline = body.partition("=")
        exact = [opt for opt in self._longopts if opt.name == name]
        candidates = exact or [opt for opt in self._longopts if opt.name.startswith(name)]
        if not candidates:
            return OptError(f"{self._prog}: unrecognized option '{arg}'"), 0
        first = candidates[0]
        if not exact and any((c.has_arg, c.key) != (first.has_arg, first.key) for c in candidates[1:]):
            names = " ".join(f"'--{c.name}'" for c in candidates)
            return OptError(f"{self._prog}: option '--{name}' is ambiguous; possibilities: {names}"), 0
        if first.has_arg:
            if eq:
                return Opt(first.key, first.name, inline), 0
            if following is None:
                return OptError(f"{self._prog}: option '--{first.name}' requires an argument"), 0
            return Opt(first.key, first.name, following), 1
        if eq:
            return OptError(f"{self._prog}: option '--{first.name}' doesn't allow an argument"), 0
        return Opt(first.key, first.name, None), 0

    def _shorts(self, arg: str, following: str | None) -> Iterator[tuple[Opt | OptError, int]]:
        letters = arg[1:]
        for pos, letter in enumerate(letters):
            if letter not in self._short:
                yield OptError(f"{self._prog}: invalid option -- '{letter}'"), 0
                continue
            if not self._short[letter]:
                yield Opt(letter, letter, None, long=False), 0
                continue
            rest = letters[pos + 1 :]
            if rest:
                yield Opt(letter, letter, rest, long=False), 0
            elif following is None:
                yield OptError(f"{self._prog}: option requires an argument -- '{letter}'"), 0
            else:
                yield Opt(letter, letter, following, long=False), 1
            return


def _parse_shortopts(spec: str) -> dict[str, bool]:
    letters: dict[str, bool] = {}
    for pos, char in enumerate(spec):
        if char == ":":
            continue
        # "x::" (an optional argument, only ever attached) is scanned like a flag.
        letters[char] = spec[pos + 1 : pos + 3] == ":" or (
            spec[pos + 1 : pos + 2] == ":" and spec[pos + 2 : pos + 3] != ":"
        )
    return letters


def extra_arguments_message(extra: Sequence[str]) -> str:
    """vzctl's CHECK_EXTRA_ARGV text: every word followed by one space, the trailing one included."""
    return "Invalid extra arguments: " + "".join(f"{word} " for word in extra)
