// Send what the outbox keeps, in order, once the network and the session allow.
//
// Every item goes through the page form it came from (the person's session, a
// fresh CSRF token from /hors-ligne/jeton), answered in JSON: 201 or 200 done
// (the server stores a report once per id: a retry is harmless), 409/422/404
// refused with the server's message, kept for the mediator to see, never
// dropped; no network, 5xx or 429: try again later; no session: wait for the
// person to sign in again. Pages and the service worker share this module; a
// Web Lock keeps two of them from sending at once.

import { change, itemsOf, remove } from "./store.js";

export const TOKEN_URL = "/hors-ligne/jeton";
const LOCK = "incidents-outbox";
// Sent items stay listed this long (without their fields), then go.
const DONE_KEPT_MS = 15 * 60 * 1000;

export const WAITING = {
  offline: "offline",
  signIn: "sign_in",
  unavailable: "unavailable",
  blocked: "blocked",
};

async function token() {
  let response;
  try {
    response = await fetch(TOKEN_URL, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
  } catch {
    return { waiting: WAITING.offline };
  }
  const answer = await answerOf(response);
  if (response.status === 401) {
    return { waiting: WAITING.signIn };
  }
  if (!response.ok) {
    return { waiting: WAITING.unavailable };
  }
  return answer;
}

async function post(item, csrfToken, now) {
  const body = new URLSearchParams(item.fields);
  body.set("csrf_token", csrfToken);
  const headers = { "X-Outbox": "1", Accept: "application/json" };
  if (now) {
    headers["X-Outbox-Now"] = "1";
  }
  try {
    return await fetch(item.url, {
      method: "POST",
      body,
      headers,
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store",
    });
  } catch {
    return null;
  }
}

async function answerOf(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

function refusal(answer, status) {
  const parts = [answer.message || `HTTP ${status}`];
  for (const messages of Object.values(answer.errors || {})) {
    parts.push(...messages);
  }
  return [...new Set(parts)].join(" ");
}

// Send one item; return the waiting reason that stops the round, if any.
async function sendOne(item, state) {
  let response = await post(item, state.csrf, state.now === item.seq);
  if (response !== null && response.status === 400) {
    await answerOf(response);
    // A CSRF token from a session that ended meanwhile: ask for a fresh one once.
    const fresh = await token();
    if (fresh.waiting) {
      return fresh.waiting;
    }
    state.csrf = fresh.csrf_token;
    response = await post(item, state.csrf, state.now === item.seq);
  }
  if (response === null) {
    return WAITING.offline;
  }
  // Read every answer to its end: one left unread stays open until the page goes.
  const answer = await answerOf(response);
  if (response.type === "opaqueredirect" || response.status === 401) {
    return WAITING.signIn;
  }
  if (response.status === 429 || response.status >= 500) {
    return WAITING.unavailable;
  }
  if (response.status === 200 || response.status === 201) {
    // Sent: forget the fields (the contact among them), keep the facts a while.
    await change(
      item.seq,
      {
        state: "done",
        status: response.status,
        sent_at: new Date().toISOString(),
        waiting: null,
        message: null,
      },
      ["fields"],
    );
    return null;
  }
  await change(item.seq, {
    state: "refused",
    status: response.status,
    message: refusal(answer, response.status),
    waiting: null,
  });
  return null;
}

async function round(person, now) {
  const items = await itemsOf(person);
  const pending = items.filter((item) => item.state === "pending");
  // What this round itself had answered, by seq (the page that kept an item
  // tells the waiting person only of its own try's answer).
  const answered = new Map();
  if (pending.length === 0) {
    return { sent: 0, waiting: null, answered };
  }
  // Known to be offline: no request at all (it could only fail).
  const given = navigator.onLine ? await token() : { waiting: WAITING.offline };
  let waiting = given.waiting || null;
  if (!waiting && given.person !== person) {
    // Someone else is signed in on this phone: this person's items wait for them.
    waiting = WAITING.signIn;
  }
  const state = { csrf: given.csrf_token, now };
  // Reports not stored: what follows them waits for the mediator, never goes alone.
  const unsent = new Set(
    items
      .filter((item) => item.kind === "report" && item.state === "refused")
      .map((item) => item.incident),
  );
  let sent = 0;
  for (const item of pending) {
    if (waiting) {
      await change(item.seq, { waiting });
      continue;
    }
    if (item.kind !== "report" && unsent.has(item.incident)) {
      await change(item.seq, { waiting: WAITING.blocked });
      continue;
    }
    waiting = await sendOne(item, state);
    if (waiting) {
      await change(item.seq, { waiting });
      continue;
    }
    const [after] = (await itemsOf(person)).filter((i) => i.seq === item.seq);
    if (after) {
      answered.set(item.seq, after);
    }
    if (after && after.state === "done") {
      sent += 1;
    } else if (item.kind === "report") {
      unsent.add(item.incident);
    }
  }
  return { sent, waiting, answered };
}

// Send what the person's outbox holds; `now`: the seq of an item the person
// waits for on the page (answered with a message to show on the next page).
export function flush(person, now = null) {
  if (navigator.locks) {
    return navigator.locks.request(LOCK, () => round(person, now));
  }
  return round(person, now);
}

// Drop sent items listed for long enough.
export async function prune(person) {
  const limit = Date.now() - DONE_KEPT_MS;
  for (const item of await itemsOf(person)) {
    if (item.state === "done" && Date.parse(item.sent_at) < limit) {
      await remove(item.seq);
    }
  }
}
