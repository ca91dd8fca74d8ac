"""Developer entry point.

python -m optimus.dapr_runtime build
python -m optimus.dapr_runtime run --components local -- uvicorn my.app:app --port {app_port}
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from .binaries import resolve_binaries
from .launcher import AppSpec, DaprCluster
from .processes import StartupError
from .resources import ComponentSet


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "build":
        print(resolve_binaries().bin_dir)
        return 0
    app_command = args.app_command[1:] if args.app_command[:1] == ["--"] else args.app_command
    if not app_command:
        print("give the app command after --", file=sys.stderr)
        return 2
    return _run(args, app_command)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m optimus.dapr_runtime")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="find or build daprd, placement and scheduler; print dir")
    run = commands.add_parser("run", help="run placement, scheduler, daprd and an app")
    run.add_argument("--components", choices=[c.value for c in ComponentSet], default="local")
    run.add_argument("--app-id", default="optimus-api")
    run.add_argument("--app-port", type=int, help="default: a free port, passed as {app_port}")
    run.add_argument("--health-path", default="/healthz", help="the app's own health URL path")
    run.add_argument("--run-dir", type=Path, help="data and logs (default: a new temp dir)")
    run.add_argument("--log-level", default="info")
    run.add_argument("app_command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return parser


def _run(args: argparse.Namespace, app_command: list[str]) -> int:
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="optimus-dapr-"))
    spec = AppSpec(args.app_id, app_command, app_port=args.app_port, health_path=args.health_path)
    # SIGTERM stops everything the same way as Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cluster = DaprCluster(args.components, run_dir, log_level=args.log_level)
    try:
        cluster.start()
        app = cluster.add_app(spec)
        print(
            f"{args.app_id} on http://127.0.0.1:{app.app_port}, daprd HTTP {app.http_endpoint},"
            f" gRPC {app.grpc_endpoint}\nlogs and data in {run_dir}; Ctrl-C stops everything",
            flush=True,
        )
        while all(process.is_running() for process in cluster.processes):
            time.sleep(0.5)
        print("a process exited:\n" + cluster.log_tails(), file=sys.stderr)
        return 1
    except StartupError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
