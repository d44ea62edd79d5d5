"""The engine's measures for ``run.py``: SSH per-command overhead, bulk operations through the queue, round trips
per tick, tick CPU at 10k CTs, how tick CPU scales, and the engine's resident memory at 10k CTs (plus the
simulator's own ``vzlist`` speed, which every simulated measure stands on).

Each function reuses the standalone script that measures the same thing (``ssh_overhead.py``, ``bulk_set.py``,
``round_trips.py``, ``tick_cpu.py``, ``rss_engine.py``), with smaller sizes under ``--quick``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tests.benchmarks.common import Context, Measure, Result, not_measured


def ssh_command_overhead(ctx: Context) -> Sequence[Result]:
    from tests.benchmarks import ssh_overhead

    return [ssh_overhead.measure(quick=ctx.quick)]


def bulk_set(ctx: Context) -> Sequence[Result]:
    from tests.benchmarks import bulk_set as script

    nodes, ops = (3, 30) if ctx.quick else (10, 200)
    row = script.measure(ctx.directory("bulk_set"), nodes=nodes, ops=ops)
    if ctx.quick:
        row = _quick(row, f"{ops} sets over {nodes} nodes")
    return [row]


def poll_round_trips(ctx: Context) -> Sequence[Result]:
    from tests.benchmarks import round_trips

    nodes, seconds = (2, 4.0) if ctx.quick else (3, 8.0)
    return [round_trips.measure(ctx.directory("round_trips"), nodes=nodes, seconds=seconds)]


def tick_scaling_rss(ctx: Context) -> Sequence[Result]:
    """One simulated cluster (200-CT nodes) serves three measures: tick CPU at 10k, scaling up to 20k, and RSS."""
    from tests.benchmarks import rss_engine, sim_scale, tick_cpu

    if ctx.quick:
        sizes, tick_nodes, rounds, rss_ticks = (200, 600, 1000), 5, 3, rss_engine.HISTORY_TICKS
    else:
        sizes, tick_nodes, rounds, rss_ticks = (1000, 5000, 10_000, 20_000), 50, 5, rss_engine.HISTORY_TICKS
    nodes = max(sizes) // tick_cpu.CTS_PER_NODE
    roots, built = tick_cpu.build_sim(ctx.directory("tick") / "sim", nodes)
    ctx.log(f"  built {nodes} simulated nodes ({nodes * tick_cpu.CTS_PER_NODE} CTs) in {built:.0f} s; capturing polls")
    captured = tick_cpu.capture_cluster(roots)
    names = list(captured)[:tick_nodes]
    subset = {name: captured[name] for name in names}
    results: list[Result] = []
    results.append(_guard("tick_cpu_10k", lambda: tick_cpu.tick_result(subset, rounds=rounds, quick=ctx.quick)))
    results.append(_guard("scaling", lambda: tick_cpu.scaling_result(captured, sizes, rounds=3, quick=ctx.quick)))

    def rss() -> Result:
        replay = ctx.directory("tick") / "replay"
        rss_engine.save_replay(replay, {name: roots[name] for name in names}, subset)
        return rss_engine.measure_engine_rss(replay, ticks=rss_ticks, quick=ctx.quick)

    results.append(_guard("rss_10k", rss))
    first = next(iter(roots.values()))
    results.append(_guard("sim_vzlist_200", lambda: sim_scale.vzlist_result(first / "bin", tick_cpu.CTS_PER_NODE)))
    return results


def _guard(name: str, produce: Callable[[], Result]) -> Result:
    """One failing measure of a group is reported as not measured; the others still count."""
    try:
        return produce()
    except Exception as exc:
        return not_measured(name, f"{type(exc).__name__}: {exc}")


def _quick(row: Result, sizes: str) -> Result:
    from dataclasses import replace

    return replace(row, note=f"QUICK ({sizes}): {row.note}")


MEASURES: list[Measure] = [
    Measure(("ssh_command_overhead",), ssh_command_overhead, needs=("sshd", "ssh")),
    Measure(("bulk_set_200x10",), bulk_set, needs=("sshd", "ssh", "xargs")),
    Measure(("poll_round_trips",), poll_round_trips, needs=("sshd",)),
    Measure(("tick_cpu_10k", "scaling", "rss_10k", "sim_vzlist_200"), tick_scaling_rss),
]
