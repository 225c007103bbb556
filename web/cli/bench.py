"""Measure the product side by side with its baselines (BENCHMARKS.md).

The benchmarks import the product, never the reverse: the harness is loaded
only when the command runs.
"""

from __future__ import annotations

import time

import click


@click.command()
@click.option(
    "--quick", is_flag=True, help="Smaller histories, shorter phases: a few minutes."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object with every figure."
)
@click.option(
    "--backend",
    "backends",
    multiple=True,
    type=click.Choice(["sqlite", "postgresql"]),
    help="Measure only this backend (repeat for both; default: both).",
)
@click.option(
    "--postgres-url",
    envvar="INCIDENTS_BENCH_POSTGRES_URL",
    show_envvar=True,
    help="A PostgreSQL server whose user may create databases, e.g. "
    "postgresql://postgres:pw@127.0.0.1:5432/postgres (default: from the "
    "POSTGRES_HOST, _PORT, _USER and _PASSWORD variables).",
)
@click.option(
    "--national",
    is_flag=True,
    help="Instead: histories shaped like the national scheme (400 offices), "
    "1,000,000 and 5,000,000 events (--quick: 100,000 and 500,000); hours.",
)
@click.option(
    "--events",
    "national_sizes",
    type=click.IntRange(1000),
    multiple=True,
    help="With --national: the sizes to write, smallest first (repeat).",
)
@click.option("--sizes", type=int, nargs=3, hidden=True)
@click.option("--seconds", type=click.FloatRange(0.05, 600), hidden=True)
def bench(
    quick: bool,
    as_json: bool,
    backends: tuple[str, ...],
    postgres_url: str | None,
    national: bool,
    national_sizes: tuple[int, ...],
    sizes: tuple[int, int, int] | None,
    seconds: float | None,
) -> None:
    """Measure writes, HTTP, rebuild, verify and queries; judge the targets.

    Exits 1 when a target is missed, after printing every figure.

    Everything runs on this machine, in throwaway stores, side by side, so that
    the ratios hold however busy the machine is (BENCHMARKS.md). The full run
    writes histories of 10,000, 100,000 and 1,000,000 events and takes tens of
    minutes; --quick keeps to a couple of minutes with smaller ones.
    """
    from dataclasses import replace

    from benchmarks import harness
    from benchmarks import national as shaped
    from benchmarks.harness import Settings, UnusableServerError, dumps, render, run
    from benchmarks.stores import postgres_server_url

    if national_sizes and not national:
        raise click.UsageError("--events goes with --national.")
    if national_sizes and list(national_sizes) != sorted(set(national_sizes)):
        raise click.BadParameter("give growing sizes", param_hint="--events")

    settings = Settings.quick() if quick else Settings()
    if sizes is not None:
        if not 0 < sizes[0] <= sizes[1] <= sizes[2]:
            raise click.BadParameter("give three growing sizes", param_hint="--sizes")
        settings = replace(settings, sizes=sizes, samples=20, budget=1, repeat=1)
    if seconds is not None:
        settings = replace(settings, seconds=seconds)
    chosen = list(backends or ("sqlite", "postgresql"))
    server = postgres_server_url(postgres_url)
    if "postgresql" in chosen and not server:
        if backends:
            raise click.UsageError(
                "--backend postgresql needs --postgres-url or "
                "INCIDENTS_BENCH_POSTGRES_URL."
            )
        click.echo(
            "No PostgreSQL server given (--postgres-url): measuring SQLite only.",
            err=True,
        )
    started = time.monotonic()

    def say(text: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.0f} s] {text}", err=True)

    try:
        if national:
            chosen_sizes = list(
                national_sizes or (shaped.QUICK_SIZES if quick else shaped.SIZES)
            )
            result = harness.run_national(chosen, chosen_sizes, server, say)
        else:
            result = run(chosen, settings, server, say)
    except UnusableServerError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(dumps(result))
    else:
        click.echo(harness.render_national(result) if national else render(result))
    missed = [
        f"{backend} {name}"
        for backend in ("sqlite", "postgresql")
        for name, judged in result.get(backend, {}).get("targets", {}).items()
        if not judged["met"]
    ]
    if missed:
        # The figures are printed all the same; the exit code says they miss.
        raise click.ClickException(
            f"{len(missed)} target(s) missed: {', '.join(missed)} (BENCHMARKS.md)."
        )
