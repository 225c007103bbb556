"""Measure verifying the history against merely reading the same rows.

Usage: python -m benchmarks.evidence [--events N ...] [--database-url URL]
       [--repeat 3] [--no-bundle]

For each size, the script writes a log of about N events into a fresh SQLite file
(or the PostgreSQL database given), then runs each phase in a child process of
its own, so that its peak resident memory is its own:

- read: page through the stored events 1,000 at a time (no decoding);
- seal: hash every event into an empty ledger (the one-off cost of the first
  start of this version on a log that has no ledger; later, each write seals
  its own events);
- verify: ``incidents verify``'s work: recompute every hash and compare it with
  the ledger and the checkpoint;
- export and verify-bundle: write an evidence bundle (.zip) and check it
  offline with ``bundle_verifier.py``.

read and verify are interleaved ``--repeat`` times and their medians shown;
compare ratios, not absolute rates, on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.readmodels import populate
from incidents.application import IncidentLog
from incidents.bootstrap import open_incident_log
from incidents.evidence import Evidence, LedgerSettings
from incidents.evidence.bundle_verifier import verify_bundle
from incidents.evidence.sql_ledger import SQLLedger

PHASES = ["read", "seal", "verify", "export", "verify-bundle"]


def phase(database_url: str, name: str, folder: Path) -> dict[str, float]:
    """Run one measured phase in this process and return its figures."""
    settings = LedgerSettings(
        signing_key_path=folder / "signing.pem",
        ledger_key_path=folder / "ledger-key",
    )
    if name == "seal":
        drop_ledger(
            open_incident_log(database_url, load_offices=False, ledger=settings)
        )
    bundle = folder / "bundle.zip"
    if name == "export":
        bundle.unlink(missing_ok=True)
    started = time.perf_counter()
    log = open_incident_log(database_url, load_offices=False, ledger=settings)
    evidence = Evidence(log)
    if name == "read":
        count, start = 0, 1
        while True:
            notifications = log.recorder.select_notifications(start, 1000)
            if not notifications:
                break
            count += len(notifications)
            start = notifications[-1].id + 1
    elif name == "seal":  # Opening the log sealed every event.
        count = evidence.ledger.head().size
    elif name == "verify":
        result = evidence.verify()
        if not result.ok:
            raise SystemExit(f"verification failed: {result.as_dict()}")
        count = result.checked
    elif name == "export":
        count = evidence.export(bundle).events
    else:
        report = verify_bundle(bundle)
        if not report.ok:
            raise SystemExit(f"bundle refused: {report.problems}")
        count = report.events
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {"events": count, "seconds": seconds, "peak_mib": peak_kib / 1024}
    if name == "export":
        figures["bundle_mib"] = bundle.stat().st_size / 2**20
    return figures


def drop_ledger(log: IncidentLog) -> None:
    """Drop the ledger's tables, as a store written before the ledger has none."""
    ledger = Evidence(log).ledger
    if isinstance(ledger, SQLLedger):
        with ledger.writing() as cursor:
            cursor.execute(f"DROP TABLE {ledger.checkpoints_table}")
            cursor.execute(f"DROP TABLE {ledger.chain_table}")
    log.close()


def measure(database_url: str, name: str, folder: Path) -> dict[str, float]:
    """Run a phase in a child process, so that its peak memory is its own."""
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.evidence",
            "--phase",
            name,
            "--database-url",
            database_url,
            "--folder",
            str(folder),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


def rate(runs: list[dict[str, float]]) -> float:
    """Return the median events per second of some runs."""
    return statistics.median(run["events"] / run["seconds"] for run in runs)


def peak(runs: list[dict[str, float]]) -> float:
    """Return the median peak memory of some runs, in MiB."""
    return statistics.median(run["peak_mib"] for run in runs)


def main() -> None:
    """Populate each size, measure every phase and print one line per phase."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: SQLite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-bundle", action="store_true", help="skip the bundle")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.phase:
        figures = phase(arguments.database_url, arguments.phase, arguments.folder)
        print(json.dumps(figures))
        return
    print(
        f"{'events':>10} {'phase':<14} {'events/s':>10} {'vs read':>8} {'peak MiB':>9}"
    )
    for size in arguments.events:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            url = arguments.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
            written = populate(url, size)
            runs: dict[str, list[dict[str, float]]] = {
                "seal": [measure(url, "seal", folder)],
                "read": [],
                "verify": [],
            }
            for _ in range(arguments.repeat):
                # Interleaved, so that a busy moment of the machine hits both.
                runs["read"].append(measure(url, "read", folder))
                runs["verify"].append(measure(url, "verify", folder))
            if not arguments.no_bundle:
                runs["export"] = [measure(url, "export", folder)]
                runs["verify-bundle"] = [measure(url, "verify-bundle", folder)]
        read_rate = rate(runs["read"])
        for name in PHASES:
            if name not in runs:
                continue
            extra = ""
            if name == "export":
                extra = f"  bundle {runs[name][0]['bundle_mib']:,.0f} MiB"
            print(
                f"{written:>10,} {name:<14} {rate(runs[name]):>10,.0f} "
                f"{read_rate / rate(runs[name]):>7.1f}x {peak(runs[name]):>9.0f}"
                f"{extra}",
                flush=True,
            )


if __name__ == "__main__":
    main()
