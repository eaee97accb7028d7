// The owner connects a WhatsApp Cloud API number in the console; a customer writes; the agent answers with a
// template once the 24-hour window has closed. Real browser, real server, Meta's Graph API as a protocol double.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, waitUntil, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";
import { startGraphDouble, sign, type GraphDouble } from "../support/graph-double.ts";
import { conversations, contacts } from "../../src/inbox/schema.ts";
import { createChannel, listChannels, updateChannel } from "../../src/channels/service.ts";

const SECRET = "browser-app-secret",
  TOKEN = "EAAG-browser-token";
let t: TestApp, running: Awaited<ReturnType<typeof startServer>>, browser: Browser, graph: GraphDouble;

beforeAll(async () => {
  t = await makeTestApp();
  await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  graph = startGraphDouble({
    token: TOKEN,
    appSecret: SECRET,
    webhookUrl: `${running.url}/webhooks/whatsapp-cloud`,
    templates: [
      {
        name: "pedido_listo",
        language: "es_MX",
        status: "APPROVED",
        category: "UTILITY",
        components: [{ type: "BODY", text: "Hola {{1}}, tu pedido {{2}} está listo." }],
      },
    ],
  });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  graph?.stop();
  await running?.stop();
  await t?.close();
});

const login = (page: Page) => loginAsAdmin(page, running.url);

test("connect a Cloud API number, receive a customer's location, answer with a template outside the 24-hour window", async () => {
  const page = await browser.newPage();
  await login(page);
  await page.goto(`${running.url}/settings/channels`);
  const form = page.locator("#new-whatsapp-cloud");
  await form.locator("input[name=name]").fill("WhatsApp Ventas");
  await form.locator("input[name=phoneNumberId]").fill("1122334455667");
  await form.locator("input[name=wabaId]").fill("WABA1");
  await form.locator("input[name=accessToken]").fill(TOKEN);
  await form.locator("input[name=appSecret]").fill(SECRET);
  await form.locator("input[name=verifyToken]").fill("verify-token-123");
  await form.locator("button[type=submit]").click();
  await page.waitForURL(/saved=1/);
  const card = page.locator('[data-channel-type="whatsapp_cloud"]');
  await expect(card.locator("pre").textContent()).resolves.toBe(`${running.url}/webhooks/whatsapp-cloud`);
  // the secrets are not in the page
  expect(await page.content()).not.toContain(TOKEN);
  // point the connection at the double (an owner would not: the default is graph.facebook.com)
  const ch = (await listChannels(t.ctx)).find((c) => c.type === "whatsapp_cloud")!;
  await updateChannel(t.ctx, { kind: "system" }, ch.id, { config: { graphUrl: graph.url } });
  await page.goto(`${running.url}/settings/channels`);
  await page.locator(".templates button[type=submit]").click();
  await page.waitForURL(/saved=1/);
  await expect(page.locator(".templates table").textContent()).resolves.toContain("pedido_listo");

  // Meta verifies the webhook, then a customer shares a location
  const v = await fetch(
    `${running.url}/webhooks/whatsapp-cloud?hub.mode=subscribe&hub.verify_token=verify-token-123&hub.challenge=42`,
  );
  expect(await v.text()).toBe("42");
  await page.goto(`${running.url}/inbox`);
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "WABA1",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "5215512345678", phone_number_id: "1122334455667" },
              contacts: [{ profile: { name: "Rosa Márquez" }, wa_id: "5215587654321" }],
              messages: [
                {
                  from: "5215587654321",
                  id: "wamid.loc1",
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  type: "location",
                  location: { latitude: 19.4326, longitude: -99.1332, name: "Zócalo", address: "Centro, CDMX" },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const r = await fetch(`${running.url}/webhooks/whatsapp-cloud`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, SECRET) },
    body,
  });
  expect(r.status).toBe(200);
  const row = page.locator("#conv-list li[data-id]").filter({ hasText: "Rosa Márquez" });
  await row.waitFor({ timeout: 5000 });
  await row.locator("a").click();
  await page.locator("#messages li.msg.in .location").waitFor();
  await expect(page.locator("#messages li.msg.in").textContent()).resolves.toContain("Zócalo, Centro, CDMX");

  // within the window the agent answers with buttons, written one per line in the composer
  await page.fill("#reply-body", "¿Cómo quieres recibir tu pedido?");
  await page.locator("#interactive summary").click();
  await page.check('#composer input[name="kind"][value="buttons"]');
  await page.fill('#composer textarea[name="options"]', "Recoger\nA domicilio");
  await page.click("#composer button[type=submit]");
  await page.locator("#messages li.msg.out .buttons").filter({ hasText: "A domicilio" }).waitFor();
  await page.locator("#messages li.msg.out .st.delivered").waitFor({ timeout: 8000 });
  expect(graph.sent[0].body.interactive).toEqual({
    type: "button",
    body: { text: "¿Cómo quieres recibir tu pedido?" },
    action: {
      buttons: [
        { type: "reply", reply: { id: "opt1", title: "Recoger" } },
        { type: "reply", reply: { id: "opt2", title: "A domicilio" } },
      ],
    },
  });

  // a day later: the window is closed, the console says so and offers the templates
  const conv = (await t.ctx.db.select().from(conversations).all()).find((c) => c.channelId === ch.id)!;
  await t.ctx.database.write((tx) =>
    tx
      .update(conversations)
      .set({ lastInboundAt: Date.now() - 25 * 3_600_000 })
      .where(eq(conversations.id, conv.id)),
  );
  await page.reload();
  await page.locator("#window-hint").waitFor();
  await page.fill("#reply-body", "¿Sigues ahí?");
  await page.click("#composer button[type=submit]");
  await page.locator("#composer-error").filter({ hasText: "24 horas" }).waitFor();
  const picker = page.locator("#template-form");
  await picker.locator('input[data-n="1"]').fill("Rosa");
  await picker.locator('input[data-n="2"]').fill("#1024");
  await picker.locator("button[type=submit]").click();
  const sentTemplate = page
    .locator("#messages li.msg.out")
    .filter({ hasText: "Hola Rosa, tu pedido #1024 está listo." });
  await sentTemplate.waitFor();
  // Meta got the template, and its webhooks tick the message as delivered, live
  await sentTemplate.locator(".st.delivered").waitFor({ timeout: 8000 });
  expect(graph.sent.map((s) => s.body.template?.name ?? s.body.type)).toEqual(["interactive", "pedido_listo"]);
}, 60_000);

// Issue #9: reading is an explicit POST made by the open page, never a side effect of a GET.
test("opening a conversation reads it (a POST from the page, with the WhatsApp read receipt); fetching the page alone changes nothing", async () => {
  const ch =
    (await listChannels(t.ctx)).find((c) => c.type === "whatsapp_cloud") ??
    (await createChannel(
      t.ctx,
      { kind: "system" },
      {
        type: "whatsapp_cloud",
        name: "WA",
        config: {
          phoneNumberId: "1122334455667",
          accessToken: TOKEN,
          appSecret: SECRET,
          verifyToken: "verify-token-123",
          graphUrl: graph.url,
        },
      },
    ));
  const inbound = async (from: string, name: string, wamid: string, text: string) => {
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "WABA1",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "5215512345678", phone_number_id: "1122334455667" },
                contacts: [{ profile: { name }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: wamid,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: "text",
                    text: { body: text },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const r = await fetch(`${running.url}/webhooks/whatsapp-cloud`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, SECRET) },
      body,
    });
    expect(r.status).toBe(200);
  };
  const convOf = async (name: string) => {
    const all = await t.ctx.db.select().from(conversations).all();
    const k = (await t.ctx.db.select().from(contacts).all()).find((x) => x.name === name)!;
    return all.find((c) => c.channelId === ch.id && c.contactId === k.id)!;
  };
  for (const [i, size] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const name = `Cliente Lectura ${i}`;
    await inbound(`52155000000${i}`, name, `wamid.read${i}a`, "¿Tienen envío hoy?");
    const conv = await convOf(name);
    expect(conv.unreadCount).toBe(1);

    const page = await browser.newPage({ viewport: size });
    await login(page);
    // the page itself, fetched without running its script (a link preview, a prefetch): nothing is read
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    for (const path of [`/inbox?c=${conv.id}`, `/partials/messages/${conv.id}`])
      expect((await fetch(`${running.url}${path}`, { headers: { cookie } })).status).toBe(200);
    await Bun.sleep(300);
    expect((await convOf(name)).unreadCount).toBe(1);
    expect(graph.reads).not.toContain(`wamid.read${i}a`);

    // the agent opens it: the badge goes, the customer's WhatsApp gets the read receipt
    const row = page.locator("#conv-list li[data-id]").filter({ hasText: name });
    await expect(row.locator(".badge").textContent()).resolves.toBe("1");
    await row.locator("a").click();
    await page.locator("#messages li.msg.in").filter({ hasText: "¿Tienen envío hoy?" }).waitFor();
    await page.locator(`#conv-list li[data-id="${conv.id}"]`).waitFor({ state: "attached" }); // on a phone the list is behind the open conversation
    await waitUntil(async () => (await convOf(name)).unreadCount === 0 && graph.reads.includes(`wamid.read${i}a`));
    await waitUntil(async () => (await page.locator(`#conv-list li[data-id="${conv.id}"] .badge`).count()) === 0);

    // a new message while the agent has it open is read too, live
    await inbound(`52155000000${i}`, name, `wamid.read${i}b`, "Es para la colonia Roma");
    await page.locator("#messages li.msg.in").filter({ hasText: "colonia Roma" }).waitFor({ timeout: 5000 });
    await waitUntil(async () => (await convOf(name)).unreadCount === 0 && graph.reads.includes(`wamid.read${i}b`));
    expect(await overflowing(page)).toEqual([]);
    await page.close();
  }
}, 60_000);
