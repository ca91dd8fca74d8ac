"""Where the API is: a base URL, straight or through a Dapr sidecar.

Dapr's HTTP service invocation is plain HTTP to the local sidecar, which
forwards `/v1.0/invoke/<app-id>/method/<path>` to `<path>` on the app; so
invoking Optimus through Dapr is only a different base URL (plus the API
token header when the sidecar requires one). A server with authentication on
wants `Authorization: Bearer <token>` on every /v1 call, on either path.
"""

from __future__ import annotations

import os

DEFAULT_BASE_URL = "http://127.0.0.1:8888/v1"
DEFAULT_APP_ID = "optimus-api"
DEFAULT_DAPR_HTTP_PORT = 3500


def dapr_base_url(app_id: str = DEFAULT_APP_ID, dapr_http_port: int | None = None) -> str:
    """The base URL of Optimus's /v1 API through the local sidecar ($DAPR_HTTP_PORT)."""
    port = dapr_http_port or int(os.environ.get("DAPR_HTTP_PORT", DEFAULT_DAPR_HTTP_PORT))
    return f"http://127.0.0.1:{port}/v1.0/invoke/{app_id}/method/v1"


def dapr_headers() -> dict[str, str]:
    """The sidecar's API token, when one is configured ($DAPR_API_TOKEN)."""
    token = os.environ.get("DAPR_API_TOKEN")
    return {"dapr-api-token": token} if token else {}


def bearer_headers(token: str | None) -> dict[str, str]:
    """The Authorization header of an Optimus token (API token or JWT), if one is given."""
    return {"authorization": f"Bearer {token}"} if token else {}
