// Assign, transfer and tag with searchable pickers (issue #10), at 375×740 and 1280×800: typing filters the list
// (accents and case aside), arrows and Enter or a tap pick, Escape closes, and nothing scrolls sideways meanwhile.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { type seedBusiness, type startServer, apiPost, type TestApp } from "../support/app.ts";
import { overflowing } from "../support/browser.ts";
import { openConsole, VIEWPORTS, consoleTestbed, type Testbed } from "../support/pages.ts";
import { createTag, getConversation } from "../../src/inbox/service.ts";
import { createUser } from "../../src/auth/service.ts";

let bed: Testbed,
  t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser, channelId: string;
beforeAll(async () => {
  bed = await consoleTestbed();
  ({ t, s, running, browser } = bed);
  channelId = (await apiPost(t, s.apiKey, "/channels", { type: "api", name: "Tienda", config: {} })).id;
  for (const name of ["Ángela Núñez", "Bruno Díaz", "Camila Ortega", "Daniel Peña", "Elena Ruiz", "Fabián Soto"])
    await createUser(t.ctx, {
      name,
      email: `${name.split(" ")[0].normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()}@test.mx`,
      password: "agent-pass-123",
      role: "agent",
      departmentIds: [s.ventas.id],
    });
  for (const name of ["Factura", "Mayoreo", "Queja", "Urgente", "VIP", "Devolución"])
    await createTag(t.ctx, { kind: "system" }, { name });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

test("assign, transfer and tag from searchable pickers (375 and 1280 px)", async () => {
  const admin = { kind: "system" } as const;
  for (const viewport of VIEWPORTS) {
    const conv = (
      await apiPost(t, s.apiKey, "/inbound", {
        channelId,
        from: { externalId: `pk-${viewport.width}`, name: "Cliente Picker" },
        body: "hola",
      })
    ).conversationId;
    const c = await openConsole(browser, running.url, "admin", viewport);
    await c.go(`/inbox?c=${conv}`);
    const picker = (name: string) => c.page.locator(`#conv-header .picker[data-for="${name}"]`);
    // the native select is hidden behind the picker
    expect(await c.page.locator('#conv-header select[name="assigneeId"]').isVisible()).toBe(false);

    // assign: "angela" finds Ángela Núñez (accents aside); Enter picks
    await c.tap(picker("assigneeId").locator(".picker-button"));
    await picker("assigneeId").locator("input[type=search]").fill("angela");
    await expect(picker("assigneeId").locator("li[role=option]:visible").allTextContents()).resolves.toEqual([
      "Ángela Núñez",
    ]);
    expect(await overflowing(c.page)).toEqual([]);
    await c.page.keyboard.press("Enter");
    await c.page.waitForFunction(
      () =>
        document.querySelector('#conv-header .picker[data-for="assigneeId"] .picker-button')?.textContent ===
        "Ángela Núñez",
    );
    expect((await getConversation(t.ctx, admin, conv)).assigneeName).toBe("Ángela Núñez");

    // transfer: arrows move through the departments, Enter picks
    await c.tap(picker("departmentId").locator(".picker-button"));
    await picker("departmentId").locator("input[type=search]").fill("sop");
    await c.page.keyboard.press("Enter");
    await c.page.waitForFunction(
      () =>
        document.querySelector('#conv-header .picker[data-for="departmentId"] .picker-button')?.textContent ===
        "Soporte",
    );
    expect((await getConversation(t.ctx, admin, conv)).departmentId).toBe(s.soporte.id);

    // nothing matches: the list says so; Escape closes it and changes nothing
    await c.tap(picker("tag").locator(".picker-button"));
    await picker("tag").locator("input[type=search]").fill("zzz");
    await expect(picker("tag").locator(".picker-empty").textContent()).resolves.toBe("Nada coincide");
    await c.page.keyboard.press("Escape");
    expect(await picker("tag").locator(".picker-pop").isVisible()).toBe(false);

    // tag: a tap on the option; someone else changing the conversation meanwhile does not close the picker
    await c.tap(picker("tag").locator(".picker-button"));
    await picker("tag").locator("input[type=search]").fill("devol");
    await c.page.locator('body[data-live="1"]').waitFor();
    await t.app.request(`/api/v1/conversations/${conv}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${s.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ priority: "high" }),
    });
    await c.page.waitForTimeout(600);
    expect(await picker("tag").locator(".picker-pop").isVisible()).toBe(true);
    await c.tap(picker("tag").locator("li[role=option]", { hasText: "Devolución" }));
    await c.page.locator("#conv-header .tag", { hasText: "Devolución" }).waitFor();
    expect((await getConversation(t.ctx, admin, conv)).tags.map((g) => g.name)).toEqual(["Devolución"]);
    // and the deferred refresh shows the other person's change
    await c.page.waitForFunction(
      () => (document.querySelector('#conv-header select[name="priority"]') as HTMLSelectElement)?.value === "high",
    );
    await c.fits();
    await c.close();
  }
});
