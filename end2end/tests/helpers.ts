import { expect, test as base, type Page } from "@playwright/test";

// What every browser test needs: the account scripts/test.sh creates, sign-in, hydration, layout checks.

/**
 * Playwright's `test`, with the browser's console errors, uncaught exceptions (a wasm panic shows
 * as one) and failed requests kept for every page, and printed with the URL when a test fails:
 * a page that hydrates but shows nothing leaves its reason here.
 */
export const test = base.extend<{ browserLog: string[] }>({
  browserLog: [
    async ({ page }, use, info) => {
      const log: string[] = [];
      const at = () => `${new Date().toISOString().slice(11, 23)} ${page.url()}`;
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") log.push(`${at()} console.${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => log.push(`${at()} uncaught: ${e.stack ?? e.message}`));
      page.on("requestfailed", (r) => log.push(`${at()} request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
      page.on("response", (r) => {
        if (r.status() >= 500) log.push(`${at()} HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
      });
      await use(log);
      if (info.status !== info.expectedStatus && log.length > 0) {
        console.log(`--- browser log of "${info.title}" [${info.project.name}]:\n${log.join("\n")}`);
        await info.attach("browser-log", { body: log.join("\n"), contentType: "text/plain" });
      }
    },
    { auto: true },
  ],
});
export { expect };

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
