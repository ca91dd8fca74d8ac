"""Contract checks: the rendered manifests agree with the application and with Dapr.

Each check takes the objects of one rendered overlay and returns problems, one
sentence each, naming the object; an empty list means the overlay keeps the contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import yaml

from optimus.entrypoints.cli import DEFAULT_PORT
from optimus.hosts.dapr.app import EVENTS_ROUTE
from optimus.hosts.dapr.components import API_APP_ID, LOADER_APP_ID, DaprNames
from tests.deploy import app_contract, schemas
from tests.deploy.manifests import (
    REPO_ROOT,
    Obj,
    by_name,
    containers,
    dapr_annotations,
    dapr_apps,
    metadata_items,
    of_kind,
    ref,
)

CONSUMER_EXAMPLE_APP_ID = "optimus-consumer-example"
KNOWN_APP_IDS = frozenset({API_APP_ID, LOADER_APP_ID, CONSUMER_EXAMPLE_APP_ID})
# The ports each Optimus app listens on (the loader worker's is fixed by the issue).
APP_PORTS = {API_APP_ID: DEFAULT_PORT, LOADER_APP_ID: 8889}
APP_COMMANDS = {API_APP_ID: "serve", LOADER_APP_ID: "loader-worker"}
LOCAL_COMPONENT_DIRS = ("common", "local", "redis", "postgres")
# Names of component metadata and environment variables that hold credentials.
_SECRET_NAME = re.compile(r"password|passwd|secret|token|credential|connectionstring|apikey", re.I)
_URL_WITH_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]+@")

Check = Callable[[list[Obj]], list[str]]


def app_problems(objects: list[Obj]) -> list[str]:
    """App id, port, args, probes and sidecar annotations of every Optimus workload."""
    problems = []
    apps = dapr_apps(objects)
    for app_id in (API_APP_ID, LOADER_APP_ID):
        if app_id not in apps:
            problems.append(f"no Dapr-enabled workload with app id {app_id}")
    for app_id, workload in apps.items():
        annotations = dapr_annotations(workload)
        for key in sorted(set(annotations) - dapr_annotation_keys()):
            problems.append(
                f"{ref(workload)}: {key} is not a Dapr {schemas.dapr_version()} annotation"
            )
        config = annotations.get("dapr.io/config")
        if config and config not in by_name(objects, "Configuration"):
            problems.append(f"{ref(workload)}: dapr.io/config {config} does not exist")
        if app_id in APP_PORTS:
            problems += _app_port_problems(workload, app_id, annotations)
    return problems


def _app_port_problems(workload: Obj, app_id: str, annotations: dict[str, str]) -> list[str]:
    problems = []
    port = APP_PORTS[app_id]
    if annotations.get("dapr.io/app-port") != str(port):
        problems.append(
            f"{ref(workload)}: dapr.io/app-port is {annotations.get('dapr.io/app-port')}, "
            f"the app listens on {port}"
        )
    if annotations.get("dapr.io/app-protocol", "http") != "http":
        problems.append(f"{ref(workload)}: the app speaks HTTP to its sidecar")
    container = containers(workload)[0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    if port not in ports.values():
        problems.append(f"{ref(workload)}: no containerPort {port}")
    args = container.get("args", [])
    parsed = app_contract.parse_args(args)
    if parsed is None:  # refused, or not (yet) a command of the CLI
        problems.append(f"{ref(workload)}: `optimus {' '.join(args)}` fails")
    else:
        command, params = parsed
        # Probes reach the pod's IP, so the app listens on every interface.
        expected = {"port": port, "host": "0.0.0.0"} | (
            {"dapr": True} if command == "serve" else {}
        )
        wrong = {k: params.get(k) for k, v in expected.items() if params.get(k) != v}
        if command != APP_COMMANDS[app_id] or wrong:
            problems.append(f"{ref(workload)}: runs `optimus {command}` with {wrong or params}")
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = container.get(kind, {}).get("httpGet")
        if probe is None:
            problems.append(f"{ref(workload)}: no HTTP {kind}")
        elif ports.get(probe["port"], probe["port"]) != port:
            problems.append(f"{ref(workload)}: {kind} is not on the app's port {port}")
    if app_id == API_APP_ID:
        problems += _api_probe_problems(workload, container)
    return problems


def _api_probe_problems(workload: Obj, container: Obj) -> list[str]:
    """Liveness answers 200 with no sidecar; readiness answers 503 until views are loaded."""
    problems = []
    api = app_contract.ApiProbe(app_contract.names_in(_env(container)))
    for kind in ("startupProbe", "livenessProbe"):
        path = container.get(kind, {}).get("httpGet", {}).get("path")
        if path and api.status(path) != 200:
            problems.append(f"{ref(workload)}: {kind} {path} is not 200 while the process runs")
    path = container.get("readinessProbe", {}).get("httpGet", {}).get("path")
    if path and api.status(path) != 503:
        problems.append(
            f"{ref(workload)}: readinessProbe {path} answers {api.status(path)} "
            "before the replica reaches its sidecar and loads its views (want 503)"
        )
    return problems


def component_problems(objects: list[Obj]) -> list[str]:
    """Every component the apps (and components/) name exists and is scoped to its users."""
    components = by_name(objects, "Component")
    problems = []
    for name in sorted(local_component_names() - set(components)):
        problems.append(f"component {name} (components/) is missing")
    for app_id, workload in dapr_apps(objects).items():
        if app_id not in APP_PORTS:
            continue
        names = app_contract.names_in(_env(containers(workload)[0]))
        for name in (names.entries_store, names.pubsub):
            component = components.get(name)
            if component is None:
                problems.append(f"{ref(workload)} uses component {name}, which does not exist")
            elif app_id not in component.get("scopes", [app_id]):
                problems.append(f"Component/{name}: not scoped to {app_id}, which uses it")
    actor_stores = [c for c in components.values() if _is_actor_state_store(c)]
    if [c["metadata"]["name"] for c in actor_stores] != ["optimus-actorstate"]:
        problems.append("want exactly one actor state store, optimus-actorstate")
    for store in actor_stores:
        if store.get("scopes") != [API_APP_ID]:
            problems.append(f"{ref(store)}: the actor state store is for {API_APP_ID} alone")
    for component in components.values():
        for app_id in sorted(set(component.get("scopes", [])) - KNOWN_APP_IDS):
            problems.append(f"{ref(component)}: scoped to unknown app id {app_id}")
    resiliency_targets = {
        name
        for resiliency in of_kind(objects, "Resiliency")
        for name in resiliency["spec"].get("targets", {}).get("components", {})
    }
    for name in sorted(resiliency_targets - set(components)):
        problems.append(f"Resiliency targets component {name}, which does not exist")
    return problems


def pubsub_problems(objects: list[Obj]) -> list[str]:
    """The topic and pub/sub of the publisher, its own subscription and the consumer's agree."""
    problems = []
    components = by_name(objects, "Component")
    api = dapr_apps(objects).get(API_APP_ID)
    if api is None:
        return [f"no workload with app id {API_APP_ID}"]
    publisher = app_contract.names_in(_env(containers(api)[0]))
    subscribed = app_contract.ApiProbe(publisher).subscriptions()
    if subscribed != [app_contract.Subscription(publisher.pubsub, publisher.topic, EVENTS_ROUTE)]:
        problems.append(f"{ref(api)}: subscribes to {subscribed}, publishes to {publisher}")
    subscriptions = of_kind(objects, "Subscription")
    if not any(s.get("scopes") == [CONSUMER_EXAMPLE_APP_ID] for s in subscriptions):
        problems.append(f"no Subscription scoped to {CONSUMER_EXAMPLE_APP_ID}")
    for subscription in subscriptions:
        problems += _subscription_problems(subscription, publisher, components)
    return problems


def _subscription_problems(
    subscription: Obj, publisher: DaprNames, components: dict[str, Obj]
) -> list[str]:
    spec = subscription["spec"]
    problems = []
    if spec.get("pubsubname") != publisher.pubsub or spec.get("topic") != publisher.topic:
        problems.append(
            f"{ref(subscription)}: {spec.get('pubsubname')}/{spec.get('topic')}, but events "
            f"are published to {publisher.pubsub}/{publisher.topic}"
        )
    declared = app_contract.Subscription(
        spec.get("pubsubname", ""),
        spec.get("topic", ""),
        spec.get("routes", {}).get("default", spec.get("route", "")),
    )
    # For the same topic, Dapr 1.18 lets an app's own (programmatic) subscription replace
    # the declarative one: they must agree, or the manifest says something that never runs.
    if subscription.get("scopes") == [CONSUMER_EXAMPLE_APP_ID] and declared not in (
        app_contract.consumer_example_subscriptions()
    ):
        problems.append(
            f"{ref(subscription)}: {declared}, but the example consumer subscribes to "
            f"{app_contract.consumer_example_subscriptions()}"
        )
    pubsub = components.get(spec.get("pubsubname", ""))
    for app_id in subscription.get("scopes", []):
        if pubsub is not None and app_id not in pubsub.get("scopes", [app_id]):
            problems.append(f"{ref(subscription)}: {app_id} is not in the pub/sub's scopes")
    return problems


def secret_problems(objects: list[Obj]) -> list[str]:
    """No credential in the manifests: Secrets come from the cluster, components refer to them."""
    problems = []
    for secret in of_kind(objects, "Secret"):
        if secret.get("data") or secret.get("stringData"):
            problems.append(f"{ref(secret)}: secret values in git")
    for component in of_kind(objects, "Component"):
        uses_refs = False
        for name, item in metadata_items(component).items():
            uses_refs |= "secretKeyRef" in item
            if "value" in item and (_SECRET_NAME.search(name) or _has_password(item["value"])):
                problems.append(f"{ref(component)}: {name} in plaintext (use secretKeyRef)")
        if uses_refs and not component.get("auth", {}).get("secretStore"):
            problems.append(f"{ref(component)}: secretKeyRef without auth.secretStore")
    for workload in dapr_apps(objects).values():
        for container in containers(workload):
            for var in container.get("env", []):
                if "value" in var and (
                    _SECRET_NAME.search(var["name"]) or _has_password(var["value"])
                ):
                    problems.append(f"{ref(workload)}: env {var['name']} in plaintext")
    return problems


def auth_problems(objects: list[Obj]) -> list[str]:
    """The API runs with authentication, and only its sidecar may call it (and it its sidecar)."""
    workload = dapr_apps(objects).get(API_APP_ID)
    if workload is None:
        return [f"no Dapr-enabled workload with app id {API_APP_ID}"]
    problems = []
    container = containers(workload)[0]
    parsed = app_contract.parse_args(container.get("args", []))
    params = parsed[1] if parsed else {}
    if not (params.get("auth_file") or params.get("oidc_issuer")):
        problems.append(f"{ref(workload)}: the API runs without --auth-file or --oidc-issuer")
    if params.get("insecure_no_auth"):
        problems.append(f"{ref(workload)}: the API runs with --insecure-no-auth")
    annotations = dapr_annotations(workload)
    env = {var["name"]: var for var in container.get("env", [])}
    for variable, annotation in (
        ("APP_API_TOKEN", "dapr.io/app-token-secret"),
        ("DAPR_API_TOKEN", "dapr.io/api-token-secret"),
    ):
        secret = annotations.get(annotation)
        reference = env.get(variable, {}).get("valueFrom", {}).get("secretKeyRef", {})
        if not secret:
            problems.append(f"{ref(workload)}: no {annotation} annotation")
        elif reference.get("name") != secret:
            problems.append(f"{ref(workload)}: env {variable} is not the Secret {secret}")
    return problems


CHECKS: tuple[Check, ...] = (
    app_problems,
    component_problems,
    pubsub_problems,
    secret_problems,
    auth_problems,
)


def contract_problems(objects: list[Obj]) -> list[str]:
    return [problem for check in CHECKS for problem in check(objects)]


@cache
def dapr_annotation_keys() -> frozenset[str]:
    """The pod annotations the pinned Dapr release's sidecar injector reads."""
    source = schemas.dapr_module_dir() / "pkg" / "injector" / "annotations" / "annotations.go"
    return frozenset(re.findall(r'"(dapr\.io/[a-z0-9-]+)"', source.read_text()))


@cache
def local_component_names() -> frozenset[str]:
    """Component names of the local runs' sets (components/README.md: the deploy contract)."""
    return frozenset(
        component["metadata"]["name"]
        for folder in LOCAL_COMPONENT_DIRS
        for path in (REPO_ROOT / "components" / folder).glob("*.yaml")
        if (component := yaml.safe_load(path.read_text()))["kind"] == "Component"
    )


def _is_actor_state_store(component: Obj) -> bool:
    item = metadata_items(component).get("actorStateStore", {})
    return str(item.get("value", "")).lower() == "true"


def _has_password(value: object) -> bool:
    return isinstance(value, str) and bool(_URL_WITH_PASSWORD.search(value))


def _env(container: Obj) -> dict[str, str]:
    return {var["name"]: var["value"] for var in container.get("env", []) if "value" in var}
