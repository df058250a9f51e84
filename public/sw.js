// cardcrm service worker.
//
// * App shell: the wasm/js/css bundle, icons and the offline page are cached at install. Icons and
//   the offline page are served cache-first (refreshed in the background); pages are network-first
//   with the offline page when there is no network. The bundle's names carry their content hash in
//   a release build (the server substitutes them and the cache name below when it serves this
//   file, server/src/assets.rs), so it is cache-first; unhashed names (development) are
//   network-first.
// * Offline cards: a `POST /api/v1/scans` that fails for lack of network is stored in IndexedDB and
//   answered `202 {"status":"queued_offline","detail":…}`. The queue is replayed in order when the
//   connection returns (`online` in a page, Background Sync, or the next request that reaches the
//   server). Pages hear `{type:"queue", count, items}` messages to show how many cards wait.
// * Each queued card belongs to the account that was signed in on the page that took it (pages
//   announce it: `{type:"hello"|"user", user:{id, name}}`). A card is only ever uploaded while the
//   server says (`GET /api/v1/auth/me`, with the cookies the upload will carry) that the same
//   account is signed in; another account's cards wait for their owner. The page asks the new
//   account whether to take them over (`{type:"adopt", ids, user}`) or discard them
//   (`{type:"discard", ids}`).
// * The on-device reader (issue 23, public/ocr-device.js): its models (`/ocr-models/*`, 27 MB,
//   pinned by SHA-256, checked by the reader) are kept in their own cache, cache first, so they
//   are fetched once; the reader's code (`/ocr/*`) is network first with the kept copy offline.
//   Neither cache is dropped when the shell's version changes; the profile page removes the models.
//   A card read on the device and saved without a connection (`POST /api/v1/scans/device`) waits
//   in the same queue as photos and is sent the same way.

"use strict";

const VERSION = "cardcrm-shell-v1";
const OFFLINE_PAGE = "/offline.html";
const SHELL = [
  OFFLINE_PAGE,
  "/pwa.js",
  "/ocr-device.js",
  "/favicon.svg",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/pkg/cardcrm.css",
  "/pkg/cardcrm.js",
  "/pkg/cardcrm.wasm",
];
const DB_NAME = "cardcrm-offline";
const STORE = "uploads";
const META = "meta";
const SCANS_PATH = "/api/v1/scans";
const DEVICE_SAVE_PATH = "/api/v1/scans/device";
const OCR_MODELS = "cardcrm-ocr-models";
const OCR_CODE = "cardcrm-ocr-code";
const KEPT_CACHES = [OCR_MODELS, OCR_CODE];
const ME_PATH = "/api/v1/auth/me";

// ---- IndexedDB queue -------------------------------------------------------------------------

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 2);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function withStore(mode, fn, store) {
  const name = store || STORE;
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const result = fn(tx.objectStore(name));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const queueAdd = (item) => withStore("readwrite", (s) => s.add(item));
const queueAll = () => withStore("readonly", (s) => s.getAll());
const queueDelete = (id) => withStore("readwrite", (s) => s.delete(id));
const queuePut = (item) => withStore("readwrite", (s) => s.put(item));
const metaGet = (key) => withStore("readonly", (s) => s.get(key), META);
const metaSet = (key, value) => withStore("readwrite", (s) => s.put(value, key), META);

// ---- Who owns a card -------------------------------------------------------------------------

// The account each open page announced ({id, name} or null), by client id. The last announced one
// is also kept in IndexedDB, for a worker restarted since.
const clientUsers = new Map();

function validUser(u) {
  return u && typeof u.id === "number" ? { id: u.id, name: String(u.name || "") } : null;
}

async function announce(clientId, user) {
  const u = validUser(user);
  if (clientId) clientUsers.set(clientId, u);
  try {
    await metaSet("user", u);
  } catch (_) {}
}

async function ownerFor(clientId) {
  if (clientId && clientUsers.has(clientId)) return clientUsers.get(clientId);
  try {
    return validUser(await metaGet("user"));
  } catch (_) {
    return null;
  }
}

// The account the server sees with this browser's cookies: {id, name}; null when signed out;
// undefined when it cannot be told (offline, server trouble).
async function signedIn() {
  let resp;
  try {
    resp = await fetch(ME_PATH, { credentials: "same-origin", cache: "no-store" });
  } catch (_) {
    return undefined;
  }
  if (resp.status === 401 || resp.status === 403) return null;
  if (!resp.ok) return undefined;
  try {
    const u = await resp.json();
    return validUser({ id: u.id, name: u.username });
  } catch (_) {
    return undefined;
  }
}

async function broadcast(extra) {
  let items = [];
  try {
    items = (await queueAll()).map((i) => ({ id: i.id, user: validUser(i.user), queuedAt: i.queuedAt }));
  } catch (_) {}
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  for (const c of clients) c.postMessage(Object.assign({ type: "queue", count: items.length, items }, extra || {}));
  return items.length;
}

// ---- Replaying the queue ---------------------------------------------------------------------

let replaying = null;

function replay() {
  if (!replaying) {
    replaying = doReplay().finally(() => {
      replaying = null;
    });
  }
  return replaying;
}

async function doReplay() {
  let items;
  try {
    items = await queueAll();
  } catch (_) {
    return;
  }
  if (!items.length) return;
  const me = await signedIn();
  if (!me) return; // offline, or nobody signed in: nothing is sent
  let uploaded = 0;
  for (const item of items) {
    // Only the owner's cards go, under the owner's account; others wait (the page asks about them).
    const owner = validUser(item.user);
    if (!owner || owner.id !== me.id) continue;
    let resp;
    try {
      resp = await fetch(item.url, {
        method: "POST",
        headers: item.headers,
        body: item.body,
        credentials: "same-origin",
      });
    } catch (_) {
      break; // still offline: keep the rest for later
    }
    if (resp.status === 401 || resp.status === 403 || resp.status === 429 || resp.status >= 500) {
      break; // signed out, throttled or server trouble: try again later, in order
    }
    // Accepted, or refused for good (e.g. not an image): either way it leaves the queue.
    await queueDelete(item.id);
    if (resp.ok) uploaded += 1;
  }
  await broadcast({ uploaded });
}

// ---- Events ----------------------------------------------------------------------------------

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(VERSION)
      .then((cache) => Promise.all(SHELL.map((url) => cache.add(url).catch(() => undefined))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION && !KEPT_CACHES.includes(k)).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
      .then(() => broadcast()),
  );
});

async function adopt(ids, user) {
  const u = validUser(user);
  if (!u || !Array.isArray(ids)) return;
  for (const item of await queueAll()) {
    if (ids.includes(item.id)) {
      item.user = u;
      await queuePut(item);
    }
  }
}

async function discard(ids) {
  if (!Array.isArray(ids)) return;
  for (const id of ids) await queueDelete(id);
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const clientId = event.source && event.source.id;
  const type = data.type;
  let work = null;
  if (type === "hello" || type === "user") {
    work = announce(clientId, data.user).then(() => replay());
  } else if (type === "replay") {
    work = replay();
  } else if (type === "adopt") {
    work = adopt(data.ids, data.user).then(() => replay());
  } else if (type === "discard") {
    work = discard(data.ids);
  }
  if (work) event.waitUntil(work.catch(() => undefined).then(() => broadcast()));
});

self.addEventListener("sync", (event) => {
  if (event.tag === "upload-scans") event.waitUntil(replay());
});

async function uploadOrQueue(request, clientId) {
  const copy = request.clone();
  try {
    const resp = await fetch(request);
    replay(); // the network is back: send what waits
    return resp;
  } catch (_) {
    const headers = [];
    copy.headers.forEach((value, name) => {
      if (name !== "content-length") headers.push([name, value]);
    });
    const body = await copy.blob();
    const user = await ownerFor(clientId);
    await queueAdd({ url: copy.url, headers, body, queuedAt: Date.now(), user });
    const count = await broadcast();
    try {
      await self.registration.sync.register("upload-scans");
    } catch (_) {}
    return new Response(
      JSON.stringify({
        status: "queued_offline",
        detail: "No connection: the card is kept on this device and uploaded when the connection returns.",
        queued: count,
      }),
      { status: 202, headers: { "content-type": "application/json" } },
    );
  }
}

async function page(request) {
  try {
    const resp = await fetch(request);
    replay();
    return resp;
  } catch (_) {
    const cache = await caches.open(VERSION);
    return (await cache.match(OFFLINE_PAGE)) || new Response("offline", { status: 503 });
  }
}

// The bundle must match the server's pages (hydration): network first, the cached copy offline.
// A content-hashed name (`cardcrm.<hash>.wasm`, release builds) never changes content: cache first.
const HASHED = /\/[^/.]+\.[A-Za-z0-9_-]{8,}\.[a-z]+$/;

async function bundle(request) {
  const cache = await caches.open(VERSION);
  if (HASHED.test(new URL(request.url).pathname)) {
    const cached = await cache.match(request);
    if (cached) return cached;
  }
  try {
    const resp = await fetch(request);
    if (resp.ok) cache.put(request, resp.clone());
    return resp;
  } catch (_) {
    return (await cache.match(request)) || new Response("", { status: 504 });
  }
}

// Model files never change under their names (the reader refuses any other content): once kept,
// they are served from the cache. Only complete answers are kept.
async function ocrModel(request) {
  const cache = await caches.open(OCR_MODELS);
  const cached = await cache.match(request);
  if (cached) return cached;
  const resp = await fetch(request);
  if (resp.status === 200) await cache.put(request, resp.clone());
  return resp;
}

// The reader's code follows the server (a new build brings new code): network first.
async function ocrCode(request) {
  const cache = await caches.open(OCR_CODE);
  try {
    const resp = await fetch(request);
    if (resp.status === 200) cache.put(request, resp.clone());
    return resp;
  } catch (_) {
    return (await cache.match(request)) || new Response("", { status: 504 });
  }
}

async function shellAsset(request) {
  const cache = await caches.open(VERSION);
  const cached = await cache.match(request);
  const fresh = fetch(request)
    .then((resp) => {
      if (resp.ok) cache.put(request, resp.clone());
      return resp;
    })
    .catch(() => undefined);
  if (cached) return cached;
  return (await fresh) || new Response("", { status: 504 });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && (url.pathname === SCANS_PATH || url.pathname === DEVICE_SAVE_PATH)) {
    event.respondWith(uploadOrQueue(request, event.clientId));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
    return;
  }
  if (url.pathname.startsWith("/pkg/")) {
    event.respondWith(bundle(request));
    return;
  }
  if (url.pathname.startsWith("/ocr-models/")) {
    event.respondWith(ocrModel(request));
    return;
  }
  if (url.pathname.startsWith("/ocr/")) {
    event.respondWith(ocrCode(request));
    return;
  }
  if (url.pathname.startsWith("/icons/") || SHELL.includes(url.pathname)) {
    event.respondWith(shellAsset(request));
  }
});
