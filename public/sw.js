// cardcrm service worker.
//
// * App shell: the wasm/js/css bundle, icons and the offline page are cached at install. Icons and
//   the offline page are served cache-first (refreshed in the background); the bundle and pages are
//   network-first (the bundle must match the server's HTML), with the cached bundle and the offline
//   page when there is no network.
// * Offline cards: a `POST /api/v1/scans` that fails for lack of network is stored in IndexedDB and
//   answered `202 {"status":"queued_offline","detail":…}`. The queue is replayed in order when the
//   connection returns (`online` in a page, Background Sync, or the next request that reaches the
//   server). Pages hear `{type:"queue", count}` messages to show how many cards wait.

"use strict";

const VERSION = "cardcrm-shell-v1";
const OFFLINE_PAGE = "/offline.html";
const SHELL = [
  OFFLINE_PAGE,
  "/pwa.js",
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
const SCANS_PATH = "/api/v1/scans";

// ---- IndexedDB queue -------------------------------------------------------------------------

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function withStore(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = fn(tx.objectStore(STORE));
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
const queueCount = () => withStore("readonly", (s) => s.count());
const queueDelete = (id) => withStore("readwrite", (s) => s.delete(id));

async function broadcast(extra) {
  let count = 0;
  try {
    count = await queueCount();
  } catch (_) {}
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  for (const c of clients) c.postMessage(Object.assign({ type: "queue", count }, extra || {}));
  return count;
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
  let uploaded = 0;
  for (const item of items) {
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
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
      .then(() => broadcast()),
  );
});

self.addEventListener("message", (event) => {
  const type = event.data && event.data.type;
  if (type === "replay" || type === "hello") {
    event.waitUntil(replay().then(() => broadcast()));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "upload-scans") event.waitUntil(replay());
});

async function uploadOrQueue(request) {
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
    await queueAdd({ url: copy.url, headers, body, queuedAt: Date.now() });
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
async function bundle(request) {
  const cache = await caches.open(VERSION);
  try {
    const resp = await fetch(request);
    if (resp.ok) cache.put(request, resp.clone());
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
  if (request.method === "POST" && url.pathname === SCANS_PATH) {
    event.respondWith(uploadOrQueue(request));
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
  if (url.pathname.startsWith("/icons/") || SHELL.includes(url.pathname)) {
    event.respondWith(shellAsset(request));
  }
});
