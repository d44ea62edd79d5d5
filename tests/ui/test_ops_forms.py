"""The create and set forms: cluster-wide checks (CTID, IPs), the seed's create plan with the sample written first,
and the set preview (config diff from the domain writer plus the single ``vzctl set … --save`` line)."""

from __future__ import annotations

from textual.widgets import Button, Input, Select, Static

from tests.ui.ops_support import CONF_101, Host, StaticCluster, ct, info, snap, until
from vztui.backend.operation import Operation, OpRequest, OpState
from vztui.backend.plans import WRITE_SAMPLE_KIND
from vztui.openvz.presets import ISPBASIC, create_plan_argvs
from vztui.ui.screens.create import (
    CreateRequest,
    CreateScreen,
    next_free_ctid,
    pending_creates,
    plan_create,
    validate_create,
)
from vztui.ui.screens.setform import SetFormResult, SetFormScreen, current_value, preview

SNAPSHOTS = {
    "hn1": snap("hn1", ct(101, ips=["10.0.0.11"]), ct(102, "stopped", ips=["10.0.0.12/24"])),
    "hn2": snap("hn2", ct(205, ips=["2001:db8::5"])),
}
INFOS = {"hn1": info(), "hn2": info(samples=["ispbasic"])}
PRESETS = {"ispbasic": ISPBASIC}


def _form(**overrides: str) -> dict[str, str]:
    values = {
        "node": "hn1",
        "ctid": "206",
        "ostemplate": "centos-6-x86_64",
        "layout": "ploop",
        "hostname": "",
        "ips": "",
        "preset": "ispbasic",
    }
    values.update(overrides)
    return values


def test_next_free_ctid_is_above_every_ctid_in_the_cluster() -> None:
    assert next_free_ctid(SNAPSHOTS) == 206
    assert next_free_ctid({"hn1": snap("hn1")}) == 101


def test_creates_in_the_queue_reserve_their_ctid() -> None:
    queued = Operation(OpRequest("hn2", ("vzctl", "create", "206"), "create", ctids=(206,)))
    done = Operation(OpRequest("hn2", ("vzctl", "create", "300"), "create", ctids=(300,)), state=OpState.FAILED)
    pending = pending_creates([queued, done])
    assert pending == {206: "hn2"}
    assert next_free_ctid(SNAPSHOTS, pending) == 207
    _, errors = validate_create(_form(), SNAPSHOTS, INFOS, PRESETS, pending)
    assert errors == {"ctid": "CTID 206 is being created on hn2"}


def test_create_refuses_duplicates_across_the_cluster() -> None:
    _, errors = validate_create(_form(ctid="205"), SNAPSHOTS, INFOS, PRESETS)
    assert errors == {"ctid": "CTID 205 already exists on hn2"}
    _, errors = validate_create(_form(ips="10.0.0.12"), SNAPSHOTS, INFOS, PRESETS)
    assert errors == {"ips": "10.0.0.12 is already used by 102 on hn1"}
    _, errors = validate_create(_form(ips="2001:db8:0::5"), SNAPSHOTS, INFOS, PRESETS)
    assert errors == {"ips": "2001:db8::5 is already used by 205 on hn2"}
    _, errors = validate_create(_form(ips="10.0.0.50, 10.0.0.50"), SNAPSHOTS, INFOS, PRESETS)
    assert errors == {"ips": "10.0.0.50 is given twice"}
    _, errors = validate_create(_form(ostemplate="ubuntu-99"), SNAPSHOTS, INFOS, PRESETS)
    assert errors == {"ostemplate": "ubuntu-99 is not in hn1's template cache"}
    _, errors = validate_create(_form(ctid="50", hostname="-bad-"), SNAPSHOTS, INFOS, PRESETS)
    assert set(errors) == {"ctid", "hostname"}


def test_create_plan_writes_the_sample_first_only_where_it_is_missing() -> None:
    request, errors = validate_create(_form(ips="10.0.0.60", hostname="new.example.com"), SNAPSHOTS, INFOS, PRESETS)
    assert errors == {} and request is not None
    plan = plan_create(request, INFOS["hn1"], root_prefix="/srv/hn1")
    (target,) = plan.runnable
    first, *rest = target.requests
    assert first.kind == WRITE_SAMPLE_KIND and first.argv[4:6] == ("/srv/hn1", "ispbasic")
    expected = create_plan_argvs(206, ostemplate="centos-6-x86_64", ips=["10.0.0.60"], hostname="new.example.com")
    assert [list(r.argv) for r in rest] == expected
    assert [r.mutating for r in rest].count(False) == 1  # the layout read-back
    on_hn2 = plan_create(CreateRequest("hn2", 206, "centos-6-x86_64", "simfs", ISPBASIC), INFOS["hn2"])
    assert on_hn2.runnable[0].requests[0].argv[:2] == ("vzctl", "create")


def test_create_skips_empty_values() -> None:
    request, _ = validate_create(_form(), SNAPSHOTS, INFOS, PRESETS)
    assert request is not None and request.hostname is None and request.ips == ()
    lines = [" ".join(r.argv) for r in plan_create(request, INFOS["hn2"]).runnable[0].requests]
    assert not any("--ipadd" in line or "--hostname" in line for line in lines)


def test_set_preview_shows_the_one_line_and_the_config_diff() -> None:
    result = preview({"ram": "2G", "hostname": "web2.example.com", "onboot": "yes"}, 101, CONF_101)
    assert result.changes is not None
    assert result.line == "vzctl set 101 --hostname web2.example.com --ram 2G --onboot yes --save"
    assert '-PHYSPAGES="0:262144"' in result.diff and '+PHYSPAGES="0:524288"' in result.diff
    assert '+HOSTNAME="web2.example.com"' in result.diff
    assert any(row.startswith('+ONBOOT="yes"') for row in result.diff)


def test_current_values_read_in_the_forms_units() -> None:
    assert current_value("ram", "0:262144") == "1G"
    assert current_value("swap", "0:4G") == "4G"
    assert current_value("diskspace", "2097152:2306867") == "2G:2306867"
    assert current_value("cpuunits", "1000") == "1000"


def test_set_preview_takes_raw_ubc_barrier_limit_pairs() -> None:
    result = preview({"ubc": "numproc=400:440, kmemsize=unlimited"}, 101, CONF_101)
    assert result.line == "vzctl set 101 --kmemsize unlimited --numproc 400:440 --save"
    assert '+NUMPROC="400:440"' in result.diff
    assert preview({"ubc": "numproc"}, 101, CONF_101).errors == (
        "ubc: 'numproc': write resource=barrier:limit, e.g. numproc=400:400",
    )
    assert preview({"ubc": "nosuch=1:1"}, 101, CONF_101).changes is None


def test_set_preview_refuses_bad_values_and_empty_forms() -> None:
    assert preview({"ram": "100"}, 101, CONF_101).errors == (
        "ram: '100' is less than 1M; did you forget the suffix (e.g. 512M)?",
    )
    assert preview({"ram": "  "}, 101, CONF_101).changes is None


async def test_create_form_suggests_the_next_ctid_and_keeps_errors_beside_the_form() -> None:
    cluster = StaticCluster(SNAPSHOTS, INFOS)
    app = Host(lambda: CreateScreen(cluster, "hn1", PRESETS))  # type: ignore[arg-type]
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        assert screen.query_one("#ctid", Input).value == "206"
        screen.query_one("#ips", Input).value = "10.0.0.11"
        await pilot.click("#submit")
        await pilot.pause()
        assert app.results == []
        errors = str(screen.query_one("#errors", Static).render())
        assert "ostemplate: choose an OS template" in errors and "10.0.0.11 is already used by 101 on hn1" in errors
        screen.query_one("#ostemplate", Select).value = "debian-7.0-x86_64"
        screen.query_one("#ips", Input).value = "10.0.0.70"
        await pilot.pause()
        screen.query_one("#submit", Button).press()
        await until(pilot, lambda: app.results, what="the form to close")
    (request,) = app.results
    assert request == CreateRequest("hn1", 206, "debian-7.0-x86_64", "ploop", ISPBASIC, None, ("10.0.0.70",))


async def test_set_form_previews_live_and_returns_the_changes() -> None:
    cluster = StaticCluster(SNAPSHOTS, INFOS, {"/etc/vz/conf/101.conf": CONF_101})
    app = Host(lambda: SetFormScreen(cluster, "hn1", 101, host_cpus=4))  # type: ignore[arg-type]
    async with app.run_test(size=(140, 45)) as pilot:
        screen = app.screen
        await pilot.pause()
        assert screen.query_one("#hostname", Input).placeholder == "now web1.example.com"
        assert screen.query_one("#ram", Input).placeholder == "now 1G"
        assert screen.query_one("#diskspace", Input).placeholder == "now 2G:2306867"
        screen.query_one("#cpus", Input).value = "9"
        await pilot.pause()
        assert "cpus" in str(screen.query_one("#line", Static).render())
        assert screen.query_one("#submit").disabled
        screen.query_one("#cpus", Input).value = "2"
        await pilot.pause()
        assert str(screen.query_one("#line", Static).render()) == "vzctl set 101 --cpus 2 --save"
        assert '+CPUS="2"' in str(screen.query_one("#diff", Static).render())
        await pilot.click("#submit")
        await pilot.pause()
    (result,) = app.results
    assert isinstance(result, SetFormResult) and result.changes.cpus == 2
