"""The launcher itself: clean stops, loud startup failures, cached builds."""

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from optimus.dapr_runtime import AppSpec, DaprBinaries, DaprCluster, StartupError
from optimus.dapr_runtime.binaries import SOURCE_DIR, input_hash


@pytest.mark.parametrize("component_set", ["local", "postgres"])
def test_stop_ends_every_process(
    component_set: str, dapr_binaries: DaprBinaries, tmp_path: Path
) -> None:
    """Children included: runuser's postgres, and the backends the postmaster forks."""
    cluster = DaprCluster(component_set, tmp_path, dapr_binaries).start()
    cluster.add_app(
        AppSpec("stop-test", [sys.executable, "-m", "http.server", "{app_port}"], health_path="/")
    )
    started = [psutil.Process(p.pid) for p in cluster.processes if p.pid is not None]
    pids = [p.pid for p in started] + [c.pid for p in started for c in p.children(recursive=True)]

    cluster.stop()

    assert len(started) == len(cluster.processes)
    assert [pid for pid in pids if psutil.pid_exists(pid)] == []


def test_an_app_that_exits_fails_startup_with_its_log(
    dapr_binaries: DaprBinaries, tmp_path: Path
) -> None:
    crash = [sys.executable, "-c", "print('no database here'); raise SystemExit(3)"]
    with (
        DaprCluster("local", tmp_path, dapr_binaries) as cluster,
        pytest.raises(StartupError) as failure,
    ):
        cluster.add_app(AppSpec("crash-test", crash))

    assert "crash-test-0-app exited" in str(failure.value)
    assert "no database here" in str(failure.value)


def test_build_inputs_hash_changes_with_the_go_sources(tmp_path: Path) -> None:
    source = tmp_path / "dapr"
    shutil.copytree(SOURCE_DIR, source, ignore=shutil.ignore_patterns("*.md"))
    before = input_hash(source)
    assert before == input_hash(SOURCE_DIR)  # the key does not depend on the checkout path

    with (source / "cmd" / "daprd" / "main.go").open("a") as main:
        main.write("\n// changed\n")

    assert input_hash(source) != before


def test_sidecar_release_matches_the_python_sdk(dapr_binaries: DaprBinaries) -> None:
    daprd = subprocess.run(
        [dapr_binaries.daprd, "--version"], capture_output=True, text=True, check=True
    )
    runtime = daprd.stdout.strip().split(".")
    sdk = importlib.metadata.version("dapr").split(".")

    assert runtime[:2] == sdk[:2], f"daprd {daprd.stdout.strip()} vs dapr SDK {'.'.join(sdk)}"
