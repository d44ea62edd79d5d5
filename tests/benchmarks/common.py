"""What every benchmark module shares with ``run.py``: the result of one measure, the context a measure runs in and
the ``Measure`` entry a ``measures_*.py`` module lists in its ``MEASURES``.

A measure module never prints the table or writes JSON; it returns ``Result`` objects and ``run.py`` does the rest.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script: make `tests.…` and `vztui` importable
    sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class Result:
    """One measured figure, in the shape of ``run.py --json``: ``{"value", "unit", "baseline", "ratio", "goal",
    "met"}`` plus a one-line ``note`` and free-form ``detail``.

    ``ratio`` is baseline / vztui for speed measures (higher is better); ``goal`` is the threshold on whatever
    ``goal_text`` says is compared (the ratio, or the value itself).
    """

    name: str
    value: float | None
    unit: str
    goal_text: str
    goal: float | None
    met: bool | None
    baseline: float | None = None
    ratio: float | None = None
    note: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        return self.value is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "value": _finite(self.value),
            "unit": self.unit,
            "baseline": _finite(self.baseline),
            "ratio": _finite(self.ratio),
            "goal": self.goal,
            "met": self.met,
            "goal_text": self.goal_text,
        }
        if self.note:
            data["note"] = self.note
        if self.detail:
            data["detail"] = dict(self.detail)
        return data


def not_measured(name: str, reason: str, goal_text: str = "") -> Result:
    """A measure that could not run: listed in the table and the JSON with the reason, never silently dropped."""
    return Result(name, None, "", goal_text, None, None, note=f"not measured: {reason}")


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


@dataclass(frozen=True)
class Context:
    """Where and how measures run: ``quick`` asks for smaller sizes; ``scratch`` is a directory removed afterwards."""

    quick: bool
    scratch: Path
    log: Callable[[str], None] = print

    def directory(self, name: str) -> Path:
        path = self.scratch / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass(frozen=True)
class Measure:
    """One entry of a module's ``MEASURES``: the names it produces and the function producing them.

    ``needs`` lists executables that must be on PATH (or, for ``sshd``, installed): without them every name is
    reported as not measured, with the reason.
    """

    names: tuple[str, ...]
    run: Callable[[Context], Sequence[Result]]
    needs: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        from tests.sshd import SSHD

        absent = []
        for tool in self.needs:
            found = SSHD if tool == "sshd" else shutil.which(tool)
            if not found:
                absent.append(tool)
        return absent


def rss_mib(pid: int | str = "self") -> tuple[float, float]:
    """(current, peak) resident set size of a process in MiB, from /proc/PID/status (VmRSS, VmHWM)."""
    text = Path(f"/proc/{pid}/status").read_text()
    now = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    peak = re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE)
    return (int(now.group(1)) / 1024 if now else 0.0, int(peak.group(1)) / 1024 if peak else 0.0)


def sim_env() -> None:
    """Simulated nodes answer at once (no artificial tool delays) in every benchmark."""
    os.environ.setdefault("VZTUI_SIM_SPEED", "0")
