"""Queue requests from the domain's command lines: one container's action steps (shared by ``vztui run`` and the
dashboard) and the ``ve-<preset>.conf-sample`` a create needs when the node lacks it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vztui.backend.operation import OpRequest
from vztui.openvz.actions import ActionSpec, build_argvs
from vztui.openvz.presets import PlanStep, Preset, sample_text

WRITE_SAMPLE_KIND = "write_sample"

# $1 root prefix (empty on a real node), $2 the preset's name, $3 the sample text. The text is a positional
# parameter, never shell code; noclobber (set -C) makes the write refuse to replace a file that appeared meanwhile,
# and an existing sample is kept as it is (the admin's own edits win).
WRITE_SAMPLE_SCRIPT = """\
f="$1/etc/vz/conf/ve-$2.conf-sample"
if [ -e "$f" ]; then echo "$f exists: kept as it is"; exit 0; fi
set -C
printf '%s' "$3" > "$f" || exit 1
echo "wrote $f"
"""


def action_steps(spec: ActionSpec, ctid: int, params: Mapping[str, object] | None = None) -> list[PlanStep]:
    """The titled command lines ``spec`` runs for ``ctid`` (raises ``ValidationError`` for bad parameters)."""
    return [PlanStep(tuple(argv), f"{spec.title} {ctid}", spec.mutating) for argv in build_argvs(spec.id, ctid, params)]


def action_requests(spec: ActionSpec, node: str, ctid: int, steps: Sequence[PlanStep]) -> list[OpRequest]:
    """One OpRequest per step; the first re-checks the CT's state when its turn comes (not for create).

    Read-only steps (the layout read-back of a create) are marked as such so the queue keeps their output.
    """
    expect = tuple(state.value for state in spec.allowed_states) if spec.id != "create" else ()
    return [
        OpRequest(
            node=node,
            argv=step.argv,
            kind=spec.id,
            ctids=(ctid,),
            mutating=step.mutating,
            title=step.title,
            expect_states=expect if index == 0 else (),
            reads_output=not step.mutating,
        )
        for index, step in enumerate(steps)
    ]


def write_sample_argv(preset: Preset, root_prefix: str = "") -> list[str]:
    """``sh -c`` writing ``/etc/vz/conf/ve-<preset>.conf-sample`` (under ``root_prefix``) unless it exists."""
    return ["sh", "-c", WRITE_SAMPLE_SCRIPT, "sh", root_prefix, preset.name, sample_text(preset)]


def write_sample_request(node: str, ctid: int, preset: Preset, root_prefix: str = "") -> OpRequest:
    """The create plan's first step on a node without the preset's sample (tied to the new CTID so the queue
    serialises it with the create)."""
    return OpRequest(
        node=node,
        argv=tuple(write_sample_argv(preset, root_prefix)),
        kind=WRITE_SAMPLE_KIND,
        ctids=(ctid,),
        mutating=True,
        title=f"write {preset.sample_filename}",
    )
