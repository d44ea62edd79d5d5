"""The poller's single round trip: one fixed shell script that prints every per-tick source in delimited sections,
and the splitter that cuts its output back into sections, each with its own exit status and stderr.

The script is a constant. Everything variable (the root prefix, a per-tick nonce for the delimiters, the vz
partition) is passed as positional parameters after it, ``sh -c SCRIPT sh PREFIX NONCE VZDIR``, so nothing from the
node or the user is ever formatted into shell code. The nonce makes the delimiters impossible to forge from inside a
section (a hostile hostname or description cannot end a section early).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

VZLIST_FIELDS: tuple[str, ...] = (
    "ctid",
    "name",
    "hostname",
    "description",
    "ip",
    "status",
    "ostemplate",
    "origin_sample",
    "layout",
    "onboot",
    "bootorder",
    "cpulimit",
    "cpuunits",
    "cpus",
    "ioprio",
    "diskspace",
    "diskinodes",
    "vswap",
    "disabled",
)
"""What the container table needs from vzlist each tick.

Deliberately absent: the beancounters (held values come from /proc/bc/resources in the same round trip), uptime
and laverage (they change every tick for every running CT, which would defeat the unchanged-container fast path;
uptime comes from vestat instead).
"""

SECTIONS: tuple[str, ...] = ("vzlist", "beancounters", "vestat", "vzquota", "meminfo", "loadavg", "df")

# $1 root prefix for /proc reads ("" on a real node), $2 delimiter nonce, $3 the vz partition for df, $4 the vzlist
# field list. Each section: a begin line on stdout and stderr, the output, then an end line carrying the exit status.
# The beancounter section names its source: /proc/bc/resources (has swappages) or the /proc/user_beancounters
# fallback. /proc/vz/vzquota only exists with simfs quotas, so its absence is an empty section, not an error.
POLL_SCRIPT = """\
P=$1 N=$2 D=$3 F=$4
b() { printf '@@%s begin %s\\n' "$N" "$1"; printf '@@%s begin %s\\n' "$N" "$1" >&2; }
e() { printf '\\n@@%s end %s %s\\n' "$N" "$1" "$2"; }
b vzlist; vzlist -a -j -o "$F"; e vzlist $?
if [ -r "$P/proc/bc/resources" ]; then
  b beancounters; echo "source bc_resources"; cat "$P/proc/bc/resources"; e beancounters $?
else
  b beancounters; echo "source user_beancounters"; cat "$P/proc/user_beancounters"; e beancounters $?
fi
b vestat; cat "$P/proc/vz/vestat"; e vestat $?
b vzquota; [ ! -e "$P/proc/vz/vzquota" ] || cat "$P/proc/vz/vzquota"; e vzquota $?
b meminfo; cat "$P/proc/meminfo"; e meminfo $?
b loadavg; cat "$P/proc/loadavg"; e loadavg $?
b df; df -P -k "$D"; e df $?
"""

DEFAULT_VZ_DIR = "/vz"


def poll_argv(root_prefix: str, vz_dir: str, nonce: str) -> list[str]:
    """The argv of one poll: the fixed script plus its positional parameters."""
    return ["sh", "-c", POLL_SCRIPT, "sh", root_prefix, nonce, vz_dir, ",".join(VZLIST_FIELDS)]


def new_nonce() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the poll's output."""

    name: str
    text: str
    exit_code: int | None
    """None when the section's end line never came (the script was cut off)."""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def problem(self) -> str:
        """Why this section is unusable, in words, or ""."""
        if self.exit_code is None:
            return f"{self.name}: output cut off"
        if self.exit_code != 0:
            detail = self.stderr.strip().splitlines()
            return f"{self.name}: exit {self.exit_code}" + (f": {detail[-1]}" if detail else "")
        return ""


def split_sections(stdout: str, stderr: str, nonce: str) -> Mapping[str, Section]:
    """Cut the script's output into sections by name. Text outside sections (a MOTD, a shell warning) is ignored."""
    begin = f"@@{nonce} begin "
    end = f"\n@@{nonce} end "
    errors = _split_stderr(stderr, begin)
    found: dict[str, Section] = {}
    position = 0
    while True:
        start = stdout.find(begin, position)
        if start < 0:
            break
        name_end = stdout.find("\n", start)
        if name_end < 0:
            break
        name = stdout[start + len(begin) : name_end]
        body_start = name_end + 1
        stop = stdout.find(end, body_start)
        if stop < 0:
            found[name] = Section(name, stdout[body_start:], None, errors.get(name, ""))
            break
        trailer_end = stdout.find("\n", stop + len(end))
        trailer = stdout[stop + len(end) : trailer_end if trailer_end >= 0 else len(stdout)].split()
        code = int(trailer[1]) if len(trailer) == 2 and trailer[1].isdigit() else None
        body = stdout[body_start:stop] if stop >= body_start else ""
        found[name] = Section(name, body, code, errors.get(name, ""))
        position = trailer_end if trailer_end >= 0 else len(stdout)
    return MappingProxyType(found)


def _split_stderr(stderr: str, begin: str) -> dict[str, str]:
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in stderr.splitlines():
        if line.startswith(begin):
            current = parts.setdefault(line[len(begin) :], [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in parts.items()}


def beancounter_source(section: Section) -> tuple[str, str]:
    """(``bc_resources`` | ``user_beancounters``, the file's text) from the beancounters section."""
    head, _, rest = section.text.partition("\n")
    kind = head.removeprefix("source ").strip()
    return kind, rest


def missing(sections: Mapping[str, Section], names: Sequence[str] = SECTIONS) -> list[str]:
    return [name for name in names if name not in sections]
