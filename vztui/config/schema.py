"""What each configuration key accepts: its type, its allowed values and the message when it is wrong.

Checks are stricter than "does it parse": a host that starts with ``-`` would become an ssh option, so it is
refused here rather than discovered in a log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vztui.backend.nodespec import TransportKind


class BadValueError(ValueError):
    """A value has the wrong type or is out of range; the message is shown after ``file:LINE: key:``."""


def describe(value: object) -> str:
    """A value as a TOML user thinks of it: ``a string ("fast")``, ``an integer (0)``, ``a table``."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'a string ("{value}")'
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a date/time ({value})"


@dataclass(frozen=True, slots=True)
class Field:
    """One key: ``kind`` is the TOML type it needs (also how an environment string is read), ``check`` refines."""

    kind: str
    """``bool``, ``int``, ``number``, ``str`` or ``strlist``."""
    check: Callable[[Any], Any] | None = None
    help: str = ""

    def convert(self, value: object) -> Any:
        typed = _typed(self.kind, value)
        return self.check(typed) if self.check else typed

    def from_env(self, text: str) -> Any:
        return self.convert(_parse_env(self.kind, text))


_KIND_NAMES = {
    "bool": "true or false",
    "int": "an integer",
    "number": "a number",
    "str": "a string",
    "strlist": "an array of strings",
}


def _typed(kind: str, value: object) -> Any:
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "strlist": isinstance(value, list) and all(isinstance(item, str) for item in value),
    }[kind]
    if not ok:
        raise BadValueError(f"expected {_KIND_NAMES[kind]}, got {describe(value)}")
    if kind == "number":
        return float(value)  # type: ignore[arg-type]
    if kind == "strlist":
        return tuple(value)  # type: ignore[arg-type]
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_env(kind: str, text: str) -> object:
    """Environment values are strings; read them the way shells and systemd units usually spell them."""
    value = text.strip()
    if kind == "bool":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise BadValueError(f'expected 1/0, true/false, yes/no or on/off, got "{text}"')
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise BadValueError(f'expected an integer, got "{text}"') from None
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            raise BadValueError(f'expected a number, got "{text}"') from None
    if kind == "strlist":
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _between(low: float, high: float, unit: str = "") -> Callable[[Any], Any]:
    def check(value: float) -> float:
        if not low <= value <= high:
            suffix = f" {unit}" if unit else ""
            raise BadValueError(f"must be between {low:g} and {high:g}{suffix}, got {value:g}")
        return value

    return check


def _transport(value: str) -> TransportKind:
    try:
        return TransportKind(value)
    except ValueError:
        choices = ", ".join(kind.value for kind in TransportKind)
        raise BadValueError(f'must be one of {choices}, got "{value}"') from None


_SAFE_WORD = re.compile(r"[^\s\x00-\x1f\x7f]+")


def _host(value: str) -> str:
    if not _SAFE_WORD.fullmatch(value):
        raise BadValueError(f'"{value}" is not a host name or address (empty, or has spaces or control characters)')
    if value.startswith("-"):
        raise BadValueError(f'"{value}" is not a host name or address (must not start with "-")')
    return value


def _user(value: str) -> str:
    if not _SAFE_WORD.fullmatch(value) or value.startswith("-") or "@" in value:
        raise BadValueError(f'"{value}" is not a user name (no spaces, "@" or leading "-")')
    return value


def _nonempty(value: str) -> str:
    if not value.strip():
        raise BadValueError("must not be empty")
    return value


def _file_path(value: str) -> str:
    return os.path.expanduser(_nonempty(value))


def _absolute_or_empty(value: str) -> str:
    if value and not value.startswith("/"):
        raise BadValueError(f'must be an absolute path, got "{value}"')
    return value.rstrip("/") if value != "/" else ""


def _search_path(value: str) -> str:
    for part in value.split(os.pathsep):
        if part and not os.path.isabs(os.path.expanduser(part)):
            raise BadValueError(f'"{part}" is not an absolute directory (entries are separated by "{os.pathsep}")')
    return os.pathsep.join(os.path.expanduser(part) for part in value.split(os.pathsep) if part)


def _columns(value: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for column in value:
        if not column.strip():
            raise BadValueError("column names must not be empty")
        if column in seen:
            raise BadValueError(f'column "{column}" is listed twice')
        seen.add(column)
    return value


_SSH_OPTION = re.compile(r"[A-Za-z][A-Za-z0-9]*=\S.*")


def _ssh_options(value: tuple[str, ...]) -> tuple[str, ...]:
    for option in value:
        if not _SSH_OPTION.fullmatch(option):
            raise BadValueError(f'"{option}" is not an ssh option (expected Key=Value: "HostKeyAlgorithms=+ssh-rsa")')
    return value


_KEY_NAME = re.compile(r"[A-Za-z0-9_+\-]+|[^\s,]")


def keys_value(value: object) -> str:
    """A keymap entry: ``"ctrl+r,f5"`` or ``["ctrl+r", "f5"]``, normalised to Textual's comma-separated form."""
    if isinstance(value, str):
        keys = [key.strip() for key in value.split(",")]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        keys = [key.strip() for key in value]
    else:
        raise BadValueError(f"expected a key or an array of keys, got {describe(value)}")
    if not keys or any(not key for key in keys):
        raise BadValueError("empty key name")
    for key in keys:
        if not _KEY_NAME.fullmatch(key):
            raise BadValueError(f'"{key}" is not a key name (examples: "r", "ctrl+r", "f5", "shift+delete")')
    return ",".join(keys)


NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
BINDING_ID = re.compile(r"[A-Za-z0-9_.-]+")

_REFRESH = Field("number", _between(0.2, 3600, "seconds"), "seconds between polls of a node")
_PORT = Field("int", _between(1, 65535), "SSH port")
_USER = Field("str", _user, "SSH user")
_IDENTITY = Field("str", _file_path, "private key file")
_TRANSPORT = Field("str", _transport, "paramiko, openssh or local")
_SUDO = Field("bool", None, "prefix commands with sudo -n")
_PARALLEL = Field("int", _between(1, 64), "operations run at once on a node")
_CONNECT_TIMEOUT = Field("number", _between(1, 600, "seconds"), "seconds to establish the connection")
_COMMAND_TIMEOUT = Field("number", _between(1, 86400, "seconds"), "seconds a read command may take")

DEFAULTS_FIELDS: Mapping[str, Field] = {
    "refresh": _REFRESH,
    "transport": _TRANSPORT,
    "concurrency": _PARALLEL,
    "read_only": Field("bool", None, "refuse every mutating operation"),
    "theme": Field("str", _nonempty, "Textual theme name"),
    "user": _USER,
    "port": _PORT,
    "identity_file": _IDENTITY,
    "sudo": _SUDO,
    "connect_timeout": _CONNECT_TIMEOUT,
    "command_timeout": _COMMAND_TIMEOUT,
    "journal_dir": Field("str", _file_path, "directory of the operation journal"),
}

NODE_FIELDS: Mapping[str, Field] = {
    "host": Field("str", _host, "host name or address (defaults to the node's name)"),
    "port": _PORT,
    "user": _USER,
    "identity_file": _IDENTITY,
    "transport": _TRANSPORT,
    "sudo": _SUDO,
    "read_only": Field("bool", None, "refuse mutating operations on this node"),
    "protected": Field("bool", None, "typed confirmation for every mutation"),
    "refresh": _REFRESH,
    "max_parallel": _PARALLEL,
    "root_prefix": Field("str", _absolute_or_empty, "prefix for files read on the node"),
    "path": Field("str", _search_path, "directories prepended to PATH on the node"),
    "connect_timeout": _CONNECT_TIMEOUT,
    "command_timeout": _COMMAND_TIMEOUT,
    "ssh_options": Field("strlist", _ssh_options, "extra -o Key=Value options for the openssh transport"),
}

UI_FIELDS: Mapping[str, Field] = {
    "cluster_name": Field("str", _nonempty, "name shown in the dashboard's header"),
    "theme": Field("str", _nonempty, "Textual theme name"),
    "columns": Field("strlist", _columns, "container table columns, in order"),
    "mouse": Field("bool", None, "enable mouse support"),
}

INHERITED_FROM_DEFAULTS: Mapping[str, str] = {
    "port": "port",
    "user": "user",
    "identity_file": "identity_file",
    "transport": "transport",
    "sudo": "sudo",
    "refresh": "refresh",
    "max_parallel": "concurrency",
    "connect_timeout": "connect_timeout",
    "command_timeout": "command_timeout",
}
"""Node key → the ``[defaults]`` key it falls back to."""

TABLES = ("defaults", "nodes", "presets", "keymap", "ui")

ENVIRONMENT: Mapping[str, tuple[str, str]] = {
    "VZTUI_READ_ONLY": ("defaults", "read_only"),
    "VZTUI_REFRESH": ("defaults", "refresh"),
    "VZTUI_TRANSPORT": ("defaults", "transport"),
    "VZTUI_CONCURRENCY": ("defaults", "concurrency"),
    "VZTUI_USER": ("defaults", "user"),
    "VZTUI_IDENTITY_FILE": ("defaults", "identity_file"),
    "VZTUI_SUDO": ("defaults", "sudo"),
    "VZTUI_JOURNAL_DIR": ("defaults", "journal_dir"),
    "VZTUI_THEME": ("ui", "theme"),
}
"""Environment variable → the key it sets (above both files, below command-line flags).

``VZTUI_CONFIG`` (the user file's path) and ``VZTUI_SYSTEM_CONFIG`` (the system file's path) choose files instead.
"""
