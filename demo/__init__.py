"""Fill an incident log with a few weeks of realistic, reproducible demo data.

Everything random comes from :class:`random.Random` seeded with ``seed``: the same
seed and the same ``today`` give the same incidents, ids included, on any machine.
Each office-day has its own generator, and each incident another one for its story,
so that cutting the load at "now" (incidents later today, follow-ups not done yet)
never shifts what happens elsewhere. Only the passwords use :mod:`secrets`.

Every write goes through the public commands of :class:`IncidentLog`, so the demo
obeys the same rules as the mediators do. Each incident is written as a story of
steps (report, de-escalation, escalation, follow-ups, closure...) at virtual times;
all steps are played in time order and those after "now" are left out, which is
what leaves recent incidents open and some follow-ups overdue.

:func:`generate_history` tells the same stories much faster, for benchmarks and
sizing: the commands run on incidents held in memory, each event is recorded at
the virtual time of its step, and events are saved a thousand at a time.

The parts: :mod:`demo.calendar` (open days and hours), :mod:`demo.people` (who
signs in, who is on duty), :mod:`demo.rota` (their shifts, with gaps),
:mod:`demo.situations` (the kinds of incidents and their
words), :mod:`demo.plans` (which incidents happen when), :mod:`demo.stories` (what
happens to each), :mod:`demo.memory_log` and :mod:`demo.writer` (what appends the
events). The demo uses :mod:`incidents`; nothing in the product imports it.
"""

from demo.people import register_people
from demo.writer import DemoResult, HistoryResult, generate_history, load_demo

__all__ = [
    "DemoResult",
    "HistoryResult",
    "generate_history",
    "load_demo",
    "register_people",
]
