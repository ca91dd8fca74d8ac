"""The table every benchmark prints (figure, baseline beside it, ratio, target, verdict) and
the JSON file of its results."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import psutil

from harness.paths import REPO, RESULTS


@dataclass(frozen=True, slots=True)
class Row:
    what: str
    measured: str
    beside: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # "ok", "MISS", "ERRORS (n)" or "" when there is no target


def verdict(ok: bool, errors: int = 0) -> str:
    if errors:
        return f"ERRORS ({errors})"
    return "ok" if ok else "MISS"


def ms(value: float) -> str:
    return f"{value:.2f} ms"


def print_table(table: Sequence[Row]) -> None:
    header = Row("what", "measured", "beside it (same run)", "ratio", "target", "")
    widths = [max(len(getattr(r, f)) for r in [header, *table]) for f in Row.__slots__]
    print()
    for row in [header, *table]:
        cells = [getattr(row, f).ljust(w) for f, w in zip(Row.__slots__, widths, strict=True)]
        print("  ".join(cells).rstrip())
    print()


def machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty_paths": len(git("status", "--porcelain", "--untracked-files=no").splitlines()),
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_results(name: str, scale: Any, results: dict[str, Any], table: Sequence[Row]) -> None:
    """bench/results/NAME.json: the scale, the machine, the table and every figure."""
    RESULTS.mkdir(exist_ok=True)
    document = {
        "scale": asdict(scale) if dataclasses.is_dataclass(scale) else scale,
        "machine": machine(),
        "table": [asdict(r) for r in table],
        **results,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results: {path}")
