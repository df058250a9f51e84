import { expect, fitsWidth, hydrated, signIn, test } from "./helpers";
import fs from "node:fs";
import path from "node:path";

// Issue 23: a card read on the device. The person chooses it on the profile page; the scan page gets
// the reader ready (models fetched once and kept by the service worker), the network is cut, the
// card is read in the browser, checked in the same editor, and saved with no connection: the
// service worker keeps the save and sends it when the connection returns. The contact says where it
// came from (`device`) and keeps the photo as its card image.

const card = path.join(__dirname, "..", "..", "fixtures", "cards", "synthetic", "easy", "card-000.jpg");
const truth = JSON.parse(fs.readFileSync(card.replace(/\.jpg$/, ".json"), "utf8"));

// Whatever happens, the shared account reads on the server again for the other tests.
test.afterEach(async ({ page, baseURL }) => {
  await page.request.post("/api/set_scan_reader", { form: { mode: "server" }, headers: { origin: baseURL ?? "" } });
});

test("read on this device: chosen in the profile, read with the network cut, saved offline, sent when back online", async ({ page, context }, info) => {
  test.setTimeout(300_000);
  const last = `Device${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);

  // The setting, per person: on this device.
  await page.goto("/profile");
  await hydrated(page);
  const setting = page.getByTestId("scan-reader");
  await expect(setting.getByRole("heading", { name: "Where cards are read" })).toBeVisible();
  await setting.getByLabel("On this device", { exact: true }).check();
  await expect(setting.getByText("Saved.")).toBeVisible();

  // The scan page gets the reader ready while the connection is there (models fetched and checked).
  await page.goto("/scan");
  await hydrated(page);
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  const tReady = Date.now();
  await expect(page.locator('.device-status[data-state="ready"]')).toBeVisible({ timeout: 180_000 });
  console.log(`[${info.project.name}] reader ready (models fetched, checked, loaded): ${Date.now() - tReady} ms after hydration`);
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/device-ready-${info.project.name}.png`, fullPage: true });

  // No network from here on: the photo is read in the browser.
  await context.setOffline(true);
  const uploads: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().includes("/api/v1/scans")) uploads.push(r.url());
  });
  await page.locator('input[name="front"]').setInputFiles(card);
  const t0 = Date.now();
  await page.getByRole("button", { name: "Read the card" }).click();
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 120_000 });
  console.log(`[${info.project.name}] read on the device, offline: ${Date.now() - t0} ms from the click to the editor`);
  const field = (name: string) => page.locator(`.scan-field[data-field="${name}"]`);
  await expect(field("first_name").locator("input")).toHaveValue(truth.first_name);
  await expect(field("company").locator("input")).toHaveValue(truth.company);
  await expect(field("first_name").locator(".block-tag")).not.toHaveCount(0);
  await expect(page.getByText(/Read on this device/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Read again" })).toBeHidden();
  await expect(page.getByLabel("Keep the photo as the card image")).toBeChecked();
  // The photo shown is the device's own copy.
  const src = await page.locator(".scan-stage img").first().getAttribute("src");
  expect(src).toMatch(/^blob:/);
  expect(uploads, "nothing was sent to read the card").toEqual([]);
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/device-editor-${info.project.name}.png`, fullPage: true });

  // Saved with no connection: kept on the device.
  await field("last_name").locator("input").fill(last);
  await page.getByRole("button", { name: "Save contact" }).click();
  await expect(page.getByRole("heading", { name: "Kept on this device" })).toBeVisible();
  await page.screenshot({ path: `test-results/device-kept-${info.project.name}.png`, fullPage: true });

  // Back online: the service worker sends the save; the contact is there, from the device, with its card image.
  await context.setOffline(false);
  await expect
    .poll(
      async () => {
        const r = await page.request.get(`/api/v1/contacts?q=${encodeURIComponent(last)}`);
        return r.ok() ? (await r.json()).total : -1;
      },
      { timeout: 60_000, intervals: [500, 1000, 2000] },
    )
    .toBe(1);
  const list = await (await page.request.get(`/api/v1/contacts?q=${encodeURIComponent(last)}`)).json();
  const contact = list.items[0];
  expect(contact.source).toBe("device");
  expect(contact.company).toBe(truth.company);
  await page.goto(`/contacts/${contact.id}`);
  await hydrated(page);
  await expect(page.getByText("device", { exact: true })).toBeVisible();
  const img = page.getByRole("img", { name: "Front of the business card" });
  await expect(img).toBeVisible();
  expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(100);

  // The models are kept on this device, shown in the profile with their size, and can be removed.
  await page.goto("/profile");
  await hydrated(page);
  await expect(setting.getByText(/Models kept on this device: \d+\.\d MB/)).toBeVisible();
  await page.screenshot({ path: `test-results/device-profile-${info.project.name}.png`, fullPage: true });
  await setting.getByRole("button", { name: "Remove the models" }).click();
  await expect(setting.getByText("No models are kept on this device.")).toBeVisible();
  // Back to the server for the other tests.
  await setting.getByLabel("On the server", { exact: true }).check();
  await expect(setting.getByText("Saved.")).toBeVisible();
});
