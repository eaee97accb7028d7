// The library of files (issue #11 item 5) through API v1, on a real SQLite file and data dir: administrators add,
// rename and remove files; the whole team lists and previews them; a file from the library goes out in a message
// as the conversation's own attachment (the customer downloads it; removing the item keeps it); each channel's
// type and size limits are checked before anything is queued, with the reason in words.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { files, libraryItems, outbox } from "../../src/schema.ts";
import { errText } from "../../src/app/console.ts";
import { AppError } from "../../src/platform/errors.ts";
import { translator } from "../../ui/i18n/index.ts";
import { PNG, GIF } from "../support/media.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
});
afterEach(async () => {
  await t.close();
});

const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const api = (method: string, path: string, json?: unknown, headers: Record<string, string> = key()) =>
  t.req(method, `/api/v1${path}`, { headers, json });
async function upload(
  bytes: Uint8Array<ArrayBuffer>,
  name: string,
  type: string,
  title?: string,
  headers: Record<string, string> = key(),
) {
  const fd = new FormData();
  fd.append("file", new File([bytes], name, { type }));
  if (title) fd.append("title", title);
  return t.req("POST", "/api/v1/library", { body: fd, headers });
}
const whatsapp = () => addWhatsAppCloud(t.ctx);

test("administrators add, rename and remove; the team lists and previews; agents cannot change it", async () => {
  const r = await upload(PNG, "menu del dia.png", "image/png");
  expect(r.status).toBe(201);
  const item = (await r.json()).data;
  expect(item).toMatchObject({ title: "menu del dia", kind: "image", mime: "image/png", size: PNG.length, uses: 0 });
  expect(item.fits).toEqual([{ channel: "WhatsApp", problem: null }]);

  const gif = (await (await upload(GIF, "promo.gif", "image/gif", "Promo animada")).json()).data;
  expect(gif.title).toBe("Promo animada");
  expect(gif.fits[0].problem).toEqual({
    code: "media_type_not_supported",
    details: { channel: "WhatsApp", name: "promo.gif", mime: "image/gif" },
  });

  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const list = (await (await api("GET", "/library", undefined, ana)).json()).data;
  expect(list.map((x: { title: string }) => x.title)).toEqual(["menu del dia", "Promo animada"]);
  expect((await (await api("GET", "/library?kind=image&q=promo", undefined, ana)).json()).data).toHaveLength(1);
  // what is typed is searched literally: "%" is no wildcard, "_" is an underscore
  expect((await (await api("GET", "/library?q=%25")).json()).data).toHaveLength(0);
  await upload(PNG, "oferta.png", "image/png", "2x1_verano");
  expect((await (await api("GET", "/library?q=1_V")).json()).data.map((x: { title: string }) => x.title)).toEqual([
    "2x1_verano",
  ]);
  expect((await (await api("GET", "/library?q=1xv")).json()).data).toHaveLength(0);
  const bytes = await api("GET", `/library/${item.id}/file`, undefined, ana);
  expect(bytes.status).toBe(200);
  expect(bytes.headers.get("content-type")).toBe("image/png");
  expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(PNG);

  // an agent may not change the library; the refusal changes nothing
  expect((await upload(PNG, "x.png", "image/png", undefined, ana)).status).toBe(403);
  expect((await api("PATCH", `/library/${item.id}`, { title: "otro" }, ana)).status).toBe(403);
  expect((await api("DELETE", `/library/${item.id}`, undefined, ana)).status).toBe(403);
  expect(await t.ctx.db.select().from(libraryItems)).toHaveLength(3);

  // bad input: named, 4xx, nothing changed
  const bad = await api("PATCH", `/library/${item.id}`, { title: "" });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.code).toBe("validation_failed");
  const kind = await api("GET", "/library?kind=sticker");
  expect(kind.status).toBe(400);
  expect((await kind.json()).error.details).toEqual({ field: "kind" });
  const exe = await upload(new Uint8Array([77, 90, 0, 0]), "virus.exe", "application/x-msdownload");
  expect(exe.status).toBe(415);
  const none = await t.req("POST", "/api/v1/library", { body: new FormData(), headers: key() });
  expect(none.status).toBe(400);
  expect((await none.json()).error.code).toBe("file_required");
  expect(await t.ctx.db.select().from(libraryItems)).toHaveLength(3);

  const renamed = await api("PATCH", `/library/${item.id}`, { title: "Menú del día" });
  expect((await renamed.json()).data.title).toBe("Menú del día");
  expect((await api("DELETE", `/library/${gif.id}`)).status).toBe(200);
  expect((await api("GET", `/library/${gif.id}`)).status).toBe(404);
  expect(await t.ctx.db.select().from(files).where(eq(files.id, gif.fileId))).toHaveLength(0);
});

test("a library file goes out as the conversation's attachment; the customer downloads it; removing the item keeps it", async () => {
  const item = (await (await upload(PNG, "menu.png", "image/png", "Menú")).json()).data;
  const session = await t.req("POST", `/webchat/${s.webchat.id}/sessions`, {
    headers: { origin: "http://localhost" },
    json: {},
  });
  const token = (await session.json()).data.token as string;
  const visitorId = token.split(".")[0];
  const { conversationId } = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: visitorId, name: "Rosa" },
    body: "¿me pasas el menú?",
  });
  const r = await api("POST", `/conversations/${conversationId}/messages`, { body: "Aquí está", library: [item.id] });
  expect(r.status).toBe(202);
  const msg = (await r.json()).data;
  expect(msg.attachments).toHaveLength(1);
  const att = msg.attachments[0];
  expect(att).toMatchObject({ name: "menu.png", mime: "image/png", size: PNG.length });
  expect(att.fileId).not.toBe(item.fileId);
  // the message's file belongs to the conversation; the library's own stays unbound
  const row = (await t.ctx.db.select().from(files).where(eq(files.id, att.fileId)).get())!;
  expect(row.conversationId).toBe(conversationId);
  expect((await t.ctx.db.select().from(files).where(eq(files.id, item.fileId)).get())!.conversationId).toBeNull();
  expect((await (await api("GET", `/library/${item.id}`)).json()).data.uses).toBe(1);

  const fetchAsVisitor = () => t.req("GET", `/webchat/${s.webchat.id}/files/${att.fileId}?token=${token}`);
  expect(new Uint8Array(await (await fetchAsVisitor()).arrayBuffer())).toEqual(PNG);
  // the visitor cannot reach the library's own file
  expect((await t.req("GET", `/webchat/${s.webchat.id}/files/${item.fileId}?token=${token}`)).status).toBe(404);

  expect((await api("DELETE", `/library/${item.id}`)).status).toBe(200);
  const after = await fetchAsVisitor();
  expect(after.status).toBe(200);
  expect(new Uint8Array(await after.arrayBuffer())).toEqual(PNG);

  // a gone item is refused with its id named, and nothing is queued
  const before = (await t.ctx.db.select().from(outbox)).length;
  const gone = await api("POST", `/conversations/${conversationId}/messages`, { body: "otra vez", library: [item.id] });
  expect(gone.status).toBe(422);
  expect((await gone.json()).error).toMatchObject({ code: "unknown_library_item", details: { value: item.id } });
  expect(await t.ctx.db.select().from(outbox)).toHaveLength(before);
});

test("WhatsApp's limits are checked before anything is queued, and said in the person's language", async () => {
  const wa = await whatsapp();
  const { conversationId } = await ingestInbound(t.ctx, {
    channelId: wa.id,
    from: { externalId: "5215512345678", name: "Luis" },
    body: "hola",
  });
  const gif = (await (await upload(GIF, "promo.gif", "image/gif")).json()).data;
  const before = (await t.ctx.db.select().from(outbox)).length;
  const r = await api("POST", `/conversations/${conversationId}/messages`, { body: "promo", library: [gif.id] });
  expect(r.status).toBe(422);
  const err = (await r.json()).error;
  expect(err).toMatchObject({ code: "media_type_not_supported", details: { channel: "WhatsApp", mime: "image/gif" } });
  const es = errText(new AppError(422, err.code, err.message, err.details), translator("es"));
  expect(es).toBe("WhatsApp no acepta archivos de tipo image/gif («promo.gif»).");
  // a direct upload too: a 6 MB PNG is over WhatsApp's 5 MB for images
  const big = new Uint8Array(6 * 1048576);
  big.set(PNG);
  const fd = new FormData();
  fd.append("file", new File([big], "foto.png", { type: "image/png" }));
  const up = await t.req("POST", `/api/v1/files?conversationId=${conversationId}`, { body: fd, headers: key() });
  expect(up.status).toBe(201);
  const tooBig = await api("POST", `/conversations/${conversationId}/messages`, {
    body: "foto",
    attachments: [(await up.json()).data],
  });
  expect(tooBig.status).toBe(422);
  const e2 = (await tooBig.json()).error;
  expect(e2).toMatchObject({ code: "media_too_large", details: { channel: "WhatsApp", maxMb: 5 } });
  expect(errText(new AppError(422, e2.code, e2.message, e2.details), translator("en"))).toBe(
    "«foto.png» is larger than WhatsApp accepts for this kind of file (5 MB).",
  );
  expect(await t.ctx.db.select().from(outbox)).toHaveLength(before);
  // a private note may carry it (nothing leaves DigyBot)
  const note = await api("POST", `/conversations/${conversationId}/messages`, {
    body: "para el equipo",
    private: true,
    library: [gif.id],
  });
  expect(note.status).toBe(202);
});
