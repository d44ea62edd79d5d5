"""vzlist against REFERENCE §3 and §11: exact headers, rows, trimming, JSON shape, errors and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.sim.conftest import run_in_process, run_wrapper
from vztui.sim.cluster import SimCluster
from vztui.sim.node import SimNode
from vztui.sim.provision import provision_ct

HEADER = "      CTID      NPROC STATUS    IP_ADDR         HOSTNAME\n"


def test_bare_node_all_prints_only_the_header(bare_root: Path) -> None:
    result = run_wrapper(bare_root, "vzlist", "-a")
    assert (result.code, result.stdout, result.stderr) == (0, HEADER, "")


def test_bare_node_all_json_is_an_empty_multiline_array(bare_root: Path) -> None:
    result = run_in_process(bare_root, "vzlist", "-a", "-j")
    assert (result.code, result.stdout) == (0, "[\n]\n")


def test_no_running_containers_is_not_an_error(bare_root: Path) -> None:
    result = run_in_process(bare_root, "vzlist")
    assert (result.code, result.stdout, result.stderr) == (0, "", "Container(s) not found\n")


def test_explicit_unknown_ctid_exits_1(bare_root: Path) -> None:
    result = run_in_process(bare_root, "vzlist", "999")
    assert (result.code, result.stdout, result.stderr) == (1, "", "Container(s) not found\n")
    result = run_in_process(bare_root, "vzlist", "-j", "999")
    assert (result.code, result.stdout) == (1, "[]\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "bogus"], "Unknown field: bogus\n"),
        (["-s", "bogus"], "Invalid sort field name: bogus\n"),
        (["-j", "-o", "physpages.l"], "Field `physpages.l' is not available in JSON output\n"),
        (["nosuchname"], "CT ID nosuchname is invalid.\n"),
    ],
)
def test_errors_exit_1_with_vzlist_messages(bare_root: Path, args: list[str], message: str) -> None:
    result = run_in_process(bare_root, "vzlist", *args)
    assert (result.code, result.stderr) == (1, message)


def test_help_prints_usage_on_stdout_and_exits_1(bare_root: Path) -> None:
    result = run_in_process(bare_root, "vzlist", "--help")
    assert result.code == 1
    assert result.stdout.startswith("Usage:\tvzlist [-a | -S] [-n] [-H]")


def test_unknown_option_is_reported_like_getopt(bare_root: Path) -> None:
    result = run_in_process(bare_root, "vzlist", "--bogus")
    assert result.code == 1 and result.stderr == "vzlist: unrecognized option '--bogus'\n"


def test_list_fields(bare_root: Path) -> None:
    lines = run_in_process(bare_root, "vzlist", "-L").stdout.splitlines()
    # "%-15s %-15s\n": the header column keeps its padding.
    assert lines[0] == "ctid            CTID           "
    assert "kmemsize.m      KMEMSIZE.M     " in lines and "diskspace.h     DSPACE.H       " in lines
    assert "smart_name      SMARTNAME      " in lines


def _node_with_cts(root: Path) -> SimNode:
    node = SimNode(root)
    provision_ct(node, 101, ostemplate="centos-6-x86_64", settings={"HOSTNAME": "stud1", "IP_ADDRESS": "192.168.0.101"})
    provision_ct(node, 102, ostemplate="centos-6-x86_64", settings={"HOSTNAME": "stud2", "IP_ADDRESS": "192.168.0.102"})
    with node.transaction() as state:
        runtime = state.ct(101)
        runtime.running = runtime.mounted = True
        runtime.started_at = node.now() - 100
    return node


def test_running_and_stopped_rows_match_the_real_capture(bare_root: Path) -> None:
    _node_with_cts(bare_root)
    lines = run_wrapper(bare_root, "vzlist", "-a").stdout.splitlines()
    assert lines[0] == HEADER.rstrip("\n")
    assert re.fullmatch(r"       101 +\d+ running   192\.168\.0\.101   stud1", lines[1])
    assert lines[2] == "       102          - stopped   192.168.0.102   stud2"


def test_dash_one_prints_right_aligned_ids(bare_root: Path) -> None:
    _node_with_cts(bare_root)
    assert run_in_process(bare_root, "vzlist", "-1", "-a").stdout == "       101\n       102\n"


def test_stopped_only_and_names(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    stopped = run_in_process(root, "vzlist", "-S", "-H", "-o", "ctid,status").stdout.split("\n")
    assert "       108 stopped" in stopped and "       112 mounted" in stopped
    assert all("running" not in line for line in stopped)
    named = run_in_process(root, "vzlist", "-n", "-a", "-H").stdout
    assert "      web1" in named and "      shop" in named


def test_trimming_cuts_middle_columns_and_keeps_the_last(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    middle = run_in_process(root, "vzlist", "-H", "-o", "ctid,ip,status", "101").stdout
    assert middle == "       101 10.1.0.101      running\n"
    last = run_in_process(root, "vzlist", "-H", "-o", "ctid,ip", "101").stdout
    assert last == "       101 10.1.0.101 10.1.0.102 10.1.0.103 2001:db8::101\n"
    long_desc = run_in_process(root, "vzlist", "-H", "-o", "description,ctid", "101").stdout
    assert long_desc == "Company website (nginx + php-fpm" + "        101\n"
    untrimmed = run_in_process(root, "vzlist", "-H", "-t", "-o", "description,ctid", "101").stdout
    assert untrimmed == "Company website (nginx + php-fpm)" + "        101\n"


def test_ubc_columns_for_running_and_stopped(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    out = run_in_process(root, "vzlist", "-a", "-H", "-o", "ctid,physpages,physpages.l,physpages.f", "104", "108")
    running, stopped = out.stdout.splitlines()
    held, limit, failcnt = (int(v) for v in running.split()[1:])
    assert limit == 131072 and 0 < held <= limit and failcnt > 0
    assert stopped.split()[1] == "-" and stopped.split()[3] == "-" and stopped.split()[2] != "-"


def test_json_all_fields_shape(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    text = run_wrapper(root, "vzlist", "-a", "-j").stdout
    assert text.startswith('[\n  {\n    "ctid": 101,\n    "veid": 101,\n    "vpsid": 101,')
    assert text.endswith("\n  }\n]\n")
    data = json.loads(text)
    by_id = {entry["ctid"]: entry for entry in data}
    assert by_id[101]["smart_name"] == "web1" and by_id[102]["smart_name"] in (102, "wiki102")
    assert by_id[101]["ip"] == ["10.1.0.101", "10.1.0.102", "10.1.0.103", "2001:db8::101"]
    stopped = by_id[108]
    assert stopped["status"] == "stopped" and stopped["laverage"] is None and stopped["uptime"] == 0.0
    assert stopped["physpages"]["held"] == 0 and stopped["physpages"]["limit"] > 0
    assert by_id[104]["physpages"]["failcnt"] > 0
    assert list(by_id[101])[:4] == ["ctid", "veid", "vpsid", "private"]
    assert '"kmemsize": {\n      "held": ' in text


def test_json_strings_are_not_escaped(bare_root: Path) -> None:
    node = SimNode(bare_root)
    provision_ct(node, 101, ostemplate="centos-6-x86_64", settings={"DESCRIPTION": 'say "hi"'})
    text = run_in_process(bare_root, "vzlist", "-a", "-j", "-o", "ctid,description").stdout
    assert text == '[\n  {\n    "ctid": 101,\n    "description": "say "hi""\n  }\n]\n'


def test_sort_and_reverse(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    ids = [int(x) for x in run_in_process(root, "vzlist", "-a", "-H", "-o", "ctid", "-s", "-ctid").stdout.split()]
    assert ids == sorted(ids, reverse=True)
    by_np = run_in_process(root, "vzlist", "-H", "-o", "numproc", "-s", "numproc").stdout.split()
    assert [int(x) for x in by_np] == sorted(int(x) for x in by_np)


def test_hostname_filter(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    out = run_in_process(root, "vzlist", "-a", "-H", "-o", "ctid", "-h", "shop.*").stdout
    assert out == "       104\n"


def test_hidden_when_private_area_is_missing(bare_root: Path) -> None:
    node = _node_with_cts(bare_root)
    (bare_root / "vz/private/102").rename(bare_root / "vz/private/102.moved")
    assert "102" not in run_in_process(bare_root, "vzlist", "-a").stdout
    assert node.read_config(102) is not None


def test_suspended_status(demo_cluster: SimCluster) -> None:
    out = run_in_process(demo_cluster.nodes["hn2"], "vzlist", "-H", "-o", "ctid,status", "121").stdout
    assert out == "       121 suspended\n"


def test_missing_root_is_reported_on_stderr(bare_root: Path) -> None:
    _node_with_cts(bare_root)
    (bare_root / "vz/root/102").rmdir()
    result = run_in_process(bare_root, "vzlist", "-a")
    assert result.stderr == "stat(/vz/root/102): No such file or directory\n"
    assert "       102          - stopped" in result.stdout
