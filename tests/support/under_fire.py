"""Clients that keep writing while a test kills the server: they record what was acknowledged."""

from __future__ import annotations

import threading
import time

import httpx

from tests.support.waiting import eventually


class BatchSenders:
    """Threads posting the batches of one version (round robin); which ones got a 201.

    A request that gets no answer (the server is being killed) is skipped, as a
    loader would, to be sent again when the test resumes the load.
    """

    def __init__(self, url: str, version_id: str, batches: list[list[dict]], threads: int) -> None:
        self.acknowledged: set[int] = set()
        self._url = url
        self._version_id = version_id
        self._batches = batches
        self._threads = [
            threading.Thread(target=self._send, args=(first, threads)) for first in range(threads)
        ]

    def start(self) -> BatchSenders:
        for thread in self._threads:
            thread.start()
        return self

    def wait_for(self, count: int) -> None:
        """Until `count` batches are acknowledged: the load is well under way."""
        eventually(lambda: len(self.acknowledged) >= count, pause=0.005, what=f"{count} batches")

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def _send(self, first: int, step: int) -> None:
        with httpx.Client(timeout=30) as client:
            for index in range(first, len(self._batches), step):
                try:
                    response = client.post(
                        self._url,
                        params={"version-id": self._version_id},
                        json=self._batches[index],
                    )
                except httpx.TransportError:
                    continue
                if response.status_code == 201:
                    self.acknowledged.add(index)


class PublishInTurn:
    """A thread publishing `versions` one after the other until stopped; the acknowledged ones."""

    def __init__(self, base_url: str, versions: list[str]) -> None:
        self.acknowledged: list[str] = []
        self._base_url = base_url
        self._versions = versions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._publish)

    def start(self) -> PublishInTurn:
        self._thread.start()
        return self

    def wait_acknowledged(self, timeout_s: float = 60) -> None:
        """Until a first publish was acknowledged (a busy machine may take a while)."""
        deadline = time.monotonic() + timeout_s
        while not self.acknowledged and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.01)

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join()
        return self.acknowledged

    def _publish(self) -> None:
        with httpx.Client(base_url=self._base_url, timeout=30) as client:
            n = 0
            while not self._stop.is_set():
                target = self._versions[n % len(self._versions)]
                try:
                    response = client.post(f"/versions/{target}/publish")
                except httpx.TransportError:
                    return  # the server died under us
                if response.status_code == 202:
                    self.acknowledged.append(target)
                n += 1
