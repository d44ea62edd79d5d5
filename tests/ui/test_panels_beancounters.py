"""BeancounterPanel behaviour: flash once per failcnt increase, gauge thresholds, sparklines, in-place updates."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widget import Widget

from tests.ui.fake_cluster import bc, detailed_container, detailed_snapshot, rise, vswap_resources
from vztui.backend.snapshot import NodeSnapshot
from vztui.ui.state.palette import CRIT_RATIO, WARN_RATIO
from vztui.ui.widgets import beancounters
from vztui.ui.widgets.bc_table import BeancounterGrid
from vztui.ui.widgets.beancounters import BeancounterPanel
from vztui.ui.widgets.sparkline import sparkline_str


class PanelApp(App[None]):
    CSS_PATH = beancounters.CSS_FILE

    def compose(self) -> ComposeResult:
        yield BeancounterPanel(id="panel")


def _snap(*, numproc: int = 40, fails: int = 0, physpages: int = 20_000) -> NodeSnapshot:
    resources = vswap_resources(numproc=numproc, numproc_fail=fails, physpages=physpages)
    return detailed_snapshot("hn1", [detailed_container(101, name="web", resources=resources)])


def _cell(panel: BeancounterPanel, resource: str, column: str) -> Text:
    return panel.query_one(BeancounterGrid).get_cell(resource, column)


def _no_history(_resource: str) -> Sequence[int]:
    return ()


async def test_failcnt_increase_flashes_once_per_increase() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        panel.show(_snap(fails=3), 101, [], _no_history)
        await pilot.pause()
        assert panel.flashing == frozenset()
        assert not panel.has_class("-flash")

        increase = rise("hn1", 101, "numproc", 3, 5)
        panel.show(_snap(fails=5), 101, [increase], _no_history)
        await pilot.pause()
        assert panel.flashing == {"numproc"}
        assert panel.has_class("-flash")
        assert panel.rises("numproc") == 1
        assert "5 +2" in _cell(panel, "numproc", "failcnt").plain

        # The same delta delivered again (the cursor came back) is not a new increase.
        panel.show(_snap(fails=5), 101, [increase], _no_history)
        assert panel.rises("numproc") == 1

        panel.show(_snap(fails=9), 101, [rise("hn1", 101, "numproc", 5, 9)], _no_history)
        assert panel.rises("numproc") == 2
        assert "9 +4" in _cell(panel, "numproc", "failcnt").plain


async def test_flash_ends_but_the_counter_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beancounters, "FLASH_SECONDS", 0.05)
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        panel.show(_snap(fails=1), 101, [rise("hn1", 101, "numproc", 0, 1)], _no_history)
        assert panel.flashing == {"numproc"}
        await pilot.pause(0.2)
        assert panel.flashing == frozenset()
        assert not panel.has_class("-flash")
        failcnt = _cell(panel, "numproc", "failcnt").plain
        assert failcnt.startswith("1") and "▲1" in failcnt


async def test_increase_of_another_ct_is_ignored() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        panel.show(_snap(fails=2), 101, [rise("hn1", 102, "numproc", 0, 2)], _no_history)
        await pilot.pause()
        assert panel.flashing == frozenset()
        assert panel.rises("numproc") == 0


async def test_gauge_colour_follows_the_70_and_90_percent_thresholds() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        limit = 65_536
        expectations = {0.5: "", WARN_RATIO + 0.05: "warning", CRIT_RATIO + 0.05: "error"}
        for ratio, expected in expectations.items():
            panel.show(_snap(physpages=int(limit * ratio)), 101, [], _no_history)
            await pilot.pause()
            held = _cell(panel, "physpages", "held")
            gauge = _cell(panel, "physpages", "gauge")
            palette = panel._palette
            wanted = {"": "", "warning": palette.warning, "error": f"bold {palette.error}"}[expected]
            assert str(held.style) == wanted, ratio
            assert gauge.plain.strip().endswith(f"{ratio * 100:.0f}%")
        # physpages counts pages: 60 000 pages of 4 KiB are shown as bytes, not as a page count.
        panel.show(_snap(physpages=60_000), 101, [], _no_history)
        assert _cell(panel, "physpages", "held").plain == "234.4M"
        assert _cell(panel, "numproc", "held").plain == "40"
        assert _cell(panel, "kmemsize", "barrier").plain == "∞"


async def test_sparkline_follows_the_history() -> None:
    app = PanelApp()
    series: dict[str, list[int]] = {"physpages": [10_000, 20_000, 30_000]}
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        panel.show(_snap(), 101, [], lambda resource: series.get(resource, []))
        await pilot.pause()
        assert _cell(panel, "physpages", "trend").plain.strip() == "▁▅█"
        series["physpages"] = [10_000, 20_000, 30_000, 5_000]
        panel.show(_snap(), 101, [], lambda resource: series.get(resource, []))
        await pilot.pause()
        assert _cell(panel, "physpages", "trend").plain.strip() == "▂▅█▁"
        # A few pages of jitter against a 65 536-page limit is noise, not a spike.
        series["physpages"] = [20_000, 20_010, 20_005]
        panel.show(_snap(), 101, [], lambda resource: series.get(resource, []))
        assert _cell(panel, "physpages", "trend").plain.strip() == "▁▁▁"
        assert sparkline_str([20_000, 20_010, 20_005], 10) == "▁█▅"


async def test_rows_are_updated_in_place_not_rebuilt() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        table = panel.query_one(BeancounterGrid)
        panel.show(_snap(numproc=40), 101, [], _no_history)
        await pilot.pause()
        table.move_cursor(row=4)
        rows_before = table.row_keys
        updates: list[str] = []
        original = table.update_row

        def spy(key: str, cells: Sequence[Text]) -> bool:
            updates.append(key)
            return original(key, cells)

        table.update_row = spy  # type: ignore[method-assign]
        panel.show(_snap(numproc=40), 101, [], _no_history)
        assert updates == []  # nothing changed: nothing touched
        panel.show(_snap(numproc=41), 101, [], _no_history)
        assert updates == ["numproc"]
        assert table.row_keys == rows_before
        assert table.cursor_row == 4


async def test_a_changed_figure_repaints_one_line_and_never_the_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The panel is re-shown on every tick of its node: a changed figure must cost its own cells and line, not a
    layout pass of the whole screen (which repaints every widget on it) nor a re-render of every cell."""
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        table = panel.query_one(BeancounterGrid)
        panel.show(_snap(numproc=40), 101, [], _no_history)
        await pilot.pause()
        before = {column.key: table.get_cell("numproc", column.key) for column in table.columns}
        refreshes: list[tuple[str, tuple[Region, ...], bool]] = []
        rendered: list[str] = []
        refresh, cell_strip = Widget.refresh, BeancounterGrid._cell_strip

        def spy_refresh(self: Widget, *regions: Region, **kwargs: bool) -> Widget:
            refreshes.append((type(self).__name__, regions, bool(kwargs.get("layout"))))
            return refresh(self, *regions, **kwargs)

        def spy_cell(self: BeancounterGrid, text: Text, width: int) -> object:
            rendered.append(text.plain)
            return cell_strip(self, text, width)

        monkeypatch.setattr(Widget, "refresh", spy_refresh)
        monkeypatch.setattr(BeancounterGrid, "_cell_strip", spy_cell)
        changed = detailed_snapshot(
            "hn1", [detailed_container(101, name="web", resources=vswap_resources(numproc=41))], cpu={101: 12.0}
        )
        panel.show(changed, 101, [], _no_history)
        await pilot.pause()
        assert "12.0%" in str(panel.query_one("#bc-cpu").render())
        assert [entry for entry in refreshes if entry[2]] == []
        line = 1 + table.row_keys.index("numproc")
        assert [regions for name, regions, _ in refreshes if name == "BeancounterGrid"] == [
            (Region(0, line, table.size.width, 1),)
        ]
        after = {column.key: table.get_cell("numproc", column.key) for column in table.columns}
        differing = [after[key].plain for key in after if after[key] != before[key]]
        assert "41" in differing and sorted(rendered) == sorted(differing)


async def test_cpu_and_both_quota_levels_are_shown() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        ct = detailed_container(101, name="web", cpulimit=50, cpus=2, resources={"numproc": bc("numproc", 5, 100)})
        snap = detailed_snapshot("hn1", [ct], cpu={101: 40.0})
        panel.show(snap, 101, [], _no_history)
        await pilot.pause()
        cpu = str(panel.query_one("#bc-cpu").render())
        assert "40.0%" in cpu and "80%" in cpu and "limit 50%" in cpu and "cpus 2" in cpu
        quota = str(panel.query_one("#bc-quota").render())
        assert "Disk" in quota and "1.1G" in quota and "soft 10G" in quota
        assert "Inodes" in quota and "40000" in quota.replace(" ", "")
        assert "on,active" in quota and "12 loaded" in quota


async def test_no_container_and_vanished_container() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        panel.show(_snap(), 101, [], _no_history)
        await pilot.pause()
        panel.show(_snap(), 999, [], _no_history)
        await pilot.pause()
        assert "no longer on hn1" in str(panel.query_one("#bc-title").render())
        assert panel.query_one(BeancounterGrid).row_count == 0
        assert panel.target is None


async def test_unchanged_data_repaints_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from vztui.ui.widgets.quiet_static import QuietStatic

    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        panel.show(_snap(), 101, [], _no_history)
        await pilot.pause()
        updates: list[str | None] = []
        original = QuietStatic.update

        def spy(self: QuietStatic, *args: object, **kwargs: object) -> None:
            updates.append(self.id)
            original(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(QuietStatic, "update", spy)
        panel.show(_snap(), 101, [], _no_history)
        assert updates == []
        panel.show(
            detailed_snapshot("hn1", [detailed_container(101, name="web")], cpu={101: 99.0}), 101, [], _no_history
        )
        assert updates == ["bc-cpu"]


async def test_cursor_points_at_the_flashing_row_unless_the_reader_is_in_the_table() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 12)) as pilot:
        panel = app.query_one(BeancounterPanel)
        table = panel.query_one(BeancounterGrid)
        table.blur()
        panel.show(_snap(physpages=10_000), 101, [], _no_history)
        await pilot.pause()
        assert table.cursor_row == 0  # nothing at ≥ 70 %: the top
        names = list(table.row_keys)
        panel.show(detailed_snapshot("hn1", []), 101, [], _no_history)  # the CT went away …
        panel.show(_snap(physpages=62_000), 101, [], _no_history)  # … and came back at 95 % RAM
        await pilot.pause()
        assert names[table.cursor_row] == "physpages"
        panel.show(_snap(fails=1), 101, [rise("hn1", 101, "numproc", 0, 1)], _no_history)
        await pilot.pause()
        assert names[table.cursor_row] == "numproc"
        table.focus()
        await pilot.pause()
        table.move_cursor(row=0)
        panel.show(_snap(fails=2), 101, [rise("hn1", 101, "numproc", 1, 2)], _no_history)
        await pilot.pause()
        assert table.cursor_row == 0


async def test_theme_change_recolours_the_rows_and_keeps_the_flash() -> None:
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(BeancounterPanel)
        panel.show(_snap(physpages=64_000, fails=1), 101, [rise("hn1", 101, "numproc", 0, 1)], _no_history)
        await pilot.pause()
        before = str(_cell(panel, "physpages", "held").style)
        app.theme = "ansi-dark"
        await pilot.pause()
        after = str(_cell(panel, "physpages", "held").style)
        assert before != after and after == f"bold {panel._palette.error}"
        assert panel.flashing == {"numproc"}
        assert "1 +1" in _cell(panel, "numproc", "failcnt").plain
