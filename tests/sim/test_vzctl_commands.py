"""vzctl commands end to end on a simulated node: exact messages, streams and exit codes (REFERENCE §2.3, §11)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.samples import SAMPLES
from vztui.sim.node import SimNode
from vztui.sim.provision import init_node
from vztui.sim.vzctl import main

PLOOP_DEV = r"/dev/ploop\d+"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "hn1"
    init_node(path)
    return path


def vzctl(root: Path, *argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(SimNode(root), list(argv), out, err)
    return Run(code, out.getvalue(), err.getvalue())


def create_ploop(root: Path, ctid: int = 101, *extra: str) -> Run:
    run = vzctl(root, "create", str(ctid), "--ostemplate", "centos-6-x86_64", *extra)
    assert run.code == 0, run
    return run


def create_simfs(root: Path, ctid: int = 102, *extra: str) -> Run:
    run = vzctl(root, "create", str(ctid), "--ostemplate", "debian-7.0-x86_64-minimal", "--layout", "simfs", *extra)
    assert run.code == 0, run
    return run


def conf(root: Path, ctid: int) -> str:
    return (root / f"etc/vz/conf/{ctid}.conf").read_text()


# --- create ------------------------------------------------------------------------------------------------------


def test_create_simfs_prints_the_real_four_lines(root: Path) -> None:
    run = vzctl(root, "create", "102", "--ostemplate", "debian-7.0-x86_64-minimal", "--layout", "simfs")
    assert run == Run(
        0,
        "Creating container private area (debian-7.0-x86_64-minimal)\n"
        "Performing postcreate actions\n"
        "CT configuration saved to /etc/vz/conf/102.conf\n"
        "Container private area was created\n",
        "",
    )
    assert (root / "vz/private/102/etc/issue").read_text().startswith("Debian GNU/Linux 7")


def test_create_copies_the_sample_byte_for_byte_then_appends_keys(root: Path) -> None:
    create_ploop(root, 101, "--hostname", "web1.example.com", "--ipadd", "10.0.0.5")
    sample = (SAMPLES / "ve-vswap-256m.conf-sample").read_text()
    text = conf(root, 101)
    assert text.startswith(sample)
    assert text[len(sample) :] == (
        'IP_ADDRESS="10.0.0.5"\n'
        'HOSTNAME="web1.example.com"\n'
        'VE_ROOT="/vz/root/$VEID"\n'
        'VE_PRIVATE="/vz/private/$VEID"\n'
        'VE_LAYOUT="ploop"\n'
        'OSTEMPLATE="centos-6-x86_64"\n'
        'ORIGIN_SAMPLE="vswap-256m"\n'
    )


def test_create_ploop_output(root: Path) -> None:
    run = create_ploop(root)
    lines = run.lines
    assert lines[0] == "Creating image: /vz/private/101.tmp/root.hdd/root.hdd size=2306867K"
    assert "Creating container private area (centos-6-x86_64)" in lines
    mount = [line for line in lines if line.startswith("Mounting ") and " at /vz/root/101 " in line]
    assert mount and all(line.endswith("data='balloon_ino=12,' ") for line in mount)
    assert lines[-2:] == ["CT configuration saved to /etc/vz/conf/101.conf", "Container private area was created"]
    assert (root / "vz/private/101/root.hdd/DiskDescriptor.xml").is_file()
    assert run.err == ""


def test_create_with_name_assigns_it_first(root: Path) -> None:
    run = create_simfs(root, 102, "--name", "web1")
    assert run.lines[0] == "Name web1 assigned"
    assert 'NAME="web1"\n' in conf(root, 102)
    assert vzctl(root, "status", "web1").out == "CTID 102 exist unmounted down\n"
    clash = vzctl(root, "create", "103", "--ostemplate", "centos-6-x86_64", "--name", "web1")
    assert clash.code == 131
    assert clash.err == (
        "Conflict: name web1 already used by container 102\nCreation of container private area failed\n"
    )
    assert not (root / "etc/vz/conf/103.conf").exists()


def test_create_over_an_existing_private_area(root: Path) -> None:
    (root / "vz/private/105/etc").mkdir(parents=True)
    run = vzctl(root, "create", "105", "--ostemplate", "centos-6-x86_64")
    assert run == Run(
        44, "", "Private area already exists in /vz/private/105\nCreation of container private area failed\n"
    )
    assert not (root / "etc/vz/conf/105.conf").exists()


def test_create_with_existing_config_warns_on_stdout(root: Path) -> None:
    (root / "etc/vz/conf/106.conf").write_text('DISKSPACE="1G:1G"\n')
    (root / "vz/private/106/etc").mkdir(parents=True)
    run = vzctl(root, "create", "106", "--ostemplate", "centos-6-x86_64")
    assert run.code == 44
    assert run.out == (
        "Warning: CT config file already exists, not applying a default config sample.\n"
        "It might lead to incomplete CT configuration, you can use --applyconfig to fix.\n"
    )
    assert (root / "etc/vz/conf/106.conf").exists()


def test_create_with_unknown_sample(root: Path) -> None:
    run = vzctl(root, "create", "107", "--config", "nosuch")
    assert run == Run(
        82,
        "",
        "Sample config /etc/vz/conf/ve-nosuch.conf-sample not found: No such file or directory\n"
        "Creation of container private area failed\n",
    )


def test_create_with_missing_template(root: Path) -> None:
    run = vzctl(root, "create", "108", "--ostemplate", "nosuch-1-x86_64")
    assert run.code == 91
    assert run.err.endswith(
        "Cached OS template /vz/template/cache/nosuch-1-x86_64.tar[.gz|.bz2|.xz] not found\n"
        "Creation of container private area failed\n"
    )
    assert "vztmpl-dl" in run.err.splitlines()[0]
    assert not (root / "etc/vz/conf/108.conf").exists()


def test_create_ploop_needs_diskspace(root: Path) -> None:
    (root / "etc/vz/conf/ve-nodisk.conf-sample").write_text('PHYSPAGES="0:256M"\nSWAPPAGES="0:512M"\n')
    run = vzctl(root, "create", "109", "--ostemplate", "centos-6-x86_64", "--config", "nodisk")
    assert run == Run(
        63, "", "Error: diskspace not set (required for ploop)\nCreation of container private area failed\n"
    )


def test_create_bad_layout_value(root: Path) -> None:
    assert vzctl(root, "create", "110", "--layout", "zfs") == Run(21, "", "Bad parameter for --layout: zfs\n")


# --- start / stop / restart / status ------------------------------------------------------------------------------


def test_start_and_stop_ploop_match_the_real_transcripts(root: Path) -> None:
    create_ploop(root, 101, "--ipadd", "192.168.0.101")
    start = vzctl(root, "start", "101")
    assert start.code == 0 and start.err == ""
    pattern = (
        r"Starting container\.\.\.\n"
        r"Opening delta /vz/private/101/root\.hdd/root\.hdd\n"
        rf"Adding delta dev=(?P<dev>{PLOOP_DEV}) img=/vz/private/101/root\.hdd/root\.hdd \(rw\)\n"
        r"Mounting (?P=dev)p1 at /vz/root/101 fstype=ext4 data='balloon_ino=12,' \n"
        r"Container is mounted\n"
        r"Adding IP address\(es\): 192\.168\.0\.101\n"
        r"Setting CPU units: 1000\n"
        r"Container start in progress\.\.\.\n"
    )
    match = re.fullmatch(pattern, start.out)
    assert match, start.out
    assert vzctl(root, "status", "101") == Run(0, "CTID 101 exist mounted running\n", "")
    stop = vzctl(root, "stop", "101")
    assert stop == Run(
        0,
        "Stopping container ...\n"
        "Container was stopped\n"
        "Unmounting file system at /vz/root/101\n"
        f"Unmounting device {match['dev']}\n"
        "Container is unmounted\n",
        "",
    )
    assert vzctl(root, "status", "101").out == "CTID 101 exist unmounted down\n"


def test_stop_fast_kills(root: Path) -> None:
    create_ploop(root)
    vzctl(root, "start", "101")
    run = vzctl(root, "stop", "101", "--fast")
    assert run.lines[:2] == ["Killing container ...", "Container was stopped"]
    assert run.lines[-1] == "Container is unmounted"


def test_stop_when_not_running_is_exit_0(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "stop", "102") == Run(0, "", "Unable to stop: container is not running\n")


def test_start_simfs_and_already_running(root: Path) -> None:
    create_simfs(root)
    run = vzctl(root, "start", "102")
    assert run.out == (
        "Starting container...\nContainer is mounted\nSetting CPU units: 1000\nContainer start in progress...\n"
    )
    assert vzctl(root, "start", "102") == Run(32, "", "Container is already running\n")


def test_start_wait(root: Path) -> None:
    create_simfs(root)
    run = vzctl(root, "start", "102", "--wait")
    assert run.lines[-2:] == ["Container start in progress, waiting ...", "Container started successfully"]


def test_start_disabled_needs_force(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "set", "102", "--disabled", "yes", "--save").code == 0
    assert vzctl(root, "start", "102") == Run(105, "", "Container start disabled\n")
    assert vzctl(root, "start", "102", "--force").code == 0


def test_start_without_private_area(root: Path) -> None:
    create_simfs(root)
    (root / "vz/private/102").rename(root / "vz/private/102.moved")
    assert vzctl(root, "start", "102") == Run(43, "", "Container private area /vz/private/102 does not exist\n")


def test_start_writes_missing_layout(root: Path) -> None:
    create_simfs(root)
    path = root / "etc/vz/conf/102.conf"
    path.write_text(path.read_text().replace('VE_LAYOUT="simfs"\n', ""))
    run = vzctl(root, "start", "102")
    assert run.lines[-1] == "Saving VE layout 'simfs' to the VE config file"
    assert conf(root, 102).endswith('VE_LAYOUT="simfs"\n')


def test_restart_prints_restarting_then_stop_and_start(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "restart", "102").lines[:2] == ["Restarting container", "Starting container..."]
    run = vzctl(root, "restart", "102")
    assert run.lines[:3] == ["Restarting container", "Stopping container ...", "Container was stopped"]
    assert run.lines[-1] == "Container start in progress..."


# --- mount / umount / destroy -------------------------------------------------------------------------------------


def test_mount_and_umount(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "mount", "102") == Run(0, "Container is mounted\n", "")
    assert vzctl(root, "mount", "102") == Run(0, "", "Container is already mounted\n")
    assert vzctl(root, "status", "102").out == "CTID 102 exist mounted down\n"
    assert vzctl(root, "umount", "102") == Run(0, "Container is unmounted\n", "")
    assert vzctl(root, "umount", "102") == Run(40, "", "CT is not mounted\n")


def test_umount_of_a_running_ct(root: Path) -> None:
    create_simfs(root)
    vzctl(root, "start", "102")
    assert vzctl(root, "umount", "102") == Run(32, "", "Container is running -- stop it first\n")


def test_destroy_refuses_running_and_mounted_on_stdout(root: Path) -> None:
    create_simfs(root)
    vzctl(root, "start", "102")
    assert vzctl(root, "destroy", "102") == Run(32, "Container is currently running. Stop it first.\n", "")
    vzctl(root, "stop", "102", "--skip-umount")
    assert vzctl(root, "destroy", "102") == Run(41, "Container is currently mounted (umount first)\n", "")


def test_destroy_keeps_the_config_as_destroyed(root: Path) -> None:
    create_simfs(root, 102, "--name", "gone")
    assert vzctl(root, "delete", "102") == Run(
        0, "Destroying container private area: /vz/private/102\nContainer private area was destroyed\n", ""
    )
    assert (root / "etc/vz/conf/102.conf.destroyed").is_file()
    assert not (root / "etc/vz/conf/102.conf").exists()
    assert not (root / "etc/vz/names/gone").exists()
    assert vzctl(root, "status", "102").out == "CTID 102 deleted unmounted down\n"
    assert vzctl(root, "destroy", "102") == Run(14, "", "Container config file does not exist\n")


# --- suspend / resume -------------------------------------------------------------------------------------------


def test_suspend_and_resume(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "suspend", "102") == Run(31, "", "Unable to setup checkpointing: container is not running\n")
    vzctl(root, "start", "102")
    run = vzctl(root, "suspend", "102")
    assert run == Run(
        0,
        "Setting up checkpoint...\n\tsuspend...\n\tdump...\n\tkill...\n"
        "Checkpointing completed successfully\nContainer is unmounted\n",
        "",
    )
    assert (root / "vz/dump/Dump.102").is_file()
    assert vzctl(root, "status", "102").out == "CTID 102 exist unmounted down suspended\n"
    resumed = vzctl(root, "resume", "102")
    assert resumed.code == 0
    assert resumed.lines[0] == "Restoring container ..."
    assert resumed.lines[-1] == "Restoring completed successfully"
    assert "\tundump..." in resumed.lines and "\tresume..." in resumed.lines
    assert not (root / "vz/dump/Dump.102").exists()
    assert vzctl(root, "resume", "102") == Run(32, "", "Unable to perform restore: container already running\n")


def test_resume_without_dump(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "resume", "102") == Run(
        17, "Restoring container ...\n", "Unable to open /vz/dump/Dump.102: No such file or directory\n"
    )


def test_start_restores_from_an_existing_dump(root: Path) -> None:
    create_simfs(root)
    vzctl(root, "start", "102")
    vzctl(root, "suspend", "102")
    run = vzctl(root, "start", "102")
    assert run.lines[:2] == ["Dump file /vz/dump/Dump.102 exists, trying to restore from it", "Restoring container ..."]
    assert vzctl(root, "status", "102").out == "CTID 102 exist mounted running\n"


# --- exec / enter -----------------------------------------------------------------------------------------------


def test_exec_on_a_stopped_ct(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "exec", "102", "true") == Run(8, "", "Container is not running\n")
    assert vzctl(root, "exec2", "102", "true") == Run(31, "", "Container is not running\n")
    assert vzctl(root, "enter", "102") == Run(31, "", "Container is not running\n")


def test_exec_runs_commands_inside(root: Path) -> None:
    create_simfs(root, 102, "--hostname", "db1.example.com")
    vzctl(root, "start", "102")
    assert vzctl(root, "exec", "102", "hostname") == Run(0, "db1.example.com\n", "")
    assert vzctl(root, "exec", "102", "echo", "a", "b") == Run(0, "a b\n", "")
    assert vzctl(root, "exec", "102", "cat /etc/issue").out.startswith("Debian GNU/Linux 7")
    assert vzctl(root, "exec", "102", "uptime").out.startswith(" ")
    assert "load average:" in vzctl(root, "exec", "102", "uptime").out
    assert vzctl(root, "exec", "102", "ps", "aux").lines[0].startswith("USER       PID %CPU %MEM")


def test_exec_failure_codes(root: Path) -> None:
    create_simfs(root)
    vzctl(root, "start", "102")
    assert vzctl(root, "exec", "102", "nosuchcmd") == Run(8, "", "bash: nosuchcmd: command not found\n")
    assert vzctl(root, "exec2", "102", "nosuchcmd") == Run(127, "", "bash: nosuchcmd: command not found\n")
    assert vzctl(root, "exec", "102", "false").code == 8
    assert vzctl(root, "exec2", "102", "exit 3").code == 3
    assert vzctl(root, "exec2", "102", "false || true").code == 0


def test_enter_reads_commands_and_says_entered_and_exited(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    create_simfs(root, 102, "--hostname", "stud1")
    vzctl(root, "start", "102")
    monkeypatch.setattr("sys.stdin", io.StringIO("hostname\nexit\n"))
    run = vzctl(root, "enter", "102")
    assert run.code == 0
    assert run.out.startswith("entered into CT 102\n")
    assert "stud1\n" in run.out
    assert run.out.endswith("logout\nexited from CT 102\n")


# --- quota, snapshots, convert ------------------------------------------------------------------------------------


def test_quota_commands(root: Path) -> None:
    create_ploop(root)
    for command in ("quotaon", "quotaoff", "quotainit"):
        assert vzctl(root, command, "101") == Run(
            0, "CT is on ploop, disk quota is obsoleted, skipping operation\n", ""
        )
    create_simfs(root)
    assert vzctl(root, "quotaon", "102").code == 0
    vzctl(root, "set", "102", "--diskquota", "no", "--save")
    assert vzctl(root, "quotaoff", "102") == Run(66, "Disk quota is not enabled, skipping operation\n", "")
    assert vzctl(root, "quotaon", "102").code == 60
    assert vzctl(root, "quotainit", "102").code == 61


def test_snapshots_need_ploop(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "snapshot", "102") == Run(156, "", "Snapshot feature is only available for ploop-based CTs\n")
    assert vzctl(root, "snapshot-list", "102").code == 167


def test_snapshot_create_list_switch_delete(root: Path) -> None:
    create_ploop(root)
    header = f"{'PARENT_UUID':<38} C {'UUID':<38} {'DATE':<19} {'NAME':<32}\n"
    assert vzctl(root, "snapshot-list", "101") == Run(0, header, "")
    first = vzctl(root, "snapshot", "101", "--name", "before-upgrade")
    assert first.code == 0
    guid = re.fullmatch(r"Creating snapshot (\{[0-9a-f-]{36}\})", first.lines[0])
    assert guid, first.out
    assert first.lines[-1] == f"Snapshot {guid[1]} has been successfully created"
    second = "{12345678-1234-1234-1234-123456789abc}"
    assert vzctl(root, "snapshot", "101", "--id", second.strip("{}")).code == 0
    listing = vzctl(root, "snapshot-list", "101", "-H").lines
    assert len(listing) == 2
    assert listing[0].startswith(" " * 38 + "   " + guid[1] + " ")
    assert listing[0].endswith(" before-upgrade")
    assert listing[1].startswith(f"{guid[1]} * {second} ")
    assert vzctl(root, "snapshot-list", "101", "-H", "-o", "uuid").out == f"{guid[1]}\n{second}\n"
    switched = vzctl(root, "snapshot-switch", "101", "--id", guid[1])
    assert switched.lines == [
        f"Switching to snapshot {guid[1]}",
        "Container has been successfully switched to another snapshot",
    ]
    deleted = vzctl(root, "snapshot-delete", "101", "--id", second)
    assert deleted.lines[0] == f"Deleting snapshot {second}"
    assert deleted.lines[-1] == f"Snapshot {second} has been successfully deleted"
    missing = vzctl(root, "snapshot-delete", "101", "--id", second)
    assert missing == Run(158, "", f"Unable to find snapshot by uuid {second}\nFailed to delete snapshot {second}\n")
    assert vzctl(root, "snapshot-delete", "101") == Run(20, "", "Invalid syntax: snapshot id is missing\n")
    assert vzctl(root, "snapshot-delete", "101", "--id", "xyz") == Run(21, "", "Bad parameter for --id: xyz\n")


def test_snapshot_of_a_running_ct_suspends_it(root: Path) -> None:
    create_ploop(root)
    vzctl(root, "start", "101")
    run = vzctl(root, "snapshot", "101")
    assert "\tsuspend..." in run.lines and "\tdump..." in run.lines and "Resuming..." in run.lines
    assert vzctl(root, "status", "101").out == "CTID 101 exist mounted running\n"


def test_convert_simfs_to_ploop(root: Path) -> None:
    create_simfs(root)
    run = vzctl(root, "convert", "102")
    assert run.code == 0
    assert "Copying content to ploop..." in run.lines
    assert run.lines[-1] == "Container was successfully converted to the ploop layout"
    assert 'VE_LAYOUT="ploop"\n' in conf(root, 102)
    assert vzctl(root, "convert", "102") == Run(0, "CT is already on ploop\n", "")


# --- kernel capabilities and incomplete configs -------------------------------------------------------------------


def test_start_with_missing_ubc_parameters(root: Path) -> None:
    assert vzctl(root, "create", "103", "--ostemplate", "centos-6-x86_64", "--config", "basic").code == 0
    path = root / "etc/vz/conf/103.conf"
    path.write_text(path.read_text().replace('KMEMSIZE="14372700:14790164"\n', "").replace('NUMFILE="9312:9312"\n', ""))
    assert vzctl(root, "start", "103") == Run(
        28,
        "Starting container...\n",
        "Error: required UB parameter kmemsize not set\nError: required UB parameter numfile not set\n",
    )


def test_vswap_config_on_an_old_kernel(tmp_path: Path) -> None:
    from vztui.sim.node import HostSpec

    old = tmp_path / "old"
    init_node(old, host=HostSpec(hostname="old", vswap=False, ploop=False))
    create = vzctl(old, "create", "101", "--ostemplate", "centos-6-x86_64")
    assert create.code == 99
    assert create.err.splitlines()[-3:] == [
        "Alternatively, if you can't or don't want to use ploop, please",
        "add --layout simfs option, or set VE_LAYOUT=simfs in /etc/vz/vz.conf",
        "Creation of container private area failed",
    ]
    assert vzctl(old, "create", "101", "--ostemplate", "centos-6-x86_64", "--layout", "simfs").code == 0
    assert vzctl(old, "start", "101") == Run(
        5,
        "Starting container...\n",
        "Error: detected vswap CT config but kernel does not support vswap\n"
        "This means either old kernel or bad config (physpages NOT set to 0:unlimited)\n",
    )
    assert vzctl(old, "set", "101", "--ram", "1G", "--save") == Run(
        3,
        "",
        "Error: kernel does not support vswap, unable to use --ram/--swap parameters\nError parsing options\n",
    )


def test_runscript_on_a_stopped_ct_mounts_it_around_the_script(root: Path) -> None:
    create_simfs(root, 102, "--hostname", "db1")
    script = root / "root" / "check.sh"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("#!/bin/bash\ncat /etc/hostname\necho done\n")
    assert vzctl(root, "runscript", "102", "/root/check.sh") == Run(
        0, "Container is mounted\ndb1\ndone\nContainer is unmounted\n", ""
    )
    assert vzctl(root, "runscript", "102") == Run(20, "", "Script not specified\n")


def test_compact(root: Path) -> None:
    create_simfs(root)
    assert vzctl(root, "compact", "102") == Run(0, "Compact only makes sense for ploop containers\n", "")
    create_ploop(root)
    run = vzctl(root, "compact", "101")
    assert run.code == 0
    assert run.lines[-1] == "Container is unmounted"


def test_userpasswd_on_a_stopped_ct_starts_and_kills_it(root: Path) -> None:
    create_simfs(root)
    run = vzctl(root, "set", "102", "--userpasswd", "root:secret", "--save")
    assert run == Run(
        0,
        "Starting container...\nContainer is mounted\nContainer start in progress...\n"
        "Killing container ...\nContainer was stopped\nContainer is unmounted\n"
        "CT configuration saved to /etc/vz/conf/102.conf\n",
        "",
    )
    assert vzctl(root, "status", "102").out == "CTID 102 exist unmounted down\n"
    # Without --save, vzctl 4.11.1 goes on to apply the vswap-derived UBCs to the (again) stopped CT and fails.
    assert vzctl(root, "set", "102", "--userpasswd", "root:secret").err == (
        "Unable to apply UBC parameters: container is not running\n"
    )


def test_snapshot_mount_umount_and_list_options(root: Path) -> None:
    create_ploop(root)
    guid = "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}"
    assert vzctl(root, "snapshot", "101", "--id", guid, "--description", "base").code == 0
    mounted = vzctl(root, "snapshot-mount", "101", "--id", guid, "--target", "/mnt/snap")
    assert mounted.lines[0] == f"Mounting snapshot {guid} to /mnt/snap"
    assert vzctl(root, "snapshot-list", "101", "-H", "-o", "uuid,target").out == f"{guid} /mnt/snap\n"
    assert vzctl(root, "snapshot-umount", "101", "--id", guid).lines[0] == f"Umounting snapshot {guid}"
    assert vzctl(root, "snapshot-mount", "101", "--id", guid) == Run(
        20, "", "Invalid syntax: mount target is missing\n"
    )
    assert vzctl(root, "snapshot-list", "101", "-H", "-o", "desc", "--id", guid).out == "base\n"
    listing = vzctl(root, "snapshot-list", "101", "-L").lines
    assert listing[0] == f"{'uuid':<15} {'UUID':<15}"
    assert len(listing) == 10
    assert vzctl(root, "snapshot-list", "101", "-o", "bogus") == Run(21, "", "Unknown field: bogus\n")
    assert vzctl(root, "snapshot-list", "101", "--id", "nope") == Run(21, "", "Invalid guid is specified: nope\n")
    switch = vzctl(root, "snapshot-switch", "101", "--id", guid, "--skip-resume", "--must-resume")
    assert switch == Run(20, "", "Invalid syntax: --skip-resume and --must-resume can not be used together\n")


def test_verbose_shows_level_1_messages(root: Path) -> None:
    create_simfs(root)
    vzctl(root, "start", "102")
    run = vzctl(root, "--verbose", "exec", "102", "hostname")
    assert run.lines[0] == "Executing command: hostname "


def test_proc_files_inside_the_ct_show_only_its_own_block(root: Path) -> None:
    create_simfs(root)
    vzctl(root, "start", "102")
    lines = vzctl(root, "exec", "102", "cat", "/proc/user_beancounters").lines
    assert lines[0] == "Version: 2.5"
    assert lines[1].split() == ["uid", "resource", "held", "maxheld", "barrier", "limit", "failcnt"]
    assert len(lines) == 2 + 24
    assert lines[2].startswith("      102:  kmemsize ")
    assert sum(line.split()[0] == "dummy" for line in lines[3:]) == 4
    loadavg = vzctl(root, "exec", "102", "cat /proc/loadavg").out.split()
    assert len(loadavg) == 5 and loadavg[3].startswith("1/")
    assert vzctl(root, "exec", "102", "cat /proc/meminfo").lines[0] == "MemTotal:         262144 kB"


def test_template_cache_lookup_order(root: Path) -> None:
    run = vzctl(root, "--verbose", "create", "111", "--ostemplate", "centos-6-x86_64", "--layout", "simfs")
    looked = [line for line in run.lines if line.startswith("Looking for ")]
    assert looked == [
        "Looking for /vz/template/cache/centos-6-x86_64.tar",
        "Looking for /vz/template/cache/centos-6-x86_64.tar.gz",
    ]
    missing = vzctl(root, "--verbose", "create", "112", "--ostemplate", "nosuch-1", "--layout", "simfs")
    assert [line[len("Looking for /vz/template/cache/") :] for line in missing.lines if "Looking" in line][:4] == [
        "nosuch-1.tar",
        "nosuch-1.tar.gz",
        "nosuch-1.tar.bz2",
        "nosuch-1.tar.xz",
    ]


def test_an_address_in_use_by_another_running_ct(root: Path) -> None:
    create_simfs(root, 102, "--ipadd", "10.0.0.5")
    create_simfs(root, 103, "--ipadd", "10.0.0.5")
    vzctl(root, "start", "102")
    run = vzctl(root, "start", "103")
    assert run == Run(
        78,
        "Starting container...\nContainer is mounted\nAdding IP address(es): 10.0.0.5\n"
        "Killing container ...\nContainer was stopped\nContainer is unmounted\n",
        "Unable to add IP 10.0.0.5: Address already in use\n"
        'Container start failed (try to check kernel messages, e.g. "dmesg | tail")\n',
    )
    assert vzctl(root, "status", "103").out == "CTID 103 exist unmounted down\n"
    create_simfs(root, 104)
    vzctl(root, "start", "104")
    clash = vzctl(root, "set", "104", "--ipadd", "10.0.0.5", "--save")
    assert clash.code == 78
    assert clash.err == (
        "Unable to add IP 10.0.0.5: Address already in use\n"
        "Error: failed to apply some parameters, not saving configuration file!\n"
    )


def test_exec_pipelines_and_redirections(root: Path) -> None:
    create_simfs(root)
    vzctl(root, "start", "102")
    assert vzctl(root, "exec", "102", "echo", "hello", ">", "/tmp/greeting") == Run(0, "", "")
    assert (root / "vz/private/102/tmp/greeting").read_text() == "hello\n"
    assert vzctl(root, "exec", "102", "echo again >> /tmp/greeting; wc -l < /tmp/greeting").out == "2\n"
    assert vzctl(root, "exec", "102", "cat /tmp/greeting | grep -c again").out == "1\n"
    assert vzctl(root, "exec2", "102", "cat /tmp/greeting | grep nothing").code == 1
    assert vzctl(root, "exec", "102", "ls / | head -2").out == "bin\ndev\n"
    assert vzctl(root, "exec2", "102", "echo a |").code == 2
