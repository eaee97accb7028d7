// A contact's whole picture and duplicates (issue #12 item 6): the 360° view gathers every channel's conversations,
// tickets, orders, appointments, notes and a timeline; the same phone or e-mail is offered as a merge (never merged
// silently); a merge keeps every identity and all history and is recorded; tags and notes; deleting (admin only).
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { contactIdentities, contacts, conversations } from "../../src/inbox/schema.ts";
import { tickets } from "../../src/tickets/schema.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const api = async (method: string, path: string, json?: unknown, headers: Record<string, string> = key()) => {
  const r = await t.req(method, `/api/v1${path}`, { headers, json });
  return { status: r.status, body: await r.json() };
};
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());

/** Lucía on the web chat (she gave her phone there) and on WhatsApp: two contacts, one person. */
async function lucia() {
  const web = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "visitante-7", name: "Lucía", phone: "+525511112222" },
    body: "¿tienen envíos?",
  });
  const wa = await addWhatsAppCloud(t.ctx);
  const whats = await ingestInbound(t.ctx, {
    channelId: wa.id,
    from: { externalId: "5215511112222", name: "Lucía Pérez", phone: "+525511112222" },
    body: "hola, soy yo otra vez",
  });
  const contactOf = async (id: string) =>
    (await t.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get())!.contactId;
  return {
    web,
    whats,
    webContact: await contactOf(web.conversationId),
    waContact: await contactOf(whats.conversationId),
  };
}

test("the same phone on two channels is offered as a merge; the merge keeps every identity and all history", async () => {
  const l = await lucia();
  expect(l.webContact).not.toBe(l.waContact);
  // never merged silently: two contacts, each offered the other
  const over = (await api("GET", `/contacts/${l.webContact}/overview`)).body.data;
  expect(over.duplicates.map((d: { id: string }) => d.id)).toEqual([l.waContact]);
  const groups = (await api("GET", "/contacts/duplicates")).body.data;
  expect(groups).toEqual([
    {
      by: "phone",
      value: "+525511112222",
      contacts: expect.arrayContaining([
        expect.objectContaining({ id: l.webContact }),
        expect.objectContaining({ id: l.waContact }),
      ]),
    },
  ]);
  // a ticket and a note of the duplicate come along
  await api("POST", "/tickets", { subject: "Envío a Puebla", conversationId: l.whats.conversationId });
  await api("POST", `/contacts/${l.waContact}/notes`, { body: "Prefiere que le escriban por la tarde" });
  const tag = (await api("POST", "/tags", { name: "mayorista" })).body.data;
  await api("PUT", `/contacts/${l.waContact}/tags/${tag.id}`);
  const m = await api("POST", `/contacts/${l.webContact}/merge`, { mergedId: l.waContact });
  expect(m.status).toBe(200);
  expect(m.body.data.tags.map((x: { name: string }) => x.name)).toEqual(["mayorista"]);
  const idents = await t.ctx.db.select().from(contactIdentities).where(eq(contactIdentities.contactId, l.webContact));
  expect(idents.length).toBe(2);
  const after = (await api("GET", `/contacts/${l.webContact}/overview`)).body.data;
  expect(after.conversations.map((c: { id: string }) => c.id).sort()).toEqual(
    [l.web.conversationId, l.whats.conversationId].sort(),
  );
  expect(after.tickets.length).toBe(1);
  expect(after.notes.map((n: { body: string }) => n.body)).toEqual(["Prefiere que le escriban por la tarde"]);
  expect(after.merges[0]).toMatchObject({
    mergedId: l.waContact,
    merged: { name: "Lucía Pérez" },
    byName: "API: tests",
  });
  expect(after.timeline.map((x: { kind: string }) => x.kind)).toContain("merge");
  expect(after.duplicates).toEqual([]);
  expect(await t.ctx.db.select().from(contacts).where(eq(contacts.id, l.waContact)).get()).toBeUndefined();
  // the ticket follows the person
  expect((await t.ctx.db.select().from(tickets).get())?.contactId).toBe(l.webContact);
  // when she writes on WhatsApp again, it is the same person
  const again = await ingestInbound(t.ctx, {
    channelId: (await t.ctx.db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.externalId, "5215511112222"))
      .get())!.channelId,
    from: { externalId: "5215511112222" },
    body: "¿ya salió mi pedido?",
  });
  expect(
    (await t.ctx.db.select().from(conversations).where(eq(conversations.id, again.conversationId)).get())?.contactId,
  ).toBe(l.webContact);
  // bad input: into itself, someone who is not there
  expect((await api("POST", `/contacts/${l.webContact}/merge`, { mergedId: l.webContact })).body.error.code).toBe(
    "contact_merge_itself",
  );
  expect((await api("POST", `/contacts/${l.webContact}/merge`, { mergedId: l.waContact })).body.error.code).toBe(
    "unknown_contact",
  );
});

test("an agent sees a contact's picture through her conversations, merges nothing, deletes nothing", async () => {
  const l = await lucia();
  await t.req("PATCH", `/api/v1/conversations/${l.web.conversationId}`, {
    headers: key(),
    json: { departmentId: s.ventas.id },
  });
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const over = (await api("GET", `/contacts/${l.webContact}/overview`, undefined, ana)).body.data;
  expect(over.conversations.map((c: { id: string }) => c.id)).toEqual([l.web.conversationId]);
  // the WhatsApp contact is not hers to see: not offered either
  expect(over.duplicates).toEqual([]);
  expect((await api("GET", `/contacts/${l.waContact}/overview`, undefined, ana)).status).toBe(404);
  expect((await api("POST", `/contacts/${l.webContact}/merge`, { mergedId: l.waContact }, ana)).status).toBe(403);
  expect((await api("DELETE", `/contacts/${l.webContact}`, undefined, ana)).status).toBe(403);
  expect((await api("GET", "/contacts/duplicates", undefined, ana)).status).toBe(403);
  // a note she may add; an empty one is refused
  expect((await api("POST", `/contacts/${l.webContact}/notes`, { body: "Llamó por teléfono" }, ana)).status).toBe(201);
  expect((await api("POST", `/contacts/${l.webContact}/notes`, { body: "  " }, ana)).status).toBe(400);
});

test("deleting a contact takes their conversations and leaves their tickets without a contact", async () => {
  const l = await lucia();
  await api("POST", "/tickets", { subject: "Envío a Puebla", conversationId: l.web.conversationId });
  expect((await api("DELETE", `/contacts/${l.webContact}`)).status).toBe(200);
  expect(await t.ctx.db.select().from(conversations).where(eq(conversations.contactId, l.webContact))).toEqual([]);
  expect((await t.ctx.db.select().from(tickets).get())?.contactId).toBeNull();
  expect((await api("DELETE", `/contacts/${l.webContact}`)).status).toBe(404);
});
