"""`tilt up` loads: the Tiltfiles run in go.starlark.net with stubs of Tilt's builtins
that check every path, selector and port against the repository and the dev overlay."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimus.entrypoints.cli import DEFAULT_PORT
from tests.deploy.manifests import REPO_ROOT, containers, is_workload
from tests.deploy.tiltfile import TiltfileError, TiltRun, evaluate


@pytest.fixture(scope="module")
def run() -> TiltRun:
    return evaluate(REPO_ROOT / "Tiltfile")


def test_the_root_tiltfile_runs_the_dev_loop(run: TiltRun) -> None:
    (image,) = run.images
    assert (image.ref, image.target, image.context) == ("optimus", "dev", REPO_ROOT)
    assert run.version_constraint


def test_the_dev_overlay_runs_the_image_tilt_builds(run: TiltRun) -> None:
    # Tilt matches image names whatever their tag.
    images = {
        o["metadata"]["name"]: containers(o)[0]["image"] for o in run.objects if is_workload(o)
    }
    assert images["optimus-api"] == images["optimus-loader"] == f"{run.images[0].ref}:dev"


def test_live_update_syncs_sources_to_where_the_dev_image_reloads_them(run: TiltRun) -> None:
    (image,) = run.images
    ((local, remote),) = image.syncs
    assert local == REPO_ROOT / "services" / "optimus"
    dev_stage = image.dockerfile.read_text().split("AS dev", 1)[1].split("\nFROM ", 1)[0]
    # The dev stage lets the app user write there, and watchfiles watches it.
    assert dev_stage.count(remote) == 2


def test_the_api_and_its_docs_are_forwarded(run: TiltRun) -> None:
    forwards = run.resources["optimus-api"]["port_forwards"]
    assert {"local_port": DEFAULT_PORT, "container_port": DEFAULT_PORT} in forwards


def test_resource_dependencies_exist(run: TiltRun) -> None:
    names = run.resources.keys() | run.local_resources.keys()
    for resource in run.resources.values():
        assert set(resource["resource_deps"]) <= names


def test_local_resources_run_the_tests_and_the_benchmarks(run: TiltRun) -> None:
    commands = {name: r["cmd"] for name, r in run.local_resources.items()}
    # The interpreter of the virtualenv .ci/run makes (the stubs skip that path).
    assert {c[0] for c in commands.values()} == {".venv/bin/python"}
    assert ".venv/bin/pip install" in (REPO_ROOT / ".ci" / "run").read_text()
    assert commands["tests"][1:] == ["-m", "pytest", "-q"]
    assert commands["deploy-tests"][-1] == "tests/deploy"
    assert commands["bench"][1] == "bench/run.py"


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('docker_build("optimus", context = "no-such-dir")', "path does not exist"),
        ('docker_build("optimus", contxt = ".")', "unexpected keyword argument 'contxt'"),
        (
            f'k8s_yaml(kustomize("{REPO_ROOT}/deploy/overlays/dev"))\nk8s_resource("optimus-apii")',
            "no workload 'optimus-apii'",
        ),
        (
            f'k8s_yaml(kustomize("{REPO_ROOT}/deploy/overlays/dev"))\n'
            'k8s_resource(new_name = "x", objects = ["optimus-pubsub:service"])',
            "matches 0 objects",
        ),
        ('local_resource("t", cmd = "bench/nope.py", dir = ".")', "path does not exist"),
    ],
)
def test_a_wrong_tiltfile_fails(tmp_path: Path, line: str, error: str) -> None:
    (tmp_path / "Tiltfile").write_text(line + "\n")
    with pytest.raises(TiltfileError, match=error):
        evaluate(tmp_path / "Tiltfile")
