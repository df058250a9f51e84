import { defineConfig } from "@playwright/test";

// Debian's Chromium, never a downloaded browser; flags keep it off the (closed) network.
const launchOptions = {
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
};

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  // One retry, reported as "flaky": a full reload right after a merge undo has twice (in about ten
  // full runs, both on a loaded machine) left a blank page for 10 s. Open bug, see the issue notes;
  // a test that fails twice still fails the run.
  retries: 1,
  reporter: [["list"]],
  use: {
    baseURL: process.env.CARDCRM_URL ?? "http://127.0.0.1:3000",
    launchOptions,
    screenshot: "only-on-failure",
    trace: "off",
  },
  projects: [
    { name: "desktop", use: { viewport: { width: 1280, height: 800 } } },
    { name: "phone", use: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } },
  ],
});
