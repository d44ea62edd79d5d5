"""``vztui`` / ``vztui --demo``: open the Textual dashboard over the configured (or simulated) nodes.

Textual is imported here and only here, so the scriptable commands never pay for it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from vztui.cli import exitcodes
from vztui.cli.errors import CliError
from vztui.cli.session import target


def run(args: argparse.Namespace) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise CliError(
            "the dashboard needs a terminal; for scripts use `vztui ls`, `vztui failing`, `vztui show`, `vztui run`"
        )
    where = target(args)
    from vztui.backend.cluster import Cluster
    from vztui.ui.app import VztuiApp

    with contextlib.ExitStack() as stack:
        if where.demo is not None:
            from vztui.demo import kernel_ticker

            stack.enter_context(kernel_ticker(where.demo))
        cluster = Cluster(where.specs, read_only=where.read_only, journal_dir=str(where.journal_dir))
        app = VztuiApp(
            cluster,
            cluster_name="demo" if where.demo is not None else where.config.ui.cluster_name,
            read_only=where.read_only,
            keymap=dict(where.config.keymap),
            theme=where.config.theme,
            columns=where.config.ui.columns,
            presets=where.config.presets,
        )
        app.run()
        return_code = app.return_code
    return exitcodes.OK if not return_code else int(return_code)
