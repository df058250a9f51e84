import { expect, type Page } from "@playwright/test";

// What every browser test needs: the account scripts/test.sh creates, sign-in, hydration, layout checks.

/** The administrator scripts/test.sh creates (E2E_USER / E2E_PASSWORD). */
export const user = process.env.E2E_USER ?? "admin";
export const password = process.env.E2E_PASSWORD ?? "";

/** Waits until the server-rendered page is hydrated (the app marks `body[data-hydrated]`). */
export async function hydrated(page: Page) {
  await page.waitForSelector("body[data-hydrated]");
}

/** Nothing may stick out sideways (phone width included). */
export async function fitsWidth(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
}

/** Signs in through the form and waits for the contact list. */
export async function signIn(page: Page, name = user, pw = password) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username or e-mail").fill(name);
  await page.getByLabel("Password").fill(pw);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Contacts" })).toBeVisible();
  await hydrated(page);
}
