import { expect, fitsWidth, hydrated, signIn, test } from "./helpers";

/** A Google-style CSV with two people, one of them twice (the second row is a duplicate). */
function csv(tag: string) {
  return Buffer.from(
    "First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Organization Name\n" +
      `Lena,Import${tag},* Work,lena.${tag}@example.com,Mobile,+49 170 1112233,Acme\n` +
      `Paul,Import${tag},* Work,paul.${tag}@example.com,,,Acme\n` +
      `Lena,Import${tag},* Work,lena.${tag}@example.com,Work,+49 30 4445566,\n`,
  );
}

test("a CSV is previewed, a row's choice changed, imported into the contacts, and the import undone", async ({ page }, info) => {
  const tag = `${Date.now().toString(36)}${info.project.name}`;
  await signIn(page);
  await page.goto("/imports");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Import & export" })).toBeVisible();
  await page.getByLabel("File").setInputFiles({ name: `people-${tag}.csv`, mimeType: "text/csv", buffer: csv(tag) });
  await page.getByLabel("Tag for imported contacts").fill(`batch-${tag}`);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page).toHaveURL(/\/imports\/\d+$/);

  // The preview: two to create, the repeated Lena skipped as the same person as line 2.
  await expect(page.locator(".import-summary")).toContainText("preview");
  await expect(page.locator(".import-summary")).toContainText("create 2");
  const dupRow = page.locator("tr.row-skip");
  await expect(dupRow).toContainText("line 2");
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/import-preview-${info.project.name}.png`, fullPage: true });

  // Merge the repeated row into the first instead: Lena keeps both phones.
  await dupRow.getByRole("combobox").selectOption("merge");
  await page.getByRole("button", { name: /^Import \(/ }).click();
  await expect(page.locator(".import-summary")).toContainText("imported");
  await expect(page.locator(".import-summary")).toContainText("create 2");
  await page.screenshot({ path: `test-results/import-done-${info.project.name}.png`, fullPage: true });

  // The contacts are there, with the tag.
  await page.goto(`/?tag=batch-${tag}`);
  await hydrated(page);
  await expect(page.getByRole("link", { name: `Lena Import${tag}` })).toBeVisible();
  await expect(page.getByRole("link", { name: `Paul Import${tag}` })).toBeVisible();
  await page.getByRole("link", { name: `Lena Import${tag}` }).click();
  await expect(page.locator("body")).toContainText("+49 30 4445566");

  // Undo from the import's page: both go to the trash.
  await page.goto("/imports");
  await hydrated(page);
  await page.getByRole("link", { name: `people-${tag}.csv` }).first().click();
  await hydrated(page);
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Undo this import" }).click();
  await expect(page.locator(".notice")).toContainText("2 contacts moved to the trash");
  await page.goto(`/?tag=batch-${tag}`);
  await hydrated(page);
  await expect(page.getByRole("link", { name: `Lena Import${tag}` })).toHaveCount(0);
});

test("the contact list exports what its filter shows", async ({ page }, info) => {
  await signIn(page);
  await page.goto("/?tag=nothing-has-this-tag");
  await hydrated(page);
  await page.locator(".export-menu summary").click();
  const link = page.getByRole("link", { name: "vCard", exact: true });
  await expect(link).toHaveAttribute("href", /\/api\/v1\/export\?format=vcf&tag=nothing-has-this-tag/);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toMatch(/^cardcrm-contacts-.*\.vcf$/);
  await fitsWidth(page);
  await page.screenshot({ path: `test-results/export-menu-${info.project.name}.png` });
});
