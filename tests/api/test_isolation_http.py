"""Readers see exactly one version per response while versions are published and rolled back."""

from __future__ import annotations

import threading
import time

import httpx

from tests.support.api import Api

KEYS = [f"key-{n:03d}" for n in range(120)]
RUN_SECONDS = 3.0


def test_readers_never_see_a_mix_of_versions(api: Api, optimus_base_url: str) -> None:
    name = api.create_dataset()
    labels: dict[str, str] = {}
    for label in ("alpha", "beta", "gamma"):
        version_id = api.publish_new(name, "items", {k: {"label": label, "k": k} for k in KEYS})
        labels[version_id] = label
    versions = list(labels)

    stop = threading.Event()
    problems: list[str] = []
    reads = {"single": 0, "many": 0, "publishes": 0}

    def reader(many: bool) -> None:
        with httpx.Client(base_url=optimus_base_url, timeout=10) as client:
            helper = Api(client)
            n = 0
            while not stop.is_set():
                n += 1
                if many:
                    response = helper.get_many(name, "items", KEYS[n % 60 : n % 60 + 60])
                else:
                    response = helper.get(name, "items", KEYS[n % len(KEYS)])
                if response.status_code != 200:
                    problems.append(f"a read answered {response.status_code}: {response.text}")
                    continue
                if many:
                    seen = {v["label"] for v in response.json()["data"].values()}
                    reads["many"] += 1
                else:
                    seen = {response.json()["label"]}
                    reads["single"] += 1
                served = response.headers["x-version-id"]
                if seen != {labels[served]}:
                    problems.append(f"{served} ({labels[served]}) answered with {seen}")

    def publisher() -> None:
        with httpx.Client(base_url=optimus_base_url, timeout=10) as client:
            helper = Api(client)
            n = 0
            while not stop.is_set():
                target = versions[n % len(versions)]
                helper.publish(target)
                reads["publishes"] += 1
                after = helper.get(name, "items", KEYS[0])
                if after.headers["x-version-id"] != target:
                    problems.append(f"read after publishing {target} got {after.headers}")
                n += 1

    threads = [threading.Thread(target=reader, args=(many,)) for many in (False, False, True, True)]
    threads.append(threading.Thread(target=publisher))
    for thread in threads:
        thread.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert not problems, problems[:5]
    assert reads["publishes"] > 10 and reads["single"] > 50 and reads["many"] > 20, reads
