"""A/B of the diff and the gated save between two checkouts, alternating processes.

    flock /tmp/bench.lock .venv/bin/python bench/ab_safe_publish.py A_SERVICES B_SERVICES [N]

Each round runs one process per checkout (`A_SERVICES` and `B_SERVICES` are the `services`
directories, e.g. /work/main/services and ./services), A then B, then B then A: each
builds the two versions of `bench_safe_publish.py` (N keys, default 1M) in its own RocksDB,
saves the second with and without a gate, diffs them 3 times, and prints its medians
(wall and CPU seconds). Uses only what both checkouts have: the store's `write`,
`LifecycleJobs.complete_save` and `VersionDiffs.summary`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 2


def child(n: int, work: Path) -> dict[str, float]:
    import asyncio

    from bench_safe_publish import GATES, EmbeddedVersions, _value, second_version

    async def run() -> dict[str, float]:
        ds = await EmbeddedVersions.create(work, 10, "ab")
        lifecycle, diffs, saved = ds.lifecycle, ds.diffs, ds.saved
        v1, _, _ = await saved({i: _value(i) for i in range(n)}, None)
        await lifecycle.publish(v1, by="ab")
        second = second_version(n)
        v2, without_s, without_cpu = await saved(second, None)
        _, with_s, with_cpu = await saved(second, GATES)
        diff = []
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            await diffs.summary(v2, v1)
            diff.append((time.perf_counter() - wall, time.process_time() - cpu))
        ds.close()
        return {
            "diff_s": statistics.median(w for w, _ in diff),
            "diff_cpu_s": statistics.median(c for _, c in diff),
            "save_without_s": without_s, "save_without_cpu_s": without_cpu,
            "save_with_s": with_s, "save_with_cpu_s": with_cpu,
        }  # fmt: skip

    return asyncio.run(run())


def main() -> None:
    if sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), Path(sys.argv[3]))))
        return
    trees = {"A": sys.argv[1], "B": sys.argv[2]}
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    bench = Path(__file__).parent
    print(f"load average at the start: {os.getloadavg()}", flush=True)
    runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    for number in range(ROUNDS):
        for name in ("A", "B") if number % 2 == 0 else ("B", "A"):
            env = {**os.environ, "PYTHONPATH": f"{trees[name]}:{bench}"}
            with tempfile.TemporaryDirectory(prefix="ab-safe-") as work:
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(n), work],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
            runs[name].append(json.loads(done.stdout.splitlines()[-1]))
            print(name, trees[name], runs[name][-1], flush=True)
    for name, found in runs.items():
        medians = {k: round(statistics.median(r[k] for r in found), 3) for k in found[0]}
        compared = n + n // 20
        print(f"{name} {trees[name]}: {medians}; {compared / medians['diff_s']:,.0f} keys/s; "
              f"save ratio {medians['save_with_s'] / medians['save_without_s']:.2f}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
