"""CPU of a single-key read in the ASGI app itself, beside the bare ASGI endpoint, in-process.

No HTTP server and no load generator: each app is called directly with the scope
uvicorn would give, so the figures are the app's own CPU per request (the part
that code changes move), measured in alternating rounds in one process. Beside the
default app (request metrics on): metrics off, tracing sampled at 1% (spans exported
by OTLP to a sink in this process), and authentication on, with an API token, with a
JWT, and with the token on a dataset whose other table declares masked fields.

    .venv/bin/python bench/bench_fast_path.py [--requests 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import bare_asgi
from bench_auth import AUDIENCE, ISSUER, make_api_token, make_jwt
from bench_ops import OtlpSink
from opentelemetry import trace

from optimus.adapters.auth.authenticator import Authenticator
from optimus.adapters.auth.jwt_tokens import JwtVerifier, OidcSettings
from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
from optimus.domain.policies import EvictionPolicy
from optimus.entrypoints.api.app import create_app
from optimus.entrypoints.api.host_guard import LOOPBACK_HOSTS, HostGuard
from optimus.entrypoints.tracing import configure_tracing
from optimus.service_layer.services import Services

KEYS = 1000
ROUNDS = 7


def _scope(
    key: int, query: bytes = b"", authorization: str = "", dataset: str = "ds"
) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8888"), (b"user-agent", b"wrk")]
    if authorization:
        headers.append((b"authorization", authorization.encode()))
    return {
        "type": "http",
        "method": "GET",
        "path": f"/v1/datasets/{dataset}/tables/t/entries/k{key}",
        "query_string": query,
        "headers": headers,
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


async def _per_request_us(app: Any, scopes: list[dict[str, Any]]) -> float:
    start = time.process_time()
    for scope in scopes:
        await app(scope, _receive, _send)
    return (time.process_time() - start) / len(scopes) * 1e6


async def _published(services: Services, dataset: str, masking: object = None) -> str:
    lifecycle = services.lifecycle
    tables = ["t", "other"] if masking else ["t"]
    await lifecycle.create_dataset(
        dataset,
        tables,
        content_type="application/json",
        eviction_policy=EvictionPolicy(),
        masking=masking,
        by="b",
    )
    version = await lifecycle.create_version(dataset, label=None, verification_policy=None, by="b")
    entries = [{"key": f"k{i}", "value": "v" * 98} for i in range(KEYS)]
    await services.loader.load(dataset, version.id, entries, table="t")
    await lifecycle.save(version.id, by="b")
    await lifecycle.wait_saved(version.id)
    await lifecycle.publish(version.id, by="b")
    return version.id


def _tracing_on() -> ThreadingHTTPServer:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), OtlpSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{sink.server_address[1]}"
    os.environ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio"
    os.environ["OTEL_TRACES_SAMPLER_ARG"] = "0.01"
    configure_tracing("bench")
    return sink


async def main(requests: int) -> None:
    sink = _tracing_on()
    with tempfile.TemporaryDirectory() as data:
        work = Path(data)
        services = bootstrap_embedded(EmbeddedSettings(data_dir=work / "open"))
        version = await _published(services, "ds")
        token = f"Bearer {make_api_token(work / 'auth.yaml')}"
        signed = f"Bearer {make_jwt(work / 'jwks.json')}"
        verifier = JwtVerifier(OidcSettings(ISSUER, AUDIENCE, str(work / "jwks.json")))
        authenticator = Authenticator(work / "auth.yaml", verifier)
        settings = EmbeddedSettings(data_dir=work / "secured", authenticator=authenticator)
        secured_services = bootstrap_embedded(settings)
        await _published(secured_services, "ds")
        await _published(secured_services, "masked", masking={"other": ["secret"]})
        await _published(services, "excised")  # one key excised: every read checks it
        await services.excision.excise("excised", "t", ["gone"], "bench", by="b")
        optimus = create_app(services)
        secured = create_app(secured_services)
        unpinned = [_scope(i % KEYS) for i in range(requests)]
        # (app, its requests): each row's requests differ from the default's by one thing.
        rows: dict[str, tuple[Any, list[dict[str, Any]]]] = {
            "bare ASGI": (bare_asgi.app, [_scope(0)] * requests),
            "fast path (request metrics on, the default)": (optimus, unpinned),
            "fast path behind the Host guard (optimus serve)": (
                HostGuard(optimus, LOOPBACK_HOSTS),
                unpinned,
            ),
            "fast path, pinned": (
                optimus,
                [_scope(i % KEYS, f"version-id={version}".encode()) for i in range(requests)],
            ),
            "fast path, a version with an excision": (
                optimus,
                [_scope(i % KEYS, dataset="excised") for i in range(requests)],
            ),
            "metrics off (--no-count-requests)": (
                create_app(services, count_requests=False),
                unpinned,
            ),
            "tracing on, 1% sampled": (create_app(services, tracing=True), unpinned),
            "auth on, API token": (
                secured,
                [_scope(i % KEYS, authorization=token) for i in range(requests)],
            ),
            "auth on, JWT": (
                secured,
                [_scope(i % KEYS, authorization=signed) for i in range(requests)],
            ),
            "auth on, API token, masking on another table": (
                secured,
                [_scope(i % KEYS, authorization=token, dataset="masked") for i in range(requests)],
            ),
        }
        figures: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(ROUNDS):
            for name, (app, scopes) in rows.items():
                figures[name].append(await _per_request_us(app, scopes))
        services.close()
        secured_services.close()
    trace.get_tracer_provider().shutdown()  # type: ignore[attr-defined]  # flushed to the sink
    sink.shutdown()
    bare = statistics.median(figures["bare ASGI"])
    default = statistics.median(figures["fast path (request metrics on, the default)"])
    print(
        f"| app, single-key GET, {requests:,} requests x {ROUNDS} rounds | CPU µs/request "
        "(median; min-max) | beside bare ASGI | beside the default |"
    )
    print("|---|---|---|---|")
    for name, rounds in figures.items():
        median = statistics.median(rounds)
        print(
            f"| {name} | {median:.2f} ({min(rounds):.2f}-{max(rounds):.2f}) "
            f"| {median / bare:.2f}x | {median - default:+.2f} µs |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().requests))
