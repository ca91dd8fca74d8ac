"""The Optimus-compatible REST API (FastAPI) under /v1."""
