"""Tool-output parsers against the real captures in tests/samples and the simulator's tools.

Transcripts keep their ``# command`` prompt lines (SOURCES.md); ``_output`` strips them as the samples' notes say.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.samples import sample_text
from vztui.openvz.errors import ParseError
from vztui.openvz.models import Container, CtStatus, DiskUsage, Layout, VzConf
from vztui.openvz.parsers import (
    expand_veid,
    parse_conf,
    parse_snapshot_list,
    parse_template_list,
    parse_vzcalc,
    parse_vzconf,
    parse_vzcpucheck,
    parse_vzctl_status,
    parse_vzlist_json,
    parse_vzlist_table,
    parse_vzmemcheck,
    parse_vzquota_stat,
)
from vztui.sim.node import SimNode
from vztui.sim.provision import init_node, provision_ct
from vztui.sim.runner import run_tool

DEFAULT_FIELDS = ["ctid", "numproc", "status", "ip", "hostname"]


def _sample(name: str) -> str:
    return sample_text(name)


def _output(name: str) -> str:
    """A transcript without its prompt lines."""
    return "".join(line for line in _sample(name).splitlines(keepends=True) if not line.startswith("# "))


# -- real samples: vzlist ----------------------------------------------------------------------------------------


def test_vzlist_table_running_and_stopped_transcript() -> None:
    rows = parse_vzlist_table(_output("transcript__vzlist_-a__running-and-stopped.txt"), DEFAULT_FIELDS)
    assert rows == [
        {"ctid": "101", "numproc": "15", "status": "running", "ip": "192.168.0.101", "hostname": "stud1"},
        {"ctid": "102", "numproc": None, "status": "stopped", "ip": "192.168.0.102", "hostname": "stud2"},
    ]


def test_vzlist_table_one_stopped_transcript_dashes_are_none() -> None:
    rows = parse_vzlist_table(_output("transcript__vzlist_-a__one-stopped.txt"), DEFAULT_FIELDS)
    assert rows == [{"ctid": "101", "numproc": None, "status": "stopped", "ip": None, "hostname": None}]


def test_vzlist_table_header_only_is_no_containers() -> None:
    assert parse_vzlist_table(_output("transcript__vzlist_-a__no-containers.txt"), DEFAULT_FIELDS) == []


def test_vzlist_table_smart_name_diskspace_transcript() -> None:
    text = _output("transcript__vzlist_-o_smart_name,diskspace.h__before-resize.txt")
    rows = parse_vzlist_table(text, ["smart_name", "diskspace.h"])
    assert rows == [{"smart_name": str(ctid), "diskspace.h": "1113684"} for ctid in (101, 102, 103, 104)]


def test_vzlist_table_headerless_capture() -> None:
    rows = parse_vzlist_table(_sample("vzlist_-aH__hn.txt"), DEFAULT_FIELDS)
    assert len(rows) == 9
    assert rows[0] == {
        "ctid": "1",
        "numproc": "54",
        "status": "running",
        "ip": "66.228.211.45",
        "hostname": "localhost",
    }
    assert rows[-1] == {
        "ctid": "999",
        "numproc": "9",
        "status": "running",
        "ip": "66.228.211.164",
        "hostname": "node8.nagilumve.com",
    }
    assert [row["ctid"] for row in rows] == ["1", "102", "120", "205", "401", "410", "411", "754", "999"]


def test_vzlist_table_last_column_keeps_its_spaces_and_short_rows_fail() -> None:
    rows = parse_vzlist_table("       101 10.1.0.101 10.1.0.102 2001:db8::1\n", ["ctid", "ip"])
    assert rows == [{"ctid": "101", "ip": "10.1.0.101 10.1.0.102 2001:db8::1"}]
    with pytest.raises(ParseError) as caught:
        parse_vzlist_table("       101 running\n       102\n", ["ctid", "status"])
    assert caught.value.line == 2


# -- real samples: vzctl status, vztmpl-dl, vzcpucheck -----------------------------------------------------------


def test_vzctl_status_transcript() -> None:
    status = parse_vzctl_status(_output("transcript__vzctl_status__running.txt"))
    assert (status.ctid, status.exists, status.mounted, status.running, status.suspended) == (
        101,
        True,
        True,
        True,
        False,
    )
    assert status.status is CtStatus.RUNNING


@pytest.mark.parametrize(
    ("line", "exists", "mounted", "running", "suspended", "status"),
    [
        ("CTID 999 deleted unmounted down", False, False, False, False, CtStatus.STOPPED),
        ("CTID 102 exist unmounted down suspended", True, False, False, True, CtStatus.SUSPENDED),
        ("CTID 103 exist mounted down", True, True, False, False, CtStatus.MOUNTED),
        ("VEID 104 exist mounted paused", True, True, False, True, CtStatus.SUSPENDED),
    ],
)
def test_vzctl_status_words(
    line: str, exists: bool, mounted: bool, running: bool, suspended: bool, status: CtStatus
) -> None:
    parsed = parse_vzctl_status(f"Welcome to node1\n{line}\n")
    assert (parsed.exists, parsed.mounted, parsed.running, parsed.suspended, parsed.status) == (
        exists,
        mounted,
        running,
        suspended,
        status,
    )


@pytest.mark.parametrize(
    "text",
    ["", "CTID abc exist mounted running", "CTID 101 exist mounted", "CTID 101 maybe mounted running", "hello"],
)
def test_vzctl_status_rejects_what_is_not_a_status_line(text: str) -> None:
    with pytest.raises(ParseError):
        parse_vzctl_status(text)


def test_template_list_transcript() -> None:
    assert parse_template_list(_output("transcript__vztmpl-dl_--list-local.txt")) == [
        "centos-6-x86_64-minimal",
        "centos-7-x86_64-minimal",
        "debian-7.0-x86_64-minimal",
        "suse-13.1-x86_64-minimal",
        "ubuntu-14.04-x86_64-minimal",
    ]


def test_template_list_skips_a_banner_but_not_junk_after_names() -> None:
    assert parse_template_list("Last login: Mon from 10.0.0.1\n\ncentos-7-x86_64\n") == ["centos-7-x86_64"]
    assert parse_template_list("") == []
    with pytest.raises(ParseError) as caught:
        parse_template_list("centos-7-x86_64\nnot a template\n")
    assert caught.value.line == 2


def test_vzcpucheck_verbose_old_capture() -> None:
    check = parse_vzcpucheck(_sample("vzcpucheck_-v__old.txt"))
    assert check.utilization == 34833
    assert check.power == 402887
    assert dict(check.units) == {
        0: 20833,
        1: 1000,
        107: 2000,
        205: 2000,
        999: 1000,
        120: 1000,
        754: 4000,
        410: 1000,
        401: 1000,
        411: 1000,
    }
    assert list(check.units) == [0, 1, 107, 205, 999, 120, 754, 410, 401, 411]
    assert sum(check.units.values()) == check.utilization
    assert not check.overcommitted


def test_vzcpucheck_userguide_transcript_with_fractional_power() -> None:
    blocks = _sample("transcript__vzcpucheck_and_vzctl-3.0-era_userguide.txt").split("# ")
    outputs = [block.split("\n", 1)[1] for block in blocks if block.startswith("vzcpucheck")]
    first, second = (parse_vzcpucheck(text) for text in outputs)
    assert (first.utilization, first.power, dict(first.units)) == (5166, 73072.5, {})
    assert (second.utilization, second.power) == (6667, 73072.5)
    assert first.usage_ratio == pytest.approx(5166 / 73072.5)


def test_vzcpucheck_overcommitted_and_garbage() -> None:
    text = "VEID\t\tCPUUNITS\n" + "-" * 25 + "\n0\t\t1000\n101\t\t5000\n"
    text += "Current CPU utilization: 6000\nPower of the node: 4000\nWarning: hardware node is overcommitted\n"
    check = parse_vzcpucheck(text)
    assert check.overcommitted and dict(check.units) == {0: 1000, 101: 5000}
    with pytest.raises(ParseError) as caught:
        parse_vzcpucheck("Current CPU utilization: 6000\nPower of the node: lots\n")
    assert caught.value.line == 2


# -- real samples: configuration files ---------------------------------------------------------------------------


def test_vz_conf_in_shipped_values() -> None:
    values = parse_conf(_sample("vz.conf.in__vzctl-4.11.1"))
    assert values["VIRTUOZZO"] == "yes"
    assert values["LOCKDIR"] == "@VZDIR@/lock"
    assert values["VE_ROOT"] == "@VZDIR@/root/$VEID"
    assert values["VE_PRIVATE"] == "@VZDIR@/private/$VEID"
    assert values["CONFIGFILE"] == "vswap-256m"
    assert values["DEF_OSTEMPLATE"] == "centos-6-x86"
    assert values["NAMESERVER"] == "inherit"  # "NAMESERVER=inherit # Copy from host system's /etc/resolv.conf"
    assert values["ERROR_ON_ARPFAIL"] == "no"
    assert values["IPTABLES_MODULES"].split()[:2] == ["ipt_REJECT", "ipt_tos"]
    assert len(values["IPTABLES_MODULES"].split()) == 14
    assert values["IPV6"] == "yes"
    assert "MODULES_DISABLED" not in values and "VE_ROUTE_SRC_DEV" not in values  # commented out
    assert len(values) == 24


def test_vz_conf_in_as_vzconf_after_the_build_substitutes_vzdir() -> None:
    vz = parse_vzconf(_sample("vz.conf.in__vzctl-4.11.1").replace("@VZDIR@", "/vz"))
    assert vz == VzConf(
        ve_root="/vz/root/$VEID",
        ve_private="/vz/private/$VEID",
        template="/vz/template",
        lockdir="/vz/lock",
        dumpdir="/vz/dump",
        configfile="vswap-256m",
        def_ostemplate="centos-6-x86",
        ve_layout="ploop",
        disk_quota=True,
        values=vz.values,
    )
    assert vz.values["VE0CPUUNITS"] == "1000"
    assert expand_veid(vz.ve_private, 101) == "/vz/private/101"


def test_vzconf_defaults_and_disk_quota_off() -> None:
    vz = parse_vzconf('DISK_QUOTA=no\nVE_ROOT="/var/lib/vz/root/${VEID}"\nthis line vzctl would skip\n')
    assert not vz.disk_quota
    assert vz.ve_root == "/var/lib/vz/root/${VEID}" and vz.ve_private == VzConf().ve_private


def test_zero_conf_sample() -> None:
    assert parse_conf(_sample("0.conf")) == {"ONBOOT": "no", "OOMGUARPAGES": "unlimited:unlimited"}


def test_vswap_sample_keeps_suffixes() -> None:
    assert parse_conf(_sample("ve-vswap-256m.conf-sample")) == {
        "PHYSPAGES": "0:256M",
        "SWAPPAGES": "0:512M",
        "DISKSPACE": "2G:2.2G",
        "DISKINODES": "131072:144179",
        "QUOTATIME": "0",
        "CPUUNITS": "1000",
        "NETFILTER": "stateless",
    }


def test_basic_sample_all_ubc_keys() -> None:
    values = parse_conf(_sample("ve-basic.conf-sample"))
    assert len(values) == 26
    assert values["KMEMSIZE"] == "14372700:14790164"
    assert values["PHYSPAGES"] == "0:unlimited"
    assert values["NUMFLOCK"] == "188:206"
    assert values["AVNUMPROC"] == "180:180"
    assert values["DISKSPACE"] == "2G:2.2G"
    assert values["NETFILTER"] == "stateless"
    assert list(values)[:3] == ["KMEMSIZE", "LOCKEDPAGES", "PRIVVMPAGES"]


def test_conf_quoting_rules() -> None:
    text = (
        "  # indented comment\n"
        'DESCRIPTION="say "hi""\n'
        "HOSTNAME='ct.example.com'\n"
        'NAME="a b" # trailing comment\n'
        'IP_ADDRESS="10.0.0.1 10.0.0.2"\n'
        "ONBOOT=yes\n"
        'ONBOOT="no"\n'
        'PATHISH="C:\\new\\"\n'
        "EMPTY=\n"
        'VE_ROOT="/vz/root/$VEID"\n'
    )
    assert parse_conf(text) == {
        "DESCRIPTION": 'say "hi"',
        "HOSTNAME": "ct.example.com",
        "NAME": "a b",
        "IP_ADDRESS": "10.0.0.1 10.0.0.2",
        "ONBOOT": "yes",
        "PATHISH": "C:\\new\\",
        "EMPTY": "",
        "VE_ROOT": "/vz/root/$VEID",
    }


@pytest.mark.parametrize(
    ("text", "line"),
    [("A=1\nnot an assignment\n", 2), ('A=1\n\nB="open\n', 3), ("export A=1\n", 1), ("1A=2\n", 1)],
)
def test_conf_lines_vzctl_would_skip_raise_unless_asked_to_skip(text: str, line: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_conf(text, source="101.conf")
    assert caught.value.line == line and caught.value.source == "101.conf"
    assert "101.conf:line" in str(caught.value)
    assert parse_conf(text, skip_invalid=True) == ({"A": "1"} if text.startswith("A=1") else {})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("/vz/private/$VEID", "/vz/private/101"),
        ("/vz/private/${VEID}", "/vz/private/101"),
        ("/vz/private/$VEID/", "/vz/private/101"),
        ("/vz/$VEID/$VEID", "/vz/101/$VEID"),
        ("/vz/${VEID}/$VEID", "/vz/${VEID}/101"),
        ("/vz/root/$VE_ROOT", "/vz/root/$VE_ROOT"),
        ("/vz/static", "/vz/static"),
    ],
)
def test_expand_veid_follows_vzctl_subst_veid(template: str, expected: str) -> None:
    assert expand_veid(template, 101) == expected


# -- vzlist -j: shapes the samples do not cover --------------------------------------------------------------------


def test_vzlist_json_empty_forms() -> None:
    assert parse_vzlist_json("[]\n") == []
    assert parse_vzlist_json("[\n]\n") == []
    assert parse_vzlist_json("Last login: today\n[]\n") == []


def test_vzlist_json_unescaped_strings_and_injection_attempts() -> None:
    text = (
        "[\n  {\n"
        '    "ctid": 101,\n'
        '    "hostname": "a"b\\c",\n'
        '    "description": "x", "name": "evil",\n'
        '    "name": "C:\\new",\n'
        '    "ip": ["10.0.0.1", "fe80::1"],\n'
        '    "status": "running"\n'
        "  }\n]\n"
    )
    (ct,) = parse_vzlist_json(text)
    assert ct.hostname == 'a"b\\c'
    assert ct.description == 'x", "name": "evil'
    assert ct.name == "C:\\new"
    assert ct.ips == ("10.0.0.1", "fe80::1")


def test_vzlist_json_errors_carry_lines() -> None:
    with pytest.raises(ParseError) as caught:
        parse_vzlist_json('motd\n[\n  {\n    "ctid": 101,\n    "cpus": "two"\n  }\n]\n')
    assert caught.value.line == 3 and "cpus" in caught.value.message
    with pytest.raises(ParseError) as caught:
        parse_vzlist_json('[\n  {\n    "ctid": 101,\n    "status": \n  }\n]\n')
    assert caught.value.line == 5
    for text in ("", "no json here", "[1, 2]", '[{"hostname": "x"}]', "{}"):
        with pytest.raises(ParseError):
            parse_vzlist_json(text)


# -- the simulator's tools ---------------------------------------------------------------------------------------


class SmallNode:
    """A bare simulated node with CT 101 (simfs, basic sample, running), 102 (ploop, stopped) and 103 (ploop)."""

    def __init__(self, root: Path) -> None:
        init_node(root)
        self.root = root
        node = SimNode(root)
        provision_ct(
            node,
            101,
            ostemplate="centos-6-x86_64",
            layout="simfs",
            sample="basic",
            name="web1",
            settings={
                "NAME": "web1",
                "HOSTNAME": "stud1",
                "IP_ADDRESS": "192.168.0.101 10.0.0.1",
                "DESCRIPTION": 'say "hi" \\\\o/',  # vzctl unescapes on read: two backslashes for one
            },
        )
        provision_ct(node, 102, ostemplate="centos-6-x86_64", settings={"HOSTNAME": "stud2"})
        provision_ct(node, 103, ostemplate="centos-7-x86_64-minimal", settings={"ONBOOT": "yes"})
        with node.transaction() as state:
            runtime = state.ct(101)
            runtime.running = runtime.mounted = True
            runtime.started_at = node.now() - 100

    def run(self, tool: str, *args: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        code = run_tool(self.root, tool, list(args), stdout=out, stderr=err)
        assert code == 0, (tool, args, err.getvalue())
        return out.getvalue()


@pytest.fixture(scope="module")
def small_node(tmp_path_factory: pytest.TempPathFactory) -> SmallNode:
    return SmallNode(tmp_path_factory.mktemp("parsers") / "hn1")


def test_sim_vzlist_json_with_the_pollers_fields(small_node: SmallNode) -> None:
    from vztui.backend.batch import VZLIST_FIELDS

    cts = {ct.ctid: ct for ct in parse_vzlist_json(small_node.run("vzlist", "-a", "-j", "-o", ",".join(VZLIST_FIELDS)))}
    assert sorted(cts) == [101, 102, 103]
    web = cts[101]
    assert web.status is CtStatus.RUNNING and web.name == "web1" and web.hostname == "stud1"
    assert web.description == 'say "hi" \\o/'
    assert web.ips == ("192.168.0.101", "10.0.0.1")
    assert web.layout is Layout.SIMFS and web.ostemplate == "centos-6-x86_64"
    assert web.cpuunits == 1000 and web.diskspace is not None and web.diskspace.softlimit == 2097152
    stopped = cts[102]
    assert stopped.status is CtStatus.STOPPED and stopped.layout is Layout.PLOOP and stopped.name is None
    assert stopped.origin_sample == "vswap-256m" and stopped.vswap
    assert cts[103].onboot is True and stopped.onboot is None


def test_sim_vzlist_json_all_fields(small_node: SmallNode) -> None:
    cts: dict[int, Container] = {ct.ctid: ct for ct in parse_vzlist_json(small_node.run("vzlist", "-a", "-j"))}
    web = cts[101]
    assert web.numproc is not None and web.numproc > 0 and web.uptime >= 100
    assert web.laverage is not None and web.private == "/vz/private/101"
    assert set(web.resources) >= {"kmemsize", "numproc", "physpages", "privvmpages"}
    assert web.resources["numproc"].barrier == 240
    stopped = cts[102]
    assert stopped.numproc is None and stopped.laverage is None and stopped.uptime == 0.0
    physpages = stopped.resources["physpages"]
    assert (physpages.held, physpages.barrier, physpages.limit) == (0, 0, 65536)


def test_sim_vzlist_table(small_node: SmallNode) -> None:
    fields = ["ctid", "status", "laverage", "hostname"]
    rows = parse_vzlist_table(small_node.run("vzlist", "-a", "-o", ",".join(fields)), fields)
    assert [row["ctid"] for row in rows] == ["101", "102", "103"]
    assert rows[0]["laverage"] is not None and rows[0]["laverage"].count("/") == 2
    assert rows[1] == {"ctid": "102", "status": "stopped", "laverage": None, "hostname": "stud2"}


def test_sim_vzctl_status(small_node: SmallNode) -> None:
    assert parse_vzctl_status(small_node.run("vzctl", "status", "101")).status is CtStatus.RUNNING
    assert parse_vzctl_status(small_node.run("vzctl", "status", "102")).status is CtStatus.STOPPED
    unknown = parse_vzctl_status(small_node.run("vzctl", "status", "999"))
    assert (unknown.ctid, unknown.exists) == (999, False)


def test_sim_snapshot_list(tmp_path: Path) -> None:
    node = SmallNode(tmp_path / "hn1")
    assert parse_snapshot_list(node.run("vzctl", "snapshot-list", "102")) == []
    node.run("vzctl", "snapshot", "102", "--name", "before upgrade")
    node.run("vzctl", "snapshot", "102", "--name", "second")
    first, second = parse_snapshot_list(node.run("vzctl", "snapshot-list", "102"))
    assert (first.name, first.parent_uuid, first.current) == ("before upgrade", "", False)
    assert (second.name, second.parent_uuid, second.current) == ("second", first.uuid, True)
    assert first.uuid.startswith("{") and len(first.uuid) == 38
    assert len(first.date) == 19
    bare = parse_snapshot_list(node.run("vzctl", "snapshot-list", "102", "-H"))
    assert [snap.uuid for snap in bare] == [first.uuid, second.uuid]
    custom = parse_snapshot_list(node.run("vzctl", "snapshot-list", "102", "-o", "uuid,name"))
    assert [(snap.uuid, snap.name) for snap in custom] == [(first.uuid, first.name), (second.uuid, second.name)]


def test_sim_template_list(small_node: SmallNode) -> None:
    names = parse_template_list(small_node.run("vztmpl-dl", "--list-local"))
    assert "centos-6-x86_64" in names and "centos-7-x86_64-minimal" in names


def test_sim_vzcpucheck(small_node: SmallNode) -> None:
    verbose = parse_vzcpucheck(small_node.run("vzcpucheck", "-v"))
    assert dict(verbose.units) == {0: 1000, 101: 1000}
    assert verbose.utilization == 2000 and verbose.power > 0
    plain = parse_vzcpucheck(small_node.run("vzcpucheck"))
    assert (plain.utilization, plain.power, dict(plain.units)) == (verbose.utilization, verbose.power, {})


def test_sim_vzmemcheck_all_forms(small_node: SmallNode) -> None:
    verbose = parse_vzmemcheck(small_node.run("vzmemcheck", "-v"))
    assert not verbose.mbytes and list(verbose.rows) == [101]
    assert verbose.rows[101] == verbose.summary  # one running CT: its row is the summary
    assert verbose.mem_commit_percent == verbose.summary.memswap_commit > 0
    plain = parse_vzmemcheck(small_node.run("vzmemcheck"))
    # Figures move with the simulated clock between calls: compare the stable ones, the rest by presence.
    assert plain.summary.alloc_limit == verbose.summary.alloc_limit and plain.summary.ram_util > 0 and not plain.rows
    absolute = parse_vzmemcheck(small_node.run("vzmemcheck", "-vA"))
    assert absolute.mbytes and absolute.totals is not None and absolute.mem_commit_percent is None
    assert absolute.totals.ram_util > absolute.summary.ram_util > 0
    assert parse_vzmemcheck(small_node.run("vzmemcheck", "-A")).totals == absolute.totals


def test_sim_vzcalc(small_node: SmallNode) -> None:
    verbose = parse_vzcalc(small_node.run("vzcalc", "-v", "101"))
    assert list(verbose.rows) == ["Low Mem", "Total RAM", "Mem + Swap", "Alloc. Mem", "Num. Proc"]
    assert verbose.rows["Total RAM"].promised is None and verbose.rows["Num. Proc"].maximum is not None
    assert verbose.memory.current is not None and verbose.memory.maximum is not None
    assert verbose.memory.maximum >= verbose.memory.promised  # type: ignore[operator]
    plain = parse_vzcalc(small_node.run("vzcalc", "101"))
    assert (plain.memory.promised, plain.memory.maximum) == (verbose.memory.promised, verbose.memory.maximum)
    assert plain.memory.current is not None and not plain.rows


def test_sim_vzquota_stat_and_ugid(small_node: SmallNode) -> None:
    out = io.StringIO()
    # vzquota stat -t exits 9 (EC_UG_NOTRUN) while user/group quota is inactive (REFERENCE §6.1, src/stat.c)
    assert run_tool(small_node.root, "vzquota", ["stat", "101", "-t"], stdout=out, stderr=io.StringIO()) == 9
    usage = parse_vzquota_stat(out.getvalue(), ctid=101)
    assert usage.ctid == 101
    assert (usage.blocks.softlimit, usage.blocks.hardlimit) == (2097152, 2306868)
    assert (usage.inodes.softlimit, usage.inodes.hardlimit) == (131072, 144179)
    assert 0 < usage.blocks.usage < usage.blocks.softlimit and not usage.blocks.over
    assert usage.ugid is not None and usage.ugid.state == "off,inactive" and not usage.ugid.enabled
    plain = parse_vzquota_stat(small_node.run("vzquota", "show", "101"))
    assert plain.ugid is None and (plain.blocks.softlimit, plain.inodes.hardlimit) == (2097152, 144179)
    batch = parse_vzquota_stat(small_node.run("vzquota", "-b", "stat", "101"))
    assert (batch.blocks.softlimit, batch.inodes.hardlimit) == (2097152, 144179) and batch.blocks.usage > 0


def test_vzquota_over_limit_and_grace() -> None:
    text = (
        "   resource          usage       softlimit      hardlimit    grace\n"
        "  1k-blocks        2100000*        2097152        2306868   6days\n"
        "     inodes          14869          131072         144179         \n"
    )
    usage = parse_vzquota_stat(text)
    assert usage.blocks == DiskUsage(2100000, 2097152, 2306868, grace="6days", over=True)
    assert usage.inodes == DiskUsage(14869, 131072, 144179)
    with pytest.raises(ParseError) as caught:
        parse_vzquota_stat(text.replace("     inodes", "     bogus"))
    assert caught.value.line == 3


def test_snapshot_list_columns_follow_the_header_and_bad_rows_fail() -> None:
    base, top = "{11111111-2222-3333-4444-555555555555}", "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}"
    text = (
        "Warning: banner\n"
        f"{'UUID':<38} {'DATE':<24} {'C':<1} DESC\n"
        f"{base:<38} {'2026-12-05T10:00:00+0000':<24}   first, with spaces\n"
        f"{top:<38} {'2026-12-05T11:00:00+0000':<24} * \n"
    )
    first, second = parse_snapshot_list(text)
    assert (first.uuid, first.date, first.current, first.description) == (
        base,
        "2026-12-05T10:00:00+0000",
        False,
        "first, with spaces",
    )
    assert (second.uuid, second.current, second.description, second.parent_uuid) == (top, True, "", "")
    with pytest.raises(ParseError) as caught:
        parse_snapshot_list(text + "not a snapshot row at all\n")
    assert caught.value.line == 5


def test_vzlist_json_error_names_the_line_of_the_bad_container() -> None:
    good = '\n  {\n    "ctid": 101,\n    "cpus": 2\n  }'
    bad = '\n  {\n    "ctid": 102,\n    "onboot": "yes"\n  }'
    with pytest.raises(ParseError) as caught:
        parse_vzlist_json("banner\n[" + good + "," + bad + "\n]\n")
    assert caught.value.line == 7 and "container #2: onboot" in caught.value.message


def test_sim_vzlist_table_middle_description_with_spaces_and_overflowing_numbers(tmp_path: Path) -> None:
    node = SmallNode(tmp_path / "hn1")
    long_description = "Company website (nginx + php-fpm) and more"
    provision_ct(SimNode(node.root), 104, ostemplate="centos-6-x86_64", settings={"DESCRIPTION": long_description})
    fields = ["description", "ctid", "physpages.l", "kmemsize.b", "hostname"]
    text = node.run("vzlist", "-a", "-o", ",".join(fields), "101", "104")
    assert "9223372036854775807" in text  # wider than its 10-character column
    rows = {row["ctid"]: row for row in parse_vzlist_table(text, fields)}
    assert rows["101"] == {
        "description": 'say "hi" \\o/',
        "ctid": "101",
        "physpages.l": "9223372036854775807",
        "kmemsize.b": "14372700",
        "hostname": "stud1",
    }
    assert rows["104"]["description"] == long_description[:32] == "Company website (nginx + php-fpm"
    assert (rows["104"]["physpages.l"], rows["104"]["kmemsize.b"], rows["104"]["hostname"]) == ("65536", "0", None)


def test_vzlist_json_with_crlf_line_ends() -> None:
    text = '[\r\n  {\r\n    "ctid": 101,\r\n    "hostname": "a"b",\r\n    "status": "stopped"\r\n  }\r\n]\r\n'
    (ct,) = parse_vzlist_json("banner\r\n" + text)
    assert (ct.ctid, ct.hostname, ct.status) == (101, 'a"b', CtStatus.STOPPED)


def test_vzquota_batch_cells_that_fill_their_width() -> None:
    text = f"{12345678901234:14d}{99999999999999:14d}{5:14d}{0:14d}{0:14d}\n{1:14d}{2:14d}{3:14d}{0:14d}{0:14d}\n"
    usage = parse_vzquota_stat(text, ctid=5)
    assert usage.blocks == DiskUsage(12345678901234, 99999999999999, 5)
    assert usage.inodes == DiskUsage(1, 2, 3)
    with pytest.raises(ParseError):
        parse_vzquota_stat("1 2 3 4 x\n1 2 3 4 5\n")


HUGE = "9" * 5000  # beyond int()'s 4300-digit limit: int() itself would raise a plain ValueError


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_vzlist_json, '[\n  {\n    "ctid": ' + HUGE + "\n  }\n]\n"),
        (parse_vzlist_json, '[\n  {\n    "ctid": ' + HUGE + ',\n    "hostname": "a"b"\n  }\n]\n'),
        (parse_vzctl_status, f"CTID {HUGE} exist mounted running\n"),
        (parse_vzctl_status, f"CTID {HUGE} exist mounted running and more\n"),
        (parse_vzcpucheck, f"Current CPU utilization: {HUGE}\nPower of the node: 5\n"),
        (parse_vzcpucheck, f"VEID\t\tCPUUNITS\n{HUGE}\t\t5\nCurrent CPU utilization: 5\nPower of the node: 5\n"),
        (parse_vzquota_stat, f"   resource usage\n  1k-blocks {HUGE} 1 1\n     inodes 1 1 1\n"),
        (parse_vzquota_stat, f"{HUGE} 1 1 1 1\n1 1 1 1 1\n"),
        (parse_vzmemcheck, "Output values in %\n Alloc Alloc Alloc\n commit limit\n" + HUGE + " 1" * 8 + "\n"),
    ],
)
def test_numbers_too_long_for_int_are_parse_errors_with_short_messages(
    parse: Callable[[str], object], text: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert len(str(caught.value)) < 300


def test_conf_unquoted_values_keep_inner_blanks_and_drop_shell_comments() -> None:
    text = "IP_ADDRESS=10.0.0.1 10.0.0.2\nNAMESERVER=inherit # it's a comment\nA=x#y\nB=#all comment\nC=v\t\n"
    assert parse_conf(text) == {
        "IP_ADDRESS": "10.0.0.1 10.0.0.2",
        "NAMESERVER": "inherit",
        "A": "x#y",
        "B": "",
        "C": "v",
    }
