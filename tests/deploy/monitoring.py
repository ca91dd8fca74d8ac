"""Targeted checks of Prometheus Operator objects (their CRD schemas are not to be had offline).

What would break scraping: an unknown field (the operator's CRDs are strict), a
selector that matches no pod of the app, a port name the pods don't have, a path
the app doesn't serve.
"""

from __future__ import annotations

from optimus.entrypoints.api.metrics import METRICS_PATH
from tests.deploy.manifests import Obj, ref

MONITORING_API = "monitoring.coreos.com/v1"
POD_MONITOR_SPEC = {"selector", "podMetricsEndpoints", "namespaceSelector", "jobLabel"}
ENDPOINT_FIELDS = {"port", "path", "interval", "scrapeTimeout", "scheme", "honorLabels"}


def _pods(workloads: list[Obj]) -> list[tuple[dict[str, str], set[str]]]:
    """(pod labels, container port names) of each workload's pod template."""
    found = []
    for workload in workloads:
        template = workload["spec"]["template"]
        ports = {
            port["name"]
            for container in template["spec"]["containers"]
            for port in container.get("ports", [])
            if "name" in port
        }
        found.append((template["metadata"].get("labels", {}), ports))
    return found


def pod_monitor_problems(monitor: Obj, workloads: list[Obj]) -> list[str]:
    where = ref(monitor)
    if monitor["apiVersion"] != MONITORING_API or monitor["kind"] != "PodMonitor":
        return [f"{where}: not a {MONITORING_API} PodMonitor"]
    spec = monitor["spec"]
    problems = [f"{where}: unknown spec field {name}" for name in set(spec) - POD_MONITOR_SPEC]
    wanted = spec.get("selector", {}).get("matchLabels", {})
    if set(spec.get("selector", {})) - {"matchLabels"} or not wanted:
        problems.append(f"{where}: spec.selector must be a non-empty matchLabels")
    matched = [ports for labels, ports in _pods(workloads) if wanted.items() <= labels.items()]
    if not matched:
        problems.append(f"{where}: its selector matches no pod template")
    endpoints = spec.get("podMetricsEndpoints") or []
    if not endpoints:
        problems.append(f"{where}: no podMetricsEndpoints")
    for endpoint in endpoints:
        unknown = set(endpoint) - ENDPOINT_FIELDS
        problems += [f"{where}: unknown endpoint field {name}" for name in unknown]
        if any(endpoint.get("port") not in ports for ports in matched):
            problems.append(f"{where}: port {endpoint.get('port')!r} is not a named pod port")
        if endpoint.get("path") != METRICS_PATH:
            problems.append(f"{where}: path {endpoint.get('path')!r} is not {METRICS_PATH}")
    return problems
