"""The two hosts of the dataset state machine, one package each.

`embedded`: one process, commands serialized per dataset in-process, metadata
and entries in a local RocksDB. `dapr`: one virtual actor per dataset, entries
in a Dapr state store, events on Dapr pub/sub. Both run the same use cases
(`optimus.service_layer`) over the same domain; each package holds only what
is specific to its host, and `optimus.bootstrap` wires either one into the
same `Services`.
"""
