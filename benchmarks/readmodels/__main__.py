"""Run the read-model benchmark from the command line (see the package's docstring)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks import readmodels
from benchmarks.readmodels.phases import phase, query_latencies
from benchmarks.readmodels.report import MEASURED_PHASES, print_report


def main() -> None:
    """Measure the sizes asked, or run one phase in this child process."""
    parser = argparse.ArgumentParser(
        description=(readmodels.__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--events", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: SQLite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures there")
    parser.add_argument(
        "--phase", choices=[*MEASURED_PHASES, "queries"], help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.phase == "queries":
        print(json.dumps(query_latencies(arguments.database_url, arguments.samples)))
        return
    if arguments.phase:
        print(json.dumps(phase(arguments.database_url, arguments.phase)))
        return
    result = readmodels.measure_readmodels(
        arguments.database_url,
        arguments.events,
        arguments.repeat,
        samples=arguments.samples,
        progress=lambda lines: print(lines, flush=True),
    )
    print_report(result, sizes_printed=True)
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
