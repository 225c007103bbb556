"""Reporting without a network: the phone keeps the report and sends it once.

Debian's Chromium on a phone viewport, against the real waitress server. The
network is cut with Playwright's ``context.set_offline(True)``. Measured here
(Debian's Chromium 150, headless): it also cuts the service worker's own
fetches (``test_going_offline_cuts_the_service_worker_too``), the pages'
``navigator.onLine`` turns false, and Background Sync fires when the network
returns even with every tab closed (the outbox was sent about 0.5 s after
``set_offline(False)``: ``test_with_every_tab_closed_background_sync_sends_them``).
The server's 503 comes
from a real fault: the SQLite file and its WAL made immutable (``chattr +i``,
as in ``tests/faults``), so that the store refuses writes until it is lifted.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import LiveSite, Watch, sign_in
from tests.browser.test_mediator_journey import choose
from tests.faults.conftest import immutable
from tests.pages.conftest import OFFICE

SUMMARY = "Usager énervé par l'attente, calmé par la médiatrice."
CONTACT_PHONE = "06 98 76 54 32"
CONTACT_NAME = "Visiteur Témoin"
FOLLOW_UP_NOTE = "Rappeler l'agent du guichet demain."
PARIS = ZoneInfo("Europe/Paris")
KEEP_TIMEOUT_S = 15
PAGES_KEPT = """async () => {
  const names = (await caches.keys()).filter((n) => n.startsWith("pages-"));
  if (names.length === 0) return false;
  const cache = await caches.open(names[0]);
  for (const path of ["/signaler", "/hors-ligne/suite", "/mes-suivis"]) {
    if ((await cache.match(path)) === undefined) return false;
  }
  return true;
}"""
SEND_TIMEOUT_MS = 30_000
OUTBOX_DUMP = """async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("incidents-outbox");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const items = await new Promise((resolve, reject) => {
    const request = db.transaction("items").objectStore("items").getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return items;
}"""


def controlled(page: Page, path: str = "/signaler") -> None:
    """Open ``path`` until the service worker controls it and keeps the pages."""
    page.goto(path)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    deadline = time.monotonic() + KEEP_TIMEOUT_S
    while not page.evaluate(PAGES_KEPT):
        assert time.monotonic() < deadline, "the service worker kept no pages"
        page.wait_for_timeout(100)


def outbox(page: Page) -> list[dict[str, Any]]:
    """Return every item the phone's IndexedDB holds, of anyone."""
    items: list[dict[str, Any]] = page.evaluate(OUTBOX_DUMP)
    return items


def report_offline(page: Page) -> str:
    """Fill the report form, with a contact, and send it; return its client id."""
    choose(page, "Catégorie", "Incivilité verbale").click()
    choose(page, "Gravité", "2 · Modérée").click()
    choose(page, "Qui était visé ?", "Personnel").click()
    page.get_by_label("Ce qui s'est passé").fill(SUMMARY)
    page.get_by_text("Coordonnées du visiteur").click()
    page.get_by_label("Nom", exact=True).fill(CONTACT_NAME)
    page.get_by_label("Téléphone", exact=True).fill(CONTACT_PHONE)
    page.get_by_role("button", name="Enregistrer le signalement").click()
    page.wait_for_url(re.compile(r".*/hors-ligne/suite\?id=.*"))
    return page.url.split("id=")[1]


def log_de_escalation(page: Page) -> None:
    choose(page, "Ce qui a été tenté", "Écoute active").click()
    choose(page, "Résultat", "Apaisé").click()
    page.get_by_role("button", name="Enregistrer la désescalade").click()


def pending_count(page: Page) -> Any:
    return expect(page.locator("#outbox-count"))


def history_types(live_site: LiveSite, incident_id: str) -> list[str]:
    history = live_site.log.get_incident_history(UUID(incident_id))
    return [event["type"] for event in history]


def reports_stored(live_site: LiveSite, incident_id: str) -> int:
    """Count the reports of that id in the whole log."""
    return sum(
        1
        for event in live_site.log.iter_history()
        if event["type"] == "Reported" and str(event["aggregate_id"]) == incident_id
    )


def forgive(watch: Watch, expected: Callable[[str], bool]) -> None:
    """Drop from the watch what the test caused on purpose (and only that)."""
    watch.console_errors[:] = [m for m in watch.console_errors if not expected(m)]
    watch.failed_requests[:] = [m for m in watch.failed_requests if not expected(m)]


def offline_then_back(
    live_site: LiveSite,
    page: Page,
    *,
    while_back: contextlib.AbstractContextManager[Any],
) -> str:
    """Report and log a de-escalation offline, reload offline, then come back."""
    controlled(page)
    page.context.set_offline(True)
    phone_time = time.time()
    incident_id = report_offline(page)
    pending_count(page).to_have_text("1")
    log_de_escalation(page)
    pending_count(page).to_have_text("2")
    expect(page.locator("#outbox-items li").last).to_contain_text("Pas de réseau")

    # Reloaded without a network, the page opens from the service worker's
    # copy, under the strict policy it was served with.
    reloaded = page.reload()
    assert reloaded is not None
    assert reloaded.from_service_worker
    policy = reloaded.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe" not in policy
    expect(
        page.get_by_role("heading", name="Signalement gardé sur ce téléphone")
    ).to_be_visible()
    pending_count(page).to_have_text("2")
    expect(page.locator("#outbox-items li")).to_have_count(2)
    assert reports_stored(live_site, incident_id) == 0

    with while_back:
        page.context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
    pending_count(page).to_have_text("0", timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#outbox-items li[data-state=done]")).to_have_count(2)

    assert history_types(live_site, incident_id) == [
        "Reported",
        "DeEscalationRecorded",
    ]
    assert reports_stored(live_site, incident_id) == 1
    incident = live_site.log.get_incident(UUID(incident_id))
    # The time the phone recorded, not the time it was finally sent.
    recorded = incident["occurred_at"].timestamp()
    assert abs(recorded - phone_time) < 120, (recorded, phone_time)
    assert incident["contact"] == {
        "name": CONTACT_NAME,
        "phone": CONTACT_PHONE,
        "email": None,
    }

    # The timeline shows both, in order.
    live_site.wait_for_read_models()
    page.goto(f"/incidents/{incident_id}")
    rows = page.locator("#incident-timeline tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Signalé")
    expect(rows.nth(1)).to_contain_text("Désescalade")
    return incident_id


def nonce_of(response: Response | None) -> str:
    assert response is not None
    found = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
    assert found is not None
    return found.group(1)


def test_going_offline_cuts_the_service_worker_too(live_site: LiveSite):
    page = live_site.open("mediator")
    controlled(page)
    from_worker: list[str] = []
    page.context.on(
        "requestfailed",
        lambda request: (
            from_worker.append(f"{request.url} {request.failure}")
            if request.service_worker is not None
            else None
        ),
    )

    page.context.set_offline(True)
    first = page.reload()
    second = page.reload()

    # The worker tried the network and was refused: the page is its kept copy.
    assert first is not None
    assert first.from_service_worker
    assert any(
        "/signaler" in failed and "ERR_INTERNET_DISCONNECTED" in failed
        for failed in from_worker
    ), from_worker
    # Each page the server sends has a new nonce: the same one twice is the copy.
    assert nonce_of(first) == nonce_of(second)
    page.context.set_offline(False)
    assert nonce_of(page.reload()) != nonce_of(page.reload())


def test_an_offline_report_and_its_de_escalation_reach_the_server_once_in_order(
    live_site: LiveSite,
):
    page = live_site.open("mediator")

    incident_id = offline_then_back(
        live_site, page, while_back=contextlib.nullcontext()
    )

    # Nothing with the visitor's contact stays on the phone once sent.
    items = outbox(page)
    assert [item["state"] for item in items] == ["done", "done"]
    assert all("fields" not in item for item in items)
    dumped = repr(items)
    assert CONTACT_PHONE not in dumped
    assert CONTACT_NAME not in dumped
    assert SUMMARY not in dumped
    assert {item["incident"] for item in items} == {incident_id}
    forgive(live_site.watches[0], lambda m: "ERR_INTERNET_DISCONNECTED" in m)


def wcag_violations(page: Page) -> list[dict[str, Any]]:
    # Imported here: the accessibility tests use this module's helpers.
    from tests.browser.test_accessibility import violations

    return violations(page)


def schedule_follow_up(page: Page, note: str) -> None:
    choose(page, "Type de suivi", "Soutien au personnel").click()
    page.locator("#follow-up-note").fill(note)
    page.get_by_role("button", name="Enregistrer le suivi").click()


def test_an_offline_report_its_de_escalation_and_follow_up_go_once_in_order(
    live_site: LiveSite,
):
    page = live_site.open("mediator")
    controlled(page)
    page.context.set_offline(True)
    incident_id = report_offline(page)
    log_de_escalation(page)
    pending_count(page).to_have_text("2")
    # The page is a copy kept earlier (three days ago, as the phone's clock
    # says): the date it offers is a week from today, not from when it was kept.
    later = datetime.now(PARIS) + timedelta(days=3)
    page.clock.set_fixed_time(later)
    page.reload()
    due = page.get_by_label("À faire pour le")
    in_a_week = later.date() + timedelta(days=7)
    expect(due).to_have_value(in_a_week.isoformat())
    expect(due).to_have_attribute("min", later.date().isoformat())
    schedule_follow_up(page, FOLLOW_UP_NOTE)
    pending_count(page).to_have_text("3")
    expect(page.locator("#outbox-items li").last).to_contain_text("Suivi")
    expect(page.locator("#outbox-items li").last).to_contain_text("Pas de réseau")

    reloaded = page.reload()
    assert reloaded is not None
    assert reloaded.from_service_worker
    pending_count(page).to_have_text("3")
    # Both forms shown on the kept copy, and it passes the WCAG rules.
    expect(page.locator("#queued-follow-up")).to_be_visible()
    expect(page.locator("#queued-de-escalation")).to_be_visible()
    assert wcag_violations(page) == []
    assert reports_stored(live_site, incident_id) == 0

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    pending_count(page).to_have_text("0", timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#outbox-items li[data-state=done]")).to_have_count(3)
    # Each once, in order, the follow-up at the version after the de-escalation.
    assert history_types(live_site, incident_id) == [
        "Reported",
        "DeEscalationRecorded",
        "FollowUpScheduled",
    ]
    assert reports_stored(live_site, incident_id) == 1
    follow_up = live_site.log.get_incident_history(UUID(incident_id))[2]
    assert follow_up["actor"] == "mediator"
    assert follow_up["data"]["kind"] == "staff_support"
    assert str(follow_up["data"]["due_on"]) == in_a_week.isoformat()
    assert follow_up["data"]["assignee"] == "mediator"
    assert follow_up["data"]["note"] == FOLLOW_UP_NOTE
    # Once sent, the fields are gone from the phone, the follow-up's too.
    items = outbox(page)
    assert [item["kind"] for item in items] == ["report", "de_escalation", "follow_up"]
    assert all("fields" not in item for item in items)
    assert FOLLOW_UP_NOTE not in repr(items)

    live_site.wait_for_read_models()
    page.goto(f"/incidents/{incident_id}")
    rows = page.locator("#incident-timeline tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Signalé")
    expect(rows.nth(1)).to_contain_text("Désescalade")
    expect(rows.nth(2)).to_contain_text("Soutien au personnel")
    forgive(live_site.watches[0], lambda m: "ERR_INTERNET_DISCONNECTED" in m)


@contextlib.contextmanager
def refusing_writes(live_site: LiveSite, page: Page) -> Iterator[None]:
    """Make the store refuse writes (503) while the phone comes back, then lift it."""
    database = Path(
        live_site.server.app.config["DATABASE_URL"].removeprefix("sqlite:///")
    )
    fault = immutable(database, database.with_name(database.name + "-wal"))
    with fault:
        yield
        # The outbox meets the 503 and says so; nothing is stored meanwhile.
        expect(page.locator("#outbox-items li").first).to_contain_text(
            "Serveur indisponible", timeout=SEND_TIMEOUT_MS
        )
        pending_count(page).to_have_text("2")


def test_the_outbox_waits_while_the_server_answers_503(live_site: LiveSite):
    page = live_site.open("mediator")

    offline_then_back(live_site, page, while_back=refusing_writes(live_site, page))

    forgive(
        live_site.watches[0],
        lambda m: "ERR_INTERNET_DISCONNECTED" in m or "503" in m,
    )


def test_the_outbox_sends_after_the_tab_is_closed_and_reopened(live_site: LiveSite):
    page = live_site.open("mediator")
    context = page.context
    controlled(page)
    context.set_offline(True)
    incident_id = report_offline(page)
    log_de_escalation(page)
    pending_count(page).to_have_text("2")
    page.close()

    # A new tab, still offline: the pages open from the copies kept.
    again = context.new_page()
    watch = Watch()
    watch.attach(again)
    live_site.watches.append(watch)
    again.goto("/signaler")
    pending_count(again).to_have_text("2")
    assert reports_stored(live_site, incident_id) == 0

    context.set_offline(False)
    again.evaluate("window.dispatchEvent(new Event('online'))")
    pending_count(again).to_have_text("0", timeout=SEND_TIMEOUT_MS)
    assert history_types(live_site, incident_id) == [
        "Reported",
        "DeEscalationRecorded",
    ]
    assert reports_stored(live_site, incident_id) == 1
    for each in live_site.watches:
        forgive(each, lambda m: "ERR_INTERNET_DISCONNECTED" in m)


PAGES_LEFT = (
    """async () => (await caches.keys()).filter((n) => n.startsWith("pages-"))"""
)


def test_after_sending_then_signing_out_nothing_of_the_person_stays(
    live_site: LiveSite,
):
    page = live_site.open("mediator")
    controlled(page)
    page.context.set_offline(True)
    report_offline(page)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    pending_count(page).to_have_text("0", timeout=SEND_TIMEOUT_MS)
    assert [item["state"] for item in outbox(page)] == ["done"]
    assert CONTACT_PHONE not in repr(outbox(page))

    # Nothing unsent: no warning, and signing out leaves nothing of the person.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")
    assert outbox(page) == []
    assert page.evaluate(PAGES_LEFT) == []
    forgive(live_site.watches[0], lambda m: "ERR_INTERNET_DISCONNECTED" in m)


def test_signing_out_with_unsent_items_warns_then_clears_them(live_site: LiveSite):
    page = live_site.open("mediator")
    controlled(page)
    page.context.set_offline(True)
    report_offline(page)
    expect(page.locator("#outbox-items li")).to_contain_text("Pas de réseau")

    page.get_by_role("button", name="Se déconnecter").click()
    warning = page.locator("#sign-out-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("garde 1 envoi")
    expect(warning).to_contain_text("effacés de ce téléphone")
    page.get_by_role("button", name="Rester connecté").click()
    expect(warning).to_be_hidden()
    assert len(outbox(page)) == 1

    # Still offline: the outbox is cleared first, then the sign-out is posted
    # (which cannot reach the server until the network is back).
    page.get_by_role("button", name="Se déconnecter").click()
    with page.expect_event(
        "requestfailed", predicate=lambda request: "/deconnexion" in request.url
    ):
        page.get_by_role("button", name="Se déconnecter et les effacer").click(
            no_wait_after=True
        )
    page.context.set_offline(False)
    page.goto("/static/favicon.svg")
    assert outbox(page) == []
    assert page.evaluate(PAGES_LEFT) == []
    forgive(live_site.watches[0], lambda m: "ERR_INTERNET_DISCONNECTED" in m)


def test_a_report_whose_session_expired_waits_for_sign_in_then_goes(
    live_site: LiveSite,
):
    page = live_site.open("mediator")
    controlled(page)
    page.context.set_offline(True)
    incident_id = report_offline(page)
    log_de_escalation(page)
    page.context.clear_cookies()  # The session ends while the phone is offline.

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox-items li").first).to_contain_text(
        "Attend votre connexion", timeout=SEND_TIMEOUT_MS
    )
    pending_count(page).to_have_text("2")
    assert reports_stored(live_site, incident_id) == 0

    sign_in(page, "mediator")  # Back on the report page, which sends them.
    assert page.url.endswith("/signaler")
    pending_count(page).to_have_text("0", timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#outbox-items li[data-state=done]")).to_have_count(2)
    assert history_types(live_site, incident_id) == [
        "Reported",
        "DeEscalationRecorded",
    ]
    # The outbox keeps asking (every few seconds) while the test signs in: a
    # question left by the page as it goes to the sign-in page is cancelled.
    forgive(
        live_site.watches[0],
        lambda m: (
            "ERR_INTERNET_DISCONNECTED" in m
            or "401" in m
            or m.endswith("/hors-ligne/jeton: net::ERR_ABORTED")
        ),
    )


def test_a_report_whose_id_is_taken_is_shown_refused_never_done(
    live_site: LiveSite,
):
    page = live_site.open("mediator")
    controlled(page)
    page.context.set_offline(True)
    taken = page.locator("input[name=report_id]").input_value()
    live_site.log.report_incident(
        actor="mediator",
        incident_id=UUID(taken),
        office=OFFICE,
        occurred_at=datetime.now(UTC) - timedelta(hours=2),
        category="theft",
        severity=1,
        target="property",
        summary="Un autre incident, déjà enregistré.",
    )
    incident_id = report_offline(page)
    assert incident_id == taken
    log_de_escalation(page)
    schedule_follow_up(page, FOLLOW_UP_NOTE)
    pending_count(page).to_have_text("3")
    expect(page.locator("#outbox-items li").last).to_contain_text("Pas de réseau")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    items = page.locator("#outbox-items li")
    expect(items.first).to_contain_text("Refusé (409)", timeout=SEND_TIMEOUT_MS)
    expect(items.first).to_contain_text("n'a pas été enregistré")
    expect(items.nth(1)).to_contain_text("Attend l'envoi du signalement")
    expect(items.nth(2)).to_contain_text("Attend l'envoi du signalement")
    pending_count(page).to_have_text("3")
    assert history_types(live_site, incident_id) == ["Reported"]
    assert live_site.log.get_incident(UUID(incident_id))["category"] == "theft"

    # The mediator removes it from the phone, with what followed it: nothing
    # was taken as done, nor sent to the incident that holds that id.
    items.first.get_by_role("button", name="Retirer de ce téléphone").click()
    expect(items).to_have_count(0)
    assert outbox(page) == []
    page.reload()
    pending_count(page).to_have_text("0")  # Shown once the outbox is read.
    assert history_types(live_site, incident_id) == ["Reported"]
    forgive(
        live_site.watches[0],
        lambda m: "ERR_INTERNET_DISCONNECTED" in m or "409" in m,
    )


def test_a_kept_follow_up_refused_by_the_server_stays_with_its_message(
    live_site: LiveSite,
):
    page = live_site.open("mediator")
    controlled(page)
    page.context.set_offline(True)
    incident_id = report_offline(page)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    pending_count(page).to_have_text("0", timeout=SEND_TIMEOUT_MS)
    page.context.set_offline(True)
    # Meanwhile, on the server, an officer plans a follow-up of their own.
    live_site.log.schedule_follow_up(
        UUID(incident_id),
        actor="officer",
        kind="manager_report",
        due_on=datetime.now(UTC).date() + timedelta(days=2),
    )

    schedule_follow_up(page, FOLLOW_UP_NOTE)
    pending_count(page).to_have_text("1")
    # The page's own try, made while the mediator waits, has found no network.
    # Back online before it ends, the server's refusal would be shown on the
    # form (the person is still there) rather than kept in the list.
    expect(page.locator("#outbox-items li").last).to_contain_text("Pas de réseau")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")

    refused = page.locator("#outbox-items li[data-state=refused]")
    expect(refused).to_contain_text("Refusé (409)", timeout=SEND_TIMEOUT_MS)
    expect(refused).to_contain_text("a changé entre-temps")
    expect(refused).to_contain_text("Suivi")
    pending_count(page).to_have_text("1")
    page.reload()
    expect(refused).to_contain_text("a changé entre-temps")
    assert history_types(live_site, incident_id) == ["Reported", "FollowUpScheduled"]
    assert live_site.log.get_incident_history(UUID(incident_id))[1]["actor"] == (
        "officer"
    )
    forgive(
        live_site.watches[0],
        lambda m: "ERR_INTERNET_DISCONNECTED" in m or "409" in m,
    )


def test_with_every_tab_closed_background_sync_sends_them(live_site: LiveSite):
    page = live_site.open("mediator")
    context = page.context
    controlled(page)
    context.set_offline(True)
    incident_id = report_offline(page)
    log_de_escalation(page)
    expect(page.locator("#outbox-items li").last).to_contain_text("Pas de réseau")
    registered = page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.sync.getTags())"
    )
    assert registered == ["outbox:mediator"]
    page.close()
    assert context.pages == []

    # No page open: the service worker sends them on Background Sync.
    context.set_offline(False)
    deadline = time.monotonic() + SEND_TIMEOUT_MS / 1000
    while reports_stored(live_site, incident_id) == 0 or len(
        history_types(live_site, incident_id)
    ) < 2:  # fmt: skip
        assert time.monotonic() < deadline, "nothing was sent with the tab closed"
        time.sleep(0.2)
    assert history_types(live_site, incident_id) == [
        "Reported",
        "DeEscalationRecorded",
    ]
    assert reports_stored(live_site, incident_id) == 1
    forgive(live_site.watches[0], lambda m: "ERR_INTERNET_DISCONNECTED" in m)
