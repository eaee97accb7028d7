// The contact panel, on a phone (a sheet over the full-screen conversation, with a way back to the list) and on a
// desktop (the third column): saving shows the stored phone in E.164, attributes are added, changed and removed.
// Regressions for issue #10: the field kept the raw input, and attributes were read-only; on a phone the panel
// could not be opened at all.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, apiPost, waitUntil, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing, reachable } from "../support/browser.ts";
import { contacts } from "../../src/inbox/schema.ts";
import { eq } from "drizzle-orm";

let t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>,
  browser: Browser;
beforeAll(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await t?.close();
});

test("edit a contact's phone and attributes from the conversation (375 and 1280 px)", async () => {
  const ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "CRM", config: {} });
  for (const [i, viewport] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const inbound = await apiPost(t, s.apiKey, "/inbound", {
      channelId: ch.id,
      from: { externalId: `k${i}`, name: `Cliente Panel ${i}` },
      body: "hola",
    });
    const conv = (
      await (
        await t.req("GET", `/api/v1/conversations/${inbound.conversationId}`, {
          headers: { authorization: `Bearer ${s.apiKey}` },
        })
      ).json()
    ).data;
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    await page.goto(`${running.url}/inbox?c=${conv.id}`);
    const panel = page.locator("#contact-panel");
    if (viewport.width < 900) {
      // a phone: the conversation takes the screen, the list is behind "Conversaciones", the panel behind "Contacto"
      expect(await page.locator("#conv-list").isVisible()).toBe(false);
      expect(await reachable(page.locator("#conv-header [data-back]"))).toBe(true);
      await page.locator("#conv-header [data-sheet-open]").click();
      await page.waitForFunction(() => {
        const r = document.querySelector("#contact-panel input[name=phone]")!.getBoundingClientRect();
        return r.bottom <= innerHeight && r.top >= 0;
      });
    }
    expect(await reachable(panel.locator("input[name=phone]"))).toBe(true);
    await panel.locator("input[name=phone]").fill(`55 1234 560${i}`);
    await panel.locator("input[name=newKey]").fill("ciudad");
    await panel.locator("input[name=newValue]").fill("Puebla");
    await panel.locator("#contact-form button[type=submit]").click();
    await page.waitForFunction(
      (v) => (document.querySelector("#contact-panel input[name=phone]") as HTMLInputElement).value === v,
      `+52551234560${i}`,
    );
    await expect(panel.locator("#contact-msg").textContent()).resolves.toBe("Guardado.");
    await panel.locator('input[data-key="ciudad"]').waitFor();
    const stored = async () => (await t.ctx.db.select().from(contacts).where(eq(contacts.id, conv.contactId)).get())!;
    expect((await stored()).phone).toBe(`+52551234560${i}`);
    expect((await stored()).attributes).toMatchObject({ ciudad: "Puebla" });
    // change it, then remove it by emptying it
    // each save re-draws the fields when its answer comes: the next edit waits for that, or it types into a field
    // about to be replaced (a CI run lost the emptying that way)
    const saved = async () => {
      await panel.locator("#contact-msg", { hasText: "Guardado." }).waitFor();
    };
    const save = async () => {
      await panel.locator("#contact-msg").evaluate((el) => {
        el.textContent = "";
      });
      await panel.locator("#contact-form button[type=submit]").click();
      await saved();
    };
    await panel.locator('input[data-key="ciudad"]').fill("Cholula");
    await save();
    await waitUntil(async () => (await stored()).attributes.ciudad === "Cholula");
    await panel.locator('input[data-key="ciudad"]').fill("");
    await save();
    await waitUntil(async () => !("ciudad" in (await stored()).attributes));
    await page.locator('#contact-attrs input[data-key="ciudad"]').waitFor({ state: "detached" });
    expect(await overflowing(page)).toEqual([]);
    if (viewport.width < 900) {
      await panel.locator("[data-sheet-close]").click();
      await page.locator("#conv-header [data-back]").click();
      await page.waitForURL(/\/inbox$/);
      await page
        .locator("#conv-list")
        .filter({ hasText: `Cliente Panel ${i}` })
        .waitFor();
      expect(await overflowing(page)).toEqual([]);
    }
    await page.close();
  }
}, 60_000);
