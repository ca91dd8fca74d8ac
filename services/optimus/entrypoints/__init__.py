"""Entrypoints: the REST API, the CLI, and (on Dapr) the actor and subscribers."""
