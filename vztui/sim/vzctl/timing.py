"""Realistic durations for simulated operations, scaled by ``VZTUI_SIM_SPEED`` (0 = no sleeping at all).

A multiplier rather than a switch, so a benchmark can run at 0.1 and a demo at 1.0; unparsable or negative values
fall back to real time.
"""

from __future__ import annotations

import os
import random
import time

SPEED_ENV = "VZTUI_SIM_SPEED"


def speed() -> float:
    """The current multiplier, read each time so tests can change the environment between calls."""
    raw = os.environ.get(SPEED_ENV, "")
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        return 1.0
    return value if value >= 0 else 1.0


def pause(seconds: float) -> None:
    """Sleep for ``seconds`` of simulated work."""
    factor = speed()
    if factor > 0 and seconds > 0:
        time.sleep(seconds * factor)


def jitter(low: float, high: float) -> float:
    """A duration between ``low`` and ``high`` seconds, so repeated operations do not take identical times."""
    return random.uniform(low, high)  # noqa: S311 - timing noise, not cryptography
