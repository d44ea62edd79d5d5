"""The ``vztui`` command: the dashboard and the scriptable subcommands.

``main`` parses the command line and hands off to one handler module, imported lazily; it never lets a traceback
reach the terminal for a usage or configuration problem (exit 2) and maps everything else to documented codes.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from vztui.cli import exitcodes
from vztui.cli.errors import CliError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vztui`` console script; returns the exit code (see ``vztui.cli.exitcodes``)."""
    from vztui.cli.parser import build_parser
    from vztui.config import ConfigError

    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as stop:
        return int(stop.code) if isinstance(stop.code, int) else exitcodes.USAGE
    handler_name = "vztui.cli.show_config:run" if args.show_config else args.handler
    module_name, _, function = handler_name.partition(":")
    handler: Callable[..., int] = getattr(importlib.import_module(module_name), function)
    try:
        return handler(args)
    except ConfigError as error:
        for problem in error.problems:
            print(f"vztui: {problem}", file=sys.stderr)
        return exitcodes.USAGE
    except CliError as error:
        print(f"vztui: {error.message}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        print("vztui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `vztui ls | head`: the reader left; not an error worth a message.
        sys.stderr.close()
        return exitcodes.OK
    except Exception as error:
        if os.environ.get("VZTUI_DEBUG"):
            raise
        print(f"vztui: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        print("vztui: this is a bug; run again with VZTUI_DEBUG=1 for the traceback and report it", file=sys.stderr)
        return exitcodes.FAILED
