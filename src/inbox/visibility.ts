import { and, or, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { channels, contacts, conversations } from "./schema.ts";
import { seesAll, type Actor } from "../platform/context.ts";
import { AppError, badRequest } from "../platform/errors.ts";
import { files } from "../platform/schema.ts";
import type { Attachment } from "./schema.ts";
import type { Db, Tx } from "../platform/db.ts";

/** The conversations an actor may see: administrators and API keys (any scope) all; an agent those assigned to them or their departments. */
export function visibleWhere(actor: Actor): SQL | undefined {
  if (seesAll(actor)) return undefined;
  if (actor.kind !== "user") return sql`0`;
  const mine = eq(conversations.assigneeId, actor.id);
  return actor.departmentIds.length ? or(mine, inArray(conversations.departmentId, actor.departmentIds)) : mine;
}

export function canSee(actor: Actor, c: { assigneeId: string | null; departmentId: string | null }) {
  if (seesAll(actor)) return true;
  if (actor.kind !== "user") return false;
  return c.assigneeId === actor.id || (!!c.departmentId && actor.departmentIds.includes(c.departmentId));
}

/**
 * Rows of another domain (orders, tickets, appointments) that belong to a contact: an agent sees them only when
 * the contact has a conversation the agent can see, the rule contacts follow. Undefined (no condition) for admins.
 */
export function contactVisibleWhere(actor: Actor, contactIdColumn: SQLiteColumn): SQL | undefined {
  if (seesAll(actor)) return undefined;
  if (actor.kind !== "user") return sql`0`;
  return sql`${contactIdColumn} IN (SELECT ${conversations.contactId} FROM ${conversations} WHERE ${visibleWhere(actor)})`;
}

/** Whether a contact has a conversation the actor can see (how agents see contacts and what belongs to them). */
export async function contactVisibleTo(db: Pick<Tx, "select"> | Pick<Db, "select">, actor: Actor, contactId: string) {
  if (seesAll(actor)) return true;
  if (actor.kind !== "user") return false;
  const r = await (db as Pick<Tx, "select">)
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.contactId, contactId), visibleWhere(actor)))
    .limit(1)
    .get();
  return !!r;
}

/**
 * The conversation and contact that a new order, ticket or appointment refers to, checked to exist and to be
 * visible to the actor (an agent cannot attach work to a conversation she cannot see). A conversation gives its
 * contact; a contact given with it must be that one. Unknown and invisible read the same (400, the field named).
 */
export async function checkReferences(
  tx: Pick<Tx, "select">,
  actor: Actor,
  ref: { conversationId?: string | null; contactId?: string | null },
) {
  let contactId = ref.contactId ?? null;
  let departmentId: string | null = null;
  if (ref.conversationId) {
    const conv = await tx
      .select({
        contactId: conversations.contactId,
        assigneeId: conversations.assigneeId,
        departmentId: conversations.departmentId,
      })
      .from(conversations)
      .where(eq(conversations.id, ref.conversationId))
      .get();
    if (!conv || !canSee(actor, conv))
      throw badRequest("unknown_conversation", "No conversation with that id that you can see", {
        field: "conversationId",
      });
    if (contactId && contactId !== conv.contactId)
      throw badRequest("contact_mismatch", "The contact is not the conversation's", { field: "contactId" });
    contactId = conv.contactId;
    departmentId = conv.departmentId;
  } else if (contactId) {
    const c = await tx.select({ id: contacts.id }).from(contacts).where(eq(contacts.id, contactId)).get();
    if (!c || !(await contactVisibleTo(tx, actor, contactId)))
      throw badRequest("unknown_contact", "No contact with that id that you can see", { field: "contactId" });
  }
  return { contactId, departmentId };
}

/** Whether an actor may see a row that belongs to a conversation and/or a contact (the rule of contactVisibleWhere). */
export async function canSeeRowOf(
  tx: Pick<Tx, "select">,
  actor: Actor,
  row: { conversationId?: string | null; contactId?: string | null; departmentId?: string | null },
) {
  if (seesAll(actor)) return true;
  if (actor.kind !== "user") return false;
  if (row.departmentId && actor.departmentIds.includes(row.departmentId)) return true;
  if (row.conversationId) {
    const conv = await tx
      .select({ assigneeId: conversations.assigneeId, departmentId: conversations.departmentId })
      .from(conversations)
      .where(eq(conversations.id, row.conversationId))
      .get();
    if (conv && canSee(actor, conv)) return true;
  }
  return !!row.contactId && contactVisibleTo(tx, actor, row.contactId);
}

/**
 * Whether the actor may see a stored file: one of a conversation follows that conversation; one of no conversation
 * (knowledge uploads, a visitor's file before its message) only for those who see everything (not agents).
 */
export async function fileVisibleTo(
  db: Pick<Tx, "select"> | Pick<Db, "select">,
  actor: Actor,
  file: { conversationId: string | null },
) {
  if (seesAll(actor)) return true;
  if (!file.conversationId) return false;
  const conv = await (db as Pick<Tx, "select">)
    .select({ assigneeId: conversations.assigneeId, departmentId: conversations.departmentId })
    .from(conversations)
    .where(eq(conversations.id, file.conversationId))
    .get();
  return !!conv && canSee(actor, conv);
}

/**
 * The attachments of a reply, each checked to be a stored file the sender may see, described from what is
 * stored (name, type and size as uploaded, not as the caller says). Unknown and invisible read the same (422).
 */
export async function checkAttachments(
  tx: Pick<Tx, "select">,
  actor: Actor,
  sent: { fileId: string }[],
): Promise<Attachment[]> {
  if (!sent.length) return [];
  const ids = [...new Set(sent.map((a) => a.fileId))];
  const rows = await tx.select().from(files).where(inArray(files.id, ids));
  const out: Attachment[] = [];
  for (const a of sent) {
    const f = rows.find((r) => r.id === a.fileId);
    if (!f || !(await fileVisibleTo(tx, actor, f)))
      throw new AppError(422, "unknown_file", "No stored file with that id that you can use", {
        fileId: a.fileId.slice(0, 64),
      });
    out.push({ fileId: f.id, name: f.name, mime: f.mime, size: f.size });
  }
  return out;
}

/**
 * Whether an agent serves a channel: it belongs to one of her departments or to none (everyone answers it), or
 * she can see one of its conversations. What is a channel's own (its message templates) is shown only then.
 */
export async function servesChannel(db: Pick<Tx, "select"> | Pick<Db, "select">, actor: Actor, channelId: string) {
  const d = db as Pick<Tx, "select">;
  const ch = await d
    .select({ departmentId: channels.departmentId, deletedAt: channels.deletedAt })
    .from(channels)
    .where(eq(channels.id, channelId))
    .get();
  if (!ch) return false;
  if (seesAll(actor)) return true;
  if (actor.kind !== "user" || ch.deletedAt) return false;
  if (!ch.departmentId || actor.departmentIds.includes(ch.departmentId)) return true;
  return !!(await d
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.channelId, channelId), visibleWhere(actor)))
    .limit(1)
    .get());
}
