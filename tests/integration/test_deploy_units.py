"""The systemd units under deploy/ are valid, as systemd itself reads them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from web.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))


def installed_copies(folder: Path) -> list[Path]:
    """Write the units as installed, pointing at this checkout and a real env file."""
    env_file = folder / "incidents.env"
    shutil.copy(DEPLOY / "incidents.env.example", env_file)
    copies = []
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/etc/incidents/incidents.env", str(env_file))
        text = text.replace("/opt/incidents", str(ROOT))
        copy = folder / unit.name
        copy.write_text(text, encoding="utf-8")
        copies.append(copy)
    return copies


def test_every_unit_and_timer_passes_systemd_analyze_verify(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is needed (Debian package systemd)"
    copies = installed_copies(tmp_path)

    checked = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )

    # Unknown keys and bad values are only warnings for systemd: refuse them too.
    ours = [line for line in checked.stderr.splitlines() if str(tmp_path) in line]
    assert checked.returncode == 0, checked.stderr
    assert ours == []


def test_each_timer_starts_a_service_that_ships_beside_it():
    timers = sorted(DEPLOY.glob("*.timer"))

    assert {timer.stem for timer in timers} == {
        "incidents-backup",
        "incidents-verify",
        "incidents-retention",
    }
    for timer in timers:
        assert (DEPLOY / f"{timer.stem}.service").exists()


def test_every_command_and_option_the_units_run_exists():
    for unit in UNITS:
        for line in unit.read_text(encoding="utf-8").splitlines():
            if "bin/incidents " not in line:
                continue
            words = line.split("bin/incidents ", 1)[1].strip("'\"").split()
            command: click.Command = main
            for word in words:
                if word.startswith("-") or not isinstance(command, click.Group):
                    break
                found = command.get_command(click.Context(command), word)
                assert found is not None, (unit.name, word)
                command = found
            known = {name for param in command.params for name in param.opts}
            used = {word for word in words if word.startswith("--")}
            assert used <= known, (unit.name, used - known)
