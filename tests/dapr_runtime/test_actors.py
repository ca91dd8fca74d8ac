"""A Python actor registered with dapr-ext-fastapi, invoked through a real daprd."""

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from optimus.dapr_runtime import AppReplica


async def test_actor_method_is_invoked_through_the_sidecar(counter: Callable) -> None:
    actor = counter("invoke")

    assert await actor.call("Increment", 2) == 2
    assert await actor.call("Increment", 3) == 5
    assert await actor.call("Get") == 5


async def test_actor_state_survives_deactivation(
    counter: Callable, probe: Callable[[str], Any], eventually: Callable
) -> None:
    actor = counter("idle")
    await actor.call("Increment", 7)

    # The app's actorIdleTimeout is 1s: daprd deactivates the idle actor.
    await eventually(
        lambda: probe(f"/probe/lifecycle/{actor.actor_id}"),
        until=lambda seen: seen["deactivations"] >= 1,
    )

    assert await actor.call("Get") == 7
    assert probe(f"/probe/lifecycle/{actor.actor_id}")["activations"] == 2


async def test_actor_state_survives_a_restart_of_daprd_and_app(
    api: AppReplica, counter: Callable, probe: Callable[[str], Any]
) -> None:
    actor = counter("restart")
    await actor.call("Increment", 11)

    api.restart()

    assert probe(f"/probe/lifecycle/{actor.actor_id}")["activations"] == 0
    assert await actor.call("Get") == 11


async def test_calls_to_one_actor_run_one_at_a_time(counter: Callable) -> None:
    actor = counter("turns")

    # Each turn reports the [start, end] of its own execution inside the app.
    turns = await asyncio.gather(*(actor.call("Hold", 0.2) for _ in range(5)))

    turns.sort()
    for (_, previous_end), (next_start, _) in itertools.pairwise(turns):
        assert next_start >= previous_end, f"turns overlap: {turns}"


async def test_calls_to_different_actors_run_concurrently(counter: Callable) -> None:
    """The control for the test above: the app itself does not serialize calls."""
    first, second = counter("a"), counter("b")

    (start_a, end_a), (start_b, end_b) = await asyncio.gather(
        first.call("Hold", 0.5), second.call("Hold", 0.5)
    )

    assert start_a < end_b and start_b < end_a
