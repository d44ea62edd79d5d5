"""vztui's benchmark suite: every measure side by side with what an admin would otherwise use.

``python tests/benchmarks/run.py [--quick] [--json FILE] [--markdown] [--only NAME,…]``

Measures come from the ``measures_*.py`` modules beside this file: each lists ``MEASURES`` (``common.Measure``:
the names it produces and a function returning ``common.Result`` objects). Adding a group is adding a module; this
file only collects, runs and reports. Every name the suite promises (``EXPECTED``) appears in the table and the
JSON: measured, or "not measured: <why>" (module missing, tool missing, measure failed).

``--quick`` runs smaller sizes (under 2 minutes) and says so; its figures are not comparable with the goals' sizes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import Context, Measure, Result, not_measured

HERE = Path(__file__).resolve().parent

EXPECTED: dict[str, tuple[str, str]] = {
    "ssh_command_overhead": ("measures_backend", "ratio >= 30"),
    "bulk_set_200x10": ("measures_backend", "ratio >= 1.5"),
    "poll_round_trips": ("measures_backend", "= 1"),
    "tick_cpu_10k": ("measures_backend", "<= 50 ms"),
    "scaling": ("measures_backend", "linear"),
    "rss_10k": ("measures_backend", "<= 120 MB"),
    "ui_tick_10k": ("measures_ui", "<= 30 ms"),
    "key_latency_p95_10k": ("measures_ui", "<= 50 ms"),
    "cold_start_first_frame": ("measures_ui", "<= 0.5 s"),
    "terminal_bytes_idle": ("measures_ui", "= 0 B/s"),
    "terminal_bytes_active": ("measures_ui", "<= htop's"),
}
"""Every measure issue 10 names → (the module expected to provide it, its goal), for the not-measured reasons."""


def discover() -> tuple[list[tuple[str, Measure]], dict[str, str]]:
    """(module stem, Measure) for every ``measures_*.py`` here, and the modules that failed to import (→ why)."""
    found: list[tuple[str, Measure]] = []
    broken: dict[str, str] = {}
    for path in sorted(HERE.glob("measures_*.py")):
        stem = path.stem
        try:
            module = importlib.import_module(f"tests.benchmarks.{stem}")
            measures = module.MEASURES
        except Exception as exc:
            broken[stem] = f"{path.name} failed to import: {type(exc).__name__}: {exc}"
            continue
        found.extend((stem, measure) for measure in measures)
    return found, broken


def run_all(
    ctx: Context, measures: Sequence[tuple[str, Measure]], broken: dict[str, str], only: set[str]
) -> dict[str, Result]:
    results: dict[str, Result] = {}
    provided: set[str] = set()
    for stem, measure in measures:
        provided.update(measure.names)
        if only and not (only & set(measure.names)):
            continue
        missing = measure.missing()
        if missing:
            for name in measure.names:
                results[name] = not_measured(name, f"{', '.join(missing)} not installed")
            continue
        ctx.log(f"== {', '.join(measure.names)} ({stem}.py)")
        began = time.monotonic()
        try:
            produced = list(measure.run(ctx))
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            produced = [not_measured(name, f"{type(exc).__name__}: {exc}") for name in measure.names]
        for result in produced:
            kept = result
            if result.name in results and results[result.name].measured:
                kept = replace(result, note=f"{result.note} (also produced by an earlier module; this one kept)")
            results[result.name] = kept
        for name in measure.names:
            if name not in results:
                results[name] = not_measured(name, f"{stem}.py listed it but returned no result")
        ctx.log(f"   done in {time.monotonic() - began:.0f} s")
    for name, (stem, goal) in EXPECTED.items():
        if name in results or (only and name not in only):
            continue
        if stem in broken:
            why = broken[stem]
        elif not (HERE / f"{stem}.py").exists():
            why = f"tests/benchmarks/{stem}.py is not written yet"
        elif name not in provided:
            why = f"{stem}.py does not list it in MEASURES"
        else:
            why = "not run"
        results[name] = not_measured(name, why, goal)
    order = {name: index for index, name in enumerate(EXPECTED)}
    return dict(sorted(results.items(), key=lambda item: order.get(item[0], len(order))))


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}".removesuffix(".0")
    return f"{text} {unit}".strip()


def _met(result: Result) -> str:
    if result.met is None:
        return "-"
    return "yes" if result.met else "NO"


def rows(results: dict[str, Result]) -> list[tuple[str, ...]]:
    table = []
    for name, r in results.items():
        if not r.measured:
            table.append((name, "not measured", "-", "-", r.goal_text or EXPECTED.get(name, ("", ""))[1], "-"))
            continue
        ratio = f"{r.ratio:g}x" if r.ratio is not None else "-"
        table.append((name, _number(r.value, r.unit), _number(r.baseline, r.unit), ratio, r.goal_text, _met(r)))
    return table


HEADER = ("measure", "vztui", "baseline", "ratio", "goal", "met?")


def print_table(results: dict[str, Result], *, markdown: bool) -> None:
    table = [HEADER, *rows(results)]
    if markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "|".join("---" for _ in HEADER) + "|")
        for row in table[1:]:
            print("| " + " | ".join(f"`{row[0]}`" if i == 0 else cell for i, cell in enumerate(row)) + " |")
    else:
        widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
        for index, row in enumerate(table):
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                print("  ".join("-" * width for width in widths))
    print()
    for name, r in results.items():
        if r.note:
            print(f"{'- ' if markdown else ''}{name}: {r.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 2 minutes (says so in the output)")
    parser.add_argument("--json", type=Path, help='write {"measures": {NAME: {...}}} to FILE')
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    parser.add_argument("--only", default="", help="comma-separated measure names (their whole group runs)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.quick:
        log("QUICK RUN: smaller sizes than the goals name (see each note); use the full run for real figures")
    began = time.monotonic()
    measures, broken = discover()
    with tempfile.TemporaryDirectory(prefix="vztui-bench-") as scratch:
        ctx = Context(quick=args.quick, scratch=Path(scratch), log=log)
        results = run_all(ctx, measures, broken, only)
    elapsed = time.monotonic() - began
    title = "vztui benchmarks" + (" (QUICK: smaller sizes, not the goals' sizes)" if args.quick else "")
    print(f"{title}, {elapsed:.0f} s\n")
    print_table(results, markdown=args.markdown)
    if args.json:
        payload = {
            "quick": args.quick,
            "seconds": round(elapsed, 1),
            "measures": {name: r.to_json() for name, r in results.items()},
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    failed = [name for name, r in results.items() if not r.measured and "not written yet" not in r.note]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
