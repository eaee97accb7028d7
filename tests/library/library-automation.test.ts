// Library files in what runs by itself (issue #11 item 5): a rule's message, a sequence step and a flow's message
// carry a file from the library as the conversation's own attachment; a reference to a file that does not exist is
// refused when saved, with the field named; a file removed later is told in the rule's run log and the sequence's
// timeline, and a flow still sends its text.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { automationRuns, files, messages, sequenceSends } from "../../src/schema.ts";
import { startAutomation } from "../../src/automation/index.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 2, 15, 0);
const clock = { now: () => now };
const { api, create, settle, ingest } = automationKit(() => ({ t, s }));

beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 15, 0);
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  startAutomation(t.ctx, { tick: false });
  await settle();
});
afterEach(async () => {
  await t.close();
});

const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
async function libraryFile(title: string) {
  const fd = new FormData();
  fd.append("file", new File([PDF], "precios.pdf", { type: "application/pdf" }));
  fd.append("title", title);
  const r = await t.req("POST", "/api/v1/library", { body: fd, headers: { authorization: `Bearer ${s.apiKey}` } });
  expect(r.status).toBe(201);
  return (await r.json()).data as { id: string; fileId: string };
}
const outMessages = async (conversationId: string) =>
  (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, conversationId))).filter(
    (m) => m.direction === "out" && !m.private,
  );

test("a rule's message carries the file; an unknown file is refused on save; a removed one is in the run log", async () => {
  const item = await libraryFile("Lista de precios");
  const bad = await api("POST", "/automations", {
    name: "Precios",
    trigger: { type: "message_received", keywords: ["precios"] },
    actions: [{ type: "send_message", body: "Aquí tienes", media: ["no-existe"] }],
  });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error).toMatchObject({
    code: "unknown_library_item",
    details: { field: "actions.0.media", value: "no-existe" },
  });
  const rule = await create("/automations", {
    name: "Precios",
    trigger: { type: "message_received", keywords: ["precios"] },
    actions: [{ type: "send_message", body: "Aquí tienes nuestra lista, {{contact.first_name}}.", media: [item.id] }],
  });
  const a = await ingest("¿me pasan los precios?", "v1");
  await settle();
  const [sent] = await outMessages(a.conversationId);
  expect(sent.body).toBe("Aquí tienes nuestra lista, María.");
  expect(sent.attachments).toMatchObject([{ name: "precios.pdf", mime: "application/pdf", size: PDF.length }]);
  const row = (await t.ctx.db.select().from(files).where(eq(files.id, sent.attachments[0].fileId)).get())!;
  expect(row.conversationId).toBe(a.conversationId);

  // removed from the library: the next run fails with the reason, and sends nothing
  expect((await api("DELETE", `/library/${item.id}`)).status).toBe(200);
  const b = await ingest("precios por favor", "v2", "Luis Pérez");
  await settle();
  expect(await outMessages(b.conversationId)).toHaveLength(0);
  const runs = await t.ctx.db.select().from(automationRuns).where(eq(automationRuns.ruleId, rule.id));
  const failed = runs.find((r) => r.status === "failed")!;
  expect(JSON.stringify(failed.trace)).toContain("unknown_library_item");
});

test("a sequence step sends its file; a step whose file was removed is shown skipped with the reason", async () => {
  const item = await libraryFile("Catálogo");
  const bad = await api("POST", "/sequences", {
    name: "Catálogo",
    steps: [{ delayMinutes: 0, variations: ["Hola"], media: ["nada"] }],
    window: { days: [0, 1, 2, 3, 4, 5, 6], from: "00:00", to: "23:59" },
  });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.details).toMatchObject({ field: "steps.0.media" });
  const seq = await create("/sequences", {
    name: "Catálogo",
    steps: [
      { delayMinutes: 0, variations: ["Te comparto el catálogo"], media: [item.id] },
      { delayMinutes: 60, variations: ["¿Lo pudiste ver?"], media: [item.id] },
    ],
    window: { days: [0, 1, 2, 3, 4, 5, 6], from: "00:00", to: "23:59" },
    exits: { replied: false },
  });
  const a = await ingest("hola", "v1");
  await settle();
  await create(`/sequences/${seq.id}/enrolments`, { conversationId: a.conversationId });
  await settle();
  const first = await outMessages(a.conversationId);
  expect(first.map((m) => [m.body, m.attachments.length])).toEqual([["Te comparto el catálogo", 1]]);
  expect((await api("DELETE", `/library/${item.id}`)).status).toBe(200);
  now += 61 * 60_000;
  await settle();
  expect(await outMessages(a.conversationId)).toHaveLength(1);
  const sends = await t.ctx.db.select().from(sequenceSends);
  expect(sends.map((x) => [x.step, x.outcome, x.detail])).toEqual([
    [0, "sent", null],
    [1, "skipped", "unknown_library_item"],
  ]);
});

test("a flow's message carries the file; once removed, the flow still says its text", async () => {
  const item = await libraryFile("Menú");
  const bad = await api("POST", "/flows", {
    name: "Menú",
    keywords: ["menu"],
    graph: { start: "a", nodes: [{ id: "a", type: "message", text: "Mira", media: ["x"] }] },
  });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.details).toMatchObject({ field: "graph.nodes.0.media" });
  const flow = await create("/flows", {
    name: "Menú",
    keywords: ["menu"],
    graph: {
      start: "a",
      nodes: [
        { id: "a", type: "message", text: "Este es el menú de hoy", media: [item.id], next: "b" },
        { id: "b", type: "end" },
      ],
    },
  });
  await create(`/flows/${flow.id}/publish`, {}, 200);
  const a = await ingest("menu", "v1");
  await settle();
  const [m] = await outMessages(a.conversationId);
  expect([m.body, m.attachments.map((x) => x.name)]).toEqual(["Este es el menú de hoy", ["precios.pdf"]]);
  expect((await api("DELETE", `/library/${item.id}`)).status).toBe(200);
  now += 1000;
  const b = await ingest("menu", "v2", "Luis Pérez");
  await settle();
  const [m2] = await outMessages(b.conversationId);
  expect([m2.body, m2.attachments]).toEqual(["Este es el menú de hoy", []]);
});
