"""The final table (figure, ceiling beside it, ratio, target) and the JSON results file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from common import RESULTS, machine
from scale import Scale

MIB = 2**20


@dataclass(frozen=True, slots=True)
class Row:
    what: str
    measured: str
    beside: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # "ok", "MISS" or "" when there is no target


def _verdict(ok: bool, errors: int = 0) -> str:
    if errors:
        return f"ERRORS ({errors})"
    return "ok" if ok else "MISS"


def _ms(value: float) -> str:
    return f"{value:.2f} ms"


def _read_rows(reads: dict[str, Any]) -> list[Row]:
    bare, single, many = reads["bare_asgi"], reads["single_key"], reads["get_many"]
    alone = reads["get_many_one_connection"]
    eight = reads["get_many_8_connections"]
    burn = reads["bare_asgi_same_cpu_as_get_many"]
    burn_us = many["server_cpu_us_per_request"]
    ratio = reads["ratios"]["single_rps_vs_bare"]
    by_round = reads["ratios"]["single_rps_vs_bare_by_round"]
    n = many["keys_per_request"]
    return [
        Row(
            f"GET 1 key ({reads['dataset_keys']:,} keys), req/s",
            f"{single['rps']:,.0f}",
            f"bare ASGI {bare['rps']:,.0f}",
            f"{ratio:.3f} (rounds {min(by_round):.2f}-{max(by_round):.2f})",
            ">= 0.60",
            _verdict(ratio >= 0.60, single["errors"] + bare["errors"]),
        ),
        Row(
            "GET 1 key, p50 / p99",
            f"{_ms(single['p50_ms'])} / {_ms(single['p99_ms'])}",
            f"bare {_ms(bare['p50_ms'])} / {_ms(bare['p99_ms'])}",
            "",
            "p99 < 5 ms",
            _verdict(single["p99_ms"] < 5),
        ),
        Row(
            "GET 1 key, server CPU per request",
            f"{single['server_cpu_us_per_request']:.0f} us",
            f"bare {bare['server_cpu_us_per_request']:.0f} us",
            f"{reads['ratios']['single_cpu_vs_bare']:.2f}x",
        ),
        Row(
            f"get-many {n} keys, req/s (keys/s)",
            f"{many['rps']:,.0f} ({many['rps'] * n:,.0f})",
            f"single-key {single['rps']:,.0f}",
            f"{reads['ratios']['get_many_keys_per_s_vs_single']:.2f}x keys/s",
        ),
        Row(
            f"get-many {n} keys, 32 connections, p50 / p99",
            f"{_ms(many['p50_ms'])} / {_ms(many['p99_ms'])}",
            f"single {_ms(single['p50_ms'])} / {_ms(single['p99_ms'])}",
            "",
            "p99 < 15 ms",
            _verdict(many["p99_ms"] < 15, many["errors"]),
        ),
        Row(
            "  same CPU/request in the bare ASGI app, p50 / p99",
            f"{_ms(burn['p50_ms'])} / {_ms(burn['p99_ms'])}",
            f"spinning {burn_us:,.0f} us, {burn['rps']:,.0f} req/s",
        ),
        Row(
            f"get-many {n} keys, 8 connections, p50 / p99",
            f"{_ms(eight['p50_ms'])} / {_ms(eight['p99_ms'])}",
            f"{eight['rps']:,.0f} req/s",
            "",
            "p99 < 15 ms",
            _verdict(eight["p99_ms"] < 15, eight["errors"]),
        ),
        Row(
            f"get-many {n} keys, 1 connection, p50 / p99",
            f"{_ms(alone['p50_ms'])} / {_ms(alone['p99_ms'])}",
            f"{alone['rps']:,.0f} req/s",
            "",
            "p99 < 15 ms",
            _verdict(alone["p99_ms"] < 15, alone["errors"]),
        ),
        Row(
            f"get-many {n} keys, server CPU per request",
            f"{many['server_cpu_us_per_request']:,.0f} us",
            f"single {single['server_cpu_us_per_request']:.0f} us",
        ),
    ]


def _load_rows(load: dict[str, Any]) -> list[Row]:
    rest, raw = load["rest"], load["raw_engine"]
    ratio = load["ratios"]["rest_vs_raw"]
    return [
        Row(
            f"bulk load via REST, entries/s (batches of {load['batch']:,})",
            f"{rest['entries_per_s']:,.0f}",
            f"raw engine {raw['entries_per_s']:,.0f}",
            f"{ratio:.3f}",
            ">= 100k/s, >= 0.40",
            _verdict(rest["entries_per_s"] >= 100_000 and ratio >= 0.40),
        ),
        Row(
            "bulk load, server CPU per batch",
            f"{rest['server_cpu_ms_per_batch']:.2f} ms",
            f"raw engine {raw['cpu_ms_per_batch']:.2f} ms",
        ),
    ]


def _publish_rows(publish: dict[str, Any]) -> list[Row]:
    small, large = publish["small"], publish["large"]
    ratio = publish["ratios"]["large_vs_small_median"]
    worst_p99 = max(small["p99_ms"], large["p99_ms"])
    return [
        Row(
            f"publish/rollback {large['keys']:,} keys, median / p99",
            f"{_ms(large['median_ms'])} / {_ms(large['p99_ms'])}",
            f"{small['keys']:,} keys {_ms(small['median_ms'])} / {_ms(small['p99_ms'])}",
            f"{ratio:.2f}",
            "within 2x, p99 < 20 ms",
            _verdict(ratio <= 2 and 1 / ratio <= 2 and worst_p99 < 20),
        ),
        Row(
            "publish, last fifth of the runs vs first fifth (median)",
            f"{large['last_fifth_vs_first_fifth']:.2f}x ({large['keys']:,} keys)",
            f"{small['last_fifth_vs_first_fifth']:.2f}x ({small['keys']:,} keys)",
            "",
            "~1x: no growth with history",
        ),
    ]


def _memory_rows(memory: dict[str, Any]) -> list[Row]:
    idle, loaded, serving = memory["idle_empty"], memory["idle_loaded"], memory["serving_peak"]
    before = memory["serving_before_restart"]["single_key"]
    after = memory["serving_after_restart"]["single_key"]
    nightly = memory["next_version_while_serving"]
    return [
        Row(
            f"server RSS serving {memory['dataset_keys']:,} keys (peak)",
            f"{serving['VmRSS'] / MIB:.0f} MiB (anon {serving['RssAnon'] / MIB:.0f}, "
            f"file {serving['RssFile'] / MIB:.0f})",
            f"idle, empty {idle['VmRSS'] / MIB:.0f} MiB; idle, loaded "
            f"{loaded['VmRSS'] / MIB:.0f} MiB",
            f"{serving['VmRSS'] / idle['VmRSS']:.1f}x idle",
            "< 200 MB",
            _verdict(serving["VmRSS"] < 200e6),
        ),
        Row(
            "server RSS while loading it (peak)",
            f"{memory['loading_peak_rss'] / MIB:.0f} MiB",
        ),
        Row(
            "server RSS loading the next version while serving (peak)",
            f"{nightly['peak_rss_bytes'] / MIB:.0f} MiB",
            f"{len(nightly['reads_during_load'])} wrk runs of 2 s meanwhile",
            "",
            "< 200 MB",
            _verdict(nightly["peak_rss_bytes"] < 200e6),
        ),
        Row(
            f"GET 1 key on {memory['dataset_keys']:,} keys, server CPU per request",
            f"{before['server_cpu_us_per_request']:.0f} us ({before['rps']:,.0f} req/s)",
            f"after a restart {after['server_cpu_us_per_request']:.0f} us "
            f"({after['rps']:,.0f} req/s)",
        ),
    ]


def rows(results: dict[str, Any]) -> list[Row]:
    found: list[Row] = []
    if "reads" in results:
        found += _read_rows(results["reads"])
    if "load" in results:
        found += _load_rows(results["load"])
    if "publish" in results:
        found += _publish_rows(results["publish"])
    if "memory" in results:
        found += _memory_rows(results["memory"])
    return found


def print_table(results: dict[str, Any]) -> None:
    table = rows(results)
    header = Row("what", "measured", "beside it (same run)", "ratio", "target", "")
    widths = [max(len(getattr(r, f)) for r in [header, *table]) for f in Row.__slots__]
    print()
    for row in [header, *table]:
        cells = [getattr(row, f).ljust(w) for f, w in zip(Row.__slots__, widths, strict=True)]
        print("  ".join(cells).rstrip())
    print()


def write_results(name: str, scale: Scale, results: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    document = {
        "scale": asdict(scale),
        "machine": machine(),
        "table": [asdict(r) for r in rows(results)],
        **results,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results: {path}")
