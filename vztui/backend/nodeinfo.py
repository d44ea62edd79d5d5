"""A node's static facts (vz.conf, CPUs, memory size, config samples, cached templates, hostname, kernel, vzctl
version, vzcpucheck's power and vzmemcheck's commitment), read in one round trip at connect and on demand, never on
every tick.

Same shape as the tick batch: a fixed script, variables as positional parameters, delimited sections.
"""

from __future__ import annotations

from collections.abc import Mapping

from vztui.backend.batch import Section, new_nonce, split_sections
from vztui.backend.transport import Transport
from vztui.openvz.errors import ParseError
from vztui.openvz.models import NodeCapacity, NodeInfo, VzConf

# $1 root prefix, $2 delimiter nonce. Config samples are listed by name only (ve-NAME.conf-sample → NAME). The kernel
# release is the third word of /proc/version; under a root prefix the tree's own /etc/hostname names the node.
STATIC_SCRIPT = """\
P=$1 N=$2
b() { printf '@@%s begin %s\\n' "$N" "$1"; printf '@@%s begin %s\\n' "$N" "$1" >&2; }
e() { printf '\\n@@%s end %s %s\\n' "$N" "$1" "$2"; }
b vzconf; cat "$P/etc/vz/vz.conf"; e vzconf $?
b cpuinfo; cat "$P/proc/cpuinfo"; e cpuinfo $?
b meminfo; cat "$P/proc/meminfo"; e meminfo $?
b samples; ls -1 "$P/etc/vz/conf"; e samples $?
b templates; vztmpl-dl --list-local; e templates $?
b hostname; if [ -n "$P" ] && [ -r "$P/etc/hostname" ]; then cat "$P/etc/hostname"; else hostname; fi; e hostname $?
b kernel; read -r _ _ k _ < "$P/proc/version" && echo "$k"; e kernel $?
b vzctl; vzctl --version; e vzctl $?
b cpucheck; vzcpucheck; e cpucheck $?
b memcheck; vzmemcheck -v; e memcheck $?
"""

SAMPLE_PREFIX = "ve-"
SAMPLE_SUFFIX = ".conf-sample"


def static_argv(root_prefix: str, nonce: str) -> list[str]:
    return ["sh", "-c", STATIC_SCRIPT, "sh", root_prefix, nonce]


async def read_node_info(transport: Transport, root_prefix: str, *, timeout: float) -> tuple[NodeInfo, list[str]]:
    """Ask the node once; return what it said and the sections that could not be used (by reason)."""
    nonce = new_nonce()
    result = await transport.run(static_argv(root_prefix, nonce), timeout=timeout)
    sections = split_sections(result.stdout_text, result.stderr_text, nonce)
    return node_info_from(sections)


def node_info_from(sections: Mapping[str, Section]) -> tuple[NodeInfo, list[str]]:
    # Imported on first use, not at module level: the parser package is large and cold start stays fast.
    from vztui.openvz.parsers import (
        parse_cpuinfo,
        parse_meminfo,
        parse_template_list,
        parse_vzconf,
        parse_vzcpucheck,
        parse_vzmemcheck,
    )

    problems: list[str] = []

    def text(name: str) -> str | None:
        section = sections.get(name)
        if section is None:
            problems.append(f"{name}: missing")
            return None
        problem = section.problem()
        if problem:
            problems.append(problem)
            return None
        return section.text

    vz = VzConf()
    raw = text("vzconf")
    if raw is not None:
        try:
            vz = parse_vzconf(raw)
        except ParseError as exc:
            problems.append(f"vzconf: {exc}")
    cpus = 0
    raw = text("cpuinfo")
    if raw is not None:
        try:
            cpus, _ = parse_cpuinfo(raw)
        except ParseError as exc:
            problems.append(f"cpuinfo: {exc}")
    ram = swap = 0
    raw = text("meminfo")
    if raw is not None:
        try:
            mem = parse_meminfo(raw)
            ram, swap = mem.total, mem.swap_total
        except ParseError as exc:
            problems.append(f"meminfo: {exc}")
    samples: tuple[str, ...] = ()
    raw = text("samples")
    if raw is not None:
        samples = tuple(
            sorted(
                name[len(SAMPLE_PREFIX) : -len(SAMPLE_SUFFIX)]
                for name in raw.split()
                if name.startswith(SAMPLE_PREFIX) and name.endswith(SAMPLE_SUFFIX)
            )
        )
    templates: tuple[str, ...] = ()
    raw = text("templates")
    if raw is not None:
        try:
            templates = tuple(parse_template_list(raw))
        except ParseError as exc:
            problems.append(f"templates: {exc}")
    # Only the node's power is kept from vzcpucheck: its "Current CPU utilization" changes whenever a CT starts or
    # stops, and the screens compute that live from the snapshot's cpuunits instead of showing a connect-time value.
    cpu_power = 0
    raw = text("cpucheck")
    if raw is not None:
        try:
            cpu_power = round(parse_vzcpucheck(raw).power)
        except ParseError as exc:
            problems.append(f"cpucheck: {exc}")
    mem_commit: float | None = None
    raw = text("memcheck")
    if raw is not None:
        try:
            mem_commit = parse_vzmemcheck(raw).mem_commit_percent
        except ParseError as exc:
            problems.append(f"memcheck: {exc}")
    hostname = (text("hostname") or "").strip()
    kernel = (text("kernel") or "").strip()
    version = (text("vzctl") or "").strip().removeprefix("vzctl version ").strip()
    info = NodeInfo(
        hostname=hostname,
        kernel=kernel,
        vz=vz,
        capacity=NodeCapacity(
            cpus=cpus, ram_bytes=ram, swap_bytes=swap, cpu_power=cpu_power, mem_commit_percent=mem_commit
        ),
        vzctl_version=version,
        templates=templates,
        samples=samples,
    )
    return info, problems


def vz_dir(info: NodeInfo | None, root_prefix: str) -> str:
    """The directory whose filesystem holds the containers (``/vz`` from ``VE_PRIVATE=/vz/private/$VEID``)."""
    private = info.vz.ve_private if info is not None else "/vz/private/$VEID"
    parts = [part for part in private.split("/") if part]
    base = "/" + "/".join(parts[:-2]) if len(parts) > 2 else "/"
    if root_prefix and not base.startswith(root_prefix):
        return root_prefix.rstrip("/") + base
    return base
