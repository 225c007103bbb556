"""The lock files: the service's holds no test tool, and every pin has its hashes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)", re.MULTILINE)
TEST_TOOLS = {"pytest", "playwright", "mypy", "ruff", "schemathesis", "hypothesis"}


def pins(name: str) -> dict[str, str]:
    return {
        package.lower(): version
        for package, version in PIN.findall((ROOT / name).read_text())
    }


def test_the_service_lock_holds_no_test_tool_and_agrees_with_the_dev_lock():
    service, dev = pins("requirements.lock"), pins("requirements-dev.lock")

    assert not TEST_TOOLS & set(service)
    assert set(dev) >= TEST_TOOLS
    assert {package: dev.get(package) for package in service} == service


def test_every_pinned_package_carries_its_hashes():
    for name in ("requirements.lock", "requirements-dev.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9._-]+==)", (ROOT / name).read_text())
        for block in blocks:
            if "==" in block.split("\n", 1)[0]:
                assert "--hash=sha256:" in block, (name, block.split()[0])
