// A product's pictures (issue #13 item 1, "several images per product with thumbnails") through API v1 on a real
// data dir: added with their thumbnails (or without: the picture is its own), the first the main one, reordered,
// taken off (their files gone); only a picture is taken, at most 8; only administrators change them; the catalog's
// pictures are served to anyone at /media/products/<file id>, and no other stored file is.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { products } from "../../src/commerce/schema.ts";
import { files } from "../../src/platform/schema.ts";
import { createProduct } from "../../src/commerce/service.ts";
import { PNG } from "../support/media.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, id: string;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  id = (await createProduct(t.ctx, SYS, { sku: "PIZZA", name: "Pizza hawaiana", price: 15000 })).id;
});
afterEach(() => t.close());

const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const upload = (
  parts: [string, Uint8Array<ArrayBuffer>, string, string][],
  headers: Record<string, string> = key(),
) => {
  const fd = new FormData();
  for (const [field, bytes, name, type] of parts) fd.append(field, new File([bytes], name, { type }));
  return t.req("POST", `/api/v1/products/${id}/images`, { body: fd, headers });
};
const imagesOf = async () => (await t.ctx.db.select().from(products).where(eq(products.id, id)).get())!.images;

test("pictures with their thumbnails, the first the main one, reordered and taken off", async () => {
  const r = await upload([
    ["image", PNG, "pizza.png", "image/png"],
    ["image", PNG, "pizza-2.png", "image/png"],
    ["thumb", PNG, "pizza-mini.jpg", "image/jpeg"],
    ["thumb", PNG, "pizza-2-mini.jpg", "image/jpeg"],
  ]);
  expect(r.status).toBe(201);
  let list = await imagesOf();
  expect(list.map((x) => x.name)).toEqual(["pizza.png", "pizza-2.png"]);
  expect(list.every((x) => x.thumbId !== x.fileId)).toBe(true);
  // anyone can see the catalog's pictures (the web chat shows them): the picture and its thumbnail
  for (const f of [list[0]!.fileId, list[0]!.thumbId]) {
    const pic = await t.req("GET", `/media/products/${f}`);
    expect([pic.status, pic.headers.get("cache-control")]).toEqual([200, "public, max-age=86400, immutable"]);
    expect(new Uint8Array(await pic.arrayBuffer())).toEqual(PNG);
  }
  // a picture sent without a thumbnail is its own
  expect((await upload([["image", PNG, "sola.png", "image/png"]])).status).toBe(201);
  list = await imagesOf();
  expect(list[2]!.thumbId).toBe(list[2]!.fileId);
  // the second becomes the main one
  const main = await t.req("POST", `/api/v1/products/${id}/images/${list[1]!.fileId}/main`, { headers: key() });
  expect(main.status).toBe(200);
  expect((await imagesOf()).map((x) => x.name)).toEqual(["pizza-2.png", "pizza.png", "sola.png"]);
  // taken off: its files too
  const gone = list[0]!;
  const del = await t.req("DELETE", `/api/v1/products/${id}/images/${gone.fileId}`, { headers: key() });
  expect(del.status).toBe(200);
  expect((await imagesOf()).map((x) => x.name)).toEqual(["pizza-2.png", "sola.png"]);
  for (const f of [gone.fileId, gone.thumbId]) {
    expect(await t.ctx.db.select().from(files).where(eq(files.id, f)).get()).toBeUndefined();
    expect((await t.req("GET", `/media/products/${f}`)).status).toBe(404);
  }
});

test("only pictures, at most 8, only administrators; no other stored file is served as a product's", async () => {
  const before = await t.ctx.db.select().from(files);
  const pdf = await upload([["image", new TextEncoder().encode("%PDF-1.4\n%%EOF\n"), "menu.pdf", "application/pdf"]]);
  expect([pdf.status, (await pdf.json()).error.code]).toEqual([415, "image_type"]);
  const noThumb = await upload([
    ["image", PNG, "a.png", "image/png"],
    ["thumb", new TextEncoder().encode("hola"), "a.txt", "text/plain"],
  ]);
  expect([noThumb.status, (await noThumb.json()).error.code]).toEqual([400, "invalid_thumbnail"]);
  expect(await t.ctx.db.select().from(files)).toEqual(before);
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await upload([["image", PNG, "a.png", "image/png"]], ana)).status).toBe(403);
  // eight, then a ninth refused
  const eight = Array.from(
    { length: 8 },
    (_, i) => ["image", PNG, `p${i}.png`, "image/png"] as [string, Uint8Array<ArrayBuffer>, string, string],
  );
  expect((await upload(eight)).status).toBe(201);
  const ninth = await upload([["image", PNG, "p9.png", "image/png"]]);
  expect([ninth.status, (await ninth.json()).error.code]).toEqual([400, "too_many_images"]);
  expect((await imagesOf()).length).toBe(8);
  // a file that is not a product's picture (an agent's attachment) is not served here
  const other = await t.ctx.files.save(new File([PNG], "privado.png", { type: "image/png" }), null);
  expect((await t.req("GET", `/media/products/${other.fileId}`)).status).toBe(404);
});
