"""The OpenAPI document is the API: schemathesis finds no request that it misdescribes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.server import OptimusServer

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_failure_of_any_check(server: OptimusServer, tmp_path: Path) -> None:
    """Examples, coverage, fuzzing and the stateful phase (create, load, save, publish, read)."""
    command = [str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", "--checks", "all"]
    command.append(f"{server.url}/openapi.json")
    # In tmp_path: schemathesis keeps a cache of what it found in its working directory.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]


def test_the_document_describes_only_real_answers(server: OptimusServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)  # bad input is answered 400
            for status, response in responses.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status >= "400":
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
                elif schema is not None:
                    assert schema != {}, (method, path, status)  # a real 2xx schema
    dataset = document["paths"]["/v1/datasets/{dataset}"]
    assert dataset["get"]["parameters"][0]["schema"]["pattern"].startswith("^")


def test_options_lists_every_method_of_a_path(server: OptimusServer) -> None:
    datasets = httpx.options(f"{server.url}/v1/datasets")
    assert datasets.status_code == 204
    assert datasets.headers["allow"] == "GET, OPTIONS, POST"
    entry = httpx.options(f"{server.url}/v1/datasets/d/tables/t/entries/k")
    assert entry.headers["allow"] == "GET, OPTIONS, POST"
    refused = httpx.delete(f"{server.url}/v1/datasets")
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, OPTIONS, POST")
    assert refused.json()["code"] == "method-not-allowed"
    assert httpx.options(f"{server.url}/no/such/path").status_code == 404
