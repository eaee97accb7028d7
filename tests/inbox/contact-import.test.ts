// Importing contacts from a CSV (issue #12 item 6): columns guessed from Spanish or English headers; every line
// checked first, a bad one named with its line (as the spreadsheet numbers it), column and value, and nothing
// written; de-duplicated by phone and e-mail against the contacts there are and within the file; tags made.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { guessMapping, importContacts, readImportFile } from "../../src/inbox/contact-import.ts";
import { createContact } from "../../src/inbox/contacts.ts";
import { contacts, contactTags, tags } from "../../src/inbox/schema.ts";
import type { Actor } from "../../src/platform/context.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
const admin = { kind: "system" } as const;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());

test("the columns are guessed from the headers", () => {
  expect(guessMapping(["Nombre", "Teléfono celular", "Correo electrónico", "Etiquetas", "Ciudad", ""])).toEqual([
    "name",
    "phone",
    "email",
    "tags",
    "attr:ciudad",
    "ignore",
  ]);
  expect(guessMapping(["Full name", "WhatsApp", "E-mail", "Tags", "Customer since"])).toEqual([
    "name",
    "phone",
    "email",
    "tags",
    "attr:customer_since",
  ]);
});

test("a bad line is named with its line, column and value, and nothing is imported", async () => {
  const csv = [
    "Nombre;Teléfono;Correo",
    "Lucía Pérez;55 1111 2222;lucia@correo.mx",
    '"Jorge ""el Güero""\nÁlvarez";55 3333 4444;jorge@correo.mx',
    "Rosa;12;rosa@correo.mx",
  ].join("\n");
  const file = readImportFile(csv);
  const err = await importContacts(t.ctx, admin, file, ["name", "phone", "email"]).catch((e) => e);
  // the third row starts on line 5 (the second spans lines 3 and 4)
  expect(err).toMatchObject({ status: 400, code: "csv_value", details: { line: 5, column: "Teléfono", value: "12" } });
  expect((await t.ctx.db.select().from(contacts)).length).toBe(0);
  const bad = await importContacts(t.ctx, admin, readImportFile("Nombre,Correo\nAna,no-es-correo"), [
    "name",
    "email",
  ]).catch((e) => e);
  expect(bad).toMatchObject({ code: "csv_value", details: { line: 2, column: "Correo", value: "no-es-correo" } });
});

test("de-duplicated by phone and e-mail, against what is there and within the file; tags made; attributes kept", async () => {
  const existing = await createContact(t.ctx, { name: "", phone: "+525511112222", attributes: { origen: "web" } });
  const csv = [
    "Nombre,Teléfono,Correo,Etiquetas,Ciudad",
    "Lucía Pérez,55 1111 2222,lucia@correo.mx,mayorista|vip,Puebla",
    "Jorge,55 3333 4444,,mayorista,CDMX",
    "Jorge Álvarez,,jorge@correo.mx,,",
    "Jorge A.,5533334444,jorge@correo.mx,,Toluca",
  ].join("\r\n");
  const progress: string[] = [];
  const r = await importContacts(t.ctx, admin, readImportFile(csv), guessMapping(readImportFile(csv).header), (p) =>
    progress.push(p.phase),
  );
  // Lucía was there by phone (updated); Jorge's three rows are one person (by phone, then by e-mail); one of them
  // an e-mail-only row that joins by e-mail
  expect(r).toEqual({ created: 2, updated: 1, mergedInFile: 1, tagged: 3 });
  expect(progress.at(-1)).toBe("done");
  const lucia = await t.ctx.db.select().from(contacts).where(eq(contacts.id, existing.id)).get();
  expect(lucia).toMatchObject({
    name: "Lucía Pérez",
    email: "lucia@correo.mx",
    attributes: { origen: "web", ciudad: "Puebla" },
  });
  const all = await t.ctx.db.select().from(contacts);
  expect(all.length).toBe(3);
  const jorge = all.find((c) => c.phone === "+525533334444")!;
  expect(jorge).toMatchObject({ name: "Jorge", email: "jorge@correo.mx", attributes: { ciudad: "Toluca" } });
  // the e-mail-only row is the third contact (it shared nothing with Jorge's phone row when read)
  expect(all.filter((c) => c.email === "jorge@correo.mx").length).toBe(2);
  expect((await t.ctx.db.select().from(tags)).map((x) => x.name).sort()).toEqual(["mayorista", "vip"]);
  expect((await t.ctx.db.select().from(contactTags)).length).toBe(3);
  // an agent imports nothing
  const agent: Actor = { kind: "user", id: s.ana.id, name: "Ana", role: "agent", locale: "es", departmentIds: [] };
  await expect(
    importContacts(t.ctx, agent, readImportFile(csv), ["name", "phone", "email", "tags", "attr:ciudad"]),
  ).rejects.toMatchObject({
    status: 403,
  });
  // a file with nothing under its header, and a mapping that does not fit it
  expect(() => readImportFile("Nombre,Teléfono\n")).toThrow();
  await expect(importContacts(t.ctx, admin, readImportFile(csv), ["name"])).rejects.toMatchObject({
    code: "csv_mapping",
  });
});

test("defined attributes are checked as the contact page checks them: a number stored as one, a bad one named", async () => {
  await t.req("POST", "/api/v1/contact-fields", {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { key: "compras", label: "Compras", type: "number" },
  });
  const bad = await importContacts(t.ctx, admin, readImportFile("Nombre,Compras\nRosa,3\nLuis,muchas"), [
    "name",
    "attr:compras",
  ]).catch((e) => e);
  expect(bad).toMatchObject({ code: "csv_value", details: { line: 3, column: "Compras", value: "muchas" } });
  expect((await t.ctx.db.select().from(contacts)).length).toBe(0);
  await importContacts(t.ctx, admin, readImportFile("Nombre,Compras\nRosa,3"), ["name", "attr:compras"]);
  expect((await t.ctx.db.select().from(contacts).get())?.attributes).toEqual({ compras: 3 });
});
