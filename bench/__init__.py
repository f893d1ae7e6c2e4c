"""Benchmarks: ``python -m bench [NAME ...] [--backend sqlite|postgresql|both] [--scale F]``.

Each module of this package that defines ``run(backends, scale) -> list[Result]`` is a benchmark.
Results print as one table: what was measured, on which backend, the figure and its target.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Result:
    benchmark: str
    backend: str
    figure: float
    unit: str
    target: float | None = None
    note: str = ""

    @property
    def ok(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.figure <= self.target else "OVER"
