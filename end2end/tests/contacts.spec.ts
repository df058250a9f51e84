import { type Page } from "@playwright/test";
import { expect, fitsWidth, hydrated, password, signIn, user, test } from "./helpers";

test("sign in, create a contact with two phones, find it, edit it, see the history", async ({ page }, info) => {
  const last = `Tester${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);

  await page.getByRole("link", { name: "+ New contact" }).click();
  await expect(page.getByRole("heading", { name: "New contact" })).toBeVisible();
  await fitsWidth(page);
  await page.getByLabel("First name").fill("Grace");
  await page.getByLabel("Last name").fill(last);
  await page.getByLabel("Company").fill("Playwright Labs");
  await page.getByLabel("Position").fill("Engineer");
  const phones = page.locator('input[name="phone"]');
  await phones.nth(0).fill("+1 917 857 0839");
  await page.getByRole("button", { name: "+ Add phone" }).click();
  await phones.nth(1).fill("+44 20 9876 5432");
  await page.locator('input[name="e-mail"]').first().fill(`grace.${last.toLowerCase()}@example.com`);
  await page.getByRole("button", { name: "Save" }).click();

  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  await expect(page.getByRole("heading", { name: `Grace ${last}` })).toBeVisible();
  await expect(page.getByText("+19178570839")).toBeVisible();
  await expect(page.getByText("+442098765432")).toBeVisible();
  await page.screenshot({ path: `test-results/contact-${info.project.name}.png`, fullPage: true });

  // Find it with the search box.
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Search contacts").fill(last);
  const row = page.getByRole("link", { name: `Grace ${last}` });
  await expect(row).toBeVisible();
  await fitsWidth(page);
  await expect(page.getByRole("button", { name: "Next →" })).toBeDisabled();
  await page.screenshot({ path: `test-results/list-${info.project.name}.png`, fullPage: true });
  await row.click();
  await expect(page.getByRole("heading", { name: `Grace ${last}` })).toBeVisible();
  await hydrated(page);

  // Edit it and see the change in the history.
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Position").fill("CTO");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("button", { name: "Edit" })).toBeVisible();
  const history = page.locator("ol.history");
  await expect(history.locator("li").filter({ hasText: "update" }).first()).toContainText("Engineer");
  await expect(history).toContainText("CTO");
  await expect(history).toContainText(user);
});

test("signed-out visitors are sent to sign in", async ({ page }) => {
  await page.goto("/trash");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
});

test("the search overlay: Ctrl+K or / on any page finds a contact or a page, arrows and Enter open it", async ({ page }, info) => {
  const last = `Palette${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);
  await page.getByRole("link", { name: "+ New contact" }).click();
  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill(last);
  await page.getByLabel("Company").fill("Analytical Engines");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  const contactUrl = page.url();

  // From another page, with the keyboard: Ctrl+K, a typo in the name, Enter.
  await page.goto("/duplicates");
  await hydrated(page);
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Search cardcrm" });
  await expect(dialog).toBeVisible();
  const box = dialog.getByRole("combobox");
  await expect(box).toBeFocused();
  await box.fill(last.slice(0, -1));
  const hit = dialog.getByRole("option").filter({ hasText: `Ada ${last}` });
  await expect(hit).toBeVisible();
  await expect(hit).toContainText("Analytical Engines");
  await expect(dialog.getByRole("option").first()).toHaveAttribute("aria-selected", "true");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/palette-${info.project.name}.png` });
  await box.press("Enter");
  await expect(page).toHaveURL(contactUrl);
  await expect(dialog).toBeHidden();

  // "/" outside a text field opens it; a page by name; the arrows move the choice.
  await hydrated(page);
  await page.keyboard.press("/");
  await expect(box).toBeFocused();
  await expect(box).toHaveValue("");
  await box.fill("trash");
  await expect(dialog.getByRole("option")).toHaveCount(1);
  await box.press("Enter");
  await expect(page).toHaveURL(/\/trash$/);

  await page.keyboard.press("Control+k");
  await box.fill("import");
  const options = dialog.getByRole("option");
  await expect(options.first()).toContainText("Import & export");
  await box.press("ArrowDown");
  await box.press("ArrowUp");
  await expect(options.first()).toHaveAttribute("aria-selected", "true");
  await box.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page).toHaveURL(/\/trash$/);

  // "/" typed in a text field stays a character; the top bar's button opens the overlay (phones).
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Search contacts").fill("a/b");
  await expect(dialog).toBeHidden();
  await page.getByRole("button", { name: "Search (Ctrl+K)" }).click();
  await expect(box).toBeFocused();
  await box.fill("scan");
  await dialog.getByRole("option").filter({ hasText: "Scan a card" }).click();
  await expect(page).toHaveURL(/\/scan$/);
});

test("the list pages on by cursor: next, previous, first and last keep the order", async ({ page, request }, info) => {
  const company = `Pager${Date.now().toString(36)}${info.project.name}`;
  const login = await request.post("/api/v1/auth/login", { data: { username: user, password } });
  const auth = { authorization: `Bearer ${(await login.json()).access_token}` };
  // 27 contacts: a full page of 25 and two more.
  const names = Array.from({ length: 27 }, (_, i) => `Page${String(i).padStart(2, "0")}`);
  for (const last of names) {
    const r = await request.post("/api/v1/contacts", { headers: auth, data: { first_name: "Ada", last_name: last, company } });
    expect(r.status()).toBe(201);
  }
  await signIn(page);
  await page.goto(`/?company=${company}&sort=name`);
  await hydrated(page);
  const pager = page.locator("nav.pager span");
  const rows = page.locator("table.contacts tbody tr");
  await expect(pager).toHaveText("Page 1 of 2");
  await expect(rows).toHaveCount(25);
  await expect(rows.first()).toContainText("Ada Page00");
  await expect(page.getByRole("button", { name: "« First" })).toBeDisabled();

  await page.getByRole("button", { name: "Next →" }).click();
  await expect(pager).toHaveText("Page 2 of 2");
  await expect(page).toHaveURL(/after=/);
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("Ada Page25");
  await expect(page.getByRole("button", { name: "Next →" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Last »" })).toBeDisabled();
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/list-pager-${info.project.name}.png`, fullPage: true });

  await page.getByRole("button", { name: "← Previous" }).click();
  await expect(pager).toHaveText("Page 1 of 2");
  await expect(page).toHaveURL(/before=/);
  await expect(rows).toHaveCount(25);
  await expect(rows.last()).toContainText("Ada Page24");

  await page.getByRole("button", { name: "Last »" }).click();
  await expect(pager).toHaveText("Page 2 of 2");
  await expect(rows.last()).toContainText("Ada Page26");
  await page.getByRole("button", { name: "« First" }).click();
  await expect(pager).toHaveText("Page 1 of 2");
  await expect(rows.first()).toContainText("Ada Page00");
  // A new sort starts again from the first page, in the new order: by the column header, or on a
  // phone (whose list of cards has no header row) by the sort menu.
  await page.getByRole("button", { name: "Next →" }).click();
  await expect(pager).toHaveText("Page 2 of 2");
  if (info.project.name === "desktop") {
    await expect(page.getByLabel("Sort by")).toBeHidden();
    await page.locator("th button.sort").filter({ hasText: "Name" }).click();
  } else {
    await expect(page.getByLabel("Sort by")).toHaveValue("name:asc");
    await page.getByLabel("Sort by").selectOption("name:desc");
  }
  await expect(pager).toHaveText("Page 1 of 2");
  await expect(rows.first()).toContainText("Ada Page26");
  await expect(page).not.toHaveURL(/after=|before=|page=/);
  await expect(page).toHaveURL(/order=desc/);
});
