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
    _configure_logging(to_file=handler_name == "vztui.cli.dashboard:run")
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


def _configure_logging(*, to_file: bool) -> None:
    """Scripts get the backend's warnings on stderr as ``vztui: …``; the dashboard logs to a file instead, because
    a stray line on the terminal would tear through the screen. ``VZTUI_DEBUG=1`` turns on debug output.
    """
    import logging

    level = logging.DEBUG if os.environ.get("VZTUI_DEBUG") else logging.WARNING
    if to_file:
        from vztui.config import default_state_dir

        directory = default_state_dir()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.FileHandler(directory / "vztui.log", encoding="utf-8")
        except OSError:
            handler = logging.NullHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("vztui: %(message)s"))
    root = logging.getLogger("vztui")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
