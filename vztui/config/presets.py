"""``[presets.NAME]`` tables: ``vzctl set`` parameters, each checked the way vzctl itself would read it before
any node sees it (an unknown option or ``ram = "lots"`` is a config error, not a failed create at 3 a.m.).
"""

from __future__ import annotations

from collections.abc import Mapping

from vztui.config.model import PresetConfig
from vztui.config.schema import BadValueError, describe


def preset_param(option: str, value: object) -> str:
    """One preset entry as the string vzctl receives; raises BadValueError with the reason.

    An empty string is allowed and means "not set" (the create plan skips it rather than send ``--ipadd ''``).
    """
    from vztui.openvz.setparams import SET_OPTIONS_BY_NAME, SetParamError, parse_set_args

    spec = SET_OPTIONS_BY_NAME.get(option)
    if spec is None:
        raise BadValueError(f'"{option}" is not a vzctl set option')
    if not spec.takes_argument:
        raise BadValueError(f'"{option}" is a flag of vzctl set, not a parameter a preset can carry')
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadValueError(f"expected a string or an integer, got {describe(value)}")
    text = str(value)
    if text == "":
        return text
    try:
        parse_set_args([f"--{option}", text])
    except SetParamError as error:
        raise BadValueError(f"vzctl would refuse it: {error.message.strip()}") from None
    _strict(option, text)
    return text


def _strict(option: str, text: str) -> None:
    """vztui's own validators, stricter than vzctl (``ram = "100"`` is 100 bytes: surely a missing suffix)."""
    from vztui.openvz.resources import RESOURCES
    from vztui.openvz.validate import validate_form

    key = f"ubc.{option}" if option in RESOURCES else option
    _, errors = validate_form({key: text})
    for error in errors:
        if error.message != "is not a settable field":
            raise BadValueError(error.message)


def builtin_presets() -> Mapping[str, PresetConfig]:
    """``ispbasic``: the seed panel's standard preset; a ``[presets.ispbasic]`` table replaces it."""
    from vztui.openvz.presets import ISPBASIC

    return {ISPBASIC.name: ISPBASIC}
