"""What ``vztui`` returns to the shell; documented in ``--help`` and README."""

from __future__ import annotations

OK = 0
"""Everything asked for was done (or shown)."""
FAILED = 1
"""An operation ran and failed (or was refused by the node), or a check failed."""
USAGE = 2
"""Bad command line or configuration: nothing was attempted."""
UNREACHABLE = 3
"""A node could not be reached (data from the reachable nodes is still printed)."""

EPILOG = """\
exit codes:
  0  ok
  1  an operation (or a check) failed
  2  usage or configuration error: nothing was attempted
  3  a node was unreachable (what could be read is still printed)
"""
