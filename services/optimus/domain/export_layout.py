"""The layout of a file written by export, which `optimus load` recognises: these columns,
and in Parquet this schema metadata (values are then JSON text for JSON datasets)."""

from __future__ import annotations

COLUMNS = ("table", "key", "value")
LAYOUT_KEY = b"optimus.layout"
LAYOUT = b"export"
CONTENT_TYPE_KEY = b"optimus.content-type"
