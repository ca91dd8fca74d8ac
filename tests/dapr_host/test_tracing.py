"""Traces: a read through the Dapr sidecar shows as one trace, the app's span under daprd's."""

from __future__ import annotations

import dataclasses
import os

import httpx

from optimus.dapr_runtime import DaprCluster
from tests.support.api import Api
from tests.support.dapr_optimus import invocation_url, optimus_api, wait_ready
from tests.support.otlp import OtlpReceiver
from tests.support.waiting import eventually

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
ENTRY_SPAN = "GET /v1/datasets/{dataset}/tables/{table}/entries/{key}"


def test_a_read_through_the_sidecar_is_one_trace_with_the_app_span_under_the_sidecars(
    tmp_path,
) -> None:
    with (
        OtlpReceiver() as receiver,
        DaprCluster("local", tmp_path / "run", trace_to=receiver.endpoint) as cluster,
    ):
        spec = optimus_api()
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{receiver.endpoint}",
            "OTEL_SERVICE_NAME": "optimus-api-test",
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within 0.1 s, not 5 s
        }
        replica = wait_ready(cluster.add_app(dataclasses.replace(spec, env={**spec.env, **env})))
        with httpx.Client(base_url=invocation_url(replica), timeout=60) as client:
            api = Api(client)
            name = api.create_dataset()
            api.publish_new(name, "items", {"k": 1})
            traceparent = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
            read = client.get(
                f"/datasets/{name}/tables/items/entries/k", headers={"traceparent": traceparent}
            )
            assert read.status_code == 200

        def app_span():
            spans = receiver.of_trace(TRACE_ID)
            return [s for s in spans if s.service == "optimus-api-test" and s.name == ENTRY_SPAN]

        (served,) = eventually(app_span, timeout=30, what="the app's span of the read")

        def the_trace():  # the sidecar exports in batches of its own
            spans = {s.span_id: s for s in receiver.of_trace(TRACE_ID)}
            return spans if served.parent_span_id in spans else None

        spans = eventually(the_trace, timeout=30, what="the sidecar's span of the read")
        # The app's span continues a span of the sidecar, which continues the caller's.
        sidecar = spans[served.parent_span_id]
        assert sidecar.service != "optimus-api-test"
        chain = [sidecar]
        while chain[-1].parent_span_id in spans:
            chain.append(spans[chain[-1].parent_span_id])
        assert chain[-1].parent_span_id == CALLER_SPAN
    assert os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") is None  # the test's own env untouched
