"""Every ``vzctl set`` (and ``create``) option, parsed exactly as vzctl 4.11.1 does.

``parse_set_args`` reads the arguments after ``vzctl set CTID`` like vzctl (getopt_long, first value wins for most
scalars, lists accumulate, errors carry vzctl's text and exit code) and returns a typed ``SetRequest``. The
simulator runs it on real argv; the config writer (``conf.apply_set``) turns it into the file ``--save`` writes.
Deliberately lenient where vzctl is: strictness lives in ``validate``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vztui.openvz.setbuilder import DuplicateValueError, OptionBuilder, freeze_request
from vztui.openvz.setdevices import parse_device, parse_devnode, parse_netif_add, parse_pci
from vztui.openvz.sethandlers import HANDLERS
from vztui.openvz.setoptions import (
    CAPABILITIES,
    CREATE_OPTIONS,
    FEATURES,
    IPTABLES_MODULES,
    NETFILTER_MODES,
    SET_OPTIONS,
    SET_OPTIONS_BY_NAME,
    UBC_KINDS,
    UBC_STORE_ORDER,
    Kind,
    SetOption,
)
from vztui.openvz.setrequest import (
    DEFAULT_HWID,
    PARAM_LINE,
    VZ_INVALID_PARAMETER_SYNTAX,
    VZ_INVALID_PARAMETER_VALUE,
    VZ_SYSTEM_ERROR,
    Device,
    DevNode,
    SetParamError,
    SetRequest,
    Veth,
)
from vztui.openvz.setvalues import INT_MAX, BadValueError
from vztui.openvz.units import LONG_MAX
from vztui.openvz.vzgetopt import GetoptError, LongOption, ParsedOption, getopt_long

__all__ = [
    "CAPABILITIES",
    "CREATE_OPTIONS",
    "DEFAULT_HWID",
    "FEATURES",
    "IPTABLES_MODULES",
    "NETFILTER_MODES",
    "SET_OPTIONS",
    "SET_OPTIONS_BY_NAME",
    "UBC_KINDS",
    "UBC_STORE_ORDER",
    "DevNode",
    "Device",
    "Kind",
    "SetOption",
    "SetParamError",
    "SetRequest",
    "Veth",
    "check_set_request",
    "parse_create_args",
    "parse_device",
    "parse_devnode",
    "parse_netif_add",
    "parse_pci",
    "parse_set_args",
]


def parse_set_args(
    args: Sequence[str],
    *,
    ctid: int = 0,
    vswap_kernel: bool = True,
    hwid: str = DEFAULT_HWID,
) -> SetRequest:
    """Parse the arguments after ``vzctl set CTID`` exactly as vzctl 4.11.1 does.

    ``ctid`` and ``hwid`` feed the veth names and MACs ``--netif_add`` generates; ``vswap_kernel=False`` makes
    ``--ram``/``--swap`` fail (exit 3) unless ``--force`` came first, as on a pre-VSwap kernel.
    Raises ``SetParamError`` with vzctl's stderr text and exit code.
    """
    return _parse(args, SET_OPTIONS, ctid=ctid, vswap_kernel=vswap_kernel, hwid=hwid)


def parse_create_args(args: Sequence[str], *, ctid: int = 0) -> SetRequest:
    """Parse the arguments after ``vzctl create CTID`` (same rules; ``layout`` and ``config`` are filled)."""
    return _parse(args, CREATE_OPTIONS, ctid=ctid, vswap_kernel=True, hwid=DEFAULT_HWID)


def _parse(args: Sequence[str], table: Sequence[SetOption], *, ctid: int, vswap_kernel: bool, hwid: str) -> SetRequest:
    builder = OptionBuilder(ctid, hwid)
    long_options = [LongOption(option.name, option.takes_argument, option.param) for option in table]
    try:
        for item in getopt_long(args, long_options, PARAM_LINE):
            if isinstance(item, list):
                if item:
                    joined = "".join(f"{operand} " for operand in item)
                    raise SetParamError(f"Invalid extra arguments: {joined}", VZ_INVALID_PARAMETER_SYNTAX)
                break
            _apply_option(builder, item, vswap_kernel=vswap_kernel)
    except GetoptError as exc:
        raise SetParamError(str(exc), VZ_INVALID_PARAMETER_VALUE) from exc
    return freeze_request(builder, tuple(args))


def _apply_option(builder: OptionBuilder, item: ParsedOption, *, vswap_kernel: bool) -> None:
    if item.short:
        return
    value = item.value if item.value is not None else ""
    if item.param in ("ram", "swap") and not vswap_kernel and "force" not in builder.flags:
        raise SetParamError(
            "Error: kernel does not support vswap, unable to use --ram/--swap parameters\nError parsing options",
            VZ_SYSTEM_ERROR,
        )
    handler = HANDLERS[item.param]
    bad = f"Bad parameter for --{item.name}: {value}"
    try:
        handler(builder, value)
    except DuplicateValueError:
        return
    except BadValueError as exc:
        stdout = "\n".join(builder.notes)
        raise SetParamError(bad, VZ_INVALID_PARAMETER_VALUE, stdout=stdout) from exc
    except SetParamError as exc:
        raise SetParamError(f"{exc.message}\n{bad}", VZ_INVALID_PARAMETER_VALUE) from exc


VZ_NOTENOUGHUBCPARAMS = 28
VZ_SET_NAME_ERROR = 131


def _is_vswap(ubc: Mapping[str, tuple[int, int]]) -> bool:
    """vzctl ``is_vswap_config``: PHYSPAGES is set and its limit is neither LONG_MAX nor INT_MAX."""
    physpages = ubc.get("physpages")
    return physpages is not None and physpages[1] not in (LONG_MAX, INT_MAX)


def check_set_request(request: SetRequest, *, config: SetRequest | None = None, ploop: bool = False) -> str:
    """vzctl's ``check_set_opt``: the combination checks done after parsing, before anything is applied.

    ``config`` is the container's (and vz.conf's) parsed config (``conflines.read_config_request``), ``ploop``
    whether its VE_LAYOUT is ploop. Returns stdout warnings (possibly empty); raises ``SetParamError``.
    On ``--save``, vzctl then adds ``Error: failed to apply some parameters, not saving configuration file!``.
    """
    if request.reset_ub and len(request.args) > 1:
        raise SetParamError("Error: option --reset_ub is exclusive", VZ_INVALID_PARAMETER_SYNTAX)
    config_ubc = config.ubc if config is not None else {}
    if (_is_vswap(request.ubc) or _is_vswap(config_ubc)) and not (
        "swappages" in request.ubc or "swappages" in config_ubc
    ):
        raise SetParamError("Error: required UB parameter (swap) not set", VZ_NOTENOUGHUBCPARAMS)
    warnings = ""
    if request.offline_resize:
        if request.diskspace is None:
            raise SetParamError(
                "Error: option --offline-resize can only be used with --diskspace", VZ_INVALID_PARAMETER_SYNTAX
            )
        if not ploop:
            warnings = "Warning: option --offline-resize only makes sense for a ploop CT"
    if request.nodemask is not None and request.cpumask is None:
        raise SetParamError("Error: option --nodemask requires --cpumask", VZ_INVALID_PARAMETER_SYNTAX)
    if request.cpumask == "auto" and request.nodemask is None:
        raise SetParamError("Error: --cpumask auto requires --nodemask", VZ_INVALID_PARAMETER_SYNTAX)
    if not request.save:
        _check_needs_save(request, ploop=ploop)
    return warnings


def _check_needs_save(request: SetRequest, *, ploop: bool) -> None:
    if request.name is not None:
        raise SetParamError("Error: unable to use --name option without --save", VZ_SET_NAME_ERROR)
    if request.ostemplate is not None:
        raise SetParamError("Error: unable to use --ostemplate option without --save", VZ_INVALID_PARAMETER_SYNTAX)
    if request.stop_timeout is not None:
        raise SetParamError("Error: unable to use --stop-timeout option without --save", VZ_INVALID_PARAMETER_SYNTAX)
    if request.force:
        raise SetParamError("Error: --force is useless without --save", VZ_INVALID_PARAMETER_SYNTAX)
    if request.diskspace is not None and ploop:
        raise SetParamError(
            "Error: can't use --diskspace without --save for a ploop-based container", VZ_INVALID_PARAMETER_SYNTAX
        )
    if request.setmode == "restart":
        raise SetParamError(
            "Error: --setmode restart doesn't make sense without --save flag", VZ_INVALID_PARAMETER_SYNTAX
        )
