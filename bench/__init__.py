"""Benchmarks: each module has ``run(args) -> None`` and prints its figures beside a reference tool."""
