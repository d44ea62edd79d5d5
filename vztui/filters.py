"""The container filter language shared by the dashboard's ``/`` and ``vztui ls --filter``: pure, no Textual.

``node:hn2 status:running failcnt>0 web`` keeps running CTs on hn2 with a beancounter failure whose name,
hostname, CTID, IP, template or description contains "web". Terms are ANDed; ``-term`` or ``!term`` negates one.
"""

from __future__ import annotations

import fnmatch
import operator
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from vztui.openvz.models import Container, CtStatus, Layout


class FilterError(ValueError):
    """The expression cannot be understood; the message says which term and why."""


Predicate = Callable[[Container, str, float | None], bool]

_COMPARISON = re.compile(r"^(?P<field>[a-z_]+)(?P<op>>=|<=|!=|==|>|<|=)(?P<value>-?\d+(?:\.\d+)?)$")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}


def failcnt_total(ct: Container) -> int:
    return sum(bc.failcnt for bc in ct.resources.values())


_NUMERIC: dict[str, Callable[[Container, float | None], float | None]] = {
    "ctid": lambda ct, _cpu: ct.ctid,
    "failcnt": lambda ct, _cpu: failcnt_total(ct),
    "numproc": lambda ct, _cpu: ct.numproc,
    "cpu": lambda _ct, cpu: cpu,
    "cpus": lambda ct, _cpu: ct.cpus,
    "uptime": lambda ct, _cpu: ct.uptime,
}


def _glob_or_substring(value: str) -> Callable[[str | None], bool]:
    pattern = value.lower()
    if any(char in pattern for char in "*?["):
        return lambda text: text is not None and fnmatch.fnmatchcase(text.lower(), pattern)
    return lambda text: text is not None and pattern in text.lower()


def _keyed(key: str, value: str) -> Predicate:
    if key == "node":
        wanted = value.lower()
        if any(char in wanted for char in "*?["):
            return lambda _ct, node, _cpu: fnmatch.fnmatchcase(node.lower(), wanted)
        return lambda _ct, node, _cpu: node.lower() == wanted
    if key in ("status", "state"):
        statuses = {status.value for status in CtStatus}
        if value.lower() not in statuses:
            raise FilterError(f"status:{value}: expected one of {', '.join(sorted(statuses))}")
        return lambda ct, _node, _cpu: ct.status.value == value.lower()
    if key == "layout":
        layouts = {Layout.PLOOP.value, Layout.SIMFS.value}
        if value.lower() not in layouts:
            raise FilterError(f"layout:{value}: expected ploop or simfs")
        return lambda ct, _node, _cpu: ct.layout.value == value.lower()
    if key == "ip":
        return lambda ct, _node, _cpu: any(ip.startswith(value) for ip in ct.ips)
    text_fields: dict[str, Callable[[Container], str | None]] = {
        "name": lambda ct: ct.name,
        "hostname": lambda ct: ct.hostname,
        "host": lambda ct: ct.hostname,
        "template": lambda ct: ct.ostemplate,
        "os": lambda ct: ct.ostemplate,
        "desc": lambda ct: ct.description,
        "description": lambda ct: ct.description,
    }
    getter = text_fields.get(key)
    if getter is None:
        known = "node, status, layout, name, hostname, template, ip, description"
        raise FilterError(f"{key}:{value}: unknown field {key!r} (known: {known})")
    match = _glob_or_substring(value)
    return lambda ct, _node, _cpu: match(getter(ct))


def _compared(field: str, op: str, value: str) -> Predicate:
    getter = _NUMERIC.get(field)
    if getter is None:
        raise FilterError(f"{field}{op}{value}: {field!r} cannot be compared (numeric: {', '.join(_NUMERIC)})")
    compare = _OPERATORS[op]
    number = float(value)

    def predicate(ct: Container, _node: str, cpu: float | None) -> bool:
        actual = getter(ct, cpu)
        return actual is not None and compare(actual, number)

    return predicate


def _free_text(word: str) -> Predicate:
    needle = word.lower()

    def predicate(ct: Container, _node: str, _cpu: float | None) -> bool:
        haystack = (str(ct.ctid), ct.name, ct.hostname, ct.ostemplate, ct.description, *ct.ips)
        return any(text is not None and needle in text.lower() for text in haystack)

    return predicate


def _term(token: str) -> Predicate:
    negate = token[:1] in "-!" and len(token) > 1 and not token[1:2].isdigit()
    body = token[1:] if negate else token
    comparison = _COMPARISON.match(body)
    if comparison:
        predicate = _compared(comparison["field"], comparison["op"], comparison["value"])
    elif ":" in body and body.index(":") > 0:
        key, _, value = body.partition(":")
        if not value:
            raise FilterError(f"{token}: missing value after {key}:")
        predicate = _keyed(key.lower(), value)
    else:
        predicate = _free_text(body)
    if negate:
        return lambda ct, node, cpu: not predicate(ct, node, cpu)
    return predicate


@dataclass(frozen=True, slots=True)
class ContainerFilter:
    """A compiled expression; call it with a container, its node and (optionally) its CPU %."""

    expression: str
    terms: tuple[Predicate, ...]

    def __call__(self, ct: Container, node: str, cpu: float | None = None) -> bool:
        return all(term(ct, node, cpu) for term in self.terms)

    @property
    def empty(self) -> bool:
        return not self.terms


def compile_filter(expression: str) -> ContainerFilter:
    """Parse once, apply to every row. Raises FilterError with a message fit for a status line."""
    try:
        tokens = shlex.split(expression)
    except ValueError as error:
        raise FilterError(f"{expression}: {error}") from None
    return ContainerFilter(expression, tuple(_term(token) for token in tokens))
