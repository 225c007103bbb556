// The phone's outbox: what a person reported or logged while the network was
// away, kept in IndexedDB until the server has it. A small module of our own
// (plain ES module, no build step), used by the pages and the service worker.
//
// An item: {seq, person, kind: "report" | "de_escalation", incident, url,
// fields: [[name, value], ...], facts: {category, severity, target, time},
// state: "pending" | "refused" | "done", status, message, waiting, queued_at,
// sent_at}. Items are sent in the order of `seq`. Once sent, `fields` (which
// hold the visitor's contact, if any) are deleted: only the facts stay, for a
// while, to show that it went.

const DB_NAME = "incidents-outbox";
const DB_VERSION = 1;
const ITEMS = "items";
const BY_PERSON = "person";

function opened() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const items = request.result.createObjectStore(ITEMS, {
        keyPath: "seq",
        autoIncrement: true,
      });
      items.createIndex(BY_PERSON, "person");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function answered(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Run `work(store)` in one transaction; resolve with its result once committed.
async function inTransaction(mode, work) {
  const db = await opened();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(ITEMS, mode);
      let result;
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
      Promise.resolve(work(transaction.objectStore(ITEMS))).then(
        (value) => {
          result = value;
        },
        (error) => {
          transaction.abort();
          reject(error);
        },
      );
    });
  } finally {
    db.close();
  }
}

export function add(item) {
  return inTransaction("readwrite", (store) => answered(store.add(item)));
}

export function itemsOf(person) {
  return inTransaction("readonly", (store) =>
    answered(store.index(BY_PERSON).getAll(person)),
  );
}

export function change(seq, changes, removed = []) {
  return inTransaction("readwrite", async (store) => {
    const item = await answered(store.get(seq));
    if (item === undefined) {
      return undefined;
    }
    Object.assign(item, changes);
    for (const name of removed) {
      delete item[name];
    }
    await answered(store.put(item));
    return item;
  });
}

export function remove(seq) {
  return inTransaction("readwrite", (store) => answered(store.delete(seq)));
}

export function removeAllOf(person) {
  return inTransaction("readwrite", async (store) => {
    const keys = await answered(store.index(BY_PERSON).getAllKeys(person));
    for (const key of keys) {
      store.delete(key);
    }
    return keys.length;
  });
}
