"""Apply a batch of facts to the read-model tables of one generation.

Each read model has its handlers, run in turn for every event of an incident:
the incident index (:mod:`.index`), incident states (:mod:`.states`),
follow-up states (:mod:`.follow_ups`), and the timelines and audit trail
(:mod:`.timelines`), which every event reaches; :mod:`.day_counts` counts the
events of each day. Incident and follow-up states are kept *as of* each
recorded time, so a summary as known at any past time is the same query as the
summary now. A batch (:mod:`.batch`) reads the rows its facts refer to, applies
the facts to them in memory in log order, and writes each table once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from projections.database import Cursor
from projections.days import PARIS, paris_day
from projections.facts import Fact, iso
from projections.handlers import follow_ups, index, states, timelines
from projections.handlers.batch import REPORTED, Batch, Dispatch, Handler, Known
from projections.tables import Tables

__all__ = ["PARIS", "Known", "apply_facts", "iso", "paris_day"]


def _dispatch() -> Dispatch:
    """Gather every read model's handlers by topic, in the order of the models."""
    handlers: dict[str | None, tuple[Handler, ...]] = {}
    models: list[Mapping[str, Handler]] = [
        index.HANDLERS,
        states.HANDLERS,
        follow_ups.HANDLERS,
        timelines.HANDLERS,
    ]
    for model in models:
        for topic, handler in model.items():
            handlers[topic] = (*handlers.get(topic, ()), handler)
    return Dispatch(
        handlers,
        changes_incident_state=frozenset(states.HANDLERS) - {REPORTED},
        changes_follow_up_state=frozenset(follow_ups.HANDLERS) - {follow_ups.SCHEDULED},
    )


_DISPATCH = _dispatch()


def apply_facts(
    cursor: Cursor, tables: Tables, facts: Sequence[Fact], known: Known | None = None
) -> Known:
    """Bring every read model up to date with a batch of facts, in log order.

    ``known`` saves reading again the rows the previous batch wrote; the rows
    this batch leaves are returned for the next one.
    """
    batch = Batch(cursor, tables, known or Known(), _DISPATCH)
    batch.load(facts)
    for fact in facts:
        batch.apply(fact)
    batch.write()
    return batch.known()
