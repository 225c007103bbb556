"""The sealing comparison runs each side in a worker of its own checkout, and
reports every phase of every side (no figure is checked: benchmarks are not tests).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks.sealing import PHASES, Side, compare, table

CHECKOUT = Path(__file__).resolve().parents[2]


def test_two_sides_of_this_checkout_are_measured_in_one_run() -> None:
    sides = [
        Side.parse(f"first={CHECKOUT}"),
        Side.parse(f"second={CHECKOUT}:transaction"),
    ]

    result = compare(
        sides,
        "sqlite",
        seconds=0.05,
        rounds=2,
        with_http=False,
        server_url=None,
    )

    assert list(result["figures"]) == ["first", "second"]
    for label in ("first", "second"):
        rounds = result["rounds_per_s"][label]
        assert {phase: len(rounds[phase]) for phase in PHASES} == dict.fromkeys(
            PHASES, 2
        )
        assert all(rate > 0 for phase in PHASES for rate in rounds[phase])
    assert "report_per_s_vs_first" in result["figures"]["second"]
    assert table(result).splitlines()[0] == "| sqlite | first | second |"


def test_a_side_is_label_folder_and_mode() -> None:
    side = Side.parse("old=/srv/old:follower")

    assert (side.label, side.folder, side.mode) == ("old", Path("/srv/old"), "follower")
    assert side.python == "/srv/old/.venv/bin/python"
    with pytest.raises(argparse.ArgumentTypeError, match="LABEL=FOLDER"):
        Side.parse("no-folder")
