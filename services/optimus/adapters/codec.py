"""Dataset aggregates to and from plain JSON-able documents (for any state store)."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from optimus.domain.dataset import Dataset
from optimus.domain.events import EventType, VersionEvent
from optimus.domain.excision import Excision
from optimus.domain.gates import GateResult, parse_publish_gates
from optimus.domain.hooks import parse_publish_hooks
from optimus.domain.policies import EvictionPolicy, parse_verification_policy
from optimus.domain.publications import Publication
from optimus.domain.version import EVICTED, Operation, Version, VersionStatus
from optimus.service_layer import commands

SCHEMA_VERSION = 1
# Stored before evicted versions became DISCARDED (with discard_reason "evicted").
LEGACY_EVICTED = "EVICTED"


def _operation_to_dict(op: Operation) -> dict[str, Any]:
    return {"action": op.action, "at": op.at, "by": op.by, "reason": op.reason}


def _operation_from_dict(raw: dict[str, Any]) -> Operation:
    return Operation(raw["action"], raw["at"], raw["by"], raw.get("reason"))


def version_to_dict(version: Version) -> dict[str, Any]:
    policy = version.verification_policy
    return {
        "id": version.id,
        "dataset": version.dataset,
        "sequence": version.sequence,
        "label": version.label,
        "created_at": version.created_at,
        "status": str(version.status),
        "verification_policy": policy.to_dict() if policy else None,
        "counts": version.counts,
        "digest": version.digest,
        "operation_log": [_operation_to_dict(op) for op in version.operation_log],
        "purged": version.purged,
        "discard_reason": version.discard_reason,
        "publish_gates": version.publish_gates.to_dict() if version.publish_gates else None,
        "gates": version.gates.to_dict() if version.gates else None,
        "schemas": version.schemas,
        "base_version_id": version.base_version_id,
        "layers": list(version.layers),
        "excisions": [excision.to_dict() for excision in version.excisions],
    }


def version_from_dict(raw: dict[str, Any]) -> Version:
    status, discard_reason = raw["status"], raw.get("discard_reason")
    if status == LEGACY_EVICTED:
        status, discard_reason = VersionStatus.DISCARDED, EVICTED
    return Version(
        id=raw["id"],
        dataset=raw["dataset"],
        sequence=raw["sequence"],
        label=raw["label"],
        created_at=raw["created_at"],
        status=VersionStatus(status),
        verification_policy=parse_verification_policy(raw["verification_policy"]),
        counts=raw["counts"],
        digest=raw["digest"],
        operation_log=[_operation_from_dict(op) for op in raw["operation_log"]],
        purged=raw["purged"],
        discard_reason=discard_reason,
        publish_gates=parse_publish_gates(raw.get("publish_gates")),
        gates=GateResult.from_dict(raw["gates"]) if raw.get("gates") else None,
        schemas=raw.get("schemas") or {},
        base_version_id=raw.get("base_version_id"),
        layers=tuple(raw.get("layers", ())),
        excisions=[Excision.from_dict(e) for e in raw.get("excisions", ())],
    )


def dataset_header_to_dict(dataset: Dataset) -> dict[str, Any]:
    """The dataset without its versions (stored apart, so a command rewrites only what changed)."""
    return {
        "schema": SCHEMA_VERSION,
        "name": dataset.name,
        "tables": list(dataset.tables),
        "content_type": dataset.content_type,
        "eviction_policy": dataset.eviction_policy.to_dict(),
        "created_at": dataset.created_at,
        "publish_gates": dataset.publish_gates.to_dict() if dataset.publish_gates else None,
        "schemas": dataset.schemas,
        "publish_hooks": [hook.to_dict() for hook in dataset.publish_hooks],
        "version_ids": list(dataset.versions),
        "active_version_id": dataset.active_version_id,
        "candidate_version_id": dataset.candidate_version_id,
        "next_sequence": dataset.next_sequence,
        "revision": dataset.revision,
        "operation_log": [_operation_to_dict(op) for op in dataset.operation_log],
        "masking": dataset.masking,
        "load_timeout_s": dataset.load_timeout_s,
        "publications": [dataclasses.asdict(p) for p in dataset.publications],
    }


def dataset_from_header(raw: dict[str, Any], versions: list[dict[str, Any]]) -> Dataset:
    """The dataset from its header and its versions' documents, in the header's order."""
    if raw.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"unsupported dataset document schema {raw.get('schema')!r}")
    policy = raw["eviction_policy"]
    decoded = [version_from_dict(v) for v in versions]
    return Dataset(
        name=raw["name"],
        tables=tuple(raw["tables"]),
        content_type=raw["content_type"],
        eviction_policy=EvictionPolicy(versions=policy["versions"], type=policy["type"]),
        created_at=raw["created_at"],
        publish_gates=parse_publish_gates(raw.get("publish_gates")),
        schemas=raw.get("schemas") or {},
        publish_hooks=parse_publish_hooks(raw.get("publish_hooks")),
        versions={v.id: v for v in decoded},
        active_version_id=raw["active_version_id"],
        candidate_version_id=raw.get("candidate_version_id"),
        next_sequence=raw["next_sequence"],
        revision=raw["revision"],
        operation_log=[_operation_from_dict(op) for op in raw["operation_log"]],
        masking=raw.get("masking", {}),  # absent from datasets stored before masking
        load_timeout_s=raw.get("load_timeout_s"),  # absent from documents stored before it
        publications=tuple(Publication(**p) for p in raw.get("publications", ())),
    )


def dataset_to_dict(dataset: Dataset) -> dict[str, Any]:
    """The whole dataset as one document."""
    header = dataset_header_to_dict(dataset)
    del header["version_ids"]
    return header | {"versions": [version_to_dict(v) for v in dataset.versions.values()]}


def dataset_from_dict(raw: dict[str, Any]) -> Dataset:
    return dataset_from_header(raw, raw["versions"])


def event_to_dict(event: VersionEvent) -> dict[str, Any]:
    return dataclasses.asdict(event)


def event_from_dict(raw: dict[str, Any]) -> VersionEvent:
    layers = tuple(raw.get("layers", ()))
    return VersionEvent(**{**raw, "type": EventType(raw["type"]), "layers": layers})


# Every kind of command the union `commands.Command` names, by class name.
_COMMANDS: dict[str, type[commands.Command]] = {
    kind.__name__: kind for kind in typing.get_args(commands.Command)
}


def command_to_dict(command: commands.Command) -> dict[str, Any]:
    fields = dataclasses.asdict(command)
    if isinstance(command, commands.CompleteSave):
        fields["digest_sum"] = str(command.digest_sum)  # 256-bit: beyond JSON numbers
    return {"type": type(command).__name__, **fields}


def command_from_dict(raw: dict[str, Any]) -> commands.Command:
    fields = dict(raw)
    kind = _COMMANDS[fields.pop("type")]
    if kind is commands.CompleteSave:
        fields["digest_sum"] = int(fields["digest_sum"])
    return kind(**fields)
