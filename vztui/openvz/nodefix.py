"""Bringing a node in line with its cluster, as the seed panel does when a node joins: vz.conf paths (VE_ROOT,
VE_PRIVATE, TEMPLATE) set to what the other nodes use, and the directories those settings name created.

Pure: the new vz.conf text is computed here and written by one fixed ``sh -c`` script whose inputs are positional
parameters (the text is data, never shell code). The script refuses to write when the file is no longer the one
the admin reviewed (its SHA-256 differs), keeps the old file as ``vz.conf.vztui-bak`` and replaces the file with a
rename, so a node never holds half a vz.conf.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vztui.openvz.errors import ValidationError

VZ_CONF = "/etc/vz/vz.conf"
BACKUP_SUFFIX = ".vztui-bak"
PATH_KEYS = ("VE_ROOT", "VE_PRIVATE", "TEMPLATE")
"""The keys vzmigrate needs equal on both nodes (REFERENCE §6.6)."""
_VEID = ("$VEID", "${VEID}")
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._/+@${}-]*", re.ASCII)

# $1 root prefix ("" on a real node), $2 SHA-256 of the vz.conf the admin reviewed, $3 the new text.
WRITE_VZCONF_SCRIPT = """\
f="$1/etc/vz/vz.conf"
set -- "$f" "$2" "$3" "$f.vztui-new"
[ "$(sha256sum < "$1")" = "$2  -" ] || { echo "$1 changed since vztui read it: nothing written" >&2; exit 1; }
cp -p "$1" "$1.vztui-bak" || exit 1
printf %s "$3" > "$4" || { rm -f "$4"; exit 1; }
chmod 644 "$4" && mv -f "$4" "$1" || { rm -f "$4"; exit 1; }
echo "wrote $1 (the previous file is $1.vztui-bak)"
"""


@dataclass(frozen=True, slots=True)
class VzConfChange:
    key: str
    old: str | None
    """The value now (None: the key is not set, vzctl uses its built-in default)."""
    new: str


def validate_vz_path(key: str, value: str) -> str:
    """An absolute path of plain characters; VE_ROOT and VE_PRIVATE must contain ``$VEID``."""
    if not _SAFE_PATH.fullmatch(value) or "/../" in f"{value}/" or "//" in value:
        raise ValidationError(key, f"{value!r} is not a plain absolute path")
    if key in ("VE_ROOT", "VE_PRIVATE") and not any(form in value for form in _VEID):
        raise ValidationError(key, f"{value!r} must contain $VEID (one directory per container)")
    return value


_ASSIGNMENT = r"^(?P<lead>\s*(?:export\s+)?){key}=(?P<value>\"[^\"]*\"|'[^']*'|[^\s#]*)(?P<rest>\s*(?:#.*)?)$"


def current_value(text: str, key: str) -> str | None:
    """The value vzctl would read for ``key`` (the last assignment wins), unquoted; None when unset."""
    pattern = re.compile(_ASSIGNMENT.format(key=re.escape(key)))
    found: str | None = None
    for line in text.splitlines():
        match = pattern.match(line)
        if match is not None:
            found = _unquote(match["value"])
    return found


def rewrite_vzconf(text: str, values: Mapping[str, str]) -> tuple[str, tuple[VzConfChange, ...]]:
    """``text`` with each key set to its value: every assignment of the key rewritten in place (comments kept),
    missing keys appended. Returns the new text and what changed (unchanged keys are left alone)."""
    lines = text.splitlines(keepends=True)
    changes: list[VzConfChange] = []
    for key, value in values.items():
        validate_vz_path(key, value)
        old = current_value(text, key)
        if old == value:
            continue
        changes.append(VzConfChange(key, old, value))
        pattern = re.compile(_ASSIGNMENT.format(key=re.escape(key)))
        replaced = False
        for index, line in enumerate(lines):
            body = line.rstrip("\r\n")
            match = pattern.match(body)
            if match is None:
                continue
            ending = line[len(body) :]
            lines[index] = f'{match["lead"]}{key}="{value}"{match["rest"]}{ending}'
            replaced = True
        if not replaced:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines.append(f'{key}="{value}"\n')
    return "".join(lines), tuple(changes)


def vzconf_diff(old: str, new: str, *, path: str = VZ_CONF) -> list[str]:
    """A unified diff of the two texts, as the confirmation shows it."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"{path} (now)", f"{path} (after)", n=1
        )
    ]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_vzconf_argv(root_prefix: str, reviewed: str, new: str) -> list[str]:
    """Replace vz.conf (under ``root_prefix``) with ``new`` if it is still ``reviewed``; see the module docstring."""
    return ["sh", "-c", WRITE_VZCONF_SCRIPT, "sh", root_prefix.rstrip("/"), sha256_text(reviewed), new]


def node_dirs(values: Mapping[str, str]) -> tuple[str, ...]:
    """The directories a node needs for these vz.conf values: the parents of VE_ROOT and VE_PRIVATE (up to the
    ``$VEID`` part), TEMPLATE and its ``cache`` (where vzctl looks for OS templates), LOCKDIR and DUMPDIR."""
    found: list[str] = []
    for key in ("VE_ROOT", "VE_PRIVATE"):
        if key in values:
            found.append(veid_parent(values[key]))
    if "TEMPLATE" in values:
        template = values["TEMPLATE"].rstrip("/") or "/"
        found += [template, f"{template.rstrip('/')}/cache"]
    for key in ("LOCKDIR", "DUMPDIR"):
        if key in values:
            found.append(values[key].rstrip("/") or "/")
    return tuple(dict.fromkeys(path for path in found if path != "/"))


def veid_parent(value: str) -> str:
    """``/vz/private/$VEID`` → ``/vz/private``: the directory holding one entry per container."""
    parts = value.rstrip("/").split("/")
    for index, part in enumerate(parts):
        if any(form in part for form in _VEID):
            return "/".join(parts[:index]) or "/"
    return value.rstrip("/") or "/"


def mkdir_argv(root_prefix: str, paths: Iterable[str]) -> list[str]:
    """``mkdir -p --`` for every path (under ``root_prefix``); paths are validated as plain absolute paths."""
    prefix = root_prefix.rstrip("/")
    checked = [validate_vz_path("directory", path) for path in paths]
    if not checked:
        raise ValidationError("directory", "no directory to create")
    return ["mkdir", "-p", "--", *(f"{prefix}{path}" for path in checked)]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
