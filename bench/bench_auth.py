"""Single-key GET with an API token and with a JWT, beside the same reads without auth.

Target (issue 14): each at >= 0.9 of the requests/s without auth. Two servers
serve copies of one data dir, one open and one with --auth-file and OIDC; runs
alternate between them (open, API token, JWT, open, …) so that they share the
machine's noise; the median of the runs is quoted.

    .venv/bin/python bench/bench_auth.py [--quick]
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from common import (
    BENCH,
    TABLE,
    Api,
    Server,
    key_name,
    load_dataset,
    log,
    optimus_server,
    quiet_rounds,
    run_wrk,
    stop_all,
    summarize,
    temp_dir,
    wait_for_quiet,
)
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from scale import Scale, parse_scale

from optimus.adapters.auth.token_file import TokenFile
from optimus.domain.access import Grant, Role

RANDOM_KEY = BENCH / "lua" / "random_key_auth.lua"
DATASET = "reads"
ISSUER, AUDIENCE = "https://issuer.bench", "optimus"


def _api_token(file: Path) -> str:
    grants = (Grant(Role.READER, "*"),)
    now_ms = int(time.time() * 1000)
    tokens, token = TokenFile().created("bench", grants, now_ms=now_ms, expires_at=None)
    tokens.write(file)
    return token


def _jwt(jwks_file: Path) -> str:
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


def _check(server: Server, authorization: str) -> None:
    url = f"{server.url}/v1/datasets/{DATASET}/tables/{TABLE}/entries/{key_name(0)}"
    reply = httpx.get(url, headers={"authorization": authorization} if authorization else {})
    if reply.status_code != 200:
        raise RuntimeError(f"{server.name}: GET -> {reply.status_code} {reply.text[:200]}")


def run(scale: Scale, open_server: Server, secured: Server, api_token: str, token: str) -> dict:
    prefix = f"/v1/datasets/{DATASET}/tables/{TABLE}/entries/"
    kinds = {
        "no_auth": (open_server, ""),
        "api_token": (secured, f"Bearer {api_token}"),
        "jwt": (secured, f"Bearer {token}"),
    }
    for server, authorization in kinds.values():
        _check(server, authorization)

    def single(kind: str, seconds: float) -> Any:
        server, authorization = kinds[kind]
        args = [prefix, str(scale.read_keys), authorization]
        return run_wrk(server, "/", RANDOM_KEY, args, duration_s=seconds)

    log("auth reads: warming up")
    for kind in kinds:
        single(kind, 1)
    runs: dict[str, list[Any]] = {kind: [] for kind in kinds}
    for number in range(1, scale.runs + 1):
        for kind in kinds:
            wait_for_quiet()
            runs[kind].append(single(kind, scale.wrk_seconds))
        rates = ", ".join(f"{kind} {runs[kind][-1].rps:,.0f}/s" for kind in kinds)
        log(f"auth reads run {number}: {rates}")
    by_round = zip(*runs.values(), strict=True)
    rounds = quiet_rounds([max(r.others_cpu_pct for r in round_runs) for round_runs in by_round])
    figures = {kind: summarize(runs[kind], rounds) for kind in kinds}
    base = figures["no_auth"]["rps"]
    return {
        "dataset_keys": scale.read_keys,
        "wrk": f"-t2 -c32 -d{scale.wrk_seconds:g}s, {scale.runs} runs, medians",
        **figures,
        "ratios": {
            "api_token_rps_vs_no_auth": round(figures["api_token"]["rps"] / base, 3),
            "jwt_rps_vs_no_auth": round(figures["jwt"]["rps"] / base, 3),
            "api_token_by_round": [
                round(runs["api_token"][i].rps / runs["no_auth"][i].rps, 3) for i in rounds
            ],
            "jwt_by_round": [round(runs["jwt"][i].rps / runs["no_auth"][i].rps, 3) for i in rounds],
        },
    }


def main() -> None:
    scale, args = parse_scale(__doc__ or "")
    try:
        with temp_dir("bench-auth-") as work:
            loader = optimus_server(work / "open").start()
            api = Api(loader)
            api.create_dataset(DATASET)
            load_dataset(loader, api, DATASET, scale.read_keys, label="reads")
            api.close()
            loader.stop()
            shutil.copytree(work / "open", work / "secured")
            api_token = _api_token(work / "auth.yaml")
            token = _jwt(work / "jwks.json")
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
            results = run(scale, open_server, secured, api_token, token)
    finally:
        stop_all()
    results = {"auth_reads": results}
    print(json.dumps(results["auth_reads"]["ratios"], indent=2))
    for kind in ("no_auth", "api_token", "jwt"):
        figures = results["auth_reads"][kind]
        rps, p99, cpu = (figures[f] for f in ("rps", "p99_ms", "server_cpu_us_per_request"))
        print(f"{kind:10} {rps:>10,.0f} req/s  p99 {p99:.2f} ms  {cpu:.0f} µs CPU/request")
    out = BENCH / "results" / f"{args.name or f'auth-{scale.name}'}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"scale": scale.name, **results}, indent=2) + "\n")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
