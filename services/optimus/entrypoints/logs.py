"""How the server writes its log: as text (the default) or as one JSON object per line.

JSON lines carry what an operator filters on: time, level, logger, message,
and when known the request id, dataset, version and principal. A line logged
while a request is served takes them from the request (its path parameters
are in the ASGI scope once routed); background work passes `extra=` instead.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from optimus.entrypoints.api.audit_trail import PRINCIPAL, claimed_user
from optimus.entrypoints.api.request_ids import SCOPE_KEY, current_request


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def _from_request(line: dict[str, Any]) -> None:
    scope = current_request.get()
    if scope is None:
        return
    line["request_id"] = scope.get(SCOPE_KEY)
    params = scope.get("path_params") or {}
    if "dataset" in params:
        line["dataset"] = params["dataset"]
    if "version_id" in params:
        line["version"] = params["version_id"]
    principal = scope.get(PRINCIPAL)  # authenticated; else who the caller says it is
    line["principal"] = (
        principal.name if principal is not None else claimed_user(scope, strict=False)
    )


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        _from_request(line)
        for name in ("dataset", "version", "principal"):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: str, log_format: LogFormat) -> None:
    """The root logger's one handler on stderr; uvicorn's loggers propagate to it."""
    handler = logging.StreamHandler()
    if log_format is LogFormat.JSON:
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
