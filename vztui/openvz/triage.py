"""Triage of a container that hurts its node: a live CPU throttle (``vzctl set CTID --cpulimit N`` without
``--save``, so a restart forgets it) and the command that puts the previous limit back.
"""

from __future__ import annotations

from vztui.openvz.actions import ActionSpec
from vztui.openvz.commands import vzctl_set_params
from vztui.openvz.errors import ValidationError
from vztui.openvz.models import CtStatus
from vztui.openvz.validators import validate_cpulimit

THROTTLE = ActionSpec(
    id="throttle",
    title="Throttle CPU",
    allowed_states=frozenset({CtStatus.RUNNING}),
    mutating=True,
    needs_confirmation=True,
    works_on_marks=False,
    description="Lower the running CT's CPU limit now, without saving it to its config",
)
"""Not part of ``ACTIONS``: it is offered only where a failing CT is looked at, with its undo entry."""

DEFAULT_THROTTLE = 50
"""Half of one CPU: what is suggested for a CT without a limit."""


def cpulimit_live(ctid: int, limit: int, *, host_cpus: int | None) -> list[str]:
    """``vzctl set CTID --cpulimit N``: changes the running CT only, its config keeps the saved value."""
    return vzctl_set_params(ctid, [("--cpulimit", str(limit))], save=False, host_cpus=host_cpus)


def suggest_throttle(previous: int) -> int:
    """Half the current limit (0 means none: half a CPU), never below 1 %."""
    return max(1, previous // 2) if previous > 0 else DEFAULT_THROTTLE


def check_throttle(value: str, previous: int, *, host_cpus: int | None) -> int:
    """The limit to set (percent of one CPU); refused when it would not throttle (0 lifts every limit, a value at or
    above the current limit changes nothing the admin wants)."""
    number, share = validate_cpulimit(value.strip(), host_cpus=host_cpus or 1)
    if share:
        raise ValidationError("cpulimit", "give percent of one CPU (50 is half a CPU), not a share with %")
    if number == 0:
        raise ValidationError("cpulimit", "0 removes the limit; a throttle needs 1 or more")
    if 0 < previous <= number:
        raise ValidationError("cpulimit", f"the CT is already limited to {previous}; give less to throttle it")
    return number


def shown_cpulimit(limit: int) -> int:
    """What vzlist reports for a running CT limited to ``limit``: the kernel keeps a fairsched rate of
    ``limit × 1024 / 100`` and vzlist reads it back as ``rate × 100 / 1024`` (20 reads back as 19)."""
    return limit * 1024 // 100 * 100 // 1024
