"""Evaluate a Tiltfile with Tilt's own interpreter (go.starlark.net) and stub builtins.

Each stub takes the parameters of Tilt's builtin of the same name (a wrong keyword
fails as it would in Tilt), resolves paths against the directory of the Tiltfile
being run, and fails on any path that does not exist. `kustomize` renders with the
real kustomize, so resource and object selectors are checked against the objects
Tilt would apply.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import starlark_go
from yaml import safe_load_all

from tests.deploy import kustomize
from tests.deploy.manifests import containers, dapr_annotations, is_workload

# The project's virtualenv: made by .ci/run and the README's setup, not in the repository.
VENV_DIR = ".venv/"
# The sidecar the Dapr injector adds to the pod serves its HTTP API here.
DAPR_SIDECAR_HTTP_PORT = 3500
TRIGGER_MODE_AUTO = 0
TRIGGER_MODE_MANUAL = 1


# The builtins a Tiltfile of ours may call (TiltStubs has a method for each).
BUILTINS = (
    "include",
    "version_settings",
    "docker_build",
    "sync",
    "fall_back_on",
    "kustomize",
    "k8s_yaml",
    "k8s_resource",
    "port_forward",
    "link",
    "local_resource",
)


class TiltfileError(AssertionError):
    """The Tiltfile would fail to load in Tilt, or refers to something that is not there."""


@dataclass
class ImageBuild:
    ref: str
    context: Path
    dockerfile: Path
    target: str
    syncs: list[tuple[Path, str]]


@dataclass
class TiltRun:
    """What the Tiltfile declared, for the tests to inspect."""

    images: list[ImageBuild] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    local_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    assigned: set[tuple[str, str]] = field(default_factory=set)
    version_constraint: str = ""


class TiltStubs:
    """Tilt's builtins, checking their arguments instead of acting on them."""

    def __init__(self, run: TiltRun) -> None:
        self.run = run
        self._dirs: list[Path] = []

    def evaluate(self, tiltfile: Path) -> None:
        with self._in_dir(tiltfile.parent):
            interpreter = starlark_go.Starlark(globals=self.builtins())
            try:
                interpreter.exec(_existing(tiltfile).read_text(), filename=str(tiltfile))
            except starlark_go.StarlarkError as error:
                raise TiltfileError(f"{tiltfile}: {error}") from None

    def builtins(self) -> dict[str, Callable[..., Any] | int]:
        stubs: dict[str, Callable[..., Any] | int] = {
            name: getattr(self, name) for name in BUILTINS
        }
        return {
            **stubs,
            "TRIGGER_MODE_AUTO": TRIGGER_MODE_AUTO,
            "TRIGGER_MODE_MANUAL": TRIGGER_MODE_MANUAL,
        }

    # -- paths --------------------------------------------------------------------

    @contextmanager
    def _in_dir(self, directory: Path) -> Iterator[None]:
        self._dirs.append(directory)
        try:
            yield
        finally:
            self._dirs.pop()

    def path(self, relative: str) -> Path:
        """A path the Tiltfile names, relative to its own directory; it must exist."""
        return _existing((self._dirs[-1] / relative).resolve())

    # -- builtins (Tilt's names and parameters) -----------------------------------

    def include(self, path: str) -> None:
        self.evaluate(self.path(path))

    def version_settings(self, check_updates: bool = True, constraint: str = "") -> None:
        self.run.version_constraint = constraint

    def sync(self, local_path: str, remote_path: str) -> dict[str, Any]:
        if not remote_path.startswith("/"):
            raise ValueError(f"sync remote path must be absolute: {remote_path}")
        return {"step": "sync", "local": str(self.path(local_path)), "remote": remote_path}

    def fall_back_on(self, files: str | list[str]) -> dict[str, Any]:
        return {"step": "fall_back_on", "files": [str(self.path(f)) for f in _listify(files)]}

    def docker_build(
        self,
        ref: str,
        context: str,
        build_args: dict[str, str] | None = None,
        dockerfile: str = "Dockerfile",
        dockerfile_contents: str = "",
        live_update: list[dict[str, Any]] | None = None,
        match_in_env_vars: bool = False,
        ignore: str | list[str] | None = None,
        only: str | list[str] | None = None,
        entrypoint: str | list[str] | None = None,
        target: str = "",
        ssh: str | list[str] = "",
        network: str = "",
        secret: str | list[str] = "",
        extra_tag: str | list[str] = "",
        container_args: list[str] | None = None,
        cache_from: str | list[str] | None = None,
        pull: bool = False,
        platform: str = "",
        extra_hosts: str | list[str] | None = None,
    ) -> None:
        context_dir = self.path(context)
        dockerfile_path = self.path(dockerfile)
        if target and not re.search(
            rf"^FROM\s+\S+\s+AS\s+{re.escape(target)}\s*$",
            dockerfile_path.read_text(),
            re.IGNORECASE | re.MULTILINE,
        ):
            raise ValueError(f"{dockerfile_path} has no build stage {target!r}")
        watched = [_existing(context_dir / p) for p in _listify(only)] or [context_dir]
        steps = live_update or []
        order = [step["step"] for step in steps]
        if order != sorted(order, key=("fall_back_on", "sync", "run").index):
            raise ValueError(f"live_update steps out of order: {order}")
        for step in steps:
            for local in step.get("files", []) + ([step["local"]] if "local" in step else []):
                if not any(Path(local).is_relative_to(w) for w in watched):
                    raise ValueError(f"live_update path {local} is outside the build's files")
        syncs = [(Path(s["local"]), s["remote"]) for s in steps if s["step"] == "sync"]
        self.run.images.append(ImageBuild(ref, context_dir, dockerfile_path, target, syncs))

    def kustomize(
        self, pathToDir: str, kustomize_bin: str | None = None, flags: list[str] | None = None
    ) -> str:
        return kustomize.build_text(self.path(pathToDir))

    def k8s_yaml(self, yaml: str | list[str], allow_duplicates: bool = False) -> None:
        # A Blob (here: YAML text) or path(s) to YAML files.
        texts = (
            [yaml]
            if isinstance(yaml, str) and "\n" in yaml
            else [self.path(p).read_text() for p in _listify(yaml)]
        )
        for text in texts:
            self.run.objects.extend(doc for doc in safe_load_all(text) if doc)

    def port_forward(
        self,
        local_port: int,
        container_port: int | None = None,
        name: str | None = None,
        link_path: str | None = None,
        host: str | None = None,
    ) -> dict[str, Any]:
        return {"local_port": local_port, "container_port": container_port or local_port}

    def link(self, url: str, name: str | None = None) -> dict[str, Any]:
        return {"url": url, "name": name}

    def k8s_resource(
        self,
        workload: str = "",
        new_name: str = "",
        port_forwards: Any = None,
        extra_pod_selectors: Any = None,
        trigger_mode: int = TRIGGER_MODE_AUTO,
        resource_deps: list[str] | None = None,
        objects: list[str] | None = None,
        auto_init: bool = True,
        pod_readiness: str = "",
        links: Any = None,
        labels: str | list[str] | None = None,
        discovery_strategy: str = "",
    ) -> None:
        if workload:
            found = [o for o in self.run.objects if is_workload(o) and _name(o) == workload]
            if len(found) != 1:
                raise ValueError(f"no workload {workload!r} in the applied YAML")
            ports = {
                port["containerPort"]
                for container in containers(found[0])
                for port in container.get("ports", [])
            }
            if dapr_annotations(found[0]).get("dapr.io/enabled") == "true":
                ports.add(DAPR_SIDECAR_HTTP_PORT)
            for forward in _listify(port_forwards):
                if forward["container_port"] not in ports:
                    raise ValueError(f"{workload}: no container port {forward['container_port']}")
        elif not (new_name and objects):
            raise ValueError("k8s_resource needs a workload, or new_name with objects")
        if pod_readiness not in ("", "ignore", "wait"):
            raise ValueError(f"pod_readiness {pod_readiness!r}")
        for selector in objects or []:
            self._assign(selector)
        self.run.resources[new_name or workload] = {
            "workload": workload,
            "resource_deps": resource_deps or [],
            "port_forwards": _listify(port_forwards),
        }

    def local_resource(
        self,
        name: str,
        cmd: str | list[str],
        deps: str | list[str] | None = None,
        trigger_mode: int = TRIGGER_MODE_AUTO,
        resource_deps: list[str] | None = None,
        ignore: str | list[str] | None = None,
        auto_init: bool = True,
        serve_cmd: str | list[str] = "",
        cmd_bat: str | list[str] = "",
        serve_cmd_bat: str | list[str] = "",
        allow_parallel: bool = False,
        links: Any = None,
        labels: list[str] | None = None,
        env: dict[str, str] | None = None,
        serve_env: dict[str, str] | None = None,
        readiness_probe: Any = None,
        dir: str = "",
        serve_dir: str = "",
    ) -> None:
        if name in self.run.local_resources:
            raise ValueError(f"local_resource {name!r} defined twice")
        workdir = self.path(dir or ".")
        for dep in _listify(deps):
            self.path(dep)
        words = shlex.split(cmd) if isinstance(cmd, str) else cmd
        for word in words:  # every path in the command, e.g. bench/run.py
            if "/" in word and not word.startswith(("-", VENV_DIR)):
                _existing(workdir / word)
        self.run.local_resources[name] = {"cmd": words, "dir": workdir, "auto_init": auto_init}

    # -- object selectors -----------------------------------------------------------

    def _assign(self, selector: str) -> None:
        """`name:kind[:namespace]` must match exactly one object not yet in a resource."""
        name, kind, *namespace = selector.split(":")
        matches = [
            o
            for o in self.run.objects
            if _name(o) == name
            and o["kind"].lower() == kind.lower()
            and (not namespace or o["metadata"].get("namespace") == namespace[0])
        ]
        if len(matches) != 1:
            raise ValueError(f"object selector {selector!r} matches {len(matches)} objects")
        key = (matches[0]["kind"], name)
        if key in self.run.assigned or is_workload(matches[0]):
            raise ValueError(f"object selector {selector!r}: already in a resource")
        self.run.assigned.add(key)


def evaluate(tiltfile: Path) -> TiltRun:
    """Run the Tiltfile against the stubs; raises TiltfileError on the first problem."""
    run = TiltRun()
    TiltStubs(run).evaluate(tiltfile)
    return run


def _existing(path: Path) -> Path:
    if not path.exists():
        raise ValueError(f"path does not exist: {path}")
    return path


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _name(obj: dict[str, Any]) -> str:
    return obj["metadata"]["name"]
