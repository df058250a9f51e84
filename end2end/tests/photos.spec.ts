import path from "node:path";
import { expect, fitsWidth, hydrated, signIn, test } from "./helpers";

// A contact's photo on its page: initials without one, upload with the file input, the round
// avatar with the name as its text alternative, the change in the history, then removal. Desktop
// and phone width (the projects of playwright.config.ts).
const photo = path.join(__dirname, "..", "..", "fixtures", "photos", "card-crop.jpg");

test("upload a contact's photo, see it, and remove it", async ({ page }, info) => {
  await signIn(page);
  const name = `Avery Photo${Date.now().toString(36)}${info.project.name}`;
  const r = await page.request.post("/api/v1/contacts", { data: { full_name: name, company: "Contoso" } });
  expect(r.status()).toBe(201);
  const { id } = await r.json();
  await page.goto(`/contacts/${id}`);
  await hydrated(page);
  await expect(page.getByRole("heading", { name })).toBeVisible();

  // No photo yet: the initials stand in, named like the photo would be.
  const avatar = page.getByRole("img", { name: `Photo of ${name}` });
  await expect(avatar).toHaveText("AP");
  await expect(page.getByText("Remove photo")).toHaveCount(0);

  await page.locator('input[name="photo"]').setInputFiles(photo);
  const img = page.locator("img.avatar-lg");
  await expect(img).toBeVisible();
  await expect(img).toHaveAttribute("alt", `Photo of ${name}`);
  // The browser really loaded the image (through the session cookie), at 96 px.
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0))).toBe(96);
  const box = await img.boundingBox();
  expect(Math.round(box?.width ?? 0)).toBe(96);
  await expect(page.locator("ol.history")).toContainText("photo");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/contact-photo-${info.project.name}.png`, fullPage: true });

  // It shows in the list too, small.
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Search contacts").fill(name);
  await expect(page.locator("img.avatar-sm").first()).toBeVisible();
  await fitsWidth(page);

  // Remove it: the initials come back.
  await page.goto(`/contacts/${id}`);
  await hydrated(page);
  await page.getByRole("button", { name: "Remove photo" }).click();
  await expect(page.locator("img.avatar-lg")).toHaveCount(0);
  await expect(page.getByRole("img", { name: `Photo of ${name}` })).toHaveText("AP");
  const gone = await page.request.get(`/api/v1/contacts/${id}/photo`);
  expect(gone.status()).toBe(404);
});

test("a file that is not a photo is refused with the server's reason", async ({ page }) => {
  await signIn(page);
  const r = await page.request.post("/api/v1/contacts", { data: { full_name: `Refused Photo${Date.now().toString(36)}` } });
  const { id } = await r.json();
  await page.goto(`/contacts/${id}`);
  await hydrated(page);
  await page.locator('input[name="photo"]').setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
  await expect(page.getByRole("alert")).toContainText("not a JPEG, PNG, GIF or WebP image");
  await expect(page.locator("img.avatar-lg")).toHaveCount(0);
});
