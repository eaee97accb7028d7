// The web chat both ways (issue #10), at 375×740 and 1280×800: the agent sees "El cliente está escribiendo…"
// while the visitor writes, the visitor sees "Admin está escribiendo…" while the agent writes a reply (never while
// she writes a private note), and each answer carries who wrote it, their initials and its time. Icons are SVG.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import type { TestApp } from "../support/app.ts";
import { loginAsAdmin, visitorSite, overflowing, reachable } from "../support/browser.ts";
import { consoleTestbed, type Testbed } from "../support/pages.ts";
import { updateChannel } from "../../src/channels/service.ts";

let bed: Testbed, t: TestApp, s: Testbed["s"], running: Testbed["running"], browser: Browser;
let site: ReturnType<typeof visitorSite>;
beforeAll(async () => {
  bed = await consoleTestbed();
  ({ t, s, running, browser } = bed);
  site = visitorSite(running.url, s.webchat.id);
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { config: { allowedOrigins: [site.origin] } });
}, 60_000);
afterAll(async () => {
  site?.stop();
  await bed?.close();
});

test("typing shows both ways; answers carry the agent's name, initials and time (375 and 1280 px)", async () => {
  for (const viewport of [
    { width: 375, height: 740 },
    { width: 1280, height: 800 },
  ]) {
    const visitor = await browser.newPage({ viewport });
    await visitor.goto(site.url);
    const w = visitor.locator("#digybot-webchat");
    const launch = w.locator("button.launch");
    // the launcher's icon is an SVG, not an emoji (the widget's script draws it after the page loads: wait for it)
    await launch.locator("svg.icon").waitFor();
    await expect(launch.locator("svg.icon").count()).resolves.toBe(1);
    expect(await launch.innerText()).toBe("");
    await launch.click();
    await w.locator("textarea").fill(`Hola, soy de ${viewport.width}`);
    await w.locator("textarea").press("Enter");
    await w
      .locator(".m.in:not(.pending)")
      .filter({ hasText: `Hola, soy de ${viewport.width}` })
      .waitFor();
    // this visitor's conversation (the one their first message is in)
    const first = await t.ctx.db.query.messages.findFirst({
      where: (m, { eq }) => eq(m.body, `Hola, soy de ${viewport.width}`),
    });
    const conv = { id: first!.conversationId };

    const agent = await browser.newPage({ viewport });
    await loginAsAdmin(agent, running.url);
    await agent.goto(`${running.url}/inbox?c=${conv!.id}`);
    await agent.locator("#reply-body").waitFor();
    // wait until both live streams are up, then the visitor writes
    await agent.locator('body[data-live="1"]').waitFor();
    await w.locator('.panel[data-live="1"]').waitFor();
    await w.locator("textarea").pressSequentially("¿tienen");
    await agent.locator("#typing").filter({ hasText: "El cliente está escribiendo…" }).waitFor({ timeout: 5000 });

    // a private note does not tell the customer anything
    await agent.check('input[name="mode"][value="note"]');
    await agent.locator("#reply-body").pressSequentially("nota interna");
    await Bun.sleep(800);
    await expect(w.locator(".typing").count()).resolves.toBe(0);
    await agent.locator("#reply-body").fill("");

    // a reply does
    await agent.check('input[name="mode"][value="reply"]');
    await agent.locator("#reply-body").pressSequentially("Claro, con gusto");
    const typing = w.locator(".typing");
    await typing.waitFor({ timeout: 5000 });
    await expect(typing.innerText()).resolves.toBe("Admin está escribiendo…");
    expect(await overflowing(visitor)).toEqual([]);

    await agent.click('#composer button[type="submit"]');
    const answer = w.locator(".m.out").filter({ hasText: "Claro, con gusto" });
    await answer.waitFor();
    await expect(w.locator(".who > span:not(.avatar)").last().innerText()).resolves.toBe("Admin");
    await expect(w.locator(".who .avatar").last().innerText()).resolves.toBe("A");
    await expect(answer.locator("time.at").innerText()).resolves.toMatch(/^\d{1,2}:\d{2}/);
    await typing.waitFor({ state: "detached" });
    // the send control stays the element at its own centre
    expect(await reachable(w.locator("button.go"))).toBe(true);
    expect(await overflowing(agent)).toEqual([]);
    await agent.close();
    await visitor.close();
  }
});

test("saying 'typing' follows the conversation's visibility", async () => {
  const { sessionHeaders } = await import("../support/app.ts");
  const { ingestInbound } = await import("../../src/inbox/service.ts");
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { departmentId: s.ventas.id });
  const r = await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "typing-vis" }, body: "hola" });
  const post = async (email: string, id: string) =>
    (
      await t.app.request(`/api/v1/conversations/${id}/typing`, {
        method: "POST",
        headers: { ...(await sessionHeaders(t.ctx, email, "agent-pass-123")), "content-type": "application/json" },
      })
    ).status;
  expect(await post("ana@test.mx", r.conversationId)).toBe(204); // Ventas
  expect(await post("beto@test.mx", r.conversationId)).toBe(404); // Soporte: not his to see
  expect(await post("ana@test.mx", "x".repeat(65))).toBe(404);
});
