"""Run one benchmark by name, or every benchmark: ``python -m benchmarks [name] [options]``."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["lab_density", "discovery", "audit", "rotation"]


def main() -> None:
    names = BENCHMARKS
    arguments: list[str] = []
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        names, arguments = [sys.argv[1]], sys.argv[2:]
    for name in names:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        importlib.import_module(f"benchmarks.{name}").main(arguments)


main()
