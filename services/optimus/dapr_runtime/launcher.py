"""Run the real Dapr runtime on loopback: one cluster, any number of app replicas.

A :class:`DaprCluster` owns the shared services (placement, scheduler,
redis-server for the redis and postgres component sets, a PostgreSQL server for
the postgres set) and the rendered components. Each
:class:`AppReplica` is one app process plus its own daprd, attached to the
cluster. Every port is picked free on 127.0.0.1 and every file lives under the
cluster's ``run_dir``, so concurrent runs do not collide.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from . import postgres
from .binaries import DaprBinaries, resolve_binaries
from .processes import (
    LOOPBACK,
    ManagedProcess,
    format_tails,
    free_ports,
    grpc_serving,
    http_ok,
    redis_pong,
    wait_until,
)
from .resources import ComponentSet, RenderedResources, render

APP_PORT_PLACEHOLDER = "{app_port}"


@dataclass(frozen=True)
class AppSpec:
    """What to run next to a daprd.

    ``command`` may contain ``{app_port}``; the app also finds its port and its
    sidecar's in the environment (``APP_PORT``, ``DAPR_HTTP_PORT``, ``DAPR_GRPC_PORT``).
    """

    app_id: str
    command: Sequence[str]
    app_port: int | None = None  # None: pick a free one
    # "grpc": the sidecar talks gRPC to the app port, and the app is ready once its
    # grpc.health.v1 says SERVING; "http": once GET health_path answers 2xx.
    app_protocol: str = "http"
    health_path: str = "/healthz"
    env: Mapping[str, str] = field(default_factory=dict)
    sidecar_env: Mapping[str, str] = field(default_factory=dict)
    daprd_args: Sequence[str] = ()
    cwd: Path | None = None


class DaprCluster:
    """Placement + scheduler (+ redis-server, PostgreSQL) and the rendered components."""

    def __init__(
        self,
        component_set: ComponentSet | str,
        run_dir: Path,
        binaries: DaprBinaries | None = None,
        log_level: str = "info",
        trace_to: str | None = None,
    ) -> None:
        self.component_set = ComponentSet(component_set)
        # host:port of an OTLP/HTTP receiver: the sidecars then trace every call to it.
        self.trace_to = trace_to or os.environ.get("OPTIMUS_DAPR_TRACE_TO")
        self.run_dir = run_dir
        self.data_dir = run_dir / "data"
        self.log_level = log_level
        self._binaries = binaries
        self.apps: list[AppReplica] = []
        self._services: list[ManagedProcess] = []
        self.placement_port: int | None = None
        self.scheduler_port: int | None = None
        self.redis_port: int | None = None
        self.postgres_port: int | None = None
        self._postgres_data_dir: Path | None = None
        self.resources: RenderedResources | None = None

    @property
    def binaries(self) -> DaprBinaries:
        if self._binaries is None:
            self._binaries = resolve_binaries()
        return self._binaries

    @property
    def processes(self) -> list[ManagedProcess]:
        return [*self._services, *(p for app in self.apps for p in app.processes)]

    def start(self, timeout: float = 60.0) -> DaprCluster:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            variables = {
                "DATA_DIR": str(self.data_dir),
                "TRACING_SAMPLING_RATE": "1" if self.trace_to else "0",
                "OTLP_ENDPOINT": self.trace_to or f"{LOOPBACK}:4318",
            }
            if self.component_set in (ComponentSet.REDIS, ComponentSet.POSTGRES):
                variables["REDIS_HOST"] = f"{LOOPBACK}:{self._start_redis(timeout)}"
            if self.component_set is ComponentSet.POSTGRES:
                variables["POSTGRES_URL"] = postgres.connection_url(self._start_postgres(timeout))
            self.resources = render(self.component_set, self.run_dir, variables)
            self._start_placement(timeout)
            self._start_scheduler(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def add_app(self, spec: AppSpec, timeout: float = 60.0) -> AppReplica:
        """Start one more replica of ``spec`` (app + daprd) and wait until both are healthy."""
        if self.resources is None:
            raise RuntimeError("start() the cluster before adding apps")
        replica = AppReplica(self, spec, name=f"{spec.app_id}-{len(self.apps)}")
        self.apps.append(replica)
        replica.start(timeout)
        return replica

    def stop(self) -> None:
        """Stop apps first (they drain actors through placement), then the services."""
        for app in reversed(self.apps):
            app.stop()
        for process in reversed(self._services):
            process.stop()
        if self._postgres_data_dir is not None:
            postgres.remove_data_dir(self._postgres_data_dir)
            self._postgres_data_dir = None

    def log_tails(self, lines: int = 40) -> str:
        return format_tails(self.processes, lines)

    def __enter__(self) -> DaprCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_placement(self, timeout: float) -> None:
        self.placement_port, health, raft = free_ports(3)
        placement = self._spawn(
            "placement",
            [
                self.binaries.placement, "--port", self.placement_port,
                "--healthz-port", health, "--healthz-listen-address", LOOPBACK,
                "--listen-address", LOOPBACK,
                "--initial-cluster", f"dapr-placement-0={LOOPBACK}:{raft}",
                "--enable-metrics=false", "--log-level", self.log_level,
            ],
        )  # fmt: skip
        healthy = http_ok(f"http://{LOOPBACK}:{health}/healthz")
        wait_until(healthy, "placement", [placement], timeout)

    def _start_scheduler(self, timeout: float) -> None:
        self.scheduler_port, health, etcd_client, etcd_peer = free_ports(4)
        scheduler = self._spawn(
            "scheduler",
            [
                self.binaries.scheduler, "--port", self.scheduler_port,
                "--healthz-port", health, "--healthz-listen-address", LOOPBACK,
                "--listen-address", LOOPBACK,
                "--override-broadcast-host-port", f"{LOOPBACK}:{self.scheduler_port}",
                "--etcd-data-dir", self.run_dir / "scheduler-etcd",
                "--etcd-client-port", etcd_client, "--etcd-client-listen-address", LOOPBACK,
                "--etcd-initial-cluster", f"dapr-scheduler-server-0=http://{LOOPBACK}:{etcd_peer}",
                "--enable-metrics=false", "--log-level", self.log_level,
            ],
        )  # fmt: skip
        healthy = http_ok(f"http://{LOOPBACK}:{health}/healthz")
        wait_until(healthy, "scheduler", [scheduler], timeout)

    def _start_redis(self, timeout: float) -> int:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise FileNotFoundError("redis-server not found: apt-get install -y redis-server")
        (self.run_dir / "redis").mkdir(parents=True, exist_ok=True)
        (self.redis_port,) = free_ports(1)
        redis = self._spawn(
            "redis",
            [
                redis_server, "--port", self.redis_port, "--bind", LOOPBACK,
                "--dir", self.run_dir / "redis", "--save", "", "--appendonly", "no",
            ],
        )  # fmt: skip
        wait_until(redis_pong(self.redis_port), "redis-server", [redis], timeout)
        return self.redis_port

    def _start_postgres(self, timeout: float) -> int:
        self._postgres_data_dir = postgres.new_data_dir(self.run_dir)
        postgres.initdb(self._postgres_data_dir)
        (self.postgres_port,) = free_ports(1)
        server = self._spawn(
            "postgres", postgres.server_argv(self._postgres_data_dir, self.postgres_port)
        )
        ready = postgres.accepts_connections(self.postgres_port)
        wait_until(ready, "postgres", [server], timeout)
        return self.postgres_port

    def _spawn(self, name: str, argv: Sequence[object]) -> ManagedProcess:
        process = ManagedProcess(
            name, [str(a) for a in argv], self.run_dir / "logs" / f"{name}.log"
        )
        self._services.append(process)
        process.start()
        return process


class AppReplica:
    """One app process and its daprd. Ports stay the same across restarts."""

    def __init__(self, cluster: DaprCluster, spec: AppSpec, name: str) -> None:
        self.cluster = cluster
        self.spec = spec
        self.name = name
        free_app_port, self.http_port, self.grpc_port, internal_grpc_port = free_ports(4)
        self.app_port = spec.app_port or free_app_port
        resources = cluster.resources
        assert resources is not None  # add_app() checks this
        logs = cluster.run_dir / "logs"
        daprd_argv = [
            cluster.binaries.daprd,
            "--app-id", spec.app_id, "--app-port", self.app_port,
            "--app-protocol", spec.app_protocol,
            "--app-channel-address", LOOPBACK,
            "--dapr-http-port", self.http_port, "--dapr-grpc-port", self.grpc_port,
            "--dapr-internal-grpc-port", internal_grpc_port,
            "--dapr-listen-addresses", LOOPBACK, "--dapr-internal-grpc-listen-address", LOOPBACK,
            "--placement-host-address", f"{LOOPBACK}:{cluster.placement_port}",
            "--scheduler-host-address", f"{LOOPBACK}:{cluster.scheduler_port}",
            "--resources-path", resources.resources_dir, "--config", resources.config_file,
            "--enable-metrics=false", "--log-level", cluster.log_level,
            *spec.daprd_args,
        ]  # fmt: skip
        # DAPR_HOST_IP: the address daprd registers with placement for actor calls
        # between sidecars; otherwise it would pick the host's external interface.
        daprd_env = {**os.environ, "DAPR_HOST_IP": LOOPBACK, **spec.sidecar_env}
        app_env = {
            **os.environ,
            "APP_ID": spec.app_id,
            "APP_PORT": str(self.app_port),
            "DAPR_RUNTIME_HOST": LOOPBACK,
            "DAPR_HTTP_PORT": str(self.http_port),
            "DAPR_GRPC_PORT": str(self.grpc_port),
            "DAPR_HTTP_ENDPOINT": self.http_endpoint,
            "DAPR_GRPC_ENDPOINT": self.grpc_endpoint,
            **spec.env,
        }
        app_argv = [arg.replace(APP_PORT_PLACEHOLDER, str(self.app_port)) for arg in spec.command]
        self.daprd = ManagedProcess(
            f"{name}-daprd", [str(a) for a in daprd_argv], logs / f"{name}-daprd.log", daprd_env
        )
        self.app = ManagedProcess(
            f"{name}-app", app_argv, logs / f"{name}-app.log", app_env, cwd=spec.cwd
        )

    @property
    def http_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def grpc_endpoint(self) -> str:
        return f"{LOOPBACK}:{self.grpc_port}"

    @property
    def app_url(self) -> str:
        return f"http://{LOOPBACK}:{self.app_port}"

    @property
    def processes(self) -> list[ManagedProcess]:
        return [self.daprd, self.app]

    def start(self, timeout: float = 60.0) -> None:
        self.app.start()
        self.daprd.start()
        try:
            both = self.processes
            app_ready = (
                grpc_serving(self.app_port)
                if self.spec.app_protocol == "grpc"
                else http_ok(self.app_url + self.spec.health_path)
            )
            wait_until(app_ready, self.app.name, both, timeout)
            wait_until(
                http_ok(f"{self.http_endpoint}/v1.0/healthz"), self.daprd.name, both, timeout
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """daprd first, so it stops sending work (actor calls, events) to the app."""
        self.daprd.stop()
        self.app.stop()

    def restart(self, timeout: float = 60.0) -> None:
        self.stop()
        self.start(timeout)


def python_app(module: str, app_dir: Path | None = None) -> list[str]:
    """The command that serves an ASGI app with uvicorn from this interpreter."""
    command = [sys.executable, "-m", "uvicorn", module, "--host", LOOPBACK]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    return [*command, "--port", APP_PORT_PLACEHOLDER]
