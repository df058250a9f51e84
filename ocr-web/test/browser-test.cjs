// Browser test of the on-device card reader (run by scripts/ocr-web.sh).
//
//   node browser-test.cjs URL CARDS.txt NATIVE.json OUT.json
//
// Debian's Chromium (/usr/bin/chromium, never a downloaded browser) opens URL (ocr-web/www served
// over HTTP), waits until the worker (and a second reader on the page's main thread) has fetched,
// checked and loaded the models, then cuts the network (context.setOffline(true), checked with a
// fetch that must fail) and reads every card of CARDS.txt (one image path a line) four times: in
// the worker at normal speed; on the main thread at normal speed; on the main thread with the CPU
// slowed down 4× (CDP Emulation.setCPUThrottlingRate, which slows only the page's main thread);
// in the worker under that same setting (which a worker does not feel: kept to show it). Each
// card's fields, read at normal speed, must equal the native reading (NATIVE.json, from
// `cargo run -p ocr-web --example read`). Timings and differences go to OUT.json.
// Exit status 1 when a card's fields differ or a read fails.
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const [url, cardsFile, nativeFile, outFile] = process.argv.slice(2);
const cards = fs.readFileSync(cardsFile, "utf8").split("\n").filter(Boolean);
const native = JSON.parse(fs.readFileSync(nativeFile, "utf8"));
const key = (p) => `${path.basename(path.dirname(p))}/${path.basename(p)}`;

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, mean: Math.round(s.reduce((a, b) => a + b, 0) / s.length), median: q(0.5), p90: q(0.9), max: s[s.length - 1] };
};

function diffLines(a, b) {
  // Lines: same count and texts? boxes within 1 px? confidences within 0.01?
  const out = { count: [a.length, b.length], text: 0, box: 0, conf: 0 };
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i].text !== b[i].text) out.text++;
    if (a[i].quad.some((p, j) => Math.abs(p[0] - b[i].quad[j][0]) > 1 || Math.abs(p[1] - b[i].quad[j][1]) > 1)) out.box++;
    if (Math.abs(a[i].confidence - b[i].confidence) > 0.01) out.conf++;
  }
  return out;
}

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => console.log(`[page] ${m.text()}`));
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  const t0 = Date.now();
  await page.goto(url);
  const ready = await page.evaluate(() => window.ocr.ready);
  const readyMain = await page.evaluate(() => window.ocrMain.load());
  const pageReadyMs = Date.now() - t0;
  console.log(`models ready: fetched+checked in ${ready.fetch_ms} ms, engine loaded in ${ready.load_ms} ms (${ready.bytes} bytes); page to ready ${pageReadyMs} ms`);

  await context.setOffline(true);
  const offline = await page.evaluate(async () => {
    try { await fetch(`./index.html?offline-check=${Date.now()}`, { cache: "no-store" }); return false; } catch { return true; }
  });
  if (!offline) throw new Error("the network is still reachable after setOffline(true)");
  console.log("network cut (a fetch from the page fails)");

  const cdp = await context.newCDPSession(page);
  const runs = {};
  let failures = 0;
  const mismatches = [];
  const lineDiffs = {};
  let peakMemory = ready.memory || 0;
  // Chromium's CPU throttling (ThreadCPUThrottler) slows only the renderer's main thread, not a
  // worker; the throttled figure therefore comes from the same reader run on the page's main
  // thread (ocrMain), and the worker's run under the same setting is kept to show it.
  const plan = [
    { name: "worker_cpu_x1", where: "worker", rate: 1, check: true },
    { name: "main_cpu_x1", where: "main", rate: 1, check: true },
    { name: "main_cpu_x4", where: "main", rate: 4, check: false },
    { name: "worker_cdp_x4", where: "worker", rate: 4, check: false },
  ];
  // OCR_WEB_RUNS=worker_cpu_x1,main_cpu_x4 runs only those (quick comparisons of builds).
  const only = (process.env.OCR_WEB_RUNS || "").split(",").filter(Boolean);
  for (const { name, where, rate, check } of plan.filter((p) => !only.length || only.includes(p.name))) {
    await cdp.send("Emulation.setCPUThrottlingRate", { rate });
    const times = [];
    const per = {};
    for (const card of cards) {
      const b64 = fs.readFileSync(card).toString("base64");
      let r;
      try {
        r = await page.evaluate(async ([b64, where]) => {
          const bin = atob(b64);
          const bytes = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
          return where === "main" ? window.ocrMain.read(bytes) : window.ocr.read(bytes);
        }, [b64, where]);
      } catch (e) {
        console.log(`FAIL ${key(card)} (${name}): ${e.message}`);
        failures++;
        continue;
      }
      times.push(r.ms);
      if (where === "worker") peakMemory = Math.max(peakMemory, r.memory || 0);
      per[key(card)] = { ms: r.ms, stages: r.stages, timings: r.result.timings };
      let note = "";
      if (check) {
        const want = native[key(card)];
        if (!want) throw new Error(`no native reading of ${key(card)}`);
        const same = JSON.stringify(r.result.fields) === JSON.stringify(want.result.fields);
        if (where === "worker") lineDiffs[key(card)] = diffLines(r.result.lines, want.result.lines);
        if (!same || r.engine !== want.engine) {
          failures++;
          mismatches.push({ run: name, card: key(card), wasm: r.result.fields, native: want.result.fields });
          note = " MISMATCH: fields differ from the native reading";
        }
      }
      console.log(`${name} ${key(card)}: ${r.ms} ms${note}`);
    }
    runs[name] = { where, cdp_cpu_throttling_rate: rate, stats: stats(times), cards: per };
    console.log(`${name}: ${JSON.stringify(stats(times))}`);
  }
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  const lineTextDiffs = Object.values(lineDiffs).reduce((n, d) => n + d.text + (d.count[0] !== d.count[1] ? 1 : 0), 0);
  const out = {
    chromium: browser.version(),
    url,
    ready: { ...ready, page_to_ready_ms: pageReadyMs },
    ready_main_thread: readyMain,
    offline_checked: offline,
    wasm_memory_after_load: ready.memory,
    wasm_memory_peak: peakMemory,
    cards: cards.length,
    fields_equal_native: cards.length - mismatches.length,
    line_text_differences: lineTextDiffs,
    line_box_differences: Object.values(lineDiffs).reduce((n, d) => n + d.box, 0),
    line_confidence_differences: Object.values(lineDiffs).reduce((n, d) => n + d.conf, 0),
    failures,
    mismatches,
    runs,
  };
  fs.writeFileSync(outFile, JSON.stringify(out, null, 1));
  console.log(`wasm memory: ${(ready.memory / 1048576).toFixed(0)} MiB after the models loaded, ${(peakMemory / 1048576).toFixed(0)} MiB after all reads`);
  console.log(`fields equal to the native reading: ${out.fields_equal_native}/${cards.length}; line text differences: ${lineTextDiffs}`);
  await browser.close();
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
