"""vztui's configuration: layered TOML files, environment and flags, validated strictly, with provenance."""

from vztui.config.errors import ConfigError
from vztui.config.loader import load_config
from vztui.config.locations import SYSTEM_CONFIG, default_state_dir, default_user_config
from vztui.config.model import (
    Config,
    DefaultsConfig,
    NodeConfig,
    Origin,
    OriginKind,
    PresetConfig,
    UiConfig,
)
from vztui.config.render import config_as_json, render_config

__all__ = [
    "SYSTEM_CONFIG",
    "Config",
    "ConfigError",
    "DefaultsConfig",
    "NodeConfig",
    "Origin",
    "OriginKind",
    "PresetConfig",
    "UiConfig",
    "config_as_json",
    "default_state_dir",
    "default_user_config",
    "load_config",
    "render_config",
]
