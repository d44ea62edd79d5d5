"""Strict validators: refuse with a clear message, and whatever they accept vzctl accepts too (and needs no quoting)."""

from __future__ import annotations

import shlex
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vztui.openvz.conf import apply_set
from vztui.openvz.errors import ValidationError
from vztui.openvz.setparams import SetParamError, parse_set_args
from vztui.openvz.units import LONG_MAX, Unit
from vztui.openvz.validate import (
    SetChanges,
    validate_barrier_limit,
    validate_cpulimit,
    validate_cpus,
    validate_cpuunits,
    validate_ctid,
    validate_description,
    validate_form,
    validate_hostname,
    validate_ioprio,
    validate_ip,
    validate_layout,
    validate_name,
    validate_nameserver,
    validate_onboot,
    validate_size,
    validate_snapshot_uuid,
    validate_template,
)


def refused(func: object, *args: object, **kwargs: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)  # type: ignore[operator]
    return info.value


class TestCtid:
    def test_normal_ids(self) -> None:
        assert validate_ctid("101") == 101
        assert validate_ctid(2147483644) == 2147483644

    @pytest.mark.parametrize("value", [0, "0", 1, 100, "100"])
    def test_reserved_ids_are_refused_with_an_explanation(self, value: object) -> None:
        error = refused(validate_ctid, value)
        assert error.field == "ctid"
        assert "reserved" in error.message or "hardware node" in error.message

    @pytest.mark.parametrize("value", ["abc", "0x10", "-5", "1e3", "", " ", "１０１"])
    def test_non_numbers(self, value: str) -> None:
        refused(validate_ctid, value)

    def test_above_veid_max(self) -> None:
        assert "largest" in refused(validate_ctid, 2147483645).message


class TestHostname:
    @pytest.mark.parametrize("value", ["web1", "web-1.example.com", "a", "x" * 63 + ".com"])
    def test_accepted(self, value: str) -> None:
        assert validate_hostname(value) == value

    def test_semicolon_is_refused_unlike_vzctl(self) -> None:
        error = refused(validate_hostname, "a;b")
        assert "';'" in error.message
        assert parse_set_args(["--hostname", "a;b"]).hostname == "a;b"

    @pytest.mark.parametrize("value", ["", "-web", "web-", "a..b", ".a", "a.", "x" * 64, "wéb", "a b", "a_b"])
    def test_refused(self, value: str) -> None:
        refused(validate_hostname, value)

    def test_total_length(self) -> None:
        refused(validate_hostname, ".".join(["a" * 60] * 5))


class TestIp:
    @pytest.mark.parametrize(
        ("value", "stored"),
        [
            ("10.0.1.5", "10.0.1.5"),
            ("10.0.1.5/24", "10.0.1.5/24"),
            ("2001:DB8:0:0::1", "2001:db8::1"),
            ("2001:db8::1/64", "2001:db8::1/64"),
        ],
    )
    def test_accepted_in_vzctl_form(self, value: str, stored: str) -> None:
        assert validate_ip(value) == stored

    @pytest.mark.parametrize("value", ["999.1.1.1", "abc", "10.0.0.1/33", "10.0.0.1/", "0.0.0.0", "::", "1.2.3"])
    def test_refused(self, value: str) -> None:
        refused(validate_ip, value)

    def test_nameserver_takes_no_prefix(self) -> None:
        assert validate_nameserver("inherit") == "inherit"
        refused(validate_nameserver, "8.8.8.8/32")


class TestSizes:
    def test_suffixes(self) -> None:
        assert validate_size("512M") == 512 * 1024**2
        assert validate_size("1.5G") == 1536 * 1024**2
        assert validate_size("3000M", unit=Unit.KIB) == 3072000
        assert validate_size("5M", unit=Unit.PAGES) == 1280

    def test_bare_numbers_are_in_the_unit(self) -> None:
        assert validate_size("131072", unit=Unit.PAGES) == 131072

    @pytest.mark.parametrize("value", ["", "abc", "1.5", "-1", "5X", "1 G", "unlimited"])
    def test_refused(self, value: str) -> None:
        refused(validate_size, value)

    def test_items_refuse_suffixes(self) -> None:
        assert "count" in refused(validate_size, "5M", unit=Unit.ITEMS).message

    def test_barrier_limit(self) -> None:
        assert validate_barrier_limit("131072:unlimited", unit=Unit.PAGES) == (131072, LONG_MAX)
        assert validate_barrier_limit("240") == (240, 240)

    @pytest.mark.parametrize("value", ["1:2:3", "200:100", ":5", "5:", "a:b"])
    def test_barrier_limit_refused(self, value: str) -> None:
        refused(validate_barrier_limit, value)


class TestCpuAndMisc:
    def test_cpuunits(self) -> None:
        assert validate_cpuunits("8") == 8
        assert validate_cpuunits(500000) == 500000
        for bad in ("0", "7", "500001", "x"):
            refused(validate_cpuunits, bad)

    def test_cpulimit(self) -> None:
        assert validate_cpulimit("50%", host_cpus=4) == (50, True)
        assert validate_cpulimit("400", host_cpus=4) == (400, False)
        assert "maximum 400" in refused(validate_cpulimit, "401", host_cpus=4).message
        refused(validate_cpulimit, "101%")

    def test_cpus(self) -> None:
        assert validate_cpus("0", host_cpus=4) == 0
        assert "only 4" in refused(validate_cpus, "5", host_cpus=4).message
        assert validate_cpus("1024") == 1024
        refused(validate_cpus, "1025")

    def test_ioprio(self) -> None:
        assert validate_ioprio("7") == 7
        refused(validate_ioprio, "8")

    def test_onboot(self) -> None:
        assert validate_onboot("yes") is True
        assert validate_onboot("No") is False
        refused(validate_onboot, "maybe")

    def test_names(self) -> None:
        assert validate_name("web-1.prod") == "web-1.prod"
        assert "container ID" in refused(validate_name, "101").message
        for bad in ("-x", "a b", "a;b", "", "é"):
            refused(validate_name, bad)

    def test_descriptions(self) -> None:
        assert validate_description("Front end #2 (Müller GmbH)") == "Front end #2 (Müller GmbH)"
        for bad in ("two\nlines", 'say "hi"', "back\\slash", "bell\x07"):
            refused(validate_description, bad)

    def test_templates_layouts_uuids(self) -> None:
        assert validate_template("centos-6-x86_64") == "centos-6-x86_64"
        refused(validate_template, "../etc/passwd")
        assert validate_layout("ploop:expanded") == "ploop:expanded"
        refused(validate_layout, "zfs")
        uuid = "{12345678-9abc-def0-1234-56789abcdef0}"
        assert validate_snapshot_uuid(uuid) == uuid
        assert validate_snapshot_uuid(uuid[1:-1]) == uuid
        assert len(uuid) == 38
        refused(validate_snapshot_uuid, "{1234}")
        refused(validate_snapshot_uuid, uuid[:-1])


class TestSetChanges:
    def test_to_args_in_seed_order(self) -> None:
        changes = SetChanges(
            ram=512 * 1024**2,
            swap=1024**3,
            cpuunits=100,
            hostname="web1",
            ip_add=("10.0.0.5",),
            ubc={"lockedpages": (131072, LONG_MAX)},
        )
        assert changes.to_args() == [
            "--ipadd",
            "10.0.0.5",
            "--hostname",
            "web1",
            "--swap",
            "1G",
            "--ram",
            "512M",
            "--lockedpages",
            "131072:unlimited",
            "--cpuunits",
            "100",
        ]

    def test_preview_through_the_config_writer(self) -> None:
        changes = SetChanges(ram=512 * 1024**2, diskspace=(3072000, 3072000))
        conf = 'PHYSPAGES="0:256M"\nDISKSPACE="2G:2.2G"\n'
        assert apply_set(conf, changes.to_request(ctid=101)) == 'PHYSPAGES="0:131072"\nDISKSPACE="3072000:3072000"\n'

    def test_empty(self) -> None:
        assert SetChanges().is_empty

    def test_unknown_ubc_is_refused(self) -> None:
        refused(SetChanges, ubc={"bogus": (1, 1)})

    def test_form(self) -> None:
        changes, errors = validate_form(
            {"ram": "512M", "swap": "", "ipadd": "10.0.0.5, 10.0.0.6", "ubc.numproc": "240", "cpulimit": "50%"},
            host_cpus=2,
        )
        assert errors == []
        assert changes is not None
        assert changes.ip_add == ("10.0.0.5", "10.0.0.6")
        assert changes.ubc["numproc"] == (240, 240)
        assert changes.to_request().cpulimit_value(host_cpus=2) == 100

    def test_form_reports_every_bad_field(self) -> None:
        changes, errors = validate_form({"hostname": "a;b", "cpuunits": "0", "ram": "512", "bogus": "1"})
        assert changes is None
        assert {error.field for error in errors} == {"hostname", "cpuunits", "ram", "bogus"}

    def test_ipdel_all(self) -> None:
        changes, _ = validate_form({"ipdel": "all"})
        assert changes is not None
        assert changes.to_args() == ["--ipdel", "all"]


# --- validator accepts ⇒ vzctl accepts it, and it is a plain shell word --------------------------------------


def _vzctl_accepts(option: str, value: str) -> None:
    try:
        parse_set_args([option, value])
    except SetParamError as error:  # pragma: no cover - this is the failure being looked for
        pytest.fail(f"{option} {value!r} accepted by the validator but refused by vzctl: {error.message}")


@given(st.one_of(st.from_regex(r"[a-z0-9][a-z0-9.-]{0,30}", fullmatch=True), st.text(max_size=20)))
def test_accepted_hostnames_are_vzctl_compatible_and_shell_safe(value: str) -> None:
    try:
        hostname = validate_hostname(value)
    except ValidationError:
        return
    _vzctl_accepts("--hostname", hostname)
    assert shlex.quote(hostname) == hostname


@given(st.one_of(st.ip_addresses().map(str), st.text(max_size=20)), st.one_of(st.none(), st.integers(0, 130)))
def test_accepted_ips_are_vzctl_compatible_and_shell_safe(address: str, prefix: int | None) -> None:
    value = address if prefix is None else f"{address}/{prefix}"
    try:
        canonical = validate_ip(value)
    except ValidationError:
        return
    assert parse_set_args(["--ipadd", value]).ip_add == (canonical,)
    assert shlex.quote(canonical) == canonical


@given(st.one_of(st.from_regex(r"[0-9]{1,12}(\.[0-9]{1,3})?[KMGkmg]?", fullmatch=True), st.text(max_size=8)))
def test_accepted_ram_sizes_mean_the_same_to_vzctl(value: str) -> None:
    try:
        size = validate_size(value)
    except ValidationError:
        return
    sent = value.strip()  # forms strip what the admin typed (validate_form); the stripped text is what runs
    pages = parse_set_args(["--ram", sent]).ubc["physpages"][1]
    assert pages == -(-size // 4096)
    assert shlex.quote(sent) == sent


@given(
    st.one_of(st.from_regex(r"([0-9]{1,8}|unlimited)(:([0-9]{1,8}|unlimited))?", fullmatch=True), st.text(max_size=8))
)
def test_accepted_barrier_limits_mean_the_same_to_vzctl(value: str) -> None:
    try:
        pair = validate_barrier_limit(value)
    except ValidationError:
        return
    assert parse_set_args(["--numproc", value]).ubc["numproc"] == pair
    assert shlex.quote(value) == value


@given(st.text(max_size=10))
def test_accepted_numbers_are_vzctl_compatible(value: str) -> None:
    checks = (
        ("--cpuunits", validate_cpuunits),
        ("--cpus", validate_cpus),
        ("--ioprio", validate_ioprio),
        ("--cpulimit", lambda v: validate_cpulimit(v, host_cpus=4)),
    )
    for option, validator in checks:
        try:
            validator(value)
        except ValidationError:
            continue
        _vzctl_accepts(option, value.strip())


@given(st.text(max_size=30))
def test_accepted_names_are_vzctl_compatible_and_shell_safe(value: str) -> None:
    try:
        name = validate_name(value)
    except ValidationError:
        return
    _vzctl_accepts("--name", name)
    assert shlex.quote(name) == name


@given(st.text(max_size=40))
def test_accepted_descriptions_are_one_printable_line(value: str) -> None:
    try:
        text = validate_description(value)
    except ValidationError:
        return
    _vzctl_accepts("--description", text)
    assert "\n" not in text
    # Printable, or a space of some kind (a no-break space is legitimate text); never a line or paragraph separator.
    assert all(ch.isprintable() or unicodedata.category(ch) == "Zs" for ch in text)


_changes = st.builds(
    SetChanges,
    ram=st.one_of(st.none(), st.integers(1, 2**40)),
    swap=st.one_of(st.none(), st.integers(0, 2**40)),
    cpuunits=st.one_of(st.none(), st.integers(8, 500000)),
    cpulimit=st.one_of(st.none(), st.tuples(st.integers(0, 100), st.booleans())),
    cpus=st.one_of(st.none(), st.integers(0, 64)),
    diskspace=st.one_of(st.none(), st.tuples(st.integers(1, 2**30), st.integers(1, 2**30)).map(sorted).map(tuple)),
    quotaugidlimit=st.one_of(st.none(), st.integers(0, 100000)),
    ubc=st.dictionaries(
        st.sampled_from(["numproc", "lockedpages", "kmemsize", "privvmpages"]),
        st.tuples(st.integers(0, 2**40), st.just(LONG_MAX)),
        max_size=3,
    ),
    ip_add=st.lists(st.ip_addresses(v=4).map(str).filter(lambda a: a != "0.0.0.0"), max_size=3, unique=True).map(tuple),
    hostname=st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)),
    onboot=st.one_of(st.none(), st.booleans()),
)


@given(_changes)
def test_set_changes_round_trip_through_vzctl_parsing(changes: SetChanges) -> None:
    request = changes.to_request(ctid=101)
    if changes.ram is not None:
        assert request.ubc["physpages"] == (0, -(-changes.ram // 4096))
    if changes.swap is not None:
        assert request.ubc["swappages"] == (0, -(-changes.swap // 4096))
    for resource, pair in changes.ubc.items():
        assert request.ubc[resource] == pair
    assert request.cpuunits == changes.cpuunits
    assert request.cpulimit == changes.cpulimit
    assert request.diskspace == changes.diskspace
    assert request.ip_add == changes.ip_add
    assert request.hostname == changes.hostname
    assert request.onboot == changes.onboot
    assert all(shlex.quote(arg) == arg for arg in changes.to_args())


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_descriptions_refuse_unicode_line_separators(separator: str) -> None:
    with pytest.raises(ValidationError):
        validate_description(f"web{separator}frontend")
