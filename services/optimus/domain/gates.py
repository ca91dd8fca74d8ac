"""Publish gates: checks a version must pass before it may become the active one.

Fractions are of the active version's entry count, per table and in total;
entry bounds are of the version's own count. Gates are evaluated when a
version is saved (against the version active then) and again at publish if
the active version changed; a rollback is never gated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimus.domain.diff import ChangeCounts, DiffSummary
from optimus.domain.errors import InvalidInput

FRACTIONS = ("max-added-fraction", "max-removed-fraction", "max-changed-fraction")
BOUNDS = ("min-entries", "max-entries")
GATES = FRACTIONS + BOUNDS
TOTAL = "*"  # the table name of checks over all tables


@dataclass(frozen=True, slots=True)
class PublishGates:
    limits: dict[str, float]  # gate name -> limit, only the gates set

    def to_dict(self) -> dict[str, float]:
        return dict(self.limits)

    @property
    def needs_diff(self) -> bool:
        return any(name in self.limits for name in FRACTIONS)


def parse_publish_gates(raw: object) -> PublishGates | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput(
            f"publish-gates must be an object with some of {', '.join(GATES)}",
            field="publish-gates",
        )
    for name, limit in raw.items():
        if name in FRACTIONS:
            valid = type(limit) in (int, float) and 0 <= limit <= 1
            expected = "a number from 0 to 1"
        elif name in BOUNDS:
            valid = type(limit) is int and limit >= 0
            expected = "an integer >= 0"
        else:
            raise InvalidInput(
                f"unknown publish gate {name!r}", field="publish-gates", supported=list(GATES)
            )
        if not valid:
            raise InvalidInput(
                f"publish-gates.{name} must be {expected}", field="publish-gates", value=limit
            )
    return PublishGates(dict(raw))


@dataclass(frozen=True, slots=True)
class GateCheck:
    gate: str
    table: str  # TOTAL for the whole version
    limit: float
    value: float
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "table": self.table,
            "limit": self.limit,
            "value": self.value,
            "passed": self.passed,
        }


@dataclass(frozen=True, slots=True)
class GateResult:
    passed: bool
    against: str | None  # the active version the fractions were measured against
    checks: tuple[GateCheck, ...]

    def failed(self) -> list[GateCheck]:
        return [check for check in self.checks if not check.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "against": self.against,
            "checks": [check.to_dict() for check in self.checks],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> GateResult:
        checks = tuple(GateCheck(**check) for check in raw["checks"])
        return cls(raw["passed"], raw["against"], checks)


def _fraction(part: int, whole: int) -> float:
    # Against an empty table anything added or removed is all of it.
    return part / whole if whole else float(part > 0)


def _fraction_checks(gates: PublishGates, table: str, counts: ChangeCounts) -> list[GateCheck]:
    base = counts.removed + counts.changed + counts.unchanged  # the active version's entries
    values = {
        "max-added-fraction": _fraction(counts.added, base),
        "max-removed-fraction": _fraction(counts.removed, base),
        "max-changed-fraction": _fraction(counts.changed, base),
    }
    return [
        GateCheck(name, table, limit, round(values[name], 6), values[name] <= limit)
        for name, limit in gates.limits.items()
        if name in FRACTIONS
    ]


def evaluate_gates(
    gates: PublishGates, entries: int, against: str | None, diff: DiffSummary | None
) -> GateResult:
    """Check a version of `entries` entries while `against` is active; `diff` is against it.

    Without a diff (no active version, or only entry bounds to check) the fractions are not.
    """
    checks: list[GateCheck] = []
    if "min-entries" in gates.limits:
        limit = gates.limits["min-entries"]
        checks.append(GateCheck("min-entries", TOTAL, limit, entries, entries >= limit))
    if "max-entries" in gates.limits:
        limit = gates.limits["max-entries"]
        checks.append(GateCheck("max-entries", TOTAL, limit, entries, entries <= limit))
    if diff is not None:
        for table, counts in diff.tables.items():
            checks += _fraction_checks(gates, table, counts)
        checks += _fraction_checks(gates, TOTAL, diff.total)
    return GateResult(all(check.passed for check in checks), against, tuple(checks))
