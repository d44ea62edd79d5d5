"""``vzctl set`` through the simulator: live application, --save semantics, §11's saved files byte for byte.

The §11 replays run the real command line (``vztui-sim run ROOT vzctl set …``) in a subprocess; the expected
files are written out by hand from the reference text.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.samples import SAMPLES
from vztui.sim.node import SimNode
from vztui.sim.provision import init_node
from vztui.sim.vzctl import main

CREATE_KEYS = (
    'VE_ROOT="/vz/root/$VEID"\n'
    'VE_PRIVATE="/vz/private/$VEID"\n'
    'VE_LAYOUT="ploop"\n'
    'OSTEMPLATE="centos-6-x86_64"\n'
    'ORIGIN_SAMPLE="vswap-256m"\n'
)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "hn1"
    init_node(path)
    assert vzctl(path, "create", "101", "--ostemplate", "centos-6-x86_64").code == 0
    return path


def vzctl(root: Path, *argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(SimNode(root), list(argv), out, err)
    return Run(code, out.getvalue(), err.getvalue())


def sim_run(root: Path, *argv: str) -> Run:
    """``vztui-sim run ROOT vzctl ...`` as a separate process, exactly as an admin's shell would run it."""
    env = {**os.environ, "VZTUI_SIM_SPEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "vztui.sim.cli", "run", str(root), "vzctl", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def created() -> str:
    return (SAMPLES / "ve-vswap-256m.conf-sample").read_text() + CREATE_KEYS


def conf(root: Path) -> str:
    return (root / "etc/vz/conf/101.conf").read_text()


# --- REFERENCE §11 replayed through the command line ------------------------------------------------------------


def test_section11_main_example_appends_in_vzctl_order(root: Path) -> None:
    run = sim_run(
        root,
        *("set", "101", "--cpus", "0", "--hostname", "web1", "--cpulimit", "250", "--ipadd", "10.0.1.5/24"),
        *("--numproc", "240", "--lockedpages", "131072:unlimited", "--save"),
    )
    assert run == Run(0, "CT configuration saved to /etc/vz/conf/101.conf\n", "")
    assert conf(root) == created() + (
        'LOCKEDPAGES="131072:unlimited"\n'
        'NUMPROC="240"\n'
        'IP_ADDRESS="10.0.1.5/24"\n'
        'HOSTNAME="web1"\n'
        'CPULIMIT="250"\n'
        'CPUS="0"\n'
    )


def test_section11_existing_keys_are_rewritten_in_place(root: Path) -> None:
    run = sim_run(root, "set", "101", "--ram", "512M", "--swap", "1G", "--diskspace", "10G:11G", "--save")
    assert run.code == 0
    expected = (
        created()
        .replace('PHYSPAGES="0:256M"', 'PHYSPAGES="0:131072"')
        .replace('SWAPPAGES="0:512M"', 'SWAPPAGES="0:262144"')
        .replace('DISKSPACE="2G:2.2G"', 'DISKSPACE="10485760:11534336"')
    )
    assert conf(root) == expected


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--swap", "0"), 'SWAPPAGES="0"\n'),
        (("--ram", "-1"), 'PHYSPAGES="0"\n'),
        (("--numproc", "unlimited"), 'NUMPROC="unlimited"\n'),
        (("--numproc", "100:200"), 'NUMPROC="100:200"\n'),
        (("--kmemsize", "14M:16M"), 'KMEMSIZE="14680064:16777216"\n'),
        (("--privvmpages", "1G:1100M"), 'PRIVVMPAGES="262144:281600"\n'),
        (("--diskspace", "3000M"), 'DISKSPACE="3072000:3072000"\n'),
        (("--diskinodes", "384000"), 'DISKINODES="384000:384000"\n'),
        (("--hostname", "a;b"), 'HOSTNAME="a;b"\n'),
        (("--nameserver", "8.8.8.8", "--nameserver", "8.8.4.4"), 'NAMESERVER="8.8.8.8 8.8.4.4"\n'),
        (("--capability", "net_admin:on"), 'CAPABILITY="NET_ADMIN:on"\n'),
        (("--iolimit", "10"), 'IOLIMIT="10485760"\n'),
        (("--vm_overcommit", "1.5"), 'VM_OVERCOMMIT="1.5"\n'),
        (("--devnodes", "net/tun:rw"), 'DEVNODES="net/tun:rw "\n'),
    ],
)
def test_section11_values(root: Path, args: tuple[str, ...], line: str) -> None:
    run = vzctl(root, "set", "101", *args, "--save")
    assert run.code == 0, run
    assert line in conf(root).splitlines(keepends=True)


def test_section11_ipadd_twice_moves_the_address_to_the_end(root: Path) -> None:
    vzctl(root, "set", "101", "--ipadd", "10.0.0.1", "--ipadd", "10.0.0.2", "--save")
    vzctl(root, "set", "101", "--ipadd", "10.0.0.1", "--save")
    assert 'IP_ADDRESS="10.0.0.2 10.0.0.1"\n' in conf(root)
    assert vzctl(root, "set", "101", "--ipdel", "10.9.9.9", "--save").code == 0
    vzctl(root, "set", "101", "--ipdel", "all", "--save")
    assert 'IP_ADDRESS=""\n' in conf(root)


def test_section11_name_is_announced_before_the_save(root: Path) -> None:
    run = vzctl(root, "set", "101", "--name", "web1", "--save")
    assert run == Run(0, "Name web1 assigned\nCT configuration saved to /etc/vz/conf/101.conf\n", "")
    assert vzctl(root, "status", "web1").out == "CTID 101 exist unmounted down\n"


def test_section11_applyconfig_basic(root: Path) -> None:
    vzctl(root, "set", "101", "--hostname", "keep.me", "--save")
    run = vzctl(root, "set", "101", "--applyconfig", "basic", "--save")
    assert run.code == 0
    text = conf(root)
    assert 'KMEMSIZE="14372700:14790164"\n' in text
    assert 'ORIGIN_SAMPLE="basic"\n' in text
    assert 'HOSTNAME="keep.me"\n' in text


def test_section11_errors(root: Path) -> None:
    assert vzctl(root, "set", "101", "--onboot", "maybe") == Run(21, "", "Bad parameter for --onboot: maybe\n")
    assert vzctl(root, "set", "101", "--cpuunits", "0") == Run(21, "", "Bad parameter for --cpuunits: 0\n")
    assert vzctl(root, "set", "101", "--ipadd", "999.1.1.1") == Run(21, "", "Bad parameter for --ipadd: 999.1.1.1\n")
    missing = vzctl(root, "set", "101", "--applyconfig", "nosuch", "--save")
    assert missing == Run(
        109,
        "",
        "Sample config file not found: /etc/vz/conf/ve-nosuch.conf-sample\n"
        "Error: failed to apply some parameters, not saving configuration file!\n",
    )


def test_section11_set_on_a_ct_without_config(root: Path) -> None:
    run = vzctl(root, "set", "999", "--ram", "512M", "--save")
    assert run == Run(
        28,
        "",
        "Error: required UB parameter (swap) not set\n"
        "Error: failed to apply some parameters, not saving configuration file!\n",
    )
    created_now = vzctl(root, "set", "998", "--onboot", "yes", "--save")
    assert created_now == Run(
        0,
        "CT configuration saved to /etc/vz/conf/998.conf\n",
        "WARNING: /etc/vz/conf/998.conf not found: No such file or directory\n",
    )
    assert (root / "etc/vz/conf/998.conf").read_text() == 'ONBOOT="yes"\n'


# --- stopped vs running ---------------------------------------------------------------------------------------------


def test_stopped_ct_without_save_is_exit_31(root: Path) -> None:
    assert vzctl(root, "set", "101", "--cpus", "2") == Run(
        31, "", "Unable to apply UBC parameters: container is not running\n"
    )


def test_stopped_ct_with_save_prints_only_the_save_line(root: Path) -> None:
    assert vzctl(root, "set", "101", "--onboot", "yes", "--save") == Run(
        0, "CT configuration saved to /etc/vz/conf/101.conf\n", ""
    )


def test_running_vswap_ct_always_reports_ub_limits(root: Path) -> None:
    vzctl(root, "start", "101")
    run = vzctl(root, "set", "101", "--cpus", "2", "--save")
    assert run == Run(
        0, "UB limits were set successfully\nSetting CPUs: 2\nCT configuration saved to /etc/vz/conf/101.conf\n", ""
    )
    live = vzctl(root, "set", "101", "--ipadd", "10.0.0.7", "--cpulimit", "50")
    assert live == Run(
        0,
        "UB limits were set successfully\n"
        "Adding IP address(es): 10.0.0.7\n"
        "Setting CPU limit: 50\n"
        "WARNING: Settings were not saved to config and will be lost after CT restart (use --save flag)\n",
        "",
    )
    assert "10.0.0.7" not in conf(root)


def test_running_ploop_diskspace_resize(root: Path) -> None:
    vzctl(root, "start", "101")
    assert vzctl(root, "set", "101", "--diskspace", "2G") == Run(
        20, "", "Error: can't use --diskspace without --save for a ploop-based container\n"
    )
    shrink = vzctl(root, "set", "101", "--diskspace", "2G", "--save").out.splitlines()
    assert shrink == [
        "dumpe2fs 1.41.12 (17-May-2010)",
        "Changing balloon size old_size=0 new_size=214749184",
        "Successfully inflated balloon from 0 to 214749184 bytes",
        "UB limits were set successfully",
        "CT configuration saved to /etc/vz/conf/101.conf",
    ]
    # Growing back inside the image truncates the balloon: the shape of the real capture (REFERENCE samples).
    grow = vzctl(root, "set", "101", "--diskspace", "2100M", "--save").out.splitlines()
    assert grow[1] == "Changing balloon size old_size=214749184 new_size=160223232"
    assert grow[2] == "Successfully truncated balloon from 214749184 to 160223232 bytes"
    assert grow[-2:] == ["UB limits were set successfully", "CT configuration saved to /etc/vz/conf/101.conf"]


def test_restart_only_parameters_need_setmode(root: Path) -> None:
    vzctl(root, "start", "101")
    run = vzctl(root, "set", "101", "--features", "nfs:on", "--save")
    assert run.code == 0
    assert run.err == (
        "Unable to set features on a running container\n"
        "WARNING: Some of the parameters could not be applied to a running container.\n"
        "\tPlease consider using --setmode option\n"
    )
    assert vzctl(root, "set", "101", "--capability", "net_admin:on", "--setmode", "ignore", "--save").code == 32
    restarted = vzctl(root, "set", "101", "--capability", "net_admin:on", "--setmode", "restart", "--save")
    assert restarted.code == 0
    assert restarted.out.startswith("Restarting container\nStopping container ...\n")
    assert restarted.out.endswith("CT configuration saved to /etc/vz/conf/101.conf\n")


def test_save_only_options(root: Path) -> None:
    assert vzctl(root, "set", "101", "--name", "x") == Run(
        131, "", "Error: unable to use --name option without --save\n"
    )
    assert vzctl(root, "set", "101", "--ostemplate", "x").code == 20
    assert vzctl(root, "set", "101", "--reset_ub", "--cpus", "1") == Run(
        20, "", "Error: option --reset_ub is exclusive\n"
    )
    assert vzctl(root, "set", "101", "--reset_ub") == Run(31, "", "Container is not running\n")


def test_name_conflict(root: Path) -> None:
    assert vzctl(root, "create", "102", "--ostemplate", "centos-6-x86_64", "--name", "taken").code == 0
    assert vzctl(root, "set", "101", "--name", "taken", "--save") == Run(
        131,
        "",
        "Conflict: name taken already used by container 102\n"
        "Error: failed to apply some parameters, not saving configuration file!\n",
    )


def test_stopped_non_vswap_ct_without_live_parameters_only_warns(root: Path) -> None:
    assert vzctl(root, "create", "103", "--ostemplate", "centos-6-x86_64", "--config", "basic").code == 0
    assert vzctl(root, "set", "103", "--onboot", "yes") == Run(
        0, "WARNING: Settings were not saved to config (use --save flag)\n", ""
    )
    assert vzctl(root, "set", "103", "--hostname", "h1") == Run(
        0,
        "Unable to configure container: not running\nWARNING: Settings were not saved to config (use --save flag)\n",
        "",
    )


def test_stopped_vswap_ct_refuses_any_set_without_save(root: Path) -> None:
    assert vzctl(root, "set", "101", "--onboot", "yes") == Run(
        31, "", "Unable to apply UBC parameters: container is not running\n"
    )


def test_ct0_set_applies_to_the_host_and_saves_0_conf(root: Path) -> None:
    assert vzctl(root, "set", "0", "--cpuunits", "1500") == Run(
        0, "Setting CPU units: 1500\nWARNING: Settings were not saved to config (use --save flag)\n", ""
    )
    run = vzctl(root, "set", "0", "--numproc", "1000", "--save")
    assert run == Run(0, "UB limits were set successfully\nCT configuration saved to /etc/vz/conf/0.conf\n", "")
    assert (root / "etc/vz/conf/0.conf").read_text().endswith('NUMPROC="1000"\n')


def test_unsaved_live_values_are_remembered_until_the_ct_stops(root: Path) -> None:
    vzctl(root, "start", "101")
    vzctl(root, "set", "101", "--ipadd", "10.0.0.9", "--numproc", "300")
    live = SimNode(root).runtime(101).extra["live_conf"]
    assert live == {"IP_ADDRESS": "10.0.0.9", "NUMPROC": "300"}
    vzctl(root, "set", "101", "--numproc", "300", "--save")
    assert SimNode(root).runtime(101).extra["live_conf"] == {"IP_ADDRESS": "10.0.0.9"}
    vzctl(root, "stop", "101")
    assert "live_conf" not in SimNode(root).runtime(101).extra


def test_stopped_ploop_diskspace_resize_uses_a_scratch_mount(root: Path) -> None:
    run = vzctl(root, "set", "101", "--diskspace", "4G", "--save")
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0] == "Opening delta /vz/private/101/root.hdd/root.hdd"
    assert lines[3] == "dumpe2fs 1.41.12 (17-May-2010)"
    assert lines[4].endswith("sectors (new size=8388608)")
    assert lines[-1] == "CT configuration saved to /etc/vz/conf/101.conf"
    assert vzctl(root, "status", "101").out == "CTID 101 exist unmounted down\n"
    assert 'DISKSPACE="4194304:4194304"\n' in conf(root)


def test_setmode_restart_starts_with_the_new_parameters(root: Path) -> None:
    vzctl(root, "start", "101")
    run = vzctl(root, "set", "101", "--features", "nfs:on", "--ipadd", "10.0.0.77", "--setmode", "restart", "--save")
    assert run.code == 0
    assert "Adding IP address(es): 10.0.0.77" in run.out.splitlines()
    assert 'FEATURES="nfs:on"\n' in conf(root)
