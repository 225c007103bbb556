// The service worker of the mediators' app, served as /sw.js (scope "/").
//
// It keeps the files the pages need and three pages (the report page, the page
// that follows a report kept on the phone, "my follow-ups"), plus each
// incident's follow-on page once seen, so that they open without a network:
// pages are asked of the network first, the kept copy shown only when it fails
// (or answers 5xx). Copies belong to the person signed in: another person's,
// or a signed-out one's, are deleted. On Background Sync it sends the outbox
// (outbox.js), as the pages do on load, when back online, and on a timer.

import { flush } from "./static/offline/outbox.js";

const FILES = "files-v1";
const PAGES = "pages-v1:";
const FILE_URLS = [
  "/static/vendor/pico/pico.blue.min.css",
  "/static/pages.css",
  "/static/vendor/htmx/htmx.min.js",
  "/static/favicon.svg",
  "/static/offline/page.js",
  "/static/offline/store.js",
  "/static/offline/outbox.js",
  "/static/offline/icon-192.png",
];
const SHELL = "/hors-ligne/suite";
const KEPT_PAGES = ["/signaler", "/mes-suivis", SHELL];
const FOLLOW_ON = /^\/incidents\/[0-9a-f-]{36}\/suite$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(FILES)
      .then((cache) => cache.addAll(FILE_URLS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

async function pagesCache() {
  const names = (await caches.keys()).filter((name) => name.startsWith(PAGES));
  return names.length === 0 ? null : caches.open(names[0]);
}

// Pages are asked again at most this often (the pages a person opens are
// kept as they are opened anyway): every page load would triple the requests.
const KEEP_EVERY_MS = 5 * 60 * 1000;
const keptAt = new Map();

async function keepPages(person) {
  const own = PAGES + person;
  const last = keptAt.get(person);
  if (last !== undefined && Date.now() - last < KEEP_EVERY_MS && (await caches.has(own))) {
    return;
  }
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES) && name !== own) {
      await caches.delete(name);
    }
  }
  const cache = await caches.open(own);
  for (const path of KEPT_PAGES) {
    try {
      const response = await fetch(path, {
        credentials: "same-origin",
        headers: { "X-Offline-Keep": "1" },
      });
      if (response.ok && !response.redirected) {
        await cache.put(path, response);
      }
    } catch {
      return; // No network now: the copies kept before stay.
    }
  }
  keptAt.set(person, Date.now());
}

async function forgetPages() {
  keptAt.clear();
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES)) {
      await caches.delete(name);
    }
  }
}

function keptPath(url) {
  return KEPT_PAGES.includes(url.pathname) || FOLLOW_ON.test(url.pathname);
}

async function page(request, url, later) {
  const cache = await pagesCache();
  if (!self.navigator.onLine) {
    // Known to be offline: the kept copy at once, no request that could only fail.
    const copy = await keptCopy(cache, url);
    if (copy) {
      return copy;
    }
  }
  try {
    const response = await fetch(request);
    if (response.status < 500) {
      if (cache && response.ok && !response.redirected) {
        // Kept after the answer is given: the page never waits for the copy.
        later(cache.put(url.pathname, response.clone()));
      }
      return response;
    }
    return (await keptCopy(cache, url)) || response;
  } catch (error) {
    const copy = await keptCopy(cache, url);
    if (copy) {
      return copy;
    }
    throw error;
  }
}

async function keptCopy(cache, url) {
  if (cache === null) {
    return undefined;
  }
  const copy = await cache.match(url.pathname);
  if (copy || !FOLLOW_ON.test(url.pathname)) {
    return copy;
  }
  // An incident not seen yet on this phone: the page of reports kept here.
  return cache.match(SHELL);
}

async function file(request, url, later) {
  const copy = await caches.match(url.pathname);
  if (copy && !self.navigator.onLine) {
    return copy;
  }
  try {
    const response = await fetch(request);
    if (response.ok) {
      // The copy follows what the server serves now, for the next time offline.
      const copy = response.clone();
      later(caches.open(FILES).then((files) => files.put(url.pathname, copy)));
    }
    return response;
  } catch (error) {
    if (copy) {
      return copy;
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  const later = (work) => event.waitUntil(work);
  if (request.mode === "navigate" && keptPath(url)) {
    event.respondWith(page(request, url, later));
  } else if (FILE_URLS.includes(url.pathname)) {
    event.respondWith(file(request, url, later));
  }
});

async function tellPages(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) {
    client.postMessage(message);
  }
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "keep" && message.person) {
    event.waitUntil(keepPages(message.person));
  } else if (message.type === "forget") {
    event.waitUntil(
      forgetPages().then(() => event.source && event.source.postMessage({ type: "forgotten" })),
    );
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag.startsWith("outbox:")) {
    const person = event.tag.slice("outbox:".length);
    event.waitUntil(
      flush(person).then(async (result) => {
        await tellPages({ type: "outbox-changed" });
        if (result.waiting === "offline" || result.waiting === "unavailable") {
          // Failing the sync makes the browser try it again later.
          throw new Error(`outbox: ${result.waiting}`);
        }
      }),
    );
  }
});
