"""``vztui --show-config``: the effective configuration, annotated with the origin of each value."""

from __future__ import annotations

import argparse
import sys

from vztui.cli import exitcodes
from vztui.cli.common import load
from vztui.cli.output import print_json
from vztui.config import config_as_json, render_config


def run(args: argparse.Namespace) -> int:
    config = load(args)
    if args.json:
        print_json(config_as_json(config))
    else:
        sys.stdout.write(render_config(config))
    return exitcodes.OK
