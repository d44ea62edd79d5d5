"""Kernel-file parsers on real captures, on the kernel's own format strings, on the simulator's /proc, and on
hostile input: exact values, and ParseError (never another exception) for anything a kernel cannot print."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.samples import sample_text
from vztui.openvz.errors import ParseError
from vztui.openvz.models import Beancounter, FsUsage, LoadAvg, MemInfo, VeInfo, VeStat
from vztui.openvz.parsers.beancounters import parse_bc_resources, parse_user_beancounters
from vztui.openvz.parsers.hostinfo import parse_cpuinfo, parse_df, parse_loadavg, parse_meminfo
from vztui.openvz.parsers.procvz import VESTAT_COLUMNS, parse_proc_vzquota, parse_veinfo, parse_vestat
from vztui.openvz.resources import BC_RESOURCES_ORDER, USER_BEANCOUNTERS_ORDER
from vztui.openvz.units import INT_MAX, LONG_MAX

U64_MAX = 2**64 - 1
LM = LONG_MAX
HEADER_64 = (
    "       uid  resource                     held              maxheld              barrier"
    "                limit              failcnt"
)
HEADER_32 = "       uid  resource           held    maxheld    barrier      limit    failcnt"


def sample(name: str) -> str:
    return sample_text(name)


def bcs(rows: dict[str, tuple[int, int, int, int, int]]) -> dict[str, Beancounter]:
    return {name: Beancounter(name, *values) for name, values in rows.items()}


def row64(uid: str, name: str, *values: int) -> str:
    return f"{uid:>10}  {name:<12} " + " ".join(f"{v:>20}" for v in values)


def row32(uid: str, name: str, *values: int) -> str:
    return f"{uid:>10}  {name:<12} " + " ".join(f"{v:>10}" for v in values)


# -- real captures -------------------------------------------------------------------------------------------

HOST_CT0 = bcs(
    {
        "kmemsize": (29696618, 72254634, LM, LM, 0),
        "lockedpages": (5847, 5855, LM, LM, 0),
        "privvmpages": (469383, 633537, LM, LM, 0),
        "shmpages": (842, 2778, LM, LM, 0),
        "numproc": (152, 290, LM, LM, 0),
        "physpages": (155069, 298835, LM, LM, 0),
        "vmguarpages": (0, 0, LM, LM, 0),
        "oomguarpages": (155069, 298835, LM, LM, 0),
        "numtcpsock": (13, 98, LM, LM, 0),
        "numflock": (4, 11, LM, LM, 0),
        "numpty": (1, 4, LM, LM, 0),
        "numsiginfo": (1, 27, LM, LM, 0),
        "tcpsndbuf": (227552, 764272, LM, LM, 0),
        "tcprcvbuf": (212992, 684584, LM, LM, 0),
        "othersockbuf": (305912, 555576, LM, LM, 0),
        "dgramrcvbuf": (0, 18248, LM, LM, 0),
        "numothersock": (237, 428, LM, LM, 0),
        "dcachesize": (0, 0, LM, LM, 0),
        "numfile": (5967, 8144, LM, LM, 0),
        "numiptent": (73, 73, LM, LM, 0),
    }
)

VSWAP_CT = bcs(
    {
        "kmemsize": (37136362, 39624704, 67108864, 67108864, 0),
        "lockedpages": (0, 0, 16384, 16384, 0),
        "privvmpages": (18506, 283361, LM, LM, 0),
        "shmpages": (6786, 138498, LM, LM, 0),
        "numproc": (34, 63, LM, LM, 0),
        "physpages": (23604, 32768, 0, 32768, 0),
        "vmguarpages": (0, 0, LM, LM, 0),
        "oomguarpages": (6039, 10271, LM, LM, 0),
        "numtcpsock": (9, 13, LM, LM, 0),
        "numflock": (6, 16, LM, LM, 0),
        "numpty": (1, 2, LM, LM, 0),
        "numsiginfo": (1, 21, LM, LM, 0),
        "tcpsndbuf": (172352, 242640, LM, LM, 0),
        "tcprcvbuf": (147456, 212992, LM, LM, 0),
        "othersockbuf": (136408, 214440, LM, LM, 0),
        "dgramrcvbuf": (0, 4624, LM, LM, 0),
        "numothersock": (103, 128, LM, LM, 0),
        "dcachesize": (33538504, 33554407, 33554432, 33554432, 0),
        "numfile": (551, 815, LM, LM, 0),
        "numiptent": (627, 627, LM, LM, 0),
    }
)

VIRTUOZZO_754 = bcs(
    {
        "kmemsize": (713297, 1526814, 2752512, 2936012, 0),
        "lockedpages": (0, 0, 32, 32, 0),
        "privvmpages": (1809, 14818, 49152, 53575, 0),
        "shmpages": (0, 336, 8192, 8192, 0),
        "numproc": (7, 16, 65, 65, 0),
        "physpages": (1121, 13894, 0, INT_MAX, 0),
        "vmguarpages": (0, 0, 6144, INT_MAX, 0),
        "oomguarpages": (1121, 13894, 6144, INT_MAX, 0),
        "numtcpsock": (4, 17, 80, 80, 0),
        "numflock": (4, 8, 100, 110, 0),
        "numpty": (0, 1, 16, 16, 0),
        "numsiginfo": (0, 3, 256, 256, 0),
        "tcpsndbuf": (0, 27020, 319488, 524288, 0),
        "tcprcvbuf": (0, 378936, 319488, 524288, 163),
        "othersockbuf": (8944, 14544, 132096, 336896, 0),
        "dgramrcvbuf": (0, 8380, 132096, 132096, 0),
        "numothersock": (10, 16, 80, 80, 0),
        "dcachesize": (0, 0, 1048576, 1097728, 0),
        "numfile": (228, 489, 2048, 2048, 0),
        "numiptent": (14, 14, 128, 128, 0),
    }
)


def test_host_block_of_a_64bit_hardware_node_drops_the_dummies() -> None:
    parsed = parse_user_beancounters(sample("user_beancounters__ct0_hardware-node.txt"))
    assert parsed == {0: HOST_CT0}
    assert list(parsed[0]) == [name for name in USER_BEANCOUNTERS_ORDER if name != "dummy"]
    assert all(bc.unlimited for bc in parsed[0].values())


def test_vswap_ct_seen_from_inside_keeps_ram_in_physpages_limit() -> None:
    parsed = parse_user_beancounters(sample("user_beancounters__ct38444_vswap_inside-ct.txt"))
    assert parsed == {38444: VSWAP_CT}
    physpages = parsed[38444]["physpages"]
    assert physpages.effective_limit == 32768
    assert not physpages.unlimited


def test_32bit_bc_resources_keeps_the_kernels_block_order_and_int_max() -> None:
    parsed = parse_bc_resources(sample("proc_bc_resources__3cts_32bit_virtuozzo.txt"))
    assert list(parsed) == [754, 410, 0]
    assert parsed[754] == VIRTUOZZO_754
    assert parsed[410]["privvmpages"] == Beancounter("privvmpages", 2102, 25597, 49152, 53575, 0)
    assert parsed[410]["othersockbuf"] == Beancounter("othersockbuf", 11180, 16780, 132096, 336896, 0)
    assert parsed[0]["numproc"] == Beancounter("numproc", 121, 151, INT_MAX, INT_MAX, 0)
    assert parsed[0]["tcprcvbuf"] == Beancounter("tcprcvbuf", 131072, 1870444, INT_MAX, INT_MAX, 0)
    assert [len(block) for block in parsed.values()] == [20, 20, 20]
    assert "swappages" not in parsed[754]  # an older Virtuozzo kernel: no swappages row
    assert parsed[754]["physpages"].unlimited


def test_the_32bit_capture_reads_the_same_through_user_beancounters() -> None:
    text = sample("proc_bc_resources__3cts_32bit_virtuozzo.txt")
    assert parse_user_beancounters(text) == parse_bc_resources(text)


def test_veinfo_capture_with_mangled_indentation_and_many_ips() -> None:
    parsed = parse_veinfo(sample("proc_vz_veinfo__hn.txt"))
    assert list(parsed) == [411, 401, 410, 754, 120, 999, 205, 107, 1, 0]
    assert parsed[411] == VeInfo(411, 2, 35, ("66.228.211.162",))
    assert parsed[754] == VeInfo(754, 2, 136, ("66.228.211.80", "66.228.211.87", "66.228.211.21"))
    assert parsed[1] == VeInfo(1, 2, 55, ("66.228.211.45",))
    assert parsed[0] == VeInfo(0, 0, 143, ())
    many = parsed[999]
    assert (many.class_id, many.numproc, len(many.ips)) == (2, 9, 68)
    assert many.ips[0] == "66.228.211.248" and many.ips[-1] == "66.228.211.164"
    assert "66.228.211.220" not in many.ips  # the capture skips .220 and .200-.215


# -- formats from the kernel source (no public capture) ------------------------------------------------------


def test_per_beancounter_resources_file_needs_the_id_from_the_caller() -> None:
    blank = ""
    text = "\n".join(row64(blank, name, 5, 6, 7, 8, 0) for name in BC_RESOURCES_ORDER) + "\n"
    parsed = parse_bc_resources(text, ctid=101)
    assert list(parsed) == [101]
    assert list(parsed[101]) == list(BC_RESOURCES_ORDER)
    assert parsed[101]["swappages"] == Beancounter("swappages", 5, 6, 7, 8, 0)
    with pytest.raises(ParseError, match="pass ctid="):
        parse_bc_resources(text)


def test_a_uid_inside_a_per_beancounter_file_is_refused() -> None:
    text = row64("", "kmemsize", 1, 2, 3, 4, 0) + "\n" + row64("102:", "kmemsize", 1, 2, 3, 4, 0) + "\n"
    with pytest.raises(ParseError) as info:
        parse_bc_resources(text, ctid=101)
    assert info.value.line == 2


def vestat_text(rows: list[tuple[int, ...]], *, wide: bool = True) -> str:
    columns = VESTAT_COLUMNS
    widths = [20] * 12 if wide else [10] * 5 + [20] * 6 + [10]
    lines = [f"{'Version: 2.2':<251}", " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))]
    lines += [" ".join(f"{v:>{w}}" for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("wide", [True, False], ids=["64bit", "32bit"])
def test_vestat_both_layouts(wide: bool) -> None:
    rows = [
        (101, 4005, 7, 1202, 8640000, 91 * 10**12, 0, 28 * 10**12, 12 * 10**9, 1000101, 900, 37),
        (4294967295, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, U64_MAX),
    ]
    parsed = parse_vestat(vestat_text(rows, wide=wide))
    assert parsed == {row[0]: VeStat(*row) for row in rows}
    assert parsed[101].busy_jiffies == 4005 + 7 + 1202


def test_vestat_with_no_running_ct_is_empty_but_a_missing_header_is_an_error() -> None:
    assert parse_vestat(vestat_text([])) == {}
    with pytest.raises(ParseError) as info:
        parse_vestat("Version: 2.2\n")
    assert info.value.line == 2
    with pytest.raises(ParseError):
        parse_vestat("")


def kernel_vzquota(records: list[tuple[int, str, tuple[int, ...], tuple[int, ...]]]) -> str:
    """/proc/vz/vzquota exactly as fs/quota/vzdquota prints it: no space between columns."""
    out = f"{'qid: path':<11}{'usage':>15}{'softlimit':>15}{'hardlimit':>15}{'time':>11}{'expire':>11}\n"
    for qid, path, blocks, inodes in records:
        out += f"{qid}: {path}\n"
        out += f"{'1k-blocks':>11}" + "".join(f"{v:>15}" for v in blocks[:3]) + "".join(f"{v:>11}" for v in blocks[3:])
        out += "\n" + f"{'inodes':>11}" + "".join(f"{v:>15}" for v in inodes[:3])
        out += "".join(f"{v:>11}" for v in inodes[3:]) + "\n"
    return out


def test_proc_vzquota_in_the_kernels_layout() -> None:
    text = kernel_vzquota(
        [
            (101, "/vz/root/101", (1613682, 10485760, 11534336, 0, 0), (93869, 655360, 720890, 0, 0)),
            (102, "-- stopped --", (12, 10, 20, 1733400000, 86400), (5, 0, 0, 0, 0)),
        ]
    )
    parsed = parse_proc_vzquota(text)
    assert list(parsed) == [101, 102]
    first = parsed[101]
    assert (first.blocks.usage, first.blocks.softlimit, first.blocks.hardlimit) == (1613682, 10485760, 11534336)
    assert (first.inodes.usage, first.inodes.softlimit, first.inodes.hardlimit) == (93869, 655360, 720890)
    assert not first.blocks.over and first.blocks.grace == ""
    assert parsed[102].blocks.over and not parsed[102].inodes.over


def test_unlimited_block_quotas_that_run_together_are_split_back() -> None:
    unlimited = (2**63 - 1) * 1024 % 2**64 >> 10  # LONG_MAX KiB shifted into bytes and back: 17 digits
    text = kernel_vzquota([(7, "/vz/private/7", (42, unlimited, unlimited, 0, 0), (3, 200, 200, 0, 0))])
    assert f"42{unlimited}{unlimited}" in text  # the kernel really glues them
    blocks = parse_proc_vzquota(text)[7].blocks
    assert (blocks.usage, blocks.softlimit, blocks.hardlimit) == (42, unlimited, unlimited)


def test_runs_with_no_single_reading_are_refused() -> None:
    text = kernel_vzquota([(7, "/p", (42, 10**16 + 3, 10**17 + 5, 0, 0), (3, 200, 200, 0, 0))])
    with pytest.raises(ParseError, match="run together") as info:
        parse_proc_vzquota(text)
    assert info.value.line == 3


def test_proc_vzquota_absent_file_is_empty_and_rows_without_an_id_are_refused() -> None:
    assert parse_proc_vzquota("") == {}
    headerless = "  1k-blocks   1   2   3   0   0\n"
    with pytest.raises(ParseError):
        parse_proc_vzquota(headerless)
    no_id = f"{'qid: path':<11}{'usage':>15}\n{'1k-blocks':>11}{1:>15}{2:>15}{3:>15}{0:>11}{0:>11}\n"
    with pytest.raises(ParseError, match="before any"):
        parse_proc_vzquota(no_id)


# -- host files ----------------------------------------------------------------------------------------------

RHEL6_MEMINFO = """\
MemTotal:        8388608 kB
MemFree:         1048576 kB
Buffers:          204800 kB
Cached:          2097152 kB
SwapCached:            0 kB
SwapTotal:       4194304 kB
SwapFree:        4190000 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
"""


def test_meminfo_in_bytes_and_available_estimated_on_2_6_32() -> None:
    info = parse_meminfo(RHEL6_MEMINFO)
    kib = 1024
    assert info == MemInfo(
        total=8388608 * kib,
        free=1048576 * kib,
        available=(1048576 + 204800 + 2097152) * kib,
        swap_total=4194304 * kib,
        swap_free=4190000 * kib,
        buffers=204800 * kib,
        cached=2097152 * kib,
    )


def test_meminfo_prefers_the_kernels_own_available_figure() -> None:
    text = RHEL6_MEMINFO.replace("Buffers:", "MemAvailable:    3000000 kB\nBuffers:")
    assert parse_meminfo(text).available == 3000000 * 1024


@pytest.mark.parametrize(
    "text",
    ["", "MemFree: 1 kB\n", "MemTotal: 1 MB\nMemFree: 1 kB\n", "MemTotal 1 kB\n", "MemTotal: -5 kB\nMemFree: 1 kB\n"],
)
def test_meminfo_refuses_what_the_kernel_does_not_print(text: str) -> None:
    with pytest.raises(ParseError):
        parse_meminfo(text)


def test_loadavg() -> None:
    assert parse_loadavg("0.05 1.50 12.00 3/412 30123\n") == LoadAvg(0.05, 1.5, 12.0, 3, 412)
    for bad in ("", "0.05 1.50 12.00 3/412\n", "nan 1 1 1/1 1\n", "1e3 1 1 1/1 1\n", "1 1 1 1-1 1\n", "a\nb\n"):
        with pytest.raises(ParseError):
            parse_loadavg(bad)


def test_cpuinfo_counts_processors_and_names_the_model() -> None:
    block = (
        "processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU E5-2630 v3\nflags\t\t: fpu\n"
    )
    text = "\n".join(block.format(n=n) for n in range(4)) + "\n"
    assert parse_cpuinfo(text) == (4, "Intel(R) Xeon(R) CPU E5-2630 v3")


def test_cpuinfo_of_an_old_arm_kernel_does_not_count_the_model_line() -> None:
    text = "Processor\t: ARMv7 Processor rev 10 (v7l)\nprocessor\t: 0\nprocessor\t: 1\nHardware\t: Freescale\n"
    assert parse_cpuinfo(text) == (2, "")
    with pytest.raises(ParseError):
        parse_cpuinfo("vendor_id : x\n")


GNU_DF = """\
Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/vda         264212084 22820080  83570832      22% /
/dev/mapper/vg-vz 1056763060 -  -5      -  /vz/my disk
"""


def test_df_posix_rows_with_dashes_negative_available_and_spaces_in_the_mount_point() -> None:
    assert parse_df(GNU_DF) == [
        FsUsage("/dev/vda", 264212084, 22820080, 83570832, "/"),
        FsUsage("/dev/mapper/vg-vz", 1056763060, 0, -5, "/vz/my disk"),
    ]


def test_df_header_may_be_localised_but_must_be_there() -> None:
    german = "Dateisystem    1K-Blöcke   Benutzt Verfügbar Kapazität Eingehängt auf\n/dev/sda1 100 40 60 40% /\n"
    assert parse_df(german) == [FsUsage("/dev/sda1", 100, 40, 60, "/")]
    with pytest.raises(ParseError, match="no header"):
        parse_df("/dev/sda1 100 40 60 40% /\n")
    with pytest.raises(ParseError) as info:
        parse_df("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 forty 60 40% /\n")
    assert info.value.line == 2


def test_df_matches_the_simulators_df() -> None:
    simulated = (
        "Filesystem     1K-blocks    Used Available Use% Mounted on\n"
        "/dev/simfs     104857600 5242880  99614720    5% /\n"
        "none             4194304       4   4194300   1% /dev\n"
    )
    assert [fs.mountpoint for fs in parse_df(simulated)] == ["/", "/dev"]


# -- tolerated and refused damage -----------------------------------------------------------------------------


def host_table(*, crlf: bool = False, final_newline: bool = True, trailing: str = "") -> str:
    lines = ["Version: 2.5", HEADER_64, row64("101:", "kmemsize", 1, 2, 3, 4, 0), row64("", "numproc", 5, 6, 7, 8, 9)]
    text = ("\r\n" if crlf else "\n").join(line + trailing for line in lines)
    return text + ("\r\n" if crlf else "\n") * final_newline


@pytest.mark.parametrize(
    "text",
    [
        host_table(crlf=True),
        host_table(final_newline=False),
        host_table(trailing="   \t"),
        host_table(crlf=True, final_newline=False),
    ],
    ids=["crlf", "no-final-newline", "trailing-blanks", "crlf-no-final-newline"],
)
def test_harmless_damage_is_tolerated(text: str) -> None:
    expected = {
        101: {"kmemsize": Beancounter("kmemsize", 1, 2, 3, 4, 0), "numproc": Beancounter("numproc", 5, 6, 7, 8, 9)}
    }
    assert parse_user_beancounters(text) == expected
    assert parse_bc_resources(text) == expected


def test_a_truncated_last_row_is_an_error_naming_the_cut() -> None:
    text = host_table()
    cut = text[: text.rindex(" 8 ")]
    with pytest.raises(ParseError, match="ends in the middle") as info:
        parse_user_beancounters(cut)
    assert info.value.line == 4


def test_truncated_vestat_and_veinfo_rows_are_errors() -> None:
    text = vestat_text([(101, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10)])
    with pytest.raises(ParseError, match="ends in the middle"):
        parse_vestat(text[:-12])
    with pytest.raises(ParseError, match="ends in the middle"):
        parse_veinfo("       101     2")


def hostile_rows() -> Iterator[tuple[str, str]]:
    yield "2^64", row64("", "numproc", 2**64, 0, 0, 0, 0)
    yield "negative", f"{'':>10}  {'numproc':<12} {-1:>20} {0:>20} {0:>20} {0:>20} {0:>20}"
    yield "plus sign", f"{'':>10}  {'numproc':<12} {'+1':>20} {0:>20} {0:>20} {0:>20} {0:>20}"
    yield "underscore", f"{'':>10}  {'numproc':<12} {'1_000':>20} {0:>20} {0:>20} {0:>20} {0:>20}"
    yield "arabic digit", f"{'':>10}  {'numproc':<12} {'٣':>20} {0:>20} {0:>20} {0:>20} {0:>20}"
    yield "5000 digits", f"{'':>10}  {'numproc':<12} {'9' * 5000} 0 0 0 0"
    yield "six values", row64("", "numproc", 1, 2, 3, 4, 5) + " 6"
    yield "duplicate", row64("", "kmemsize", 1, 2, 3, 4, 0)
    yield "bad uid", row64("abc:", "numproc", 1, 2, 3, 4, 0)


@pytest.mark.parametrize(("what", "row"), list(hostile_rows()), ids=[what for what, _ in hostile_rows()])
def test_hostile_rows_raise_parse_error_with_the_line(what: str, row: str) -> None:
    text = "\n".join(["Version: 2.5", HEADER_64, row64("101:", "kmemsize", 1, 2, 3, 4, 0), row]) + "\n"
    for parse in (parse_user_beancounters, parse_bc_resources):
        with pytest.raises(ParseError) as info:
            parse(text)
        assert info.value.line == 4, what
        assert len(str(info.value)) < 300  # a megabyte line is quoted, not dumped


def test_extreme_but_real_values_are_kept_exactly() -> None:
    rows = [row64("101:", "kmemsize", U64_MAX, LM, LM, INT_MAX, U64_MAX), row32("", "numproc", LM, 0, 0, 0, 0)]
    parsed = parse_user_beancounters("\n".join(["Version: 2.5", HEADER_64, *rows]) + "\n")
    assert parsed[101]["kmemsize"] == Beancounter("kmemsize", U64_MAX, LM, LM, INT_MAX, U64_MAX)
    assert parsed[101]["numproc"].held == LM


def test_a_megabyte_line_is_refused_quickly() -> None:
    huge = "x" * 1_000_000
    for parse in (parse_user_beancounters, parse_vestat, parse_meminfo, parse_loadavg, parse_df, parse_cpuinfo):
        with pytest.raises(ParseError):
            parse(huge)
    for parse in (parse_veinfo, parse_proc_vzquota):
        with pytest.raises(ParseError):
            parse("1 " + huge)
    with pytest.raises(ParseError):
        parse_proc_vzquota(kernel_vzquota([]) + "1: /p\n  1k-blocks" + "1" * 100_000 + " 0 0\ninodes 1 2 3 0 0\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),
        ("Version: 2.5\n", 2),
        ("Version 2.5\n" + HEADER_64 + "\n", 1),
        ("Version: 2.5\n" + HEADER_64 + "\n" + row64("", "kmemsize", 1, 2, 3, 4, 0) + "\n", 3),
        ("Version: 2.5\n" + HEADER_64 + "\n" + row64("101:", "kmemsize", 1, 2, 3, 4, 0) * 2 + "\n", 3),
        (
            "Version: 2.5\n"
            + HEADER_64
            + "\n"
            + row64("101:", "a", 1, 2, 3, 4, 0)
            + "\n"
            + row64("101:", "b", 1, 2, 3, 4, 0),
            4,
        ),
    ],
    ids=["empty", "no-header", "no-version", "row-before-uid", "two-rows-on-one-line", "block-twice"],
)
def test_structural_errors_carry_the_line_number(text: str, line: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_user_beancounters(text)
    assert info.value.line == line


def test_veinfo_refuses_what_is_not_an_address() -> None:
    with pytest.raises(ParseError, match="not an IP"):
        parse_veinfo("       101     2    14      10.1.0.999\n")
    assert parse_veinfo("       101     2    14 2001:db8::1 10.0.0.1\n")[101].ips == ("2001:db8::1", "10.0.0.1")
    assert parse_veinfo("") == {}


def test_rows_built_through_init_and_through_slots_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from vztui.openvz.parsers import beancounters

    text = sample("user_beancounters__ct38444_vswap_inside-ct.txt")
    assert beancounters._QUICK_NEW  # Beancounter still has exactly the six fields the quick path fills
    quick = parse_user_beancounters(text)
    monkeypatch.setattr(beancounters, "_QUICK_NEW", False)
    assert parse_user_beancounters(text) == quick == {38444: VSWAP_CT}
    assert quick[38444]["physpages"].usage_ratio == 23604 / 32768


@pytest.mark.parametrize("bad", ["+5", "-5", "1_0", "٣", str(2**64)])
def test_vestat_and_vzquota_numbers_are_plain_unsigned_digits(bad: str) -> None:
    row = " ".join(["101", bad, *["7"] * 10])
    with pytest.raises(ParseError) as info:
        parse_vestat(vestat_text([]) + row + "\n")
    assert info.value.line == 3
    quota = kernel_vzquota([]) + f"7: /p\n  1k-blocks {bad} 2 3 0 0\n    inodes 1 2 3 0 0\n"
    with pytest.raises(ParseError) as info:
        parse_proc_vzquota(quota)
    assert info.value.line == 3
