"""The argparse tree: global options (accepted before or after the subcommand), subcommands, help with examples.

Handlers are named as ``module:function`` strings and imported only when chosen, so ``vztui ls --help`` never
pays for Textual or paramiko.
"""

from __future__ import annotations

import argparse

from vztui import __version__
from vztui.cli.exitcodes import EPILOG

MAIN_EPILOG = f"""\
examples:
  vztui --demo                        open the dashboard on a simulated 3-node cluster
  vztui                               open the dashboard on the nodes in config.toml
  vztui --read-only --node hn1        inspect one node; every mutating action is refused
  vztui nodes add hn1 10.0.0.11 --user root
  vztui nodes trust hn1               show hn1's host key fingerprint and record it after "yes"
  vztui nodes test                    check every node: reachability, host key, auth, sudo, tools, /proc
  vztui ls --filter 'status:running failcnt>0' --json
  vztui failing                       containers hitting their limits right now
  vztui show hn1/101                  one container: status, beancounters, its config file
  vztui run restart 101 102 --yes     restart two containers through the queue and the journal
  vztui journal --since 2h
  vztui --show-config                 effective configuration and where each value came from

configuration (highest precedence first):
  command-line flags > VZTUI_* environment > user file (--config, VZTUI_CONFIG or
  ~/.config/vztui/config.toml) > system file (/etc/vztui/config.toml, VZTUI_SYSTEM_CONFIG) > built-in
  environment: VZTUI_READ_ONLY=1 VZTUI_REFRESH=5 VZTUI_TRANSPORT=openssh VZTUI_CONCURRENCY=4 VZTUI_USER=root
               VZTUI_IDENTITY_FILE=~/.ssh/id_ed25519 VZTUI_SUDO=1 VZTUI_JOURNAL_DIR=DIR VZTUI_THEME=NAME

{EPILOG}"""


def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command understands. On subcommands their defaults are suppressed so that a value given
    before the subcommand is not reset by the subparser.
    """

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group = parser.add_argument_group("common options")
    group.add_argument("--config", metavar="PATH", default=default(None), help="user config file to use")
    group.add_argument(
        "--read-only",
        action="store_true",
        default=default(False),
        help="refuse every mutating operation (in the backend, not just the UI)",
    )
    group.add_argument(
        "--node",
        action="append",
        metavar="NAME",
        default=default(None),
        help="restrict to this node (repeatable)",
    )
    group.add_argument("--refresh", type=float, metavar="SEC", default=default(None), help="seconds between polls")
    group.add_argument(
        "--demo",
        action="store_true",
        default=default(False),
        help="use a simulated cluster instead of the configured nodes",
    )
    group.add_argument("--nodes", type=int, metavar="N", default=default(3), help="demo: number of nodes")
    group.add_argument(
        "--cts", type=int, metavar="M", default=default(None), help="demo: containers per node (default: the story)"
    )
    group.add_argument("--seed", type=int, metavar="S", default=default(0), help="demo: random seed")


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def container_ref(text: str) -> tuple[str | None, int]:
    """``101`` or ``hn1/101`` (the dashboard's row key) → (node or None, CTID). Digits only: ``int`` alone would
    also take ``+101``, `` 101`` or ``1_01``."""
    node, slash, number = text.rpartition("/")
    if not (number.isascii() and number.isdigit()) or (slash and not node):
        raise argparse.ArgumentTypeError(f"expected CTID or NODE/CTID (e.g. 101 or hn1/101), got {text!r}")
    return (node if slash else None), int(number)


def _sub(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: str,
    help_text: str,
    epilog: str = "",
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=(epilog + "\n" + EPILOG) if epilog else EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.set_defaults(handler=handler)
    _common_options(parser, top=False)
    return parser


def _nodes_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    nodes = _sub(subparsers, "nodes", "vztui.cli.nodes_list:run", "list, add, remove, test and trust nodes")
    _json(nodes)
    actions = nodes.add_subparsers(title="node commands", metavar="COMMAND")
    listing = _sub(actions, "list", "vztui.cli.nodes_list:run", "list the configured nodes")
    _json(listing)
    for parser in (nodes, listing):
        parser.add_argument("--names", action="store_true", help="print only the node names (for completion)")

    add = _sub(
        actions,
        "add",
        "vztui.cli.nodes_edit:add",
        "add [nodes.NAME] to the user config file, keeping its comments",
        "example:\n  vztui nodes add hn1 10.0.0.11 --user root --identity-file ~/.ssh/id_ed25519\n",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("host", metavar="HOST", nargs="?", help="host name or address (default: NAME)")
    add.add_argument("--port", type=int)
    add.add_argument("--user")
    add.add_argument("--identity-file", metavar="PATH")
    add.add_argument("--transport", choices=["paramiko", "openssh", "local"])
    add.add_argument("--sudo", action="store_true", default=None, help="run commands through sudo -n")
    add.add_argument("--node-read-only", action="store_true", default=None, help="mark this node read-only")
    add.add_argument("--protected", action="store_true", default=None, help="typed confirmation for every change")
    add.add_argument("--max-parallel", type=int, metavar="N")
    add.add_argument("--root-prefix", metavar="DIR")
    add.add_argument("--path", metavar="DIRS", help="directories prepended to PATH on the node")
    add.add_argument("--replace", action="store_true", help="overwrite an existing [nodes.NAME]")

    remove = _sub(actions, "remove", "vztui.cli.nodes_edit:remove", "remove [nodes.NAME] from the user config file")
    remove.add_argument("name", metavar="NAME")

    test = _sub(
        actions,
        "test",
        "vztui.cli.nodes_test:run",
        "check nodes: reachability, host key, authentication, sudo, vzctl/vzlist, /proc files",
    )
    test.add_argument("names", metavar="NAME", nargs="*", help="nodes to test (default: all)")
    _json(test)

    trust = _sub(
        actions,
        "trust",
        "vztui.cli.nodes_trust:run",
        "show a node's host key fingerprint and record it after an explicit yes",
        "Without a terminal, pass the fingerprint you verified out of band:\n"
        "  vztui nodes trust hn1 --fingerprint SHA256:abc...\n",
    )
    trust.add_argument("name", metavar="NAME")
    trust.add_argument("--fingerprint", metavar="SHA256:…", help="accept only this key (required without a TTY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vztui",
        description="A keyboard-driven terminal dashboard for OpenVZ clusters, and a scriptable CLI.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.set_defaults(handler="vztui.cli.dashboard:run")
    parser.add_argument("--version", action="version", version=f"vztui {__version__}")
    parser.add_argument(
        "--show-config", action="store_true", help="print the effective configuration and where each value came from"
    )
    parser.add_argument("--theme", metavar="NAME", help="dashboard theme")
    _json(parser)
    _common_options(parser, top=True)

    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    ls = _sub(
        subparsers,
        "ls",
        "vztui.cli.inventory:ls",
        "list containers across the cluster",
        "filter terms (combined with AND; anything else matches name, hostname, CTID, IP or description):\n"
        "  node:hn2  status:running  layout:ploop  name:web*  template:centos-6*  ip:10.0.\n"
        "  failcnt>0  ctid>=200  (numeric fields: ctid failcnt numproc cpu)\n"
        "example:\n  vztui ls --node hn2 --filter 'status:stopped' --json\n",
    )
    ls.add_argument("--filter", metavar="EXPR", default="", help="filter expression, as in the dashboard's /")
    _json(ls)

    failing = _sub(
        subparsers,
        "failing",
        "vztui.cli.inventory:failing",
        "containers whose beancounters fail or are at >= 90%% of their barrier, worst first",
        "With --window, the cluster is watched that long and failcnt increases in that time are reported too.\n",
    )
    failing.add_argument("--window", type=float, default=0.0, metavar="SEC", help="watch for failcnt increases")
    _json(failing)

    show = _sub(subparsers, "show", "vztui.cli.inventory:show", "one container in detail: status, beancounters, config")
    show.add_argument(
        "ct",
        type=container_ref,
        metavar="[NODE/]CTID",
        help="the CT: its CTID, or NODE/CTID as the dashboard names rows (needed when a CTID is on several nodes)",
    )
    _json(show)

    journal = _sub(
        subparsers,
        "journal",
        "vztui.cli.journal:run",
        "operations vztui ran (from the journal)",
        "examples:\n  vztui journal --since 2h\n  vztui journal --since 2026-11-24T09:00 --json\n"
        "  vztui journal --op ID            print one operation's full output\n",
    )
    journal.add_argument("--since", metavar="DURATION|ISO", help="30m, 2h, 7d, or an ISO date/time")
    journal.add_argument("--op", metavar="ID", help="print the full output of this operation")
    _json(journal)

    run = _sub(
        subparsers,
        "run",
        "vztui.cli.run:run",
        "run an action on containers through the queue and the journal, streaming its output",
        "examples:\n  vztui run restart 101 102 --yes\n  vztui run set 101 --param ram=1G --param cpus=2 --yes\n"
        "  vztui run create hn2/150 --param ostemplate=centos-6-x86_64 --yes\n"
        "  vztui run stop 101 --param fast=yes --yes\n"
        "Mutating actions ask for confirmation on a terminal and need --yes otherwise.\n",
    )
    run.add_argument("action", metavar="ACTION")
    run.add_argument(
        "targets", metavar="[NODE/]CTID", nargs="+", type=container_ref, help="the CTs: CTID, or NODE/CTID (hn1/101)"
    )
    run.add_argument(
        "--param", "-p", action="append", default=[], metavar="KEY=VALUE", help="action parameter (repeatable)"
    )
    run.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _json(run)

    _nodes_parser(subparsers)

    completion = _sub(subparsers, "completion", "vztui.cli.completion:run", "print a shell completion script")
    completion.add_argument("shell", choices=["bash", "zsh"])
    return parser
