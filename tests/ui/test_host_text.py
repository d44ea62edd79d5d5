"""Host text (names, hostnames, descriptions, template names) is shown literally on every screen: never parsed as
markup, never turned into a link, and no widget has Textual's ``auto_links`` on."""

from __future__ import annotations

from dataclasses import replace

from rich.segment import Segment
from textual.screen import Screen
from textual.widget import Widget

from tests.ui.fake_cluster import FakeCluster, container, info, snapshot
from tests.ui.harness import make_app
from vztui.openvz.models import NodeInfo
from vztui.openvz.presets import ISPBASIC
from vztui.ui.app import VztuiApp
from vztui.ui.screens.create import CreateScreen
from vztui.ui.screens.ct_detail import CtDetailScreen

NAME = "[b]x[/b]"
HOSTNAME = "https://evil.example/x"
DESCRIPTION = "[link=https://evil.example/]click[/link]"
TEMPLATE = "[red]centos[/red]-7"
SIZE = (160, 45)


class HostileCluster(FakeCluster):
    """A node whose template cache holds a name that looks like markup."""

    def node_info(self, node: str) -> NodeInfo | None:
        return replace(info(HOSTNAME), templates=(TEMPLATE,))


def _cluster() -> HostileCluster:
    hostile = container(101, name=NAME, hostname=HOSTNAME, description=DESCRIPTION, physpages=64_000)
    return HostileCluster({"hn1": snapshot("hn1", [hostile, container(102, name="plain")])})


def _screen_text(app: VztuiApp) -> tuple[str, list[Segment]]:
    """What the current screen paints: its lines as plain text, and every segment with a link or a click action."""
    strips = app.screen._compositor.render_strips()
    text = "\n".join("".join(segment.text for segment in strip) for strip in strips)
    linked = [
        segment
        for strip in strips
        for segment in strip
        if segment.style is not None and (segment.style.link or "@click" in segment.style.meta)
    ]
    return text, linked


def _assert_no_links(screen: Screen[object]) -> None:
    linking = [type(widget).__name__ for widget in screen.walk_children(Widget, with_self=True) if widget.auto_links]
    assert linking == [], f"{type(screen).__name__}: auto_links on in {linking}"


async def test_host_text_is_literal_and_never_a_link_on_every_screen() -> None:
    cluster = _cluster()
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)  # the beancounter panel follows the cursor after it rests
        main = app.main_screen
        assert main is not None and main.panel is not None
        text, linked = _screen_text(app)
        assert NAME in text and HOSTNAME in text  # the table and the panel's title
        assert linked == []
        _assert_no_links(app.screen)

        await app.push_screen(CtDetailScreen(cluster, "hn1", 101, clock=main.clock))
        await pilot.pause()
        text, linked = _screen_text(app)
        assert NAME in text and HOSTNAME in text and DESCRIPTION in text
        assert linked == []
        _assert_no_links(app.screen)
        app.pop_screen()
        await pilot.pause()

        main.action_failing()
        await pilot.pause()
        text, linked = _screen_text(app)
        assert NAME in text  # 101 holds 98 % of its RAM
        assert linked == []
        _assert_no_links(app.screen)
        app.pop_screen()
        await pilot.pause()

        await app.push_screen(CreateScreen(cluster, "hn1", {ISPBASIC.name: ISPBASIC}))
        await pilot.pause()
        await pilot.click("#ostemplate")
        await pilot.pause()
        text, linked = _screen_text(app)
        assert TEMPLATE in text
        assert linked == []
        _assert_no_links(app.screen)
