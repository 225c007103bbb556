"""Behind a reverse proxy, the sign-in throttle counts each visitor, not the proxy.

The real server (``incidents serve``) is started with and without
``--trusted-proxy 127.0.0.1``; requests carry ``X-Forwarded-For`` as nginx sets
it. With the setting, five wrong passwords from one visitor stop that visitor
only; without it, the forwarded header is ignored, and everyone behind the
proxy is one address.
"""

from __future__ import annotations

import http.client
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.faults.conftest import (
    HOST,
    INCIDENTS,
    Service,
    service_environment,
    start_service,
)

PASSWORD = "a long passphrase for tests"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Visitor:
    """A browser at one address, as the proxy names it, with its own cookie."""

    def __init__(self, service: Service, address: str) -> None:
        self.service = service
        self.address = address
        self.cookie = ""

    def sign_in(self, name: str, password: str) -> int:
        page = self._request("GET", "/connexion")
        token = CSRF.search(page[1])
        assert token is not None, page
        status, _ = self._request(
            "POST",
            "/connexion",
            urlencode({"name": name, "password": password, "csrf_token": token[1]}),
        )
        return status

    def _request(self, method: str, path: str, body: str | None = None):
        connection = http.client.HTTPConnection(HOST, self.service.port, timeout=30)
        headers = {"X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()


def serve(tmp_path: Path, **settings: str) -> Iterator[Service]:
    environment = {
        **service_environment(f"sqlite:///{tmp_path / 'log.sqlite3'}", tmp_path),
        **settings,
    }
    for name in ("officer", "mediator"):
        added = subprocess.run(
            [INCIDENTS, "users", "add", name, "--role", name, "--password-stdin"],
            input=PASSWORD + "\n",
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert added.returncode == 0, added.stderr
    service = start_service(environment, tmp_path / "serve.log")
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[Service]:
    yield from serve(tmp_path, INCIDENTS_TRUSTED_PROXY="127.0.0.1")


@pytest.fixture
def without_setting(tmp_path: Path) -> Iterator[Service]:
    yield from serve(tmp_path)


def test_one_visitors_wrong_passwords_stop_neither_others_nor_the_right_one(
    behind_proxy: Service,
):
    guesser = Visitor(behind_proxy, "203.0.113.7")
    statuses = [guesser.sign_in("officer", "guess") for _ in range(6)]

    other = Visitor(behind_proxy, "198.51.100.9").sign_in("mediator", "wrong")
    right = Visitor(behind_proxy, "198.51.100.10").sign_in("officer", PASSWORD)

    assert statuses == [200] * 5 + [429]
    assert other == 200  # Refused, shown the form again: not throttled.
    assert right == 303  # Signed in.


def test_without_the_setting_a_forwarded_address_is_ignored(
    without_setting: Service,
):
    for number in range(5):
        Visitor(without_setting, f"203.0.113.{number}").sign_in("officer", "guess")

    elsewhere = Visitor(without_setting, "198.51.100.9").sign_in("mediator", "wrong")

    assert elsewhere == 429  # Every request came from 127.0.0.1.
