import { type Page } from "@playwright/test";
import { expect, fitsWidth, hydrated, password, signIn, user as admin, test } from "./helpers";

// Operations in the browser: the PWA (manifest, service worker, offline card queue) and the admin
// panel (activate a newly registered user, reset a password, settings, audit-log filters, status).
// Runs signed in as E2E_USER, who must be an administrator.

test("the app is an installable PWA: manifest, icons and a service worker that controls the page", async ({ page, request }) => {
  await page.goto("/login");
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  expect(href).toBe("/manifest.webmanifest");
  const res = await request.get(href!);
  expect(res.ok()).toBeTruthy();
  const manifest = await res.json();
  expect(manifest.display).toBe("standalone");
  expect(manifest.start_url).toMatch(/^\//);
  expect(manifest.theme_color).toBe("#1d4ed8");
  const sizes = manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`);
  expect(sizes).toEqual(expect.arrayContaining(["192x192 any", "512x512 any", "512x512 maskable"]));
  for (const icon of manifest.icons) {
    const r = await request.get(icon.src);
    expect(r.ok()).toBeTruthy();
    expect(r.headers()["content-type"]).toContain("image/png");
  }
  const sw = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return { scope: reg.scope, script: reg.active?.scriptURL ?? "" };
  });
  expect(sw.script).toMatch(/\/sw\.js$/);
  expect(new URL(sw.scope).pathname).toBe("/");
  await page.reload();
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? "")).toMatch(/\/sw\.js$/);
  const offline = await request.get("/offline.html");
  expect(offline.ok()).toBeTruthy();
});

test("offline: pages fall back to the offline page, a card upload is queued and sent when back online", async ({ page, context }, info) => {
  await signIn(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await hydrated(page);
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

  await context.setOffline(true);
  // A page while offline: the cached offline page.
  await page.goto("/trash").catch(() => undefined);
  await expect(page.getByRole("heading", { name: "You are offline" })).toBeVisible();
  await page.goto("/").catch(() => undefined);

  // A card photographed offline (the scan page posts to /api/v1/scans): kept on the device, 202.
  const answer = await page.evaluate(async () => {
    const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
    const form = new FormData();
    form.append("file", new Blob([png], { type: "image/png" }), "card.png");
    const r = await fetch("/api/v1/scans", { method: "POST", body: form });
    return { status: r.status, body: await r.json() };
  });
  expect(answer.status).toBe(202);
  expect(answer.body.status).toBe("queued_offline");
  expect(answer.body.detail).toContain("uploaded when the connection returns");
  await expect(page.locator("[data-offline-queue]:not(html)").first()).toHaveText(/1 card waiting/);
  await page.screenshot({ path: `test-results/offline-${info.project.name}.png`, fullPage: true });

  // Back online: the queue is replayed and the indicator disappears.
  await context.setOffline(false);
  await page.goto("/");
  await hydrated(page);
  await page.evaluate(() => window.dispatchEvent(new Event("online")));
  await expect.poll(() => page.evaluate(() => document.documentElement.getAttribute("data-offline-queue")), { timeout: 20_000 }).toBe("0");
  await expect(page.locator(".queue-indicator")).toBeHidden();
});

test("offline cards belong to who took them: another account is asked, and nothing is uploaded in its name", async ({ page, context, request }, info) => {
  // A second, active account (made through the API as the administrator).
  const login = await request.post("/api/v1/auth/login", { data: { username: admin, password } });
  expect(login.ok()).toBeTruthy();
  const auth = { Authorization: `Bearer ${(await login.json()).access_token}` };
  const other = `e2eq${Date.now().toString(36)}${info.project.name.slice(0, 1)}`;
  const otherPassword = "another long password";
  const reg = await request.post("/api/v1/auth/register", { data: { username: other, email: `${other}@example.com`, password: otherPassword } });
  expect(reg.ok()).toBeTruthy();
  const users = await (await request.get("/api/v1/auth/users", { headers: auth })).json();
  const id = users.find((u: { username: string }) => u.username === other).id;
  expect((await request.patch(`/api/v1/auth/users/${id}`, { headers: auth, data: { is_active: true } })).ok()).toBeTruthy();

  // The administrator photographs a card offline: it waits on the device.
  await signIn(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await hydrated(page);
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await context.setOffline(true);
  const status = await page.evaluate(async () => {
    const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
    const form = new FormData();
    form.append("file", new Blob([png], { type: "image/png" }), "card.png");
    return (await fetch("/api/v1/scans", { method: "POST", body: form })).status;
  });
  expect(status).toBe(202);
  await expect(page.locator("[data-offline-queue]:not(html)").first()).toHaveText(/1 card waiting/);

  // The session ends on this device (cookies gone) and someone else signs in once the network is back.
  await context.clearCookies();
  const uploads: string[] = [];
  context.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/api/v1/scans") uploads.push(r.url());
  });
  const dialogs: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    // First question: upload to your account? No. Second: discard? Yes.
    if (dialogs.length === 1) await d.dismiss();
    else await d.accept();
  });
  await context.setOffline(false);
  await signIn(page, other, otherPassword);
  await page.evaluate(() => window.dispatchEvent(new Event("online")));
  await expect.poll(() => dialogs.length, { timeout: 20_000 }).toBe(2);
  expect(dialogs[0]).toContain(`while ${admin} was signed in`);
  expect(dialogs[0]).toContain(`upload them to your account (${other})`);
  expect(dialogs[1]).toContain("Discard this card photo");
  // Discarded from the device; never sent to the server under the other account (or the first one).
  const waiting = () =>
    page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const open = indexedDB.open("cardcrm-offline");
          open.onsuccess = () => {
            const req = open.result.transaction("uploads", "readonly").objectStore("uploads").count();
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => resolve(-1);
          };
          open.onerror = () => resolve(-1);
        }),
    );
  await expect.poll(waiting, { timeout: 10_000 }).toBe(0);
  expect(uploads).toEqual([]);
  await expect(page.locator(".queue-indicator")).toBeHidden();
});

test("an administrator activates a newly registered user, who can then sign in", async ({ browser, page }, info) => {
  const name = `e2e${Date.now().toString(36)}${info.project.name.slice(0, 1)}`;
  const userPassword = "a long enough password";

  // Someone requests an account (in a separate, signed-out browser context).
  const visitor = await browser.newContext();
  const reg = await visitor.newPage();
  await reg.goto("/register");
  await hydrated(reg);
  await reg.getByLabel("Username").fill(name);
  await reg.getByLabel("E-mail").fill(`${name}@example.com`);
  await reg.getByLabel("Password (at least 10 characters)").fill(userPassword);
  await reg.getByRole("button", { name: "Request account" }).click();
  await expect(reg.getByText("Your account was created")).toBeVisible();

  // Not active yet: signing in is refused.
  await reg.goto("/login");
  await hydrated(reg);
  await reg.getByLabel("Username or e-mail").fill(name);
  await reg.getByLabel("Password").fill(userPassword);
  await reg.getByRole("button", { name: "Sign in" }).click();
  await expect(reg.getByText("not active yet")).toBeVisible();

  // The administrator activates it.
  await signIn(page);
  await page.goto("/admin/users");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  const row = page.locator(`tr[data-user="${name}"]`);
  await expect(row.getByText("inactive")).toBeVisible();
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/admin-users-${info.project.name}.png`, fullPage: true });
  await row.getByRole("button", { name: "Activate" }).click();
  await expect(row.getByText("active", { exact: true })).toBeVisible();
  await expect(row.getByRole("button", { name: "Deactivate" })).toBeVisible();

  // Now the user gets in.
  await signIn(reg, name, userPassword);
  await visitor.close();

  // A password reset from the panel.
  await row.getByRole("button", { name: "Reset password" }).click();
  await page.getByLabel(`New password for ${name}`).fill("another long password");
  await page.getByRole("button", { name: "Set password", exact: true }).click();
  await expect(page.getByRole("status")).toContainText(`Password of ${name} changed`);
});

test("the audit log filters by user, action and date, and the settings and status pages work", async ({ page }, info) => {
  await signIn(page);
  await page.goto("/admin/audit");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await expect(page.locator("tr[data-audit]").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Older ›" })).toBeVisible();
  await expect(page.getByRole("button", { name: "‹ Newer" })).toBeDisabled();

  // By user: only the administrator's own entries.
  await page.locator('input[name="user"]').fill(admin);
  await page.getByRole("button", { name: "Filter" }).click();
  const users = page.locator("tr[data-audit] .audit-user");
  await expect.poll(async () => [...new Set(await users.allTextContents())]).toEqual([admin]);

  // By action.
  await page.locator('input[name="user"]').fill("");
  await page.locator('select[name="action"]').selectOption("update");
  await page.getByRole("button", { name: "Filter" }).click();
  const actions = page.locator("tr[data-audit] .audit-action");
  await expect.poll(async () => [...new Set(await actions.allTextContents())]).toEqual(["update"]);

  // A date range in the past finds nothing; an unknown user is explained.
  await page.locator('select[name="action"]').selectOption("");
  await page.locator('input[name="to"]').fill("2000-01-01");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("No entries match.")).toBeVisible();
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(page.locator("tr[data-audit]").first()).toBeVisible();
  await page.locator('input[name="user"]').fill("nobody-at-all");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByRole("alert")).toContainText("no user named");
  await fitsWidth(page);
  await page.getByRole("button", { name: "Clear" }).click();
  await page.screenshot({ path: `test-results/admin-audit-${info.project.name}.png`, fullPage: true });

  // Settings: the default region round-trips.
  await page.goto("/admin/settings");
  await hydrated(page);
  const region = page.getByLabel("Default phone region");
  await expect(region).not.toHaveValue("");
  const before = await region.inputValue();
  await region.fill("DE");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Saved")).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Default phone region")).toHaveValue("DE");
  await page.getByLabel("Default phone region").fill(before);
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Saved")).toBeVisible();
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/admin-settings-${info.project.name}.png`, fullPage: true });

  // Status.
  await page.goto("/admin/status");
  await hydrated(page);
  await expect(page.locator('tr[data-check="Database"]')).toContainText("ok");
  await expect(page.locator('tr[data-check="Redis"]')).toBeVisible();
  await expect(page.locator('tr[data-check="Scan queue"]')).toContainText("waiting");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/admin-status-${info.project.name}.png`, fullPage: true });
});
