"""Properties of the kernel-file parsers: what the kernel's format strings render parses back equal, in every
layout; arbitrary or damaged text gives a result or ParseError, never another exception."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vztui.openvz.errors import ParseError
from vztui.openvz.models import Beancounter, VeInfo, VeStat
from vztui.openvz.parsers.beancounters import parse_bc_resources, parse_user_beancounters
from vztui.openvz.parsers.hostinfo import parse_cpuinfo, parse_df, parse_loadavg, parse_meminfo
from vztui.openvz.parsers.procvz import VESTAT_COLUMNS, parse_proc_vzquota, parse_veinfo, parse_vestat
from vztui.openvz.resources import DUMMY, RESOURCE_NAMES
from vztui.openvz.units import INT_MAX, LONG_MAX

U64_MAX = 2**64 - 1
PROPERTY = settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])

u64 = st.one_of(st.sampled_from([0, 1, INT_MAX, LONG_MAX, U64_MAX]), st.integers(0, U64_MAX))
ctids = st.integers(0, 2**32 - 1)
names = st.one_of(st.sampled_from(RESOURCE_NAMES), st.from_regex(r"[a-z][a-z0-9]{0,15}", fullmatch=True)).filter(
    lambda name: name != DUMMY
)
values = st.tuples(u64, u64, u64, u64, u64)
block = st.dictionaries(names, values, min_size=1, max_size=24)
tables = st.dictionaries(ctids, block, max_size=5)
DUMMY_ROWS = ((0, 0, 0, 0, 0), (0, 0, LONG_MAX, LONG_MAX, 0), (0, 0, INT_MAX, INT_MAX, 0))


@st.composite
def rendered_tables(draw: st.DrawFn) -> tuple[str, dict[int, dict[str, Beancounter]]]:
    """A beancounter table in the 64-bit (``%20lu``) or 32-bit (``%10lu``) layout, with dummies and harmless damage."""
    table = draw(tables)
    width = draw(st.sampled_from([20, 10]))
    dummy = draw(st.sampled_from([None, *DUMMY_ROWS]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    trailing = draw(st.sampled_from(["", " ", " \t"]))
    columns = ("held", "maxheld", "barrier", "limit", "failcnt")
    lines = ["Version: 2.5", f"{'uid':>10}  {'resource':<12} " + " ".join(f"{c:>{width}}" for c in columns)]
    for ctid, rows in table.items():
        for index, (name, row) in enumerate(rows.items()):
            uid = f"{ctid}:" if index == 0 else ""
            lines.append(f"{uid:>10}  {name:<12} " + " ".join(f"{v:>{width}}" for v in row))
            if index == 0 and dummy is not None:
                lines.append(f"{'':>10}  {DUMMY:<12} " + " ".join(f"{v:>{width}}" for v in dummy))
    text = end.join(line + trailing for line in lines) + (end if draw(st.booleans()) else "")
    expected = {ctid: {name: Beancounter(name, *row) for name, row in rows.items()} for ctid, rows in table.items()}
    return text, expected


@PROPERTY
@given(rendered_tables())
def test_any_rendered_table_parses_back_equal_in_order(case: tuple[str, dict[int, dict[str, Beancounter]]]) -> None:
    text, expected = case
    for parse in (parse_user_beancounters, parse_bc_resources):
        parsed = parse(text)
        assert parsed == expected
        assert list(parsed) == list(expected)
        assert all(list(parsed[ctid]) == list(expected[ctid]) for ctid in expected)


@PROPERTY
@given(ctids, block)
def test_any_per_beancounter_file_parses_back_with_its_id(ctid: int, rows: dict[str, tuple[int, ...]]) -> None:
    text = "".join(f"{'':>10}  {name:<12} " + " ".join(f"{v:>20}" for v in row) + "\n" for name, row in rows.items())
    assert parse_bc_resources(text, ctid=ctid) == {ctid: {name: Beancounter(name, *row) for name, row in rows.items()}}


@PROPERTY
@given(st.dictionaries(ctids, st.tuples(*[u64] * 11), max_size=6), st.booleans())
def test_any_vestat_parses_back_equal(rows: dict[int, tuple[int, ...]], wide: bool) -> None:
    widths = [20] * 12 if wide else [10] * 5 + [20] * 6 + [10]
    lines = [f"{'Version: 2.2':<251}", " ".join(f"{c:>{w}}" for c, w in zip(VESTAT_COLUMNS, widths, strict=True))]
    lines += [" ".join(f"{v:>{w}}" for v, w in zip((ctid, *row), widths, strict=True)) for ctid, row in rows.items()]
    assert parse_vestat("\n".join(lines) + "\n") == {ctid: VeStat(ctid, *row) for ctid, row in rows.items()}


ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6))


@PROPERTY
@given(
    st.dictionaries(ctids, st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.lists(ips)), max_size=6)
)
def test_any_veinfo_parses_back_equal(
    ves: dict[int, tuple[int, int, list[IPv4Address | IPv6Address]]],
) -> None:
    def address(ip: IPv4Address | IPv6Address) -> str:
        return f" {ip!s:>39}" if ip.version == 6 else f" {ip!s:>15}"

    text = "".join(
        f"{ctid:>10} {cls:>5} {nproc:>5}" + "".join(map(address, addrs)) + "\n"
        for ctid, (cls, nproc, addrs) in ves.items()
    )
    expected = {ctid: VeInfo(ctid, cls, nproc, tuple(map(str, addrs))) for ctid, (cls, nproc, addrs) in ves.items()}
    assert parse_veinfo(text) == expected


def kernel_quota_row(name: str, usage: int, soft: int, hard: int, time: int, expire: int) -> str:
    return f"{name:>11}{usage:>15}{soft:>15}{hard:>15}{time:>11}{expire:>11}\n"


QUOTA_HEADER = f"{'qid: path':<11}{'usage':>15}{'softlimit':>15}{'hardlimit':>15}{'time':>11}{'expire':>11}\n"
blocks_kib = st.integers(0, 2**54 - 1)
small = st.integers(0, 10**14 - 1)
u32 = st.integers(0, 2**32 - 1)


@PROPERTY
@given(st.dictionaries(ctids, st.tuples(small, blocks_kib, u32, u32, u32, u32), max_size=5))
def test_kernel_vzquota_parses_back_even_when_equal_limits_run_together(
    quotas: dict[int, tuple[int, int, int, int, int, int]],
) -> None:
    assume(all(_one_reading(usage, limit) for usage, limit, *_ in quotas.values()))
    text = QUOTA_HEADER
    for qid, (usage, limit, time, inodes, isoft, ihard) in quotas.items():
        text += f"{qid}: /vz/private/{qid}\n"
        text += kernel_quota_row("1k-blocks", usage, limit, limit, time, 0)
        text += kernel_quota_row("inodes", inodes, isoft, ihard, 0, 0)
    parsed = parse_proc_vzquota(text)
    assert list(parsed) == list(quotas)
    for qid, (usage, limit, _time, inodes, isoft, ihard) in quotas.items():
        blocks, nodes = parsed[qid].blocks, parsed[qid].inodes
        assert (blocks.usage, blocks.softlimit, blocks.hardlimit) == (usage, limit, limit)
        assert (nodes.usage, nodes.softlimit, nodes.hardlimit) == (inodes, isoft, ihard)


def _one_reading(usage: int, limit: int) -> bool:
    """Whether usage + limit + limit, glued as the kernel prints them, has no other reading with equal limits
    (``1`` + ``9``*16 twice is also ``199`` + ``9``*15 twice: the text alone cannot tell, so the parser refuses)."""
    glued = f"{usage}{limit}{limit}"
    readings = 0
    for cut in range(1, len(glued)):
        rest = glued[cut:]
        half = len(rest) // 2
        if len(rest) % 2 or half < 15 or rest[:half] != rest[half:]:
            continue
        if all(len(piece) == 1 or piece[0] != "0" for piece in (glued[:cut], rest[:half])):
            readings += 1
    return readings <= 1


@PROPERTY
@given(blocks_kib, blocks_kib, blocks_kib)
def test_kernel_vzquota_with_any_block_counts_is_read_or_refused(usage: int, soft: int, hard: int) -> None:
    text = QUOTA_HEADER + "5: /p\n" + kernel_quota_row("1k-blocks", usage, soft, hard, 0, 0)
    text += kernel_quota_row("inodes", 1, 2, 3, 0, 0)
    try:
        blocks = parse_proc_vzquota(text)[5].blocks
    except ParseError:
        return
    if max(usage, soft, hard) < 10**15:  # nothing ran together: the reading must be exact
        assert (blocks.usage, blocks.softlimit, blocks.hardlimit) == (usage, soft, hard)


# -- garbage in: a result or ParseError, nothing else ---------------------------------------------------------

PARSERS: list[Callable[[str], object]] = [
    parse_user_beancounters,
    parse_bc_resources,
    lambda text: parse_bc_resources(text, ctid=101),
    parse_vestat,
    parse_veinfo,
    parse_proc_vzquota,
    parse_meminfo,
    parse_loadavg,
    parse_cpuinfo,
    parse_df,
]


def result_or_parse_error(text: str) -> None:
    for parse in PARSERS:
        try:
            parse(text)
        except ParseError as error:
            assert error.line >= 0
            assert len(str(error)) < 400


@PROPERTY
@given(st.text())
def test_arbitrary_text_gives_a_result_or_parse_error(text: str) -> None:
    result_or_parse_error(text)


SEEDS = [
    "Version: 2.5\n       uid  resource           held    maxheld    barrier      limit    failcnt\n"
    "      101:  kmemsize         713297    1526814    2752512    2936012          0\n"
    "            dummy                 0          0          0          0          0\n"
    "            numproc               7         16         65         65          0\n",
    f"{'Version: 2.2':<40}\n" + " ".join(VESTAT_COLUMNS) + "\n" + " ".join(["101"] + ["7"] * 11) + "\n",
    "       101     2    14      10.1.0.107\n         0     0   148\n",
    QUOTA_HEADER
    + "7: /vz/private/7\n"
    + kernel_quota_row("1k-blocks", 4, 2**53, 2**53, 0, 0)
    + kernel_quota_row("inodes", 1, 2, 3, 0, 0),
    "MemTotal:        8388608 kB\nMemFree:         1048576 kB\nHugePages_Total:       0\n",
    "0.05 1.50 12.00 3/412 30123\n",
    "processor\t: 0\nmodel name\t: Xeon\n\nprocessor\t: 1\n",
    "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 264212084 22820080 83570832 22% /\n",
]


@PROPERTY
@given(st.sampled_from(SEEDS), st.integers(0, 400), st.integers(0, 8), st.text(max_size=6))
def test_damaged_kernel_files_give_a_result_or_parse_error(seed: str, at: int, cut: int, insert: str) -> None:
    at = min(at, len(seed))
    result_or_parse_error(seed[:at] + insert + seed[at + cut :])


kib = st.integers(0, 2**50)


@PROPERTY
@given(st.tuples(kib, kib, kib, kib, kib, kib), st.one_of(st.none(), kib), st.booleans())
def test_any_meminfo_parses_back_in_bytes(
    figures: tuple[int, int, int, int, int, int], available: int | None, crlf: bool
) -> None:
    total, free, buffers, cached, swap_total, swap_free = figures
    rows = [("MemTotal", total), ("MemFree", free)]
    rows += [("MemAvailable", available)] if available is not None else []
    rows += [("Buffers", buffers), ("Cached", cached), ("SwapTotal", swap_total), ("SwapFree", swap_free)]
    end = "\r\n" if crlf else "\n"
    text = "".join(f"{name + ':':<16}{value:>8} kB{end}" for name, value in rows) + f"HugePages_Total:       0{end}"
    info = parse_meminfo(text)
    assert (info.total, info.free, info.buffers, info.cached) == (
        total * 1024,
        free * 1024,
        buffers * 1024,
        cached * 1024,
    )
    assert (info.swap_total, info.swap_free) == (swap_total * 1024, swap_free * 1024)
    assert info.available == 1024 * (available if available is not None else free + buffers + cached)


@PROPERTY
@given(st.lists(st.integers(0, 99_999), min_size=3, max_size=3), st.integers(0, 2**31), st.integers(0, 2**31))
def test_any_loadavg_parses_back(hundredths: list[int], running: int, total: int) -> None:
    text = " ".join(f"{h // 100}.{h % 100:02d}" for h in hundredths) + f" {running}/{total} 4242\n"
    load = parse_loadavg(text)
    assert [round(value * 100) for value in (load.one, load.five, load.fifteen)] == hundredths
    assert (load.running, load.total) == (running, total)


path_words = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.builds("/dev/{}".format, path_words),
            st.integers(0, 2**50),
            st.integers(0, 2**50),
            st.integers(-(2**20), 2**50),
            st.builds(lambda parts: "/" + " ".join(parts), st.lists(path_words, max_size=3)),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_posix_df_parses_back(rows: list[tuple[str, int, int, int, str]]) -> None:
    text = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n"
    for fs, size, used, avail, mount in rows:
        capacity = f"{(100 * used + size - 1) // size}%" if size else "-"
        text += f"{fs:<14} {size:>11} {used:>8} {avail:>9} {capacity:>8} {mount}\n"
    assert [(u.filesystem, u.size_kib, u.used_kib, u.available_kib, u.mountpoint) for u in parse_df(text)] == rows
