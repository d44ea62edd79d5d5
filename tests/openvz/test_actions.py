"""The action catalogue: states, safety flags, and the argv each action builds."""

from __future__ import annotations

import pytest

from vztui.openvz.actions import ACTIONS, BUILDERS, Target, build_argvs, mutating_action_ids
from vztui.openvz.errors import ValidationError
from vztui.openvz.models import CtStatus
from vztui.openvz.validate import SetChanges

UUID = "{a1b2c3d4-0000-4000-8000-0123456789ab}"

REQUIRED = {
    "start",
    "stop",
    "stop_fast",
    "restart",
    "mount",
    "umount",
    "suspend",
    "resume",
    "destroy",
    "set",
    "snapshot_create",
    "snapshot_switch",
    "snapshot_delete",
    "snapshot_mount",
    "snapshot_umount",
    "migrate",
    "enter",
    "exec",
    "create",
}

PARAMS: dict[str, dict[str, object]] = {
    "set": {"changes": SetChanges(cpuunits=2000)},
    "snapshot_switch": {"uuid": UUID},
    "snapshot_delete": {"uuid": UUID},
    "snapshot_mount": {"uuid": UUID, "target": "/mnt/snap"},
    "snapshot_umount": {"uuid": UUID},
    "migrate": {"dest": "hn2"},
    "exec": {"command": "uptime"},
    "create": {"ostemplate": "centos-6-x86_64"},
}


def test_every_required_action_is_declared_once_with_a_builder() -> None:
    assert set(ACTIONS) >= REQUIRED
    assert set(ACTIONS) == set(BUILDERS)
    for action_id, spec in ACTIONS.items():
        assert spec.id == action_id
        assert spec.title


@pytest.mark.parametrize("action_id", sorted(ACTIONS))
def test_every_action_builds_a_vz_command(action_id: str) -> None:
    argvs = build_argvs(action_id, 101, PARAMS.get(action_id, {}))
    assert argvs
    for argv in argvs:
        assert argv[0] in {"vzctl", "vzlist", "vzmigrate", "vzquota", "vzcalc"}
        assert "101" in argv


def test_exact_argvs() -> None:
    assert build_argvs("stop_fast", 101) == [["vzctl", "stop", "101", "--fast"]]
    assert build_argvs("set", 101, PARAMS["set"]) == [["vzctl", "set", "101", "--cpuunits", "2000", "--save"]]
    assert build_argvs("migrate", 101, {"dest": "hn2", "live": True}) == [["vzmigrate", "--live", "hn2", "101"]]
    assert build_argvs("exec", 101, {"command": "df -h"}) == [["vzctl", "exec", "101", "df -h"]]
    assert build_argvs("enter", 101) == [["vzctl", "enter", "101"]]
    assert ACTIONS["restart"].argvs(101) == [["vzctl", "restart", "101"]]


def test_create_builds_the_whole_plan() -> None:
    argvs = build_argvs("create", 101, {"ostemplate": "centos-6-x86_64", "hostname": "web1", "ips": ["10.0.0.5"]})
    assert argvs[0][:3] == ["vzctl", "create", "101"]
    assert ["vzlist", "-H", "-o", "layout", "101"] in argvs
    assert ACTIONS["create"].target is Target.NEW_CONTAINER


@pytest.mark.parametrize(
    ("action_id", "params"),
    [
        ("set", {}),
        ("set", {"changes": "--ram 1G"}),
        ("exec", {}),
        ("exec", {"command": ""}),
        ("snapshot_delete", {"uuid": "nope"}),
        ("migrate", {"dest": "hn2; reboot"}),
        ("migrate", {"dest": "hn2", "live": "yes"}),
        ("create", {}),
        ("create", {"ostemplate": "centos-6-x86_64", "ips": "10.0.0.5"}),
        ("bogus", {}),
    ],
)
def test_bad_parameters_build_nothing(action_id: str, params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        build_argvs(action_id, 101, params)


def test_reserved_ctids_build_nothing() -> None:
    with pytest.raises(ValidationError):
        build_argvs("destroy", 100)


def test_states() -> None:
    assert ACTIONS["start"].allows(CtStatus.STOPPED)
    assert ACTIONS["start"].refusal(CtStatus.RUNNING) == "already running"
    assert ACTIONS["stop"].refusal(CtStatus.STOPPED) == "not running"
    assert ACTIONS["destroy"].refusal(CtStatus.RUNNING) == "running: stop it first"
    assert ACTIONS["destroy"].refusal(CtStatus.STOPPED) is None
    assert ACTIONS["restart"].allows(CtStatus.STOPPED)
    assert ACTIONS["resume"].allows(CtStatus.SUSPENDED)
    assert ACTIONS["enter"].refusal(CtStatus.UNKNOWN) == "not possible while unknown"


def test_safety_flags() -> None:
    assert ACTIONS["destroy"].destructive
    assert ACTIONS["destroy"].typed_confirmation
    assert ACTIONS["destroy"].needs_confirmation
    assert ACTIONS["enter"].interactive
    assert not ACTIONS["status"].mutating
    for read_only in ("status", "snapshot_list", "quota", "calc"):
        assert read_only not in mutating_action_ids()
    for changing in REQUIRED:
        assert changing in mutating_action_ids(), changing
    assert all(ACTIONS[a].needs_confirmation for a in mutating_action_ids() if not ACTIONS[a].interactive)


def test_bulk_actions() -> None:
    bulk = {spec.id for spec in ACTIONS.values() if spec.works_on_marks}
    assert {"start", "stop", "restart", "destroy", "set", "migrate"} <= bulk
    assert not {"enter", "create", "snapshot_switch"} & bulk
