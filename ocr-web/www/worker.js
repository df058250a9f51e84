// cardcrm card reader in a Web Worker: the `ocr` crate compiled to WebAssembly (crate ocr-web).
// Reading blocks this worker, never the page.
//
// Messages in:
//   {type: "init", models: "URL of the directory with the model files"}
//   {type: "read", id, image: ArrayBuffer, hints: optional ocr::ParseHints object}
// Messages out:
//   {type: "progress", stage: "fetching-models" | "models-loaded", bytes?}
//   {type: "progress", id, stage: "decoding" | "detecting" | "recognising" | "parsing", ms}
//   {type: "ready", fetch_ms, load_ms, bytes, memory}   after init (memory: wasm linear memory, bytes)
//   {type: "result", id, engine, result, cyrillic, ms, memory}   result: what the server stores for a scan
//   {type: "error", id?, message}
import { loadReader, readCard } from "./reader.js";

let loaded = null;

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.type === "init") {
      postMessage({ type: "progress", stage: "fetching-models" });
      loaded = await loadReader(msg.models);
      const { fetch_ms, load_ms, bytes, memory } = loaded;
      postMessage({ type: "progress", stage: "models-loaded", bytes });
      postMessage({ type: "ready", fetch_ms, load_ms, bytes, memory });
    } else if (msg.type === "read") {
      if (!loaded) throw new Error("not initialised: send {type: 'init'} first");
      const onStage = (stage, ms) => postMessage({ type: "progress", id: msg.id, stage, ms });
      const r = readCard(loaded, new Uint8Array(msg.image), msg.hints, onStage);
      postMessage({ type: "result", id: msg.id, ...r });
    } else {
      throw new Error(`unknown message ${msg.type}`);
    }
  } catch (err) {
    postMessage({ type: "error", id: msg.id, message: String(err && err.message ? err.message : err) });
  }
};
