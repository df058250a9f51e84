// The on-device card reader, for a Web Worker (worker.js) or, in tests, the page itself: fetches
// the models, checks them against their pinned SHA-256, loads the `ocr` crate's WebAssembly build
// (crate ocr-web; ./pkg/ocr_web.js is wasm-bindgen's --target web output) and reads images.
import init, { OcrReader } from "./pkg/ocr_web.js";

// The files and SHA-256 sums scripts/fetch-models.sh pins (scripts/ocr-web.sh checks that the two
// lists agree). A file whose sum differs is refused: another model would read differently.
export const MODELS = [
  ["ppocrv5_det.onnx", "62f0e79763dfd9bdadae166dd61078e703d9149df891e11a58c48d18595fad6f"],
  ["ppocrv5_rec.onnx", "22edcdb81193286bd1f2c34069d4dc4296d3ac268fc736b4a83bba3eaae26dbb"],
  ["ppocrv5_cls.onnx", "ebe902aa38f936ba1d38ef6876727f29ab3f3b41a3b3ba8fbec754030b1100c9"],
  ["ppocr_keys_v5.txt", "4941d35625bf15f7ef89fcbff443893e2fef40e25a7ecde885203994d4a9be25"],
];

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

async function fetchModel(base, name, sum) {
  const res = await fetch(new URL(name, base));
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const got = hex(await crypto.subtle.digest("SHA-256", bytes));
  if (got !== sum) throw new Error(`${name}: SHA-256 ${got}, expected ${sum} (not the pinned model)`);
  return bytes;
}

/// Fetch and check the models under `modelsUrl`, instantiate the wasm module and load the engine.
/// Returns {reader, wasm, fetch_ms, load_ms, bytes, memory}.
export async function loadReader(modelsUrl) {
  const base = new URL(modelsUrl, self.location.href);
  const t0 = performance.now();
  const [files, wasm] = await Promise.all([
    Promise.all(MODELS.map(([name, sum]) => fetchModel(base, name, sum))),
    init(),
  ]);
  const t1 = performance.now();
  const reader = new OcrReader(files[0], files[1], files[2], files[3]);
  const t2 = performance.now();
  return {
    reader,
    wasm,
    fetch_ms: Math.round(t1 - t0),
    load_ms: Math.round(t2 - t1),
    bytes: files.reduce((n, f) => n + f.length, 0),
    memory: wasm.memory.buffer.byteLength,
  };
}

/// Read one image (bytes) with what loadReader returned. `onStage(name, ms)` is called as each
/// stage begins (decoding, detecting, recognising, parsing). Returns {engine, result, cyrillic, ms,
/// memory}: `result` is what the server stores for a scan (fields, lines, image, hints, timings);
/// `cyrillic`: the lines look like a Cyrillic card read with Latin letters (the server reads it better).
export function readCard(loaded, image, hints, onStage) {
  const t0 = performance.now();
  const stage = (name) => onStage && onStage(name, Math.round(performance.now() - t0));
  const out = JSON.parse(loaded.reader.read(image, hints ? JSON.stringify(hints) : "", stage));
  const ms = Math.round(performance.now() - t0);
  return {
    engine: out.engine,
    result: out.result,
    cyrillic: out.cyrillic,
    ms,
    memory: loaded.wasm.memory.buffer.byteLength,
  };
}
