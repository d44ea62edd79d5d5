"""vz.conf, CTID.conf and ve-*.conf-sample: ``KEY="value"`` lines read the way vzctl reads them.

vzctl's reader (``parse_line`` in vzctl 4.x) is the contract, because vzctl is what acts on these files; where the
shell (init scripts source vz.conf) reads a line differently, the difference is noted on ``parse_conf``.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from vztui.openvz.errors import ParseError
from vztui.openvz.models import VzConf
from vztui.openvz.parsers._excerpt import excerpt

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_C_SPACE = " \t\n\v\f\r"
_VEID_FORMS = ("$VEID", "${VEID}")
_COMMENT = re.compile(r"(?:^|(?<=[ \t\v\f\r]))#")
"""A ``#`` that starts a word: the shell's comment, ending an unquoted value."""


def parse_conf(text: str, *, source: str = "conf", skip_invalid: bool = False) -> dict[str, str]:
    """KEY → value (a string, exactly as written: ``2.2G``, ``unlimited``, ``$VEID`` untouched).

    * Blank lines and lines whose first non-blank character is ``#`` are comments.
    * ``KEY="value"``: the value runs to the **last** double quote on the line, as in vzctl, so
      ``DESCRIPTION="say "hi""`` reads ``say "hi"`` and whatever follows the last quote (``# note``) is dropped.
      Backslashes are kept as written: vzctl does not unescape, and vzctl's writer (``vztui.openvz.conf``) does
      not escape, so every value it writes reads back unchanged.
    * ``KEY='value'``: the same with single quotes (hand-edited vz.conf; vzctl would keep the quotes).
    * ``KEY=value``: unquoted, the value is the rest of the line as in vzctl (``IP_ADDRESS=a b`` reads ``a b``),
      minus a shell comment: a ``#`` starting a word ends it, so the shipped vz.conf's
      ``NAMESERVER=inherit # Copy from host system's /etc/resolv.conf`` reads ``inherit``.
    * The **first** assignment of a key wins: vzctl ignores later duplicates (REFERENCE §2.7).

    A line that is none of these (no ``=``, a key that is not a shell name, an unmatched quote) raises
    ParseError with its line number; ``skip_invalid=True`` skips it instead, as vzctl does with a warning.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(_C_SPACE)
        if not line or line[0] == "#":
            continue
        try:
            key, value = _assignment(line)
        except ValueError as exc:
            if skip_invalid:
                continue
            raise ParseError(f"{exc}: {excerpt(line)}", number, source=source) from None
        values.setdefault(key, value)
    return values


def _assignment(line: str) -> tuple[str, str]:
    key, equals, rest = line.partition("=")
    if not equals:
        raise ValueError("not a KEY=value line")
    if not _KEY.match(key):
        raise ValueError(f"invalid key {excerpt(key)}")
    if rest[:1] in ('"', "'"):
        end = rest.rfind(rest[0])
        if end == 0:
            raise ValueError("unmatched quote")
        return key, rest[1:end]
    comment = _COMMENT.search(rest)
    return key, (rest[: comment.start()] if comment else rest).rstrip(_C_SPACE)


def parse_vzconf(text: str, *, source: str = "vz.conf") -> VzConf:
    """/etc/vz/vz.conf → VzConf: the paths and defaults that decide where containers live.

    Paths keep ``$VEID`` (see ``expand_veid``). Keys the file does not set keep vzctl's built-in defaults from
    VzConf; every key read is also in ``values``. Lines vzctl would skip are skipped here too: one odd line in a
    hand-edited vz.conf must not hide the whole node.
    """
    values = parse_conf(text, source=source, skip_invalid=True)
    default = VzConf()

    def get(key: str, fallback: str) -> str:
        value = values.get(key)
        return value if value else fallback

    disk_quota = values.get("DISK_QUOTA")
    return VzConf(
        ve_root=get("VE_ROOT", default.ve_root),
        ve_private=get("VE_PRIVATE", default.ve_private),
        template=get("TEMPLATE", default.template),
        lockdir=get("LOCKDIR", default.lockdir),
        dumpdir=get("DUMPDIR", default.dumpdir),
        configfile=get("CONFIGFILE", default.configfile),
        def_ostemplate=get("DEF_OSTEMPLATE", default.def_ostemplate),
        ve_layout=get("VE_LAYOUT", default.ve_layout),
        disk_quota=default.disk_quota if disk_quota is None else disk_quota.lower() != "no",
        values=MappingProxyType(values),
    )


def expand_veid(path_template: str, ctid: int) -> str:
    """Substitute the CTID into a VE_ROOT/VE_PRIVATE value as vzctl 4.x ``subst_VEID`` does.

    Only the first ``$VEID`` is replaced (or, when there is none, the first ``${VEID}``); trailing slashes are
    dropped first. No other variable is expanded: vzctl reads ``$VE_ROOT`` and friends literally.
    """
    path = path_template.rstrip("/") or path_template[:1]
    for form in _VEID_FORMS:
        at = path.find(form)
        if at >= 0:
            return path[:at] + str(int(ctid)) + path[at + len(form) :]
    return path
