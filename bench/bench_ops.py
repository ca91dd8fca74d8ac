"""Operations overhead and export speed, each beside its baseline in the same run.

Targets (issue 18):
- single-key GET with request metrics on: >= 0.95 of the requests/s without them;
- with tracing on, sampled at 1%: >= 0.9 of the requests/s without it;
- export of a 1M-entry version to Parquet: >= 300k entries/s.

One version is loaded once and copied to four embedded servers: metrics off
(`--no-count-requests`), the same again (the control: what the machine's noise
alone gives as a ratio), metrics on (the default), metrics on and tracing at 1%
(OTLP to a sink on loopback). wrk rounds alternate between them, each round starting
at the next server, so that they share the machine's noise; medians are quoted, with
the server's CPU per request, the steadier figure on a shared machine.

Export: `GET /v1/versions/{id}/export` as `optimus export` reads it, the body read
with a 4 MiB buffer and thrown away; beside it the same export in-process (no HTTP,
on a copy of the data dir) and the client alone reading a static body of the same
size (its ceiling). The three alternate, JSON Lines after Parquet.

    .venv/bin/python bench/bench_ops.py [--quick]
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from bench_dapr import load_read_dataset
from harness.cli import run_benchmark
from harness.dapr import add_api, invoke_url
from harness.data import TABLE
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, median
from harness.meters import wait_for_quiet
from harness.processes import Server, optimus_server
from harness.report import Row, verdict
from harness.wrk import RANDOM_KEY, WrkResult, rotating_rounds, run_wrk
from scale import FULL, QUICK, Scale

from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
from optimus.dapr_runtime import DaprCluster
from optimus.entrypoints.api.export_formats import ExportFormat, export_chunks

DATASET = "ops"
EXPORT_ROUNDS = 3
# Entries of the Dapr host's exported version (Redis state store), full and quick: its
# loads run at ~35k entries/s here, so the embedded host's 1M would not fit the run.
DAPR_EXPORT_KEYS = {"full": 100_000, "quick": 20_000}
READ_BUFFER = 4 << 20


class OtlpSink(BaseHTTPRequestHandler):
    """Takes OTLP exports and throws them away."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _static_server(size: int) -> ThreadingHTTPServer:
    """Answers every GET with `size` bytes from memory: the export client's ceiling."""
    body = os.urandom(1 << 20) * (size // (1 << 20) + 1)

    class Static(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", str(size))
            self.end_headers()
            self.wfile.write(memoryview(body)[:size])

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Static)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _read_all(port: int, path: str) -> tuple[float, int]:
    """(seconds, bytes) of one GET, its whole body read with a big buffer and discarded."""
    buffer = bytearray(READ_BUFFER)
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        request = f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
        sock.sendall(request.encode())
        size = sock.recv_into(buffer)
        if not buffer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"GET {path}: {bytes(buffer[:200])!r}")
        while received := sock.recv_into(buffer):
            size += received
    return time.perf_counter() - started, size


def _in_process(data_dir: Path, version: str, export_format: ExportFormat) -> tuple[float, int]:
    """(seconds, bytes) of the same export produced in this process: no HTTP."""

    async def export() -> tuple[float, int]:
        services = bootstrap_embedded(EmbeddedSettings(data_dir=data_dir))
        try:
            started = time.perf_counter()
            found = await services.export.export(version, None, reader=None)
            size = 0
            async for chunk in export_chunks(found, export_format):
                size += len(chunk)
            return time.perf_counter() - started, size
        finally:
            services.close()

    return asyncio.run(export())


def _servers(work: Path, scale: Scale, sink_url: str) -> tuple[dict[str, Server], str]:
    """The three servers on copies of one loaded data dir, and the version's id."""
    loader = optimus_server(work / "loaded").start()
    with sdk(loader.api_url) as client:
        create_dataset(client, DATASET)
    version = load_dataset(loader, DATASET, scale.read_keys, label="ops").version_id
    loader.stop()
    tracing = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink_url,
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.01",
    }
    kinds: dict[str, tuple[list[str], dict[str, str]]] = {
        "metrics_off": (["--no-count-requests"], {}),
        # The same as metrics_off: the two differ only by the machine's noise (the control).
        "metrics_off_again": (["--no-count-requests"], {}),
        "metrics_on": ([], {}),
        "tracing_1pct": ([], tracing),
    }
    servers = {}
    for name, (extra, env) in kinds.items():
        shutil.copytree(work / "loaded", work / name)
        server = optimus_server(work / name)
        server.name = f"optimus-{name}"
        server.command.extend(extra)
        if env:  # env(1) execs the server: the pid, and so the CPU measured, stay the server's
            server.command[:0] = ["env", *(f"{k}={v}" for k, v in env.items())]
        servers[name] = server.start()
    return servers, version


def read_overheads(scale: Scale, servers: dict[str, Server]) -> dict[str, Any]:
    args = [f"/v1/datasets/{DATASET}/tables/{TABLE}/entries/", str(scale.read_keys)]

    def single(server: Server, seconds: float) -> WrkResult:
        return run_wrk(server.url, RANDOM_KEY, args, duration_s=seconds, server=server)

    log("reads: warming up")
    for server in servers.values():
        single(server, 2)
    compared = rotating_rounds(
        servers, scale.runs, lambda name: single(servers[name], scale.wrk_seconds), "reads"
    )
    return {
        "dataset_keys": scale.read_keys,
        "wrk": f"-t2 -c32 -d{scale.wrk_seconds:g}s, {scale.runs} rounds, medians",
        **compared.figures,
        "metrics_on_vs_off": compared.ratio("metrics_on", "metrics_off"),
        "control_off_vs_off": compared.ratio("metrics_off_again", "metrics_off"),
        # Tracing beside the same server without it: metrics on both.
        "tracing_1pct_vs_untraced": compared.ratio("tracing_1pct", "metrics_on"),
    }


def export_speed(
    work: Path, server: Server, version: str, entries: int
) -> dict[str, dict[str, Any]]:
    """Entries/s of the export over HTTP, in-process and the client's ceiling, alternating."""
    copy = work / "in-process"
    shutil.copytree(work / "loaded", copy)
    results: dict[str, dict[str, Any]] = {}
    for export_format in (ExportFormat.PARQUET, ExportFormat.JSONL):
        path = f"/v1/versions/{version}/export?format={export_format.value}"
        _read_all(server.port, path)  # warm: the version's blocks in the page cache
        size = _read_all(server.port, path)[1]
        static = _static_server(size)
        ways: dict[str, Callable[[], tuple[float, int]]] = {
            "http": lambda path=path: _read_all(server.port, path),
            "in_process": lambda f=export_format: _in_process(copy, version, f),
            "client_alone": lambda port=static.server_address[1]: _read_all(port, "/"),
        }
        seconds: dict[str, list[float]] = {way: [] for way in ways}
        cpu: list[float] = []
        for number in range(1, EXPORT_ROUNDS + 1):
            for way, run in ways.items():
                wait_for_quiet()
                cpu_before = server.cpu_seconds()
                seconds[way].append(run()[0])
                if way == "http":
                    cpu.append(server.cpu_seconds() - cpu_before)
            rates = ", ".join(f"{w} {entries / s[-1]:,.0f}/s" for w, s in seconds.items())
            log(f"export {export_format.value} round {number}: {rates}")
        static.shutdown()
        results[export_format.value] = {
            "entries": entries,
            "bytes": size,
            **{
                way: {
                    "entries_per_s": round(entries / median(times)),
                    "seconds": [round(t, 3) for t in times],
                }
                for way, times in seconds.items()
            },
            "server_cpu_us_per_entry": round(median(cpu) / entries * 1e6, 2),
        }
    return results


def dapr_export(work: Path, entries: int) -> dict[str, Any]:
    """Entries/s of the same export on the Dapr host (Redis), through service invocation."""
    with DaprCluster("redis", work / "cluster") as cluster:
        api = add_api(cluster)
        load_read_dataset(invoke_url(api), entries)
        invoked = invoke_url(api).removeprefix(api.http_endpoint)
        port = int(api.http_endpoint.rpartition(":")[2])
        listing = httpx.get(f"{invoke_url(api)}/datasets/reads", timeout=30).json()
        version = listing["active-version"]["id"]
        results: dict[str, Any] = {"entries": entries}
        for export_format in (ExportFormat.PARQUET, ExportFormat.JSONL):
            path = f"{invoked}/versions/{version}/export?format={export_format.value}"
            times = []
            for number in range(1, EXPORT_ROUNDS + 1):
                wait_for_quiet()
                times.append(_read_all(port, path)[0])
                rate = entries / times[-1]
                log(f"dapr export {export_format.value} round {number}: {rate:,.0f}/s")
            results[export_format.value] = {
                "entries_per_s": round(entries / median(times)),
                "seconds": [round(t, 3) for t in times],
            }
        return results


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    log(f"load average at the start: {load_before}")
    sink = ThreadingHTTPServer(("127.0.0.1", 0), OtlpSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        servers, version = _servers(work, scale, f"http://127.0.0.1:{sink.server_address[1]}")
        reads = read_overheads(scale, servers)
        export = export_speed(work, servers["metrics_on"], version, scale.read_keys)
        for server in servers.values():
            server.stop()
        dapr = dapr_export(work, DAPR_EXPORT_KEYS[scale.name])
    finally:
        sink.shutdown()
    log(f"load average at the end: {os.getloadavg()}")
    return {
        "load_average": {"start": load_before, "end": os.getloadavg()},
        "reads": reads,
        "export": export,
        "dapr_export": dapr,
    }


def _read_row(
    reads: dict[str, Any], name: str, base_name: str, key: str, what: str, target: float
) -> Row:
    figures, ratio, base = reads[name], reads[key], reads[base_name]
    by_round = ratio["rps_by_round"]
    return Row(
        what,
        f"{figures['rps']:,.0f} req/s, {figures['server_cpu_us_per_request']:.1f} µs CPU",
        f"{base_name} {base['rps']:,.0f} req/s, {base['server_cpu_us_per_request']:.1f} µs",
        f"{ratio['rps']:.3f} (rounds {min(by_round):.2f}-{max(by_round):.2f}, "
        f"median {ratio['rps_median_of_rounds']:.3f}; "
        f"CPU {ratio['cpu_per_request']:.3f})",
        f">= {target}",
        verdict(ratio["rps"] >= target, figures["errors"] + base["errors"]),
    )


def rows(results: dict[str, Any]) -> list[Row]:
    reads = results["reads"]
    table = [
        _read_row(
            reads, "metrics_on", "metrics_off", "metrics_on_vs_off", "GET 1 key, metrics on", 0.95
        ),
        _read_row(
            reads,
            "metrics_off_again",
            "metrics_off",
            "control_off_vs_off",
            "control: GET 1 key, metrics off again",
            0.95,
        ),
        _read_row(
            reads,
            "tracing_1pct",
            "metrics_on",
            "tracing_1pct_vs_untraced",
            "GET 1 key, tracing 1%",
            0.9,
        ),
    ]
    for export_format, figures in results["export"].items():
        http = figures["http"]["entries_per_s"]
        table.append(
            Row(
                f"export {figures['entries']:,} entries, {export_format}, over HTTP",
                f"{http:,.0f} entries/s, {figures['server_cpu_us_per_entry']:.2f} µs CPU/entry",
                f"in-process {figures['in_process']['entries_per_s']:,.0f}/s; client alone "
                f"{figures['client_alone']['entries_per_s']:,.0f}/s",
                "",
                ">= 300,000/s" if export_format == "parquet" else "",
                verdict(http >= 300_000) if export_format == "parquet" else "",
            )
        )
    dapr = results["dapr_export"]
    for export_format in ("parquet", "jsonl"):
        table.append(
            Row(
                f"export {dapr['entries']:,} entries, {export_format}, Dapr host (Redis)",
                f"{dapr[export_format]['entries_per_s']:,.0f} entries/s",
                "the embedded host's, above",
            )
        )
    return table


if __name__ == "__main__":
    run_benchmark("ops", __doc__ or "", (FULL, QUICK), measure, rows)
