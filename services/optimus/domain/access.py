"""Who may do what: roles granted on dataset globs, and the principal holding them.

Pure: no I/O. Authentication (tokens, JWTs) produces a `Principal`; the API
asks it `may(role, dataset)` before doing anything for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from optimus.domain.errors import InvalidInput


class Role(StrEnum):
    READER = "reader"
    LOADER = "loader"
    PUBLISHER = "publisher"
    ADMIN = "admin"
    # Not in the ladder below: seeing masked fields is granted on its own (admin has it too).
    UNMASK = "unmask"


# Each role includes the ones before it.
_LADDER = (Role.READER, Role.LOADER, Role.PUBLISHER, Role.ADMIN)


def _includes(held: Role, wanted: Role) -> bool:
    if held is Role.ADMIN:
        return True
    if held is Role.UNMASK or wanted is Role.UNMASK:
        return held is wanted
    return _LADDER.index(held) >= _LADDER.index(wanted)


@dataclass(frozen=True, slots=True)
class Grant:
    """`role` on every dataset whose name matches `datasets` (a shell glob: `ml-*`, `*`)."""

    role: Role
    datasets: str

    @classmethod
    def parse(cls, text: str) -> Grant:
        """`role:glob` as JWT claims carry grants, e.g. `publisher:ml-*`."""
        role, sep, datasets = text.partition(":")
        if not sep or not datasets:
            raise InvalidInput(f"a grant is ROLE:DATASET-GLOB, not {text!r}")
        return cls(parse_role(role), datasets)

    def allows(self, role: Role, dataset: str) -> bool:
        return _includes(self.role, role) and fnmatchcase(dataset, self.datasets)


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {text!r}; roles are {known}") from None


def grants(roles: list[Role], globs: list[str]) -> tuple[Grant, ...]:
    """Each role on each glob, as `optimus token create --role … --datasets …` states it."""
    return tuple(Grant(role, glob) for role in roles for glob in globs)


_MAX_ANSWERS = 1024


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: its name (in logs and events) and what it was granted."""

    name: str
    grants: tuple[Grant, ...]
    # Matching globs costs microseconds, as much as a cached read: answers are remembered
    # (bounded, since dataset names come from requests).
    _answers: dict[tuple[Role, str], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def may(self, role: Role, dataset: str) -> bool:
        answer = self._answers.get((role, dataset))
        if answer is None:
            answer = any(grant.allows(role, dataset) for grant in self.grants)
            if len(self._answers) >= _MAX_ANSWERS:
                self._answers.clear()
            self._answers[(role, dataset)] = answer
        return answer
