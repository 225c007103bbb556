"""Compare one write at a time across versions of the code, side by side in one run.

Issue 14 moved sealing into the write's transaction (commit 7502a92); before
it, a follower thread sealed after the commit. This runs several checkouts at
once, each in a child process of its own Python (:mod:`benchmarks.sealing_worker`),
and interleaves their timed phases: round after round, each phase in turn on
every side, the order of the sides turning each round, so that the load of the
shared machine hits them all alike. Rates are medians over rounds; ratios are
taken within one side (against its bare save) and against the first side.

With ``--http``, each side also serves reports over HTTP in one web process of
its own (``benchmarks.serving``, following the log itself, as ``incidents
serve`` runs), and eight clients post to each in turn.

Prepare a checkout of an older commit with its own virtual environment::

    mkdir -p /tmp/sides/follower
    git archive '7502a92^' | tar -x -C /tmp/sides/follower
    make -C /tmp/sides/follower install
    python -m benchmarks.sealing --side follower=/tmp/sides/follower:follower \\
        --side today=.:transaction --backend sqlite --rounds 5 --seconds 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from benchmarks import serving
from benchmarks.stores import BACKENDS, Stores, postgres_server_url

PHASES = ("bare_save", "report", "append")
WORKER = Path(__file__).with_name("sealing_worker.py")
START_SECONDS = 120


@dataclass
class Side:
    """One checkout measured: its label, folder, Python and sealing mode."""

    label: str
    folder: Path
    mode: str
    process: subprocess.Popen[str] | None = None
    runs: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    http: list[serving.Load] = field(default_factory=list)
    crud: list[serving.Load] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Side:
        """Read ``LABEL=FOLDER[:MODE]`` (mode ``transaction`` by default)."""
        label, _, rest = text.partition("=")
        folder, _, mode = rest.partition(":")
        if not label or not folder:
            raise argparse.ArgumentTypeError(f"{text!r} is not LABEL=FOLDER[:MODE]")
        return cls(label, Path(folder).resolve(), mode or "transaction")

    @property
    def python(self) -> str:
        return str(self.folder / ".venv" / "bin" / "python")

    def environment(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.folder), **extra}

    def start(self, stores: Stores, folder: Path) -> None:
        """Start this side's worker on stores of its own; wait until it is warm."""
        bare, log = stores.new(f"{self.label}-bare"), stores.new(f"{self.label}-log")
        own = folder / self.label
        own.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.python, str(WORKER), bare, log, self.mode, str(own)],
            cwd=self.folder,
            env=self.environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._answer()
        self.runs = {phase: [] for phase in PHASES}

    def time(self, phase: str, seconds: float) -> None:
        """Time one phase for some seconds in the worker."""
        stdin = None if self.process is None else self.process.stdin
        if stdin is None:
            raise RuntimeError(f"The worker of {self.label} is not running.")
        stdin.write(f"{phase} {seconds}\n")
        stdin.flush()
        self.runs[phase].append(self._answer())

    def _answer(self) -> dict[str, float]:
        assert self.process is not None  # noqa: S101
        stdout: IO[str] | None = self.process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise RuntimeError(f"The worker of {self.label} stopped.")
        answer: dict[str, float] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def medians(self) -> dict[str, float]:
        """Return each phase's median rates over the rounds."""
        found: dict[str, float] = {}
        for phase, runs in self.runs.items():
            for key in ("per_s", "sealed_per_s", "catch_up_s"):
                found[f"{phase}_{key}"] = statistics.median(run[key] for run in runs)
        found["report_vs_bare_save"] = found["report_per_s"] / found["bare_save_per_s"]
        found["sealed_report_vs_bare_save"] = (
            found["report_sealed_per_s"] / found["bare_save_per_s"]
        )
        if self.http:
            found.update(
                {
                    f"http_{key}": value
                    for key, value in serving.summarise(self.http).items()
                }
            )
            found["http_vs_bare_save"] = found["http_per_s"] / found["bare_save_per_s"]
        if self.crud:
            found.update(
                {
                    f"crud_{key}": value
                    for key, value in serving.summarise(self.crud).items()
                }
            )
            found["http_vs_crud"] = found["http_per_s"] / found["crud_per_s"]
        return found


def writes(
    sides: list[Side], stores: Stores, folder: Path, seconds: float, rounds: int
) -> None:
    """Time every phase of every side, interleaved, turning the order each round."""
    try:
        for side in sides:
            side.start(stores, folder)
        for number in range(rounds):
            order = sides[number % len(sides) :] + sides[: number % len(sides)]
            for phase in PHASES:
                for side in order:
                    side.time(phase, seconds)
            print(f"  round {number + 1} of {rounds} done", file=sys.stderr, flush=True)
    finally:
        for side in sides:
            side.stop()


def http(
    sides: list[Side], stores: Stores, folder: Path, seconds: float, rounds: int
) -> None:
    """Post reports to each side's web process in turn, round after round."""
    with contextlib.ExitStack() as stack:
        served = [
            stack.enter_context(web_process(side, stores, folder)) for side in sides
        ]
        for number in range(rounds):
            for offset in range(len(sides)):
                at = (number + offset) % len(sides)
                port, token = served[at]
                # The plain CRUD tracker on the same server, just before.
                sides[at].crud.append(
                    serving.load([port], "/crud/incidents", {}, seconds=seconds)
                )
                sides[at].http.append(
                    serving.load(
                        [port],
                        "/api/v1/incidents",
                        {"Authorization": f"Bearer {token}"},
                        seconds=seconds,
                    )
                )
            print(
                f"  HTTP round {number + 1} of {rounds} done",
                file=sys.stderr,
                flush=True,
            )


SETUP = """
import sys
from benchmarks.writes import cheap_password_hasher
from incidents.application import load_default_offices
from incidents.bootstrap import open_incident_log
log = open_incident_log(sys.argv[1], password_hasher=cheap_password_hasher())
offices = [office["code"] for office in load_default_offices()]
log.register_user(actor="bench", name="bench", role="mediator", offices=offices)
print(log.issue_token("bench", actor="bench").token)
log.close()
"""


@contextlib.contextmanager
def web_process(side: Side, stores: Stores, folder: Path) -> Iterator[tuple[int, str]]:
    """Run one web process of a side's version; yield its port and a token."""
    url, crud = stores.new(f"{side.label}-http"), stores.new(f"{side.label}-crud")
    token = subprocess.run(
        [side.python, "-c", SETUP, url],
        cwd=side.folder,
        env=side.environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=START_SECONDS,
    ).stdout.split()[-1]
    own = folder / f"{side.label}-http"
    own.mkdir(parents=True, exist_ok=True)
    environment = side.environment(
        INCIDENTS_DATABASE_URL=url,
        INCIDENTS_INSTANCE_PATH=str(own / "instance"),
        INCIDENTS_SECRET_KEY=secrets.token_urlsafe(32),
        INCIDENTS_FOLLOW_LOG="1",
    )
    log = own / "web.log"
    with log.open("w", encoding="utf-8") as errors:
        process = subprocess.Popen(
            [side.python, "-m", "benchmarks.serving", "--crud-url", crud],
            cwd=side.folder,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        yield serving._port_of(process, log), token
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def compare(
    sides: list[Side],
    backend: str,
    *,
    seconds: float,
    rounds: int,
    with_http: bool,
    server_url: str | None,
) -> dict[str, Any]:
    """Measure every side on one backend; return medians and ratios."""
    started = time.time()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-sealing-") as scratch:
        folder = Path(scratch)
        with Stores(backend, folder, server_url) as stores:
            writes(sides, stores, folder, seconds, rounds)
            if with_http:
                http(sides, stores, folder, seconds, rounds)
    figures = {side.label: side.medians() for side in sides}
    base = figures[sides[0].label]
    for side in sides[1:]:
        own = figures[side.label]
        for key in (
            "bare_save_per_s",
            "report_per_s",
            "report_sealed_per_s",
            "append_per_s",
            "http_per_s",
        ):
            if key in own and base.get(key):
                own[f"{key}_vs_{sides[0].label}"] = own[key] / base[key]
    return {
        "backend": backend,
        "seconds": seconds,
        "rounds": rounds,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "elapsed_s": time.time() - started,
        "sides": {
            side.label: {"folder": str(side.folder), "mode": side.mode}
            for side in sides
        },
        "figures": figures,
        "rounds_per_s": {
            side.label: {
                **{
                    phase: [run["per_s"] for run in runs]
                    for phase, runs in side.runs.items()
                },
                "http": [
                    len(run.latencies) / run.seconds for run in side.http if run.seconds
                ],
            }
            for side in sides
        },
    }


def table(result: dict[str, Any]) -> str:
    """Return the figures of one backend as a Markdown table."""
    labels = list(result["figures"])
    rows = [
        ("bare save /s", "bare_save_per_s"),
        ("report /s", "report_per_s"),
        ("report, sealed /s", "report_sealed_per_s"),
        ("report / bare save", "report_vs_bare_save"),
        ("report sealed / bare save", "sealed_report_vs_bare_save"),
        ("append /s", "append_per_s"),
        ("append, sealed /s", "append_sealed_per_s"),
        ("HTTP reports /s", "http_per_s"),
        ("HTTP p50 / p99 ms", None),
        ("CRUD endpoint /s", "crud_per_s"),
        ("HTTP / CRUD", "http_vs_crud"),
        ("HTTP / bare save", "http_vs_bare_save"),
    ]
    lines = [
        f"| {result['backend']} | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]
    for name, key in rows:
        cells = []
        for label in labels:
            own = result["figures"][label]
            if key is None:
                cells.append(
                    f"{own['http_p50_ms']:.1f} / {own['http_p99_ms']:.1f}"
                    if "http_p50_ms" in own
                    else ""
                )
            elif key not in own:
                cells.append("")
            elif key.startswith(("report_vs", "sealed_report", "http_vs")):
                cells.append(f"{own[key]:.2f}")
            else:
                cells.append(f"{own[key]:,.0f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Compare the sides named on the command line; print JSON and tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--side",
        action="append",
        type=Side.parse,
        required=True,
        help="LABEL=FOLDER[:MODE] of a checkout with its .venv (the first is the base)",
    )
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--http", action="store_true", help="also reports over HTTP")
    parser.add_argument(
        "--postgres-url", help="a server whose user may create databases"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    for backend in args.backend or ["sqlite"]:
        print(
            f"{backend}: {datetime.now(UTC):%H:%M:%S} UTC", file=sys.stderr, flush=True
        )
        results.append(
            compare(
                args.side,
                backend,
                seconds=args.seconds,
                rounds=args.rounds,
                with_http=args.http,
                server_url=postgres_server_url(args.postgres_url),
            )
        )
        for side in args.side:
            side.http = []
    for result in results:
        print(table(result))
        print(
            f"load average {result['load_average_before']} -> "
            f"{result['load_average_after']}, {result['elapsed_s']:.0f} s\n"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
