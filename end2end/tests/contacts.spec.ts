import { type Page } from "@playwright/test";
import { expect, fitsWidth, hydrated, signIn, user, test } from "./helpers";

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
