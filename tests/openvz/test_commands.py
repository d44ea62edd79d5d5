"""argv builders: exact command lines, and a refused value never produces an argv."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vztui.openvz import commands as c
from vztui.openvz.errors import ValidationError
from vztui.openvz.setparams import parse_create_args, parse_set_args
from vztui.openvz.units import LONG_MAX
from vztui.openvz.validate import SetChanges

UUID = "{a1b2c3d4-0000-4000-8000-0123456789ab}"


def test_lifecycle() -> None:
    assert c.vzctl_start(101) == ["vzctl", "start", "101"]
    assert c.vzctl_start("101", wait=True, force=True) == ["vzctl", "start", "101", "--wait", "--force"]
    assert c.vzctl_stop(101) == ["vzctl", "stop", "101"]
    assert c.vzctl_stop(101, fast=True) == ["vzctl", "stop", "101", "--fast"]
    assert c.vzctl_restart(101) == ["vzctl", "restart", "101"]
    assert c.vzctl_status(101) == ["vzctl", "status", "101"]
    assert c.vzctl_mount(101) == ["vzctl", "mount", "101"]
    assert c.vzctl_umount(101) == ["vzctl", "umount", "101"]
    assert c.vzctl_destroy(101) == ["vzctl", "destroy", "101"]
    assert c.vzctl_suspend(101) == ["vzctl", "suspend", "101"]
    assert c.vzctl_resume(101, dumpfile="/vz/dump/Dump.101") == [
        "vzctl",
        "resume",
        "101",
        "--dumpfile",
        "/vz/dump/Dump.101",
    ]


@pytest.mark.parametrize("ctid", [0, 100, "abc", "101; rm -rf /", -1, 2147483645])
def test_bad_ctids_never_produce_an_argv(ctid: object) -> None:
    for builder in (c.vzctl_start, c.vzctl_stop, c.vzctl_destroy, c.vzctl_status):
        with pytest.raises(ValidationError):
            builder(ctid)  # type: ignore[arg-type]


def test_create_in_the_seed_shape_parses_as_vzctl_create() -> None:
    argv = c.vzctl_create(101, ostemplate="centos-6-x86_64", layout="ploop", config="ispbasic")
    assert argv == [
        "vzctl",
        "create",
        "101",
        "--ostemplate",
        "centos-6-x86_64",
        "--layout",
        "ploop",
        "--config",
        "ispbasic",
    ]
    request = parse_create_args(argv[3:])
    assert (request.ostemplate, request.config, request.layout) == ("centos-6-x86_64", "ispbasic", "ploop")


def test_create_refuses_bad_values() -> None:
    with pytest.raises(ValidationError):
        c.vzctl_create(101, ostemplate="../../etc")
    with pytest.raises(ValidationError):
        c.vzctl_create(101, hostname="a;b")
    with pytest.raises(ValidationError):
        c.vzctl_create(101, layout="zfs")


def test_set_from_changes() -> None:
    changes = SetChanges(ram=512 * 1024**2, swap=1024**3)
    assert c.vzctl_set(101, changes) == ["vzctl", "set", "101", "--swap", "1G", "--ram", "512M", "--save"]
    assert c.vzctl_set(101, changes, save=False)[-1] == "512M"
    with pytest.raises(ValidationError):
        c.vzctl_set(101, SetChanges())
    with pytest.raises(ValidationError):
        c.vzctl_set(101, changes, save=False, setmode="restart")


def test_set_params_keep_the_admins_spelling() -> None:
    argv = c.vzctl_set_params(101, [("--swap", "1024M"), ("--privvmpages", "unlimited:unlimited")])
    assert argv == ["vzctl", "set", "101", "--swap", "1024M", "--privvmpages", "unlimited:unlimited", "--save"]
    assert parse_set_args(argv[3:]).ubc["privvmpages"] == (LONG_MAX, LONG_MAX)


@pytest.mark.parametrize(
    "params",
    [
        [("--hostname", "a;b")],
        [("--cpuunits", "0")],
        [("--numproc", "5M")],
        [("--userpasswd", "root:secret")],
        [("--ipadd", "")],
        [],
    ],
)
def test_set_params_refuse(params: list[tuple[str, str]]) -> None:
    with pytest.raises(ValidationError):
        c.vzctl_set_params(101, params)


def test_snapshots() -> None:
    assert c.vzctl_snapshot(101, name="before upgrade") == ["vzctl", "snapshot", "101", "--name", "before upgrade"]
    assert c.vzctl_snapshot_switch(101, UUID) == ["vzctl", "snapshot-switch", "101", "--id", UUID]
    assert c.vzctl_snapshot_delete(101, UUID[1:-1]) == ["vzctl", "snapshot-delete", "101", "--id", UUID]
    assert c.vzctl_snapshot_mount(101, UUID, "/mnt/snap") == [
        "vzctl",
        "snapshot-mount",
        "101",
        "--id",
        UUID,
        "--target",
        "/mnt/snap",
    ]
    assert c.vzctl_snapshot_umount(101, UUID) == ["vzctl", "snapshot-umount", "101", "--id", UUID]
    assert c.vzctl_snapshot_list(101, no_header=True, fields=["uuid", "current"]) == [
        "vzctl",
        "snapshot-list",
        "101",
        "-H",
        "-o",
        "uuid,current",
    ]
    with pytest.raises(ValidationError):
        c.vzctl_snapshot_delete(101, "not-a-uuid")
    with pytest.raises(ValidationError):
        c.vzctl_snapshot_mount(101, UUID, "relative/dir")


def test_exec_and_enter() -> None:
    assert c.vzctl_exec(101, "uptime -p") == ["vzctl", "exec", "101", "uptime -p"]
    assert c.vzctl_exec(101, "true", exec2=True) == ["vzctl", "exec2", "101", "true"]
    assert c.vzctl_enter(101) == ["vzctl", "enter", "101"]
    for bad in ("", "a\nb", "-"):
        with pytest.raises(ValidationError):
            c.vzctl_exec(101, bad)


def test_vzlist() -> None:
    assert c.vzlist(all=True, json=True) == ["vzlist", "-a", "-j"]
    assert c.vzlist(fields=["ctid", "physpages.l"], no_header=True, sort="ctid", reverse=True) == [
        "vzlist",
        "-H",
        "-o",
        "ctid,physpages.l",
        "-s",
        "-ctid",
    ]
    assert c.vzlist_layout(101) == ["vzlist", "-H", "-o", "layout", "101"]
    with pytest.raises(ValidationError):
        c.vzlist(fields=["bogus"])
    with pytest.raises(ValidationError, match="JSON"):
        c.vzlist(json=True, fields=["physpages.l"])
    with pytest.raises(ValidationError):
        c.vzlist(all=True, stopped=True)


def test_vzmigrate() -> None:
    assert c.vzmigrate("hn2.example.com", 101) == ["vzmigrate", "hn2.example.com", "101"]
    assert c.vzmigrate("10.0.0.2", 101, live=True, check_only=True, remove_area=False, keep_dst=True) == [
        "vzmigrate",
        "--live",
        "--check-only",
        "--remove-area",
        "no",
        "--keep-dst",
        "10.0.0.2",
        "101",
    ]
    for bad in ("root@hn2", "hn2 -o ProxyCommand=x", "", "-oProxyCommand=x"):
        with pytest.raises(ValidationError):
            c.vzmigrate(bad, 101)


def test_capacity_tools() -> None:
    assert c.vzmemcheck(verbose=True, absolute=True) == ["vzmemcheck", "-v", "-A"]
    assert c.vzcpucheck(verbose=True) == ["vzcpucheck", "-v"]
    assert c.vzcalc(101, verbose=True) == ["vzcalc", "-v", "101"]
    assert c.vzsplit(10, conf_name="split10", vswap=True) == ["vzsplit", "-n", "10", "-f", "split10", "-v", "yes"]
    assert c.vzquota_stat(101, times=True) == ["vzquota", "stat", "101", "-t"]
    assert c.vztmpl_list_local() == ["vztmpl-dl", "--list-local"]
    with pytest.raises(ValidationError):
        c.vzsplit(0)


def test_display_is_shlex_join() -> None:
    assert c.display(["vzctl", "exec", "101", "echo hi; id"]) == "vzctl exec 101 'echo hi; id'"


@given(st.text(max_size=30))
def test_hostile_hostnames_never_reach_an_argv(text: str) -> None:
    try:
        argv = c.vzctl_create(101, hostname=text or None)
    except ValidationError:
        return
    assert all(arg.isprintable() for arg in argv)
    assert not any(ch in "".join(argv) for ch in ";|&$`<>\n")
