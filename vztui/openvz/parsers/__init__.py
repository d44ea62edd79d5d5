"""Parsers for every text format an OpenVZ node produces: kernel files under /proc and the tools' output.

Each parser takes text and returns domain objects (``vztui.openvz.models``) or raises ``ParseError`` with the line
that broke it; none does I/O. The public names below are contracts: the backend, the CLI and external checks call
them by name.
"""

from vztui.openvz.parsers.beancounters import parse_bc_resources, parse_user_beancounters
from vztui.openvz.parsers.conffile import expand_veid, parse_conf, parse_vzconf
from vztui.openvz.parsers.hostinfo import parse_cpuinfo, parse_df, parse_loadavg, parse_meminfo
from vztui.openvz.parsers.procvz import parse_proc_vzquota, parse_veinfo, parse_vestat
from vztui.openvz.parsers.tools import (
    parse_template_list,
    parse_vzcalc,
    parse_vzcpucheck,
    parse_vzmemcheck,
    parse_vzquota_stat,
)
from vztui.openvz.parsers.vzctl import parse_snapshot_list, parse_vzctl_status
from vztui.openvz.parsers.vzlist import parse_vzlist_json, parse_vzlist_table

__all__ = [
    "expand_veid",
    "parse_bc_resources",
    "parse_conf",
    "parse_cpuinfo",
    "parse_df",
    "parse_loadavg",
    "parse_meminfo",
    "parse_proc_vzquota",
    "parse_snapshot_list",
    "parse_template_list",
    "parse_user_beancounters",
    "parse_veinfo",
    "parse_vestat",
    "parse_vzcalc",
    "parse_vzconf",
    "parse_vzcpucheck",
    "parse_vzctl_status",
    "parse_vzlist_json",
    "parse_vzlist_table",
    "parse_vzmemcheck",
    "parse_vzquota_stat",
]
