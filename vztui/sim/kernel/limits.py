"""Barrier and limit of every beancounter of a container, as vzctl would set them from its config (REFERENCE §2.6).

Values stay in the kernel's units (bytes, pages, items). A VSwap config (PHYSPAGES limit set and not unlimited)
gets the derived lockedpages/oomguarpages/vmguarpages/privvmpages of vzctl 4.11.1's ``fill_vswap_ub``; every
other unset parameter is unlimited, as the kernel leaves it.
"""

from __future__ import annotations

import functools

from vztui.openvz.errors import ParseError
from vztui.openvz.resources import RESOURCES
from vztui.openvz.units import INT_MAX, LONG_MAX, parse_barrier_limit

Bounds = dict[str, tuple[int, int]]

_ALIASES = {"dcachesize": "DCACHE", "numiptent": "IPTENTRIES"}


def config_bounds(conf: dict[str, str]) -> Bounds:
    """``resource → (barrier, limit)`` for all 21 accounted resources (a fresh dict each call)."""
    key = tuple(conf.get(name, "") for name in _KEYS)
    return dict(_bounds_for(key))


_KEYS = (
    *(spec.config_key for spec in RESOURCES.values()),
    "DCACHE",
    "IPTENTRIES",
    "VM_OVERCOMMIT",
)


@functools.lru_cache(maxsize=4096)
def _bounds_for(key: tuple[str, ...]) -> Bounds:
    conf = {name: value for name, value in zip(_KEYS, key, strict=True) if value}
    return _compute_bounds(conf)


def _compute_bounds(conf: dict[str, str]) -> Bounds:
    bounds: Bounds = {}
    explicit: set[str] = set()
    for name, spec in RESOURCES.items():
        raw = conf.get(spec.config_key) or conf.get(_ALIASES.get(name, ""), "")
        value = _parse(raw, spec.unit) if raw else None
        if value is None:
            bounds[name] = (LONG_MAX, LONG_MAX)
        else:
            bounds[name] = value
            explicit.add(name)
    ram = bounds["physpages"][1]
    if "physpages" in explicit and ram not in (LONG_MAX, INT_MAX):
        swap = bounds["swappages"][1] if "swappages" in explicit else 0
        swap = 0 if swap >= LONG_MAX else swap
        total = ram + swap
        derived = {
            "lockedpages": (ram, ram),
            "oomguarpages": (ram, LONG_MAX),
            "vmguarpages": (total, LONG_MAX),
        }
        overcommit = _float(conf.get("VM_OVERCOMMIT", ""))
        if overcommit > 0:
            pages = min(int(total * overcommit), LONG_MAX)
            derived["privvmpages"] = (pages, pages)
        for name, value in derived.items():
            if name not in explicit:
                bounds[name] = value
    return bounds


def is_vswap(conf: dict[str, str]) -> bool:
    raw = conf.get("PHYSPAGES", "")
    value = _parse(raw, RESOURCES["physpages"].unit) if raw else None
    return value is not None and value[1] not in (LONG_MAX, INT_MAX)


def effective_bound(barrier: int, limit: int) -> int:
    """What held is measured against: the barrier, or the limit for VSwap's 0:N physpages/swappages."""
    if barrier and barrier < LONG_MAX:
        return barrier
    return limit


@functools.lru_cache(maxsize=4096)
def _parse(raw: str, unit: object) -> tuple[int, int] | None:
    try:
        return parse_barrier_limit(raw, unit=unit)  # type: ignore[arg-type]
    except ParseError:
        return None


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return 0.0
