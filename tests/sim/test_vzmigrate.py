"""vzmigrate between simulated nodes: phases on the right stream and the script's exit codes (REFERENCE §6.6)."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from vztui.sim import vzmigrate
from vztui.sim.node import HostSpec, SimNode
from vztui.sim.provision import init_node
from vztui.sim.vzctl import main as vzctl_main


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
def cluster(tmp_path: Path) -> Path:
    init_node(tmp_path / "hn1", host=HostSpec(hostname="hn1"))
    init_node(tmp_path / "hn2", host=HostSpec(hostname="hn2"))
    init_node(tmp_path / "hn3", host=HostSpec(hostname="hn3"), vzconf_overrides={"VE_PRIVATE": "/vz2/private/$VEID"})
    init_node(tmp_path / "hn4", host=HostSpec(hostname="hn4", ploop=False))
    return tmp_path


def vzctl(root: Path, *argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = vzctl_main(SimNode(root), list(argv), out, err)
    return Run(code, out.getvalue(), err.getvalue())


def migrate(root: Path, *argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = vzmigrate.main(SimNode(root), list(argv), out, err)
    return Run(code, out.getvalue(), err.getvalue())


def make_ct(root: Path, ctid: int = 101, *extra: str, layout: str = "ploop") -> None:
    run = vzctl(root, "create", str(ctid), "--ostemplate", "centos-6-x86_64", "--layout", layout, *extra)
    assert run.code == 0, run


def test_no_arguments_prints_usage(cluster: Path) -> None:
    run = migrate(cluster / "hn1")
    assert run.code == 0
    assert run.out.startswith("This program is used for container migration to another node.\nUsage:\n")


def test_bad_usage_goes_to_stdout_with_exit_1(cluster: Path) -> None:
    assert migrate(cluster / "hn1", "hn2") == Run(
        1,
        "Invalid usage: not enough parameters\n\nFor command line syntax, please check\n"
        "  vzmigrate --help\n  man vzmigrate\n",
        "",
    )
    bogus = migrate(cluster / "hn1", "--bogus", "hn2", "101")
    assert bogus.code == 1
    assert bogus.err == "vzmigrate: unrecognized option '--bogus'\n"
    assert migrate(cluster / "hn1", "-r", "maybe", "hn2", "101").lines[0] == "Invalid usage: bad argument for -r: maybe"


def test_absent_ct_is_exit_10(cluster: Path) -> None:
    assert migrate(cluster / "hn1", "hn2", "101") == Run(10, "Locked CT 101\n", "Error: CT #101 doesn't exist\n")
    assert not (cluster / "hn1" / "vz/lock/101.lck").exists()


def test_live_migration_of_a_stopped_ct_is_exit_2(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    assert migrate(cluster / "hn1", "--live", "hn2", "101") == Run(
        2, "Locked CT 101\n", "Error: Can't perform live migration of a stopped container\n"
    )


def test_unreachable_destination_is_exit_4(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    run = migrate(cluster / "hn1", "nowhere", "101")
    assert run.code == 4
    assert run.out == "Locked CT 101\nStarting migration of CT 101 to nowhere\n"
    assert run.err == (
        "Error: Can't connect to destination address using public key\n"
        "Error: Please put your public key to destination node\n"
    )


def test_ct_present_on_destination_is_exit_9(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    make_ct(cluster / "hn2")
    assert migrate(cluster / "hn1", "hn2", "101").err == "Error: CT #101 already exists on destination node\n"
    assert migrate(cluster / "hn1", "hn2", "101").code == 9


def test_ip_in_use_on_destination_is_exit_12(cluster: Path) -> None:
    make_ct(cluster / "hn1", 101, "--ipadd", "10.1.1.1")
    make_ct(cluster / "hn2", 201, "--ipadd", "10.1.1.1")
    vzctl(cluster / "hn2", "start", "201")
    run = migrate(cluster / "hn1", "hn2", "101")
    assert run == Run(
        12,
        "Locked CT 101\nStarting migration of CT 101 to hn2\n",
        "Error: IP address(es) already in use on destination node\n",
    )


def test_ploop_unsupported_on_destination_is_exit_16(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    run = migrate(cluster / "hn1", "hn4", "101")
    assert run.code == 16
    assert run.err == "Error: Destination node does not support ploop, can't migrate\n"


def test_different_private_paths_are_refused(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    run = migrate(cluster / "hn1", "hn3", "101")
    assert run.code == 15
    assert run.out == (
        "Locked CT 101\nStarting migration of CT 101 to hn3\n"
        "Remote VE_PRIVATE path differs from local 101.conf\nUsing /vz2/private/101 for syncing\n"
    )
    assert run.err == "Error: Failed to apply config on destination node\n"
    assert vzctl(cluster / "hn1", "status", "101").out == "CTID 101 exist unmounted down\n"


def test_locked_ct_is_exit_20(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    holder = subprocess.Popen(["sleep", "30"])
    try:
        (cluster / "hn1" / "vz/lock/101.lck").write_text(f"{holder.pid}\n\n")
        run = migrate(cluster / "hn1", "hn2", "101")
        assert run.code == 20
        assert run.err == f"Error: CT 101 already locked by PID {holder.pid}\n"
        assert run.lines[0] == "UID        PID  PPID  C STIME TTY          TIME CMD"
    finally:
        holder.kill()
        holder.wait()


def test_check_only_changes_nothing(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    run = migrate(cluster / "hn1", "--check-only", "hn2", "101")
    assert run == Run(0, "Locked CT 101\nChecking migration of CT 101 to hn2\n", "")
    assert vzctl(cluster / "hn2", "status", "101").out == "CTID 101 deleted unmounted down\n"


def test_offline_migration_of_a_running_ploop_ct(cluster: Path) -> None:
    make_ct(cluster / "hn1", 101, "--ipadd", "10.1.1.1", "--name", "web1")
    vzctl(cluster / "hn1", "start", "101")
    run = migrate(cluster / "hn1", "hn2", "web1")
    assert run == Run(
        0,
        "Locked CT 101\n"
        "Starting migration of CT 101 to hn2\n"
        "Preparing remote node\n"
        "Syncing private\n"
        "Copying top ploop delta with CT stop\n"
        "Unmounting container\n"
        "Starting container\n"
        "Cleaning up\n",
        "",
    )
    assert vzctl(cluster / "hn2", "status", "web1").out == "CTID 101 exist mounted running\n"
    assert vzctl(cluster / "hn1", "status", "101").out == "CTID 101 deleted unmounted down\n"
    assert not (cluster / "hn1" / "etc/vz/conf/101.conf").exists()


def test_offline_migration_of_a_stopped_simfs_ct_keeping_the_area(cluster: Path) -> None:
    make_ct(cluster / "hn1", 102, layout="simfs")
    run = migrate(cluster / "hn1", "-r", "no", "hn2", "102")
    assert run.lines == [
        "Locked CT 102",
        "Starting migration of CT 102 to hn2",
        "Preparing remote node",
        "Initializing remote quota",
        "Syncing private",
        "Syncing 2nd level quota",
        "Turning quota off",
        "Cleaning up",
    ]
    assert (cluster / "hn1" / "etc/vz/conf/102.conf.migrated").is_file()
    assert (cluster / "hn2" / "vz/private/102/etc/issue").is_file()
    assert vzctl(cluster / "hn2", "status", "102").out == "CTID 102 exist unmounted down\n"


def test_live_migration(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    vzctl(cluster / "hn1", "start", "101")
    run = migrate(cluster / "hn1", "--live", "hn2", "101")
    assert run == Run(
        0,
        "Locked CT 101\n"
        "Starting live migration of CT 101 to hn2\n"
        "Preparing remote node\n"
        "Syncing private\n"
        "Live migrating container...\n"
        "Cleaning up\n",
        "",
    )
    assert vzctl(cluster / "hn2", "status", "101").out == "CTID 101 exist mounted running\n"


def test_verbose_adds_indented_debug_lines(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    run = migrate(cluster / "hn1", "-v", "--check-only", "hn2", "101")
    assert run.lines[0] == "   Loading /etc/vz/vz.conf"
    assert "   Checking if ploop is supported on destination node" in run.lines


def test_live_migration_to_an_older_kernel_is_exit_17(tmp_path: Path) -> None:
    init_node(tmp_path / "new", host=HostSpec(hostname="new", kernel="2.6.32-042stab134.8"))
    init_node(tmp_path / "old", host=HostSpec(hostname="old", kernel="2.6.32-042stab120.11"))
    make_ct(tmp_path / "new")
    vzctl(tmp_path / "new", "start", "101")
    run = migrate(tmp_path / "new", "--live", "old", "101")
    assert run.code == 17
    assert run.err == (
        "Error: CPT version check failed on destination node!\n"
        "Error: Destination node kernel is too old, please upgrade\n"
        "Error: Can't continue live migration\n"
    )
    assert migrate(tmp_path / "new", "old", "101").code == 0


def test_live_migration_to_another_cpu_needs_nodeps(tmp_path: Path) -> None:
    init_node(tmp_path / "a", host=HostSpec(hostname="a"))
    init_node(tmp_path / "b", host=HostSpec(hostname="b", cpu_model="AMD Opteron(tm) Processor 6272"))
    make_ct(tmp_path / "a")
    vzctl(tmp_path / "a", "start", "101")
    refused = migrate(tmp_path / "a", "--live", "b", "101")
    assert refused.code == 18
    assert refused.err.splitlines() == [
        "Error: CPU capabilities check failed!",
        "Error: Destination node CPU is not compatible",
        "Error: Can't continue live migration",
    ]
    forced = migrate(tmp_path / "a", "--live", "--nodeps=cpu", "b", "101")
    assert forced.code == 0
    assert "Ignoring the above error (migration can fail)..." in forced.lines
    assert migrate(tmp_path / "a", "--nodeps=bogus", "b", "101").lines[0] == (
        "Invalid usage: unknown --nodeps argument: bogus"
    )


def test_live_migration_times(cluster: Path) -> None:
    make_ct(cluster / "hn1")
    vzctl(cluster / "hn1", "start", "101")
    run = migrate(cluster / "hn1", "--live", "-t", "hn2", "101")
    assert run.code == 0
    labels = [line.split(":")[0].strip() for line in run.lines if line.startswith("  ") and ":" in line]
    assert labels == [
        "Suspend + Dump",
        "Pcopy after suspend",
        "Copy dump file",
        "Undump + Resume",
        "Total suspended time",
    ]
    assert f"  {' ':>20}  ------" in run.lines
    assert run.lines[-1] == "Cleaning up"
