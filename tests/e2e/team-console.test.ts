// The team's console at 375 and 1280 px (issue #12): one's presence from the top bar, a department's assignment
// rules and a person's capacity in settings, and the team page where a supervisor sees the queue, gives a waiting
// conversation to someone over the rules and signs off a person who left. Each click is checked in the database.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq, inArray } from "drizzle-orm";
import { openConsole, VIEWPORTS, consoleTestbed, type Testbed } from "../support/pages.ts";
import { createUser } from "../../src/auth/service.ts";
import { departments, users } from "../../src/auth/schema.ts";
import { channels, conversations } from "../../src/inbox/schema.ts";
import { forgetChannels, ingestInbound, updateConversation } from "../../src/inbox/service.ts";
import { assignmentSettled } from "../../src/inbox/assignment.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
  const { t, s } = bed;
  await createUser(t.ctx, {
    name: "Sofía",
    email: "sofia@test.mx",
    password: "agent-pass-123",
    role: "supervisor",
    departmentIds: [s.ventas.id],
  });
  // the web chat's customers go to Ventas
  await t.ctx.database.write((tx) =>
    tx.update(channels).set({ departmentId: s.ventas.id }).where(eq(channels.id, s.webchat.id)),
  );
  forgetChannels(t.ctx);
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const userRow = (email: string) => bed.t.ctx.db.select().from(users).where(eq(users.email, email)).get();
const dept = (id: string) => bed.t.ctx.db.select().from(departments).where(eq(departments.id, id)).get();
const conv = (id: string) => bed.t.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get();

test("presence, assignment rules, capacity and the team page, clicked at 375 and 1280 px", async () => {
  const { t, s, running, browser } = bed;
  let n = 0;
  for (const viewport of VIEWPORTS) {
    const mode = viewport.width < 700 ? "round_robin" : "least_busy";
    // ---- the owner sets Ventas's rules and Ana's capacity
    const admin = await openConsole(browser, running.url, "admin", viewport);
    await admin.go("/settings/departments");
    const row = admin.page.locator(`tr[data-id="${s.ventas.id}"]`);
    await admin.tap(row.locator("details.assignment-rules summary"));
    await row.locator('select[name="assignment"]').selectOption(mode);
    await row.locator('input[name="stickyHours"]').fill("12");
    // overflow: on a phone to Soporte after 15 minutes, on a desktop a call-back ticket after 30
    const phone = viewport.width < 700;
    await row.locator('input[name="overflowAfterMinutes"]').fill(phone ? "15" : "30");
    await row.locator('select[name="overflowAction"]').selectOption(phone ? "department" : "ticket");
    if (phone) await row.locator('select[name="overflowTargetId"]').selectOption(s.soporte.id);
    await admin.tap(row.locator("details.assignment-rules button[type=submit]"));
    await admin.page.waitForURL(/saved=1/);
    await admin.fits();
    expect(await dept(s.ventas.id)).toMatchObject({
      assignment: mode,
      stickyHours: 12,
      reassignOnOffline: true,
      overflowAfterMinutes: phone ? 15 : 30,
      overflowAction: phone ? "department" : "ticket",
      overflowTargetId: phone ? s.soporte.id : null,
    });
    // an incomplete rule is refused in Spanish and changes nothing
    const again = admin.page.locator(`tr[data-id="${s.ventas.id}"]`);
    await admin.tap(again.locator("details.assignment-rules summary"));
    await again.locator('select[name="overflowAction"]').selectOption("agent");
    await again.locator('select[name="overflowTargetId"]').selectOption("");
    // (a refused form answers with the page itself, at the same address: wait for it to load)
    await Promise.all([
      admin.page.waitForEvent("load"),
      admin.tap(again.locator("details.assignment-rules button[type=submit]")),
    ]);
    await expect(admin.page.locator(".flash.err").textContent()).resolves.toContain(
      "La regla de desborde necesita el tiempo",
    );
    expect((await dept(s.ventas.id))?.overflowAction).toBe(phone ? "department" : "ticket");
    await admin.go("/settings/users");
    const ana = admin.page.locator("tr", { hasText: "ana@test.mx" });
    await ana.locator('input[name="capacity"]').fill("1");
    await admin.tap(ana.locator("form").first().locator("button[type=submit]"));
    await admin.page.waitForURL(/saved=1/);
    expect((await userRow("ana@test.mx"))?.capacity).toBe(1);
    await admin.close();

    // the owner and the supervisor have signed off (their consoles would take conversations within the minute)
    await t.ctx.database.write((tx) =>
      tx
        .update(users)
        .set({ availability: "offline" })
        .where(inArray(users.email, ["admin@test.mx", "sofia@test.mx"])),
    );
    // ---- Ana is in: away from the top bar, then available again; the page says which
    const a = await openConsole(browser, running.url, "ana", viewport);
    await a.page.waitForSelector("body[data-live='1']");
    await a.tap("#presence summary");
    await a.tap('#presence button[value="away"], #presence form:has(input[value="away"]) button');
    await a.page.waitForSelector("#presence .dot.away");
    expect((await userRow("ana@test.mx"))?.availability).toBe("away");
    await a.fits();
    await a.tap("#presence summary");
    await a.tap('#presence form:has(input[value="online"]) button');
    await a.page.waitForSelector("#presence .dot.online");
    expect((await userRow("ana@test.mx"))?.availability).toBe("online");
    await a.page.waitForSelector("body[data-live='1']");

    // ---- two customers write: the first goes to Ana (online, one seat), the second waits
    const first = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `team-${viewport.width}-1`, name: `Lucía ${viewport.width}` },
      body: "hola, ¿tienen envío?",
    });
    await assignmentSettled(t.ctx);
    const second = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `team-${viewport.width}-2`, name: `Marco ${viewport.width}` },
      body: "quiero hacer un pedido",
    });
    await assignmentSettled(t.ctx);
    expect((await conv(first.conversationId))?.assigneeId).toBe((await userRow("ana@test.mx"))!.id);
    expect((await conv(second.conversationId))?.assigneeId).toBeNull();

    // ---- the agent's team page shows the queue, and offers her nothing to act on
    await a.go("/team");
    await a.fits();
    const waiting = a.page.locator(`li[data-queued="${second.conversationId}"]`);
    await expect(waiting.textContent()).resolves.toContain(`Marco ${viewport.width}`);
    expect(await waiting.locator("form").count()).toBe(0);

    // ---- the supervisor gives the waiting conversation to Ana over her capacity, then signs Ana off
    const sup = await openConsole(browser, running.url, "sofia", viewport);
    await sup.menu();
    await sup.tap('#top-links a[href="/team"]');
    await sup.page.waitForURL(/\/team$/);
    await sup.fits();
    const item = sup.page.locator(`li[data-queued="${second.conversationId}"]`);
    await expect(item.textContent()).resolves.toContain("1.");
    await item.locator('select[name="assigneeId"]').selectOption((await userRow("ana@test.mx"))!.id);
    await sup.tap(item.locator("button[type=submit]"));
    await sup.page.waitForURL(/\/team\?saved=1/);
    expect((await conv(second.conversationId))?.assigneeId).toBe((await userRow("ana@test.mx"))!.id);
    expect(await sup.page.locator(`li[data-queued="${second.conversationId}"]`).count()).toBe(0);
    const anaRow = sup.page.locator(`section[data-department="${s.ventas.id}"] li[data-person]`, { hasText: "Ana" });
    await expect(anaRow.textContent()).resolves.toContain("2");
    await sup.tap(anaRow.locator('button[value="offline"]'));
    await sup.page.waitForURL(/\/team\?saved=1/);
    expect((await userRow("ana@test.mx"))?.availability).toBe("offline");
    await expect(
      sup.page
        .locator(`section[data-department="${s.ventas.id}"] li[data-person]`, { hasText: "Ana" })
        .locator(".presence-state")
        .textContent(),
    ).resolves.toBe("Desconectado");
    await sup.fits();
    await sup.close();
    await a.close();

    // back as it was for the next width
    for (const id of [first.conversationId, second.conversationId])
      await updateConversation(t.ctx, { kind: "system" }, id, { status: "resolved" });
    await t.ctx.database.write((tx) =>
      tx.update(users).set({ availability: "online", capacity: null }).where(eq(users.email, "ana@test.mx")),
    );
    n++;
  }
  expect(n).toBe(2);
});

test("an agent may not hand a conversation to someone offline: the console says why in Spanish", async () => {
  const { t, s, running, browser } = bed;
  await t.ctx.database.write((tx) =>
    tx.update(departments).set({ assignment: "manual" }).where(eq(departments.id, s.ventas.id)),
  );
  const carla = await createUser(t.ctx, {
    name: "Carla",
    email: "carla@test.mx",
    password: "agent-pass-123",
    departmentIds: [s.ventas.id],
  });
  const r = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "team-handover", name: "Rosa" },
    body: "buenas tardes",
  });
  for (const viewport of VIEWPORTS) {
    const a = await openConsole(browser, running.url, "ana", viewport);
    await a.go(`/inbox?c=${r.conversationId}&view=all`);
    const picker = a.page.locator('#conv-header .picker[data-for="assigneeId"]');
    await a.page.waitForSelector("#conv-header");
    await a.tap(picker.locator(".picker-button"));
    await picker.locator("input[type=search]").fill("carla");
    await a.page.keyboard.press("Enter");
    await a.page.locator("#header-error").filter({ hasText: /\S/ }).waitFor();
    await expect(a.page.locator("#header-error").textContent()).resolves.toBe(
      "Carla no está disponible o no tiene cupo. Transfiere la conversación a su departamento o pide a un supervisor que la asigne.",
    );
    expect((await conv(r.conversationId))?.assigneeId).toBeNull();
    await a.fits();
    await a.close();
  }
  // once Carla is online with room, the same hand-over goes through (the refusal was about her, not about Ana)
  const { connectConsole } = await import("../../src/inbox/assignment.ts");
  const leave = connectConsole(t.ctx, carla.id);
  await updateConversation(
    t.ctx,
    { kind: "user", id: s.ana.id, name: "Ana", role: "agent", locale: "es", departmentIds: [s.ventas.id] },
    r.conversationId,
    { assigneeId: carla.id },
  );
  expect((await conv(r.conversationId))?.assigneeId).toBe(carla.id);
  leave();
});

test("the team page follows the team live: a presence change and a customer waiting show without a reload (375 and 1280 px)", async () => {
  const { t, s, running, browser } = bed;
  const { setAvailability, connectConsole } = await import("../../src/inbox/assignment.ts");
  await t.ctx.database.write((tx) =>
    tx.update(departments).set({ assignment: "round_robin" }).where(eq(departments.id, s.ventas.id)),
  );
  // nobody takes conversations: everyone in Ventas is off
  await t.ctx.database.write((tx) => tx.update(users).set({ availability: "offline" }));
  const ana = (await userRow("ana@test.mx"))!;
  for (const [i, viewport] of VIEWPORTS.entries()) {
    await setAvailability(t.ctx, { kind: "system" }, ana.id, { availability: "offline" });
    const sup = await openConsole(browser, running.url, "sofia", viewport);
    await sup.go("/team");
    await sup.page.waitForSelector("body[data-live='1']");
    const anaState = () =>
      sup.page
        .locator(`section[data-department="${s.ventas.id}"] li[data-person="${ana.id}"] .presence-state`)
        .textContent();
    await expect(anaState()).resolves.toBe("Desconectado");
    const shows = (want: string) =>
      sup.page.waitForFunction(
        ([id, dept, w]) =>
          document.querySelector(`section[data-department="${dept}"] li[data-person="${id}"] .presence-state`)
            ?.textContent === w,
        [ana.id, s.ventas.id, want] as const,
      );
    // Ana opens her console and says she is available (as her console's stream does): the supervisor sees it...
    await setAvailability(t.ctx, { kind: "system" }, ana.id, { availability: "online" });
    const leave = connectConsole(t.ctx, ana.id);
    await shows("Disponible");
    // ...and her stepping away
    await setAvailability(t.ctx, { kind: "system" }, ana.id, { availability: "away" });
    await shows("Ausente");
    leave();
    const r = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `live-${i}`, name: `Paula ${i}` },
      body: "¿alguien me atiende?",
    });
    await sup.page.locator(`li[data-queued="${r.conversationId}"]`).waitFor();
    await expect(sup.page.locator(`li[data-queued="${r.conversationId}"]`).textContent()).resolves.toContain(
      `Paula ${i}`,
    );
    await sup.fits();
    await sup.close();
  }
});
