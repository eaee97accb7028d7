// The library of files (manual 6.9): images, video, audio and documents uploaded once, then sent from quick
// replies, rules, sequences and flows. Administrators keep it; everyone on the team may see and send what is in it.
import { z } from "zod";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { libraryItems } from "./schema.ts";
import { files } from "../platform/schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, forbidden, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { mediaProblem, type MediaLimits } from "../platform/files.ts";
import type { Db, Tx } from "../platform/db.ts";

export type LibraryItem = typeof libraryItems.$inferSelect;
type Kind = LibraryItem["kind"];

export const itemPatch = z.strictObject({ title: z.string().trim().min(1).max(120) });

const kindOf = (mime: string): Kind =>
  mime.startsWith("image/")
    ? "image"
    : mime.startsWith("video/")
      ? "video"
      : mime.startsWith("audio/")
        ? "audio"
        : "document";

/** The team (any person, any API key) sees the library; a web-chat visitor never reaches these routes. */
const teamOnly = (actor: Actor) => {
  if (actor.kind === "user" || actor.kind === "api_key" || actor.kind === "system") return;
  throw forbidden();
};

/** The channels' media limits in use (each kind once), to tell the owner where a file can go before it is sent. */
function channelLimits(ctx: Ctx): MediaLimits[] {
  const seen = new Map<string, MediaLimits>();
  for (const a of ctx.channels.all()) {
    const m = a.capabilities.media;
    if (m && !seen.has(m.channel)) seen.set(m.channel, m);
  }
  return [...seen.values()];
}

export type ItemView = LibraryItem & {
  name: string;
  mime: string;
  size: number;
  /** per channel with limits: null when it fits, else the reason (code and the sentence's details) */
  fits: { channel: string; problem: null | { code: string; details: Record<string, unknown> } }[];
};

function view(ctx: Ctx, item: LibraryItem, f: { name: string; mime: string; size: number }): ItemView {
  return {
    ...item,
    name: f.name,
    mime: f.mime,
    size: f.size,
    fits: channelLimits(ctx).map((l) => {
      const p = mediaProblem(l, f);
      return { channel: l.channel, problem: p ? { code: p.code, details: p.details } : null };
    }),
  };
}

/** Adds an uploaded file to the library (the store checks its type and size; each channel's limits are shown). */
export async function addItem(ctx: Ctx, actor: Actor, file: Blob & { name?: string }, title?: string) {
  assertAdmin(actor);
  const t = (title ?? "").trim() || (file.name ?? "").replace(/\.[^.]{1,8}$/, "").trim() || "archivo";
  if (t.length > 120) throw badRequest("title_too_long", "A title has at most 120 characters", { field: "title" });
  const saved = await ctx.files.save(file, null, ctx.clock.now());
  const now = ctx.clock.now();
  const item: LibraryItem = {
    id: newId(now),
    fileId: saved.fileId,
    title: t,
    kind: kindOf(saved.mime),
    uses: 0,
    createdBy: actor.kind === "user" ? actor.id : null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.database.write((tx) => tx.insert(libraryItems).values(item));
  } catch (e) {
    await ctx.files.remove(saved.fileId).catch(() => {});
    throw e;
  }
  return view(ctx, item, saved);
}

export async function listItems(ctx: Ctx, actor: Actor, opts: { kind?: string; q?: string } = {}) {
  teamOnly(actor);
  const kind = z
    .enum(["image", "video", "audio", "document"])
    .optional()
    .safeParse(opts.kind || undefined);
  if (!kind.success) throw badRequest("invalid_kind", "kind is image, video, audio or document", { field: "kind" });
  const q = (opts.q ?? "").trim().slice(0, 100);
  const rows = await ctx.db
    .select({ item: libraryItems, name: files.name, mime: files.mime, size: files.size })
    .from(libraryItems)
    .innerJoin(files, eq(files.id, libraryItems.fileId))
    .where(
      and(
        kind.data ? eq(libraryItems.kind, kind.data) : undefined,
        // words of the title, taken literally (a "%" or "_" typed is searched for, not a wildcard)
        q ? sql`instr(lower(${libraryItems.title}), ${q.toLowerCase()}) > 0` : undefined,
      ),
    )
    .orderBy(asc(sql`lower(${libraryItems.title})`), asc(libraryItems.id))
    .limit(500);
  return rows.map((r) => view(ctx, r.item, r));
}

async function itemRow(db: Pick<Tx, "select"> | Db, id: string) {
  return (db as Pick<Tx, "select">)
    .select({ item: libraryItems, name: files.name, mime: files.mime, size: files.size, path: files.path })
    .from(libraryItems)
    .innerJoin(files, eq(files.id, libraryItems.fileId))
    .where(eq(libraryItems.id, id))
    .get();
}

export async function getItem(ctx: Ctx, actor: Actor, id: string) {
  teamOnly(actor);
  const r = await itemRow(ctx.db, id);
  if (!r) throw notFound("Library item");
  return view(ctx, r.item, r);
}

/** The item's bytes, for its preview in the console and the API. */
export async function itemFile(ctx: Ctx, actor: Actor, id: string) {
  const item = await getItem(ctx, actor, id);
  const f = await ctx.files.get(item.fileId);
  if (!f) throw notFound("Library item");
  return { file: f.file, mime: item.mime, name: item.name };
}

export async function renameItem(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof itemPatch>) {
  assertAdmin(actor);
  const p = itemPatch.parse(input);
  const done = await ctx.database.write((tx) =>
    tx
      .update(libraryItems)
      .set({ title: p.title, updatedAt: ctx.clock.now() })
      .where(eq(libraryItems.id, id))
      .returning({ id: libraryItems.id }),
  );
  if (!done.length) throw notFound("Library item");
  return getItem(ctx, actor, id);
}

/**
 * Removes an item. What was already sent stays in its conversations (their own rows on the bytes); a rule, step or
 * flow that still names it is refused when it runs, with the reason in its log.
 */
export async function deleteItem(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  const r = await itemRow(ctx.db, id);
  if (!r) throw notFound("Library item");
  await ctx.database.write((tx) => tx.delete(libraryItems).where(eq(libraryItems.id, id)));
  await ctx.files.remove(r.item.fileId);
}

/**
 * Checks that each id names an item, naming the field of the first that does not: 400 for an editor's save (a rule,
 * a step, a flow, a quick reply, as for their other references), 422 for a message about to be sent.
 */
export async function checkLibraryIds(
  db: Pick<Tx, "select"> | Db,
  ids: readonly string[],
  field: string,
  status: 400 | 422 = 400,
) {
  if (!ids.length) return;
  const found = new Set(
    (
      await (db as Pick<Tx, "select">)
        .select({ id: libraryItems.id })
        .from(libraryItems)
        .where(inArray(libraryItems.id, [...new Set(ids)]))
    ).map((r) => r.id),
  );
  const missing = ids.find((id) => !found.has(id));
  if (missing)
    throw new AppError(status, "unknown_library_item", "No file in the library with that id", {
      field,
      value: missing.slice(0, 64),
    });
}

/** The items a message will carry, read (no write): each as the attachment it will become. */
export async function libraryAttachments(tx: Pick<Tx, "select">, ids: readonly string[]) {
  await checkLibraryIds(tx, ids, "library", 422);
  const out: { itemId: string; path: string; name: string; mime: string; size: number }[] = [];
  for (const id of ids) {
    const r = (await itemRow(tx, id))!;
    out.push({ itemId: id, path: r.path, name: r.name, mime: r.mime, size: r.size });
  }
  return out;
}

/**
 * Sends library items in a message: each gets a file row of the conversation's on the same bytes (so access
 * follows the conversation, as for any attachment) and counts one more use. Inside the message's transaction.
 */
export async function useLibraryTx(
  tx: Tx,
  items: Awaited<ReturnType<typeof libraryAttachments>>,
  conversationId: string,
  now: number,
) {
  const out: { fileId: string; name: string; mime: string; size: number }[] = [];
  for (const it of items) {
    const fileId = newId(now);
    await tx.insert(files).values({
      id: fileId,
      name: it.name,
      mime: it.mime,
      size: it.size,
      path: it.path,
      conversationId,
      createdAt: now,
    });
    await tx
      .update(libraryItems)
      .set({ uses: sql`${libraryItems.uses} + 1` })
      .where(eq(libraryItems.id, it.itemId));
    out.push({ fileId, name: it.name, mime: it.mime, size: it.size });
  }
  return out;
}
