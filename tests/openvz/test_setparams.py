"""vzctl set/create command-line parsing: values, units and messages exactly as vzctl 4.11.1 (REFERENCE §2.5, §11)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vztui.openvz.conflines import read_config_request
from vztui.openvz.setparams import (
    SET_OPTIONS,
    SET_OPTIONS_BY_NAME,
    SetParamError,
    check_set_request,
    parse_create_args,
    parse_set_args,
)
from vztui.openvz.setvalues import generate_mac, parse_twoul_sfx, parse_ul_sfx, strtoull
from vztui.openvz.units import LONG_MAX


def parse(*args: str, **kwargs: object) -> object:
    return parse_set_args(list(args), **kwargs)  # type: ignore[arg-type]


def error_of(*args: str, **kwargs: object) -> SetParamError:
    with pytest.raises(SetParamError) as info:
        parse_set_args(list(args), **kwargs)  # type: ignore[arg-type]
    return info.value


class TestVswapSizes:
    def test_ram_512m_is_131072_pages_with_barrier_zero(self) -> None:
        request = parse_set_args(["--ram", "512M"])
        assert request.ubc["physpages"] == (0, 131072)

    def test_swap_1g_is_262144_pages(self) -> None:
        assert parse_set_args(["--swap", "1G"]).ubc["swappages"] == (0, 262144)

    def test_bare_number_means_bytes_rounded_up_to_pages(self) -> None:
        assert parse_set_args(["--ram", "4097"]).ubc["physpages"] == (0, 2)
        assert parse_set_args(["--ram", "4096"]).ubc["physpages"] == (0, 1)

    def test_ram_minus_one_wraps_to_zero_pages_like_vzctl(self) -> None:
        assert parse_set_args(["--ram", "-1"]).ubc["physpages"] == (0, 0)

    def test_swap_zero(self) -> None:
        assert parse_set_args(["--swap", "0"]).ubc["swappages"] == (0, 0)

    def test_ram_1g_matches_the_real_capture(self) -> None:
        assert parse_set_args(["--ram", "1G"]).ubc["physpages"] == (0, 262144)

    def test_bad_ram_message_and_exit_code(self) -> None:
        error = error_of("--ram", "abc")
        assert error.message == "Bad parameter for --ram: abc"
        assert error.exit_code == 21

    def test_non_vswap_kernel_refuses_ram_with_exit_3(self) -> None:
        error = error_of("--ram", "1G", vswap_kernel=False)
        assert error.exit_code == 3
        assert error.message.splitlines() == [
            "Error: kernel does not support vswap, unable to use --ram/--swap parameters",
            "Error parsing options",
        ]

    def test_force_before_ram_allows_it_on_a_non_vswap_kernel(self) -> None:
        request = parse_set_args(["--force", "--ram", "1G"], vswap_kernel=False)
        assert request.force
        assert request.ubc["physpages"] == (0, 262144)


class TestUbcValues:
    def test_single_value_sets_barrier_and_limit(self) -> None:
        assert parse_set_args(["--numproc", "240"]).ubc["numproc"] == (240, 240)

    def test_unlimited_is_long_max(self) -> None:
        assert parse_set_args(["--lockedpages", "131072:unlimited"]).ubc["lockedpages"] == (131072, LONG_MAX)

    def test_byte_suffixes_become_bytes(self) -> None:
        assert parse_set_args(["--kmemsize", "14M:16M"]).ubc["kmemsize"] == (14680064, 16777216)

    def test_page_suffixes_become_pages(self) -> None:
        assert parse_set_args(["--privvmpages", "1G:1100M"]).ubc["privvmpages"] == (262144, 281600)

    def test_page_suffix_division_truncates(self) -> None:
        assert parse_set_args(["--lockedpages", "5000B"]).ubc["lockedpages"] == (1, 1)

    def test_items_refuse_suffixes(self) -> None:
        assert error_of("--numproc", "5M").message == "Bad parameter for --numproc: 5M"

    def test_items_fraction_without_suffix_truncates(self) -> None:
        assert parse_set_args(["--numfile", "2.5"]).ubc["numfile"] == (2, 2)

    def test_three_fields_are_refused(self) -> None:
        assert error_of("--lockedpages", "1:2:3").message == "Bad parameter for --lockedpages: 1:2:3"

    def test_negative_items_overflow_and_are_refused(self) -> None:
        assert error_of("--numproc", "-1").exit_code == 21

    def test_last_ubc_value_wins(self) -> None:
        assert parse_set_args(["--numproc", "1", "--numproc", "2"]).ubc["numproc"] == (2, 2)

    def test_fractional_sizes_from_samples(self) -> None:
        assert parse_ul_sfx("2.2G", 1024, allow_unlimited=False) == (2306867, "")
        assert parse_twoul_sfx("2G:2.2G", 1024, allow_unlimited=False) == (2097152, 2306867, False)


class TestDisk:
    def test_diskspace_3000m_in_kib(self) -> None:
        assert parse_set_args(["--diskspace", "3000M"]).diskspace == (3072000, 3072000)

    def test_diskspace_soft_hard(self) -> None:
        assert parse_set_args(["--diskspace", "10G:11G"]).diskspace == (10485760, 11534336)

    def test_diskinodes(self) -> None:
        assert parse_set_args(["--diskinodes", "384000"]).diskinodes == (384000, 384000)

    def test_bad_diskinodes(self) -> None:
        assert error_of("--diskinodes", "1:abc").message == "Bad parameter for --diskinodes: 1:abc"

    def test_first_diskspace_wins(self) -> None:
        assert parse_set_args(["--diskspace", "1G", "--diskspace", "2G"]).diskspace == (1048576, 1048576)


class TestCpu:
    def test_cpuunits_range(self) -> None:
        assert parse_set_args(["--cpuunits", "8"]).cpuunits == 8
        assert parse_set_args(["--cpuunits", "500000"]).cpuunits == 500000
        assert error_of("--cpuunits", "0").message == "Bad parameter for --cpuunits: 0"
        assert error_of("--cpuunits", "9999999").exit_code == 21

    def test_cpulimit_percent_is_multiplied_by_host_cpus(self) -> None:
        request = parse_set_args(["--cpulimit", "50%"])
        assert request.cpulimit == (50, True)
        assert request.cpulimit_value(host_cpus=4) == 200

    def test_cpulimit_plain_may_exceed_100(self) -> None:
        assert parse_set_args(["--cpulimit", "250"]).cpulimit_value(host_cpus=4) == 250

    def test_cpulimit_percent_over_100_is_refused(self) -> None:
        assert error_of("--cpulimit", "101%").exit_code == 21

    def test_cpus_zero_is_accepted(self) -> None:
        assert parse_set_args(["--cpus", "0"]).cpus == 0

    def test_bad_cpus(self) -> None:
        assert error_of("--cpus", "two").message == "Bad parameter for --cpus: two"

    def test_cpumask_is_normalised(self) -> None:
        assert parse_set_args(["--cpumask", "0,1"]).cpumask == "0-1"
        assert parse_set_args(["--cpumask", "auto"]).cpumask == "auto"
        assert parse_set_args(["--cpumask", "auto", "--cpumask", "0"]).cpumask == "auto"
        assert parse_set_args(["--cpumask", "0", "--cpumask", "1"]).cpumask == "0"


class TestNetwork:
    def test_ipadd_accumulates_and_keeps_cidr(self) -> None:
        request = parse_set_args(["--ipadd", "10.0.1.5/24", "--ip", "2001:DB8::1", "--ipadd", "10.0.1.6 10.0.1.7"])
        assert request.ip_add == ("10.0.1.5/24", "2001:db8::1", "10.0.1.6", "10.0.1.7")

    def test_unspecified_addresses_are_ignored(self) -> None:
        assert parse_set_args(["--ipadd", "0.0.0.0", "--ipadd", "::"]).ip_add == ()

    def test_bad_ips(self) -> None:
        assert error_of("--ipadd", "999.1.1.1").message == "Bad parameter for --ipadd: 999.1.1.1"
        assert error_of("--ipadd", "abc").exit_code == 21
        assert error_of("--ipadd", "10.0.0.1/33").exit_code == 21

    def test_alias_is_named_in_the_message(self) -> None:
        assert error_of("--ip", "abc").message == "Bad parameter for --ip: abc"

    def test_ipdel_all(self) -> None:
        request = parse_set_args(["--ipdel", "all"])
        assert request.ip_delall
        assert request.ip_del == ()

    def test_hostname_is_not_validated(self) -> None:
        assert parse_set_args(["--hostname", "a;b"]).hostname == "a;b"

    def test_first_hostname_wins(self) -> None:
        assert parse_set_args(["--hostname", "a", "--hostname", "b"]).hostname == "a"

    def test_nameservers_accumulate_without_duplicates(self) -> None:
        request = parse_set_args(["--nameserver", "8.8.8.8", "--nameserver", "8.8.4.4 8.8.8.8"])
        assert request.nameservers == ("8.8.8.8", "8.8.4.4")

    def test_netif_add_generates_host_name_and_macs(self) -> None:
        (veth,) = parse_set_args(["--netif_add", "eth0"], ctid=101).netif_add
        assert veth.ifname == "eth0"
        assert veth.host_ifname == "veth101.0"
        assert veth.mac == generate_mac(101, "eth0")
        assert veth.host_mac == generate_mac(101, "veth101.0")
        assert veth.mac is not None
        assert veth.mac.startswith("00:18:51:")

    def test_netif_add_with_bridge(self) -> None:
        (veth,) = parse_set_args(["--netif_add", "eth0,,,,br0"], ctid=101).netif_add
        assert veth.bridge == "br0"
        assert veth.host_ifname == "veth101.0"

    def test_netdev_refuses_venet(self) -> None:
        assert error_of("--netdev_add", "venet0").exit_code == 21


class TestOtherValues:
    def test_onboot(self) -> None:
        assert parse_set_args(["--onboot", "yes"]).onboot is True
        assert error_of("--onboot", "maybe").message == "Bad parameter for --onboot: maybe"

    def test_ioprio_range(self) -> None:
        assert parse_set_args(["--ioprio", "7"]).ioprio == 7
        assert error_of("--ioprio", "9").message == "Bad parameter for --ioprio: 9"

    def test_iolimit_defaults_to_mb_per_second_stored_in_bytes(self) -> None:
        assert parse_set_args(["--iolimit", "10"]).iolimit == 10 * 1024 * 1024
        assert parse_set_args(["--iolimit", "512K"]).iolimit == 512 * 1024
        assert parse_set_args(["--iolimit", "unlimited"]).iolimit == 0

    def test_iolimit_over_int_max_is_a_bad_value_on_the_command_line(self) -> None:
        assert error_of("--iolimit", "3000").exit_code == 21

    def test_capability_is_upper_cased(self) -> None:
        assert parse_set_args(["--capability", "net_admin:on"]).capabilities_on == {"NET_ADMIN"}

    def test_unknown_capability(self) -> None:
        assert error_of("--capability", "flying:on").message.splitlines() == [
            "Capability flying is unknown",
            "Bad parameter for --capability: flying:on",
        ]

    def test_features(self) -> None:
        request = parse_set_args(["--features", "nfs:on,ppp:off"])
        assert request.features_on == {"nfs"}
        assert request.features_known == {"nfs", "ppp"}

    def test_devnodes_and_devices(self) -> None:
        request = parse_set_args(["--devnodes", "net/tun:rw", "--devices", "c:10:200:rw"])
        assert [node.format() for node in request.devnodes] == ["net/tun:rw"]
        assert [device.format() for device in request.devices] == ["c:10:200:rw"]

    def test_loop_devices_are_refused(self) -> None:
        assert error_of("--devices", "b:7:0:rw").exit_code == 21

    def test_name_rules(self) -> None:
        assert parse_set_args(["--name", "web-1.example"]).name == "web-1.example"
        assert error_of("--name", "web;1").exit_code == 21

    def test_vm_overcommit(self) -> None:
        assert parse_set_args(["--vm_overcommit", "1.5"]).vm_overcommit == 1.5

    def test_setmode(self) -> None:
        assert parse_set_args(["--setmode", "restart"]).setmode == "restart"
        assert error_of("--setmode", "now").exit_code == 21


class TestGetopt:
    def test_unknown_option(self) -> None:
        error = error_of("--bogus")
        assert error.message == "vzctl: unrecognized option '--bogus'"
        assert error.exit_code == 21

    def test_missing_argument(self) -> None:
        assert error_of("--ram").message == "vzctl: option '--ram' requires an argument"

    def test_equals_form(self) -> None:
        assert parse_set_args(["--hostname=web1"]).hostname == "web1"

    def test_unique_prefix_is_accepted(self) -> None:
        assert parse_set_args(["--hostn", "web1"]).hostname == "web1"

    def test_ambiguous_prefix(self) -> None:
        message = error_of("--host", "x").message
        assert message.startswith("vzctl: option '--host' is ambiguous; possibilities:")
        assert "'--hostname'" in message

    def test_ambiguous_listing_follows_glibc(self) -> None:
        assert error_of("--ho", "x").message == (
            "vzctl: option '--ho' is ambiguous; possibilities: '--hostname' '--host_mac' '--host_ifname'"
        )

    def test_prefix_of_an_option_and_its_alias_is_not_ambiguous(self) -> None:
        assert parse_set_args(["--offl"]).offline_resize

    def test_unrecognized_option_is_quoted_with_its_value(self) -> None:
        assert error_of("--bogus=1").message == "vzctl: unrecognized option '--bogus=1'"

    def test_short_options_are_accepted_and_ignored(self) -> None:
        request = parse_set_args(["-e", "x", "-h", "--save"])
        assert request.save
        assert error_of("-z").message == "vzctl: invalid option -- 'z'"
        assert error_of("-e").message == "vzctl: option requires an argument -- 'e'"

    def test_double_dash_ends_options(self) -> None:
        assert error_of("--", "--save").message == "Invalid extra arguments: --save "

    def test_flag_with_argument(self) -> None:
        assert error_of("--save=yes").message == "vzctl: option '--save' doesn't allow an argument"

    def test_extra_arguments_exit_20_with_trailing_space(self) -> None:
        error = error_of("--save", "a", "b")
        assert error.message == "Invalid extra arguments: a b "
        assert error.exit_code == 20

    def test_first_bad_value_wins_over_a_later_unknown_option(self) -> None:
        assert error_of("--ram", "abc", "--bogus").message == "Bad parameter for --ram: abc"

    def test_flags(self) -> None:
        request = parse_set_args(["--save", "--reset_ub", "--applyconfig", "basic", "--applyconfig_map", "name"])
        assert request.save
        assert request.reset_ub
        assert request.applyconfig == "basic"
        assert request.applyconfig_map == "name"

    def test_to_args_round_trip(self) -> None:
        args = ["--ram", "512M", "--hostname=web1", "--save"]
        assert parse_set_args(args).to_args() == args

    def test_every_option_has_a_handler(self) -> None:
        for option in SET_OPTIONS:
            args = [f"--{option.name}"] if not option.takes_argument else [f"--{option.name}", "x"]
            try:
                parse_set_args(args)
            except SetParamError as error:
                assert error.exit_code in (3, 21), option.name

    def test_aliases_point_at_the_same_key(self) -> None:
        assert SET_OPTIONS_BY_NAME["ip"].key == SET_OPTIONS_BY_NAME["ipadd"].key == "IP_ADDRESS"


class TestCreate:
    def test_create_options(self) -> None:
        request = parse_create_args(
            ["--ostemplate", "centos-6-x86_64", "--layout", "ploop", "--config", "ispbasic", "--diskspace", "3000M"]
        )
        assert request.ostemplate == "centos-6-x86_64"
        assert request.layout == "ploop"
        assert request.config == "ispbasic"
        assert request.diskspace == (3072000, 3072000)

    def test_layout_aliases_and_modes(self) -> None:
        assert parse_create_args(["--velayout", "ploop:expanded"]).layout == "ploop:expanded"
        assert parse_create_args(["--ve_layout", "simfs"]).layout == "simfs"

    def test_bad_layout(self) -> None:
        with pytest.raises(SetParamError) as info:
            parse_create_args(["--layout", "zfs"])
        assert info.value.message == "Bad parameter for --layout: zfs"

    def test_set_only_options_are_unknown_to_create(self) -> None:
        with pytest.raises(SetParamError) as info:
            parse_create_args(["--ram", "1G"])
        assert info.value.message == "vzctl: unrecognized option '--ram'"


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_strtoull_reads_every_unsigned_long_long(value: int) -> None:
    assert strtoull(str(value)).value == value


@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(["", "K", "M", "G", "k", "m", "g"]))
def test_ram_pages_are_bytes_rounded_up(number: int, suffix: str) -> None:
    factor = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[suffix.upper()]
    pages = parse_set_args(["--ram", f"{number}{suffix}"]).ubc["physpages"][1]
    assert pages == -(-number * factor // 4096)


@given(st.text(max_size=12))
def test_arbitrary_values_parse_or_fail_with_vzctl_exit_codes(value: str) -> None:
    for option in ("--numproc", "--ram", "--diskspace", "--cpulimit", "--ipadd", "--iolimit", "--cpumask"):
        try:
            parse_set_args([option, value])
        except SetParamError as error:
            assert error.exit_code == 21
            assert value in error.message


class TestCombinationChecks:
    def check(self, *args: str, config: str | None = None, ploop: bool = False) -> str:
        request = parse_set_args(list(args))
        parsed_config = read_config_request(config) if config is not None else None
        return check_set_request(request, config=parsed_config, ploop=ploop)

    def refused(self, *args: str, config: str | None = None, ploop: bool = False) -> SetParamError:
        with pytest.raises(SetParamError) as info:
            self.check(*args, config=config, ploop=ploop)
        return info.value

    def test_ram_without_swap_on_a_ct_without_config(self) -> None:
        error = self.refused("--ram", "512M", "--save")
        assert (error.message, error.exit_code) == ("Error: required UB parameter (swap) not set", 28)

    def test_ram_with_swap_in_the_config_is_fine(self) -> None:
        assert self.check("--ram", "512M", "--save", config='SWAPPAGES="0:512M"\n') == ""

    def test_unlimited_physpages_is_not_vswap(self) -> None:
        assert self.check("--physpages", "0:unlimited", "--save") == ""

    def test_reset_ub_is_exclusive(self) -> None:
        assert self.check("--reset_ub") == ""
        assert self.refused("--reset_ub", "--save").exit_code == 20

    def test_name_needs_save(self) -> None:
        error = self.refused("--name", "web1")
        assert (error.message, error.exit_code) == ("Error: unable to use --name option without --save", 131)

    def test_force_needs_save(self) -> None:
        assert self.refused("--force", "--cpus", "1").message == "Error: --force is useless without --save"

    def test_ploop_diskspace_needs_save(self) -> None:
        assert self.check("--diskspace", "10G") == ""
        assert self.refused("--diskspace", "10G", ploop=True).exit_code == 20

    def test_offline_resize(self) -> None:
        assert self.refused("--offline-resize", "--save").exit_code == 20
        warning = self.check("--offline-resize", "--diskspace", "10G", "--save")
        assert warning == "Warning: option --offline-resize only makes sense for a ploop CT"

    def test_masks(self) -> None:
        assert self.refused("--nodemask", "0", "--save").message == "Error: option --nodemask requires --cpumask"
        assert self.refused("--cpumask", "auto", "--save").message == "Error: --cpumask auto requires --nodemask"
        assert self.check("--cpumask", "auto", "--nodemask", "0", "--save") == ""
