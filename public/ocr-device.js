// cardcrm: the on-device card reader, seen from a page (issue 23).
//
// The reader is the `ocr` crate compiled to WebAssembly (crate ocr-web), run in a Web Worker
// (/ocr/worker.js, built into the site by `scripts/ocr-web.sh site`); it fetches the models from
// /ocr-models/, checks each against its pinned SHA-256 and keeps them through the service worker's
// cache (sw.js, "cardcrm-ocr-models"). The scan page calls, through `window.cardcrmDevice`:
//   start()                       -> Promise, resolves when the reader is ready (models loaded)
//   read(file, hintsJson, onStage) -> Promise of the JSON text {engine, result, cyrillic, ms}; onStage(name)
//                                    hears decoding, detecting, recognising, parsing
//   modelsSize()                  -> Promise of the bytes of models kept on this device
//   removeModels()                -> Promise; the models are fetched again when next needed
// The photo is read in the worker and never leaves the device.
(() => {
  "use strict";
  const MODELS_CACHE = "cardcrm-ocr-models";
  let worker = null;
  let ready = null;
  let nextId = 1;
  const waiting = new Map();

  function failAll(err) {
    for (const [, w] of waiting) w.reject(err);
    waiting.clear();
  }

  function stop() {
    if (worker) worker.terminate();
    worker = null;
    ready = null;
  }

  function start() {
    if (ready) return ready;
    ready = new Promise((resolve, reject) => {
      let w;
      try {
        w = new Worker("/ocr/worker.js", { type: "module" });
      } catch (e) {
        reject(new Error("this browser cannot run the on-device reader: " + e.message));
        return;
      }
      worker = w;
      w.onmessage = (e) => {
        const m = e.data || {};
        const job = m.id !== undefined ? waiting.get(m.id) : undefined;
        if (m.type === "ready") {
          resolve(m);
        } else if (m.type === "progress") {
          if (job && job.onStage) job.onStage(m.stage);
        } else if (m.type === "result") {
          if (job) {
            waiting.delete(m.id);
            job.resolve(JSON.stringify({ engine: m.engine, result: m.result, cyrillic: !!m.cyrillic, ms: m.ms }));
          }
        } else if (m.type === "error") {
          const err = new Error(m.message || "the on-device reader failed");
          if (job) {
            waiting.delete(m.id);
            job.reject(err);
          } else {
            reject(err);
          }
        }
      };
      w.onerror = (e) => {
        const err = new Error(
          (e && e.message) || "the on-device reader could not be loaded (is /ocr/ built into this site?)",
        );
        reject(err);
        failAll(err);
        stop();
      };
      w.postMessage({ type: "init", models: "/ocr-models/" });
    });
    // A failed start (no connection before the models were kept, say) is tried again next time.
    ready.catch(() => stop());
    return ready;
  }

  async function read(file, hintsJson, onStage) {
    await start();
    const image = await file.arrayBuffer();
    const id = nextId++;
    let hints;
    try {
      hints = hintsJson ? JSON.parse(hintsJson) : undefined;
    } catch (_) {
      hints = undefined;
    }
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject, onStage });
      worker.postMessage({ type: "read", id, image, hints }, [image]);
    });
  }

  async function modelsSize() {
    if (!self.caches) return 0;
    if (!(await caches.has(MODELS_CACHE))) return 0;
    const cache = await caches.open(MODELS_CACHE);
    let bytes = 0;
    for (const req of await cache.keys()) {
      const resp = await cache.match(req);
      if (!resp) continue;
      const n = Number(resp.headers.get("content-length"));
      bytes += n > 0 ? n : (await resp.blob()).size;
    }
    return bytes;
  }

  async function removeModels() {
    stop();
    if (self.caches) await caches.delete(MODELS_CACHE);
  }

  window.cardcrmDevice = { start, read, modelsSize, removeModels };
})();
