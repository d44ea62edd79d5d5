"""The OpenVZ domain: types, parsers, units, validators, argv builders and the config writer. Pure: no I/O."""

from vztui.openvz.errors import ParseError, ValidationError
from vztui.openvz.models import (
    Beancounter,
    Container,
    CtConfig,
    CtStatus,
    DiskUsage,
    Layout,
    NodeCapacity,
    NodeInfo,
    PloopSnapshot,
    QuotaUsage,
    VeInfo,
    VeStat,
    VzConf,
    VzctlStatus,
)
from vztui.openvz.units import INT_MAX, LONG_MAX, PAGE_SIZE, Unit

__all__ = [
    "INT_MAX",
    "LONG_MAX",
    "PAGE_SIZE",
    "Beancounter",
    "Container",
    "CtConfig",
    "CtStatus",
    "DiskUsage",
    "Layout",
    "NodeCapacity",
    "NodeInfo",
    "ParseError",
    "PloopSnapshot",
    "QuotaUsage",
    "Unit",
    "ValidationError",
    "VeInfo",
    "VeStat",
    "VzConf",
    "VzctlStatus",
]
