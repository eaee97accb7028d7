import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, visitorSite } from "../support/browser.ts";
import { updateChannel } from "../../src/channels/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser, site: ReturnType<typeof visitorSite>;
const alerts: string[] = [];

beforeAll(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  site = visitorSite(running.url, s.webchat.id);
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, {
    config: { allowedOrigins: [site.origin], greeting: "¡Hola! ¿En qué te ayudamos?" },
  });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  site?.stop();
  await running?.stop();
  await t?.close();
});

async function agentPage(email: string, password: string) {
  const page = await browser.newPage();
  page.on("dialog", (d) => {
    alerts.push(d.message());
    void d.dismiss();
  });
  await page.goto(`${running.url}/login`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/inbox/);
  // an agent starts on her own conversations ("Mías"); these scenarios follow every conversation she may see
  if (!email.startsWith("admin")) {
    expect(await page.locator("#view-tabs a.on").getAttribute("data-view")).toBe("mine");
    await page.goto(`${running.url}/inbox?view=all`);
  }
  return page;
}

const widget = (p: Page) => p.locator("#digybot-webchat");

test("a visitor writes, the agent sees it live, replies, the visitor sees it live; reload keeps the history", async () => {
  const agent = await agentPage("ana@test.mx", "agent-pass-123");
  await expectLocator(agent.locator("#conv-list")).toContainText("No hay conversaciones");

  const visitor = await browser.newPage();
  visitor.on("dialog", (d) => {
    alerts.push(d.message());
    void d.dismiss();
  });
  await visitor.goto(site.url);
  await widget(visitor).locator("button.launch").click();
  await expectLocator(widget(visitor).locator(".panel")).toContainText("¡Hola! ¿En qué te ayudamos?");
  const hostile = "Hola, quiero pedir <img src=x onerror=alert(1)>";
  await widget(visitor).locator("textarea").fill(hostile);
  await widget(visitor).locator("button.go").click();
  await widget(visitor).locator(".m.in:not(.failed):not(.pending)").filter({ hasText: "quiero pedir" }).waitFor();

  // live in the agent's inbox list, without reload
  const row = agent.locator("#conv-list li[data-id]").filter({ hasText: "quiero pedir" });
  await row.waitFor({ timeout: 5000 });
  await row.locator("a").click();

  const bubble = agent.locator("#messages li.msg.in").filter({ hasText: "quiero pedir" });
  await bubble.waitFor();
  // customer text is text: the markup shows literally and no element was created from it
  expect(await bubble.innerText()).toContain("<img src=x onerror=alert(1)>");
  expect(await agent.locator("#messages img").count()).toBe(0);

  // the agent replies; the visitor sees it live
  await agent.fill("#reply-body", "¡Claro! ¿Qué te gustaría ordenar?");
  await agent.click("#composer button[type=submit]");
  await widget(visitor).locator(".m.out").filter({ hasText: "¿Qué te gustaría ordenar?" }).waitFor({ timeout: 5000 });
  await agent.locator("#messages li.msg.out").filter({ hasText: "¿Qué te gustaría ordenar?" }).waitFor();
  // the visitor has the chat open: the reply turns "read" in the agent's console, live
  await agent
    .locator("#messages li.msg.out")
    .filter({ hasText: "¿Qué te gustaría ordenar?" })
    .locator(".st.read")
    .waitFor({ timeout: 5000 });

  // a second visitor message arrives live in the open conversation
  await widget(visitor).locator("textarea").fill("Dos tacos al pastor");
  await widget(visitor).locator("textarea").press("Enter");
  await agent.locator("#messages li.msg.in").filter({ hasText: "Dos tacos al pastor" }).waitFor({ timeout: 5000 });

  // reload keeps the visitor's identity and history
  await visitor.reload();
  await widget(visitor).locator("button.launch").click();
  const panel = widget(visitor).locator(".panel");
  await panel.locator(".m").filter({ hasText: "Dos tacos al pastor" }).waitFor();
  await expectLocator(panel).toContainText("quiero pedir");
  await expectLocator(panel).toContainText("¿Qué te gustaría ordenar?");
  expect(await panel.locator("img").count()).toBe(0);
  expect(alerts).toEqual([]);
}, 60_000);

test("assignments and status changes reach another open console live", async () => {
  const admin = await agentPage("admin@test.mx", "admin-pass-123");
  await admin.goto(`${running.url}/inbox?view=all`);
  const ana = await agentPage("ana@test.mx", "agent-pass-123");
  const first = ana.locator("#conv-list li[data-id]").first();
  await first.waitFor();
  const id = await first.getAttribute("data-id");
  await admin.goto(`${running.url}/inbox?view=all&c=${id}`);
  await admin.selectOption('#conv-header select[name="priority"]', "urgent");
  await ana.locator("#conv-list li[data-id]").filter({ hasText: "Urgente" }).waitFor({ timeout: 5000 });
  await admin.click('#conv-header button[data-value="resolved"]');
  await ana.locator("#conv-list li[data-id]").first().waitFor({ state: "detached", timeout: 5000 });
}, 60_000);

test("the console speaks English to a user who chose it", async () => {
  await t.req("PATCH", `/api/v1/users/${s.beto.id}`, {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { locale: "en" },
  });
  const beto = await agentPage("beto@test.mx", "agent-pass-123");
  await expectLocator(beto.locator(".top")).toContainText("Inbox");
  await expectLocator(beto.locator(".filters")).toContainText("Waiting");
}, 60_000);

// bun:test's expect has no auto-waiting locator assertions; this small helper gives them for the few we need.
function expectLocator(l: ReturnType<Page["locator"]>) {
  return {
    async toContainText(text: string) {
      const end = Date.now() + 5000;
      let last = "";
      while (Date.now() < end) {
        last = await l.innerText().catch(() => "");
        if (last.includes(text)) return;
        await Bun.sleep(50);
      }
      throw new Error(`expected ${l} to contain ${JSON.stringify(text)}, got ${JSON.stringify(last.slice(0, 300))}`);
    },
  };
}

test("first run: the setup wizard creates the business and its administrator, then opens the inbox", async () => {
  const fresh = await makeTestApp();
  const srv = await startServer(fresh.ctx);
  try {
    const page = await browser.newPage();
    await page.goto(`${srv.url}/`);
    await page.waitForURL(/\/setup$/);
    await page.fill("input[name=name]", "Clínica Dental Sonrisas");
    await page.fill("textarea[name=description]", "Odontología general y ortodoncia");
    await page.fill("input[name=location]", "Guadalajara, Jalisco");
    await page.selectOption("select[name=timezone]", "America/Mexico_City");
    await page.click('fieldset[data-step="1"] button[data-step-go="2"]');
    await page.uncheck("input[name=open_sat]");
    await page.fill("input[name=to_fri]", "20:00");
    await page.click('fieldset[data-step="2"] button[data-step-go="3"]');
    await page.fill("textarea[name=departments]", "Citas\nPagos");
    await page.click('fieldset[data-step="3"] button[data-step-go="4"]');
    await page.fill("input[name=adminName]", "Dra. Elena Ruiz");
    await page.fill("input[name=email]", "elena@sonrisas.mx");
    await page.fill("input[name=password]", "sonrisas-2026");
    await page.click('fieldset[data-step="4"] button[type=submit]');
    await page.waitForURL(/\/inbox/);
    await expectLocator(page.locator(".top")).toContainText("Dra. Elena Ruiz");
    const { getBusiness } = await import("../../src/setup/service.ts");
    const b = (await getBusiness(fresh.ctx))!;
    expect(b).toMatchObject({
      name: "Clínica Dental Sonrisas",
      location: "Guadalajara, Jalisco",
      timezone: "America/Mexico_City",
    });
    expect(b.hours.sat.open).toBe(false);
    expect(b.hours.fri).toEqual({ open: true, from: "09:00", to: "20:00" });
    await page.goto(`${srv.url}/settings/departments`);
    await expectLocator(page.locator("table")).toContainText("Citas");
    await expectLocator(page.locator("table")).toContainText("Pagos");
    await page.goto(`${srv.url}/settings/channels`);
    await expectLocator(page.locator("pre")).toContainText("/widget.js");
    // the wizard is gone once done
    await page.goto(`${srv.url}/setup`);
    await page.waitForURL(/\/login$/);
    await page.close();
  } finally {
    await srv.stop();
    await fresh.close();
  }
}, 60_000);

test("the composer expands /shortcuts into quick replies, and a private note stays inside", async () => {
  await t.req("POST", "/api/v1/quick-replies", {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { shortcut: "horario", body: "Abrimos de lunes a sábado de 9:00 a 18:00." },
  });
  const visitor = await browser.newPage();
  await visitor.goto(site.url);
  await widget(visitor).locator("button.launch").click();
  await widget(visitor).locator("textarea").fill("¿A qué hora abren?");
  await widget(visitor).locator("textarea").press("Enter");
  const agent = await agentPage("ana@test.mx", "agent-pass-123");
  const row = agent.locator("#conv-list li[data-id]").filter({ hasText: "A qué hora abren" });
  await row.waitFor({ timeout: 5000 });
  await row.locator("a").click();
  await agent.locator("#messages li.msg.in").filter({ hasText: "A qué hora abren" }).waitFor();

  await agent.locator("#reply-body").pressSequentially("/hor");
  await agent.locator("#qr-pop div").filter({ hasText: "/horario" }).waitFor();
  await agent.locator("#reply-body").press("Enter");
  expect(await agent.locator("#reply-body").inputValue()).toBe("Abrimos de lunes a sábado de 9:00 a 18:00.");
  await agent.click("#composer button[type=submit]");
  await widget(visitor).locator(".m.out").filter({ hasText: "Abrimos de lunes a sábado" }).waitFor({ timeout: 5000 });

  // a refused attachment explains itself in the agent's language
  await agent
    .locator("#reply-file")
    .setInputFiles({ name: "programa.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ") });
  await agent.click("#composer button[type=submit]");
  await expectLocator(agent.locator("#composer-error")).toContainText("Ese tipo de archivo no está permitido.");
  await agent.locator("#reply-file").setInputFiles([]);

  await agent.check('#composer input[value="note"]');
  await agent.fill("#reply-body", "Cliente preguntó por horario; ofrecer promoción");
  await agent.click("#composer button[type=submit]");
  await agent.locator("#messages li.msg.note").filter({ hasText: "ofrecer promoción" }).waitFor();
  await Bun.sleep(500);
  await visitor.reload();
  await widget(visitor).locator("button.launch").click();
  await widget(visitor).locator(".m.out").filter({ hasText: "Abrimos de lunes a sábado" }).waitFor();
  expect(await widget(visitor).locator(".panel").innerText()).not.toContain("ofrecer promoción");
  await agent.close();
  await visitor.close();
}, 60_000);
