"""Keys in the entries state store.

The store has no prefix scan, so everything GC and save need is reachable
from keys that can be named: a version's batch ids live in its actor's state,
each batch's manifest lists the keys it wrote.

    e/<version>/<table>/<key>   an entry's value
    m/<version>/<batch>         manifest of a batch: the "<table>/<key>" it wrote
    v/<version>                 the dataset a version belongs to
    h/<dataset>                 head: the dataset's revision and active version
    c/datasets                  catalog: the names of all datasets
    a/head                      the audit log's last sequence and hash
    a/<sequence, 12 digits>     an audit record
    c/replicas                  the names of the API replicas that have reported
    r/<replica>                 a replica's report: what it serves, and when it last said so
"""

from __future__ import annotations

CATALOG = "c/datasets"
AUDIT_HEAD = "a/head"

REPLICAS = "c/replicas"


def replica(name: str) -> str:
    return f"r/{name}"


def entry(version_id: str, table: str, key: str) -> str:
    return f"{entries_of(version_id)}{table}/{key}"


def entries_of(version_id: str) -> str:
    """The prefix of the version's entry keys; a manifest lists "<table>/<key>" after it."""
    return f"e/{version_id}/"


def manifest(version_id: str, batch_id: str) -> str:
    return f"m/{version_id}/{batch_id}"


def version_index(version_id: str) -> str:
    return f"v/{version_id}"


def head(dataset: str) -> str:
    return f"h/{dataset}"


def audit_record(sequence: int) -> str:
    return f"a/{sequence:012d}"
