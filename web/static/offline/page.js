// The outbox on the pages of those who report (see store.js and outbox.js).
//
// - installs the service worker, and asks it to keep this person's pages;
// - the report form is kept in the outbox before it is sent: sent at once when
//   the server answers, otherwise shown as kept on the phone and sent later
//   (on load, when the network returns, every few seconds, by Background Sync);
// - the page that follows a kept report lets a de-escalation or a follow-up
//   follow it;
// - lists what waits on this phone, with each item's state and the server's
//   answer; a refusal stays listed until the mediator removes it;
// - warns before signing out while something is unsent, then clears this
//   person's outbox and kept pages.
// Without JavaScript none of this runs and the forms post as they always did.

import { flush, prune, WAITING } from "./outbox.js";
import { add, itemsOf, remove, removeAllOf } from "./store.js";

const RETRY_MS = 5000;
const FRESH_FORM_MS = 60 * 60 * 1000;
const body = document.body;
const person = body.dataset.person;
const texts = JSON.parse(document.getElementById("outbox").dataset.texts);

function parisLocal(date) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Paris",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  for (const part of format.formatToParts(date)) {
    parts[part.type] = part.value;
  }
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

function shownTime(localTime) {
  const [day, clock] = localTime.split("T");
  const [year, month, date] = day.split("-");
  return `${date}/${month}/${year} ${clock.slice(0, 5)}`;
}

function checkedLabel(form, name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  const label = input && input.closest("label");
  return label ? label.textContent.trim() : "";
}

// --- what waits on this phone -------------------------------------------

function stateText(item) {
  if (item.state === "done") {
    return texts.done;
  }
  if (item.state === "refused") {
    return `${texts.refused} (${item.status}) : ${item.message}`;
  }
  return texts[item.waiting] || texts.pending;
}

async function render() {
  const items = await itemsOf(person);
  const section = document.getElementById("outbox");
  const list = document.getElementById("outbox-items");
  const unsent = items.filter((item) => item.state !== "done");
  document.getElementById("outbox-count").textContent = String(unsent.length);
  section.hidden = items.length === 0;
  list.replaceChildren(
    ...items.map((item) => {
      const entry = document.createElement("li");
      entry.dataset.state = item.state;
      entry.dataset.incident = item.incident;
      const what = document.createElement("strong");
      what.textContent = texts[item.kind] || item.kind;
      const facts = document.createElement("span");
      facts.textContent = ` ${item.facts.category || ""} · ${shownTime(item.facts.time)} — `;
      const state = document.createElement("span");
      state.className = "outbox-state";
      state.textContent = stateText(item);
      entry.append(what, facts, state);
      if (item.state === "refused") {
        const discard = document.createElement("button");
        discard.type = "button";
        discard.className = "secondary outline small";
        discard.textContent = texts.discard;
        discard.addEventListener("click", async () => {
          // What followed a report that was not stored goes with it: sent
          // alone it would land on whatever incident holds that id.
          for (const other of items) {
            if (
              other.seq === item.seq ||
              (item.kind === "report" &&
                other.incident === item.incident &&
                other.state !== "done")
            ) {
              await remove(other.seq);
            }
          }
          await render();
        });
        entry.append(" ", discard);
      }
      return entry;
    }),
  );
  fillQueuedPage(items);
  return items;
}

// --- sending ----------------------------------------------------------------

let retry = null;

async function send(now = null) {
  const result = await flush(person, now);
  const items = await render();
  const waiting = items.some((item) => item.state === "pending");
  clearTimeout(retry);
  retry = waiting ? setTimeout(() => send(), RETRY_MS) : null;
  return result;
}

async function askForSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) {
      await registration.sync.register(`outbox:${person}`);
    }
  } catch {
    // No Background Sync here: the pages send on load, online and on a timer.
  }
}

async function keep(item) {
  const seq = await add({
    person,
    state: "pending",
    waiting: null,
    queued_at: new Date().toISOString(),
    ...item,
  });
  await render();
  askForSync();
  const result = await send(seq);
  // Only this page's own try counts as answered while the person waits: a
  // refusal another tab or the service worker got meanwhile stays in the list.
  // Sent by either, it is done all the same.
  const own = result.answered.get(seq);
  if (own) {
    return own;
  }
  const [after] = (await itemsOf(person)).filter((one) => one.seq === seq);
  return after && after.state === "done" ? after : null;
}

// --- the report form ----------------------------------------------------------

function watchReportForm(form) {
  const openedAt = new Date();
  const id = form.querySelector('input[name="report_id"]');
  // Each report typed on this phone gets its own id, even on a kept copy.
  id.value = crypto.randomUUID();
  form.addEventListener("submit", async (event) => {
    if (form.dataset.native === "1") {
      return;
    }
    event.preventDefault();
    if (form.dataset.busy === "1") {
      return; // A second tap while the first is kept: one report.
    }
    form.dataset.busy = "1";
    const data = new FormData(form);
    data.delete("csrf_token");
    data.delete("opened_at");
    data.set("office", form.dataset.office);
    const sentAt = new Date();
    if (!data.get("occurred_at")) {
      // The time the phone recorded, as the page itself would take it.
      const when = sentAt - openedAt <= FRESH_FORM_MS ? openedAt : sentAt;
      data.set("occurred_at", parisLocal(when));
    }
    const incident = id.value;
    const item = await keep({
      kind: "report",
      incident,
      url: form.dataset.outbox,
      fields: [...data.entries()],
      facts: {
        category: checkedLabel(form, "category"),
        severity: checkedLabel(form, "severity"),
        target: checkedLabel(form, "target"),
        time: String(data.get("occurred_at")),
      },
    });
    if (item && item.state === "done") {
      // Sent while the person waited: the next page says so, nothing to list.
      await remove(item.seq);
      window.location.assign(`/incidents/${incident}/suite`);
    } else if (item && item.state === "refused") {
      // The server is there and says what is wrong: its own page shows it.
      await remove(item.seq);
      form.dataset.native = "1";
      form.submit();
    } else {
      window.location.assign(`${form.dataset.kept}?id=${incident}`);
    }
  });
}

// --- the page that follows a kept report ------------------------------------

function queuedIncident() {
  const asked = new URLSearchParams(window.location.search).get("id");
  if (asked) {
    return asked;
  }
  const match = window.location.pathname.match(/^\/incidents\/([0-9a-f-]{36})\/suite$/);
  return match ? match[1] : null;
}

function fillQueuedPage(items) {
  const brief = document.getElementById("queued-brief");
  if (brief === null) {
    return;
  }
  const incident = queuedIncident();
  const report = items.find((item) => item.kind === "report" && item.incident === incident);
  document.getElementById("queued-unknown").hidden = report !== undefined;
  brief.hidden = report === undefined;
  for (const section of ["queued-de-escalation", "queued-follow-up"]) {
    document.getElementById(section).hidden =
      report === undefined || report.state === "refused";
  }
  if (report === undefined) {
    return;
  }
  for (const fact of brief.querySelectorAll("[data-fact]")) {
    const value = report.facts[fact.dataset.fact];
    fact.textContent = fact.dataset.fact === "time" ? shownTime(value) : value;
  }
  document.getElementById("queued-state").textContent = stateText(report);
}

// What follows a kept report: how it is sent and what the list shows of it.
const FOLLOWING = {
  de_escalation: {
    path: "desescalades",
    shown: (form) => checkedLabel(form, "outcome"),
  },
  follow_up: {
    path: "suivis",
    shown: (form) => checkedLabel(form, "kind"),
  },
};

function parisDay(date) {
  return parisLocal(date).slice(0, 10);
}

function watchQueuedForm(form, kind) {
  const error = document.getElementById(`${form.id.replace(/-form$/, "")}-error`);
  const due = form.querySelector('input[name="due_on"]');
  if (due !== null) {
    // This page may be a copy kept days ago: its dates are those of today.
    // A week of calendar days (not of hours: a change of summer time is no
    // day less).
    const today = parisDay(new Date());
    const [year, month, day] = today.split("-").map(Number);
    due.min = today;
    due.value = new Date(Date.UTC(year, month - 1, day + 7)).toISOString().slice(0, 10);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.busy === "1") {
      return;
    }
    form.dataset.busy = "1";
    try {
      await keepFollowing(form, kind, error);
    } finally {
      delete form.dataset.busy;
    }
  });
}

async function keepFollowing(form, kind, error) {
  const incident = queuedIncident();
  const items = await itemsOf(person);
  // Right after its report (version 1), each item kept after it one later.
  const before = items.filter(
    (item) => item.kind !== "report" && item.incident === incident,
  );
  const data = new FormData(form);
  data.set("version", String(1 + before.length));
  const item = await keep({
    kind,
    incident,
    url: `/hors-ligne/incidents/${incident}/${FOLLOWING[kind].path}`,
    fields: [...data.entries()],
    facts: {
      category: FOLLOWING[kind].shown(form),
      time: parisLocal(new Date()),
    },
  });
  if (item && item.state === "done") {
    await remove(item.seq);
    window.location.assign(`/incidents/${incident}/suite`);
    return;
  }
  if (item && item.state === "refused") {
    await remove(item.seq);
    error.textContent = item.message;
    error.hidden = false;
    await render();
    return;
  }
  error.hidden = true;
  const due = form.querySelector('input[name="due_on"]');
  const kept = due === null ? null : due.value;
  form.reset();
  if (due !== null) {
    due.value = kept;
  }
}

// --- signing out ------------------------------------------------------------

async function forgetPages() {
  const registration = await navigator.serviceWorker.getRegistration();
  const worker = registration && registration.active;
  if (!worker) {
    return;
  }
  await new Promise((resolve) => {
    const done = setTimeout(resolve, 2000);
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "forgotten") {
        clearTimeout(done);
        resolve();
      }
    });
    worker.postMessage({ type: "forget" });
  });
}

function watchSignOut(form) {
  const warning = document.getElementById("sign-out-warning");
  const text = document.getElementById("sign-out-text");
  let confirmed = false;
  async function leave() {
    await removeAllOf(person);
    await forgetPages();
    form.submit();
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const unsent = (await itemsOf(person)).filter((item) => item.state !== "done");
    if (unsent.length > 0 && !confirmed) {
      text.textContent = text.dataset.text.replace("{count}", String(unsent.length));
      warning.hidden = false;
      document.getElementById("sign-out-stay").focus();
      return;
    }
    await leave();
  });
  document.getElementById("sign-out-stay").addEventListener("click", () => {
    warning.hidden = true;
  });
  document.getElementById("sign-out-anyway").addEventListener("click", async () => {
    confirmed = true;
    await leave();
  });
}

// --- start --------------------------------------------------------------------

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register(body.dataset.serviceWorker, { scope: "/", type: "module" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (navigator.onLine && registration.active) {
          registration.active.postMessage({ type: "keep", person });
        }
      })
      .catch(() => {
        // Without a service worker the outbox still keeps and sends.
      });
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-changed") {
        render();
      }
    });
  }
  const reportForm = document.querySelector("form.report-form");
  if (reportForm !== null) {
    watchReportForm(reportForm);
  }
  const deEscalationForm = document.getElementById("queued-de-escalation-form");
  if (deEscalationForm !== null) {
    watchQueuedForm(deEscalationForm, "de_escalation");
  }
  const followUpForm = document.getElementById("queued-follow-up-form");
  if (followUpForm !== null) {
    watchQueuedForm(followUpForm, "follow_up");
  }
  const signOut = document.getElementById("sign-out-form");
  if (signOut !== null) {
    watchSignOut(signOut);
  }
  window.addEventListener("online", () => send());
  await prune(person);
  await render();
  await send();
}

start();
