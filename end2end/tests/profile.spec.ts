import { type Page } from "@playwright/test";
import { expect, fitsWidth, hydrated, password, signIn, test, user } from "./helpers";

async function setSetting(page: Page, name: string, value: string) {
  const card = page.getByTestId("integration-status");
  await card.getByLabel("Setting").selectOption(name);
  await card.getByLabel("Value").fill(value);
  await card.getByRole("button", { name: "Save" }).click();
  await expect(card.locator(`tr[data-setting="${name}"]`)).toContainText("stored");
}

test("profile: an administrator configures the bots, a Telegram code and a WhatsApp number", async ({ page }, info) => {
  await signIn(page);
  await page.goto("/profile");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await expect(page.getByTestId("linked-accounts")).toBeVisible();

  // Tokens are stored and shown back masked only.
  await setSetting(page, "TELEGRAM_BOT_TOKEN", "123456:AAE-e2e-token-abcdefghijklmnop");
  await setSetting(page, "TELEGRAM_BOT_USERNAME", "cardcrm_e2e_bot");
  await setSetting(page, "WHATSAPP_ACCESS_TOKEN", "EAAG-e2e-access-token-0123456789");
  await setSetting(page, "WHATSAPP_PHONE_NUMBER_ID", "1098765432");
  const token = page.locator('tr[data-setting="TELEGRAM_BOT_TOKEN"]');
  await expect(token).toContainText("••••••mnop");
  await expect(page.getByText("AAE-e2e-token")).toHaveCount(0);

  await page.reload();
  await hydrated(page);
  const tg = page.getByTestId("telegram-card");
  await tg.getByRole("button", { name: "Create a link code" }).click();
  await expect(tg.getByTestId("link-code")).toContainText(/\/start [A-Z2-9]{8}/);
  await expect(tg.getByRole("link", { name: "Open the bot in Telegram" })).toHaveAttribute(
    "href",
    /^https:\/\/t\.me\/cardcrm_e2e_bot\?start=[A-Z2-9]{8}$/,
  );

  const wa = page.getByTestId("whatsapp-card");
  await wa.getByLabel("Your WhatsApp number").fill("not a number");
  await wa.getByRole("button", { name: "Set number" }).click();
  await expect(wa.locator(".error")).toContainText("number");
  await wa.getByLabel("Your WhatsApp number").fill("+49 151 23456789");
  await wa.getByRole("button", { name: "Set number" }).click();
  await expect(page.getByTestId("whatsapp-card").getByTestId("link-code")).toContainText(/link [A-Z2-9]{8}/);
  await expect(page.getByTestId("whatsapp-card")).toContainText("+4915123456789");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/profile-${info.project.name}.png`, fullPage: true });
});

test("profile: an app password for the phone is shown once, listed with its use, and revoked", async ({ page }, info) => {
  await signIn(page);
  await page.goto("/profile");
  await hydrated(page);
  const card = page.getByTestId("app-passwords");
  await expect(card.getByTestId("dav-url")).toContainText("/dav/");
  const name = `e2e phone ${info.project.name} ${Date.now().toString(36)}`;
  await card.getByLabel("What the app password is for").fill(name);
  await card.getByRole("button", { name: "Create app password" }).click();
  // 52 base32 letters in groups of four, shown this once.
  await expect(card.getByTestId("new-app-password")).toContainText(/([a-z2-7]{4}-){12}[a-z2-7]{4}/);
  const row = card.locator("tr", { hasText: name });
  await expect(row).toContainText("never");
  await fitsWidth(page);
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(card.locator("tr", { hasText: name })).toHaveCount(0);
});

test("profile: a group chosen for the phone becomes an address book of its own", async ({ page, request }, info) => {
  // A group with a member, made through the API as the administrator.
  const login = await request.post("/api/v1/auth/login", { data: { username: user, password } });
  expect(login.ok()).toBeTruthy();
  const auth = { Authorization: `Bearer ${(await login.json()).access_token}` };
  const name = `Phone book ${info.project.name} ${Date.now().toString(36)}`;
  const group = await request.post("/api/v1/groups", { headers: auth, data: { name } });
  expect(group.ok()).toBeTruthy();
  const gid = (await group.json()).id;
  const contact = await request.post("/api/v1/contacts", { headers: auth, data: { full_name: "Group Member E2e", groups: [name] } });
  expect(contact.ok()).toBeTruthy();

  await signIn(page);
  await page.goto("/profile");
  await hydrated(page);
  const card = page.getByTestId("app-passwords");
  const books = card.getByTestId("dav-books");
  await expect(books).toContainText("cardcrm contacts");
  await expect(books).not.toContainText(name);
  const form = card.getByTestId("dav-groups");
  await form.getByLabel(name).check();
  await form.getByRole("button", { name: "Save books" }).click();
  await expect(form.getByRole("status")).toContainText("Saved");
  await expect(books).toContainText(name);
  await expect(books).toContainText(`/group-${gid}/`);
  await fitsWidth(page);
  await card.screenshot({ path: `test-results/profile-books-${info.project.name}.png` });

  // The choice is kept: after a reload the box is still ticked; unticking removes the book.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("dav-groups").getByLabel(name)).toBeChecked();
  await page.getByTestId("dav-groups").getByLabel(name).uncheck();
  await page.getByTestId("dav-groups").getByRole("button", { name: "Save books" }).click();
  await expect(page.getByTestId("dav-books")).not.toContainText(name);
  const setup = await (await request.get("/api/v1/auth/carddav", { headers: auth })).json();
  expect(setup.books.map((b: { name: string }) => b.name)).not.toContain(name);
});
