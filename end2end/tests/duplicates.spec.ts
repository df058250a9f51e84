import { type Page } from "@playwright/test";
import { expect, fitsWidth, hydrated, signIn, test } from "./helpers";

async function newContact(page: Page, c: { first: string; last: string; company: string; position: string; phone: string; email?: string }) {
  await page.goto("/contacts/new");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "New contact" })).toBeVisible();
  await page.getByLabel("First name").fill(c.first);
  await page.getByLabel("Last name").fill(c.last);
  await page.getByLabel("Company").fill(c.company);
  await page.getByLabel("Position").fill(c.position);
  await page.locator('input[name="phone"]').first().fill(c.phone);
  if (c.email) {
    await page.locator('input[name="e-mail"]').first().fill(c.email);
  }
}

/** The pair row mentioning `text`, paging through the Duplicates list (other tests leave pairs too). */
async function findPair(page: Page, text: string) {
  const row = page.locator("tr[data-pair]", { hasText: text });
  const pager = page.locator("nav.pager span");
  await expect(page.locator("tr[data-pair]").first()).toBeVisible();
  for (let n = 2; (await row.count()) === 0; n++) {
    const next = page.getByRole("button", { name: "Next →" });
    if ((await pager.count()) === 0 || (await next.isDisabled())) break;
    await next.click();
    await expect(pager).toContainText(`Page ${n} of`);
    await expect(page.locator("tr[data-pair]").first()).toBeVisible();
  }
  return row;
}

test("a near-duplicate is flagged while typing, merged choosing a field from each, and the merge undone", async ({ page }, info) => {
  const tag = `${Date.now().toString(36)}${info.project.name}`;
  const last = `Petrova${tag}`;
  const digits = String(Date.now()).slice(-7);
  const phone = `+1 917 ${digits.slice(0, 3)} ${digits.slice(3)}`;
  await signIn(page);

  // The first record.
  await newContact(page, { first: "Anna", last, company: "Acme", position: "CTO", phone, email: `anna.${tag}@acme.com` });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  const firstId = page.url().split("/").pop();

  // The second one: the editor says who it looks like while it is typed.
  await newContact(page, { first: "Anna", last, company: "Acme International", position: "Head of Sales", phone: `+1 (917) ${digits.slice(0, 3)}-${digits.slice(3)}` });
  const warning = page.locator(".dup-warning");
  await expect(warning).toContainText("Looks like");
  await expect(warning).toContainText(`Anna ${last}`);
  await expect(warning.getByRole("link", { name: "open" })).toHaveAttribute("href", `/contacts/${firstId}`);
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/dup-warning-${info.project.name}.png`, fullPage: true });
  await warning.getByRole("button", { name: "save anyway" }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  const secondId = page.url().split("/").pop();
  expect(secondId).not.toEqual(firstId);

  // The pair waits on the Duplicates page, side by side.
  await page.goto("/duplicates");
  await hydrated(page);
  const row = await findPair(page, last);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Acme International");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/duplicates-${info.project.name}.png`, fullPage: true });
  await row.getByRole("link", { name: "Merge…" }).click();

  // Merge: the company from the second record, the position from the first.
  await expect(page.getByRole("heading", { name: "Merge contacts" })).toBeVisible();
  await hydrated(page);
  await page.locator('[data-field="company"] label', { hasText: "Acme International" }).click();
  await page.locator('[data-field="position"] label', { hasText: "CTO" }).click();
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.locator(".merge-preview");
  await expect(preview).toContainText("Acme International");
  await expect(preview).toContainText("CTO");
  await expect(preview).not.toContainText("Head of Sales");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/merge-${info.project.name}.png`, fullPage: true });
  await page.getByRole("button", { name: "Merge", exact: true }).click();
  await expect(page.locator(".merge-done")).toContainText("Merged 1 contact(s) into");

  // The survivor has the chosen values; the other record is gone from the list.
  await page.getByRole("link", { name: "Open the merged contact" }).click();
  await expect(page).toHaveURL(new RegExp(`/contacts/${firstId}$`));
  await hydrated(page);
  const details = page.locator("section.details");
  await expect(details).toContainText("Acme International");
  await expect(details).toContainText("CTO");
  await expect(page.locator(".merges")).toContainText(`Contacts #${secondId} merged into this one`);
  await page.screenshot({ path: `test-results/merged-contact-${info.project.name}.png`, fullPage: true });
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Search contacts").fill(last);
  await expect(page.getByRole("link", { name: `Anna ${last}` })).toHaveCount(1);

  // Undo from the contact's history: both records are back as they were.
  await page.goto(`/contacts/${firstId}`);
  await hydrated(page);
  await page.locator(".merges").getByRole("button", { name: "Undo merge" }).click();
  await expect(page.locator(".merges")).toContainText("undone");
  await expect(page.locator("section.details")).toContainText("CTO");
  await expect(page.locator("section.details")).not.toContainText("Acme International");
  await page.screenshot({ path: `test-results/merge-undone-${info.project.name}.png`, fullPage: true });
  await page.goto(`/contacts/${secondId}`);
  await hydrated(page);
  await expect(page.locator("section.details")).toContainText("Acme International");
  await expect(page.locator("section.details")).toContainText("Head of Sales");
  await expect(page.locator(".merged-into")).toHaveCount(0);
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Search contacts").fill(last);
  await expect(page.getByRole("link", { name: `Anna ${last}` })).toHaveCount(2);
});

test("the merge page undoes at once, and admins scan with a progress bar", async ({ page }, info) => {
  const tag = `${Date.now().toString(36)}${info.project.name}x`;
  const last = `Ivanov${tag}`;
  const email = `boris.${tag}@initech.com`;
  await signIn(page);
  await newContact(page, { first: "Boris", last, company: "Initech", position: "", phone: "", email });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  const a = page.url().split("/").pop();
  await newContact(page, { first: "Boris", last, company: "Initech LLC", position: "Engineer", phone: "", email: email.toUpperCase() });
  await expect(page.locator(".dup-warning")).toContainText(`Boris ${last}`);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  const b = page.url().split("/").pop();

  await page.goto(`/duplicates/merge?ids=${a},${b}`);
  await hydrated(page);
  await page.getByRole("button", { name: "Merge", exact: true }).click();
  await expect(page.locator(".merge-done")).toContainText("Merged 1 contact(s)");
  await page.getByRole("button", { name: "Undo merge" }).click();
  await expect(page.locator(".merge-done")).toContainText("The merge was undone");

  // The full scan (this user is an administrator): the progress bar runs to the end.
  await page.goto("/duplicates");
  await hydrated(page);
  await page.getByRole("button", { name: "Run full scan" }).click();
  await expect(page.locator(".scan-text")).toContainText("Last scan:", { timeout: 30_000 });
  await expect(page.locator(".scan-status progress")).toHaveAttribute("value", "1");
  await page.locator(".dup-settings summary").click();
  await expect(page.getByLabel("Record a pair from score (0–1)")).toBeVisible();
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/duplicates-admin-${info.project.name}.png`, fullPage: true });
});
