// The web chat's queue banner (issue #12 item 3) at 375 and 1280 px: a visitor who waits for a person sees their
// place in line under the header; it moves up as others are served and goes when someone takes the conversation.
// Nothing scrolls sideways and the banner covers neither the message box nor the send button.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser, Locator, Page } from "playwright-core";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, visitorSite, overflowing, reachable } from "../support/browser.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { users } from "../../src/auth/schema.ts";
import { createUser, updateDepartment } from "../../src/auth/service.ts";
import { channels, conversations } from "../../src/inbox/schema.ts";
import { forgetChannels } from "../../src/inbox/service.ts";
import { connectConsole } from "../../src/inbox/assignment.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser, site: ReturnType<typeof visitorSite>;
beforeAll(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  site = visitorSite(running.url, s.webchat.id);
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { config: { allowedOrigins: [site.origin] } });
  await t.ctx.database.write((tx) =>
    tx.update(channels).set({ departmentId: s.ventas.id }).where(eq(channels.id, s.webchat.id)),
  );
  forgetChannels(t.ctx);
  await updateDepartment(t.ctx, { kind: "system" }, s.ventas.id, { assignment: "round_robin" });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  site?.stop();
  await running?.stop();
  await t?.close();
});

const sizes = [
  { width: 375, height: 740 },
  { width: 1280, height: 800 },
];

test("the place in line shows, moves up and goes, at 375 and 1280 px", async () => {
  for (const [n, viewport] of sizes.entries()) {
    const visitors: { page: Page; w: Locator }[] = [];
    for (const who of ["Lucía", "Marco"]) {
      const page = await browser.newPage({ viewport, locale: "es-MX" });
      await page.goto(site.url);
      const w = page.locator("#digybot-webchat");
      await w.locator("button.launch").click();
      await w.locator("textarea").fill(`hola, soy ${who}`);
      await w.locator("button.go").click();
      visitors.push({ page, w });
    }
    const [lucia, marco] = visitors;
    const banner = (v: (typeof visitors)[number]) => v.w.locator(".queue-banner");
    await banner(lucia!).waitFor();
    await expect(banner(lucia!).innerText()).resolves.toBe(
      "Estás en la posición 1 de la fila. Te atenderemos en cuanto alguien se libere.",
    );
    await marco!.w.locator(".queue-banner[data-position='2']").waitFor();
    for (const v of visitors) {
      expect(await overflowing(v.page)).toEqual([]);
      expect(await reachable(v.w.locator("textarea"))).toBe(true);
      expect(await reachable(v.w.locator("button.go"))).toBe(true);
    }
    // someone comes online with one seat: Lucía's is taken (her banner goes), Marco is next
    const helper = await createUser(t.ctx, {
      name: `Carla ${n}`,
      email: `carla${n}@test.mx`,
      password: "agent-pass-123",
      departmentIds: [s.ventas.id],
      capacity: 1,
    });
    const leave = connectConsole(t.ctx, helper.id);
    await banner(lucia!).waitFor({ state: "detached" });
    await marco!.w.locator(".queue-banner[data-position='1']").waitFor();
    // a reload keeps the place (the stream says it when it opens)
    await marco!.page.reload();
    await marco!.w.locator("button.launch").click();
    await marco!.w.locator(".queue-banner[data-position='1']").waitFor();
    // back as it was for the next width: Carla signed off, the conversations resolved
    leave();
    await t.ctx.database.write(async (tx) => {
      await tx.update(users).set({ availability: "offline" }).where(eq(users.id, helper.id));
      await tx.update(conversations).set({ status: "resolved" });
    });
    for (const v of visitors) await v.page.close();
  }
});
