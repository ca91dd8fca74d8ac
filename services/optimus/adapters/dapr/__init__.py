"""Adapters that reach Dapr's building blocks through the sidecar (state, actors, pub/sub)."""
