"""Property tests: any sequence of commands keeps the dataset aggregate legal."""

import itertools

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from optimus.adapters.codec import dataset_from_dict, dataset_to_dict
from optimus.domain.dataset import Dataset
from optimus.domain.digest import stats_of
from optimus.domain.errors import OptimusError
from optimus.domain.policies import CountPolicy, EvictionPolicy
from optimus.domain.version import ALLOWED_TRANSITIONS, DEAD, READABLE, VersionStatus

S = VersionStatus
TRANSITION_ACTIONS = {str(s) for s in S}


class DatasetMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.keep = 3
        self.dataset = Dataset.create(
            "ds", ["t"], eviction_policy=EvictionPolicy(self.keep), at=0, by="test"
        )
        self.now = 0
        self.ever_dead: set[str] = set()

    def tick(self) -> int:
        self.now += 1
        return self.now

    def attempt(self, command) -> None:
        """A refused command raises a domain error and changes nothing."""
        before = dataset_to_dict(self.dataset)
        try:
            command()
        except OptimusError:
            assert dataset_to_dict(self.dataset) == before

    @property
    def ids(self) -> list[str]:
        return list(self.dataset.versions)

    @rule(expect=st.none() | st.integers(0, 3))
    def create_version(self, expect) -> None:
        policy = None if expect is None else CountPolicy(expect)
        self.dataset.create_version(
            f"v{len(self.ids)}", label=None, verification_policy=policy, at=self.tick(), by="t"
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def begin_save(self, data) -> None:
        vid = data.draw(st.sampled_from(self.ids))
        self.attempt(lambda: self.dataset.begin_save(vid, at=self.tick(), by="t"))

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), entries=st.integers(0, 3))
    def complete_save(self, data, entries) -> None:
        vid = data.draw(st.sampled_from(self.ids))
        stats = stats_of([("t", f"k{i}", b"v") for i in range(entries)])
        self.attempt(lambda: self.dataset.complete_save(vid, stats, at=self.tick(), by="t"))

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def publish(self, data) -> None:
        vid = data.draw(st.sampled_from(self.ids))
        self.attempt(lambda: self.dataset.publish(vid, at=self.tick(), by="t"))

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def discard(self, data) -> None:
        vid = data.draw(st.sampled_from(self.ids))
        self.attempt(lambda: self.dataset.discard(vid, at=self.tick(), by="t"))

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def fail(self, data) -> None:
        vid = data.draw(st.sampled_from(self.ids))
        self.attempt(lambda: self.dataset.fail(vid, at=self.tick(), by="t", reason="x"))

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def purge(self, data) -> None:
        vid = data.draw(st.sampled_from(self.ids))
        self.attempt(lambda: self.dataset.record_purge(vid, at=self.tick(), by="t"))

    @invariant()
    def one_published_version_and_the_pointer_names_it(self) -> None:
        published = [v.id for v in self.dataset.versions.values() if v.status is S.PUBLISHED]
        assert len(published) <= 1
        assert self.dataset.active_version_id == (published[0] if published else None)

    @invariant()
    def eviction_policy_holds(self) -> None:
        readable = [v for v in reversed(self.dataset.versions.values()) if v.status in READABLE]
        assert all(v.status is S.PUBLISHED for v in readable[self.keep :])

    @invariant()
    def dead_versions_stay_dead(self) -> None:
        dead = {v.id for v in self.dataset.versions.values() if v.status in DEAD}
        assert self.ever_dead <= dead
        self.ever_dead = dead

    @invariant()
    def every_logged_transition_was_allowed(self) -> None:
        for version in self.dataset.versions.values():
            statuses = [
                S(op.action) for op in version.operation_log if op.action in TRANSITION_ACTIONS
            ]
            assert statuses[0] is S.PREPARING
            for before, after in itertools.pairwise(statuses):
                assert after in ALLOWED_TRANSITIONS[before]
            assert statuses[-1] is version.status

    @invariant()
    def sequences_increase_and_saved_versions_have_a_digest(self) -> None:
        sequences = [v.sequence for v in self.dataset.versions.values()]
        assert sequences == sorted(sequences)
        for version in self.dataset.versions.values():
            if version.status in READABLE:
                assert version.digest is not None and version.counts is not None

    @invariant()
    def the_aggregate_survives_a_round_trip_through_its_document(self) -> None:
        assert dataset_from_dict(dataset_to_dict(self.dataset)) == self.dataset


DatasetMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestDatasetStateMachine = DatasetMachine.TestCase
