"""Validated ``vzctl set`` changes (``SetChanges``) and the strict validators they are built from.

A form's raw strings go through ``validate_form``; the resulting ``SetChanges`` only holds values that passed, so
``to_args()`` can never produce an argv vztui would refuse. ``to_request()`` feeds the config writer for previews.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vztui.openvz.errors import ValidationError
from vztui.openvz.resources import RESOURCES
from vztui.openvz.setparams import SetRequest, parse_set_args
from vztui.openvz.units import LONG_MAX, Unit
from vztui.openvz.validators import (
    RESERVED_CTID_MAX,
    validate_barrier_limit,
    validate_cpulimit,
    validate_cpus,
    validate_cpuunits,
    validate_ctid,
    validate_description,
    validate_hostname,
    validate_ioprio,
    validate_ip,
    validate_layout,
    validate_name,
    validate_nameserver,
    validate_node_address,
    validate_onboot,
    validate_path,
    validate_sample_name,
    validate_searchdomain,
    validate_size,
    validate_snapshot_name,
    validate_snapshot_uuid,
    validate_template,
    validate_ubc_name,
)

__all__ = [
    "RESERVED_CTID_MAX",
    "UBC_ARG_ORDER",
    "SetChanges",
    "ValidationError",
    "format_bytes",
    "format_kib",
    "validate_barrier_limit",
    "validate_cpulimit",
    "validate_cpus",
    "validate_cpuunits",
    "validate_ctid",
    "validate_description",
    "validate_form",
    "validate_hostname",
    "validate_ioprio",
    "validate_ip",
    "validate_layout",
    "validate_name",
    "validate_nameserver",
    "validate_node_address",
    "validate_onboot",
    "validate_path",
    "validate_sample_name",
    "validate_searchdomain",
    "validate_size",
    "validate_snapshot_name",
    "validate_snapshot_uuid",
    "validate_template",
    "validate_ubc_name",
]

UBC_ARG_ORDER: tuple[str, ...] = (
    "lockedpages",
    "oomguarpages",
    "vmguarpages",
    "privvmpages",
    *(name for name in RESOURCES if name not in {"lockedpages", "oomguarpages", "vmguarpages", "privvmpages"}),
)
"""The order raw UBC options are emitted in: the seed panel's memory quartet first, then vzlist's order."""

_EMPTY_UBC: Mapping[str, tuple[int, int]] = MappingProxyType({})


def format_bytes(value: int) -> str:
    """Bytes with the largest exact suffix (``512M``, ``1G``), so vzctl reads back the very same number."""
    for suffix, factor in (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if value and value % factor == 0:
            return f"{value // factor}{suffix}"
    return str(value)


def format_kib(value: int) -> str:
    """KiB (``--diskspace`` units) with an exact suffix: 3072000 KiB → ``3000M``."""
    for suffix, factor in (("T", 1024**3), ("G", 1024**2), ("M", 1024)):
        if value and value % factor == 0:
            return f"{value // factor}{suffix}"
    return str(value)


def _format_ubc(value: int) -> str:
    return "unlimited" if value >= LONG_MAX else str(value)


@dataclass(frozen=True, slots=True)
class SetChanges:
    """A validated set of changes for one container, in vzctl's units.

    ``ram``/``swap`` are bytes, ``diskspace`` KiB (soft, hard), ``ubc`` maps a resource to (barrier, limit) in its
    own unit (pages, bytes or items). ``None`` / empty means "leave as is".
    """

    ram: int | None = None
    swap: int | None = None
    cpuunits: int | None = None
    cpulimit: tuple[int, bool] | None = None
    cpus: int | None = None
    diskspace: tuple[int, int] | None = None
    diskinodes: tuple[int, int] | None = None
    quotaugidlimit: int | None = None
    ubc: Mapping[str, tuple[int, int]] = field(default_factory=lambda: _EMPTY_UBC)
    ip_add: tuple[str, ...] = ()
    ip_del: tuple[str, ...] = ()
    ip_del_all: bool = False
    hostname: str | None = None
    nameservers: tuple[str, ...] = ()
    searchdomains: tuple[str, ...] = ()
    onboot: bool | None = None
    name: str | None = None
    description: str | None = None
    ioprio: int | None = None
    disabled: bool | None = None

    def __post_init__(self) -> None:
        if self.ip_del_all and self.ip_del:
            raise ValidationError("ipdel", "either remove all addresses or list some, not both")
        for resource in self.ubc:
            validate_ubc_name(resource)

    @property
    def is_empty(self) -> bool:
        return not self.to_args()

    def to_args(self) -> list[str]:
        """The ``vzctl set CTID`` options for these changes (without ``--save``), in the seed panel's order."""
        args: list[str] = []

        def add(option: str, value: str | None) -> None:
            if value is not None:
                args.extend((option, value))

        add("--quotaugidlimit", None if self.quotaugidlimit is None else str(self.quotaugidlimit))
        if self.ip_del_all:
            add("--ipdel", "all")
        for address in self.ip_del:
            add("--ipdel", address)
        for address in self.ip_add:
            add("--ipadd", address)
        add("--hostname", self.hostname)
        if self.diskspace is not None:
            soft, hard = self.diskspace
            add("--diskspace", format_kib(soft) if soft == hard else f"{format_kib(soft)}:{format_kib(hard)}")
        if self.diskinodes is not None:
            soft, hard = self.diskinodes
            add("--diskinodes", str(soft) if soft == hard else f"{soft}:{hard}")
        add("--swap", None if self.swap is None else format_bytes(self.swap))
        add("--ram", None if self.ram is None else format_bytes(self.ram))
        for resource in UBC_ARG_ORDER:
            if resource in self.ubc:
                barrier, limit = self.ubc[resource]
                text = _format_ubc(barrier) if barrier == limit else f"{_format_ubc(barrier)}:{_format_ubc(limit)}"
                add(f"--{resource}", text)
        add("--cpus", None if self.cpus is None else str(self.cpus))
        add("--cpuunits", None if self.cpuunits is None else str(self.cpuunits))
        if self.cpulimit is not None:
            number, percent = self.cpulimit
            add("--cpulimit", f"{number}%" if percent else str(number))
        for server in self.nameservers:
            add("--nameserver", server)
        for domain in self.searchdomains:
            add("--searchdomain", domain)
        add("--onboot", None if self.onboot is None else ("yes" if self.onboot else "no"))
        add("--disabled", None if self.disabled is None else ("yes" if self.disabled else "no"))
        add("--ioprio", None if self.ioprio is None else str(self.ioprio))
        add("--name", self.name)
        add("--description", self.description)
        return args

    def to_request(self, *, ctid: int = 0, save: bool = True) -> SetRequest:
        """The ``SetRequest`` vzctl would parse from ``to_args()`` (for ``conf.apply_set`` previews)."""
        return parse_set_args([*self.to_args(), *(["--save"] if save else [])], ctid=ctid)


_FORM_FIELDS = (
    "ram",
    "swap",
    "cpuunits",
    "cpulimit",
    "cpus",
    "diskspace",
    "diskinodes",
    "quotaugidlimit",
    "ipadd",
    "ipdel",
    "hostname",
    "nameserver",
    "searchdomain",
    "onboot",
    "disabled",
    "name",
    "description",
    "ioprio",
)


def validate_form(
    values: Mapping[str, str], *, host_cpus: int | None = None
) -> tuple[SetChanges | None, list[ValidationError]]:
    """Validate a set form's raw strings (empty = unchanged). Returns the changes, or None and every error.

    Keys: the ``_FORM_FIELDS`` names plus ``ubc.<resource>`` for raw barrier:limit values. Address lists
    (ipadd, ipdel, nameserver, searchdomain) may be separated by spaces or commas; ``ipdel`` accepts ``all``.
    """
    errors: list[ValidationError] = []
    parsed: dict[str, object] = {}
    ubc: dict[str, tuple[int, int]] = {}
    for key, raw in values.items():
        text = raw.strip()
        if not text:
            continue
        try:
            if key.startswith("ubc."):
                resource = validate_ubc_name(key[4:], field=key)
                ubc[resource] = validate_barrier_limit(text, field=key, unit=RESOURCES[resource].unit)
            elif key in _FORM_FIELDS:
                parsed[key] = _validate_field(key, text, host_cpus)
            else:
                errors.append(ValidationError(key, "is not a settable field"))
        except ValidationError as error:
            errors.append(error)
    if errors:
        return None, errors
    ip_del = parsed.get("ipdel", ())
    del_all = ip_del == ("all",)
    try:
        changes = SetChanges(
            ram=_opt_int(parsed.get("ram")),
            swap=_opt_int(parsed.get("swap")),
            cpuunits=_opt_int(parsed.get("cpuunits")),
            cpulimit=parsed.get("cpulimit"),  # type: ignore[arg-type]
            cpus=_opt_int(parsed.get("cpus")),
            diskspace=parsed.get("diskspace"),  # type: ignore[arg-type]
            diskinodes=parsed.get("diskinodes"),  # type: ignore[arg-type]
            quotaugidlimit=_opt_int(parsed.get("quotaugidlimit")),
            ubc=MappingProxyType(ubc),
            ip_add=parsed.get("ipadd", ()),  # type: ignore[arg-type]
            ip_del=() if del_all else ip_del,  # type: ignore[arg-type]
            ip_del_all=del_all,
            hostname=parsed.get("hostname"),  # type: ignore[arg-type]
            nameservers=parsed.get("nameserver", ()),  # type: ignore[arg-type]
            searchdomains=parsed.get("searchdomain", ()),  # type: ignore[arg-type]
            onboot=parsed.get("onboot"),  # type: ignore[arg-type]
            disabled=parsed.get("disabled"),  # type: ignore[arg-type]
            name=parsed.get("name"),  # type: ignore[arg-type]
            description=parsed.get("description"),  # type: ignore[arg-type]
            ioprio=_opt_int(parsed.get("ioprio")),
        )
    except ValidationError as error:
        return None, [error]
    return changes, []


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _split(text: str) -> list[str]:
    return [item for item in text.replace(",", " ").split() if item]


def _validate_field(key: str, text: str, host_cpus: int | None) -> object:
    if key in ("ram", "swap"):
        size = validate_size(text, field=key)
        if key == "ram" and size < 1024 * 1024:
            raise ValidationError(key, f"{text!r} is less than 1M; did you forget the suffix (e.g. 512M)?")
        return size
    if key == "cpuunits":
        return validate_cpuunits(text)
    if key == "cpulimit":
        return validate_cpulimit(text, host_cpus=host_cpus or 1)
    if key == "cpus":
        return validate_cpus(text, host_cpus=host_cpus)
    if key == "diskspace":
        return validate_barrier_limit(text, field=key, unit=Unit.KIB, allow_unlimited=False)
    if key == "diskinodes":
        return validate_barrier_limit(text, field=key, unit=Unit.ITEMS, allow_unlimited=False)
    if key in ("quotaugidlimit", "ioprio"):
        number = validate_size(text, field=key, unit=Unit.ITEMS)
        return validate_ioprio(number) if key == "ioprio" else number
    if key == "ipadd":
        return tuple(dict.fromkeys(validate_ip(item, field=key) for item in _split(text)))
    if key == "ipdel":
        items = _split(text)
        if items == ["all"]:
            return ("all",)
        return tuple(dict.fromkeys(validate_ip(item, field=key) for item in items))
    if key == "hostname":
        return validate_hostname(text)
    if key == "nameserver":
        return tuple(dict.fromkeys(validate_nameserver(item) for item in _split(text)))
    if key == "searchdomain":
        return tuple(dict.fromkeys(validate_searchdomain(item) for item in _split(text)))
    if key in ("onboot", "disabled"):
        return validate_onboot(text, field=key)
    if key == "name":
        return validate_name(text)
    return validate_description(text)
