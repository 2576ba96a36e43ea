"""What `make bench` runs: every ``benchmarks/bench_<area>.py`` with a ``run() -> dict`` of figures.

Each area's figures are written to ``.bench/<area>.json`` and printed as one table. A benchmark
reports what it measured, misses included: goals are printed beside the figures, never asserted.
"""
