"""Closed-form helpers for the load model: seeded parameters, sine waves, their running maxima and integrals.

Every figure the simulated kernel reports is a pure function of (seed, container, resource, wall-clock time), so
these helpers never keep history: a running maximum or an episode count is computed analytically instead.
"""

from __future__ import annotations

import math
import random

TAU = 2.0 * math.pi


def rng_for(*parts: object) -> random.Random:
    """A deterministic generator for one (seed, ctid, purpose) tuple."""
    return random.Random(":".join(str(part) for part in parts))  # noqa: S311 - simulation, not security


def phase(t: float, period: float, offset: float) -> float:
    return TAU * t / period + offset


def running_max_sin(theta0: float, theta1: float) -> float:
    """max(sin θ) for θ in [θ0, θ1]."""
    if theta1 - theta0 >= TAU:
        return 1.0
    k = math.ceil((theta0 - math.pi / 2) / TAU)
    if math.pi / 2 + TAU * k <= theta1:
        return 1.0
    return max(math.sin(theta0), math.sin(theta1))


def entries_above(theta0: float, theta1: float, level: float) -> int:
    """How many times sin θ rises above ``level`` for θ in (θ0, θ1], counting θ0 itself if already above."""
    if level >= 1.0 or theta1 <= theta0:
        return 0
    if level <= -1.0:
        return 1
    start = math.asin(level)
    crossings = math.floor((theta1 - start) / TAU) - math.floor((theta0 - start) / TAU)
    inside = math.sin(theta0) > level
    return crossings + (1 if inside else 0)


def integral_of_wave(t0: float, t1: float, mean: float, amp: float, *, period: float, offset: float) -> float:
    """∫ mean·(1 + amp·sin(2πt/period + offset)) dt over [t0, t1] (≥ 0 whenever amp ≤ 1)."""
    if t1 <= t0:
        return 0.0
    omega = TAU / period
    cosines = math.cos(omega * t1 + offset) - math.cos(omega * t0 + offset)
    return mean * ((t1 - t0) - amp * cosines / omega)
