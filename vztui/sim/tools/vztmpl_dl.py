"""``vztmpl-dl``: the local OS template cache (``--list-local``); there is no network on a simulated host."""

from __future__ import annotations

from typing import TextIO

from vztui.sim.node import SimNode

USAGE = (
    "Usage: vztmpl-dl [OPTIONS] TEMPLATE ...\n"
    "       vztmpl-dl [OPTIONS] --update-all\n"
    "       vztmpl-dl --list-local|--list-remote|--list-all|--list-orphans\n"
    "Options:\n"
    "  --gpg-check       check GPG signature of downloaded templates\n"
    "  --no-gpg-check    do not check GPG signature\n"
    "  --ignore-errors   do not stop on errors\n"
    "  --update          update existing templates\n"
    "  --no-update       do not update existing templates\n"
    "  --quiet           be quiet\n"
    "  --config FILE     use FILE as a config instead of /etc/vz/download.conf\n"
    "  --help            show this help\n"
)
_FLAGS = {"--gpg-check", "--no-gpg-check", "--ignore-errors", "--update", "--no-update", "--quiet", "--no-quiet"}


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    names: list[str] = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("--help", "-h"):
            stdout.write(USAGE)
            return 0
        if arg == "--list-local":
            stdout.write("".join(name + "\n" for name in node.templates()))
            return 0
        if arg in ("--list-remote", "--list-all", "--update-all"):
            stderr.write(
                "vztmpl-dl ERROR: can't download template list from http://download.openvz.org/template/precreated\n"
            )
            return 1
        if arg == "--list-orphans":
            return 0
        if arg == "--config":
            if not args:
                stderr.write(USAGE)
                return 3
            args.pop(0)
            continue
        if arg in _FLAGS:
            continue
        if arg.startswith("-"):
            stderr.write(USAGE)
            return 3
        names.append(arg)
    if not names:
        stderr.write(USAGE)
        return 3
    code = 0
    for name in names:
        if node.find_template(name):
            stdout.write(f"Template {name} is already present, not updating\n")
            code = code or 2
        else:
            stderr.write(f"vztmpl-dl ERROR: template {name} not found!\n")
            code = 1
    return code
