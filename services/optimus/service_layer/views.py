"""Read-side snapshots of datasets: what the read path needs, immutable and cheap to swap.

A reader takes one `DatasetView` and answers the whole request from it, so a
response never mixes two versions even while a publish swaps the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

from optimus.domain.dataset import Dataset, is_json, require_table
from optimus.domain.errors import Gone, InvalidInput, NotFound
from optimus.domain.events import EventType, VersionEvent
from optimus.domain.excision import key_hash, mark
from optimus.domain.masking import Masking, split_paths
from optimus.domain.names import require_version_id
from optimus.domain.publications import (
    Publication,
    after_publish,
    format_instant,
    published_at,
)
from optimus.domain.version import VersionStatus, require_readable

# Tracks a reader may follow: the active (published) version, or the staged candidate.
ACTIVE = "active"
CANDIDATE = "candidate"
TRACKS = (ACTIVE, CANDIDATE)


@dataclass(frozen=True, slots=True)
class DatasetView:
    name: str
    content_type: str
    is_json: bool
    tables: frozenset[str]
    active_version_id: str | None
    revision: int
    statuses: Mapping[str, VersionStatus]
    # table -> masked field paths; empty for most datasets (their reads skip masking)
    masking: Masking
    # The layers of each patch version (`Version.layers`); full versions are absent.
    layers: Mapping[str, tuple[str, ...]]
    # The excised entries of each version that has some (`Version.excised_marks`).
    excised: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    candidate_version_id: str | None = None
    # The active version's sequence number (None while nothing is published).
    active_sequence: int | None = None
    # The publish log (`Dataset.publications`): as-of reads are answered from it.
    publications: tuple[Publication, ...] = ()

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetView:
        versions = dataset.versions.values()
        return cls(
            name=dataset.name,
            content_type=dataset.content_type,
            is_json=is_json(dataset.content_type),
            tables=frozenset(dataset.tables),
            active_version_id=dataset.active_version_id,
            revision=dataset.revision,
            statuses=MappingProxyType({v.id: v.status for v in versions}),
            layers=MappingProxyType({v.id: v.layers for v in versions if v.layers}),
            excised=MappingProxyType({v.id: v.excised_marks() for v in versions if v.excisions}),
            publications=dataset.publications,
            masking=MappingProxyType(split_paths(dataset.masking)),
            candidate_version_id=dataset.candidate_version_id,
            active_sequence=active.sequence if (active := dataset.active_version) else None,
        )

    def advanced(self, events: Sequence[VersionEvent]) -> DatasetView | None:
        """This view moved on by the dataset's next events; None if one is missing (a gap)."""
        statuses = dict(self.statuses)
        layers = dict(self.layers)
        publications = self.publications
        active, candidate = self.active_version_id, self.candidate_version_id
        revision, sequence = self.revision, self.active_sequence
        for event in events:
            if event.revision <= revision:  # seen already
                continue
            if event.revision != revision + 1 or event.type is EventType.EXCISED:
                return None  # a gap; or an excision, whose key hashes only the aggregate has
            statuses.update(event.statuses())
            if event.layers:
                layers[event.version_id] = event.layers
            if event.type is EventType.PUBLISHED:
                publications = after_publish(
                    publications, event.version_id, at=event.at, by=event.by, reason=event.reason
                )
            active, candidate = event.active_version_id, event.candidate_version_id
            revision = event.revision
            if event.type is EventType.PUBLISHED:
                sequence = event.sequence
        return replace(
            self,
            active_version_id=active,
            candidate_version_id=candidate,
            revision=revision,
            statuses=MappingProxyType(statuses),
            active_sequence=sequence,
            layers=MappingProxyType(layers),
            publications=publications,
        )

    def check_table(self, table: str) -> None:
        require_table(self.name, self.tables, table)

    def version_to_read(
        self, version_id: str | None, track: str | None = None, as_of: int | None = None
    ) -> str:
        """The version a read is answered from: the pinned one, the one published at
        `as_of` (epoch ms), else the track's (the active one by default).

        The candidate track falls back to the active version when nothing is staged.
        """
        if as_of is not None:
            return self._published_at(version_id, as_of)
        if version_id is None:
            if track == CANDIDATE and self.candidate_version_id is not None:
                return self.candidate_version_id
            if self.active_version_id is None:
                raise NotFound(
                    f"dataset {self.name!r} has no published version",
                    code="no-active-version",
                    dataset=self.name,
                )
            return self.active_version_id
        status = self.statuses.get(require_version_id(version_id))
        if status is None:
            raise NotFound(
                f"version {version_id} does not exist in dataset {self.name!r}",
                dataset=self.name,
                version=version_id,
            )
        require_readable(version_id, status)
        return version_id

    def _published_at(self, version_id: str | None, as_of: int) -> str:
        if version_id is not None:
            raise InvalidInput(
                "a read names either a version-id or an as-of time, not both",
                code="version-and-as-of",
            )
        publication = published_at(self.publications, as_of)
        if publication is None:
            raise NotFound(
                f"no version of dataset {self.name!r} was published at that time",
                code="not-published-then",
                dataset=self.name,
                as_of=format_instant(as_of),
            )
        status = self.statuses.get(publication.version_id)
        if status is None:  # purged so long ago that the dataset forgot it
            raise Gone(
                f"version {publication.version_id}, published then, is purged",
                version=publication.version_id,
            )
        require_readable(publication.version_id, status)
        return publication.version_id


def check_track(track: object) -> str | None:
    """The track a reader asked for (None: the default, active), or a precise error."""
    if track is None or track in TRACKS:
        return track  # type: ignore[return-value]
    raise InvalidInput(
        f"track must be one of {', '.join(TRACKS)}", code="invalid-track", track=track
    )


def served_track(view: DatasetView, version_id: str) -> str:
    """Which track answered a read that asked for one (`candidate`, or `active` on a fallback)."""
    return CANDIDATE if version_id == view.candidate_version_id else ACTIVE


class ReadViews:
    """The latest view of every dataset, and which dataset each version belongs to."""

    def __init__(self) -> None:
        self._views: dict[str, DatasetView] = {}
        self._dataset_of_version: dict[str, str] = {}
        self._layers: dict[str, tuple[str, ...]] = {}
        # The excised entries of each version that has some (`excision.mark`s): read on
        # every entry read, as one dict lookup, by the reader and the layered store.
        self.excised: dict[str, frozenset[str]] = {}

    def update(self, dataset: Dataset) -> DatasetView:
        view = DatasetView.of(dataset)
        current = self._views.get(dataset.name)
        # Views may arrive out of order (events, polls): never go back in time.
        if current is not None and current.revision > view.revision:
            return current
        self._views[dataset.name] = view
        for version_id in view.statuses:
            self._dataset_of_version[version_id] = dataset.name
        self._layers.update(view.layers)
        self.excised.update(view.excised)
        return view

    def advance(self, name: str, events: Sequence[VersionEvent]) -> bool:
        """Move the dataset's view on by its next events; False if that can't be done.

        False when this replica has no view of the dataset or missed one of its
        revisions: then only the whole aggregate brings the view up to date.
        """
        current = self._views.get(name)
        view = current.advanced(events) if current is not None else None
        if view is None:
            return False
        self._views[name] = view
        for event in events:
            self._dataset_of_version[event.version_id] = name
        self._layers.update(view.layers)
        return True

    def get(self, name: str) -> DatasetView | None:
        return self._views.get(name)

    def layers_of(self, version_id: str) -> tuple[str, ...]:
        """The layers a patch version reads through; empty for a full (or unknown) version."""
        return self._layers.get(version_id, ())

    def is_excised(self, version_id: str, table: str, key: str) -> bool:
        """Whether the key was excised from the version or from a layer it reads through."""
        layers = (version_id, *self.layers_of(version_id))
        if not any(layer in self.excised for layer in layers):
            return False
        wanted = mark(table, key_hash(key))
        return any(wanted in self.excised.get(layer, ()) for layer in layers)

    def dataset_of_version(self, version_id: str) -> str | None:
        return self._dataset_of_version.get(version_id)

    def names(self) -> list[str]:
        return sorted(self._views)


class ViewSource(Protocol):
    """Where fresh views come from: the host that owns the aggregates."""

    views: ReadViews

    async def get(self, name: str) -> Dataset: ...


async def refreshed_view(source: ViewSource, name: str) -> DatasetView:
    """The dataset's view, refreshed from its host (NotFound if it does not exist)."""
    return source.views.update(await source.get(name))


async def current_view(source: ViewSource, name: str) -> DatasetView:
    """The local view if there is one, else a fresh one from the host.

    Views of other replicas' changes arrive by events and polls; a dataset
    this replica has never seen is fetched on first use.
    """
    view = source.views.get(name)
    return view if view is not None else await refreshed_view(source, name)
