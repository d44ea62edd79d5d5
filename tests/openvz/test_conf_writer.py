"""The config writer reproduces what real vzctl 4.11.1 ``set --save`` wrote (REFERENCE §11), byte for byte.

Expected files are written out by hand from the reference text, not produced by the code under test.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.samples import SAMPLES
from vztui.openvz.conf import (
    apply_sample,
    apply_set,
    config_diff,
    create_config,
    save_config,
    stored_lines,
    ubc_string,
)
from vztui.openvz.conflines import read_config_request
from vztui.openvz.setparams import SetParamError, parse_create_args, parse_set_args
from vztui.openvz.setvalues import generate_mac
from vztui.openvz.units import LONG_MAX

# A CT created from ve-vswap-256m (comments kept, as `vzctl create` copies the sample), plus create's own keys.
CREATED = """\
# RAM
PHYSPAGES="0:256M"

# Swap
SWAPPAGES="0:512M"

# Disk quota parameters (in form of softlimit:hardlimit)
DISKSPACE="2G:2.2G"
DISKINODES="131072:144179"
QUOTATIME="0"

# CPU fair scheduler parameter
CPUUNITS="1000"

NETFILTER="stateless"
VE_ROOT="/vz/root/$VEID"
VE_PRIVATE="/vz/private/$VEID"
VE_LAYOUT="ploop"
OSTEMPLATE="centos-6-x86_64"
ORIGIN_SAMPLE="vswap-256m"
"""


def saved(conf: str, *args: str, host_cpus: int = 1, ctid: int = 101) -> str:
    request = parse_set_args([*args, "--save"], ctid=ctid)
    return apply_set(conf, request, host_cpus=host_cpus, ctid=ctid)


class TestSection11MainExample:
    def test_new_keys_are_appended_in_vzctl_order_not_command_line_order(self) -> None:
        result = saved(
            CREATED,
            "--cpus",
            "0",
            "--hostname",
            "web1",
            "--cpulimit",
            "250",
            "--ipadd",
            "10.0.1.5/24",
            "--numproc",
            "240",
            "--lockedpages",
            "131072:unlimited",
        )
        assert result == CREATED + (
            'LOCKEDPAGES="131072:unlimited"\n'
            'NUMPROC="240"\n'
            'IP_ADDRESS="10.0.1.5/24"\n'
            'HOSTNAME="web1"\n'
            'CPULIMIT="250"\n'
            'CPUS="0"\n'
        )

    def test_existing_keys_are_rewritten_in_place(self) -> None:
        result = saved(CREATED, "--ram", "512M", "--swap", "1G", "--cpuunits", "2000")
        expected = (
            CREATED.replace('PHYSPAGES="0:256M"', 'PHYSPAGES="0:131072"')
            .replace('SWAPPAGES="0:512M"', 'SWAPPAGES="0:262144"')
            .replace('CPUUNITS="1000"', 'CPUUNITS="2000"')
        )
        assert result == expected
        assert 'DISKSPACE="2G:2.2G"' in result


class TestSection11Values:
    @pytest.mark.parametrize(
        ("args", "line"),
        [
            (("--ram", "512M"), 'PHYSPAGES="0:131072"'),
            (("--swap", "1G"), 'SWAPPAGES="0:262144"'),
            (("--swap", "0"), 'SWAPPAGES="0"'),
            (("--ram", "-1"), 'PHYSPAGES="0"'),
            (("--ram", "1G"), 'PHYSPAGES="0:262144"'),
            (("--numproc", "240"), 'NUMPROC="240"'),
            (("--numproc", "unlimited"), 'NUMPROC="unlimited"'),
            (("--shmpages", "21504"), 'SHMPAGES="21504"'),
            (("--lockedpages", "131072:unlimited"), 'LOCKEDPAGES="131072:unlimited"'),
            (("--numproc", "100:200"), 'NUMPROC="100:200"'),
            (("--kmemsize", "14M:16M"), 'KMEMSIZE="14680064:16777216"'),
            (("--privvmpages", "1G:1100M"), 'PRIVVMPAGES="262144:281600"'),
            (("--diskspace", "3000M"), 'DISKSPACE="3072000:3072000"'),
            (("--diskspace", "10G:11G"), 'DISKSPACE="10485760:11534336"'),
            (("--diskinodes", "384000"), 'DISKINODES="384000:384000"'),
            (("--cpuunits", "1000"), 'CPUUNITS="1000"'),
            (("--cpulimit", "250"), 'CPULIMIT="250"'),
            (("--cpulimit", "0"), 'CPULIMIT="0"'),
            (("--cpus", "0"), 'CPUS="0"'),
            (("--hostname", "a;b"), 'HOSTNAME="a;b"'),
            (("--nameserver", "8.8.8.8", "--nameserver", "8.8.4.4"), 'NAMESERVER="8.8.8.8 8.8.4.4"'),
            (("--searchdomain", "example.com"), 'SEARCHDOMAIN="example.com"'),
            (("--onboot", "yes"), 'ONBOOT="yes"'),
            (("--name", "web1"), 'NAME="web1"'),
            (("--description", "front end"), 'DESCRIPTION="front end"'),
            (("--cpumask", "0-1"), 'CPUMASK="0-1"'),
            (("--features", "nfs:on"), 'FEATURES="nfs:on"'),
            (("--capability", "net_admin:on"), 'CAPABILITY="NET_ADMIN:on"'),
            (("--disabled", "yes"), 'DISABLED="yes"'),
            (("--disabled", "no"), 'DISABLED="no"'),
            (("--quotatime", "600"), 'QUOTATIME="600"'),
            (("--ioprio", "6"), 'IOPRIO="6"'),
            (("--iolimit", "10"), 'IOLIMIT="10485760"'),
            (("--iopslimit", "300"), 'IOPSLIMIT="300"'),
            (("--bootorder", "10"), 'BOOTORDER="10"'),
            (("--stop-timeout", "60"), 'STOP_TIMEOUT="60"'),
            (("--vm_overcommit", "1.5"), 'VM_OVERCOMMIT="1.5"'),
            (("--devnodes", "net/tun:rw"), 'DEVNODES="net/tun:rw "'),
        ],
    )
    def test_value_as_saved(self, args: tuple[str, ...], line: str) -> None:
        assert saved("", *args) == f"{line}\n"

    def test_cpulimit_percent_uses_host_cpus(self) -> None:
        assert saved("", "--cpulimit", "50%", host_cpus=4) == 'CPULIMIT="200"\n'

    def test_netif_add(self) -> None:
        mac = generate_mac(101, "eth0")
        host_mac = generate_mac(101, "veth101.0")
        assert saved("", "--netif_add", "eth0") == (
            f'NETIF="ifname=eth0,mac={mac},host_ifname=veth101.0,host_mac={host_mac}"\n'
        )

    def test_set_on_a_ct_without_config_creates_it(self) -> None:
        assert saved("", "--ipadd", "192.168.0.101") == 'IP_ADDRESS="192.168.0.101"\n'


class TestIpList:
    BASE = 'IP_ADDRESS="10.0.0.1 10.0.0.2 10.0.0.3"\nHOSTNAME="web1"\n'

    def test_ipadd_appends(self) -> None:
        assert saved(self.BASE, "--ipadd", "10.0.0.4").startswith('IP_ADDRESS="10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4"\n')

    def test_adding_an_existing_address_moves_it_to_the_end(self) -> None:
        assert saved(self.BASE, "--ipadd", "10.0.0.1").startswith('IP_ADDRESS="10.0.0.2 10.0.0.3 10.0.0.1"\n')

    def test_same_address_with_a_mask_replaces_it(self) -> None:
        assert saved(self.BASE, "--ipadd", "10.0.0.2/24").startswith('IP_ADDRESS="10.0.0.1 10.0.0.3 10.0.0.2/24"\n')

    def test_ipdel_removes(self) -> None:
        assert saved(self.BASE, "--ipdel", "10.0.0.2").startswith('IP_ADDRESS="10.0.0.1 10.0.0.3"\n')

    def test_ipdel_of_an_unassigned_address_is_fine(self) -> None:
        assert saved(self.BASE, "--ipdel", "10.9.9.9") == self.BASE

    def test_ipdel_all(self) -> None:
        assert saved(self.BASE, "--ipdel", "all") == 'IP_ADDRESS=""\nHOSTNAME="web1"\n'

    def test_ipv6_is_kept(self) -> None:
        assert saved("", "--ipadd", "2001:db8::10") == 'IP_ADDRESS="2001:db8::10"\n'


class TestSaveSemantics:
    def test_only_the_first_matching_line_is_rewritten(self) -> None:
        conf = 'HOSTNAME="a"\nHOSTNAME="b"\n'
        assert saved(conf, "--hostname", "c") == 'HOSTNAME="c"\nHOSTNAME="b"\n'

    def test_an_indented_or_commented_key_is_not_a_match(self) -> None:
        conf = '#HOSTNAME="a"\n  HOSTNAME="b"\n'
        assert saved(conf, "--hostname", "c") == conf + 'HOSTNAME="c"\n'

    def test_a_missing_final_newline_is_added(self) -> None:
        assert saved('ONBOOT="no"', "--hostname", "x") == 'ONBOOT="no"\nHOSTNAME="x"\n'

    def test_unquoted_values_are_rewritten_with_quotes(self) -> None:
        assert saved("ONBOOT=no\n", "--onboot", "yes") == 'ONBOOT="yes"\n'

    def test_nothing_to_store_means_no_change(self) -> None:
        request = parse_set_args(["--save"])
        result = save_config('ONBOOT="no"', request)
        assert not result.changed
        assert result.text == 'ONBOOT="no"'

    def test_ve_layout_is_restored_on_every_save(self) -> None:
        request = parse_set_args(["--save"])
        result = save_config("VE_LAYOUT=ploop\n", request)
        assert result.changed
        assert result.text == 'VE_LAYOUT="ploop"\n'

    def test_devnodes_are_rewritten_on_any_save(self) -> None:
        assert saved('DEVNODES="net/tun:rw"\n', "--hostname", "x") == 'DEVNODES="net/tun:rw "\nHOSTNAME="x"\n'

    def test_devnode_with_none_is_removed(self) -> None:
        assert saved('DEVNODES="net/tun:rw "\n', "--devnodes", "net/tun:none") == 'DEVNODES=""\n'

    def test_capabilities_merge_with_the_config_in_table_order(self) -> None:
        conf = 'CAPABILITY="SYS_TIME:on"\n'
        assert saved(conf, "--capability", "net_admin:on,chown:off") == (
            'CAPABILITY="CHOWN:off NET_ADMIN:on SYS_TIME:on"\n'
        )

    def test_features_merge(self) -> None:
        assert saved('FEATURES="nfs:on ppp:off"\n', "--features", "ppp:on") == 'FEATURES="nfs:on ppp:on"\n'

    def test_netif_edit_merges_with_the_existing_device(self) -> None:
        conf = 'NETIF="ifname=eth0,mac=00:18:51:00:00:01,host_ifname=veth101.0,host_mac=00:18:51:00:00:02"\n'
        assert saved(conf, "--ifname", "eth0", "--bridge", "br0") == (
            'NETIF="ifname=eth0,bridge=br0,mac=00:18:51:00:00:01,host_ifname=veth101.0,host_mac=00:18:51:00:00:02"\n'
        )

    def test_netif_del_all(self) -> None:
        conf = 'NETIF="ifname=eth0,mac=00:18:51:00:00:01,host_ifname=veth101.0,host_mac=00:18:51:00:00:02"\n'
        assert saved(conf, "--netif_del", "all") == 'NETIF=""\n'

    def test_vm_overcommit_follows_the_ubc_keys(self) -> None:
        result = saved("", "--bootorder", "1", "--vm_overcommit", "1.5", "--numproc", "10")
        assert result == 'NUMPROC="10"\nVM_OVERCOMMIT="1.5"\nBOOTORDER="1"\n'

    def test_stored_lines_order(self) -> None:
        request = parse_set_args(["--hostname", "h", "--ram", "1G", "--ipadd", "10.0.0.1"])
        assert stored_lines("", request) == ['PHYSPAGES="0:262144"', 'IP_ADDRESS="10.0.0.1"', 'HOSTNAME="h"']


class TestApplyConfig:
    def test_applyconfig_basic_copies_ubc_disk_and_cpu_values(self) -> None:
        basic = (SAMPLES / "ve-basic.conf-sample").read_text()
        conf = CREATED + 'HOSTNAME="web1"\nIP_ADDRESS="10.0.0.1"\n'
        result = apply_sample(conf, basic, "basic")
        lines = result.splitlines()
        assert 'ORIGIN_SAMPLE="basic"' in lines
        assert 'PHYSPAGES="0:unlimited"' in lines
        assert 'DISKSPACE="2097152:2306867"' in lines
        assert 'KMEMSIZE="14372700:14790164"' in lines
        assert 'NUMPROC="240"' in lines
        assert 'HOSTNAME="web1"' in lines
        assert 'IP_ADDRESS="10.0.0.1"' in lines
        assert 'OSTEMPLATE="centos-6-x86_64"' in lines
        assert result.index('ORIGIN_SAMPLE="basic"') < result.index("KMEMSIZE")

    def test_applyconfig_through_the_command_line(self) -> None:
        sample = 'NUMPROC="100:200"\nHOSTNAME="sample-host"\n'
        request = parse_set_args(["--applyconfig", "small", "--save"])
        result = apply_set('HOSTNAME="mine"\n', request, sample_text=sample)
        assert result == 'HOSTNAME="mine"\nNUMPROC="100:200"\nORIGIN_SAMPLE="small"\n'


class TestRealSamples:
    def test_set_on_the_shipped_sample_keeps_every_other_line(self) -> None:
        sample = (SAMPLES / "ve-vswap-256m.conf-sample").read_text()
        result = saved(sample, "--ram", "1G")
        assert result == sample.replace('PHYSPAGES="0:256M"', 'PHYSPAGES="0:262144"')

    def test_transcript_ipadd(self) -> None:
        transcript = (SAMPLES / "transcript__vzctl_set_--ipadd_--save.txt").read_text().splitlines()
        assert transcript[0] == "# vzctl set 101 --ipadd 192.168.0.101 --save"
        assert saved(CREATED, "--ipadd", "192.168.0.101").endswith('IP_ADDRESS="192.168.0.101"\n')


def test_config_diff_shows_the_change() -> None:
    new = saved(CREATED, "--ram", "1G")
    diff = config_diff(CREATED, new)
    assert '-PHYSPAGES="0:256M"' in diff
    assert '+PHYSPAGES="0:262144"' in diff


_values = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"'), min_size=0, max_size=20
)
_lines = st.lists(
    st.one_of(
        st.builds(lambda k, v: f'{k}="{v}"', st.sampled_from(["ONBOOT", "FOO", "KMEMSIZE", "X_Y"]), _values),
        st.builds(lambda v: f"# {v}", _values),
        st.just(""),
    ),
    max_size=12,
)


@given(_lines, st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
def test_untouched_lines_survive_and_the_new_value_reads_back(lines: list[str], hostname: str) -> None:
    conf = "".join(f"{line}\n" for line in lines)
    result = saved(conf, "--hostname", hostname)
    result_lines = result.splitlines()
    assert [line for line in result_lines if not line.startswith("HOSTNAME=")] == lines
    assert f'HOSTNAME="{hostname}"' in result_lines


@given(_lines, st.integers(min_value=0, max_value=LONG_MAX), st.integers(min_value=0, max_value=LONG_MAX))
def test_saving_twice_is_idempotent(lines: list[str], barrier: int, limit: int) -> None:
    conf = "".join(f"{line}\n" for line in lines)
    once = saved(conf, "--numproc", f"{barrier}:{limit}")
    assert saved(once, "--numproc", f"{barrier}:{limit}") == once


@given(st.integers(min_value=0, max_value=LONG_MAX), st.integers(min_value=0, max_value=LONG_MAX))
def test_ubc_string_reads_back_through_vzctl_parsing(barrier: int, limit: int) -> None:
    text = ubc_string(barrier, limit)
    assert parse_set_args(["--numproc", text]).ubc["numproc"] == (barrier, limit)


class TestCreate:
    def test_real_debian_capture_of_section_2_7(self) -> None:
        """create (simfs, vswap-256m) then --netif_add and --ram 1G, as captured on a real Debian node."""
        sample = (SAMPLES / "ve-vswap-256m.conf-sample").read_text()
        created = create_config(
            sample,
            parse_create_args(["--ostemplate", "ubuntu-16.04-x86_64", "--layout", "simfs"]),
            sample_name="vswap-256m",
            ve_root="/var/lib/vz/root/$VEID",
            ve_private="/var/lib/vz/private/$VEID",
            layout="ploop",
            ostemplate="centos-6-x86",
            ctid=1,
        )
        netif = "eth0,00:18:51:A1:C6:35,veth1.eth0,00:18:51:BF:1D:AC,br0"
        after_netif = apply_set(created, parse_set_args(["--netif_add", netif, "--save"], ctid=1), ctid=1)
        final = apply_set(after_netif, parse_set_args(["--ram", "1G", "--save"], ctid=1), ctid=1)
        body = final.split("# RAM\n", 1)[1]
        assert body == (
            'PHYSPAGES="0:262144"\n'
            "\n"
            "# Swap\n"
            'SWAPPAGES="0:512M"\n'
            "\n"
            "# Disk quota parameters (in form of softlimit:hardlimit)\n"
            'DISKSPACE="2G:2.2G"\n'
            'DISKINODES="131072:144179"\n'
            'QUOTATIME="0"\n'
            "\n"
            "# CPU fair scheduler parameter\n"
            'CPUUNITS="1000"\n'
            "\n"
            'NETFILTER="stateless"\n'
            'VE_ROOT="/var/lib/vz/root/$VEID"\n'
            'VE_PRIVATE="/var/lib/vz/private/$VEID"\n'
            'VE_LAYOUT="simfs"\n'
            'OSTEMPLATE="ubuntu-16.04-x86_64"\n'
            'ORIGIN_SAMPLE="vswap-256m"\n'
            'NETIF="ifname=eth0,bridge=br0,mac=00:18:51:A1:C6:35,host_ifname=veth1.eth0,host_mac=00:18:51:BF:1D:AC"\n'
        )
        assert final.startswith(sample.split("# RAM\n", 1)[0])

    def test_create_with_ip_hostname_name_and_disk(self) -> None:
        request = parse_create_args(
            [
                "--ostemplate",
                "centos-6-x86_64",
                "--ipadd",
                "10.0.0.5",
                "--hostname",
                "web1",
                "--name",
                "web1",
                "--diskspace",
                "3000M",
            ]
        )
        created = create_config(
            CREATED.split("VE_ROOT", maxsplit=1)[0],
            request,
            sample_name="vswap-256m",
            ve_root="/vz/root/$VEID",
            ve_private="/vz/private/$VEID",
            layout="ploop:expanded",
            ostemplate="centos-6-x86",
        )
        assert created.endswith(
            'IP_ADDRESS="10.0.0.5"\n'
            'HOSTNAME="web1"\n'
            'VE_ROOT="/vz/root/$VEID"\n'
            'VE_PRIVATE="/vz/private/$VEID"\n'
            'VE_LAYOUT="ploop"\n'
            'OSTEMPLATE="centos-6-x86_64"\n'
            'ORIGIN_SAMPLE="vswap-256m"\n'
            'NAME="web1"\n'
        )
        assert 'DISKSPACE="3072000:3072000"' in created.splitlines()


def test_config_reading_keeps_the_known_parts_of_a_partly_bad_value() -> None:
    request = read_config_request('FEATURES="nfs:on warp:on"\nIP_ADDRESS="10.0.0.1 999.0.0.1 10.0.0.2"\n')
    assert request.features_known == {"nfs"}
    assert request.ip_add == ("10.0.0.1",)


_OPTIONS = st.sampled_from(
    [
        "--vm_overcommit",
        "--numproc",
        "--ram",
        "--diskspace",
        "--ipadd",
        "--ipdel",
        "--cpumask",
        "--netif_add",
        "--devices",
        "--devnodes",
        "--pci_add",
        "--capability",
        "--features",
        "--meminfo",
        "--iolimit",
        "--hostname",
        "--mac",
        "--bridge",
    ]
)


@given(st.lists(st.tuples(_OPTIONS, st.text(max_size=12)), max_size=4), _lines)
def test_any_command_line_either_fails_like_vzctl_or_saves(options: list[tuple[str, str]], lines: list[str]) -> None:
    """The simulator runs this on arbitrary argv: it must never crash with anything but SetParamError."""
    args = [part for pair in options for part in pair]
    try:
        request = parse_set_args([*args, "--save"], ctid=101)
    except SetParamError as error:
        assert error.exit_code in (20, 21)
        return
    conf = "".join(f"{line}\n" for line in lines)
    result = save_config(conf, request, ctid=101)
    assert result.text.endswith("\n") or not result.text
