"""Run the ``incidents`` command line: serve, demo data, people, API tokens, bench."""

from __future__ import annotations

import contextlib
import functools
import getpass
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from uuid import UUID

import click
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresApplicationRecorder

from incidents.application import IncidentLog
from incidents.bootstrap import open_incident_log
from incidents.errors import IncidentsError, InvalidInputError
from incidents.persistence import redact
from incidents.personal_data import (
    DEFAULT_RETENTION_MONTHS,
    retention_cutoff,
    retention_reason,
)
from incidents.vocabulary import Role
from web.config import default_instance_path, settings_from_environment

if TYPE_CHECKING:
    from incidents.evidence import Checkpoint, Evidence

P = ParamSpec("P")
R = TypeVar("R")

DEMO_CREDENTIALS_FILE = "demo-credentials.txt"
MAX_DIFFERENCES_SHOWN = 50
SHUTDOWN_GRACE_SECONDS = 20
# Requests one web process answers at once (waitress threads).
SERVE_THREADS = 8


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the domain's and the store's errors into a message and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except IncidentsError as error:
            raise click.ClickException(error.message) from None
        except PersistenceError as error:
            raise click.ClickException(
                f"Cannot use the database {redact(_database_url())}: {error}"
            ) from None

    return wrapper


def _database_url() -> str:
    url: str = settings_from_environment(default_instance_path())["DATABASE_URL"]
    return url


def _open_log() -> IncidentLog:
    return open_incident_log(_database_url())


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


# The commands that run until stopped, and log as a service does.
SERVICES = frozenset({"serve", "project"})


@click.group()
@click.version_option(package_name="incidents")
@click.pass_context
def main(context: click.Context) -> None:
    """Keep the incident log of the mediators' post offices.

    The store is named by INCIDENTS_DATABASE_URL (default: a SQLite file in the
    instance folder).
    """
    if context.invoked_subcommand in SERVICES:
        # Services log JSON lines to standard error (docs/operations.md); the
        # other commands speak to a person and keep Python's plain warnings.
        from web.logs import configure_logging

        configure_logging()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads", default=SERVE_THREADS, show_default=True, type=click.IntRange(1, 64)
)
@reports_errors
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web application with waitress."""
    import waitress

    from web import create_app

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # unwinds server.run() in this, the main thread

    # Before the socket listens: a SIGTERM that comes as soon as a client can
    # connect must stop the server gracefully, not kill it.
    signal.signal(signal.SIGTERM, stop)
    app: Any = None
    server: Any = None
    with contextlib.suppress(KeyboardInterrupt):
        app = create_app()
        server = waitress.create_server(
            app, host=host, port=port, threads=threads, ident="incidents"
        )
        click.echo(
            f"Serving http://{host}:{port}/ from {redact(app.config['DATABASE_URL'])}",
            err=True,
        )
        server.run()
    if server is not None:
        # Graceful: accept nothing new, let the requests in flight be answered,
        # then stop the threads that follow the log at a batch boundary.
        server.close()
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        while time.monotonic() < deadline and _serving(server):
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    if app is not None:
        app.extensions["incident_log"].close()
    click.echo("Stopped: requests in flight answered, read models at rest.", err=True)


def _serving(server: Any) -> bool:
    """Tell whether waitress still has a request to run or an answer to send."""
    dispatcher = server.task_dispatcher
    if dispatcher.active_count or dispatcher.queue:
        return True
    return any(
        getattr(channel, "total_outbufs_len", 0) or getattr(channel, "requests", None)
        for channel in list(server._map.values())
    )


@main.command()
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load nothing when people are already registered.",
)
@click.option("--seed", default=92, show_default=True, help="Seed of the generator.")
@click.option("--weeks", default=6, show_default=True, type=click.IntRange(1, 104))
@click.option(
    "--events",
    type=click.IntRange(1, 100_000_000),
    help="Instead of weeks, append about this many events, fast (for sizing).",
)
@reports_errors
def demo(if_empty: bool, seed: int, weeks: int, events: int | None) -> None:
    """Load offices, one person per role and some weeks of realistic incidents.

    With --events N, append the same kind of stories, ending today, until the
    log holds about N more events: a large history written in minutes (the
    people are registered first if the log has none).
    """
    from incidents.demo import load_demo

    log = _open_log()
    credentials_file = default_instance_path() / DEMO_CREDENTIALS_FILE
    if events is not None and not (if_empty and log.list_users()):
        _append_history(log, events=events, seed=seed)
        return
    if if_empty and log.list_users():
        hint = (
            f" (demo sign-ins are in {credentials_file})"
            if credentials_file.exists()
            else ""
        )
        click.echo(f"The database already holds people: no demo loaded{hint}.")
        return
    result = load_demo(log, today=date.today(), seed=seed, weeks=weeks)
    lines = [
        f"{name:<14} {role:<9} {password}"
        for name, role, password in result.credentials
    ]
    _write_private(credentials_file, "\n".join(lines) + "\n")
    click.echo(
        f"Loaded {result.incidents} incidents ({result.events} events) "
        f"over {weeks} weeks."
    )
    click.echo("Sign in with (also kept in " + str(credentials_file) + "):")
    for line in lines:
        click.echo("  " + line)


def _append_history(log: IncidentLog, *, events: int, seed: int) -> None:
    from incidents.demo import generate_history, register_people

    if not log.list_users():
        credentials = register_people(log)
        credentials_file = default_instance_path() / DEMO_CREDENTIALS_FILE
        _write_private(
            credentials_file,
            "".join(
                f"{name:<14} {role:<9} {password}\n"
                for name, role, password in credentials
            ),
        )
        click.echo(f"Registered the demo's people: sign-ins are in {credentials_file}.")
    with click.progressbar(length=events, label="Writing", file=sys.stderr) as bar:
        shown = [0]

        def progress(saved: int) -> None:
            bar.update(saved - shown[0])
            shown[0] = saved

        written = generate_history(
            log, events=events, today=date.today(), seed=seed, progress=progress
        )
    click.echo(
        f"Wrote {written.events} events ({written.incidents} incidents, "
        f"{written.first_day} to {written.last_day}) in {written.seconds:.1f} s "
        f"({written.events / written.seconds:,.0f} events/s)."
    )


@main.command()
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Rebuild into scratch tables and compare them with the live ones.",
)
@reports_errors
def replay(check_only: bool) -> None:
    """Rebuild every read model from the first event, then swap them in."""
    from projections.projector import Projector
    from projections.replay import check, rebuild

    log = _open_log()
    projector = Projector(log)
    head = log.recorder.max_notification_id() or 0
    label = "Checking" if check_only else "Rebuilding"
    with click.progressbar(length=head, label=label, file=sys.stderr) as bar:
        if check_only:
            result = check(projector, progress=lambda batch: bar.update(batch.applied))
        else:
            rebuilt = rebuild(
                projector, progress=lambda batch: bar.update(batch.applied)
            )
    if not check_only:
        click.echo(
            f"Rebuilt the read models from {rebuilt.events} events in "
            f"{rebuilt.seconds:.2f} s ({rebuilt.events_per_second:,.0f} events/s)."
        )
        return
    for difference in result.differences[:MAX_DIFFERENCES_SHOWN]:
        click.echo(difference.describe())
    hidden = len(result.differences) - MAX_DIFFERENCES_SHOWN
    if hidden > 0:
        click.echo(f"... and {hidden} more differences.")
    if result.differences:
        raise click.ClickException(
            f"{len(result.differences)} read-model rows differ from a rebuild "
            f"at position {result.position}: run `incidents replay` to rebuild."
        )
    click.echo(f"The read models match a rebuild from the {result.position} events.")


@main.command()
@click.option(
    "--poll-interval",
    default=0.02,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Seconds between looks at the log when it is idle (on PostgreSQL, "
    "every save also wakes it at once).",
)
@click.option(
    "--no-seal",
    is_flag=True,
    help="Leave sealing the ledger to another process (a web process following "
    "the log, or another `incidents project`).",
)
@reports_errors
def project(poll_interval: float, no_seal: bool) -> None:
    """Keep the read models up to date, as a process of its own, until stopped.

    It also seals new events into the evidence ledger and signs checkpoints, in
    a thread: run it beside web processes started with INCIDENTS_FOLLOW_LOG=0
    (docs/scaling.md).
    """
    from projections.projector import Projector

    log = _open_log()
    projector = Projector(log)
    evidence = None if no_seal else _open_evidence(log)
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Following the log from position {projector.position()}.", err=True)
    projector.start(poll_interval=poll_interval)
    if evidence is not None:
        evidence.start()
    _wake_on_saves_elsewhere(log, stopping)
    # Each thread stops after the batch in progress.
    if evidence is not None:
        evidence.stop()
    projector.stop()
    click.echo(f"Stopped at position {projector.position()}.", err=True)


def _wake_on_saves_elsewhere(log: IncidentLog, stopping: threading.Event) -> None:
    """Wake this process's followers whenever any process saves, until stopped.

    PostgreSQL notifies a channel with every save (eventsourcing issues NOTIFY
    in the inserting transaction); elsewhere the followers poll.
    """
    recorder = log.recorder
    if not isinstance(recorder, PostgresApplicationRecorder):
        while not stopping.wait(0.5):
            pass
        return
    with recorder.datastore.get_connection() as connection:
        connection.execute(f'LISTEN "{recorder.channel_name}"')
        while not stopping.is_set():
            if any(True for _ in connection.notifies(timeout=0.2, stop_after=1)):
                head = recorder.max_notification_id() or 0
                for listener in list(log.save_listeners):
                    listener(head)


@main.group()
def users() -> None:
    """Manage the people who use the log."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What the person may do.",
)
@click.option(
    "--office",
    "offices",
    multiple=True,
    metavar="CODE",
    help="An office the person covers (repeat); none means every office.",
)
@click.option("--display-name", default=None, help="How the person is shown.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
@reports_errors
def add_user(
    name: str,
    role: str,
    offices: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
) -> None:
    """Register a person with a role and the offices they cover."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInputError.field(
                "password", "Standard input held no password."
            )
    log = _open_log()
    user = log.register_user(
        actor=_cli_actor(),
        name=name,
        role=role,
        offices=list(offices) or None,
        display_name=display_name,
        password=password,
    )
    scope = "every office" if user["offices"] is None else ", ".join(user["offices"])
    click.echo(f"Registered {user['name']} ({user['role']}) for {scope}.")


@main.group()
def tokens() -> None:
    """Issue and revoke the API tokens people use as bearer tokens."""


@tokens.command("issue")
@click.argument("name")
@click.option("--label", default=None, help="What the token is for, e.g. a device.")
@reports_errors
def issue_token(name: str, label: str | None) -> None:
    """Issue an API token for a person; print it alone on the last line.

    The token is shown only this once: the log keeps its hash, never the token.
    """
    log = _open_log()
    issued = log.issue_token(name, actor=_cli_actor(), label=label)
    described = f" ({label})" if label else ""
    click.echo(
        f"Issued token {issued.token_id}{described} to {name}; "
        "it is shown only now, on the next line:"
    )
    click.echo(issued.token)


@tokens.command("revoke")
@click.argument("name")
@click.argument("token_id", type=click.UUID)
@click.option("--reason", required=True, help="Why the token must open nothing more.")
@reports_errors
def revoke_token(name: str, token_id: UUID, reason: str) -> None:
    """Revoke an API token of a person, by its id."""
    log = _open_log()
    log.revoke_token(name, token_id, actor=_cli_actor(), reason=reason)
    click.echo(f"Revoked token {token_id} of {name}.")


@main.command()
@click.argument("incident_id", type=click.UUID)
@click.option("--reason", required=True, help="Why the contact must be erased.")
@reports_errors
def erase(incident_id: UUID, reason: str) -> None:
    """Erase the visitor's contact details from an incident, for good."""
    log = _open_log()
    log.erase_personal_data(incident_id, actor=_cli_actor(), reason=reason)
    click.echo(f"Erased the contact of incident {incident_id}.")


@main.group()
def retention() -> None:
    """Apply the retention policy to visitors' contact details."""


@retention.command("apply")
@click.option(
    "--months",
    type=click.IntRange(1, 600),
    default=lambda: int(
        os.environ.get("INCIDENTS_RETENTION_MONTHS") or DEFAULT_RETENTION_MONTHS
    ),
    show_default=f"INCIDENTS_RETENTION_MONTHS or {DEFAULT_RETENTION_MONTHS}",
    help="Months after closing after which a contact is erased.",
)
@reports_errors
def apply_retention(months: int) -> None:
    """Erase the contacts of incidents closed longer ago than the period.

    Safe to run daily: an incident already erased is not touched again.
    """
    from projections.projector import Projector
    from projections.queries import ReadModels
    from projections.retention import erase_contacts_closed_before

    log = _open_log()
    cutoff = retention_cutoff(log.clock(), months)
    due = erase_contacts_closed_before(
        log,
        ReadModels(Projector(log)),
        cutoff=cutoff,
        reason=retention_reason(months),
    )
    for incident_id in due:
        click.echo(f"Erased the contact of incident {incident_id}.")
    click.echo(
        f"{len(due)} contact(s) erased: incidents closed before "
        f"{cutoff.date().isoformat()} ({months} months)."
    )


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def backup(path: Path) -> None:
    """Copy the whole store to a new file, while the service runs."""
    from incidents.backup import back_up

    back_up(_database_url(), path)
    click.echo(f"Backed up {redact(_database_url())} to {path}.")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.confirmation_option(
    prompt="Replace the whole store with this backup?",
    help="Do not ask for confirmation.",
)
@reports_errors
def restore(path: Path) -> None:
    """Replace the whole store with a backup; stop the service first."""
    from incidents.backup import restore as restore_backup

    restore_backup(_database_url(), path)
    click.echo(f"Restored {redact(_database_url())} from {path}.")


@main.command()
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
@click.option("--sizes", type=int, nargs=3, hidden=True)
@click.option("--seconds", type=click.FloatRange(0.05, 600), hidden=True)
def bench(
    quick: bool,
    as_json: bool,
    backends: tuple[str, ...],
    postgres_url: str | None,
    sizes: tuple[int, int, int] | None,
    seconds: float | None,
) -> None:
    """Measure writes, HTTP, rebuild, verify and queries; judge the targets.

    Everything runs on this machine, in throwaway stores, side by side, so that
    the ratios hold however busy the machine is (BENCHMARKS.md). The full run
    writes histories of 10,000, 100,000 and 1,000,000 events and takes tens of
    minutes; --quick keeps to a couple of minutes with smaller ones.
    """
    from dataclasses import replace

    from benchmarks.harness import Settings, UnusableServerError, dumps, render, run
    from benchmarks.stores import postgres_server_url

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
        result = run(chosen, settings, server, say)
    except UnusableServerError as error:
        raise click.ClickException(str(error)) from None
    click.echo(dumps(result) if as_json else render(result))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


# Verifiable history (ADR 0008).


def _open_evidence(log: IncidentLog) -> Evidence:
    from incidents.evidence import Evidence

    settings = settings_from_environment(default_instance_path())
    return Evidence(log, signing_key_path=Path(settings["SIGNING_KEY_PATH"]))


def _read_held(paths: tuple[Path, ...]) -> list[Checkpoint]:
    from incidents.evidence import read_checkpoints

    held: list[Checkpoint] = []
    for path in paths:
        try:
            held.extend(read_checkpoints(path))
        except (OSError, ValueError) as error:
            raise click.ClickException(
                f"Cannot read a checkpoint from {path}: {error}"
            ) from None
    return held


HELD_CHECKPOINTS = click.option(
    "--checkpoint",
    "held",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint you kept (JSON), which the history must extend (repeat).",
)


@main.command()
@HELD_CHECKPOINTS
@click.option(
    "--no-seal",
    is_flag=True,
    help="Seal no new events first: check only what the ledger holds.",
)
@reports_errors
def verify(held: tuple[Path, ...], no_seal: bool) -> None:
    """Check that no stored event was changed, removed, inserted or reordered.

    Every event is hashed again from its stored bytes and compared with the
    ledger and every signed checkpoint. Exit 1 names the first bad position.
    """
    from incidents.evidence import LedgerDamagedError

    checkpoints = _read_held(held)
    evidence = _open_evidence(_open_log())
    if not no_seal:
        try:
            sealed = evidence.seal()
        except LedgerDamagedError as error:
            click.echo(f"Sealing nothing new: {error.message}", err=True)
        else:
            if sealed:
                click.echo(f"Sealed {sealed} new events into the ledger.", err=True)
    result = evidence.verify(held=checkpoints)
    first = result.first_problem
    if first is not None:
        for problem in result.problems[1:]:
            click.echo(f"Also: {problem.kind}: {problem.reason}", err=True)
        raise click.ClickException(
            f"History damaged at position {first.position} ({first.kind}): "
            f"{first.reason}"
        )
    click.echo(
        f"Verified {result.checked} events up to position {result.position} "
        f"against the ledger and {result.checkpoints} signed checkpoints."
    )
    if result.pending:
        click.echo(f"{result.pending} newer events are not sealed yet.")
    click.echo(f"Head: {result.head.hex()}")


@main.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the checkpoint to this file, to keep it elsewhere.",
)
@reports_errors
def checkpoint(output: Path | None) -> None:
    """Seal the newest events and sign a checkpoint; print it as JSON.

    Keep the JSON outside the service: `incidents verify --checkpoint FILE` and
    `incidents verify-bundle --checkpoint FILE` prove later that the history
    still extends it.
    """
    from incidents.evidence.signing import dumps_checkpoint

    evidence = _open_evidence(_open_log())
    signed = evidence.checkpoint()
    text = dumps_checkpoint(signed)
    if output is not None:
        output.write_text(text, encoding="ascii")
    click.echo(
        f"Checkpoint of {signed.size} events (position {signed.position}) signed "
        f"at {signed.time} by key {signed.key_id}.",
        err=True,
    )
    click.echo(text, nl=False)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@reports_errors
def export(path: Path) -> None:
    """Write an evidence bundle to PATH: a new directory, or a file ending in .zip.

    The bundle holds every event with its hashes, a fresh signed checkpoint,
    the public key and a signed manifest; `incidents verify-bundle` (or a copy
    of incidents/evidence/bundle_verifier.py) checks it offline.
    """
    evidence = _open_evidence(_open_log())
    summary = evidence.export(path)
    signed = summary.checkpoint
    click.echo(
        f"Exported {summary.events} events (up to position {summary.position}) "
        f"to {path}, signed at {signed.time} by key {signed.key_id}."
    )
    click.echo(f"Head: {summary.head.hex()}")
    click.echo(
        f"Check it with: incidents verify-bundle {path} --key-id {signed.key_id}"
    )


@main.command("verify-bundle")
@click.argument("path", type=click.Path(exists=True, path_type=Path), metavar="BUNDLE")
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of the public key you trust.",
)
@click.option("--key-id", help="Fingerprint (16 hex digits) of the key you trust.")
@HELD_CHECKPOINTS
def verify_bundle(
    path: Path, public_key: Path | None, key_id: str | None, held: tuple[Path, ...]
) -> None:
    """Check an evidence bundle offline; exit 1 saying where it was altered.

    Needs no database: only incidents/evidence/bundle_verifier.py.
    """
    from incidents.evidence import bundle_verifier

    try:
        pem = public_key.read_bytes() if public_key is not None else None
        kept = [
            item for file in held for item in bundle_verifier.read_checkpoint_file(file)
        ]
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    report = bundle_verifier.verify_bundle(
        path, public_key_pem=pem, key_id=key_id, held=kept
    )
    for line in report.describe():
        click.echo(line, err=not report.ok)
    if not report.ok:
        raise click.exceptions.Exit(1)


if __name__ == "__main__":
    main()
