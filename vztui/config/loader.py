"""Load the layered configuration (built-in < system file < user file < environment < flags), validate every key
strictly, and remember where each effective value came from.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vztui.config.errors import ConfigError
from vztui.config.keylines import KeyPath, dotted, key_lines, line_of
from vztui.config.locations import system_config_path, user_config_path
from vztui.config.model import (
    BUILTIN,
    Config,
    DefaultsConfig,
    NodeConfig,
    Origin,
    OriginKind,
    PresetConfig,
    UiConfig,
)
from vztui.config.presets import builtin_presets, preset_param
from vztui.config.schema import (
    BINDING_ID,
    DEFAULTS_FIELDS,
    ENVIRONMENT,
    INHERITED_FROM_DEFAULTS,
    NODE_FIELDS,
    NODE_NAME,
    PRESET_NAME,
    TABLES,
    UI_FIELDS,
    BadValueError,
    Field,
    describe,
    keys_value,
)
from vztui.openvz.errors import ValidationError

Overrides = Mapping[str, tuple[object, str]]
"""Command-line overrides: dotted key (``defaults.read_only``) → (value, the flag as typed)."""

_TOML_POSITION = re.compile(r"^(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")


@dataclass
class _Layer:
    """What one file says, validated, keyed by path, each value with its origin."""

    values: dict[KeyPath, tuple[Any, Origin]] = field(default_factory=dict)


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    choices = list(known)
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f' (did you mean "{close[0]}"?)'
    return f" (known: {', '.join(choices)})"


class _FileReader:
    """Validates one parsed TOML document, collecting ``file:LINE: message`` problems instead of stopping."""

    def __init__(self, path: Path, kind: OriginKind, source: str, problems: list[str]) -> None:
        self.path = path
        self.kind = kind
        self.lines = key_lines(source)
        self.problems = problems
        self.layer = _Layer()

    def origin(self, key: KeyPath) -> Origin:
        return Origin(self.kind, str(self.path), line_of(self.lines, key))

    def problem(self, key: KeyPath, message: str) -> None:
        line = line_of(self.lines, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        self.problems.append(f"{where}: {message}")

    def read(self, data: Mapping[str, Any]) -> _Layer:
        for table, body in data.items():
            if table not in TABLES:
                self.problem((table,), f"unknown table [{table}]{_did_you_mean(table, TABLES)}")
            elif not isinstance(body, dict):
                self.problem((table,), f"{table} must be a table ([{table}]), got {describe(body)}")
            elif table == "defaults":
                self.read_fields(("defaults",), body, DEFAULTS_FIELDS)
            elif table == "ui":
                self.read_fields(("ui",), body, UI_FIELDS)
            elif table == "nodes":
                self.read_nodes(body)
            elif table == "presets":
                self.read_presets(body)
            else:
                self.read_keymap(body)
        return self.layer

    def read_fields(self, prefix: KeyPath, body: Mapping[str, Any], known: Mapping[str, Field]) -> None:
        section = dotted(prefix)
        for key, value in body.items():
            path = (*prefix, key)
            spec = known.get(key)
            if spec is None:
                self.problem(path, f'unknown key "{key}" in [{section}]{_did_you_mean(key, known)}')
                continue
            try:
                self.layer.values[path] = (spec.convert(value), self.origin(path))
            except BadValueError as error:
                self.problem(path, f"{dotted(path)}: {error}")

    def read_named_table(self, table: str, name: str, body: object, pattern: re.Pattern[str]) -> bool:
        if not pattern.fullmatch(name):
            self.problem(
                (table, name),
                f'"{name}" is not a valid {table[:-1]} name (letters, digits, ".", "_", "-"; at most 63)',
            )
            return False
        if not isinstance(body, dict):
            here = dotted((table, name))
            self.problem((table, name), f"{here} must be a table ([{here}]), got {describe(body)}")
            return False
        return True

    def read_nodes(self, nodes: Mapping[str, Any]) -> None:
        for name, body in nodes.items():
            if not self.read_named_table("nodes", name, body, NODE_NAME):
                continue
            self.layer.values[("nodes", name)] = (name, self.origin(("nodes", name)))
            self.read_fields(("nodes", name), body, NODE_FIELDS)

    def read_presets(self, presets: Mapping[str, Any]) -> None:
        for name, body in presets.items():
            if not self.read_named_table("presets", name, body, PRESET_NAME):
                continue
            params: list[tuple[str, str]] = []
            description = ""
            ok = True
            for option, value in body.items():
                path = ("presets", name, option)
                if option == "description":
                    if isinstance(value, str):
                        description = value
                    else:
                        self.problem(path, f"{dotted(path)}: expected a string, got {describe(value)}")
                        ok = False
                    continue
                try:
                    params.append((option, preset_param(option, value)))
                except BadValueError as error:
                    self.problem(path, f"{dotted(path)}: {error}")
                    ok = False
            if not ok:
                continue
            try:
                preset = PresetConfig(name, tuple(params), description)
            except ValidationError as error:
                self.problem(("presets", name), f"{dotted(('presets', name))}: {error}")
                continue
            self.layer.values[("presets", name)] = (preset, self.origin(("presets", name)))

    def read_keymap(self, keymap: Mapping[str, Any]) -> None:
        for binding, value in keymap.items():
            path = ("keymap", binding)
            if not BINDING_ID.fullmatch(binding):
                self.problem(path, f'"{binding}" is not a binding id')
                continue
            try:
                self.layer.values[path] = (keys_value(value), self.origin(path))
            except BadValueError as error:
                self.problem(path, f"{dotted(path)}: {error}")


def _read_file(path: Path, kind: OriginKind, problems: list[str]) -> _Layer:
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.append(f"{path}: cannot read: {error.strerror or error}")
        return _Layer()
    return _read_bytes(path, raw, kind, problems)


def validate_text(path: Path, text: str) -> None:
    """Raise ConfigError if ``text`` would not load as a config file (used before writing one)."""
    problems: list[str] = []
    _read_bytes(path, text.encode("utf-8"), OriginKind.USER, problems)
    if problems:
        raise ConfigError(problems)


def _read_bytes(path: Path, raw: bytes, kind: OriginKind, problems: list[str]) -> _Layer:
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: not valid UTF-8 text")
        return _Layer()
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_POSITION.match(str(error))
        if match:
            problems.append(
                f"{path}:{match['line']}: invalid TOML: {match['message'].lower()} (column {match['column']})"
            )
        else:
            problems.append(f"{path}: invalid TOML: {error}")
        return _Layer()
    return _FileReader(path, kind, source, problems).read(data)


def _environment_layer(environ: Mapping[str, str], problems: list[str]) -> _Layer:
    layer = _Layer()
    for variable, (table, key) in ENVIRONMENT.items():
        if variable not in environ:
            continue
        spec = (DEFAULTS_FIELDS if table == "defaults" else UI_FIELDS)[key]
        try:
            value = spec.from_env(environ[variable])
        except BadValueError as error:
            problems.append(f"environment variable {variable}: {error}")
            continue
        layer.values[(table, key)] = (value, Origin(OriginKind.ENV, name=variable))
    return layer


def _flag_layer(overrides: Overrides, problems: list[str]) -> _Layer:
    layer = _Layer()
    tables = {"defaults": DEFAULTS_FIELDS, "ui": UI_FIELDS}
    for key_name, (value, flag) in overrides.items():
        table, _, key = key_name.partition(".")
        spec = tables[table][key]
        try:
            layer.values[(table, key)] = (spec.convert(value), Origin(OriginKind.FLAG, name=flag))
        except BadValueError as error:
            problems.append(f"{flag}: {error}")
    return layer


class _Builder:
    """Turns the merged leaves into frozen dataclasses and the provenance map."""

    def __init__(self, values: Mapping[KeyPath, tuple[Any, Origin]]) -> None:
        self.values = values
        self.provenance: dict[str, Origin] = {}

    def section(self, prefix: KeyPath, names: Iterable[str]) -> dict[str, Any]:
        chosen: dict[str, Any] = {}
        for name in names:
            entry = self.values.get((*prefix, name))
            if entry is not None:
                chosen[name] = entry[0]
                self.provenance[".".join((*prefix, name))] = entry[1]
            else:
                self.provenance[".".join((*prefix, name))] = BUILTIN
        return chosen

    def defaults(self) -> DefaultsConfig:
        return DefaultsConfig(**self.section(("defaults",), DEFAULTS_FIELDS))

    def ui(self) -> UiConfig:
        return UiConfig(**self.section(("ui",), UI_FIELDS))

    def node(self, name: str, defaults: DefaultsConfig) -> NodeConfig:
        chosen: dict[str, Any] = {"name": name}
        for key in NODE_FIELDS:
            key_name = f"nodes.{name}.{key}"
            entry = self.values.get(("nodes", name, key))
            inherited = INHERITED_FROM_DEFAULTS.get(key)
            if entry is not None:
                chosen[key], self.provenance[key_name] = entry
            elif inherited is not None:
                chosen[key] = getattr(defaults, inherited)
                self.provenance[key_name] = self.provenance[f"defaults.{inherited}"].inherited(f"defaults.{inherited}")
            elif key == "host":
                chosen[key] = name
                self.provenance[key_name] = BUILTIN
            else:
                self.provenance[key_name] = BUILTIN
        return NodeConfig(**chosen)

    def names(self, table: str) -> list[str]:
        return [path[1] for path in self.values if len(path) == 2 and path[0] == table]


def load_config(
    *,
    config_path: str | Path | None = None,
    system_path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Overrides | None = None,
) -> Config:
    """The effective configuration, or ConfigError listing every problem as ``file:LINE: message``.

    ``config_path`` is ``--config`` (else ``VZTUI_CONFIG``, else the platformdirs user file; an explicit file must
    exist). ``system_path`` defaults to ``VZTUI_SYSTEM_CONFIG`` or ``/etc/vztui/config.toml``.
    """
    env = os.environ if environ is None else environ
    problems: list[str] = []
    user_path, explicit = user_config_path(config_path, env)
    system = system_config_path(system_path, env)

    layers: list[_Layer] = []
    loaded: list[Path] = []
    builtin = _Layer({("presets", name): (preset, BUILTIN) for name, preset in builtin_presets().items()})
    layers.append(builtin)
    if system.is_file():
        layers.append(_read_file(system, OriginKind.SYSTEM, problems))
        loaded.append(system)
    if user_path.is_file():
        layers.append(_read_file(user_path, OriginKind.USER, problems))
        loaded.append(user_path)
    elif explicit:
        problems.append(f"{user_path}: config file not found")
    layers.append(_environment_layer(env, problems))
    layers.append(_flag_layer(overrides or {}, problems))
    if problems:
        raise ConfigError(problems)

    merged: dict[KeyPath, tuple[Any, Origin]] = {}
    for layer in layers:
        merged.update(layer.values)
    builder = _Builder(merged)
    defaults = builder.defaults()
    ui = builder.ui()
    nodes = {name: builder.node(name, defaults) for name in builder.names("nodes")}
    presets: dict[str, PresetConfig] = {}
    for name in builder.names("presets"):
        presets[name], builder.provenance[f"presets.{name}"] = merged[("presets", name)]
    keymap: dict[str, str] = {}
    for path, (keys, origin) in merged.items():
        if path[0] == "keymap":
            keymap[path[1]] = keys
            builder.provenance[f"keymap.{path[1]}"] = origin
    return Config(
        defaults=defaults,
        nodes=MappingProxyType(nodes),
        presets=MappingProxyType(presets),
        keymap=MappingProxyType(keymap),
        ui=ui,
        provenance=MappingProxyType(builder.provenance),
        user_path=user_path,
        loaded_files=tuple(loaded),
    )
