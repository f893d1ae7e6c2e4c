"""Run the benchmarks and print a table (see bench/__init__.py)."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

import bench
from bench import Result


def discover() -> dict[str, object]:
    found = {}
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


def print_table(results: list[Result]) -> None:
    headers = ("benchmark", "backend", "figure", "unit", "target", "ok", "note")
    rows = [(r.benchmark, r.backend, f"{r.figure:,.3f}", r.unit, "" if r.target is None else f"{r.target:,g}",
             r.ok, r.note) for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def main(argv: list[str] | None = None) -> int:
    modules = discover()
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*",
                        help=f"benchmarks to run (default: all): {', '.join(modules)}")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the full data size (1.0 = the sizes the targets are set for)")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    unknown = [n for n in args.names if n not in modules]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(modules)}")
    results: list[Result] = []
    started = time.perf_counter()
    for name in args.names or list(modules):
        print(f"… {name}", file=sys.stderr, flush=True)
        results.extend(modules[name].run(backends, args.scale))
    print_table(results)
    print(f"\n{len(results)} figures in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
