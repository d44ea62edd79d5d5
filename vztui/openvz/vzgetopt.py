"""GNU ``getopt_long`` as vzctl uses it: permuting, unique-prefix long options, and glibc's exact error messages.

The simulator must reject ``--bogus`` with ``vzctl: unrecognized option '--bogus'`` and accept ``--hostn x`` the
way the real binary does, so option scanning is emulated rather than delegated to argparse.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LongOption:
    """One entry of a C ``struct option`` table: its name, whether it takes an argument and the id it returns."""

    name: str
    takes_argument: bool
    param: str


@dataclass(frozen=True, slots=True)
class ParsedOption:
    """One option as getopt hands it over: the id, the spelling it matched (for messages) and its argument."""

    param: str
    name: str
    value: str | None
    short: bool = False


class GetoptError(ValueError):
    """getopt printed a diagnostic (the text, without the trailing newline) and returned ``'?'``."""


def getopt_long(
    args: Sequence[str],
    options: Sequence[LongOption],
    shortopts: str = "",
    *,
    program: str = "vzctl",
) -> Iterator[ParsedOption | list[str]]:
    """Yield options one by one, in order; the last item yielded is the list of non-option arguments.

    Lazy on purpose: vzctl parses each option's value as soon as getopt returns it, so the first bad value stops
    everything even if a later option is unknown. Raises ``GetoptError`` at the first option getopt refuses.
    """
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            operands.extend(args[index:])
            break
        if arg.startswith("--"):
            option, value, index = _long(arg, args, index, options, program)
            yield ParsedOption(option.param, option.name, value)
        elif arg.startswith("-") and len(arg) > 1:
            parsed_cluster, index = _short_cluster(arg, args, index, shortopts, program)
            yield from parsed_cluster
        else:
            operands.append(arg)
    yield operands


def _long(
    arg: str, args: Sequence[str], index: int, options: Sequence[LongOption], program: str
) -> tuple[LongOption, str | None, int]:
    name, has_value, inline = arg[2:].partition("=")
    exact = [option for option in options if option.name == name]
    if exact:
        option = exact[0]
    else:
        candidates = [option for option in options if option.name.startswith(name)] if name else []
        if not candidates:
            raise GetoptError(f"{program}: unrecognized option '{arg}'")
        first = candidates[0]
        # glibc lists the first match and every later one that differs from it (aliases of it are left out).
        clashing = [c for c in candidates[1:] if (c.takes_argument, c.param) != (first.takes_argument, first.param)]
        if clashing:
            listing = "".join(f" '--{candidate.name}'" for candidate in (first, *clashing))
            raise GetoptError(f"{program}: option '{arg}' is ambiguous; possibilities:{listing}")
        option = first
    if option.takes_argument:
        if has_value:
            return option, inline, index
        if index >= len(args):
            raise GetoptError(f"{program}: option '--{option.name}' requires an argument")
        return option, args[index], index + 1
    if has_value:
        raise GetoptError(f"{program}: option '--{option.name}' doesn't allow an argument")
    return option, None, index


def _short_cluster(
    arg: str, args: Sequence[str], index: int, shortopts: str, program: str
) -> tuple[list[ParsedOption], int]:
    parsed: list[ParsedOption] = []
    position = 1
    while position < len(arg):
        char = arg[position]
        position += 1
        spec = shortopts.find(char) if char != ":" else -1
        if spec < 0:
            raise GetoptError(f"{program}: invalid option -- '{char}'")
        if spec + 1 < len(shortopts) and shortopts[spec + 1] == ":":
            if position < len(arg):
                parsed.append(ParsedOption(char, char, arg[position:], short=True))
                return parsed, index
            if index >= len(args):
                raise GetoptError(f"{program}: option requires an argument -- '{char}'")
            parsed.append(ParsedOption(char, char, args[index], short=True))
            return parsed, index + 1
        parsed.append(ParsedOption(char, char, None, short=True))
    return parsed, index
