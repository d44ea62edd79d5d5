"""Values the engine keeps for every CT share what is identical instead of holding a copy each (memory at 10,000
CTs); sharing must never make one CT's value visible in, or changeable through, another's."""

from __future__ import annotations

import json

import pytest

from vztui.backend.assemble import _MAX_SHARED, SnapshotAssembler
from vztui.backend.batch import Section
from vztui.openvz.models import Container, CtStatus
from vztui.openvz.parsers import parse_vzlist_json


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


def _vzlist(cts: list[dict[str, object]], *, indent: int | None = 2) -> Section:
    return Section("vzlist", json.dumps(cts, indent=indent), 0)


def _ct(ctid: int, template: str, cpuunits: object = 1000) -> dict[str, object]:
    return {"ctid": ctid, "status": "running", "ostemplate": template, "cpuunits": cpuunits}


@pytest.mark.parametrize("indent", [2, None])  # vzlist's own layout (re-read per object), and any other (whole)
def test_cts_parsed_from_vzlist_share_equal_templates_and_cpu_units(indent: int | None) -> None:
    assembler = SnapshotAssembler("hn1")
    template = "centos-7-x86_64"
    parsed = assembler._parse_vzlist(
        _vzlist([_ct(101, template, 12345), _ct(102, template, 12345), _ct(103, "debian-9.0-x86_64")], indent=indent)
    )
    first, second, third = parsed
    assert first.ostemplate == second.ostemplate == template and first.ostemplate is second.ostemplate
    assert first.cpuunits == second.cpuunits == 12345 and first.cpuunits is second.cpuunits
    assert third.ostemplate == "debian-9.0-x86_64"
    assert parsed == list(
        parse_vzlist_json(
            _vzlist([_ct(101, template, 12345), _ct(102, template, 12345), _ct(103, "debian-9.0-x86_64")]).text
        )
    )


def test_a_ct_whose_template_changed_gets_its_new_value_not_a_shared_old_one() -> None:
    assembler = SnapshotAssembler("hn1")
    assembler._parse_vzlist(_vzlist([_ct(101, "centos-7-x86_64"), _ct(102, "centos-7-x86_64")]))
    parsed = assembler._parse_vzlist(_vzlist([_ct(101, "centos-7-x86_64"), _ct(102, "centos-8-x86_64")]))
    assert [ct.ostemplate for ct in parsed] == ["centos-7-x86_64", "centos-8-x86_64"]


def test_the_shared_values_per_field_are_bounded() -> None:
    assembler = SnapshotAssembler("hn1")
    assembler._parse_vzlist(_vzlist([_ct(1000 + n, f"template-{n}") for n in range(_MAX_SHARED + 10)]))
    assert len(assembler._shared["ostemplate"]) <= _MAX_SHARED
