"""Where configuration files live, and which environment variables choose them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

SYSTEM_CONFIG = Path("/etc/vztui/config.toml")
CONFIG_ENV = "VZTUI_CONFIG"
SYSTEM_CONFIG_ENV = "VZTUI_SYSTEM_CONFIG"


def default_user_config() -> Path:
    """``config.toml`` in the platformdirs user config directory (``~/.config/vztui`` on Linux)."""
    from platformdirs import user_config_path

    return user_config_path("vztui") / "config.toml"


def default_state_dir() -> Path:
    """Where vztui keeps what it learns (the journal): the platformdirs user state directory."""
    from platformdirs import user_state_path

    return user_state_path("vztui")


def user_config_path(explicit: str | Path | None, environ: Mapping[str, str]) -> tuple[Path, bool]:
    """The user file in effect and whether it was asked for explicitly (then it must exist)."""
    if explicit is not None:
        return Path(explicit).expanduser(), True
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser(), True
    return default_user_config(), False


def system_config_path(explicit: str | Path | None, environ: Mapping[str, str]) -> Path:
    if explicit is not None:
        return Path(explicit).expanduser()
    if environ.get(SYSTEM_CONFIG_ENV):
        return Path(environ[SYSTEM_CONFIG_ENV]).expanduser()
    return SYSTEM_CONFIG
