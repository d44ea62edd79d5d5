"""``vztui-sim``: build simulated OpenVZ nodes and clusters, run their tools, and keep their /proc ticking.

vztui-sim init ROOT [--bare] [--cts N] [--seed S] [--hostname NAME]
vztui-sim run ROOT TOOL [ARGS...]
vztui-sim cluster DIR [--nodes N] [--cts M] [--seed S]
vztui-sim kernel DIR|ROOT [--interval SEC] [--once]
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from vztui.sim.node import HOST_FILE, SimNode
from vztui.sim.state import STATE_DIR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vztui-sim", description="A faithful OpenVZ (vzctl 4.11.1) simulator.")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create one simulated node")
    init.add_argument("root", type=Path)
    init.add_argument("--bare", action="store_true", help="vzctl 4.11.1 defaults, no containers")
    init.add_argument("--cts", type=int, default=None, help="number of containers (default 12; 0 with --bare)")
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--hostname", default=None)
    run = sub.add_parser("run", help="run one tool on a node: vztui-sim run ROOT vzlist -a")
    run.add_argument("root", type=Path)
    run.add_argument("tool")
    run.add_argument("args", nargs=argparse.REMAINDER)
    cluster = sub.add_parser("cluster", help="build a cluster of nodes hn1, hn2, ...")
    cluster.add_argument("directory", type=Path)
    cluster.add_argument("--nodes", type=int, default=3)
    cluster.add_argument("--cts", type=int, default=None, help="containers per node (default: the demo story)")
    cluster.add_argument("--seed", type=int, default=0)
    kernel = sub.add_parser("kernel", help="keep /proc of a node (or of every node of a cluster) current")
    kernel.add_argument("path", type=Path)
    kernel.add_argument("--interval", type=float, default=1.0)
    kernel.add_argument("--once", action="store_true", help="refresh once and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) >= 3 and args[0] == "run":
        # Fast path: tool argv must reach the tool untouched (``vzlist -h pattern`` is not argparse's -h).
        from vztui.sim.runner import run_tool

        return run_tool(Path(args[1]), args[2], args[3:])
    ns = build_parser().parse_args(args)
    if ns.command == "init":
        return _init(ns)
    if ns.command == "cluster":
        from vztui.sim.cluster import build_cluster

        started = time.monotonic()
        if ns.nodes < 1 or (ns.cts is not None and ns.cts < 0):
            print("vztui-sim: --nodes must be at least 1 and --cts not negative", file=sys.stderr)
            return 2
        try:
            cluster = build_cluster(ns.directory, nodes=ns.nodes, cts=ns.cts, seed=ns.seed)
        except FileExistsError as exc:
            print(f"vztui-sim: {exc.args[0]}", file=sys.stderr)
            return 1
        total = sum(len(SimNode(root).ctids()) - 1 for root in cluster.nodes.values())
        elapsed = time.monotonic() - started
        print(f"built {len(cluster.nodes)} nodes, {total} containers in {elapsed:.1f}s: {cluster.directory}")
        return 0
    if ns.command == "kernel":
        return _kernel(ns.path, ns.interval, once=ns.once)
    return 2


def _init(ns: argparse.Namespace) -> int:
    from vztui.sim.cluster import _host_for, _materialise, _plan
    from vztui.sim.provision import init_node

    root: Path = ns.root.resolve()
    if (root / STATE_DIR / HOST_FILE).exists():
        print(f"vztui-sim: {root} already holds a simulated node", file=sys.stderr)
        return 1
    count = 0 if ns.bare and ns.cts is None else (12 if ns.cts is None else ns.cts)
    now = time.time()
    host = _host_for(ns.hostname or root.name, 1, ns.seed, now, story=False)
    if ns.hostname:
        from dataclasses import replace

        host = replace(host, hostname=ns.hostname)
    node = init_node(root, host=host)
    if count:
        _materialise(node, [_plan(ns.seed, 1, 101 + i, story=False) for i in range(count)], now)
        node.refresh_proc(force=True)
    print(f"initialised {root} ({count} containers)")
    return 0


def node_roots(path: Path) -> list[Path]:
    """The node ROOTs under ``path``: the node itself, or every node of a cluster directory."""
    if (path / STATE_DIR / HOST_FILE).exists():
        return [path]
    return sorted(p for p in path.iterdir() if (p / STATE_DIR / HOST_FILE).exists()) if path.is_dir() else []


def _kernel(path: Path, interval: float, *, once: bool) -> int:
    roots = node_roots(path.resolve())
    if not roots:
        print(f"vztui-sim: no simulated node at {path}", file=sys.stderr)
        return 1
    stop = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    interval = max(0.1, interval)
    while True:
        started = time.monotonic()
        for root in roots:
            try:
                SimNode(root).refresh_proc(force=True)
            except Exception as exc:
                # One broken node (a hand-edited config, a vanished directory) must not stop the others' /proc.
                print(f"vztui-sim kernel: {root}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if once or stop:
            return 0
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
        if stop:
            return 0


if __name__ == "__main__":
    sys.exit(main())
