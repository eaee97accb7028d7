// Contacts in the console (issue #12 item 6) at 375 and 1280 px, each click checked in the database: a row opens
// the contact's page; a note, a tag, an edited attribute; the list filtered by that tag; a duplicate (the same
// phone on WhatsApp) offered and merged; the list exported as CSV; a new contact made, a bad phone refused in
// Spanish; a contact deleted after the confirmation.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, apiPost } from "../support/app.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { contactNotes, contacts, contactTags, conversations } from "../../src/inbox/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";

let bed: Testbed;
let waChannel: string;
let tagId: string;
beforeAll(async () => {
  bed = await consoleTestbed();
  waChannel = (await addWhatsAppCloud(bed.t.ctx)).id;
  tagId = (await apiPost(bed.t, bed.s.apiKey, "/tags", { name: "mayorista" })).id;
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const contactOf = async (conversationId: string) =>
  (await bed.t.ctx.db.select().from(conversations).where(eq(conversations.id, conversationId)).get())!.contactId;

test("a contact's page: note, tag, attribute, filter, merge a duplicate, export (375 and 1280 px)", async () => {
  const { t, s, running, browser } = bed;
  for (const [i, viewport] of VIEWPORTS.entries()) {
    const phone = `+52551000${1000 + i}`;
    const web = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `web-${i}`, name: `Rosa Núñez ${i}`, phone },
      body: "¿hacen envíos a Puebla?",
    });
    const wa = await ingestInbound(t.ctx, {
      channelId: waChannel,
      from: { externalId: phone.slice(1), name: `Rosa N ${i}`, phone },
      body: "hola, les escribí en la web",
    });
    const [keep, dup] = [await contactOf(web.conversationId), await contactOf(wa.conversationId)];
    const c = await openConsole(browser, running.url, "admin", viewport);
    c.page.on("dialog", (d) => void d.accept());
    await c.menu();
    await c.tap('#top-links a[href="/contacts"]');
    await c.page.waitForURL(/\/contacts$/);
    await c.fits();
    // a row opens the contact
    await c.tap(c.page.locator(`tr[data-contact="${keep}"] a`));
    await c.page.waitForURL(new RegExp(`/contacts/${keep}$`));
    await expect(c.page.locator("h1").textContent()).resolves.toBe(`Rosa Núñez ${i}`);
    await c.fits();
    // a note
    await c.page.fill("#note-body", "Compra por mayoreo los viernes");
    await c.tap("#contact-note button.primary");
    await c.page.waitForURL(/saved=1/);
    expect(
      (await t.ctx.db.select().from(contactNotes).where(eq(contactNotes.contactId, keep))).map((n) => n.body),
    ).toEqual(["Compra por mayoreo los viernes"]);
    // a tag
    await c.page.locator("#contact-tag").selectOption(tagId);
    await c.tap(".tag-add button");
    await c.page.waitForURL(/saved=1/);
    expect((await t.ctx.db.select().from(contactTags).where(eq(contactTags.contactId, keep))).length).toBe(1);
    // an attribute and the e-mail
    await c.page.fill('#contact-edit input[name="newKey"]', "ciudad");
    await c.page.fill('#contact-edit input[name="newValue"]', `Puebla ${i}`);
    await c.page.fill('#contact-edit input[name="email"]', `rosa${i}@correo.mx`);
    await c.tap("#contact-edit button.primary");
    await c.page.waitForURL(/saved=1/);
    const row = await t.ctx.db.select().from(contacts).where(eq(contacts.id, keep)).get();
    expect(row).toMatchObject({ email: `rosa${i}@correo.mx`, attributes: { ciudad: `Puebla ${i}` } });
    // a bad phone is refused in Spanish, nothing changes
    await c.page.fill('#contact-edit input[name="phone"]', "12");
    await Promise.all([c.page.waitForEvent("load"), c.tap("#contact-edit button.primary")]);
    await expect(c.page.locator(".flash.err").textContent()).resolves.toBe("El teléfono no es válido.");
    expect((await t.ctx.db.select().from(contacts).where(eq(contacts.id, keep)).get())?.phone).toBe(phone);
    // the duplicate is offered; merging it (after the confirmation) brings its WhatsApp conversation here
    await c.go(`/contacts/${keep}`);
    await c.page.locator("#contact-duplicates").waitFor();
    await c.tap(c.page.locator("#contact-duplicates .merge-button"));
    await c.page.waitForURL(/saved=1/);
    expect(await t.ctx.db.select().from(contacts).where(eq(contacts.id, dup)).get()).toBeUndefined();
    expect(await contactOf(wa.conversationId)).toBe(keep);
    await expect(c.page.locator(".contact-convs li").count()).resolves.toBe(2);
    await c.fits();
    // the list filtered by the tag and by the attribute
    await c.go("/contacts");
    await c.page.locator('#contact-filters select[name="tagId"]').selectOption(tagId);
    await c.page.fill('#contact-filters input[name="attribute"]', `ciudad=Puebla ${i}`);
    await Promise.all([c.page.waitForEvent("load"), c.tap('#contact-filters button[type="submit"]')]);
    expect(new URL(c.page.url()).searchParams.get("tagId")).toBe(tagId);
    await expect(c.page.locator(`tr[data-contact="${keep}"]`).count()).resolves.toBe(1);
    await expect(c.page.locator("tr[data-contact]").count()).resolves.toBe(1);
    // exported as CSV with the same filters
    const csv = await c.page.evaluate(
      async (href) => (await fetch(href)).text(),
      (await c.page.locator("#contacts-export").getAttribute("href"))!,
    );
    expect(csv).toContain(`Rosa Núñez ${i}`);
    expect(csv.trim().split("\r\n").length).toBe(2);
    // the tag taken off again with its ×
    await c.go(`/contacts/${keep}`);
    await Promise.all([c.page.waitForEvent("load"), c.tap(".contact-tags .tag-x")]);
    expect(await c.page.locator(".contact-tags .tag").count()).toBe(0);
    expect((await t.ctx.db.select().from(contactTags).where(eq(contactTags.contactId, keep))).length).toBe(0);
    await c.close();
  }
});

test("a new contact from the list, a bad phone refused; deleting after the confirmation (375 and 1280 px)", async () => {
  const { t, running, browser } = bed;
  for (const [i, viewport] of VIEWPORTS.entries()) {
    const c = await openConsole(browser, running.url, "admin", viewport);
    c.page.on("dialog", (d) => void d.accept());
    await c.go("/contacts");
    await c.tap("details.new-contact summary");
    await c.page.fill('#new-contact input[name="name"]', `Jorge Álvarez ${i}`);
    await c.page.fill('#new-contact input[name="phone"]', "55 12");
    await Promise.all([c.page.waitForEvent("load"), c.tap("#new-contact button.primary")]);
    await expect(c.page.locator(".flash.err").textContent()).resolves.toBe("El teléfono no es válido.");
    expect(
      await t.ctx.db
        .select()
        .from(contacts)
        .where(eq(contacts.name, `Jorge Álvarez ${i}`))
        .get(),
    ).toBeUndefined();
    await c.tap("details.new-contact summary");
    await c.page.fill('#new-contact input[name="name"]', `Jorge Álvarez ${i}`);
    await c.page.fill('#new-contact input[name="phone"]', `55 2000 300${i}`);
    await c.tap("#new-contact button.primary");
    await c.page.waitForURL(/\/contacts\/[^/?]+\?saved=1/);
    const made = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.name, `Jorge Álvarez ${i}`))
      .get();
    expect(made?.phone).toBe(`+52552000300${i}`);
    await c.tap('form[action$="/delete"] button.danger');
    await c.page.waitForURL(/\/contacts\?deleted=1/);
    expect(await t.ctx.db.select().from(contacts).where(eq(contacts.id, made!.id)).get()).toBeUndefined();
    await c.fits();
    await c.close();
  }
});

test("a contact field defined in settings, set on a contact's page; a segment saved and opened (375 and 1280 px)", async () => {
  const { t, running, browser } = bed;
  for (const [i, viewport] of VIEWPORTS.entries()) {
    const c = await openConsole(browser, running.url, "admin", viewport);
    c.page.on("dialog", (d) => void d.accept());
    // Settings → contact fields: a list field
    await c.go("/settings/contact-fields");
    await c.page.fill('#new-contact-field input[name="label"]', `Nivel ${i}`);
    await c.page.fill('#new-contact-field input[name="key"]', `nivel_${i}`);
    await c.page.locator('#new-contact-field select[name="type"]').selectOption("list");
    await c.page.fill('#new-contact-field input[name="options"]', "Oro, Plata");
    await c.tap("#new-contact-field button.primary");
    await c.page.waitForURL(/saved=1/);
    await c.fits();
    // on a contact's page it is a choice of its options
    const made = await apiPost(t, bed.s.apiKey, "/contacts", {
      name: `Marta Ríos ${i}`,
      attributes: { ciudad: `León ${i}` },
    });
    await c.go(`/contacts/${made.id}`);
    await c.page.locator(`#contact-edit select[name="attr_nivel_${i}"]`).selectOption("Oro");
    await c.tap("#contact-edit button.primary");
    await c.page.waitForURL(/saved=1/);
    expect((await t.ctx.db.select().from(contacts).where(eq(contacts.id, made.id)).get())?.attributes).toEqual({
      ciudad: `León ${i}`,
      [`nivel_${i}`]: "Oro",
    });
    // a segment from the filtered list: saved, counted, opened
    await c.go(`/contacts?attribute=${encodeURIComponent(`nivel_${i}=Oro`)}`);
    await c.tap("details.save-view summary");
    await c.page.fill('#save-segment input[name="name"]', `Clientes oro ${i}`);
    await c.tap("#save-segment button.primary");
    await c.page.waitForURL(/segment=/);
    await expect(c.page.locator(".view-chip a.on").textContent()).resolves.toBe(`Clientes oro ${i} (1)`);
    await expect(c.page.locator("tr[data-contact]").count()).resolves.toBe(1);
    await c.fits();
    await c.close();
  }
});
