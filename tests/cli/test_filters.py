from __future__ import annotations

from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vztui.filters import FilterError, compile_filter
from vztui.openvz.models import Beancounter, Container, CtStatus, Layout

WEB = Container(
    ctid=101,
    status=CtStatus.RUNNING,
    name="web1",
    hostname="web1.example.com",
    description="Front end",
    ips=("10.0.0.5", "192.168.1.5"),
    ostemplate="centos-6-x86_64",
    layout=Layout.PLOOP,
    numproc=42,
    resources=MappingProxyType(
        {
            "numproc": Beancounter("numproc", 42, 60, 100, 100, 3),
            "privvmpages": Beancounter("privvmpages", 10, 20, 100, 110, 2),
        }
    ),
)
DB = Container(ctid=202, status=CtStatus.STOPPED, name="db", ostemplate="debian-7", layout=Layout.SIMFS)


@pytest.mark.parametrize(
    ("expression", "web_on_hn1", "db_on_hn2"),
    [
        ("", True, True),
        ("node:hn2", False, True),
        ("node:HN1", True, False),
        ("node:hn*", True, True),
        ("status:running", True, False),
        ("-status:running", False, True),
        ("!status:running", False, True),
        ("layout:simfs", False, True),
        ("failcnt>0", True, False),
        ("failcnt>=5", True, False),
        ("failcnt>5", False, False),
        ("failcnt=0", False, True),
        ("ctid>=200", False, True),
        ("numproc<50", True, False),
        ("name:web*", True, False),
        ("name:eb", True, False),
        ("template:centos-6*", True, False),
        ("os:debian", False, True),
        ("ip:10.0.", True, False),
        ("ip:192.168.1.5", True, False),
        ("description:front", True, False),
        ("web", True, False),
        ("EXAMPLE.COM", True, False),
        ("202", False, True),
        ("10.0.0.5", True, False),
        ("node:hn1 status:running failcnt>0", True, False),
        ("node:hn1 status:stopped", False, False),
        ("cpu>50", True, False),
        ("'name:web1'", True, False),
    ],
)
def test_filter_terms(expression: str, web_on_hn1: bool, db_on_hn2: bool) -> None:
    matches = compile_filter(expression)
    assert matches(WEB, "hn1", 75.0) is web_on_hn1
    assert matches(DB, "hn2") is db_on_hn2


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("status:runing", "status:runing: expected one of mounted, running, stopped, suspended, unknown"),
        ("layout:zfs", "layout:zfs: expected ploop or simfs"),
        (
            "colour:red",
            "colour:red: unknown field 'colour'"
            " (known: node, status, layout, name, hostname, template, ip, description)",
        ),
        ("name>3", "name>3: 'name' cannot be compared (numeric: ctid, failcnt, numproc, cpu, cpus, uptime)"),
        ("node:", "node:: missing value after node:"),
        ("'unbalanced", "'unbalanced: No closing quotation"),
    ],
)
def test_filter_errors_say_which_term_and_why(expression: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(expression)
    assert str(caught.value) == message


@given(st.text(max_size=40))
def test_any_text_compiles_or_raises_filter_error_only(expression: str) -> None:
    try:
        matches = compile_filter(expression)
    except FilterError:
        return
    assert matches(WEB, "hn1") in (True, False)
