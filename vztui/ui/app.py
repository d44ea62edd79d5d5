"""``VztuiApp``: starts the engine, forwards its callbacks to the main screen, stops it on the way out.

Imported lazily by ``vztui.cli.dashboard``; it imports only what the first frame needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from vztui.backend.operation import Operation
from vztui.backend.snapshot import NodeDelta
from vztui.backend.transport import OutputLine
from vztui.openvz.presets import Preset
from vztui.ui.backend_api import ClusterApi
from vztui.ui.delta_pacer import DeltaPacer
from vztui.ui.keymap import unknown_ids
from vztui.ui.screens.main import MainScreen
from vztui.ui.state.columns import COLUMNS, DEFAULT_COLUMNS

_HERE = Path(__file__).parent

THEMES: tuple[str, ...] = ("textual-dark", "ansi-dark", "textual-light", "ansi-light", "nord", "gruvbox")
"""What ``T`` cycles through; ``ansi-dark``/``ansi-light`` use the terminal's 16 colours only."""


def next_theme(current: str) -> str:
    try:
        return THEMES[(THEMES.index(current) + 1) % len(THEMES)]
    except ValueError:
        return THEMES[0]


def _commands_provider() -> type:
    from vztui.ui.commands import VztuiCommands

    return VztuiCommands


class VztuiApp(App[object]):
    """The dashboard. ``clock`` feeds every relative time on screen (tests and screenshots freeze it)."""

    TITLE = "vztui"
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        _HERE / "app.tcss",
        _HERE / "widgets" / "beancounters.tcss",
        _HERE / "widgets" / "ops_pane.tcss",
    ]
    COMMANDS: ClassVar = App.COMMANDS | {_commands_provider}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "request_quit", "Quit", show=False, priority=True, id="app_quit"),
    ]

    def __init__(
        self,
        cluster: ClusterApi,
        *,
        cluster_name: str,
        read_only: bool,
        keymap: dict[str, str],
        theme: str | None,
        clock: Callable[[], float] = time.time,
        columns: Sequence[str] | None = None,
        start_cluster: bool = True,
        presets: Mapping[str, Preset] | None = None,
    ) -> None:
        """``presets``: the configured create presets by name (None: the built-in ``ispbasic``)."""
        super().__init__()
        self.cluster = cluster
        self.cluster_name = cluster_name
        self.read_only = read_only or cluster.read_only
        self.keymap: Mapping[str, str] = dict(keymap)
        self.clock = clock
        self._columns = tuple(columns) if columns else DEFAULT_COLUMNS
        self._start_cluster = start_cluster
        self.presets: Mapping[str, Preset] | None = presets
        self._requested_theme = theme
        self._unsubscribe: Callable[[], None] | None = None
        self._main: MainScreen | None = None
        self._deltas = DeltaPacer(self._apply_delta)
        self.animation_level = "none"

    # -- lifecycle ---------------------------------------------------------------------------------------------

    @property
    def main_screen(self) -> MainScreen | None:
        return self._main

    async def on_mount(self) -> None:
        problems = []
        if self._requested_theme:
            if self._requested_theme in self.available_themes:
                self.theme = self._requested_theme
            else:
                problems.append(f"theme {self._requested_theme!r} is unknown (try one of: {', '.join(THEMES)})")
        bad_columns = [column for column in self._columns if column not in COLUMNS]
        if bad_columns:
            known = ", ".join(COLUMNS)
            problems.append(f"columns: unknown {', '.join(bad_columns)} (known: {known})")
            self._columns = tuple(column for column in self._columns if column in COLUMNS) or DEFAULT_COLUMNS
        unknown = unknown_ids(self.keymap)
        if unknown:
            problems.append(f"keymap: unknown binding ids {', '.join(unknown)} (see ? for the ids)")
        self.set_keymap({key: value for key, value in self.keymap.items() if key not in unknown})
        self._main = MainScreen(
            self.cluster,
            cluster_name=self.cluster_name,
            read_only=self.read_only,
            keymap=self.keymap,
            clock=self.clock,
            columns=self._columns,
            refresh_every=_refresh_every(self.cluster),
            presets=self.presets,
            after_deltas=self._deltas.when_idle,
        )
        await self.push_screen(self._main)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._unsubscribe = self.cluster.subscribe(self)
        for problem in problems:
            self.notify(problem, severity="warning", markup=False, timeout=10)
        self._watch_hangup()
        if self._start_cluster:
            # After the first frame: starting spawns the first polls, which would otherwise delay it.
            # The coroutine is made only when the callback runs: an app that exits before its first refresh (a
            # test, a lost terminal) leaves no never-awaited coroutine behind.
            self.call_after_refresh(self._start_worker)

    def _start_worker(self) -> None:
        self.run_worker(self._start(), name="cluster-start", exit_on_error=False)

    async def _start(self) -> None:
        try:
            await self.cluster.start()
        except Exception as error:
            self.notify(f"Cannot start: {error}", severity="error", markup=False, timeout=30)

    def _watch_hangup(self) -> None:
        """The terminal went away (ssh dropped, window closed): leave cleanly, stopping the engine first."""
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for number in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, self.exit)

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._deltas.clear()
        if self._start_cluster:
            await self.cluster.stop()

    async def action_quit(self) -> None:
        """Textual's ctrl+q and the palette's Quit ask first too, like ``q`` and ctrl+c."""
        self.action_request_quit()

    def action_request_quit(self) -> None:
        """ctrl+c from any screen: the main screen's quit (which asks first if operations would be killed)."""
        main = self._main
        if main is None or not main.is_mounted:
            self.exit()
        elif not isinstance(self.screen, _quit_screen_type()):
            main.action_quit()

    def _theme_changed(self, _theme: object) -> None:
        if self._main is not None:
            from vztui.ui.widgets.gauge import palette_of

            self._main.apply_palette(palette_of(self))

    # -- ClusterListener: the engine calls these on the event loop ----------------------------------------------

    def on_delta(self, delta: NodeDelta) -> None:
        self._deltas.push(delta)

    def _apply_delta(self, delta: NodeDelta) -> None:
        if self._main is not None and self._main.is_mounted:
            self._main.apply_delta(delta)

    def on_operation(self, op: Operation) -> None:
        if self._main is not None and self._main.is_mounted:
            self._main.operation_changed(op)

    def on_output(self, op_id: str, lines: Sequence[OutputLine]) -> None:
        if self._main is not None and self._main.is_mounted:
            self._main.output_arrived(op_id, tuple(lines))


def _quit_screen_type() -> type:
    from vztui.ui.screens.quit import QuitScreen

    return QuitScreen


def _refresh_every(cluster: ClusterApi) -> float | None:
    """The polling interval when every node shares one (the header says "live every 2s")."""
    spec = getattr(cluster, "spec", None)
    if spec is None:
        return None
    intervals = {spec(node).refresh for node in cluster.nodes}
    return intervals.pop() if len(intervals) == 1 else None
