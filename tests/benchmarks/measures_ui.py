"""The dashboard's measures for ``run.py``: UI cost per tick and key → paint latency at 10k rows, first frame of
``vztui --demo`` in a real pty, and bytes per second written to the terminal idle and with 20 cells changing.

Two ways of driving the real ``VztuiApp`` (see each module's docstring for the method):

* in process (``ui_inproc``): a driver that renders every frame to escape sequences, timed on the event loop;
* in a real pty (``ui_pty``, ``ui_terminal``): ``vztui --demo`` itself, or the app over the benchmark engine
  (``ui_child``, ``ui_engine``) where exactly which cells change is under control; ``htop`` is the baseline there.

Full runs add key latency with vztui's real engine replaying polls captured from simulated nodes (``ui_child``
replay mode, E's ``rss_engine.ReplayTransport``) and the whole real app's RSS with 10k CTs.
``--quick`` uses 2,000 rows (10 nodes) and shorter windows, skips the replay, and says so in each note.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence

from tests.benchmarks.common import Context, Measure, Result, not_measured

TICK_GOAL_MS = 30.0
KEY_GOAL_MS = 50.0
FIRST_FRAME_GOAL_S = 0.5
RSS_GOAL_MB = 120.0
TABLE_SIZE = (200, 60)
"""Terminal of the in-process measures: a large one (more rows on screen, more to paint per tick)."""
KEYS_SIZE = (160, 50)
PTY_SIZE = (120, 40)
"""Terminal of cold start and bytes/s, for vztui and htop alike."""


def _load() -> float:
    """The machine's 1-minute load average (the figures are wall-clock on a shared machine)."""
    return round(os.getloadavg()[0], 2)


def _sizes(ctx: Context) -> tuple[int, int, str]:
    """(nodes, CTs per node, note prefix)."""
    return (10, 200, "QUICK (2,000 CTs on 10 nodes): ") if ctx.quick else (50, 200, "")


def ui_tick(ctx: Context) -> Sequence[Result]:
    from tests.benchmarks.ui_inproc import tick_figures

    nodes, per_node, quick = _sizes(ctx)
    ticks = 4 if ctx.quick else 10
    main = tick_figures(nodes=nodes, per_node=per_node, share=0.05, ticks=ticks, size=TABLE_SIZE)
    detail: dict[str, object] = {
        "cts": main.cts,
        "nodes": nodes,
        "columns": main.columns,
        "changed_cts_per_tick": main.changed_cts,
        "changed_cells_per_tick": main.cells,
        "terminal": f"{TABLE_SIZE[0]}x{TABLE_SIZE[1]}",
        "cpu_ms": [round(x, 1) for x in main.cpu_ms],
        "wall_ms": [round(x, 1) for x in main.wall_ms],
        "on_delta_ms": [round(x, 1) for x in main.apply_ms],
        "frames_per_tick": main.frames,
        "terminal_bytes_per_tick": round(main.bytes_per_tick),
        "first_frame_in_process_s": round(main.first_frame_s, 3),
        "loadavg_1m": _load(),
        "quick": ctx.quick,
    }
    if not ctx.quick:
        rows = tick_figures(nodes=nodes, per_node=per_node, share=0.05 * 3 / 16, ticks=5, size=TABLE_SIZE)
        detail["five_percent_of_rows_cpu_ms"] = round(rows.cpu, 1)
        by_cpu = tick_figures(nodes=nodes, per_node=per_node, share=0.05, ticks=5, size=TABLE_SIZE, sort="cpu")
        detail["sorted_by_cpu_cpu_ms"] = round(by_cpu.cpu, 1)
    value = main.cpu
    return [
        Result(
            "ui_tick_10k",
            round(value, 1),
            "ms CPU/tick",
            f"<= {TICK_GOAL_MS:g} ms",
            TICK_GOAL_MS,
            value <= TICK_GOAL_MS,
            note=(
                f"{quick}median of {len(main.cpu_ms)} ticks, {main.cells} of {main.cts * main.columns} cells "
                f"(5 %) changing on {main.changed_cts} CTs; event-loop CPU from the first on_delta to the end of the "
                f"last frame written (ANSI included), {TABLE_SIZE[0]}x{TABLE_SIZE[1]}; wall median "
                f"{statistics.median(main.wall_ms):.0f} ms (includes Textual's 1/60 s frame pacing)"
            ),
            detail=detail,
        )
    ]


def key_latency(ctx: Context) -> Sequence[Result]:
    from tests.benchmarks import ui_terminal
    from tests.benchmarks.ui_inproc import key_figures

    nodes, per_node, quick = _sizes(ctx)
    seconds = 6.0 if ctx.quick else 60.0
    keys = ui_terminal.key_latency(
        size=KEYS_SIZE, nodes=nodes, per_node=per_node, seconds=seconds, scratch=ctx.directory("keys")
    )
    if not keys.latencies_ms:
        return [not_measured("key_latency_p95_10k", "no key was attributed to a painted frame")]
    inproc = key_figures(nodes=nodes, per_node=per_node, share=0.05, seconds=seconds / 2, size=KEYS_SIZE)
    htop: list[float] = []
    if ui_terminal.HTOP:
        htop = ui_terminal.htop_key_latency(size=KEYS_SIZE, seconds=seconds / 2, scratch=ctx.directory("keys"))
    htop_p95 = _percentile(htop, 95) if htop else None
    real = {} if ctx.quick else _real_engine_keys(ctx, nodes, seconds / 2)
    p95 = keys.percentile(95)
    return [
        Result(
            "key_latency_p95_10k",
            round(p95, 1),
            "ms p95",
            f"<= {KEY_GOAL_MS:g} ms",
            KEY_GOAL_MS,
            p95 <= KEY_GOAL_MS,
            baseline=round(htop_p95, 1) if htop_p95 is not None else None,
            ratio=round(htop_p95 / p95, 2) if htop_p95 else None,
            note=(
                f"{quick}real pty {KEYS_SIZE[0]}x{KEYS_SIZE[1]}: {len(keys.latencies_ms)} cursor-down keys at random "
                f"moments over {seconds:g} s while 5 % of cells change every 2 s ({keys.ticks} ticks); key written → "
                f"end of the frame showing the moved cursor read back; median {keys.percentile(50):.1f} ms, max "
                f"{max(keys.latencies_ms):.1f} ms; in-process p95 {inproc.percentile(95):.1f} ms; baseline htop's p95 "
                f"for the same keys in the same pty (to its next write){_real_note(real)}"
            ),
            detail={
                "p50_ms": round(keys.percentile(50), 1),
                "p99_ms": round(keys.percentile(99), 1),
                "max_ms": round(max(keys.latencies_ms), 1),
                "keys": len(keys.latencies_ms),
                "ticks": keys.ticks,
                "app_rss_mb_table_full": round(keys.rss_mb, 1) if keys.rss_mb is not None else None,
                "inproc_p50_ms": round(inproc.percentile(50), 1),
                "inproc_p95_ms": round(inproc.percentile(95), 1),
                "inproc_keys": len(inproc.latencies_ms),
                "htop_p50_ms": round(_percentile(htop, 50), 1) if htop else None,
                "htop_keys": len(htop),
                **real,
                "cts": nodes * per_node,
                "loadavg_1m": _load(),
                "quick": ctx.quick,
            },
        )
    ]


def _real_engine_keys(ctx: Context, nodes: int, seconds: float) -> dict[str, object]:
    """The same keys while vztui's real engine (pollers, parsing in threads, deltas, history) replays polls captured
    from ``nodes`` simulated 200-CT nodes, every running CT changing every tick (E's ``rss_engine`` replay: the
    engine's worst case, far above 5 %); also the whole real app's RSS. Full runs only (the capture takes minutes).
    """
    from tests.benchmarks import rss_engine, tick_cpu, ui_terminal

    directory = ctx.directory("keys_real")
    try:
        began = time.monotonic()
        roots, _ = tick_cpu.build_sim(directory / "sim", nodes)
        captured = tick_cpu.capture_cluster(roots)
        rss_engine.save_replay(directory / "replay", roots, captured)
        ctx.log(f"  captured {nodes} simulated nodes for the real-engine replay in {time.monotonic() - began:.0f} s")
        keys = ui_terminal.key_latency(
            size=KEYS_SIZE, nodes=0, per_node=0, seconds=seconds, scratch=directory, replay=directory / "replay"
        )
    except Exception as exc:
        return {"real_engine_error": f"{type(exc).__name__}: {exc}"}
    if not keys.latencies_ms:
        return {"real_engine_error": "no key was attributed to a painted frame"}
    return {
        "real_engine_p50_ms": round(keys.percentile(50), 1),
        "real_engine_p95_ms": round(keys.percentile(95), 1),
        "real_engine_keys": len(keys.latencies_ms),
        "real_engine_full_table_s": _round(keys.full_table_s, 2),
        "real_app_rss_mb_table_full": _round(keys.rss_mb, 1),
        "real_app_rss_mb_peak_sample": _round(keys.peak_rss_mb, 1),
        "real_engine_seconds": seconds,
    }


def _real_note(real: dict[str, object]) -> str:
    if "real_engine_p95_ms" in real:
        return (
            f"; with vztui's real engine replaying captured polls (every running CT changing every tick) p95 "
            f"{real['real_engine_p95_ms']} ms, whole app RSS {real['real_app_rss_mb_table_full']} MB, table full"
        )
    return f"; real-engine replay: {real['real_engine_error']}" if real else ""


def cold_start(ctx: Context) -> Sequence[Result]:
    from tests.benchmarks import ui_terminal

    scratch = ctx.directory("cold")
    build = ui_terminal.prepare_demo(scratch)
    runs = 3 if ctx.quick else 7
    ui_terminal.launch_demo(scratch, size=PTY_SIZE, wait=30)  # warm-up: bytecode compiled and cached
    launches = [ui_terminal.launch_demo(scratch, size=PTY_SIZE) for _ in range(runs)]
    firsts = [run.first_frame for run in launches if run.first_frame is not None]
    if not firsts:
        return [not_measured("cold_start_first_frame", "vztui --demo painted no frame in 8 s")]
    value = statistics.median(firsts)
    tables = [run.marker_at for run in launches if run.marker_at is not None]
    floor = statistics.median(ui_terminal.python_pass(PTY_SIZE, scratch) for _ in range(runs))
    ui_terminal.textual_first_frame(PTY_SIZE, scratch)
    baseline_runs = 2 if ctx.quick else runs
    hello = [ui_terminal.textual_first_frame(PTY_SIZE, scratch) for _ in range(baseline_runs)]
    htop = None
    if ui_terminal.HTOP:
        found = [ui_terminal.htop_first_frame(PTY_SIZE, scratch) for _ in range(baseline_runs)]
        htop = statistics.median([x for x in found if x is not None]) if any(found) else None
    detail: dict[str, object] = {
        "runs_s": [round(x, 3) for x in firsts],
        "table_header_s": _median(tables),
        "alt_screen_s": _median([r.alt_screen for r in launches if r.alt_screen is not None]),
        "python_pass_s": round(floor, 3),
        "textual_hello_first_frame_s": _median([x for x in hello if x is not None]),
        "htop_first_frame_s": round(htop, 3) if htop is not None else None,
        "demo_build_s": round(build, 1),
        "loadavg_1m": _load(),
        "quick": ctx.quick,
    }
    nodes, per_node, quick = _sizes(ctx)
    child = ui_terminal.child_launch(size=PTY_SIZE, nodes=nodes, per_node=per_node, scratch=scratch)
    detail.update(
        {
            "bench_engine_cts": nodes * per_node,
            "bench_engine_first_frame_s": _round(child.first_frame, 3),
            "bench_engine_full_table_s": _round(child.full_table, 3),
            "bench_engine_full_table_after_app_start_s": _round(child.full_table_after_app_start, 3),
            "app_rss_mb_table_full": _round(child.rss_mb, 1),
            "snapshots_only_rss_mb": _round(child.data_rss_mb, 1),
        }
    )
    return [
        Result(
            "cold_start_first_frame",
            round(value, 3),
            "s",
            f"<= {FIRST_FRAME_GOAL_S:g} s",
            FIRST_FRAME_GOAL_S,
            value <= FIRST_FRAME_GOAL_S,
            baseline=round(htop, 3) if htop is not None else None,
            ratio=round(htop / value, 2) if htop else None,
            note=(
                f"median of {len(firsts)} launches of `vztui --demo` (3 nodes, built beforehand) in a real pty "
                f"{PTY_SIZE[0]}x{PTY_SIZE[1]}: launch → end of the first write after the alternate screen that shows "
                f"the cluster's name; baseline htop's first frame (ratio = htop / vztui); `python -c pass` on the "
                f"same pty {floor:.3f} s, a one-widget Textual app {detail['textual_hello_first_frame_s']} s; "
                f"alternate screen entered at {detail['alt_screen_s']} s; after one warm-up launch (bytecode cached); "
                f"{quick}the app over the benchmark engine: full {nodes * per_node}-row table "
                f"{detail['bench_engine_full_table_after_app_start_s']} s after importing and building the app, RSS "
                f"{detail['app_rss_mb_table_full']} MB"
            ),
            detail=detail,
        )
    ]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def terminal_bytes(ctx: Context) -> Sequence[Result]:
    from tests.benchmarks import ui_terminal

    nodes, per_node, quick = _sizes(ctx)
    scratch = ctx.directory("bytes")
    warmup, window = (1.5, 5.0) if ctx.quick else (4.5, 30.0)
    idle, active = (
        ui_terminal.child_bytes(
            mode, size=PTY_SIZE, nodes=nodes, per_node=per_node, warmup=warmup, window=window, scratch=scratch
        )
        for mode in ("idle", "active")
    )
    htop = None
    if ui_terminal.HTOP:
        htop = ui_terminal.htop_bytes(size=PTY_SIZE, warmup=warmup, window=window, scratch=scratch)
    cells = [entry["cells"] for entry in active.log if "cells" in entry]
    where = f"real pty {PTY_SIZE[0]}x{PTY_SIZE[1]}, {window:g} s window after the table was full"
    base = htop.per_second if htop is not None else None
    idle_row = Result(
        "terminal_bytes_idle",
        round(idle.per_second, 1),
        "B/s",
        "= 0 B/s",
        0.0,
        idle.per_second == 0,
        baseline=round(base, 1) if base is not None else None,
        note=(
            f"{quick}the app over the benchmark engine, every node ticking every 2 s with nothing changed; {where}; "
            f"{idle.total} bytes; baseline htop (same pty, same window)"
        ),
        detail={"bytes": idle.total, "window_s": round(idle.window, 1), "loadavg_1m": _load(), "quick": ctx.quick},
    )
    if base is None:
        active_row = Result(
            "terminal_bytes_active",
            round(active.per_second, 1),
            "B/s",
            "<= htop's",
            None,
            None,
            note=f"{quick}htop is not installed, so the goal (htop's bytes/s) could not be measured; {where}",
        )
    else:
        active_row = Result(
            "terminal_bytes_active",
            round(active.per_second, 1),
            "B/s",
            "<= htop's",
            round(base, 1),
            active.per_second <= base,
            baseline=round(base, 1),
            ratio=round(base / active.per_second, 2) if active.per_second else None,
            note=(
                f"{quick}the app over the benchmark engine, CPU % and Procs of 10 on-screen CTs changing every 2 s "
                f"(cells per tick: {sorted(set(cells))}); {where}; baseline htop (same pty, same window); ratio = "
                f"htop / vztui"
            ),
            detail={
                "bytes": active.total,
                "htop_bytes": htop.total if htop is not None else None,
                "window_s": round(active.window, 1),
                "quick": ctx.quick,
            },
        )
    return [idle_row, active_row]


MEASURES: list[Measure] = [
    Measure(("ui_tick_10k",), ui_tick),
    Measure(("cold_start_first_frame",), cold_start),
    Measure(("terminal_bytes_idle", "terminal_bytes_active"), terminal_bytes),
    Measure(("key_latency_p95_10k",), key_latency),
]
