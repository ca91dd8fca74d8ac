"""Candidate readers see exactly one version per response while publishes and stages storm."""

from __future__ import annotations

import threading
import time

import httpx

from tests.support.api import Api

KEYS = [f"key-{n:03d}" for n in range(100)]
RUN_SECONDS = 2.0
CANDIDATE = {"x-optimus-track": "candidate"}


def test_candidate_reads_never_mix_versions_under_a_publish_storm(
    api: Api, optimus_base_url: str
) -> None:
    name = api.create_dataset(
        **{"eviction-policy": {"type": "keep-last-x-versions", "versions": 10}}
    )
    labels: dict[str, str] = {}
    for label in ("alpha", "beta", "gamma", "delta"):
        version_id = api.create_version(name)
        api.load(name, version_id, "items", {k: {"label": label} for k in KEYS})
        assert api.save(version_id)["status"] == "SAVED"
        labels[version_id] = label
    published, staged = list(labels)[:2], list(labels)[2:]
    api.publish(published[0])

    stop = threading.Event()
    problems: list[str] = []
    counts = {"reads": 0, "moves": 0}

    def reader() -> None:
        with httpx.Client(base_url=optimus_base_url, timeout=10) as client:
            while not stop.is_set():
                response = client.request(
                    "GET",
                    f"/datasets/{name}/tables/items/entries",
                    headers=CANDIDATE,
                    json=[{"key": k} for k in KEYS],
                )
                if response.status_code != 200:
                    problems.append(f"{response.status_code}: {response.text}")
                    continue
                version = response.headers["x-version-id"]
                seen = {value["label"] for value in response.json()["data"].values()}
                if seen != {labels[version]}:
                    problems.append(f"{version} answered {seen}")
                counts["reads"] += 1

    def mover() -> None:
        with httpx.Client(base_url=optimus_base_url, timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                client.post(f"/versions/{staged[n % 2]}/stage")
                client.post(f"/versions/{published[n % 2]}/publish")
                if n % 3 == 0:
                    client.post(f"/versions/{staged[n % 2]}/unstage")
                counts["moves"] += 1

    threads = [threading.Thread(target=reader) for _ in range(3)]
    threads.append(threading.Thread(target=mover))
    for thread in threads:
        thread.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not problems, problems[:5]
    assert counts["reads"] > 0 and counts["moves"] > 0, counts
