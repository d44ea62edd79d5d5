"""The one registry of everything a key can do: bindings, the footer, ``?`` help and the command palette are all
generated from ``COMMANDS``, and read-only filtering is decided here once.

Each command has a binding id (what ``[keymap]`` in config.toml remaps), default keys, a title and the Textual
action it runs. Container actions come from ``vztui.openvz.actions.ACTIONS`` (their ids are the action ids);
only their keys are chosen here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from textual.binding import Binding, BindingType

from vztui.openvz.actions import ACTIONS


class Scope(StrEnum):
    """Where the binding lives: on the container table (navigation) or on the main screen (everything else)."""

    TABLE = "table"
    SCREEN = "screen"


class Group(StrEnum):
    NAVIGATION = "Navigation"
    VIEW = "View"
    MARKS = "Marks"
    CONTAINERS = "Containers"
    INSPECT = "Inspect"


@dataclass(frozen=True, slots=True)
class KeyCommand:
    """One thing the user can do. ``keys`` may be empty: then only the palette (or a keymap entry) reaches it."""

    id: str
    keys: str
    title: str
    group: Group
    action: str
    scope: Scope = Scope.SCREEN
    mutating: bool = False
    footer: bool = False
    description: str = ""
    container_action: str | None = None
    """The ``ACTIONS`` id this command invokes through the ActionRunner, if any."""


_VIEW: tuple[KeyCommand, ...] = (
    KeyCommand("cursor_up", "up,k", "Up", Group.NAVIGATION, "cursor_up", Scope.TABLE),
    KeyCommand("cursor_down", "down,j", "Down", Group.NAVIGATION, "cursor_down", Scope.TABLE),
    KeyCommand("page_up", "pageup,ctrl+b", "Page up", Group.NAVIGATION, "page_up", Scope.TABLE),
    KeyCommand("page_down", "pagedown,ctrl+f", "Page down", Group.NAVIGATION, "page_down", Scope.TABLE),
    KeyCommand("first", "home", "First row", Group.NAVIGATION, "first", Scope.TABLE),
    KeyCommand("last", "end", "Last row", Group.NAVIGATION, "last", Scope.TABLE),
    KeyCommand("scroll_left", "left", "Columns left", Group.NAVIGATION, "scroll_columns_left", Scope.TABLE),
    KeyCommand("scroll_right", "right", "Columns right", Group.NAVIGATION, "scroll_columns_right", Scope.TABLE),
    KeyCommand(
        "ct_detail", "enter,d", "Details", Group.INSPECT, "ct_detail", footer=True, description="Config, IPs, quota"
    ),
    KeyCommand("node_detail", "N", "Node details", Group.INSPECT, "node_detail", description="vz.conf, capacity"),
    KeyCommand(
        "failing",
        "f",
        "Failing now",
        Group.VIEW,
        "failing",
        footer=True,
        description="CTs whose failcnt rose recently or that sit at ≥ 90 % of a barrier",
    ),
    KeyCommand("filter", "slash", "Filter", Group.VIEW, "filter", footer=True, description="node:hn2 failcnt>0 web"),
    KeyCommand("clear_filter", "escape", "Clear filter", Group.VIEW, "clear_filter"),
    KeyCommand("sort_next", "o", "Sort: next column", Group.VIEW, "sort_next"),
    KeyCommand("sort_reverse", "O", "Sort: reverse", Group.VIEW, "sort_reverse"),
    KeyCommand("focus_tree", "t", "Node tree", Group.VIEW, "focus_tree", description="Focus the node tree"),
    KeyCommand("focus_log", "l", "Log pane", Group.VIEW, "focus_log", description="Focus the operation queue"),
    KeyCommand("toggle_beancounters", "b", "Beancounters", Group.VIEW, "toggle_beancounters", description="Show/hide"),
    KeyCommand("refresh", "ctrl+r,f5", "Refresh now", Group.VIEW, "refresh", description="Poll every node now"),
    KeyCommand("pause", "p", "Pause", Group.VIEW, "pause", footer=True, description="Pause or resume polling"),
    KeyCommand("theme", "T", "Next theme", Group.VIEW, "next_theme", description="Includes a 16-colour theme"),
    KeyCommand("copy_ctid", "c", "Copy CTID", Group.VIEW, "copy('ctid')", description="To the clipboard (OSC 52)"),
    KeyCommand("copy_ip", "C", "Copy IP", Group.VIEW, "copy('ip')", description="To the clipboard (OSC 52)"),
    KeyCommand("help", "question_mark", "Help", Group.VIEW, "help", footer=True),
    KeyCommand("quit", "q", "Quit", Group.VIEW, "quit", footer=True),
    KeyCommand("mark_toggle", "space", "Mark", Group.MARKS, "mark_toggle", description="Mark the row, step down"),
    KeyCommand("mark_range", "v", "Mark range", Group.MARKS, "mark_range", description="From the last mark"),
    KeyCommand("mark_all", "asterisk", "Mark all shown", Group.MARKS, "mark_all", description="Every filtered row"),
    KeyCommand("mark_invert", "i", "Invert marks", Group.MARKS, "mark_invert", description="Of the shown rows"),
    KeyCommand("mark_clear", "u", "Clear marks", Group.MARKS, "mark_clear"),
)

ACTION_KEYS: Mapping[str, str] = {
    "start": "s",
    "stop": "x",
    "stop_fast": "X",
    "restart": "r",
    "mount": "m",
    "umount": "M",
    "suspend": "z",
    "resume": "Z",
    "destroy": "D",
    "set": "e",
    "snapshot_list": "S",
    "snapshot_create": "",
    "snapshot_switch": "",
    "snapshot_delete": "",
    "snapshot_mount": "",
    "snapshot_umount": "",
    "migrate": "g",
    "enter": "E",
    "exec": "exclamation_mark",
    "create": "n",
    "status": "",
    "quota": "",
    "calc": "",
}
"""Default keys of the container actions (empty: palette only, or bind it in ``[keymap]``)."""


def _action_commands() -> tuple[KeyCommand, ...]:
    commands = []
    for spec in ACTIONS.values():
        commands.append(
            KeyCommand(
                id=spec.id,
                keys=ACTION_KEYS.get(spec.id, ""),
                title=spec.title,
                group=Group.CONTAINERS if spec.mutating or spec.interactive else Group.INSPECT,
                action=f"ct_action('{spec.id}')",
                mutating=spec.mutating,
                description=spec.description,
                container_action=spec.id,
            )
        )
    return tuple(commands)


COMMANDS: tuple[KeyCommand, ...] = _VIEW + _action_commands()
BY_ID: Mapping[str, KeyCommand] = {command.id: command for command in COMMANDS}


def table_bindings() -> list[BindingType]:
    return _bindings(Scope.TABLE)


def screen_bindings() -> list[BindingType]:
    return _bindings(Scope.SCREEN)


def _bindings(scope: Scope) -> list[BindingType]:
    return [
        Binding(command.keys, command.action, command.title, show=command.footer, id=command.id)
        for command in COMMANDS
        if command.scope is scope and command.keys
    ]


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Binding ids in a user keymap that no command has (reported once at start, not silently ignored)."""
    return sorted(binding for binding in keymap if binding not in BY_ID)


def palette_only(keymap: Mapping[str, str]) -> dict[str, str]:
    """Commands without default keys that the user bound: they need a binding created, not only remapped."""
    return {binding: keys for binding, keys in keymap.items() if binding in BY_ID and not BY_ID[binding].keys}


def effective_keys(command: KeyCommand, keymap: Mapping[str, str]) -> str:
    return keymap.get(command.id, command.keys)


def visible(command: KeyCommand, *, read_only: bool) -> bool:
    """Read-only sessions hide mutating commands everywhere (help, palette, footer) and refuse them."""
    return not (read_only and command.mutating)


_KEY_DISPLAY = {
    "question_mark": "?",
    "slash": "/",
    "asterisk": "*",
    "exclamation_mark": "!",
    "space": "space",
    "escape": "esc",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}


def display_keys(keys: str) -> str:
    """``"ctrl+r,f5"`` → ``"^r f5"`` for the help screen and the palette."""
    shown = []
    for raw in keys.split(","):
        key = raw.strip()
        if not key:
            continue
        if key.startswith("ctrl+") and len(key) == 6:
            shown.append(f"^{key[-1]}")
        else:
            shown.append(_KEY_DISPLAY.get(key, key))
    return " ".join(shown)
