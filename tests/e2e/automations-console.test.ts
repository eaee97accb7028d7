// Automatizaciones in the console (issue #11), at 375 and 1280 px: the owner builds a rule by clicking (a keyword
// trigger, a condition, two actions), a customer's message fires it, the log shows what it did; a rule that
// cannot run is refused in Spanish naming the row; a rule is switched off; a ready-made one installs in one click.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { apiPost, waitUntil } from "../support/app.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { automationRules, conversationTags, messages } from "../../src/schema.ts";

let bed: Testbed, tagId: string;
beforeAll(async () => {
  bed = await consoleTestbed();
  tagId = (await apiPost(bed.t, bed.s.apiKey, "/tags", { name: "devolucion" })).id;
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

for (const [i, viewport] of VIEWPORTS.entries())
  test(`building a rule by clicking, seeing it fire, switching it off (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    await c.go("/settings/automations");
    await c.tap("#new-rule");
    await page.waitForURL(/\/settings\/automations\/new$/);
    const form = page.locator("#rule-form");
    await form.locator("[name=name]").fill(`Devoluciones ${i}`);
    await form.locator("#t_type").selectOption("message_received");
    await form.locator("[name=t_keywords]").fill(`devolución${i}, reembolso${i}`);
    // the fields of other triggers are not shown
    await expect(form.locator("[name=t_minutes]").isVisible()).resolves.toBe(false);

    await c.tap("#add-condition");
    const cond = form.locator(".condition-row").last();
    await cond.locator("[name=c_field]").selectOption("conversation.channelType");
    await cond.locator("[name=c_op]").selectOption("eq");
    await cond.locator("[name=c_value]").fill("webchat");

    const first = form.locator(".action-row").first();
    await first.locator("[name=a_type]").selectOption("send_message");
    await first.locator("[name=a_text]").fill("Hola {{contact.first_name|cliente}}, revisamos tu devolución.");
    await expect(first.locator("[name=a_ref]").isVisible()).resolves.toBe(false);
    await c.tap("#add-action");
    const second = form.locator(".action-row").nth(1);
    await second.locator("[name=a_type]").selectOption("add_tag");
    // a tag action offers tags, not people, and needs no text
    await expect(second.locator("[name=a_text]").isVisible()).resolves.toBe(false);
    const offered = await second
      .locator("[name=a_ref] option")
      .evaluateAll((os) => os.filter((o) => !(o as HTMLOptionElement).hidden).map((o) => o.textContent));
    expect(offered).toEqual(["devolucion"]);
    await second.locator("[name=a_ref]").selectOption(tagId);
    await c.fits();
    await c.tap(form.locator("button[type=submit]"));
    await page.waitForURL(/\/settings\/automations\/[^/]+\?saved=1$/);
    const rule = (await bed.t.ctx.db.select().from(automationRules)).find((r) => r.name === `Devoluciones ${i}`)!;
    expect(rule.trigger).toMatchObject({ type: "message_received", keywords: [`devolución${i}`, `reembolso${i}`] });
    expect(rule.conditions.items).toEqual([{ field: "conversation.channelType", op: "eq", value: "webchat" }]);
    expect(rule.actions).toEqual([
      { type: "send_message", body: "Hola {{contact.first_name|cliente}}, revisamos tu devolución." },
      { type: "add_tag", tagId },
    ]);

    // a customer writes: the rule fires, the log shows it
    const m = await ingestInbound(bed.t.ctx, {
      channelId: bed.s.webchat.id,
      from: { externalId: `visitor-${i}`, name: "Rosa Díaz" },
      body: `hola, quiero una devolucion${i} por favor`,
    });
    // both actions, in order: the message, then the tag (the test waits for the second)
    const tagged = async () =>
      (await bed.t.ctx.db.select().from(conversationTags).where(eq(conversationTags.conversationId, m.conversationId)))
        .length;
    await waitUntil(async () => (await tagged()) === 1);
    const out = await bed.t.ctx.db.select().from(messages).where(eq(messages.conversationId, m.conversationId));
    expect(out.filter((x) => x.direction === "out" && !x.private).map((x) => x.body)).toEqual([
      "Hola Rosa, revisamos tu devolución.",
    ]);
    await waitUntil(async () => {
      await page.reload();
      return (await page.locator('#runs li[data-status="done"]').count()) === 1;
    });
    const run = page.locator('#runs li[data-status="done"]');
    await expect(run.locator(".conds li.ok").innerText()).resolves.toContain('conversation.channelType eq "webchat"');
    expect((await run.locator(".acts li.ok").allInnerTexts()).map((x) => x.trim())).toEqual([
      "Enviar mensaje",
      "Poner etiqueta",
    ]);
    await c.tap(run.locator("a", { hasText: "ver conversación" }));
    await page.waitForURL(new RegExp(`/inbox\\?c=${m.conversationId}`));
    // the conversation says what the automation did there
    await page
      .locator("#messages li.activity", {
        hasText: `La automatización «Devoluciones ${i}»: enviar mensaje, poner etiqueta`,
      })
      .waitFor();

    // switched off from the list
    await c.go("/settings/automations");
    const row = page.locator(`#rules tr[data-id="${rule.id}"]`);
    await c.tap(row.locator("button[aria-pressed=true]"));
    await page.waitForURL(/saved=1/);
    await expect(page.locator(`#rules tr[data-id="${rule.id}"] button`).innerText()).resolves.toBe("Apagada");
    expect(
      (await bed.t.ctx.db.select().from(automationRules).where(eq(automationRules.id, rule.id)).get())?.enabled,
    ).toBe(false);
    await c.fits();
    await c.close();
  });

for (const viewport of VIEWPORTS)
  test(`a rule that cannot run is refused in Spanish naming its row, keeping what was typed (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    await c.go("/settings/automations/new");
    const form = page.locator("#rule-form");
    await form.locator("[name=name]").fill("Sin avisar a nadie");
    await form.locator("#t_type").selectOption("conversation_created");
    const row = form.locator(".action-row").first();
    await row.locator("[name=a_type]").selectOption("notify");
    await row.locator("[name=a_text]").fill("Nuevo cliente");
    await row.locator("[name=a_ref]").selectOption("");
    const before = (await bed.t.ctx.db.select().from(automationRules)).length;
    await c.tap(form.locator("button[type=submit]"));
    await page
      .locator(".flash.err", { hasText: "Di a quién avisar: una persona o un departamento. (acción 1)" })
      .waitFor();
    expect((await bed.t.ctx.db.select().from(automationRules)).length).toBe(before);
    await expect(page.locator("#rule-form [name=name]").inputValue()).resolves.toBe("Sin avisar a nadie");
    await expect(page.locator("#rule-form .action-row [name=a_text]").first().inputValue()).resolves.toBe(
      "Nuevo cliente",
    );
    await c.fits();
    await c.close();
  });

test("a ready-made automation installs in one click, once (375 and 1280 px)", async () => {
  for (const [i, viewport] of VIEWPORTS.entries()) {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go("/settings/automations");
    const recipe = c.page.locator(`#recipes li[data-recipe="${i ? "sticky_agent" : "out_of_hours"}"]`);
    await c.tap(recipe.locator("button"));
    await c.page.waitForURL(/saved=1/);
    await expect(recipe.innerText()).resolves.toContain("Instalada");
    await expect(recipe.locator("button").count()).resolves.toBe(0);
    await c.page
      .locator("#rules tr", { hasText: i ? "El mismo agente si vuelve en 24 h" : "Fuera de horario" })
      .waitFor();
    await c.fits();
    await c.close();
  }
  const names = (await bed.t.ctx.db.select().from(automationRules)).map((r) => r.recipe).filter(Boolean);
  expect(names.sort()).toEqual(["out_of_hours", "sticky_agent"]);
});

test("the payment reminder installs in one click; its editor shows the trigger and its two hours (375 and 1280 px)", async () => {
  for (const [i, viewport] of VIEWPORTS.entries()) {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go("/settings/automations");
    const recipe = c.page.locator('#recipes li[data-recipe="payment_reminder"]');
    if (i === 0) {
      await expect(recipe.innerText()).resolves.toContain("Recordar un pago pendiente");
      await Promise.all([c.page.waitForEvent("load"), c.tap(recipe.locator("button"))]);
    }
    await expect(recipe.innerText()).resolves.toContain("Instalada");
    const rule = (await bed.t.ctx.db.select().from(automationRules)).find((r) => r.recipe === "payment_reminder")!;
    // as installed (two hours), then as the phone's pass left it
    expect(rule.trigger).toEqual({ type: "order_unpaid", minutes: i === 0 ? 120 : 90 });
    // its editor: the trigger in words and its minutes shown; the minutes changed and saved
    await c.go(`/settings/automations/${rule.id}`);
    const form = c.page.locator("#rule-form");
    await expect(form.locator("#t_type").inputValue()).resolves.toBe("order_unpaid");
    await expect(form.locator("#t_type option:checked").textContent()).resolves.toBe("Un pedido sigue sin pagarse");
    await expect(form.locator("[name=t_minutes]").isVisible()).resolves.toBe(true);
    await expect(form.locator("[name=t_minutes]").inputValue()).resolves.toBe(i === 0 ? "120" : "90");
    await form.locator("[name=t_minutes]").fill(String(90 + i * 60));
    await Promise.all([c.page.waitForEvent("load"), c.tap(form.locator("button.primary").last())]);
    const saved = (await bed.t.ctx.db.select().from(automationRules).where(eq(automationRules.id, rule.id)).get())!;
    expect(saved.trigger).toEqual({ type: "order_unpaid", minutes: 90 + i * 60 });
    await c.fits();
    await c.close();
  }
});
