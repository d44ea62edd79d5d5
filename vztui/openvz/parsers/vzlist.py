"""vzlist output as Containers: the JSON of ``vzlist -j``, which does not escape strings.

A login banner, MOTD or warning before the JSON is skipped: it starts at the first line that opens the array
(``[``, ``[]`` or ``[{``) and ends where the array closes. The plain table (``-H -o``) is read by
``vzlist_table.parse_vzlist_table``, re-exported here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from vztui.openvz.errors import ParseError
from vztui.openvz.models import Beancounter, Container, CtStatus, DiskUsage, Layout
from vztui.openvz.parsers._excerpt import excerpt
from vztui.openvz.parsers.vzlist_table import parse_vzlist_table
from vztui.openvz.resources import RESOURCE_NAMES

__all__ = ["LIST_FIELDS", "STRING_FIELDS", "UBC_FIELDS", "parse_vzlist_json", "parse_vzlist_table"]

SOURCE = "vzlist"

STRING_FIELDS: frozenset[str] = frozenset(
    {
        "private",
        "root",
        "mount_opts",
        "origin_sample",
        "hostname",
        "name",
        "smart_name",
        "description",
        "ostemplate",
        "status",
        "layout",
        "netfilter",
    }
)
"""Fields vzlist -j prints as ``"text"`` (or null), verbatim: no escaping of ``"``, ``\\`` or control characters."""

LIST_FIELDS: frozenset[str] = frozenset({"ip", "nameserver", "searchdomain"})
"""Fields printed as ``["a", "b"]``; items come from space-separated lists, so no item contains a space."""

UBC_FIELDS: tuple[str, ...] = RESOURCE_NAMES
"""vzlist's beancounter fields (REFERENCE §3.3), each a ``{"held": …, …, "failcnt": …}`` object in JSON."""

_UBC_KEYS = ("held", "maxheld", "barrier", "limit", "failcnt")
_DISK_KEYS = ("usage", "softlimit", "hardlimit")

# One field per line, exactly as vzlist writes it (REFERENCE §3.4): 4 spaces, "name": value, a comma unless last.
# The closing quote is the last one on the line before the optional comma, so an unescaped value is recovered
# exactly (a value cannot contain a newline: vzctl's config files are read line by line). Only lines whose value
# JSON would mis-read are matched (a quote, a backslash or a control character inside), so the re-quoting cost
# follows the number of odd values, not the number of containers.
_ODD = r'"\\\x00-\x09\x0b-\x1f'
"""Inside a regex character class: a quote, a backslash or a C0 control character other than the newline."""
_STRING_LINE = re.compile(
    r'^(?P<head>    "(?:'
    + "|".join(sorted(STRING_FIELDS))
    + r')": )"(?P<value>[^\n]*['
    + _ODD
    + r'][^\n]*)"(?P<comma>,?)$',
    re.MULTILINE,
)
_LIST_LINE = re.compile(
    r'^(?P<head>    "(?:'
    + "|".join(sorted(LIST_FIELDS))
    + r')": )\[(?!(?:"[^\n'
    + _ODD
    + r']*"(?:, "[^\n'
    + _ODD
    + r']*")*)?\],?$)(?P<value>.*)\](?P<comma>,?)$',
    re.MULTILINE,
)
# A string or list value with an extra quote, which ``json`` could mis-read or even read as valid JSON with another
# meaning (a description ``x", "hostname": "y``); text holding one always takes the re-quoting path. Only string
# values follow ``": "``; JSON in another layout (several values on a line) also lands there and is left as it is.
_SUSPECT_LINE = re.compile(r'": (?:"[^"\n]*"(?!,?$)|\[(?!(?:"[^"\n]*"(?:, "[^"\n]*")*)?\],?$))', re.MULTILINE)
_ARRAY_START = re.compile(r"\[[ \t\r]*(?:\]|\{|$)")
_DECODER = json.JSONDecoder()


def parse_vzlist_json(text: str) -> list[Container]:
    """``vzlist -a -j [-o fields]`` → one Container per CT, in vzlist's order.

    vzlist does not escape strings, so a hostname or description holding ``"``, ``\\`` or a control character
    makes its output invalid JSON, or worse, valid JSON that means something else (``\\n`` would decode to a
    newline; ``x", "hostname": "y`` would set another field). Fast path: when the text holds no backslash and no
    string or list line carries an extra quote, ``json`` decodes it as it is. Otherwise every string and list
    field line is re-quoted from vzlist's fixed layout (one field per line, the value up to the last quote before
    the line's optional comma) and the result is decoded. Lines before the array (banners, warnings) and after it
    are ignored. Any field may be missing (``-o`` picks them); ``smart_name`` may be a
    string or an integer; ``[]`` and ``[\\n]`` mean no CTs.
    """
    start, offset = _array_start(text)
    body = text[offset:]
    data: Any = None
    plain = "\\" not in body and _SUSPECT_LINE.search(body) is None
    if plain:
        try:
            data, _end = _DECODER.raw_decode(body)
        except json.JSONDecodeError:
            plain = False
        except ValueError as exc:  # an integer too long for int() (Python's 4300-digit limit)
            raise ParseError(str(exc), start, source=SOURCE) from None
        except RecursionError as exc:
            raise ParseError("JSON nested too deeply", start, source=SOURCE) from exc
    if not plain:
        data = _tolerant_decode(body, start)
    if not isinstance(data, list):
        raise ParseError("expected a JSON array of containers", start, source=SOURCE)
    containers: list[Container] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise ParseError(f"container #{index + 1} is not a JSON object", start, source=SOURCE)
        try:
            containers.append(_container(item))
        except _FieldError as exc:
            raise ParseError(
                f"container #{index + 1}: {exc}", _line_of_object(text, offset, index), source=SOURCE
            ) from None
    return containers


def _array_start(text: str) -> tuple[int, int]:
    """(1-based line, character offset) of the line that opens the JSON array; banner lines above it are skipped."""
    offset = 0
    number = 1
    length = len(text)
    while offset <= length:
        end = text.find("\n", offset)
        if end < 0:
            end = length
        if _ARRAY_START.match(text, offset, end):
            return number, offset
        offset = end + 1
        number += 1
    if not text.strip():
        raise ParseError("empty output (expected a JSON array)", 0, source=SOURCE)
    raise ParseError("no JSON array in the output", 1, source=SOURCE)


def _tolerant_decode(body: str, start_line: int) -> Any:
    """Re-quote the unescaped string and list values vzlist printed, then decode; ParseError if still invalid.

    CRLF line ends (a transport that added them) become LF first: a value holds no newline, so ``\\r\\n`` only
    ever ends a line.
    """
    body = body.replace("\r\n", "\n")
    fixed = _LIST_LINE.sub(_requote_list, _STRING_LINE.sub(_requote_string, body))
    try:
        data, _end = _DECODER.raw_decode(fixed)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg}", start_line + exc.lineno - 1, source=SOURCE) from None
    except ValueError as exc:
        raise ParseError(str(exc), start_line, source=SOURCE) from None
    except RecursionError as exc:
        raise ParseError("JSON nested too deeply", start_line, source=SOURCE) from exc
    return data


def _requote_string(match: re.Match[str]) -> str:
    return match["head"] + json.dumps(match["value"], ensure_ascii=False) + match["comma"]


def _requote_list(match: re.Match[str]) -> str:
    inner = match["value"]
    if not inner:
        return match.group(0)
    if len(inner) < 2 or inner[0] != '"' or inner[-1] != '"':
        return match.group(0)
    items = inner[1:-1].split('", "')
    return match["head"] + json.dumps(items, ensure_ascii=False) + match["comma"]


def _line_of_object(text: str, offset: int, index: int) -> int:
    """1-based line of the index-th CT object in vzlist's layout (each opens on a ``  {`` line), for messages."""
    position = offset
    for _ in range(index + 1):
        position = text.find("\n  {", position + 1)
        if position < 0:
            return text.count("\n", 0, offset) + 1
    return text.count("\n", 0, position) + 2


class _FieldError(Exception):
    """A field of one CT object has the wrong type; turned into ParseError with the object's line."""


def _string(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _FieldError("a string or null")


def _string_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is list and all(type(entry) is str for entry in value):
        return tuple(value)
    raise _FieldError("a list of strings")


_LAYOUTS: dict[str, Layout] = {layout.value: layout for layout in Layout}
_STATUSES: dict[str, CtStatus] = {status.value: status for status in CtStatus}
"""Enum lookups by value, without Enum.__call__ (measurably slow at 10,000 containers)."""


def _layout(value: Any) -> Layout:
    text = _string(value)
    found = _LAYOUTS.get(text) if text is not None else None
    return found if found is not None else Layout.parse(text)


def _optional_bool(value: Any) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise _FieldError("true, false or null")


def _flag(value: Any) -> bool:
    return bool(_optional_bool(value))


def _optional_int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    raise _FieldError("an integer or null")


def _count(value: Any) -> int:
    """cpus, ioprio, iolimit, iopslimit: vzlist prints 0 for unset or negative."""
    number = _optional_int(value)
    return number if number is not None and number > 0 else 0


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if type(value) is int or type(value) is float:
        return float(value)
    raise _FieldError("a number")


def _laverage(value: Any) -> tuple[float, float, float] | None:
    if value is None:
        return None
    if type(value) is list and len(value) == 3 and all(type(entry) in (int, float) for entry in value):
        return (float(value[0]), float(value[1]), float(value[2]))
    raise _FieldError("three numbers or null")


def _disk(value: Any) -> DiskUsage | None:
    if value is None:
        return None
    if type(value) is dict:
        numbers = _ints(value, _DISK_KEYS)
        if numbers is not None:
            return DiskUsage(usage=numbers[0], softlimit=numbers[1], hardlimit=numbers[2])
    raise _FieldError("an object of integer usage, softlimit, hardlimit, or null")


def _ints(value: Mapping[str, Any], keys: tuple[str, ...]) -> list[int] | None:
    """The integer values of ``keys`` (booleans refused), or None when one is missing or not an integer."""
    numbers: list[int] = []
    for key in keys:
        number = value.get(key)
        if type(number) is not int:
            return None
        numbers.append(number)
    return numbers


def _flags(value: Any) -> Mapping[str, bool]:
    if value is None:
        return MappingProxyType({})
    if type(value) is dict and all(type(flag) is bool for flag in value.values()):
        return MappingProxyType(value)
    raise _FieldError("an object of booleans or null")


_Converter = Callable[[Any], Any]

_FIELDS: dict[str, tuple[str, _Converter]] = {
    "name": ("name", _string),
    "hostname": ("hostname", _string),
    "description": ("description", _string),
    "ostemplate": ("ostemplate", _string),
    "origin_sample": ("origin_sample", _string),
    "private": ("private", _string),
    "root": ("root", _string),
    "netfilter": ("netfilter", _string),
    "ip": ("ips", _string_list),
    "nameserver": ("nameservers", _string_list),
    "searchdomain": ("searchdomains", _string_list),
    "layout": ("layout", _layout),
    "onboot": ("onboot", _optional_bool),
    "vswap": ("vswap", _flag),
    "disabled": ("disabled", _flag),
    "bootorder": ("bootorder", _optional_int),
    "cpulimit": ("cpulimit", _optional_int),
    "cpuunits": ("cpuunits", _optional_int),
    "cpus": ("cpus", _count),
    "ioprio": ("ioprio", _count),
    "iolimit": ("iolimit", _count),
    "iopslimit": ("iopslimit", _count),
    "uptime": ("uptime", _number),
    "vm_overcommit": ("vm_overcommit", _number),
    "laverage": ("laverage", _laverage),
    "diskspace": ("diskspace", _disk),
    "diskinodes": ("diskinodes", _disk),
    "features": ("features", _flags),
    "capability": ("capabilities", _flags),
}
"""vzlist JSON field → (Container attribute, converter); a plain dict, read-only by convention, because this lookup
runs once per field of every CT. ctid/status/smart_name and the beancounters are read separately; fields Container
has no place for (``veid``, ``vpsid``, ``mount_opts``) are ignored."""

_UBC_SET = frozenset(UBC_FIELDS)


def _container(item: Mapping[str, Any]) -> Container:
    ctid = item.get("ctid")
    if ctid is None:
        ctid = item.get("veid", item.get("vpsid"))
    if type(ctid) is not int or ctid < 0:
        raise _FieldError(f"ctid must be a non-negative integer, got {excerpt(ctid)}")
    status_text = item.get("status")
    if status_text is not None and type(status_text) is not str:
        raise _FieldError(f"status must be a string, got {excerpt(status_text)}")
    status = _STATUSES.get(status_text, CtStatus.UNKNOWN) if status_text is not None else CtStatus.UNKNOWN
    values: dict[str, Any] = {"ctid": ctid, "status": status}
    resources: dict[str, Beancounter] | None = None
    fields = _FIELDS
    for key, value in item.items():
        spec = fields.get(key)
        if spec is not None:
            try:
                values[spec[0]] = spec[1](value)
            except _FieldError as exc:
                raise _FieldError(f"{key} must be {exc}, got {excerpt(value)}") from None
        elif key in _UBC_SET and value is not None:
            if resources is None:
                resources = {}
            resources[key] = _beancounter(key, value)
    if "name" not in item:
        smart = item.get("smart_name")
        if type(smart) is str:
            values["name"] = smart
        elif smart is not None and type(smart) is not int:
            raise _FieldError(f"smart_name must be a string or an integer, got {excerpt(smart)}")
    if resources:
        values["resources"] = MappingProxyType(resources)
        numproc = resources.get("numproc")
        if numproc is not None and status is CtStatus.RUNNING:
            values["numproc"] = numproc.held
    return Container(**values)


def _beancounter(resource: str, value: Any) -> Beancounter:
    """One UBC object; unrolled (no loop, no list) because a full ``vzlist -j`` holds 21 per container."""
    if type(value) is dict:
        held, maxheld, barrier = value.get("held"), value.get("maxheld"), value.get("barrier")
        limit, failcnt = value.get("limit"), value.get("failcnt")
        if (
            type(held) is int
            and type(maxheld) is int
            and type(barrier) is int
            and type(limit) is int
            and type(failcnt) is int
        ):
            return Beancounter(resource, held, maxheld, barrier, limit, failcnt)
    raise _FieldError(f"{resource} must be an object of integer {', '.join(_UBC_KEYS)}, got {excerpt(value)}")
