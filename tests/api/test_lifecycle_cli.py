"""The lifecycle from the command line, against a real server on every host."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from optimus.entrypoints.cli import cli
from tests.support.api import Api

runner = CliRunner()


def optimus(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, [*args, "--url", url])
    return result.exit_code, result.stdout, result.stderr


def test_inspect_diff_stage_publish_and_roll_back_from_the_command_line(
    api: Api, optimus_base_url: str
) -> None:
    url = optimus_base_url
    dataset = api.create_dataset()
    v1 = api.publish_new(dataset, "items", {"a": 1, "b": 1}, label="first")
    v2 = api.create_version(dataset, label="second")
    api.load(dataset, v2, "items", {"a": 2, "c": 3})
    api.save(v2)

    code, out, _ = optimus(url, "datasets")
    assert code == 0 and dataset in out and v1 in out
    code, out, _ = optimus(url, "versions", dataset, "--json")
    assert code == 0 and [v["id"] for v in orjson.loads(out)] == [v1, v2]
    code, out, _ = optimus(url, "versions", dataset)
    assert code == 0 and "second" in out and "SAVED" in out

    code, out, _ = optimus(url, "diff", v2, "--json")
    assert code == 0
    assert orjson.loads(out)["total"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 0}
    code, out, _ = optimus(url, "diff", v2, "--entries")
    assert code == 0 and "(total)" in out and "removed" in out

    assert optimus(url, "stage", v2, "--reason", "canary")[0] == 0
    code, out, _ = optimus(url, "get", dataset, "items", "a", "--track", "candidate")
    assert code == 0 and out.strip() == "2"
    assert optimus(url, "get", dataset, "items", "a")[1].strip() == "1"

    assert optimus(url, "publish", v2)[0] == 0
    code, out, _ = optimus(url, "history", dataset, "items", "c", "--json")
    assert code == 0 and [h["present"] for h in orjson.loads(out)] == [False, True]

    code, out, _ = optimus(url, "rollback", dataset, "--reason", "bad scores")
    assert code == 0 and v1 in out
    assert api.dataset(dataset)["active-version"]["id"] == v1


def test_refusals_exit_1_with_the_servers_message_and_bad_usage_exits_2(
    api: Api, optimus_base_url: str
) -> None:
    url = optimus_base_url
    dataset = api.create_dataset()
    v1 = api.publish_new(dataset, "items", {"a": 1})

    code, _, err = optimus(url, "discard", v1)  # the published version
    assert code == 1 and "PUBLISHED" in err
    code, _, err = optimus(url, "get", dataset, "items", "missing")
    assert code == 1 and "key does not exist" in err
    code, _, err = optimus(url, "rollback", dataset)
    assert code == 1 and "no earlier SAVED version" in err
    assert optimus(url, "publish", v1, "--force")[0] == 2  # --force needs --reason
    assert optimus(url, "diff")[0] == 2  # no version named
    code, _, err = optimus("http://127.0.0.1:9/v1", "datasets")  # nothing listens there
    assert code == 1 and err


def test_excise_from_the_command_line(api: Api, optimus_base_url: str) -> None:
    dataset = api.create_dataset()
    version_id = api.publish_new(dataset, "items", {"a": 1, "b": 2})
    code, out, _ = optimus(optimus_base_url, "excise", dataset, "items", "a", "--reason", "gdpr")
    assert code == 0 and out.strip() == "excised 1 keys of items from 1 versions"
    assert api.get(dataset, "items", "a", version_id).json()["code"] == "excised"
    code, _, err = optimus(optimus_base_url, "excise", dataset, "nope", "a", "--reason", "gdpr")
    assert code == 1 and "table 'nope' does not exist" in err
    code, _, _ = optimus(optimus_base_url, "excise", dataset, "items", "b")
    assert code == 2  # no --reason
