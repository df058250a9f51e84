import { type Page } from "@playwright/test";
import { expect, fitsWidth, hydrated, signIn, test } from "./helpers";
import fs from "node:fs";
import path from "node:path";

const card = path.join(__dirname, "..", "..", "fixtures", "cards", "real", "contoso-chris.jpg");

test("scan a card: upload, see the blocks, reassign one, save, find the contact", async ({ page }, info) => {
  test.setTimeout(180_000);
  const last = `Smith${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);
  const phone = info.project.name === "phone";
  if (phone) await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("link", { name: "Scan a card" }).click();
  await expect(page.getByRole("heading", { name: "Scan a card" })).toBeVisible();
  await hydrated(page);
  await expect(page.locator('input[name="front"]')).toHaveAttribute("capture", "environment");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-upload-${info.project.name}.png`, fullPage: true });

  // A file that is not an image gets the API's clear error.
  await page.locator('input[name="front"]').setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a card") });
  await page.getByRole("button", { name: "Read the card" }).click();
  await expect(page.getByRole("alert")).toContainText("not a supported image");

  // The real card: progress, then the photo with every block outlined and the fields filled.
  await page.locator('input[name="front"]').setInputFiles(card);
  await page.getByRole("button", { name: "Read the card" }).click();
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 150_000 });
  const blocks = await page.locator(".scan-overlay .block").count();
  expect(blocks).toBeGreaterThanOrEqual(8);
  const field = (name: string) => page.locator(`.scan-field[data-field="${name}"]`);
  await expect(field("company").locator("input")).toHaveValue("Contoso");
  await expect(field("position").locator("input")).toHaveValue("Senior Researcher");
  await expect(field("first_name").locator(".block-tag")).not.toHaveCount(0);
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-editor-${info.project.name}.png`, fullPage: true });

  // Read again with another engine: Tesseract finds nothing on this 12 MP photo; PP-OCR reads it again.
  await page.getByLabel("OCR engine").selectOption("tesseract");
  await page.getByRole("button", { name: "Read again" }).click();
  await expect(page.getByText(/Read by tesseract/)).toBeVisible({ timeout: 150_000 });
  await page.getByLabel("OCR engine").selectOption("paddle");
  await page.getByRole("button", { name: "Read again" }).click();
  await expect(page.getByText(/Read by paddle/)).toBeVisible({ timeout: 150_000 });
  await expect(field("company").locator("input")).toHaveValue("Contoso");

  // Pointing at a field lights up its blocks on the photo.
  await field("company").hover();
  await expect(page.locator(".scan-overlay .block.linked")).toHaveCount(1);

  // Reassign the position block to the department: it leaves the position.
  await page.locator(".block-chip", { hasText: "Senior Researcher" }).click();
  await expect(page.locator(".scan-overlay .block.selected")).toHaveCount(1);
  await field("department").getByRole("button", { name: "Assign" }).click();
  await expect(field("department").locator("input")).toHaveValue("Senior Researcher");
  await expect(field("position").locator("input")).toHaveValue("");
  await field("position").locator("input").fill("Principal Researcher");
  await field("last_name").locator("input").fill(last);
  await page.screenshot({ path: `test-results/scan-assigned-${info.project.name}.png`, fullPage: true });

  await page.getByRole("button", { name: "Save contact" }).click();
  const saved = page.locator(".scan-saved");
  await expect(saved).toContainText(`Chris ${last}`);
  await expect(saved.locator("tr.changed")).not.toHaveCount(0);
  await expect(saved.locator("tr", { hasText: "Department" }).locator("td.saved")).toHaveText("Senior Researcher");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-saved-${info.project.name}.png`, fullPage: true });

  // The contact is in the list, made from the card, with the card image on its page.
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Search contacts").fill(last);
  const row = page.getByRole("link", { name: `Chris ${last}` });
  await expect(row).toBeVisible();
  await row.click();
  await expect(page.getByRole("heading", { name: `Chris ${last}` })).toBeVisible();
  await expect(page.getByText("ocr", { exact: true })).toBeVisible();
  const img = page.getByRole("img", { name: "Front of the business card" });
  await expect(img).toBeVisible();
  expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(100);
  await page.screenshot({ path: `test-results/scan-contact-${info.project.name}.png`, fullPage: true });
});

test("front and back: both photos outlined, the back fills what the front lacks, both kept with the contact", async ({ page }, info) => {
  test.setTimeout(180_000);
  const last = `Back${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);
  await page.goto("/scan");
  await hydrated(page);
  await page.locator('input[name="front"]').setInputFiles(card);
  await page.locator('input[name="back"]').setInputFiles(path.join(__dirname, "..", "..", "fixtures", "cards", "real", "contoso-avery.jpg"));
  await page.getByRole("button", { name: "Read the card" }).click();
  await expect(page.locator(".scan-figure")).toHaveCount(2, { timeout: 150_000 });
  await expect(page.locator('.block-chip[data-block="B1"]')).toBeVisible();
  // The front has no prefix; the back's "Dr." fills it, pointing at a back block.
  const prefix = page.locator('.scan-field[data-field="prefix"]');
  await expect(prefix.locator("input")).toHaveValue("Dr.");
  await expect(prefix.locator(".block-tag")).toHaveText(/^B\d+$/);
  await page.locator('.scan-field[data-field="last_name"] input').fill(last);
  await page.getByRole("button", { name: "Save contact" }).click();
  await page.locator(".scan-saved").getByRole("link", { name: "Open the contact" }).click();
  await expect(page.getByRole("heading", { name: `Dr. Chris ${last}` })).toBeVisible();
  await expect(page.getByRole("img", { name: "Front of the business card" })).toBeVisible();
  await expect(page.getByRole("img", { name: "Back of the business card" })).toBeVisible();
});

test.describe("offline", () => {
  // The answer is faked at the network layer, so the page's own service worker must stay out of the way.
  test.use({ serviceWorkers: "block" });

  test("a card photographed offline is kept on the device", async ({ page }) => {
    await signIn(page);
    // What the service worker answers when the upload cannot reach the server.
    await page.route(/\/api\/v1\/scans(\?.*)?$/, (route) =>
      route.fulfill({ status: 202, contentType: "application/json", body: JSON.stringify({ status: "queued_offline", detail: "stored on this device" }) }),
    );
    await page.goto("/scan");
    await hydrated(page);
    await page.locator('input[name="front"]').setInputFiles(card);
    await page.getByRole("button", { name: "Read the card" }).click();
    await expect(page.getByText("Saved on this device; it will upload when you are back online")).toBeVisible();
    await expect(page.getByRole("alert")).toHaveCount(0);
  });
});

test("a scan opens by its address: progress while it is read, then the blocks; saved, it is read-only", async ({ page }, info) => {
  test.setTimeout(180_000);
  const last = `Url${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);
  // Upload through the API with the page's session cookie. A few bytes after the end of the JPEG
  // make the image new (no cached result), so the page has to wait for the reader.
  const fixture = path.join(__dirname, "..", "..", "fixtures", "cards", "synthetic", "easy", "card-001.jpg");
  const bytes = Buffer.concat([fs.readFileSync(fixture), Buffer.from(`cardcrm e2e ${last}`)]);
  const up = await page.request.post("/api/v1/scans", { multipart: { file: { name: "card.jpg", mimeType: "image/jpeg", buffer: bytes } } });
  expect(up.status()).toBe(202);
  const id: number = (await up.json()).id;

  await page.goto(`/scan?id=${id}`);
  await hydrated(page);
  await expect(page.locator(".scan-progress, .scan-overlay .block").first()).toBeVisible();
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 150_000 });
  expect(await page.locator(".scan-overlay .block").count()).toBeGreaterThanOrEqual(3);
  await expect(page.getByRole("button", { name: "Save contact" })).toBeEnabled();
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-by-url-${info.project.name}.png`, fullPage: true });

  // Saved (here through the API), the same address shows it read-only with a link to the contact.
  const saved = await page.request.post(`/api/v1/scans/${id}/save`, { data: { contact: { first_name: "Url", last_name: last } } });
  expect(saved.status()).toBe(201);
  const contactId: number = (await saved.json()).contact.id;
  await page.reload();
  await hydrated(page);
  await expect(page.getByText("This card was already saved as a contact")).toBeVisible({ timeout: 30_000 });
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Save contact" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Read again" })).toBeHidden();
  await expect(page.locator('.scan-field[data-field="first_name"] input')).toBeDisabled();
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-by-url-saved-${info.project.name}.png`, fullPage: true });
  await page.locator(".scan-saved-note").getByRole("link", { name: "Open the contact" }).click();
  await expect(page).toHaveURL(new RegExp(`/contacts/${contactId}$`));
  await expect(page.getByRole("heading", { name: `Url ${last}` })).toBeVisible();

  // A scan that does not exist (or is someone else's): the API's message, and the upload form.
  await page.goto("/scan?id=999999999");
  await hydrated(page);
  await expect(page.getByRole("alert")).toContainText("scan not found");
  await expect(page.getByRole("button", { name: "Read the card" })).toBeVisible();
});

test("a stack of cards: many photos at once, checked one after another, duplicates flagged, a summary at the end", async ({ page }, info) => {
  test.setTimeout(300_000);
  const tag = `${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);
  await page.goto("/scan");
  await hydrated(page);
  const easy = (n: string) => path.join(__dirname, "..", "..", "fixtures", "cards", "synthetic", "easy", `card-${n}.jpg`);
  // Bytes after the end of each JPEG make the photos new to this server (read, not cached).
  const photos = ["005", "006", "007"].map((n) => ({
    name: `card-${n}.jpg`,
    mimeType: "image/jpeg",
    buffer: Buffer.concat([fs.readFileSync(easy(n)), Buffer.from(`cardcrm stack ${tag}`)]),
  }));
  const stack = page.locator('input[name="stack"]');
  await expect(stack).toHaveAttribute("multiple", "");
  await page.getByRole("button", { name: "Read all cards" }).click();
  await expect(page.getByRole("alert")).toContainText("Choose one or more photos");
  await stack.setInputFiles(photos);
  await page.getByRole("button", { name: "Read all cards" }).click();

  const field = (name: string) => page.locator(`.scan-field[data-field="${name}"]`);
  const place = page.locator(".scan-batch-place");
  // Card 1: read, checked, given a last name of its own, saved: on to card 2 at once.
  await expect(place).toHaveText("Card 1 of 3", { timeout: 150_000 });
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 150_000 });
  await expect(page).toHaveURL(/\/scan\?id=\d+&batch=\d+,\d+,\d+$/);
  const first = `Stack${tag}`;
  await field("first_name").locator("input").fill("Erste");
  await field("last_name").locator("input").fill(first);
  const email = `erste.${tag}@stack.example`;
  await field("email").first().locator("input").fill(email);
  const company = await field("company").locator("input").inputValue();
  const phone = await field("phone").first().locator("input").inputValue();
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-stack-card1-${info.project.name}.png`, fullPage: true });
  await page.getByRole("button", { name: "Save and next" }).click();

  // Card 2: skipped, after a look back at card 1 (saved: read-only, "Next card").
  await expect(place).toHaveText("Card 2 of 3", { timeout: 150_000 });
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 150_000 });
  await page.getByRole("link", { name: "← Previous card" }).click();
  await expect(place).toHaveText("Card 1 of 3");
  await expect(page.getByText("This card was already saved as a contact")).toBeVisible({ timeout: 30_000 });
  await page.getByRole("button", { name: "Next card →" }).click();
  await expect(place).toHaveText("Card 2 of 3");
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 150_000 });
  await page.getByRole("button", { name: "Skip" }).click();

  // Card 3, the last: typed as the person of card 1, it is flagged as a duplicate before saving;
  // "merge" saves it and lists the merge for the end.
  await expect(place).toHaveText("Card 3 of 3", { timeout: 150_000 });
  await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 150_000 });
  await expect(page.getByRole("button", { name: "Save and finish" })).toBeVisible();
  await field("first_name").locator("input").fill("Erste");
  await field("last_name").locator("input").fill(first);
  await field("email").first().locator("input").fill(email);
  await field("company").locator("input").fill(company);
  await field("phone").first().locator("input").fill(phone);
  const warning = page.locator(".dup-warning");
  await expect(warning).toContainText(`Erste ${first}`, { timeout: 15_000 });
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-stack-duplicate-${info.project.name}.png`, fullPage: true });
  await warning.getByRole("button", { name: "merge" }).first().click();

  // The end: what was saved, skipped and is to be merged.
  const done = page.locator(".scan-batch-done");
  await expect(done).toContainText("2 saved, 1 skipped, of 3 cards.", { timeout: 30_000 });
  await expect(done.locator(".scan-batch-saved li")).toHaveCount(2);
  await expect(done.locator(".scan-batch-skipped li")).toHaveText(["Card 2"]);
  const merge = done.locator(".scan-batch-merge a");
  await expect(merge).toHaveCount(1);
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/scan-stack-done-${info.project.name}.png`, fullPage: true });
  await merge.click();
  await expect(page).toHaveURL(/\/duplicates\/merge\?ids=\d+,\d+$/);
});

test("a photo of three cards on a table: each card found, cut out and checked one after another", async ({ page }, info) => {
  test.setTimeout(300_000);
  const tag = `${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);
  await page.goto("/scan");
  await hydrated(page);
  const photo = path.join(__dirname, "..", "..", "fixtures", "photos", "three-cards.jpg");
  // Bytes after the end of the JPEG make the photo new to this server (its cards are found again).
  await page.locator('input[name="front"]').setInputFiles({
    name: "three-cards.jpg",
    mimeType: "image/jpeg",
    buffer: Buffer.concat([fs.readFileSync(photo), Buffer.from(`cardcrm cards ${tag}`)]),
  });
  await page.getByRole("button", { name: "Read the card" }).click();

  await expect(page.getByRole("status").filter({ hasText: "Found 3 cards in the photo" })).toBeVisible({ timeout: 60_000 });
  const place = page.locator(".scan-batch-place");
  const field = (name: string) => page.locator(`.scan-field[data-field="${name}"]`);
  const whoseCard = async () =>
    [
      await field("first_name").locator("input").inputValue(),
      await field("last_name").locator("input").inputValue(),
      await field("email").first().locator("input").inputValue(),
    ].join(" ");
  // Rows top to bottom, each left to right; each card is its own photo with its own blocks (the
  // third card's name, surname first in capitals beside a column of numbers, is not read as a
  // name: its e-mail says whose card it is).
  const people = [/walker/i, /bentley/i, /mechthild@klemtev/i];
  for (const [i, who] of people.entries()) {
    await expect(place).toHaveText(`Card ${i + 1} of 3`, { timeout: 150_000 });
    await expect(page.locator(".scan-overlay .block").first()).toBeVisible({ timeout: 150_000 });
    await expect.poll(whoseCard, { timeout: 15_000 }).toMatch(who);
    if (i === 0) await expect(page).toHaveURL(/\/scan\?id=\d+&batch=\d+,\d+,\d+$/);
    await fitsWidth(page);
    await page.screenshot({ path: `test-results/scan-cards-${i + 1}-${info.project.name}.png`, fullPage: true });
    await page.getByRole("button", { name: "Skip" }).click();
  }
  await expect(page.locator(".scan-batch-done")).toContainText("0 saved, 3 skipped, of 3 cards.", { timeout: 30_000 });
});
