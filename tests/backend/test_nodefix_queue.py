"""The node fix as queue operations on a real directory tree (the local transport with a root prefix): planned from
the node's own vz.conf and directories, run as one plan through the queue; a read-only session or node refuses the
whole plan before the transport sees anything, even when a request claims not to mutate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.backend.engine_helpers import CountingTransport, local_spec, wait_finished
from vztui.backend.journal import Journal
from vztui.backend.nodefix import plan_node_fix
from vztui.backend.operation import OpState, ReadOnlyError
from vztui.backend.queue import OperationQueue
from vztui.backend.readonly import refusal_reason
from vztui.openvz.nodefix import current_value

VZCONF = (
    "LOCKDIR=/vz/lock\nDUMPDIR=/vz/dump\nTEMPLATE=/vz/template\nVE_ROOT=/srv/root/$VEID\nVE_PRIVATE=/vz/private/$VEID\n"
)


def _node(tmp_path: Path) -> Path:
    root = tmp_path / "hn3"
    (root / "etc/vz").mkdir(parents=True)
    (root / "etc/vz/vz.conf").write_text(VZCONF)
    for directory in ("vz/lock", "vz/private", "srv/root", "vz/template"):
        (root / directory).mkdir(parents=True)
    (root / "vz/dump").write_text("a file where a directory belongs")
    return root


async def test_the_plan_rewrites_vzconf_then_creates_what_is_missing(tmp_path: Path) -> None:
    root = _node(tmp_path)
    spec = local_spec("hn3", root_prefix=str(root))
    transport = CountingTransport(spec)
    plan = await plan_node_fix(
        "hn3", transport.read_file, transport.run, root_prefix=str(root), wanted={"VE_ROOT": "/vz/root/$VEID"}
    )
    assert [(c.key, c.old, c.new) for c in plan.changes] == [("VE_ROOT", "/srv/root/$VEID", "/vz/root/$VEID")]
    # /vz/root (the new VE_ROOT's parent) and the template cache are missing; /vz/dump is a file, not a directory
    assert plan.missing_dirs == ("/vz/root", "/vz/template/cache", "/vz/dump")
    assert [request.argv[0] for request in plan.requests] == ["sh", "mkdir"]
    assert all(request.ctids == () and request.mutating for request in plan.requests)

    journal = Journal(tmp_path / "journal")
    journal.open()
    queue = OperationQueue({"hn3": spec}, transport_for=lambda _node: transport, journal=journal)
    try:
        ops = queue.submit_plan(plan.requests)
        await wait_finished(ops)
    finally:
        await queue.close()
        await journal.close()
    assert ops[0].state is OpState.SUCCEEDED, ops[0].reason
    text = (root / "etc/vz/vz.conf").read_text()
    assert current_value(text, "VE_ROOT") == "/vz/root/$VEID"
    assert (root / "etc/vz/vz.conf.vztui-bak").read_text() == VZCONF
    assert ops[1].state is OpState.FAILED, "mkdir -p cannot replace the file at /vz/dump"
    assert (root / "vz/root").is_dir() and (root / "vz/template/cache").is_dir()


@pytest.mark.parametrize(("session_ro", "node_ro"), [(True, False), (False, True)])
async def test_read_only_refuses_the_fix_before_the_transport_sees_it(
    tmp_path: Path, session_ro: bool, node_ro: bool
) -> None:
    root = _node(tmp_path)
    spec = local_spec("hn3", root_prefix=str(root), read_only=node_ro)
    transport = CountingTransport(spec)
    plan = await plan_node_fix(
        "hn3", transport.read_file, transport.run, root_prefix=str(root), wanted={"VE_ROOT": "/vz/root/$VEID"}
    )
    seen = len(transport.calls)
    journal = Journal(tmp_path / "journal")
    journal.open()
    queue = OperationQueue({"hn3": spec}, transport_for=lambda _node: transport, journal=journal, read_only=session_ro)
    try:
        with pytest.raises(ReadOnlyError, match="can change the node"):
            queue.submit_plan(plan.requests)
        for request in plan.requests:  # a mislabelled request is judged by its argv, not its flag
            assert refusal_reason(replace(request, mutating=False), session_read_only=True, node_read_only=False)
    finally:
        await queue.close()
        await journal.close()
    assert len(transport.calls) == seen
    assert (root / "etc/vz/vz.conf").read_text() == VZCONF
    assert queue.operations() == []
