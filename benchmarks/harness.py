"""Run every benchmark side by side on each backend, and judge the targets.

``incidents bench`` (and ``make bench``) runs this. On one machine, in one run,
so that ratios hold however busy the machine is, for each backend:

1. writes (:mod:`benchmarks.writes`): the store's limits (raw driver inserts,
   the library's bare save) and our command path (report, append), then
   reports under 32 writers at once, grouped in transactions or not;
2. HTTP (:mod:`benchmarks.serving`): ``POST /api/v1/incidents`` under eight
   clients, beside a minimal CRUD endpoint served by the same server;
3. what one request costs the interpreter with no server around it
   (:mod:`benchmarks.ceilings`), and from it the best ratios one interpreter
   could reach;
4. long histories (:mod:`benchmarks.history`) at three sizes: rebuild, verify
   and merely reading the events, the peak memory of each, and the queries.

The ratios named in :data:`TARGETS` are the figures to compare; absolute rates
drift with the machine's load.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import ceilings, history, national, serving, writes
from benchmarks.stores import BACKENDS, Stores
from incidents.persistence import redact

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (4_000, 8_000, 20_000)
POSTGRES_WEB_PROCESSES = 2


class UnusableServerError(RuntimeError):
    """Say that the PostgreSQL server given cannot be used."""


@dataclass(frozen=True)
class Target:
    """Say what a ratio must be to meet its target."""

    bound: float
    at_least: bool

    def met(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound

    def describe(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.bound:g}"


TARGETS: Mapping[str, Target] = {
    "report_vs_bare_save": Target(0.7, at_least=True),
    "http_vs_bare_save": Target(0.25, at_least=True),
    "http_vs_crud": Target(0.5, at_least=True),
    "http_p99_ms": Target(50, at_least=False),
    "group_commit_vs_raw_row_commit": Target(1.0, at_least=True),
    "rebuild_vs_decode": Target(0.25, at_least=True),
    "verify_vs_raw_read": Target(0.25, at_least=True),
    "summary_p95_growth": Target(1.5, at_least=False),
    "timeline_p95_growth": Target(1.5, at_least=False),
    "asof_vs_rebuild": Target(0.02, at_least=False),
    "rebuild_rss_growth": Target(1.2, at_least=False),
    "verify_rss_growth": Target(1.2, at_least=False),
}


@dataclass(frozen=True)
class Settings:
    """Say how big and how long: the full run, ``--quick``, or smaller still."""

    sizes: tuple[int, int, int] = SIZES
    seconds: float = 3.0  # per timed write or HTTP phase
    rounds: int = 3  # interleaved rounds of the write and HTTP phases
    repeat: int = 3  # interleaved runs of each history phase, rounds of queries
    samples: int = 300  # timings of each query
    budget: float = 20.0  # seconds of query timings at most, per size

    @classmethod
    def quick(cls) -> Settings:
        return cls(QUICK_SIZES, seconds=1.0, rounds=3, repeat=3, samples=100, budget=3)


def machine(postgres_url: str | None) -> dict[str, Any]:
    """Describe the machine the figures were measured on."""
    described: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="ascii").split()
        described["memory_gib"] = round(int(meminfo[1]) / 2**20, 1)
    except (OSError, IndexError, ValueError):
        pass
    if postgres_url:
        try:
            with psycopg.connect(postgres_url, connect_timeout=10) as connection:
                row = connection.execute("SHOW server_version").fetchone()
        except psycopg.Error as error:
            raise UnusableServerError(
                f"Cannot use the PostgreSQL server {redact(postgres_url)}: {error}"
            ) from None
        described["postgresql"] = str(row[0]) if row else None
    return described


def ratios(
    sizes: tuple[int, int, int],
    wrote: Mapping[str, float],
    served: Mapping[str, Any],
    histories: Mapping[str, Mapping[str, Any]],
) -> dict[str, float]:
    """Work out the named ratios from one backend's figures."""
    small, medium, large = (histories[str(size)] for size in sizes)
    ours, crud = served["incidents"], served["crud"]
    return {
        "report_vs_bare_save": wrote["report_per_s"] / wrote["bare_save_per_s"],
        "append_vs_bare_save": wrote["append_per_s"] / wrote["bare_save_per_s"],
        "http_vs_bare_save": ours["per_s"] / wrote["bare_save_per_s"],
        "http_vs_crud": ours["per_s"] / crud["per_s"],
        "http_p99_ms": ours["p99_ms"],
        "group_commit_vs_raw_row_commit": wrote["group_commit_per_s"]
        / wrote["raw_insert_per_s"],
        "group_commit_vs_one_commit_each": wrote["group_commit_per_s"]
        / wrote["one_commit_each_per_s"],
        "rebuild_vs_decode": large["rebuild_per_s"] / large["read_per_s"],
        "verify_vs_raw_read": large["verify_per_s"] / large["raw_read_per_s"],
        "summary_p95_growth": large["summary_ms"]["p95_ms"]
        / small["summary_ms"]["p95_ms"],
        "timeline_p95_growth": large["timeline_ms"]["p95_ms"]
        / small["timeline_ms"]["p95_ms"],
        "asof_vs_rebuild": large["asof_summary_ms"]["p95_ms"]
        / 1000
        / large["rebuild_seconds"],
        "rebuild_rss_growth": large["rebuild_peak_mib"] / medium["rebuild_peak_mib"],
        "verify_rss_growth": large["verify_peak_mib"] / medium["verify_peak_mib"],
    }


def judge(figures: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    """Say, for each target, the ratio measured and whether it is met."""
    return {
        name: {
            "value": figures[name],
            "target": target.describe(),
            "met": target.met(figures[name]),
        }
        for name, target in TARGETS.items()
    }


def run_backend(
    backend: str,
    settings: Settings,
    postgres_url: str | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Measure one backend; return its ratios, targets and figures."""
    with (
        tempfile.TemporaryDirectory(prefix="incidents-bench-") as name,
        Stores(backend, Path(name), postgres_url) as stores,
    ):
        folder = Path(name)
        say("writes one at a time")
        wrote = writes.measure(stores, seconds=settings.seconds, rounds=settings.rounds)
        sqlite = backend == "sqlite"
        workers = 1 if sqlite else POSTGRES_WEB_PROCESSES
        say(f"HTTP, {serving.CLIENTS} clients, {workers} web process(es)")
        served = serving.measure(
            stores,
            folder,
            workers=workers,
            follow_log=sqlite,
            seconds=settings.seconds,
            rounds=settings.rounds,
        )
        say("one request's CPU, no server around it")
        costs = ceilings.measure(
            stores, folder, seconds=settings.seconds, rounds=settings.rounds
        )
        histories = history.measure(
            stores,
            folder,
            list(settings.sizes),
            repeat=settings.repeat,
            samples=settings.samples,
            budget=settings.budget,
            say=say,
        )
    figures = ratios(settings.sizes, wrote, served, histories)
    return {
        **figures,
        "targets": judge(figures),
        "writes": wrote,
        "http": served,
        "costs": costs,
        "ceilings": ceilings.ceilings(
            costs, served, wrote, followers_in_web_process=sqlite
        ),
        "histories": histories,
    }


def run(
    backends: list[str],
    settings: Settings,
    postgres_url: str | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Measure each backend in turn; return every figure as one JSON-ready dict."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(postgres_url if "postgresql" in backends else None),
        "settings": asdict(settings),
    }
    for backend in BACKENDS:
        if backend not in backends:
            continue
        if backend == "postgresql" and not postgres_url:
            result[backend] = {"skipped": "No PostgreSQL server was given."}
            continue
        result[backend] = run_backend(
            backend, settings, postgres_url, _prefixed(say, backend)
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def run_national(
    backends: list[str],
    sizes: list[int],
    postgres_url: str | None,
    say: Callable[[str], None],
    *,
    repeat: int = 1,
) -> dict[str, Any]:
    """Measure national-scheme histories on each backend; one JSON-ready dict."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(postgres_url if "postgresql" in backends else None),
        "national_sizes": sizes,
    }
    for backend in BACKENDS:
        if backend not in backends:
            continue
        if backend == "postgresql" and not postgres_url:
            result[backend] = {"skipped": "No PostgreSQL server was given."}
            continue
        result[backend] = national.run_backend(
            backend,
            sizes,
            postgres_url,
            repeat=repeat,
            samples=300,
            budget=20.0,
            say=_prefixed(say, backend),
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def render_national(result: Mapping[str, Any]) -> str:
    """Return the figures of a national run as text for a person."""
    lines = [f"National scheme histories; whole run {result['seconds']:.0f} s."]
    for backend in BACKENDS:
        if backend not in result:
            continue
        lines += ["", backend]
        figures = result[backend]
        if "skipped" in figures:
            lines.append(f"  skipped: {figures['skipped']}")
            continue
        lines += national.render(figures)
    return "\n".join(lines)


def _prefixed(say: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    return lambda text: say(f"{prefix}: {text}")


def render(result: Mapping[str, Any]) -> str:
    """Return the figures of a run as text for a person."""
    described = result["machine"]
    lines = [
        f"Machine: {described['cpus']} CPUs, {described.get('memory_gib', '?')} GiB, "
        f"{described['platform']}, Python {described['python']}"
        + (
            f", PostgreSQL {described['postgresql']}"
            if "postgresql" in described
            else ""
        ),
        f"Sizes: {', '.join(f'{size:,}' for size in result['settings']['sizes'])} "
        f"events; whole run {result['seconds']:.0f} s.",
    ]
    for backend in BACKENDS:
        if backend not in result:
            continue
        figures = result[backend]
        lines += ["", backend]
        if "skipped" in figures:
            lines.append(f"  skipped: {figures['skipped']}")
            continue
        lines += _render_backend(figures)
    return "\n".join(lines)


def _render_backend(figures: Mapping[str, Any]) -> list[str]:
    wrote, served = figures["writes"], figures["http"]
    ours, crud = served["incidents"], served["crud"]
    lines = [
        "  one write at a time, per second: "
        f"raw insert {wrote['raw_insert_per_s']:,.0f}, "
        f"bare save {wrote['bare_save_per_s']:,.0f}, "
        f"report {wrote['report_per_s']:,.0f}, append {wrote['append_per_s']:,.0f}",
        f"  {writes.WRITERS} writers at once, reports per second: "
        f"grouped {wrote['group_commit_per_s']:,.0f}, "
        f"one commit each {wrote['one_commit_each_per_s']:,.0f}",
        f"  HTTP, {served['clients']} clients, {served['web_processes']} web "
        f"process(es), read models kept {served['projector']}:",
        f"    POST /api/v1/incidents {ours['per_s']:,.0f}/s, p50 {ours['p50_ms']:.1f} "
        f"ms, p95 {ours['p95_ms']:.1f} ms, p99 {ours['p99_ms']:.1f} ms",
        f"    CRUD endpoint          {crud['per_s']:,.0f}/s, p50 {crud['p50_ms']:.1f} "
        f"ms, p95 {crud['p95_ms']:.1f} ms, p99 {crud['p99_ms']:.1f} ms",
        *_render_costs(figures),
        "  events     read/s  rebuild/s  rebuild  MiB  raw read/s  verify/s  MiB"
        "  summary p95  timeline p95  as-of p95  store MiB",
    ]
    for size in figures["histories"].values():
        lines.append(
            f"  {size['events']:>9,} {size['read_per_s']:>8,.0f} "
            f"{size['rebuild_per_s']:>10,.0f} {size['rebuild_seconds']:>7.1f}s "
            f"{size['rebuild_peak_mib']:>4.0f} {size['raw_read_per_s']:>11,.0f} "
            f"{size['verify_per_s']:>9,.0f} {size['verify_peak_mib']:>4.0f} "
            f"{size['summary_ms']['p95_ms']:>9.2f}ms "
            f"{size['timeline_ms']['p95_ms']:>11.2f}ms "
            f"{size['asof_summary_ms']['p95_ms']:>8.2f}ms "
            f"{size.get('store_mib', 0):>10,.0f}"
        )
    lines.append("  ratio                    measured  target   ")
    for name, judged in figures["targets"].items():
        verdict = "met" if judged["met"] else "MISSED"
        lines.append(
            f"  {name:<24} {judged['value']:>8.3f}  {judged['target']:<8} {verdict}"
        )
    return lines


def _render_costs(figures: Mapping[str, Any]) -> list[str]:
    served, costs = figures["http"], figures["costs"]
    crud_cpu = served["crud"].get("cpu_ms")
    ours_cpu = served["incidents"].get("cpu_ms")
    lines = [
        "  CPU a request, ms: "
        + (
            f"served: report {ours_cpu:.2f}, CRUD {crud_cpu:.2f}; "
            if crud_cpu is not None and ours_cpu is not None
            else ""
        )
        + f"no server: report {costs['report_app_ms']:.2f}, CRUD "
        f"{costs['crud_app_ms']:.2f}, followers {costs['followers_ms']:.2f}, "
        f"report_incident {costs['report_command_ms']:.2f}"
    ]
    bounds = figures["ceilings"]
    if bounds:
        lines.append(
            "  best one interpreter allows: "
            f"http_vs_crud {bounds['http_vs_crud_ceiling']:.2f}, "
            f"http_vs_bare_save {bounds['http_vs_bare_save_ceiling']:.2f}, "
            "group_commit_vs_raw_row_commit "
            f"{bounds['group_commit_vs_raw_row_commit_ceiling']:.2f}"
        )
    return lines


def dumps(result: Mapping[str, Any]) -> str:
    """Return the figures of a run as one JSON object."""
    return json.dumps(result, indent=2, sort_keys=False)
