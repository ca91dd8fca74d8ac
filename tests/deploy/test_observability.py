"""deploy/observability: PodMonitors that find the app's pods, and a dashboard of real metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.manifests import DEPLOY_DIR, Obj, is_workload
from tests.deploy.monitoring import pod_monitor_problems
from tests.deploy.schemas import schema_problems
from tests.support.api import Api
from tests.support.server import OptimusServer

DASHBOARD = DEPLOY_DIR / "observability" / "optimus-dashboard.json"
_METRIC = re.compile(r"\boptimus_[a-z0-9_]+")


def test_every_pod_monitor_scrapes_the_metrics_port_of_the_api_and_the_loader(
    rendered: Callable[[str], list[Obj]],
) -> None:
    workloads = [obj for obj in rendered("base") if is_workload(obj)]
    monitors = [obj for obj in rendered("observability") if obj["kind"] == "PodMonitor"]
    assert {m["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for m in monitors} == {
        "optimus-api",
        "optimus-loader",
    }
    assert [p for m in monitors for p in pod_monitor_problems(m, workloads)] == []


def test_the_dashboard_is_a_valid_config_map_for_grafana(
    rendered: Callable[[str], list[Obj]],
) -> None:
    (config_map,) = [o for o in rendered("observability") if o["kind"] == "ConfigMap"]
    assert schema_problems(config_map) == []
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["optimus-dashboard.json"])["uid"] == "optimus"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[str]]:
    """Every metric name a real embedded server exports, after a load, save and publish."""
    server = OptimusServer(tmp_path_factory.mktemp("dashboard") / "data").start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            name = api.create_dataset()
            version = api.create_version(name)
            api.load(name, version, "items", {"a": 1})
            api.save(version)
            api.publish(version)
            api.get(name, "items", "a")
            text = httpx.get(f"{server.url}/metrics", timeout=30).text
    finally:
        server.stop()
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    yield names


def _queries(dashboard: Path) -> list[str]:
    panels = json.loads(dashboard.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_every_dashboard_query_names_metrics_the_app_exports(exported: set[str]) -> None:
    queries = _queries(DASHBOARD)
    assert queries
    for query in queries:
        named = set(_METRIC.findall(query))
        assert named, f"no Optimus metric in {query!r}"
        assert named <= exported, f"{query!r} names {sorted(named - exported)}"
