import { expect, hydrated, password, test, user } from "./helpers";

// Issue 19: a crafted `/login?next=…` link must not run script as the freshly signed-in user, nor
// send them to another site; only same-origin paths are followed, in the hydrated page too.

test("sign-in: a javascript: next is not followed, and the page runs no injected script", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  // What the probe did: read the signed-in user with the session cookie and show it.
  const payload = "javascript:fetch('/api/v1/auth/me').then(r=>r.text()).then(t=>{window.__stolen=t;alert(t)})";
  await page.goto(`/login?next=${encodeURIComponent(payload)}`);
  await hydrated(page);
  await page.getByLabel("Username or e-mail").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Contacts" })).toBeVisible();
  await hydrated(page);
  expect(new URL(page.url()).pathname).toBe("/");
  expect(await page.evaluate(() => (window as unknown as { __stolen?: string }).__stolen)).toBeUndefined();
  expect(dialogs).toEqual([]);
});

test("sign-in: another site as next stays on this site; a local path is followed", async ({ page, baseURL }) => {
  for (const next of ["//evil.example/", "/\\evil.example", "https://evil.example/"]) {
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await hydrated(page);
    await page.getByLabel("Username or e-mail").fill(user);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Contacts" })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
    await page.context().clearCookies();
  }
  await page.goto(`/login?next=${encodeURIComponent("/labels")}`);
  await hydrated(page);
  await page.getByLabel("Username or e-mail").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/labels$/);
});

test("pages carry a nonce-based CSP, and an inline script without it does not run", async ({ page }) => {
  const response = await page.goto("/login");
  const csp = response!.headers()["content-security-policy"];
  const scriptSrc = csp.split(";").find((d) => d.trim().startsWith("script-src"))!;
  expect(scriptSrc).toContain("'nonce-");
  expect(scriptSrc).not.toContain("unsafe-inline");
  await hydrated(page);
  // A script slipped into the page by some future bug is refused by the browser.
  const ran = await page.evaluate(async () => {
    const s = document.createElement("script");
    s.textContent = "window.__injected = true";
    document.body.appendChild(s);
    await new Promise((r) => setTimeout(r, 50));
    return (window as unknown as { __injected?: boolean }).__injected === true;
  });
  expect(ran).toBe(false);
});
