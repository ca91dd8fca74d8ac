"""Single-key GET with an API token and with a JWT, beside the same reads without auth.

Targets (issue 14): each at >= 0.9 of the requests/s without auth; masking costs
nothing for a table that declares none. Two servers serve copies of one data dir,
one open and one with --auth-file and OIDC. Rounds alternate (open, API token, JWT,
masking elsewhere, open, …; each round starting at the next) so that they share the
machine's noise; medians are quoted, with the server's CPU per request, the steadier
figure on a shared machine.
"masking elsewhere": the same reads with the API token of a dataset whose *other*
table declares masked fields, beside the API token's reads of a dataset with none.

    .venv/bin/python bench/bench_auth.py [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from harness.cli import run_benchmark
from harness.data import TABLE, key_name
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log
from harness.paths import BENCH
from harness.processes import Server, optimus_server
from harness.report import Row, verdict
from harness.wrk import WrkResult, rotating_rounds, run_wrk
from jwt.algorithms import RSAAlgorithm
from scale import FULL, QUICK, Scale

from optimus.adapters.auth.token_file import TokenFile
from optimus.domain.access import Grant, Role

RANDOM_KEY = BENCH / "lua" / "random_key_auth.lua"
DATASET = "reads"
MASKED = "masked"  # its table "other" declares a masked field; TABLE declares none
ISSUER, AUDIENCE = "https://issuer.bench", "optimus"


def make_api_token(file: Path) -> str:
    grants = (Grant(Role.READER, "*"),)
    now_ms = int(time.time() * 1000)
    tokens, token = TokenFile().created("bench", grants, now_ms=now_ms, expires_at=None)
    tokens.write(file)
    return token


def make_jwt(jwks_file: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "k1", "alg": "RS256"}
    jwks_file.write_text(json.dumps({"keys": [public]}))
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "bench",
        "iat": now,
        "exp": now + 3600,
        "optimus_roles": ["reader:*"],
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def _loaded(work: Path, keys: int) -> None:
    """work/open: both datasets, loaded and published."""
    loader = optimus_server(work / "open").start()
    with sdk(loader.api_url) as client:
        create_dataset(client, DATASET)
    created = httpx.post(
        f"{loader.api_url}/datasets",
        json={
            "name": MASKED,
            "tables": [TABLE, "other"],
            "content-type": "application/json",
            "masking": {"other": ["secret"]},
        },
    )
    created.raise_for_status()
    for dataset in (DATASET, MASKED):
        load_dataset(loader, dataset, keys, label=dataset)
    loader.stop()


def _check(server: Server, dataset: str, authorization: str) -> None:
    url = f"{server.url}/v1/datasets/{dataset}/tables/{TABLE}/entries/{key_name(0)}"
    reply = httpx.get(url, headers={"authorization": authorization} if authorization else {})
    if reply.status_code != 200:
        raise RuntimeError(f"{server.name}: GET -> {reply.status_code} {reply.text[:200]}")


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    log(f"load average at the start: {load_before}")
    _loaded(work, scale.read_keys)
    shutil.copytree(work / "open", work / "secured")
    api_token = f"Bearer {make_api_token(work / 'auth.yaml')}"
    token = f"Bearer {make_jwt(work / 'jwks.json')}"
    open_server = optimus_server(work / "open").start()
    secured = optimus_server(work / "secured")
    secured.command += [
        "--auth-file", str(work / "auth.yaml"),
        "--oidc-issuer", ISSUER,
        "--oidc-audience", AUDIENCE,
        "--oidc-jwks", str(work / "jwks.json"),
    ]  # fmt: skip
    secured.name = "optimus-auth"
    secured.start()
    kinds = {
        "no_auth": (open_server, DATASET, ""),
        "api_token": (secured, DATASET, api_token),
        "jwt": (secured, DATASET, token),
        "masking_elsewhere": (secured, MASKED, api_token),
    }
    for server, dataset, authorization in kinds.values():
        _check(server, dataset, authorization)

    def single(kind: str, seconds: float) -> WrkResult:
        server, dataset, authorization = kinds[kind]
        prefix = f"/v1/datasets/{dataset}/tables/{TABLE}/entries/"
        args = [prefix, str(scale.read_keys), authorization]
        return run_wrk(server.url, RANDOM_KEY, args, duration_s=seconds, server=server)

    log("auth reads: warming up")
    for kind in kinds:
        single(kind, 2)
    compared = rotating_rounds(
        kinds, scale.runs, lambda kind: single(kind, scale.wrk_seconds), "auth reads"
    )
    log(f"load average at the end: {os.getloadavg()}")
    return {
        "load_average": {"start": load_before, "end": os.getloadavg()},
        "dataset_keys": scale.read_keys,
        "wrk": f"-t2 -c32 -d{scale.wrk_seconds:g}s, {scale.runs} rounds, medians",
        **compared.figures,
        "ratios": {
            "api_token_vs_no_auth": compared.ratio("api_token", "no_auth"),
            "jwt_vs_no_auth": compared.ratio("jwt", "no_auth"),
            "masking_elsewhere_vs_none": compared.ratio("masking_elsewhere", "api_token"),
        },
    }


# (what, kind, its baseline, ratio, target)
_ROWS = [
    ("GET 1 key, API token", "api_token", "no_auth", "api_token_vs_no_auth", 0.9),
    ("GET 1 key, JWT", "jwt", "no_auth", "jwt_vs_no_auth", 0.9),
    (
        "GET 1 key, API token, masking on another table",
        "masking_elsewhere",
        "api_token",
        "masking_elsewhere_vs_none",
        0.95,
    ),
]


def rows(results: dict[str, Any]) -> list[Row]:
    table = []
    for what, kind, base_kind, key, target in _ROWS:
        figures, base, ratio = results[kind], results[base_kind], results["ratios"][key]
        by_round = ratio["rps_by_round"]
        table.append(
            Row(
                what,
                f"{figures['rps']:,.0f} req/s, {figures['server_cpu_us_per_request']:.1f} µs CPU",
                f"{base_kind} {base['rps']:,.0f} req/s, {base['server_cpu_us_per_request']:.1f} µs",
                f"{ratio['rps']:.3f} (rounds {min(by_round):.2f}-{max(by_round):.2f}, "
                f"median {ratio['rps_median_of_rounds']:.3f}; "
                f"CPU {ratio['cpu_per_request']:.3f})",
                f">= {target}",
                verdict(ratio["rps"] >= target, figures["errors"] + base["errors"]),
            )
        )
    return table


if __name__ == "__main__":
    run_benchmark("auth", __doc__ or "", (FULL, QUICK), measure, rows)
