"""The Dapr host: a DatasetActor per dataset, entries in a Dapr state store, events on pub/sub."""
