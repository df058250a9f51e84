import { type Page } from "@playwright/test";
import { expect, fitsWidth, hydrated, password, user, test } from "./helpers";

// UI languages: the browser's Accept-Language picks Russian, the switch in the top bar changes to
// German, a reload keeps it (cookie), and the switch goes back to English.

test.use({ locale: "ru-RU", extraHTTPHeaders: { "Accept-Language": "ru-RU,ru;q=0.9" } });

/** Screenshots for a human look, when I18N_SHOTS names a directory. */
async function shot(page: Page, name: string) {
  const dir = process.env.I18N_SHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${test.info().project.name}-${name}.png`, fullPage: true });
}

/** Picks a language in the switch and waits for the page to load again in it. */
async function choose(page: Page, switchLabel: string, code: string) {
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole("combobox", { name: switchLabel }).selectOption(code),
  ]);
  await hydrated(page);
  await expect(page.locator("html")).toHaveAttribute("lang", code);
}

test("the UI speaks the browser's language, switches to German, keeps it, and back to English", async ({ page, context }) => {
  await page.goto("/login");
  await hydrated(page);
  await expect(page.locator("html")).toHaveAttribute("lang", "ru");
  await expect(page.getByText("Вход в CRM визиток вашей команды.")).toBeVisible();
  await shot(page, "login-ru");
  await page.getByLabel("Имя пользователя или e-mail").fill(user);
  await page.getByLabel("Пароль").fill(password);
  await page.getByRole("button", { name: "Войти" }).click();
  await expect(page.getByRole("heading", { name: "Контакты" })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole("link", { name: "+ Новый контакт" })).toBeVisible();
  await expect(page.getByLabel("Поиск контактов")).toBeVisible();
  await fitsWidth(page);
  await shot(page, "contacts-ru");

  await choose(page, "Язык", "de");
  await expect(page.getByRole("heading", { name: "Kontakte" })).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Sprache" })).toHaveValue("de");
  await fitsWidth(page);
  await shot(page, "contacts-de");
  expect((await context.cookies()).find((c) => c.name === "i18n_pref_locale")?.value).toBe("de");

  await page.reload();
  await hydrated(page);
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await expect(page.getByRole("heading", { name: "Kontakte" })).toBeVisible();

  // Other pages follow, from the first server-rendered byte.
  await page.goto("/labels");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Tags & Gruppen" })).toBeVisible();
  await page.goto("/contacts/new");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Neuer Kontakt" })).toBeVisible();
  await expect(page.getByLabel("Vorname", { exact: true })).toBeVisible();
  await fitsWidth(page);
  await shot(page, "new-contact-de");
  if (test.info().project.name === "phone") {
    await page.getByRole("button", { name: "Menü" }).click();
    await expect(page.getByRole("link", { name: "Karte scannen" })).toBeVisible();
    await shot(page, "menu-de");
  }

  await choose(page, "Sprache", "en");
  await expect(page.getByRole("heading", { name: "New contact" })).toBeVisible();
  await expect(page.getByLabel("First name")).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { name: "New contact" })).toBeVisible();
});
