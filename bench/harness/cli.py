"""The command line of every benchmark: `--quick` and `--name`, then measure, print, write."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from harness.processes import stop_all, temp_dir
from harness.report import Row, print_table, write_results

Scale = TypeVar("Scale")


def run_benchmark(
    name: str,
    description: str,
    scales: tuple[Scale, Scale],
    measure: Callable[[Scale, Path], dict[str, Any]],
    rows: Callable[[dict[str, Any]], list[Row]],
) -> None:
    """Parse the common flags, run `measure` at the full or quick scale in a fresh work dir,
    stop every server it started, print its table and write bench/results/NAME-full.json
    (or NAME-quick.json)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small data, short runs: a smoke test")
    parser.add_argument("--name", help=f"results file: bench/results/NAME.json ({name}-full)")
    args = parser.parse_args()
    full, quick = scales
    scale = quick if args.quick else full
    with temp_dir(f"bench-{name}-") as work:
        try:
            results = measure(scale, work)
        finally:
            stop_all()
    table = rows(results)
    print_table(table)
    write_results(args.name or f"{name}-{'quick' if args.quick else 'full'}", scale, results, table)
