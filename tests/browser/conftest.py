"""Drive the pages in Debian's Chromium with Playwright, against the real server.

The app is served by waitress on 127.0.0.1 (a SQLite file, one person per
role). Every page a test opens is watched: a console error, a failed request,
or a request leaving 127.0.0.1 fails the test at teardown. Chromium comes from
Debian (``apt-get install chromium``); without it these tests are skipped, or
fail when ``INCIDENTS_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets).

Screenshots go to ``INCIDENTS_SCREENSHOTS_DIR`` when it is set (``make
screenshots`` sets ``docs/screenshots``), else into the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request

from incidents.application import IncidentLog
from tests.api.live import Server, serving
from tests.conftest import ledger_key_path, open_log, signing_key_path
from tests.pages.conftest import PASSWORD, PEOPLE
from web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Date and time fields drawn as a French user sees them (dd/mm/yyyy, 24 h).
    "--lang=fr-FR",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
LOCAL_HOSTS = {"127.0.0.1"}
SUBRESOURCES = {"script", "stylesheet", "image", "font"}
# Schemes that never reach the network.
LOCAL_SCHEMES = {"data", "blob", "about"}
FAVICON = "/static/favicon.svg"
ABORTED = "net::ERR_ABORTED"


def _chromium() -> str:
    path = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        reason = "Chromium is not installed (apt-get install -y chromium)."
        if os.environ.get("INCIDENTS_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"{reason} INCIDENTS_REQUIRE_BROWSER=1 forbids skipping.", pytrace=False
            )
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Launch Debian's Chromium (Playwright cannot download its own here)."""
    return {"executable_path": _chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """Open pages as a French phone would, unless a test asks otherwise."""
    return {"locale": "fr-FR", "viewport": PHONE, "timezone_id": "Europe/Paris"}


@dataclass
class Watch:
    """What a page did that a test must not allow."""

    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_failed)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in LOCAL_SCHEMES:
            return
        if parts.hostname not in LOCAL_HOSTS:
            self.foreign_requests.append(request.url)

    def _on_failed(self, request: Request) -> None:
        if request.failure == ABORTED and (
            urlsplit(request.url).path == FAVICON
            or request.resource_type in SUBRESOURCES
        ):
            # Chromium cancels the requests of a page that is left before they
            # arrive (a link followed at once): no fault of the page. A file
            # that fails to load still shows as a console error.
            return
        self.failed_requests.append(f"{request.url}: {request.failure}")

    def check(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.foreign_requests == [], self.foreign_requests
        assert self.failed_requests == [], self.failed_requests


@dataclass
class LiveSite:
    """The real server, the log behind it, and how to open pages on it."""

    server: Server
    log: IncidentLog
    browser: Browser
    screenshots: Path
    watches: list[Watch] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def open(
        self,
        who: str | None = None,
        *,
        viewport: dict[str, int] | None = None,
        locale: str = "fr-FR",
        java_script_enabled: bool = True,
    ) -> Page:
        """Open a new watched browser page, signed in as ``who`` if given."""
        context = self.browser.new_context(
            base_url=self.url,
            locale=locale,
            viewport=viewport or PHONE,
            timezone_id="Europe/Paris",
            java_script_enabled=java_script_enabled,
        )
        page = context.new_page()
        watch = Watch()
        watch.attach(page)
        self.watches.append(watch)
        self.pages.append(page)
        if who is not None:
            sign_in(page, who)
        return page

    def screenshot(self, page: Page, name: str) -> Path:
        """Save a full-page screenshot as ``NAME.png``; return its path."""
        path = self.screenshots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def wait_for_read_models(self) -> None:
        head = self.log.recorder.max_notification_id() or 0
        assert self.server.app.extensions["read_models"].projector.wait(
            head, timeout=10
        )


def sign_in(page: Page, who: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page, as a person would type it."""
    page.goto("/connexion")
    page.get_by_label("Identifiant").fill(who)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


@pytest.fixture
def live_site(
    browser: Browser,
    sqlite_url: str,
    opened_logs: list[IncidentLog],
    tmp_path: Path,
) -> Iterator[LiveSite]:
    """Serve the app on a SQLite file with waitress; watch every page opened."""
    log = open_log(sqlite_url)
    opened_logs.append(log)
    for name, (role, offices) in PEOPLE.items():
        log.register_user(
            actor="test", name=name, role=role, offices=offices, password=PASSWORD
        )
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "INCIDENT_LOG": log,
            "SECRET_KEY": "test",
            "SIGNING_KEY_PATH": str(signing_key_path()),
            "LEDGER_KEY_PATH": str(ledger_key_path()),
        }
    )
    configured = os.environ.get("INCIDENTS_SCREENSHOTS_DIR")
    screenshots = Path(configured) if configured else tmp_path / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    with serving(app) as server:
        site = LiveSite(
            server=server, log=log, browser=browser, screenshots=screenshots
        )
        try:
            yield site
            for watch in site.watches:
                watch.check()
        finally:
            for page in site.pages:
                page.context.close()
