"""``[presets.NAME]`` tables: ``vzctl set`` parameters checked before any node sees them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from vztui.config.model import PresetConfig
from vztui.config.schema import BadValueError, describe

_OPTION = re.compile(r"[a-z][a-z0-9_]*")


def preset_param(option: str, value: object) -> str:
    """One preset entry as the string vzctl receives; raises BadValueError with the reason."""
    if not _OPTION.fullmatch(option):
        raise BadValueError(f'"{option}" is not a vzctl set option')
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadValueError(f"expected a string or an integer, got {describe(value)}")
    return str(value)


def builtin_presets() -> Mapping[str, PresetConfig]:
    return {}
