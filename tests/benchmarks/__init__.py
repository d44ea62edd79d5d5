"""Benchmark scripts (not collected by pytest): ``python tests/benchmarks/run.py [--quick] [--json FILE]``."""
