"""Strict validators for values a user types: stricter than vzctl, with messages that say how to fix the value.

vzctl saves ``--hostname 'a;b'`` without complaint (REFERENCE §11); vztui refuses it. Everything accepted here
is also accepted by vzctl's own parser (``setparams``) and needs no shell quoting, except free text (descriptions)
which travels as one argv element and is quoted by ``shlex.join`` wherever a string is unavoidable.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from vztui.openvz.errors import ValidationError
from vztui.openvz.models import VEID_MAX
from vztui.openvz.resources import RESOURCES
from vztui.openvz.setvalues import canon_ip
from vztui.openvz.units import LONG_MAX, PAGE_SIZE, Unit

RESERVED_CTID_MAX = 100
"""CTIDs 0..100 are reserved by convention (0 is the host itself); vztui never creates or touches them."""
MIN_CPUUNITS = 8
MAX_CPUUNITS = 500000
MAX_CPUS = 1024
MAX_HOSTNAME = 253
MAX_DESCRIPTION = 1024
MAX_NAME = 64

_HOSTNAME_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SIZE = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<suffix>[KkMmGgTt]?)")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
_TEMPLATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_UUID = re.compile(r"\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?")
_SUFFIX_BYTES = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def validate_ctid(value: int | str, *, field: str = "ctid") -> int:
    """A container ID vztui may act on: 101..2147483644 (0 is the host, 1..100 are reserved)."""
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValidationError(field, f"{value!r} is not a container ID: use digits only, e.g. 101")
        number = int(text)
    else:
        number = value
    if number < 0:
        raise ValidationError(field, "container IDs are not negative")
    if number == 0:
        raise ValidationError(field, "0 is the hardware node itself, not a container")
    if number <= RESERVED_CTID_MAX:
        raise ValidationError(field, f"{number} is reserved (IDs 1-100 are kept for OpenVZ itself); use 101 or more")
    if number > VEID_MAX:
        raise ValidationError(field, f"{number} is above the largest container ID {VEID_MAX}")
    return number


def validate_hostname(value: str, *, field: str = "hostname") -> str:
    """An RFC 1123 host name: dot-separated labels of letters, digits and inner dashes, 253 characters at most."""
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > MAX_HOSTNAME:
        raise ValidationError(field, f"is {len(value)} characters long; at most {MAX_HOSTNAME} are allowed")
    for label in value.split("."):
        if not label:
            raise ValidationError(field, "has an empty label (two dots in a row, or a leading/trailing dot)")
        if len(label) > 63:
            raise ValidationError(field, f"label {label[:20]!r}… is longer than 63 characters")
        if not _HOSTNAME_LABEL.fullmatch(label):
            bad = next((ch for ch in label if not (ch.isascii() and (ch.isalnum() or ch == "-"))), None)
            if bad is not None:
                raise ValidationError(field, f"{bad!r} is not allowed; use letters, digits, dashes and dots")
            raise ValidationError(field, f"label {label!r} must not start or end with a dash")
    return value


def validate_ip(value: str, *, field: str = "ip", allow_cidr: bool = True) -> str:
    """An IPv4 or IPv6 address, optionally with a ``/prefix``; returned in the form vzctl stores it."""
    text = value.strip()
    address, slash, prefix = text.partition("/")
    if slash and not allow_cidr:
        raise ValidationError(field, f"{value!r}: a plain address is needed here, without /prefix")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError as exc:
        raise ValidationError(field, f"{value!r} is not an IPv4 or IPv6 address") from exc
    if "%" in address:
        raise ValidationError(field, f"{value!r}: scoped IPv6 addresses (%zone) are not supported by vzctl")
    if parsed.is_unspecified:
        raise ValidationError(field, f"{value!r} is the unspecified address; vzctl silently ignores it")
    if slash:
        if not prefix.isascii() or not prefix.isdigit():
            raise ValidationError(field, f"{value!r}: the prefix after / must be a number")
        if int(prefix) > parsed.max_prefixlen:
            raise ValidationError(field, f"{value!r}: the prefix must be 0..{parsed.max_prefixlen}")
        text = f"{address}/{int(prefix)}"
    return canon_ip(text)


def validate_nameserver(value: str, *, field: str = "nameserver") -> str:
    """A DNS server address (no prefix) or ``inherit`` (copy the node's resolv.conf)."""
    if value == "inherit":
        return value
    return validate_ip(value, field=field, allow_cidr=False)


def validate_searchdomain(value: str, *, field: str = "searchdomain") -> str:
    """A DNS search domain (a host name) or ``inherit``."""
    if value == "inherit":
        return value
    return validate_hostname(value, field=field)


def validate_size(
    value: str | int, *, field: str = "size", unit: Unit = Unit.BYTES, allow_unlimited: bool = False
) -> int:
    """A size such as ``512M``, ``2.5G`` or ``131072``, converted to ``unit`` (rounded up).

    A bare number is already in ``unit`` (bytes, KiB or pages); fractions need a suffix. ``ITEMS`` refuses
    suffixes, like vzctl. ``unlimited`` is allowed only where the parameter supports it.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValidationError(field, "must not be negative")
        return value
    text = str(value).strip()
    if text == "unlimited":
        if not allow_unlimited:
            raise ValidationError(field, "'unlimited' is not allowed here")
        return LONG_MAX
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValidationError(field, f"{value!r} is not a size; use a number with an optional K, M, G or T suffix")
    suffix = match["suffix"].upper()
    number = match["number"]
    if suffix and unit is Unit.ITEMS:
        raise ValidationError(field, f"{value!r}: this is a count, write it without a suffix")
    if "." in number and not suffix:
        raise ValidationError(field, f"{value!r}: a fraction needs a suffix (e.g. 1.5G)")
    if not suffix:
        amount = int(number)
    else:
        whole, _, fraction = number.partition(".")
        scaled_num = int(whole + fraction) * _SUFFIX_BYTES[suffix]
        scaled_den = 10 ** len(fraction)
        divisor = {Unit.PAGES: PAGE_SIZE, Unit.KIB: 1024}.get(unit, 1)
        amount = -(-scaled_num // (scaled_den * divisor))
    if amount >= LONG_MAX:
        raise ValidationError(field, f"{value!r} is too large")
    return amount


def validate_barrier_limit(
    value: str, *, field: str = "barrier:limit", unit: Unit = Unit.ITEMS, allow_unlimited: bool = True
) -> tuple[int, int]:
    """``X`` or ``X:Y`` (barrier:limit) with ``unlimited``; the barrier must not exceed the limit."""
    parts = value.strip().split(":")
    if len(parts) > 2 or not all(parts):
        raise ValidationError(field, f"{value!r}: use a single value or barrier:limit")
    barrier = validate_size(parts[0], field=field, unit=unit, allow_unlimited=allow_unlimited)
    limit = validate_size(parts[-1], field=field, unit=unit, allow_unlimited=allow_unlimited)
    if barrier > limit:
        raise ValidationError(field, f"{value!r}: the barrier (first value) must not be above the limit")
    return barrier, limit


def validate_ubc_name(value: str, *, field: str = "resource") -> str:
    """A beancounter name vzctl can set (``numproc``, ``privvmpages`` …)."""
    name = value.strip().lower()
    if name not in RESOURCES:
        raise ValidationError(field, f"{value!r} is not a beancounter; known: {', '.join(RESOURCES)}")
    return name


def validate_cpuunits(value: str | int, *, field: str = "cpuunits") -> int:
    """CPU weight 8..500000 (1000 is the default share)."""
    number = _integer(value, field)
    if not MIN_CPUUNITS <= number <= MAX_CPUUNITS:
        raise ValidationError(field, f"must be between {MIN_CPUUNITS} and {MAX_CPUUNITS} (1000 is the default)")
    return number


def validate_cpulimit(value: str | int, *, field: str = "cpulimit", host_cpus: int = 1) -> tuple[int, bool]:
    """``N`` (percent of one CPU, up to 100 × host CPUs) or ``N%`` (of all CPUs, 0..100); 0 means no limit.

    Returns the number and whether it was given as a share of the whole node.
    """
    text = str(value).strip()
    percent = text.endswith("%")
    number = _integer(text[:-1] if percent else text, field)
    maximum = 100 if percent else 100 * max(host_cpus, 1)
    if number > maximum:
        what = "of the node" if percent else f"for {host_cpus} CPU(s)"
        raise ValidationError(field, f"{number}{'%' if percent else ''} is above the maximum {maximum} {what}")
    return number, percent


def validate_cpus(value: str | int, *, field: str = "cpus", host_cpus: int | None = None) -> int:
    """Number of CPUs the container sees: 0 (all) up to the node's count, or 1..1024 when that is unknown."""
    number = _integer(value, field)
    if host_cpus is not None:
        if number > host_cpus:
            raise ValidationError(field, f"the node has only {host_cpus} CPU(s); use 0..{host_cpus} (0 = all)")
        return number
    if number > MAX_CPUS:
        raise ValidationError(field, f"must be at most {MAX_CPUS}")
    return number


def validate_ioprio(value: str | int, *, field: str = "ioprio") -> int:
    """I/O priority 0 (lowest) .. 7 (highest); 4 is the default."""
    number = _integer(value, field)
    if number > 7:
        raise ValidationError(field, "must be between 0 and 7 (4 is the default)")
    return number


def validate_onboot(value: str | bool, *, field: str = "onboot") -> bool:
    """``yes``/``no`` (or a bool)."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("yes", "no"):
        return text == "yes"
    raise ValidationError(field, f"{value!r}: answer yes or no")


def validate_name(value: str, *, field: str = "name") -> str:
    """A container name: letters, digits, ``_ . + -``, starting with a letter or digit, not all digits.

    Stricter than vzctl (which also allows spaces): names end up in /etc/vz/names and in shell commands.
    An all-digit name would be mistaken for a CTID by vzctl and vzlist.
    """
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > MAX_NAME:
        raise ValidationError(field, f"at most {MAX_NAME} characters")
    if not _NAME.fullmatch(value):
        raise ValidationError(
            field, f"{value!r}: use letters, digits, '_', '.', '+', '-', starting with a letter or digit"
        )
    if value.isdigit():
        raise ValidationError(field, f"{value!r} would be read as a container ID; add a letter")
    return value


def validate_description(value: str, *, field: str = "description") -> str:
    """Free text on one line: printable characters, no control characters, no double quote or backslash.

    vzctl writes it as ``DESCRIPTION="…"`` without escaping and vzlist -j prints it unescaped, so quotes and
    backslashes would corrupt both.
    """
    if len(value) > MAX_DESCRIPTION:
        raise ValidationError(field, f"at most {MAX_DESCRIPTION} characters")
    for ch in value:
        if ch in "\n\r":
            raise ValidationError(field, "must be a single line")
        category = unicodedata.category(ch)
        if category.startswith("C"):
            raise ValidationError(field, f"contains a control character (U+{ord(ch):04X})")
        if category in ("Zl", "Zp"):
            raise ValidationError(field, f"must be a single line (U+{ord(ch):04X} separates lines)")
        if ch in '"\\':
            raise ValidationError(field, f"{ch!r} is not allowed (vzctl stores the text unescaped)")
    return value


def validate_template(value: str, *, field: str = "ostemplate") -> str:
    """An OS template name such as ``centos-6-x86_64`` (a file name in the template cache, nothing more)."""
    if not value or len(value) > 128 or not _TEMPLATE.fullmatch(value):
        raise ValidationError(field, f"{value!r} is not a template name (e.g. centos-6-x86_64)")
    return value


def validate_sample_name(value: str, *, field: str = "config") -> str:
    """A config sample name (``vswap-256m`` for ``ve-vswap-256m.conf-sample``)."""
    return validate_template(value, field=field)


def validate_layout(value: str, *, field: str = "layout") -> str:
    """``simfs``, ``ploop`` or ``ploop:expanded|plain|raw``."""
    if value in ("simfs", "ploop", "ploop:expanded", "ploop:plain", "ploop:raw"):
        return value
    raise ValidationError(field, f"{value!r}: use simfs or ploop")


def validate_snapshot_uuid(value: str, *, field: str = "snapshot") -> str:
    """A ploop snapshot GUID; returned with braces, 38 characters: ``{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}``."""
    match = _UUID.fullmatch(value.strip())
    if match is None or value.strip().startswith("{") != value.strip().endswith("}"):
        raise ValidationError(field, f"{value!r} is not a snapshot UUID ({{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}})")
    return "{" + match.group(1) + "}"


def validate_snapshot_name(value: str, *, field: str = "snapshot name") -> str:
    """A snapshot name: one printable line (ploop keeps it in XML, so the same rules as descriptions)."""
    if len(value) > 128:
        raise ValidationError(field, "at most 128 characters")
    return validate_description(value, field=field)


def validate_path(value: str, *, field: str = "path") -> str:
    """An absolute path without control characters, whitespace or shell metacharacters (``$VEID`` allowed)."""
    if not value.startswith("/"):
        raise ValidationError(field, f"{value!r} must be an absolute path")
    allowed = re.fullmatch(r"/[A-Za-z0-9_./+-]*(?:\$VEID[A-Za-z0-9_./+-]*)*", value)
    if allowed is None:
        raise ValidationError(field, f"{value!r}: use letters, digits and / . _ + - (and $VEID)")
    return value


def validate_node_address(value: str, *, field: str = "destination") -> str:
    """A migration target: a host name or an IP address (no user@, no port)."""
    try:
        return validate_ip(value, field=field, allow_cidr=False)
    except ValidationError:
        return validate_hostname(value, field=field)


def _integer(value: str | int, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number")
    if isinstance(value, int):
        number = value
    else:
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValidationError(field, f"{value!r} is not a whole number")
        number = int(text)
    if number < 0:
        raise ValidationError(field, "must not be negative")
    return number
