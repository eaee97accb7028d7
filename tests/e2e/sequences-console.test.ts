// Secuencias in the console (issue #11 item 3), at 375 and 1280 px: the owner builds a sequence by clicking (two
// steps, one added and one removed with the buttons, the send window, the exits), a refused save names the step in
// Spanish; from a conversation an agent puts the contact in it and sees the first step sent in the contact's
// timeline; the sequence's page shows the figures per step and the contact, takes them out, enrols a CSV; it is
// switched off from the list and deleted after a confirmation that names it.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { apiPost, waitUntil } from "../support/app.ts";
import { overflowing } from "../support/browser.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { messages, sequenceEnrolments, sequences } from "../../src/schema.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
  await apiPost(bed.t, bed.s.apiKey, "/tags", { name: "ganado" });
  // the web chat's conversations belong to Ventas, where Ana works
  await updateChannel(bed.t.ctx, { kind: "system" }, bed.s.webchat.id, { departmentId: bed.s.ventas.id });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a sequence built by clicking, a contact enrolled from the conversation, figures, CSV, off and deleted (${viewport.width} px)`, async () => {
    const { t, s } = bed;
    const admin = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = admin;
    await admin.go("/settings/sequences");
    await admin.tap("#new-sequence");
    await page.waitForURL(/\/settings\/sequences\/new$/);
    const form = page.locator("#sequence-form");
    await form.locator("[name=name]").fill(`Cotización ${i}`);
    const first = form.locator(".step-row").first();
    await first.locator("[name=s_delay]").fill("0");
    await first.locator("[name=s_text]").fill("Hola {{contact.first_name|cliente}}, aquí tu cotización.");
    await admin.tap("#add-step");
    await admin.tap("#add-step");
    await expect(form.locator(".step-row").count()).resolves.toBe(3);
    await expect(form.locator(".step-row legend").allInnerTexts()).resolves.toEqual(["Paso 1", "Paso 2", "Paso 3"]);
    // the third is removed again with its own button
    await admin.tap(form.locator(".step-row").nth(2).locator("[data-remove-row]"));
    await expect(form.locator(".step-row").count()).resolves.toBe(2);
    const second = form.locator(".step-row").nth(1);
    await second.locator("[name=s_delay]").fill("2");
    await second.locator("[name=s_unit]").selectOption("d");
    // a step without a message: refused, the step named, nothing saved
    await admin.fits();
    // (a refused form answers with the page itself, at the same address: wait for it to load before reading it)
    await Promise.all([page.waitForEvent("load"), admin.tap(form.locator("button[type=submit]"))]);
    await expect(page.locator(".flash.err").innerText()).resolves.toBe("Revisa los datos marcados. (Paso 2)");
    expect((await t.ctx.db.select().from(sequences)).filter((x) => x.name === `Cotización ${i}`)).toEqual([]);
    // what was typed is still there; the message is added and it saves
    await expect(form.locator("[name=name]").inputValue()).resolves.toBe(`Cotización ${i}`);
    await form.locator(".step-row").nth(1).locator("[name=s_text]").fill("¿Pudiste revisarla?");
    await form.locator(".step-row").nth(1).locator("[name=s_alt]").fill("¿Qué te pareció la cotización?");
    await form.locator("#window [name=w_days][value='6']").check();
    await form.locator("#window [name=w_from]").fill("00:00");
    await form.locator("#window [name=w_to]").fill("23:59");
    await form.locator("#exits [name=x_tags]").first().check();
    await admin.tap(form.locator("button[type=submit]"));
    await page.waitForURL(/\/settings\/sequences\/[^/]+\?saved=1$/);
    const seq = (await t.ctx.db.select().from(sequences)).find((x) => x.name === `Cotización ${i}`)!;
    expect(seq.steps).toEqual([
      { delayMinutes: 0, after: "previous", variations: ["Hola {{contact.first_name|cliente}}, aquí tu cotización."] },
      { delayMinutes: 2880, after: "previous", variations: ["¿Pudiste revisarla?", "¿Qué te pareció la cotización?"] },
    ]);
    expect(seq.window).toMatchObject({ days: [1, 2, 3, 4, 5, 6], from: "00:00", to: "23:59" });
    expect(seq.exits.tagIds).toHaveLength(1);
    await admin.fits();

    // an agent of the conversation's department enrols its contact from the contact panel
    const m = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `seq-visitor-${i}`, name: "Rosa Díaz" },
      body: "hola, ¿me mandan precios?",
    });
    const ana = await openConsole(bed.browser, bed.running.url, "ana", viewport);
    await ana.go(`/inbox?c=${m.conversationId}`);
    const openPanel = async () => {
      if (viewport.width < 900) await ana.tap("#conv-header [data-sheet-open]");
    };
    await openPanel();
    const panel = ana.page.locator("#contact-sequences");
    await panel.locator("p.meta", { hasText: "No está en ninguna secuencia." }).waitFor();
    await panel.locator("select[name=sequenceId]").selectOption(seq.id);
    await ana.tap(panel.locator("#enrol-form button[type=submit]"));
    await ana.page.waitForURL(/\/inbox\?status=any&c=/);
    await waitUntil(async () =>
      (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, m.conversationId))).some(
        (x) => x.body === "Hola Rosa, aquí tu cotización.",
      ),
    );
    await ana.go(`/inbox?c=${m.conversationId}`);
    await openPanel();
    const item = panel.locator(`li[data-sequence="Cotización ${i}"]`);
    await item.waitFor();
    await expect(item.innerText()).resolves.toMatch(/En curso[\s\S]*Paso 1: enviado[\s\S]*Paso 2: próximo:/);
    // a sequence the contact is in is not offered again
    expect(await ana.page.locator(`#enrol-form option[value="${seq.id}"]`).count()).toBe(0);
    // the panel fits too; closed, the conversation's own controls are reachable again
    expect(await overflowing(ana.page)).toEqual([]);
    if (viewport.width < 900) {
      await ana.tap("#contact-panel [data-sheet-close]");
      await ana.page.locator("#contact-panel").waitFor({ state: "hidden" });
    }
    await ana.fits();
    await ana.close();

    // the sequence's page: figures per step, the contact, taken out
    await admin.go(`/settings/sequences/${seq.id}`);
    await expect(page.locator('#step-figures tr[data-step="1"]').innerText()).resolves.toMatch(/^1\s+1\s+0\s+0\s+0$/);
    const row = page.locator("#enrolment-list li", { hasText: "Rosa Díaz" });
    await expect(row.innerText()).resolves.toContain("En curso");
    await admin.tap(row.locator("button[type=submit]"));
    await page.waitForURL(/\?saved=1$/);
    await expect(page.locator("#enrolment-list li", { hasText: "Rosa Díaz" }).innerText()).resolves.toContain(
      "Quitado",
    );
    const enrolments = await t.ctx.db
      .select()
      .from(sequenceEnrolments)
      .where(eq(sequenceEnrolments.sequenceId, seq.id));
    expect(enrolments.map((e) => [e.status, e.source])).toEqual([["removed", "console"]]);

    // a CSV: one contact by phone, one line that matches nobody
    await apiPost(t, s.apiKey, "/contacts", { name: `Pedro ${i}`, phone: `+52 55 1000 200${i}` });
    await page.locator("#csv-import input[type=file]").setInputFiles({
      name: "clientes.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`nombre,teléfono\nPedro,55 1000 200${i}\nNadie,55 0000 000${i}\n`),
    });
    await Promise.all([page.waitForEvent("load"), admin.tap("#csv-import button[type=submit]")]);
    await expect(page.locator("#import-result").innerText()).resolves.toBe(
      "Inscritos: 1. Ya estaban: 0.\nSin contacto que coincida en las líneas 3.",
    );
    await admin.fits();

    // switched off from the list, then deleted after a confirmation that names it
    await admin.go("/settings/sequences");
    const listRow = page.locator(`#sequences tr[data-id="${seq.id}"]`);
    await admin.tap(listRow.locator("button[aria-pressed=true]"));
    await page.waitForURL(/\?saved=1$/);
    await page.locator(`#sequences tr[data-id="${seq.id}"] button[aria-pressed=false]`).waitFor();
    expect((await t.ctx.db.select().from(sequences).where(eq(sequences.id, seq.id)).get())!.enabled).toBe(false);
    await admin.fits();
    const asked: string[] = [];
    page.on("dialog", (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await admin.go(`/settings/sequences/${seq.id}`);
    await admin.tap('form[action$="/delete"] button');
    await page.waitForURL(/\/settings\/sequences\?saved=1$/);
    expect(asked).toEqual([
      `¿Eliminar la secuencia «Cotización ${i}»? Sus contactos salen de ella y no reciben más pasos.`,
    ]);
    expect(await t.ctx.db.select().from(sequences).where(eq(sequences.id, seq.id)).get()).toBeUndefined();
    await admin.close();
  });
