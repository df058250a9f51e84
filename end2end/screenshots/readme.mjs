// Takes the README's screenshots (docs/screenshot-*.png) from a running cardcrm filled by
// `cardcrm demo`: the contact list (desktop), one contact (phone width) and a read card in the
// scan editor. Run by scripts/readme-screenshots.sh, which starts that instance.
//   CARDCRM_URL=http://127.0.0.1:3918 E2E_USER=demo E2E_PASSWORD=… node end2end/screenshots/readme.mjs
import { chromium } from "@playwright/test";

const base = process.env.CARDCRM_URL ?? "http://127.0.0.1:3918";
const user = process.env.E2E_USER ?? "demo";
const password = process.env.E2E_PASSWORD ?? "";
const out = new URL("../../docs/", import.meta.url).pathname;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });

async function signedIn(viewport, extra = {}) {
  const context = await browser.newContext({ baseURL: base, viewport, ...extra });
  const page = await context.newPage();
  await page.goto("/login");
  await page.waitForSelector("body[data-hydrated]");
  await page.getByLabel("Username or e-mail").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Contacts" }).waitFor();
  await page.waitForSelector("body[data-hydrated]");
  return { context, page };
}

// The contact list at desktop width.
{
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}screenshot-contacts.png` });
  await context.close();
}

// One contact with a company, a phone, an e-mail and tags, at phone width.
{
  const { context, page } = await signedIn({ width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  const list = await (await context.request.get("/api/v1/contacts?limit=100&sort=name")).json();
  const rich = list.items.find((c) => c.company && c.phones?.length && c.emails?.length && c.tags?.length && c.address) ?? list.items[0];
  await page.goto(`/contacts/${rich.id}`);
  await page.waitForSelector("body[data-hydrated]");
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}screenshot-contact-phone.png`, fullPage: true });
  await context.close();
}

// A card read by the OCR, in the scan editor (the newest finished scan).
{
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  const id = Number(process.env.SCAN_ID ?? "0");
  if (id > 0) {
    await page.goto(`/scan?id=${id}`);
    await page.waitForSelector("body[data-hydrated]");
    await page.locator(".block-overlay, .scan-blocks, img").first().waitFor({ timeout: 30_000 }).catch(() => undefined);
    await page.waitForTimeout(1000);
    await page.screenshot({ path: `${out}screenshot-scan.png`, fullPage: true });
  }
  await context.close();
}

await browser.close();
console.log(`screenshots written to ${out}`);
