"""Values the engine keeps for every CT share what is identical instead of holding a copy each (memory at 10,000
CTs); sharing must never make one CT's value visible in, or changeable through, another's."""

from __future__ import annotations

import pytest

from vztui.openvz.models import Container, CtStatus


def test_containers_without_flags_or_counters_share_one_read_only_empty_mapping_each() -> None:
    first = Container(ctid=101, status=CtStatus.STOPPED)
    second = Container(ctid=102, status=CtStatus.RUNNING)
    assert first.features is second.features
    assert first.capabilities is second.capabilities
    assert first.resources is second.resources
    assert dict(first.features) == dict(first.capabilities) == dict(first.resources) == {}
    with pytest.raises(TypeError):
        first.features["ipv6"] = True  # type: ignore[index]
    with pytest.raises(TypeError):
        first.resources["numproc"] = None  # type: ignore[index,assignment]


def test_a_container_given_its_own_flags_keeps_them() -> None:
    flagged = Container(ctid=101, status=CtStatus.RUNNING, features={"nfs": True})
    plain = Container(ctid=102, status=CtStatus.RUNNING)
    assert flagged.features == {"nfs": True}
    assert plain.features == {}
