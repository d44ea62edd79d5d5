"""vzsplit's arithmetic (vzctl 4.x ``src/vzsplit.c``): divide a node's memory, processes and disk into N equal
containers, as the config sample vzsplit would print, and as a create preset.

Pure: the node's figures come in as ``SplitInputs``. The C program computes in a mix of ``long long``, ``float``
and ``double``; the same conversions are reproduced here (``_f32`` for its single-precision factors, truncation
toward zero for every assignment) so a sample computed here matches the one vzsplit prints on the node.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from vztui.openvz.errors import ValidationError
from vztui.openvz.presets import Preset
from vztui.openvz.units import LONG_MAX, PAGE_SIZE
from vztui.openvz.validate import validate_sample_name

SYSRSRV = 52_428_800
"""Bytes kept for the host itself."""
MEMPERVE = 5_542_912
LOWPERVE = 1_348_608
MAX_CTS = 10_000
MAX_TOTAL_PIDS = 8000
MAXIPTENT = 2000
MINPROC = 30
MINTCPBUF = 65536
MINDGRAMBUF = 32768
MINSOCKBUF = 2560
MIN_PTY = 4
MIN_IPTENT = 4
MIN_PGLOCK = 4
MIN_GUARPG = 1024
IPTENT_PVE = 200
FLOCK_PVE = 1000
PTY_PVE = 512
HOST_DS_KIB = 10_485_760
"""10 GiB of the container partition kept for the host."""
DEF_DS_KIB = 225_280
HOST_DI = 100_000
DEF_DI = 88_000
NFILE_AVNPROC = 32
PGLOCK_KMEM = 204_800
K_KMEM_MAX = 2.0
DEF_CPUUNITS = 1000

LEVELS: tuple[str, ...] = (
    "Free resource distribution. Any parameters may be increased",
    "Normal resource distribution. Secondary parameters may be increased",
    "Partial resource shortage. Auxiliary parameters may be increased",
    "Overall resource shortage. Please, do not change any parameters!",
)
"""vzsplit's "Resource commit level" texts, by level."""

UBC_ORDER: tuple[str, ...] = (
    "NUMPROC",
    "AVNUMPROC",
    "NUMTCPSOCK",
    "NUMOTHERSOCK",
    "VMGUARPAGES",
    "KMEMSIZE",
    "TCPSNDBUF",
    "TCPRCVBUF",
    "OTHERSOCKBUF",
    "DGRAMRCVBUF",
    "OOMGUARPAGES",
    "PRIVVMPAGES",
    "LOCKEDPAGES",
    "SHMPAGES",
    "PHYSPAGES",
    "NUMFILE",
    "NUMFLOCK",
    "NUMPTY",
    "NUMSIGINFO",
    "DCACHESIZE",
    "NUMIPTENT",
    "DISKSPACE",
    "DISKINODES",
)
"""The order vzsplit prints its parameters in (non-VSwap mode; ``# Secondary`` before KMEMSIZE, ``# Auxiliary``
before LOCKEDPAGES)."""

_VSWAP_UNLIMITED: tuple[tuple[str, str], ...] = (
    ("KMEMSIZE", "unlimited"),
    ("DCACHESIZE", "unlimited"),
    ("LOCKEDPAGES", "unlimited"),
    ("PRIVVMPAGES", "unlimited"),
    ("SHMPAGES", "unlimited"),
    ("NUMPROC", "unlimited"),
    ("VMGUARPAGES", "0:unlimited"),
    ("OOMGUARPAGES", "0:unlimited"),
    ("NUMTCPSOCK", "unlimited"),
    ("NUMFLOCK", "unlimited"),
    ("NUMPTY", "unlimited"),
    ("NUMSIGINFO", "unlimited"),
    ("TCPSNDBUF", "unlimited"),
    ("TCPRCVBUF", "unlimited"),
    ("OTHERSOCKBUF", "unlimited"),
    ("DGRAMRCVBUF", "unlimited"),
    ("NUMOTHERSOCK", "unlimited"),
    ("NUMFILE", "unlimited"),
    ("NUMIPTENT", "unlimited"),
)

# Per commit level (0 free … 2 shortage), vzsplit.c's tables; float ones are C floats.
_K_KMEM = (1.0, 1.2, 1.8)
_K_NPROC = (1.0, 1.5, 2.0)
_K_AVNPR = (8.0, 5.0, 3.0)
_K_KPP = (81920, 65536, 53248)
_K_SOCK1 = (262144, 131072, 65536)
_K_SOCK2 = (4096, 3036, 2560)
_NUMSIGINFO = (1024, 512, 256)
_K_DCACHE = (1.5 * 384, 1.2 * 384, 1.0 * 384)
_K_PRIVVM = (6.0, 3.0, 1.5)
_K_PGLOCK = (10, 3, 1)
_K_MSL = (10_485_760, 2_097_152, 0)


class SplitError(ValidationError):
    """The node cannot hold N containers (vzsplit's refusal), with the largest N it can."""

    def __init__(self, message: str, *, maximum: int | None = None) -> None:
        super().__init__("count", message)
        self.maximum = maximum


@dataclass(frozen=True, slots=True)
class SplitInputs:
    """What vzsplit reads on the node: /proc/meminfo, threads-max and a statfs of the VE_PRIVATE partition.

    ``low_bytes`` 0 means no LowTotal line (64-bit kernels): vzsplit then takes all RAM as low memory.
    ``threads_max`` None: unknown, assumed above vzsplit's cap (true for any node with 1 GiB of RAM or more).
    ``disk_kib``/``disk_inodes`` 0: the partition could not be measured, vzsplit's default disk values are used.
    """

    ram_bytes: int
    swap_bytes: int
    low_bytes: int = 0
    threads_max: int | None = None
    disk_kib: int = 0
    disk_inodes: int = 0


@dataclass(frozen=True, slots=True)
class SplitResult:
    """vzsplit's sample for ``count`` containers: barrier:limit per parameter, the commit level and notes."""

    count: int
    inputs: SplitInputs
    vswap: bool
    level: int
    params: tuple[tuple[str, int, int], ...]
    """(NAME, barrier, limit) in ``UBC_ORDER``; LONG_MAX is "unlimited"."""
    proc_calc: int
    warnings: tuple[str, ...] = ()

    def value(self, name: str) -> tuple[int, int]:
        for key, barrier, limit in self.params:
            if key == name:
                return barrier, limit
        raise KeyError(name)

    @property
    def ram_pages(self) -> int:
        """VSwap RAM per container: vzsplit's PRIVVMPAGES barrier becomes the PHYSPAGES limit."""
        return self.value("PRIVVMPAGES")[0]

    def sample_text(self) -> str:
        """The ``ve-NAME.conf-sample`` text ``vzsplit -n COUNT`` prints for these figures."""
        inputs = self.inputs
        low = inputs.low_bytes or inputs.ram_bytes
        lines = [
            f"# Configuration file generated by vzsplit for {self.count} container{' ' if self.count == 1 else 's'}",
            f"# on HN with total amount of physical memory {inputs.ram_bytes >> 20} Mb,",
            f"# low memory {low >> 20} Mb, swap size {inputs.swap_bytes >> 20} Mb, max threads {self.proc_calc}.",
            f"# Resource commit level {self.level}:",
            f"# {LEVELS[self.level]}",
        ]
        if self.vswap:
            pages = self.ram_pages
            lines += [
                "",
                "# This is VSwap-enabled configuration",
                "# NOTE this configuration needs OpenVZ kernel 042stab042 or newer!",
                "",
                f'PHYSPAGES="0:{pages}"',
                f'SWAPPAGES="0:{pages * 2}"',
                "",
                *(f'{key}="{value}"' for key, value in _VSWAP_UNLIMITED),
                "",
                *(f'{key}="{_pair(*self.value(key))}"' for key in ("DISKSPACE", "DISKINODES")),
            ]
        else:
            lines.append("# Primary parameters")
            for key, barrier, limit in self.params:
                if key == "KMEMSIZE":
                    lines += ["", "# Secondary parameters"]
                elif key == "LOCKEDPAGES":
                    lines += ["", "# Auxiliary parameters"]
                lines.append(f'{key}="{_pair(barrier, limit)}"')
        lines.append(f'CPUUNITS="{DEF_CPUUNITS}"')
        return "\n".join(lines) + "\n"

    def preset_params(self) -> tuple[tuple[str, str], ...]:
        """The same sizing as ``vzctl set`` parameters: RAM/swap (VSwap) or every UBC, then disk and cpuunits.

        AVNUMPROC is left out: it is no beancounter, only the expected average vzcfgvalidate checks against.
        """
        params: list[tuple[str, str]] = []
        if self.vswap:
            pages = self.ram_pages
            params += [("ram", _pages_as_size(pages)), ("swap", _pages_as_size(pages * 2))]
        else:
            params += [
                (key.lower(), _pair(barrier, limit))
                for key, barrier, limit in self.params
                if key not in ("AVNUMPROC", "DISKSPACE", "DISKINODES")
            ]
        params += [
            ("diskspace", _pair(*self.value("DISKSPACE"))),
            ("diskinodes", _pair(*self.value("DISKINODES"))),
            ("cpuunits", str(DEF_CPUUNITS)),
        ]
        return tuple(params)

    def preset(self, name: str, *, description: str = "") -> Preset:
        """A create preset with this sizing (validated like any configured preset)."""
        validate_sample_name(name, field="preset")
        return Preset(name, self.preset_params(), description or self.describe())

    def describe(self) -> str:
        mode = "VSwap" if self.vswap else "UBC"
        return f"vzsplit -n {self.count} ({mode}, commit level {self.level}: {LEVELS[self.level].split('.')[0]})"


def preset_toml(preset: Preset) -> str:
    """``[presets.NAME]`` as the admin pastes it into vztui's config (values are TOML basic strings)."""
    lines = [f"[presets.{preset.name}]"]
    if preset.description:
        lines.append(f"description = {json.dumps(preset.description, ensure_ascii=False)}")
    lines += [f"{option} = {json.dumps(value)}" for option, value in preset.params]
    return "\n".join(lines) + "\n"


def split_node(count: int, inputs: SplitInputs, *, vswap: bool = True) -> SplitResult:
    """``vzsplit -n COUNT`` on a node with ``inputs``; raises SplitError where vzsplit refuses (with its maximum)."""
    if isinstance(count, bool) or not 1 <= count <= MAX_CTS:
        raise SplitError(f"split the node into 1..{MAX_CTS} containers")
    mem = inputs.ram_bytes
    swap = inputs.swap_bytes
    low = inputs.low_bytes or mem
    if mem < SYSRSRV:
        raise SplitError(f"OpenVZ requires at least {SYSRSRV >> 20} Mb of RAM on the node")
    warnings: list[str] = []
    if swap > 2 * mem:
        warnings.append(f"The optimal swap space size is {(2 * mem) >> 20} Mb, twice bigger than the RAM size")
    allowed = count
    refused: list[str] = []
    if (mem + swap - SYSRSRV) // count < MEMPERVE:
        refused.append(f"On node with {(mem + swap) >> 20} Mb of memory (RAM + swap) {count} containers cannot fit")
        allowed = (mem + swap - SYSRSRV) // MEMPERVE
    if allowed < 1 or (low - SYSRSRV) // allowed < LOWPERVE:
        refused.append(f"On node with {low >> 20} Mb of low memory {count} containers cannot fit")
        allowed = min(allowed, (low - SYSRSRV) // LOWPERVE)
    if refused:
        raise SplitError(f"{'; '.join(refused)}. The maximum allowed value is {allowed}", maximum=allowed)
    cap = 2 * MAX_TOTAL_PIDS if low > 2 << 30 else MAX_TOTAL_PIDS
    proc_calc = min(inputs.threads_max, cap) if inputs.threads_max is not None else cap
    ds_total, di_total = _disk(count, inputs, warnings)
    values = _calculate(count, mem=mem, swap=swap, low=low, proc_calc=proc_calc, ds_total=ds_total, di_total=di_total)
    if values is None:
        raise SplitError("Fatal resource shortage, try to decrease the number of containers")
    level, params = values
    return SplitResult(count, inputs, vswap, level, params, proc_calc, tuple(warnings))


def _disk(count: int, inputs: SplitInputs, warnings: list[str]) -> tuple[int, int]:
    """vzsplit's check_disk_space: the partition less the host's share, or (0, 0) for the default values."""
    if inputs.disk_kib <= 0:
        warnings.append("The container partition was not measured: default disk space values are used")
        return 0, 0
    ds_total, di_total = inputs.disk_kib, inputs.disk_inodes
    small = False
    if ds_total // 2 < HOST_DS_KIB:
        small, ds_total = True, ds_total // 2
    else:
        ds_total -= HOST_DS_KIB
    if di_total // 2 < HOST_DI:
        small, di_total = True, di_total // 2
    else:
        di_total -= HOST_DI
    if small:
        warnings.append(f"Recommended minimal size of the container partition is {HOST_DS_KIB * 2 >> 20} Gb")
    fit_ds, fit_di = ds_total // DEF_DS_KIB, di_total // DEF_DI
    if fit_ds < count or fit_di < count:
        allowed = min(fit_ds, fit_di)
        warnings.append(
            f"The container partition does not have space for {count} containers (at most {allowed}): "
            "default disk space values are used"
        )
        return 0, 0
    return ds_total, di_total


def _calculate(
    count: int, *, mem: int, swap: int, low: int, proc_calc: int, ds_total: int, di_total: int
) -> tuple[int, tuple[tuple[str, int, int], ...]] | None:
    """vzsplit.c's calculate_values, conversion for conversion; None on "Fatal resource shortage"."""
    p: dict[str, tuple[int, int]] = {}
    tot_pve = (mem + swap - SYSRSRV) // count
    numproc = avnproc = tcpbuf = kmem = low_pve = guarpg = 0
    level = 0
    found = False
    for osl in range(3):
        numproc = _trunc(_f32(_f32(_f32(_K_NPROC[osl]) * _f32(proc_calc)) / _f32(count)))
        low_pve = _trunc(low * 0.4 * _f32(_K_KMEM[osl]) / count)
        guarpg = _cdiv(tot_pve - low_pve, PAGE_SIZE)
        if guarpg < MIN_GUARPG:
            guarpg = MIN_GUARPG
            low_pve = tot_pve - guarpg * PAGE_SIZE
        kmem = _cdiv(low_pve, 2)
        if low_pve < _K_MSL[osl]:
            continue
        numproc = max(numproc, MINPROC)
        avnproc = _cdiv(kmem, _K_KPP[osl])
        if avnproc < MINPROC // 2:
            continue
        numproc = max(numproc, 2 * avnproc)
        if numproc > _f32(avnproc * _K_AVNPR[osl]):
            numproc = _trunc(_f32(avnproc * _K_AVNPR[osl]))
        sockbuf = low_pve - kmem
        tcpbuf = _cdiv(sockbuf, 3)
        if tcpbuf < _K_SOCK1[osl] + _K_SOCK2[osl] * numproc:
            continue
        level, found = osl, True
        break
    if not found:
        level = 2
        numproc = _trunc(_f32(_f32(_f32(_K_NPROC[level]) * _f32(proc_calc)) / _f32(count)))
        low_pve = _trunc(low * 0.4 * K_KMEM_MAX / count)
        guarpg = _cdiv(tot_pve - low_pve, PAGE_SIZE)
        if guarpg < MIN_GUARPG:
            guarpg = MIN_GUARPG
            low_pve = tot_pve - guarpg * PAGE_SIZE
        while True:
            numproc = max(_cdiv(numproc, 2), MINPROC)
            avnproc = _cdiv(numproc, 2)
            delta = MINSOCKBUF * numproc
            kmem = low_pve - 2 * (MINDGRAMBUF + MINTCPBUF + delta)
            rest = kmem - avnproc * _K_KPP[level]
            if not (rest < 0 and numproc > MINPROC):
                break
        if rest < 0:
            return None
        p["DGRAMRCVBUF"] = (MINDGRAMBUF, MINDGRAMBUF)
        p["OTHERSOCKBUF"] = (MINDGRAMBUF, MINDGRAMBUF + delta)
        p["TCPSNDBUF"] = (MINTCPBUF, MINTCPBUF + delta)
        if rest > delta:
            p["TCPRCVBUF"] = (MINTCPBUF, MINTCPBUF + delta)
            kmem += rest - delta
        else:
            p["TCPRCVBUF"] = (MINTCPBUF, MINTCPBUF + rest)
    else:
        delta = _K_SOCK2[level] * numproc
        rest = tcpbuf - delta
        p["TCPSNDBUF"] = p["TCPRCVBUF"] = (_cap(rest), _cap(tcpbuf))
        p["DGRAMRCVBUF"] = (_cap(_cdiv(rest, 2)), _cap(_cdiv(rest, 2)))
        p["OTHERSOCKBUF"] = (_cap(_cdiv(rest, 2)), _cap(_cdiv(rest, 2) + delta))
    p["KMEMSIZE"] = (_cap(kmem), _cap(_trunc(kmem * 1.1)))
    for key, value in (("NUMPROC", numproc), ("AVNUMPROC", avnproc), ("NUMTCPSOCK", numproc)):
        p[key] = (_cap(value), _cap(value))
    p["NUMOTHERSOCK"] = (_cap(numproc), _cap(numproc))
    iptent = min(max(MAXIPTENT // count, MIN_IPTENT), IPTENT_PVE)
    p["NUMIPTENT"] = (iptent, iptent)
    numfile = avnproc * NFILE_AVNPROC
    p["NUMFILE"] = (_cap(numfile), _cap(numfile))
    dcache = _trunc(_f32(_f32(numfile) * _f32(_K_DCACHE[level])))
    p["DCACHESIZE"] = (_cap(_trunc(dcache / 1.03)), _cap(dcache))
    numflock = min(_trunc(numfile * 0.10), FLOCK_PVE)
    p["NUMFLOCK"] = (numflock, _cap(_trunc(numflock * 1.1)))
    lockedpages = max(kmem * _K_PGLOCK[level] // PGLOCK_KMEM, MIN_PGLOCK)
    p["LOCKEDPAGES"] = (_cap(lockedpages), _cap(lockedpages))
    numpty = min(max(_trunc(numproc * 0.1), MIN_PTY), PTY_PVE)
    p["NUMPTY"] = (numpty, numpty)
    p["NUMSIGINFO"] = (_NUMSIGINFO[level], _NUMSIGINFO[level])
    p["PHYSPAGES"] = (0, LONG_MAX)
    privvm = _trunc(_f32(_f32(guarpg) * _f32(_K_PRIVVM[level])))
    if privvm > tot_pve // PAGE_SIZE:
        privvm = guarpg
    if count > 1 and privvm > 0.6 / 4096 * mem:
        privvm = _trunc(0.6 / 4096 * mem)
        guarpg = min(guarpg, privvm)
    p["PRIVVMPAGES"] = (_cap(privvm), _cap(_trunc(privvm * 1.1)))
    p["VMGUARPAGES"] = p["OOMGUARPAGES"] = (_cap(guarpg), LONG_MAX)
    shmpg = _trunc(privvm * 0.10)
    p["SHMPAGES"] = (_cap(shmpg), _cap(shmpg))
    if ds_total == 0:
        ds_pve, di_pve = DEF_DS_KIB, DEF_DI
    else:
        ds_pve, di_pve = ds_total // (2 * count), di_total // (2 * count)
    p["DISKSPACE"] = (_trunc(ds_pve / 1.1), ds_pve)
    p["DISKINODES"] = (_trunc(di_pve / 1.1), di_pve)
    return level, tuple((key, *p[key]) for key in UBC_ORDER)


def _f32(value: float) -> float:
    """``value`` rounded to a C float, as vzsplit's single-precision factors compute."""
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def _trunc(value: float) -> int:
    """C's float → integer assignment: toward zero."""
    return int(value)


def _cdiv(a: int, b: int) -> int:
    """C's integer division: toward zero (Python's ``//`` floors)."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def _cap(value: int) -> int:
    return min(value, LONG_MAX)


def _pair(barrier: int, limit: int) -> str:
    """vzctl's ubcstr: one value when barrier and limit are equal, else ``barrier:limit``."""
    return _word(barrier) if barrier == limit else f"{_word(barrier)}:{_word(limit)}"


def _word(value: int) -> str:
    return "unlimited" if value >= LONG_MAX else str(value)


def _pages_as_size(pages: int) -> str:
    """Pages as a vzctl size that converts back to exactly ``pages``: whole MiB when it divides, else KiB."""
    kib = pages * PAGE_SIZE // 1024
    return f"{kib // 1024}M" if kib % 1024 == 0 else f"{kib}K"
