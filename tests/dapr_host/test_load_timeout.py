"""Load timeouts on the Dapr host run from actor reminders: a kill of the app does not lose them."""

from __future__ import annotations

from optimus.dapr_runtime import DaprCluster
from tests.dapr_host.conftest import api_client, kill_and_restart
from tests.support.api import Api
from tests.support.dapr_optimus import start_api
from tests.support.waiting import eventually


def test_a_load_abandoned_before_the_app_is_killed_fails_after_its_restart(
    cluster: DaprCluster,
) -> None:
    replica = start_api(cluster)
    api = Api(api_client(replica))
    name = api.create_dataset(**{"load-timeout-seconds": 3})
    version_id = api.create_version(name)
    api.load(name, version_id, "items", {"a": 1})
    kill_and_restart(replica, "app")
    api = Api(api_client(replica))

    def failed():
        version = api.version(version_id)
        return version if version["status"] == "FAILED" else None

    version = eventually(failed, timeout=90, pause=0.5, what="the load timed out")
    assert "abandoned" in version["operation-log"][-1]["reason"]
