"""The image runs the contract's command as a non-root user, from a pinned base, and its
build context holds what the build copies and nothing else."""

from __future__ import annotations

import re
import tomllib

import pytest

from optimus.entrypoints.cli import DEFAULT_PORT
from optimus.hosts.dapr.components import API_APP_ID
from tests.deploy.app_contract import parse_args
from tests.deploy.contract import APP_PORTS
from tests.deploy.dockerfile import DOCKERFILE, build_args, ignored, stages
from tests.deploy.manifests import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def test_the_default_image_serves_the_api_on_dapr() -> None:
    by_name = {stage.name: stage for stage in stages()}
    final = stages()[-1]
    assert final.base == "app" and final.instructions == []
    app = by_name["app"]
    assert app.exec_form("ENTRYPOINT") == ["optimus"]
    parsed = parse_args(app.exec_form("CMD"))
    assert parsed is not None
    command, params = parsed
    assert command == "serve"
    assert (params["dapr"], params["host"], params["port"]) == (True, "0.0.0.0", DEFAULT_PORT)
    assert app.last("EXPOSE") == str(APP_PORTS[API_APP_ID])
    # Tilt's dev target runs the same command (under watchfiles).
    assert by_name["dev"].exec_form("CMD") == app.exec_form("CMD")


def test_it_runs_as_a_non_root_user() -> None:
    app = {stage.name: stage for stage in stages()}["app"]
    user = app.last("USER") or "root"
    assert user.split(":")[0] not in ("root", "0")


def test_the_base_image_is_pinned_to_the_python_the_package_requires() -> None:
    image = build_args()["PYTHON_IMAGE"]
    version = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-\w+(@sha256:[0-9a-f]{64})?", image)
    assert version, image
    assert f">={version[1]}.{version[2]}" in PYPROJECT["project"]["requires-python"]
    # The dev stage writes into that Python's site-packages.
    assert f"python{version[1]}.{version[2]}/site-packages" in DOCKERFILE.read_text()
    assert all(stage.base in ("${PYTHON_IMAGE}", "app") for stage in stages())


def test_the_build_copies_only_files_in_the_context() -> None:
    copied = [
        source
        for stage in stages()
        for name, value in stage.instructions
        if name == "COPY" and not value.startswith("--from")
        for source in value.split()[:-1]
    ]
    assert {"pyproject.toml", "services", PYPROJECT["project"]["readme"]} <= set(copied)
    for source in copied:
        assert (REPO_ROOT / source).exists() and not ignored(source), source


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "tests/deploy/test_dockerfile.py",
        "bench/run.py",
        "deploy/base/api.yaml",
        "services/optimus/__pycache__/cli.cpython-311.pyc",
        "services/optimus.egg-info/PKG-INFO",
    ],
)
def test_the_context_leaves_out(path: str) -> None:
    assert ignored(path)


def test_the_context_keeps_the_package_sources() -> None:
    assert not ignored("services/optimus/entrypoints/cli.py")
