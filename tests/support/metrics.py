"""Reading a server's GET /metrics in tests: samples by name and labels."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: httpx.Client) -> Samples:
    """Every sample of the server's metrics (the client's base URL ends in /v1)."""
    root = str(client.base_url).removesuffix("/").removesuffix("/v1")
    response = client.get(f"{root}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value; 0 for a labelled series not yet exported (nothing counted)."""
    return samples.get((name, frozenset(labels.items())), 0.0)
