"""After a crash: ask each node what really became of the CTs that interrupted operations touched.

Reconciling means reading (``vzctl status CTID``) and recording the answer in the journal beside the interrupted
operation. Nothing is ever re-run: the admin sees "interrupted; CT 101 is now running" and decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from vztui.backend.journal import Journal, JournalEntry, Reconciliation
from vztui.backend.transport import Transport, TransportError
from vztui.openvz.errors import ParseError

log = logging.getLogger(__name__)


async def read_ct_status(transport: Transport, ctid: int, *, timeout: float = 30.0) -> Reconciliation:
    """``vzctl status CTID`` on the node, as a Reconciliation (status empty when it could not be read)."""
    from vztui.openvz.commands import vzctl_status
    from vztui.openvz.parsers import parse_vzctl_status

    try:
        result = await transport.run(vzctl_status(ctid), timeout=timeout)
    except TransportError as exc:
        return Reconciliation(ctid, "", f"could not ask {transport.node}: {exc.message}")
    line = result.stdout_text.strip()
    if not result.ok:
        detail = result.stderr_text.strip() or line
        return Reconciliation(ctid, "", f"vzctl status exit {result.exit_code}: {detail}")
    try:
        status = parse_vzctl_status(line)
    except ParseError as exc:
        return Reconciliation(ctid, "", f"unreadable vzctl status output: {exc}")
    return Reconciliation(ctid, status.status.value if status.exists else "deleted", line)


async def reconcile(
    journal: Journal,
    entries: Sequence[JournalEntry],
    transport_for: Callable[[str], Transport | None],
) -> dict[str, tuple[Reconciliation, ...]]:
    """Re-read the CTs of every interrupted entry and journal what was found; op id → findings."""
    found: dict[str, tuple[Reconciliation, ...]] = {}
    for entry in entries:
        transport = transport_for(entry.node)
        results: list[Reconciliation] = []
        for ctid in entry.ctids:
            if transport is None:
                result = Reconciliation(ctid, "", f"node {entry.node} is no longer configured")
            else:
                result = await read_ct_status(transport, ctid)
            journal.reconciled(entry.op_id, entry.node, result)
            results.append(result)
            if not result.ok:
                log.warning("could not reconcile %s CT %s: %s", entry.node, ctid, result.line)
        found[entry.op_id] = tuple(results)
    return found


def describe(findings: Sequence[Reconciliation]) -> str:
    """``CT 101 is now running; CT 102: could not ask hn2: …`` for an operation's reason."""
    parts = []
    for item in findings:
        parts.append(f"CT {item.ctid} is now {item.status}" if item.ok else f"CT {item.ctid}: {item.line}")
    return "; ".join(parts)
