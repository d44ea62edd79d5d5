"""Container presets and the seed panel's create sequence (``vzctl create`` then one ``vzctl set`` per parameter).

``ISPBASIC`` carries the values of the panel-standard ``ve-ispbasic`` preset (issue 7). ``create_plan_argvs``
reproduces the seed's order exactly, so a container created by vztui ends with the config the same vzctl calls
produce. ``sample_text`` writes the ``ve-<name>.conf-sample`` the panel generates when the file is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vztui.openvz.commands import vzctl_create, vzctl_set_params, vzlist_layout
from vztui.openvz.errors import ValidationError
from vztui.openvz.setparams import UBC_STORE_ORDER
from vztui.openvz.validate import validate_hostname, validate_ip, validate_sample_name

SEED_SET_ORDER: tuple[str, ...] = (
    "diskspace",
    "diskinodes",
    "swap",
    "ram",
    "lockedpages",
    "oomguarpages",
    "vmguarpages",
    "privvmpages",
    "cpus",
    "cpuunits",
    "cpulimit",
    "numproc",
    "numfile",
    "numtcpsock",
    "numothersock",
    "tcprcvbuf",
)
"""The seed's ``vzctl set`` order after the layout read-back (quotaugidlimit, ipadd and hostname come first)."""


@dataclass(frozen=True, slots=True)
class Preset:
    """A named, ordered list of ``vzctl set`` parameters (option name without dashes, value as typed).

    Values keep the admin's spelling (``1024M``); every value passes vztui's strict validators and vzctl's parser
    when the preset is built. Empty values mean "leave the sample's value" and are skipped.
    """

    name: str
    params: tuple[tuple[str, str], ...]
    description: str = ""

    def __post_init__(self) -> None:
        validate_sample_name(self.name, field="preset")
        given = [(f"--{option}", value) for option, value in self.params if value != ""]
        if given:
            vzctl_set_params(101, given)

    @classmethod
    def from_mapping(cls, name: str, values: Mapping[str, object], *, description: str = "") -> Preset:
        """Build from a TOML table (``ram = "512M"``, ``cpus = 1``); raises ``ValidationError`` on bad input."""
        params: list[tuple[str, str]] = []
        for option, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ValidationError(option, "must be a string or a whole number")
            params.append((option.removeprefix("--"), str(value).strip()))
        return cls(name, tuple(params), description)

    def value(self, option: str) -> str | None:
        for name, value in self.params:
            if name == option and value != "":
                return value
        return None

    @property
    def sample_name(self) -> str:
        """The config sample ``vzctl create --config`` uses: ``ve-<name>.conf-sample``."""
        return self.name

    @property
    def sample_filename(self) -> str:
        return f"ve-{self.name}.conf-sample"


ISPBASIC = Preset(
    "ispbasic",
    (
        ("quotaugidlimit", "2048"),
        ("diskspace", "3000M"),
        ("diskinodes", "384000"),
        ("swap", "1024M"),
        ("ram", "512M"),
        ("lockedpages", "131072:unlimited"),
        ("oomguarpages", "131072:unlimited"),
        ("vmguarpages", "393216"),
        ("privvmpages", "unlimited:unlimited"),
        ("cpus", "1"),
        ("cpuunits", "100"),
        ("cpulimit", "100"),
        ("numproc", "unlimited"),
        ("numfile", "unlimited"),
        ("numtcpsock", "unlimited"),
        ("numothersock", "unlimited"),
        ("tcprcvbuf", "unlimited"),
    ),
    "Panel standard: 512M RAM, 1G swap, 3000M disk, 1 CPU",
)
"""The seed panel's built-in ``ve-ispbasic`` preset (issue 7)."""


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One command of a plan, with a title for the queue and whether it changes anything."""

    argv: tuple[str, ...]
    title: str
    mutating: bool = True


def create_plan(
    ctid: int | str,
    *,
    ostemplate: str,
    layout: str = "ploop",
    hostname: str | None = None,
    ips: Sequence[str] = (),
    preset: Preset = ISPBASIC,
    host_cpus: int | None = None,
) -> list[PlanStep]:
    """The seed's create sequence as titled steps (see ``create_plan_argvs``)."""
    steps = [
        PlanStep(
            tuple(vzctl_create(ctid, ostemplate=ostemplate, layout=layout, config=preset.sample_name)),
            f"create {ctid} from {ostemplate} ({layout}, {preset.name})",
        )
    ]

    def set_step(option: str, value: str) -> None:
        argv = vzctl_set_params(ctid, [(f"--{option}", value)], host_cpus=host_cpus)
        steps.append(PlanStep(tuple(argv), f"set {option} {value}"))

    quota = preset.value("quotaugidlimit")
    if quota is not None:
        set_step("quotaugidlimit", quota)
    addresses = [validate_ip(address, field="ipadd") for address in ips if address.strip()]
    if addresses:
        argv = vzctl_set_params(ctid, [("--ipadd", address) for address in addresses])
        steps.append(PlanStep(tuple(argv), f"set ipadd {' '.join(addresses)}"))
    if hostname:
        set_step("hostname", validate_hostname(hostname))
    steps.append(PlanStep(tuple(vzlist_layout(ctid)), "read back the layout", mutating=False))
    for option in SEED_SET_ORDER:
        value = preset.value(option)
        if value is not None:
            set_step(option, value)
    handled = {"quotaugidlimit", *SEED_SET_ORDER}
    for option, value in preset.params:
        if option not in handled and value != "":
            set_step(option, value)
    return steps


def create_plan_argvs(
    ctid: int | str,
    *,
    ostemplate: str,
    layout: str = "ploop",
    hostname: str | None = None,
    ips: Sequence[str] = (),
    preset: Preset = ISPBASIC,
    host_cpus: int | None = None,
) -> list[list[str]]:
    """``vzctl create CTID --ostemplate T --layout L --config <preset>`` followed by the seed's set steps.

    Order: quotaugidlimit, ipadd, hostname, ``vzlist -H -o layout CTID``, then diskspace, diskinodes, swap, ram,
    lockedpages, oomguarpages, vmguarpages, privvmpages, cpus, cpuunits, cpulimit, numproc, numfile, numtcpsock,
    numothersock, tcprcvbuf, then any other preset parameter in the preset's order. Empty values are skipped.
    """
    plan = create_plan(
        ctid, ostemplate=ostemplate, layout=layout, hostname=hostname, ips=ips, preset=preset, host_cpus=host_cpus
    )
    return [list(step.argv) for step in plan]


_SAMPLE_HEADER = """\
# {filename}: generated by vztui for the "{name}" preset.
#
# This is vztui's reconstruction, not the seed panel's original file (which is not public): it has the shape
# of vzctl's own ve-vswap-256m.conf-sample with the preset's values filled in. `vzctl create --config {name}`
# copies it, and the preset's `vzctl set` steps then write the same values again, so the resulting CT config
# does not depend on the details below.
#
# This config is only valid for decent VSwap-enabled kernel
# (version 042stab042 or later).
"""


def sample_text(preset: Preset = ISPBASIC) -> str:
    """The ``ve-<preset>.conf-sample`` text vztui writes when a node lacks it (our reconstruction, see header)."""
    lines = [_SAMPLE_HEADER.format(filename=preset.sample_filename, name=preset.name)]

    def block(comment: str, entries: Sequence[tuple[str, str | None]]) -> None:
        present = [(key, value) for key, value in entries if value is not None]
        if present:
            lines.append(f"# {comment}")
            lines.extend(f'{key}="{value}"' for key, value in present)
            lines.append("")

    ram = preset.value("ram")
    swap = preset.value("swap")
    block("RAM", [("PHYSPAGES", f"0:{ram}" if ram else None)])
    block("Swap", [("SWAPPAGES", f"0:{swap}" if swap else None)])
    ubc = [
        (name.upper(), preset.value(name))
        for name in UBC_STORE_ORDER
        if name not in ("physpages", "swappages") and preset.value(name) is not None
    ]
    block("UBC parameters (in form of barrier:limit)", ubc)
    block(
        "Disk quota parameters (in form of softlimit:hardlimit)",
        [
            ("DISKSPACE", _soft_hard(preset.value("diskspace"))),
            ("DISKINODES", _soft_hard(preset.value("diskinodes"))),
            ("QUOTATIME", "0"),
            ("QUOTAUGIDLIMIT", preset.value("quotaugidlimit")),
        ],
    )
    block(
        "CPU fair scheduler parameter",
        [
            ("CPUUNITS", preset.value("cpuunits") or "1000"),
            ("CPULIMIT", preset.value("cpulimit")),
            ("CPUS", preset.value("cpus")),
        ],
    )
    lines.append('NETFILTER="stateless"')
    return "\n".join(lines) + "\n"


def _soft_hard(value: str | None) -> str | None:
    if value is None:
        return None
    return value if ":" in value else f"{value}:{value}"
