"""Schema validation of rendered objects, offline.

- Kubernetes kinds: the OpenAPI schemas of Kubernetes KUBERNETES_VERSION that
  kubernetes-validate ships, in strict mode (unknown fields are errors, as with
  `kubectl apply`'s default server-side field validation).
- Dapr kinds: the openAPIV3Schema of the CRDs in the github.com/dapr/dapr module that
  tools/dapr/go.mod pins (read from the Go module cache, verified against go.sum),
  made strict the same way.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from jsonschema import Draft202012Validator

from tests.deploy.manifests import REPO_ROOT, Obj, is_dapr, ref

# Dapr v1.18.3's operator and injector are built against k8s.io/api v0.32; validating
# against that API keeps the manifests good for every cluster version Dapr supports.
KUBERNETES_VERSION = "1.32.0"
DAPR_TOOLS_DIR = REPO_ROOT / "tools" / "dapr"
# metadata.name of namespaced objects: an RFC 1123 subdomain.
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def kubernetes_problems(obj: Obj) -> list[str]:
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{ref(obj)}: {_where(error.absolute_path)}{error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [f"{ref(obj)}: {error.message}"]
    return []


def dapr_problems(obj: Obj) -> list[str]:
    validator = dapr_validators().get((obj["apiVersion"], obj["kind"]))
    if validator is None:
        return [f"{ref(obj)}: no {obj['apiVersion']} {obj['kind']} CRD in dapr {dapr_version()}"]
    return [
        f"{ref(obj)}: {_where(error.absolute_path)}{error.message}"
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def name_problems(obj: Obj) -> list[str]:
    name = obj["metadata"].get("name", "")
    if len(name) > 253 or not _NAME.match(name):
        return [f"{ref(obj)}: metadata.name is not a valid Kubernetes name"]
    return []


def schema_problems(obj: Obj) -> list[str]:
    """Everything wrong with one object's shape: its schema, and its name."""
    schema = dapr_problems(obj) if is_dapr(obj) else kubernetes_problems(obj)
    return schema + name_problems(obj)


@cache
def dapr_validators() -> dict[tuple[str, str], Draft202012Validator]:
    """A validator per served (apiVersion, kind) of the pinned Dapr release's CRDs."""
    validators = {}
    for path in sorted(dapr_crd_dir().glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd:
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    schema = strict(version["schema"]["openAPIV3Schema"])
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    validators[key] = Draft202012Validator(schema)
    return validators


def dapr_crd_dir() -> Path:
    return dapr_module_dir() / "charts" / "dapr" / "crds"


@cache
def dapr_module_dir() -> Path:
    """github.com/dapr/dapr in the module cache (downloaded and verified if needed)."""
    info = json.loads(_go("mod", "download", "-json", "github.com/dapr/dapr"))
    return Path(info["Dir"])


def dapr_version() -> str:
    return dapr_module_dir().name.split("@v")[-1]


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with unknown fields rejected wherever the CRD lists an object's fields."""
    result = dict(schema)
    if "properties" in result:
        result["properties"] = {k: strict(v) for k, v in result["properties"].items()}
        if "additionalProperties" not in result and not result.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            result["additionalProperties"] = False
    if isinstance(result.get("additionalProperties"), dict):
        result["additionalProperties"] = strict(result["additionalProperties"])
    if isinstance(result.get("items"), dict):
        result["items"] = strict(result["items"])
    for keyword in ("allOf", "anyOf", "oneOf"):
        if keyword in result:
            result[keyword] = [strict(s) for s in result[keyword]]
    return result


def _where(path: Iterator[Any] | Any) -> str:
    parts = [str(p) for p in path]
    return f"{'.'.join(parts)}: " if parts else ""


def _go(*args: str) -> str:
    result = subprocess.run(
        ["go", *args],
        cwd=DAPR_TOOLS_DIR,
        env={**os.environ, "GOWORK": "off"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"go {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout
