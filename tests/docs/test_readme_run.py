"""The README's run commands work when pasted: each block taken from the README text.

A block runs in bash, in a temporary directory as its working directory (so
`./optimus-data` and `auth.yaml` land there, never in the repo) holding `.venv`:
a throwaway venv layered over the venv running these tests (a `.pth` file adds its
site-packages), so `python3.11 -m venv .venv` is the re-run a user makes and
`pip install -e .` installs this checkout into it without touching the shared venv
(setuptools still writes the gitignored services/optimus.egg-info, as it does in CI).
The substitutions, each stated where it is made: `-e .` becomes `-e <repo>` (the
working directory is not the repo), and 8888 (or the default port) becomes a free
port. In the environment: PYTHONPATH is removed, as in a user's shell, so the block
runs the package pip installed; TMPDIR is the test's own, where the Dapr launcher
makes its run dir. `pip install -e` builds with setuptools from PyPI (build
isolation): it needs the network, about 10 s here.

Not run here: "Test it" (`bash .ci/run` is CI itself), "Deploy on Kubernetes"
(needs a cluster; tests/deploy renders the overlays) and "Performance" (benchmarks).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.docs.test_readme import REPO, bash, block, check_walkthrough
from tests.support.ports import free_port
from tests.support.waiting import answers_200, eventually

RUN_IT = block("Run it", "bash", 0)
WITH_AUTH = block("Run it", "bash", 1)
ON_DAPR = block("On Dapr", "bash", 0)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv a user has after the first block's install step, once per module."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", home / ".venv"], check=True, timeout=120)
    site = sysconfig.get_paths(vars={"base": str(home / ".venv")})["purelib"]
    Path(site, "repo-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = RUN_IT.split(" && .venv/bin/optimus serve")[0]
    bash(pasted(install), env=user_env(), cwd=home, timeout=300)
    return home / ".venv"


@pytest.fixture
def cwd(venv: Path) -> Path:
    """The directory holding `.venv` (`python -m venv` refuses a symlinked one)."""
    return venv.parent


def user_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def pasted(shell: str) -> str:
    """`-e .` installs the repo: the working directory is a temporary one."""
    return shell.replace("pip install -e .", f"pip install -e {REPO}")


Launch = Callable[[str], tuple[subprocess.Popen[bytes], Path]]


@pytest.fixture
def launch(cwd: Path, tmp_path: Path) -> Iterator[Launch]:
    """Start a foreground block in its own process group; kill the group afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def background(shell: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"block-{len(started)}.log"
        with log.open("wb") as out:
            started.append(
                subprocess.Popen(
                    ["bash", "-c", pasted(shell)],
                    cwd=cwd,
                    env=user_env() | {"TMPDIR": str(tmp_path)},  # the launcher's run dir
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        return started[-1], log

    yield background
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    assert process.poll() is None, f"the block exited:\n{log.read_text(errors='replace')}"
    return answers_200(url, timeout=1)


def test_run_it_serves_on_the_port_and_writes_the_data_dir(cwd: Path, launch: Launch) -> None:
    port = free_port()
    shell = RUN_IT.replace("optimus serve", f"optimus serve --port {port}")  # a free port
    block, log = launch(shell)
    url = f"http://127.0.0.1:{port}"
    eventually(lambda: healthy(f"{url}/healthcheck", block, log), timeout=240, what="serve")

    created = httpx.post(f"{url}/v1/datasets", json={"name": "d", "tables": ["t"]})

    assert created.status_code == 201, created.text
    assert httpx.get(f"{url}/v1/datasets/d").json()["name"] == "d"
    assert any((cwd / "optimus-data").iterdir())
    assert answers_200(f"{url}/docs")  # the OpenAPI docs the README points to


def test_run_it_with_auth_needs_the_token_it_prints(cwd: Path, launch: Launch) -> None:
    create, serve = WITH_AUTH.strip().splitlines()
    port = free_port()
    token = bash(pasted(create), env=user_env(), cwd=cwd).strip().splitlines()[-1]
    block, log = launch(f"{serve} --port {port}")  # a free port
    url = f"http://127.0.0.1:{port}"
    eventually(lambda: healthy(f"{url}/healthcheck", block, log), timeout=60, what="serve")

    assert re.fullmatch(r"optimus_[\w-]{20,}", token), token
    assert httpx.get(f"{url}/v1/datasets").status_code == 401
    with_token = httpx.get(f"{url}/v1/datasets", headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 200, with_token.text
    assert (cwd / "auth.yaml").exists()


def test_on_dapr_answers_through_the_sidecar_runs_the_walkthrough_and_stops_on_ctrl_c(
    launch: Launch,
) -> None:
    port = free_port()
    shell = ON_DAPR.replace("8888", str(port))  # a free port: the app's, in --app-port and --port
    block, log = launch(shell)

    def sidecar() -> str | None:
        assert block.poll() is None, log.read_text(errors="replace")
        found = re.search(r"daprd HTTP (http://127\.0\.0\.1:\d+)", log.read_text())
        return found.group(1) if found else None

    dapr_http = eventually(sidecar, timeout=240, pause=0.2, what="the launcher's address line")
    invoke = f"{dapr_http}/v1.0/invoke/optimus-api/method/healthcheck"
    eventually(lambda: answers_200(invoke), timeout=30, what="healthcheck through the sidecar")
    check_walkthrough(f"127.0.0.1:{port}")  # "works unchanged against it"
    processes = psutil.Process(block.pid).children(recursive=True)
    assert {"daprd", "placement", "scheduler", "optimus"} <= {p.name() for p in processes}

    os.killpg(block.pid, signal.SIGINT)  # Ctrl-C in the terminal

    assert block.wait(timeout=60) == 0, log.read_text(errors="replace")
    assert [p.pid for p in processes if p.is_running() and p.status() != "zombie"] == []
