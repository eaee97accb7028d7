// Tickets in the console (issue #12 item 4) at 375 and 1280 px, each click checked in the database: a ticket
// opened from a conversation in one click with its summary prefilled, a note and a reply to the customer, a status
// change the customer hears of, closing, merging a duplicate, the list's filters and a saved view; bad input is
// refused in Spanish and changes nothing.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { and, eq } from "drizzle-orm";
import { apiPost } from "../support/app.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { channels, conversations, messages } from "../../src/inbox/schema.ts";
import { ticketEvents, tickets, ticketViews } from "../../src/tickets/schema.ts";
import { forgetChannels, ingestInbound } from "../../src/inbox/service.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
  const { t, s } = bed;
  await t.ctx.database.write((tx) => tx.update(channels).set({ departmentId: s.ventas.id }));
  forgetChannels(t.ctx);
  await apiPost(t, s.apiKey, "/ticket-categories", { name: "Garantía", priority: "high" });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const ticketOf = (conversationId: string) =>
  bed.t.ctx.db.select().from(tickets).where(eq(tickets.conversationId, conversationId)).get();
const toCustomer = async (conversationId: string) =>
  (
    await bed.t.ctx.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "out")))
  ).map((m) => m.body);

test("a ticket from a conversation, worked on its page and found in the list (375 and 1280 px)", async () => {
  const { t, s, running, browser } = bed;
  for (const viewport of VIEWPORTS) {
    const w = viewport.width;
    const conv = (
      await ingestInbound(t.ctx, {
        channelId: s.webchat.id,
        from: { externalId: `tk-${w}`, name: `Lucía ${w}` },
        body: `Mi licuadora ${w} no enciende desde ayer`,
      })
    ).conversationId;
    const c = await openConsole(browser, running.url, "ana", viewport);
    await c.go(`/inbox?c=${conv}&view=all`);
    await c.page.waitForSelector("#conv-header");
    // one click from the conversation: the form comes filled with what the customer said
    await c.tap("#conv-ticket");
    await c.page.waitForURL(/\/tickets\/new\?c=/);
    await expect(c.page.locator('input[name="subject"]').inputValue()).resolves.toBe(
      `Mi licuadora ${w} no enciende desde ayer`,
    );
    await expect(c.page.locator('textarea[name="description"]').inputValue()).resolves.toContain(
      `Lucía ${w}: Mi licuadora ${w} no enciende desde ayer`,
    );
    await c.fits();
    // a subject of spaces is refused in Spanish, and nothing is created
    await c.page.fill('input[name="subject"]', "    ");
    await Promise.all([c.page.waitForEvent("load"), c.tap("#new-ticket button.primary")]);
    await expect(c.page.locator(".flash.err").textContent()).resolves.toBe("Revisa los datos marcados.");
    expect(await ticketOf(conv)).toBeUndefined();
    await c.page.fill('input[name="subject"]', `Licuadora ${w} no enciende`);
    await c.page.locator('select[name="categoryId"]').selectOption({ label: "Garantía" });
    await c.tap("#new-ticket button.primary");
    await c.page.waitForURL(/\/tickets\/[^/?]+\?created=/);
    await expect(c.page.locator(".flash").first().textContent()).resolves.toMatch(/^Ticket #\d+ creado\.$/);
    const tk = (await ticketOf(conv))!;
    expect(tk).toMatchObject({ subject: `Licuadora ${w} no enciende`, priority: "high", status: "new" });
    await c.fits();

    // an internal note, then a reply the customer gets
    await c.page.locator('#ticket-comment input[name="public"][value="0"]').check();
    await c.page.fill("#comment-body", "Pedir número de serie al proveedor");
    await c.tap("#ticket-comment button.primary");
    await c.page.waitForURL(/saved=1/);
    await c.page.locator("#ticket-comment").waitFor();
    await c.page.locator('#ticket-comment input[name="public"][value="1"]').check();
    await c.page.fill("#comment-body", "Hola, ¿nos compartes el número de serie?");
    await c.tap("#ticket-comment button.primary");
    await c.page.waitForURL(/saved=1/);
    expect(await toCustomer(conv)).toContain("Hola, ¿nos compartes el número de serie?");
    const kinds = (await t.ctx.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, tk.id))).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual(["created", "note", "comment"]);
    await expect(c.page.locator(".ticket-history li.ev-note .ev-body").textContent()).resolves.toBe(
      "Pedir número de serie al proveedor",
    );

    // waiting on the customer: the status changes, the history says so, the customer is told
    await c.page.locator('#ticket-fields select[name="status"]').selectOption("pending");
    await c.tap("#ticket-fields button.primary");
    await c.page.waitForURL(/saved=1/);
    expect((await ticketOf(conv))?.status).toBe("pending");
    await expect(c.page.locator("#ticket-status").textContent()).resolves.toBe("Esperando al cliente");
    expect((await toCustomer(conv)).at(-1)).toContain("espera una respuesta tuya");
    await expect(c.page.locator(".ticket-history li.ev-change").last().textContent()).resolves.toContain(
      "el estado: Abierto → Esperando al cliente",
    );
    // giving it to someone else is for a supervisor: refused in Spanish, nothing changes
    await c.page.locator('#ticket-fields select[name="assigneeId"]').selectOption(s.beto.id);
    // (a refused form answers with the page itself, at the same address: wait for it to load)
    await Promise.all([c.page.waitForEvent("load"), c.tap("#ticket-fields button.primary")]);
    await expect(c.page.locator(".flash.err").textContent()).resolves.toBe(
      "Solo un supervisor de su departamento puede hacer esto.",
    );
    expect((await ticketOf(conv))?.assigneeId).toBeNull();
    await c.fits();

    // close it
    await c.tap("#ticket-close");
    await c.page.waitForURL(/saved=1/);
    expect((await ticketOf(conv))?.status).toBe("closed");
    await expect(c.page.locator("#ticket-close").textContent()).resolves.toBe("Reabrir");

    // the list: closed tickets are not active; "all" finds it; a saved view keeps the filter
    await c.menu();
    await c.tap('#top-links a[href="/tickets"]');
    await c.page.waitForURL(/\/tickets$/);
    expect(await c.page.locator(`tr[data-ticket="${tk.id}"]`).count()).toBe(0);
    await c.page.locator('#ticket-filters select[name="status"]').selectOption("any");
    await c.page.locator('#ticket-filters select[name="priority"]').selectOption("high");
    await c.tap("#ticket-filters button[type=submit]");
    await c.page.waitForURL(/status=any/);
    await c.page.locator(`tr[data-ticket="${tk.id}"]`).waitFor();
    await c.fits();
    await c.tap("details.save-view summary");
    await c.page.fill('details.save-view input[name="name"]', `Altas ${w}`);
    await c.tap("details.save-view button.primary");
    await c.page.waitForURL(/view=/);
    const view = await t.ctx.db
      .select()
      .from(ticketViews)
      .where(eq(ticketViews.name, `Altas ${w}`))
      .get();
    expect(view?.filters).toEqual({ status: "any", priority: "high" });
    await c.page.locator(`tr[data-ticket="${tk.id}"]`).waitFor();
    await c.tap(c.page.locator(".view-chip", { hasText: `Altas ${w}` }).locator("button"));
    await c.page.waitForURL(/saved=1/);
    expect(
      await t.ctx.db
        .select()
        .from(ticketViews)
        .where(eq(ticketViews.name, `Altas ${w}`))
        .get(),
    ).toBeUndefined();
    await c.close();
  }
});

test("a duplicate merged from its page (375 and 1280 px)", async () => {
  const { t, s, running, browser } = bed;
  for (const viewport of VIEWPORTS) {
    const keep = await apiPost(t, s.apiKey, "/tickets", {
      subject: `Original ${viewport.width}`,
      departmentId: s.ventas.id,
    });
    const dup = await apiPost(t, s.apiKey, "/tickets", {
      subject: `Repetido ${viewport.width}`,
      departmentId: s.ventas.id,
    });
    const c = await openConsole(browser, running.url, "admin", viewport);
    await c.go(`/tickets/${dup.id}`);
    await c.tap("details.merge summary");
    // a number that is no ticket: said in Spanish
    await c.page.fill('details.merge input[name="number"]', "99999");
    await Promise.all([c.page.waitForEvent("load"), c.tap("details.merge button.danger")]);
    await expect(c.page.locator(".flash.err").textContent()).resolves.toBe(
      "No hay un ticket con ese número que puedas ver.",
    );
    await c.tap("details.merge summary");
    await c.page.fill('details.merge input[name="number"]', String(keep.number));
    await c.tap("details.merge button.danger");
    await c.page.waitForURL(new RegExp(`/tickets/${keep.id}\\?saved=1`));
    const merged = await t.ctx.db.select().from(tickets).where(eq(tickets.id, dup.id)).get();
    expect(merged).toMatchObject({ status: "closed", mergedIntoId: keep.id });
    await expect(c.page.locator(".ticket-history li").last().textContent()).resolves.toContain(
      `combinó aquí el ticket #${dup.number}`,
    );
    await c.fits();
    await c.close();
  }
  // the conversation the tickets came from is untouched by all this
  expect((await t.ctx.db.select().from(conversations)).every((x) => x.status === "open")).toBe(true);
});

test("Settings → Tickets: an SLA per priority, a category, a field and the customer notice, clicked (375 and 1280 px)", async () => {
  const { t, s, running, browser } = bed;
  const { getTicketSettings, listCategories, listFields, listPolicies } = await import("../../src/tickets/service.ts");
  for (const [i, viewport] of VIEWPORTS.entries()) {
    const c = await openConsole(browser, running.url, "admin", viewport);
    await c.go("/settings/tickets");
    await c.fits();
    // the urgent priority's SLA: an hour to answer, four to solve
    const urgent = c.page.locator('details.policy[data-priority="urgent"]');
    await c.tap(urgent.locator("summary"));
    await urgent.locator('input[name="firstResponseMinutes"]').fill(String(60 + i));
    await urgent.locator('input[name="resolutionMinutes"]').fill("240");
    await urgent.locator('input[name="raisePriority"]').setChecked(false);
    await c.tap(urgent.locator("button.primary"));
    await c.page.waitForURL(/saved=1/);
    expect((await listPolicies(t.ctx)).find((p) => p.priority === "urgent")).toMatchObject({
      firstResponseMinutes: 60 + i,
      resolutionMinutes: 240,
      businessHours: true,
    });
    // a policy with no times at all is refused in Spanish, and nothing changes
    const low = c.page.locator('details.policy[data-priority="low"]');
    await c.tap(low.locator("summary"));
    await Promise.all([c.page.waitForEvent("load"), c.tap(low.locator("button.primary"))]);
    await expect(c.page.locator(".flash.err").first().textContent()).resolves.toContain(
      "Una política de SLA necesita al menos uno de sus tiempos.",
    );
    expect((await listPolicies(t.ctx)).some((p) => p.priority === "low")).toBe(false);
    // a category that sends its tickets to Soporte, urgent
    await c.page.fill('#new-category input[name="name"]', `Devoluciones ${i}`);
    await c.page.locator('#new-category select[name="departmentId"]').selectOption(s.soporte.id);
    await c.page.locator('#new-category select[name="priority"]').selectOption("urgent");
    await c.tap("#new-category button.primary");
    await c.page.waitForURL(/saved=1/);
    expect((await listCategories(t.ctx)).find((x) => x.name === `Devoluciones ${i}`)).toMatchObject({
      departmentId: s.soporte.id,
      priority: "urgent",
    });
    // a field of the tickets' own
    await c.page.fill('#new-ticket-field input[name="label"]', `Número de serie ${i}`);
    await c.page.fill('#new-ticket-field input[name="key"]', `serie_${i}`);
    await c.tap("#new-ticket-field button.primary");
    await c.page.waitForURL(/saved=1/);
    expect((await listFields(t.ctx)).some((f) => f.key === `serie_${i}`)).toBe(true);
    // the customer notice, off then on again
    await c.page.locator('#ticket-notify input[name="notifyCustomer"]').setChecked(i !== 0);
    await c.tap("#ticket-notify button.primary");
    await c.page.waitForURL(/saved=1/);
    expect((await getTicketSettings(t.ctx)).notifyCustomer).toBe(i !== 0);
    await c.fits();
    // a ticket of that category: routed and priced by it, with the field on its page
    const tk = await apiPost(t, s.apiKey, "/tickets", {
      subject: `Devolución ${i}`,
      categoryId: (await listCategories(t.ctx)).find((x) => x.name === `Devoluciones ${i}`)!.id,
    });
    expect(tk).toMatchObject({ departmentId: s.soporte.id, priority: "urgent" });
    await c.go(`/tickets/${tk.id}`);
    await c.page.fill(`#ticket-fields input[name="cf_serie_${i}"]`, "SN-1234");
    await c.tap("#ticket-fields button.primary");
    await c.page.waitForURL(/saved=1/);
    expect((await t.ctx.db.select().from(tickets).where(eq(tickets.id, tk.id)).get())?.customFields).toMatchObject({
      [`serie_${i}`]: "SN-1234",
    });
    await c.close();
  }
});
