"""wrk (Debian's 4.1) with Lua scripts, its output parsed, the server's CPU metered around it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.figures import log, median, quiet_rounds
from harness.meters import CpuMeter, wait_for_quiet
from harness.paths import BENCH
from harness.processes import Server

WRK = shutil.which("wrk") or "wrk"
RANDOM_KEY = BENCH / "lua" / "random_key.lua"
GET_MANY = BENCH / "lua" / "get_many.lua"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_us: float = 0.0
    client_cpu_us: float = 0.0
    others_cpu_pct: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "errors": self.errors,
            "server_cpu_us_per_request": round(self.server_cpu_us, 1),
            "wrk_cpu_us_per_request": round(self.client_cpu_us, 1),
            "others_cpu_pct": round(self.others_cpu_pct, 1),
        }


def _latency_ms(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {label}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if done is None or rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{text}")
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if sockets:
        errors += sum(int(g) for g in sockets.groups())
    return WrkResult(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * _UNITS[done.group(3)] / 1e3,
        rps=float(rps.group(1)),
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
        errors=errors,
    )


def run_wrk(
    url: str,
    script: Path,
    args: Sequence[str],
    *,
    duration_s: float,
    server: Server | None = None,
    threads: int = 2,
    connections: int = 32,
) -> WrkResult:
    """wrk against `url` (scheme, host and port); with `server`, its CPU time per request."""
    command = [
        WRK, f"-t{threads}", f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",  # wrk takes whole seconds
        "--timeout", "5s", "--latency", "-s", str(script), url, "--", *args,
    ]  # fmt: skip
    with CpuMeter(server) as cpu:
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}")
    result = parse_wrk(done.stdout)
    requests = max(result.requests, 1)
    result.server_cpu_us = cpu.server_s / requests * 1e6
    result.client_cpu_us = cpu.children_s / requests * 1e6
    result.others_cpu_pct = cpu.others_pct
    return result


def summarize(all_runs: Sequence[WrkResult], rounds: Sequence[int]) -> dict[str, Any]:
    """Medians over the runs of `rounds`, and every run."""
    runs = [all_runs[i] for i in rounds]
    return {
        "rounds_quoted": len(runs),
        "rps": round(median([r.rps for r in runs]), 1),
        "p50_ms": round(median([r.p50_ms for r in runs]), 3),
        "p99_ms": round(median([r.p99_ms for r in runs]), 3),
        "server_cpu_us_per_request": round(median([r.server_cpu_us for r in runs]), 1),
        "others_cpu_pct": round(median([r.others_cpu_pct for r in runs]), 1),
        "errors": sum(r.errors for r in all_runs),
        "runs": [r.as_dict() for r in all_runs],
    }


@dataclass
class Rounds:
    """Interleaved wrk runs of several kinds: every run, the quiet rounds, each kind's medians."""

    runs: dict[str, list[WrkResult]]
    rounds: list[int]
    figures: dict[str, dict[str, Any]]

    def ratio(self, a: str, b: str) -> dict[str, Any]:
        """Kind `a` against kind `b`: throughput ratios, and b's CPU per request over a's."""
        a_runs, b_runs = self.runs[a], self.runs[b]
        a_cpu = self.figures[a]["server_cpu_us_per_request"]
        b_cpu = self.figures[b]["server_cpu_us_per_request"]
        return {
            "rps": round(self.figures[a]["rps"] / self.figures[b]["rps"], 3),
            "rps_by_round": [round(a_runs[i].rps / b_runs[i].rps, 3) for i in self.rounds],
            # Each round's pair shares that moment's noise: the median of their ratios.
            "rps_median_of_rounds": round(
                median([a_runs[i].rps / b_runs[i].rps for i in self.rounds]), 3
            ),
            "cpu_per_request": round(b_cpu / a_cpu, 3),
        }


def rotating_rounds(
    kinds: Sequence[str], rounds: int, single: Callable[[str], WrkResult], label: str
) -> Rounds:
    """`rounds` rounds of one `single(kind)` run per kind, after waiting for a quiet machine.

    Each round starts at the next kind, so none always runs first, or last.
    """
    names = list(kinds)
    runs: dict[str, list[WrkResult]] = {name: [] for name in names}
    for number in range(1, rounds + 1):
        shift = (number - 1) % len(names)
        for name in names[shift:] + names[:shift]:
            wait_for_quiet()
            runs[name].append(single(name))
        rates = ", ".join(
            f"{n} {r[-1].rps:,.0f}/s {r[-1].server_cpu_us:.0f} µs" for n, r in runs.items()
        )
        log(f"{label} round {number}: {rates}")
    by_round = zip(*runs.values(), strict=True)
    quiet = quiet_rounds([max(r.others_cpu_pct for r in round_runs) for round_runs in by_round])
    figures = {name: summarize(kind_runs, quiet) for name, kind_runs in runs.items()}
    return Rounds(runs, quiet, figures)
