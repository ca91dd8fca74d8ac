"""The gRPC API (optimus.v1): reads, version streams and dataset watches, on their own port."""
