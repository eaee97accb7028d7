// A reply the channel refuses is said in the team's words (issue #10): a sentence for everyone, the technical
// detail behind "Detalles" for administrators only, and the same failure message after message explained once.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { type seedBusiness, type startServer, apiPost, waitUntil, type TestApp } from "../support/app.ts";
import { openConsole, VIEWPORTS, consoleTestbed, type Testbed } from "../support/pages.ts";
import { deliveryProblem } from "../../ui/pages/inbox/inbox.ts";
import { messages } from "../../src/inbox/schema.ts";
import { eq, and } from "drizzle-orm";

let bed: Testbed,
  t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser, refusing: ReturnType<typeof Bun.serve>, channelId: string;
beforeAll(async () => {
  bed = await consoleTestbed({ fetch_allow_hosts: ["127.0.0.1"] });
  ({ t, s, running, browser } = bed);
  // the integrator's system, which refuses every message
  refusing = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("no", { status: 400 }) });
  channelId = (
    await apiPost(t, s.apiKey, "/channels", {
      type: "api",
      name: "ERP",
      departmentId: s.ventas.id,
      config: { callbackUrl: `http://127.0.0.1:${refusing.port}/hook`, secret: "s3cret" },
    })
  ).id;
}, 60_000);
afterAll(async () => {
  refusing?.stop(true);
  await bed?.close();
});

test("the kinds of failure people can act on", () => {
  expect(deliveryProblem("(#131047) Re-engagement message: Message failed to send (131047)")).toBe("window");
  expect(deliveryProblem("Error validating access token (190)")).toBe("token");
  expect(deliveryProblem("the contact has no WhatsApp id on this number")).toBe("noAddress");
  expect(deliveryProblem("callback answered 400")).toBe("callback");
  expect(deliveryProblem("Graph API unreachable: ECONNREFUSED")).toBe("network");
  expect(deliveryProblem("something new")).toBe("other");
});

test("a refused reply: a sentence, Detalles for administrators, explained once (375 and 1280 px)", async () => {
  for (const viewport of VIEWPORTS) {
    const conv = (
      await apiPost(t, s.apiKey, "/inbound", {
        channelId,
        from: { externalId: `df-${viewport.width}`, name: "Cliente ERP" },
        body: "hola",
      })
    ).conversationId;
    for (const body of ["Primera respuesta", "Segunda respuesta"])
      await apiPost(t, s.apiKey, `/conversations/${conv}/messages`, { body });
    await waitUntil(async () => {
      const failed = await t.ctx.db
        .select()
        .from(messages)
        .where(and(eq(messages.conversationId, conv), eq(messages.status, "failed")))
        .all();
      return failed.length === 2;
    }, 10_000);

    const admin = await openConsole(browser, running.url, "admin", viewport);
    await admin.go(`/inbox?c=${conv}`);
    const failed = admin.page.locator("#messages li.out[data-problem=callback]");
    await expect(failed.count()).resolves.toBe(2);
    const first = failed.nth(0);
    await expect(first.locator(".why").textContent()).resolves.toBe(
      "El sistema conectado por API no aceptó el mensaje.",
    );
    // the same reason under the next one is not said again
    expect(await failed.nth(1).locator(".why").isVisible()).toBe(false);
    expect(await failed.nth(1).locator(".st.failed").textContent()).toBe("Falló");
    // the technical detail, behind Detalles
    expect(await first.locator(".details code").isVisible()).toBe(false);
    await admin.tap(first.locator(".details summary"));
    await expect(first.locator(".details code").textContent()).resolves.toBe("callback answered 400");
    await admin.fits();
    await admin.close();

    // an agent reads the sentence, without the technical detail
    const ana = await openConsole(browser, running.url, "ana", viewport);
    await ana.go(`/inbox?c=${conv}`);
    const mine = ana.page.locator("#messages li.out[data-problem=callback]").first();
    await expect(mine.locator(".why").textContent()).resolves.toBe(
      "El sistema conectado por API no aceptó el mensaje.",
    );
    await expect(mine.locator(".details").count()).resolves.toBe(0);
    expect(await ana.page.content()).not.toContain("callback answered 400");
    await ana.close();
  }
});
