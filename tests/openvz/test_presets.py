"""The ispbasic preset and the seed's create-then-set sequence (issue 7)."""

from __future__ import annotations

import pytest

from vztui.openvz.conf import apply_set, create_config
from vztui.openvz.conflines import read_config_request
from vztui.openvz.errors import ValidationError
from vztui.openvz.presets import ISPBASIC, Preset, create_plan, create_plan_argvs, sample_text
from vztui.openvz.setparams import parse_create_args, parse_set_args
from vztui.openvz.units import LONG_MAX


def test_ispbasic_carries_the_seed_values() -> None:
    assert dict(ISPBASIC.params) == {
        "quotaugidlimit": "2048",
        "diskspace": "3000M",
        "diskinodes": "384000",
        "swap": "1024M",
        "ram": "512M",
        "lockedpages": "131072:unlimited",
        "oomguarpages": "131072:unlimited",
        "vmguarpages": "393216",
        "privvmpages": "unlimited:unlimited",
        "cpus": "1",
        "cpuunits": "100",
        "cpulimit": "100",
        "numproc": "unlimited",
        "numfile": "unlimited",
        "numtcpsock": "unlimited",
        "numothersock": "unlimited",
        "tcprcvbuf": "unlimited",
    }


def test_create_plan_follows_the_seed_order() -> None:
    plan = create_plan_argvs(101, ostemplate="centos-6-x86_64", layout="ploop", hostname="web1", ips=["10.0.0.5"])
    assert plan[0] == [
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
    assert plan[1:5] == [
        ["vzctl", "set", "101", "--quotaugidlimit", "2048", "--save"],
        ["vzctl", "set", "101", "--ipadd", "10.0.0.5", "--save"],
        ["vzctl", "set", "101", "--hostname", "web1", "--save"],
        ["vzlist", "-H", "-o", "layout", "101"],
    ]
    assert [argv[3] for argv in plan[5:]] == [
        "--diskspace",
        "--diskinodes",
        "--swap",
        "--ram",
        "--lockedpages",
        "--oomguarpages",
        "--vmguarpages",
        "--privvmpages",
        "--cpus",
        "--cpuunits",
        "--cpulimit",
        "--numproc",
        "--numfile",
        "--numtcpsock",
        "--numothersock",
        "--tcprcvbuf",
    ]
    assert all(argv[-1] == "--save" for argv in plan[5:])


def test_empty_values_are_skipped_not_sent_empty() -> None:
    plan = create_plan_argvs(101, ostemplate="centos-6-x86_64", hostname="", ips=["", "  "])
    flat = [arg for argv in plan for arg in argv]
    assert "--ipadd" not in flat
    assert "--hostname" not in flat
    assert "" not in flat


def test_read_back_is_the_only_read_only_step() -> None:
    steps = create_plan(101, ostemplate="centos-6-x86_64")
    assert [step.argv[0] for step in steps if not step.mutating] == ["vzlist"]


def test_plan_refuses_bad_input_before_anything_runs() -> None:
    with pytest.raises(ValidationError):
        create_plan_argvs(101, ostemplate="centos-6-x86_64", hostname="a;b")
    with pytest.raises(ValidationError):
        create_plan_argvs(101, ostemplate="centos-6-x86_64", ips=["999.0.0.1"])
    with pytest.raises(ValidationError):
        create_plan_argvs(50, ostemplate="centos-6-x86_64")


def test_the_plan_ends_with_the_config_the_same_vzctl_calls_produce() -> None:
    plan = create_plan_argvs(101, ostemplate="centos-6-x86_64", hostname="web1", ips=["10.0.0.5"])
    conf = create_config(
        sample_text(),
        parse_create_args(plan[0][3:]),
        sample_name="ispbasic",
        ve_root="/vz/root/$VEID",
        ve_private="/vz/private/$VEID",
        layout="ploop",
        ostemplate="centos-6-x86",
        ctid=101,
    )
    assert conf.endswith('OSTEMPLATE="centos-6-x86_64"\nORIGIN_SAMPLE="ispbasic"\n')
    for argv in plan[1:]:
        if argv[0] == "vzctl":
            conf = apply_set(conf, parse_set_args(argv[3:], ctid=101), ctid=101)
    values = read_config_request(conf)
    assert values.ubc["physpages"] == (0, 131072)
    assert values.ubc["swappages"] == (0, 262144)
    assert values.ubc["lockedpages"] == (131072, LONG_MAX)
    assert values.ubc["privvmpages"] == (LONG_MAX, LONG_MAX)
    assert values.ubc["vmguarpages"] == (393216, 393216)
    assert values.diskspace == (3072000, 3072000)
    assert values.quotaugidlimit == 2048
    assert (values.cpus, values.cpuunits, values.cpulimit) == (1, 100, (100, False))
    assert values.ip_add == ("10.0.0.5",)
    assert values.hostname == "web1"
    lines = conf.splitlines()
    assert 'PHYSPAGES="0:131072"' in lines
    assert 'DISKSPACE="3072000:3072000"' in lines
    assert 'PRIVVMPAGES="unlimited"' in lines
    assert lines[-2:] == ['IP_ADDRESS="10.0.0.5"', 'HOSTNAME="web1"']


def test_sample_text_is_a_readable_vzctl_sample() -> None:
    text = sample_text()
    assert "reconstruction" in text
    request = read_config_request(text)
    assert request.ubc["physpages"] == (0, 131072)
    assert request.ubc["swappages"] == (0, 262144)
    assert request.diskspace == (3072000, 3072000)
    assert request.diskinodes == (384000, 384000)
    assert request.cpuunits == 100
    assert request.netfilter == "stateless"


def test_presets_from_config_tables() -> None:
    preset = Preset.from_mapping("small", {"ram": "256M", "swap": "512M", "cpus": 1, "hostname": ""})
    assert preset.value("cpus") == "1"
    assert preset.value("hostname") is None
    with pytest.raises(ValidationError):
        Preset.from_mapping("bad", {"ram": "lots"})
    with pytest.raises(ValidationError):
        Preset.from_mapping("bad", {"userpasswd": "root:x"})
    with pytest.raises(ValidationError):
        Preset.from_mapping("bad name", {"ram": "256M"})
