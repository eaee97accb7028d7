// A product's pictures (manual 2.5, the menu with photos): several per product, the first the main one, each kept
// with a thumbnail. The console makes the thumbnail in the browser when the picture is chosen (a JPEG at most
// THUMB_EDGE pixels on its longer side); a picture sent without one (the API, a browser without scripts) is its own
// thumbnail. The pictures are the catalog's, shown to anyone (the web chat, a link): /media/products/<file id>
// answers only files that are some product's picture.
import { eq, sql } from "drizzle-orm";
import { products, type ProductImage } from "./schema.ts";
import { AppError, badRequest, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";

export const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/webp", "image/gif"]);
export const MAX_IMAGES = 8;
export const THUMB_EDGE = 320;
const THUMB_MAX_BYTES = 200_000;

const typeOf = (f: Blob) => (f.type || "").split(";")[0]!.trim().toLowerCase();

/** Adds pictures (each with its thumbnail, or none) at the end of a product's; refused whole when one is not a picture. */
export async function addProductImages(
  ctx: Ctx,
  actor: Actor,
  productId: string,
  items: { image: Blob & { name?: string }; thumb?: (Blob & { name?: string }) | null }[],
) {
  assertAdmin(actor);
  const p = await ctx.db.select().from(products).where(eq(products.id, productId)).get();
  if (!p) throw notFound("Product");
  if (!items.length) throw badRequest("image_missing", "Choose at least one picture", { field: "image" });
  if (p.images.length + items.length > MAX_IMAGES)
    throw badRequest("too_many_images", `A product has at most ${MAX_IMAGES} pictures`, { max: MAX_IMAGES });
  for (const [i, it] of items.entries()) {
    if (!IMAGE_TYPES.has(typeOf(it.image)))
      throw new AppError(415, "image_type", "A picture is a PNG, JPEG, WebP or GIF", {
        field: `image.${i}`,
        mime: typeOf(it.image),
      });
    if (it.thumb && (!IMAGE_TYPES.has(typeOf(it.thumb)) || it.thumb.size > THUMB_MAX_BYTES))
      throw badRequest("invalid_thumbnail", "A thumbnail is a small picture", { field: `thumb.${i}` });
  }
  const now = ctx.clock.now();
  const added: ProductImage[] = [];
  try {
    for (const it of items) {
      const image = await ctx.files.save(it.image, null, now);
      const thumb = it.thumb ? await ctx.files.save(it.thumb, null, now) : image;
      added.push({ fileId: image.fileId, thumbId: thumb.fileId, name: image.name });
    }
    return await ctx.database.write(async (tx) => {
      const cur = await tx.select({ images: products.images }).from(products).where(eq(products.id, productId)).get();
      if (!cur) throw notFound("Product");
      // (two uploads at once: the limit holds over both)
      if (cur.images.length + added.length > MAX_IMAGES)
        throw badRequest("too_many_images", `A product has at most ${MAX_IMAGES} pictures`, { max: MAX_IMAGES });
      const images = [...cur.images, ...added];
      await tx.update(products).set({ images, updatedAt: now }).where(eq(products.id, productId));
      return images;
    });
  } catch (e) {
    for (const a of added) {
      await ctx.files.remove(a.fileId).catch(() => {});
      if (a.thumbId !== a.fileId) await ctx.files.remove(a.thumbId).catch(() => {});
    }
    throw e;
  }
}

/** Takes a picture off a product (its file and thumbnail gone); `main` makes one the first instead. */
export async function changeProductImage(
  ctx: Ctx,
  actor: Actor,
  productId: string,
  fileId: string,
  change: "remove" | "main",
) {
  assertAdmin(actor);
  const gone = await ctx.database.write(async (tx) => {
    const p = await tx.select({ images: products.images }).from(products).where(eq(products.id, productId)).get();
    if (!p) throw notFound("Product");
    const it = p.images.find((x) => x.fileId === fileId);
    if (!it) throw notFound("Picture");
    const rest = p.images.filter((x) => x.fileId !== fileId);
    const images = change === "main" ? [it, ...rest] : rest;
    await tx.update(products).set({ images, updatedAt: ctx.clock.now() }).where(eq(products.id, productId));
    return change === "remove" ? it : null;
  });
  if (gone) {
    await ctx.files.remove(gone.fileId);
    if (gone.thumbId !== gone.fileId) await ctx.files.remove(gone.thumbId);
  }
}

/** A product picture's stored file (the picture or its thumbnail), or null for any other file. */
export async function productImageFile(ctx: Ctx, fileId: string) {
  const used = await ctx.db
    .select({ id: products.id })
    .from(products)
    .where(
      sql`EXISTS (SELECT 1 FROM json_each(${products.images}) WHERE json_extract(value, '$.fileId') = ${fileId} OR json_extract(value, '$.thumbId') = ${fileId})`,
    )
    .limit(1)
    .get();
  return used ? ctx.files.get(fileId) : null;
}

/** The address of a product picture (or its thumbnail) as the console and the web chat show it. */
export const imageUrl = (fileId: string) => `/media/products/${encodeURIComponent(fileId)}`;
