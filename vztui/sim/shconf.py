"""Read vzctl's shell-style ``KEY="value"`` files (vz.conf, CTID.conf, samples) the way vzctl does, quickly.

The simulator parses configs on every tool call, so this stays a small, import-light reader rather than the
domain parser: first occurrence of a key wins (vzctl ignores duplicates), ``#`` starts a comment outside quotes,
quotes are optional for values without spaces, and a quoted value runs to the last quote on its line.
"""

from __future__ import annotations


def parse_shell_conf(text: str) -> dict[str, str]:
    """Map each ``KEY`` to its unquoted value; malformed lines are skipped as vzctl skips them."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        key, sep, rest = line.partition("=")
        if not sep or not key or not _is_key(key):
            continue
        value = _value(rest)
        if key not in values:
            values[key] = value
    return values


def _is_key(key: str) -> bool:
    return key.replace("_", "A").isalnum() and not key[0].isdigit()


def _value(rest: str) -> str:
    if rest[:1] in ('"', "'"):
        # vzctl takes everything up to the *last* quote: DESCRIPTION="say "hi"" reads as: say "hi"
        quote = rest[0]
        end = rest.rfind(quote)
        return rest[1:] if end <= 0 else rest[1:end]
    for index, char in enumerate(rest):
        if char in " \t#":
            return rest[:index]
    return rest


def expand_veid(value: str, ctid: int) -> str:
    """Substitute ``$VEID`` / ``${VEID}`` (and vzctl 4's ``$CTID``) in a path value."""
    text = str(ctid)
    return value.replace("${VEID}", text).replace("$VEID", text).replace("${CTID}", text).replace("$CTID", text)
