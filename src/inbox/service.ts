import { z } from "zod";
import { mediaKind, templateMediaHeader, type OutboundPayload } from "../channels/types.ts";
import { and, eq, ne, desc, asc, gt, lt, lte, or, sql, inArray, notInArray, isNull, type SQL } from "drizzle-orm";
import {
  channels,
  contacts,
  contactIdentities,
  conversations,
  messages,
  tags,
  conversationTags,
  quickReplies,
  type Attachment,
  type MessageContent,
} from "./schema.ts";
import { users, departments } from "../auth/schema.ts";
import { outbox, files } from "../platform/schema.ts";
import { channelTemplates } from "../channels/schema.ts";
import { agents } from "../agents/schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, notFound, conflict } from "../platform/errors.ts";
import { assertAdmin, leadsDepartment, seesAll, type Actor, type Ctx } from "../platform/context.ts";
import { canTakeMore } from "./assignment.ts";
import { preparedFor, placeholdersOf, type Tx, type AfterCommit } from "../platform/db.ts";
import { onlyIf } from "../platform/outbox.ts";
import { visibleWhere, canSee, checkAttachments } from "./visibility.ts";
import { ftsQuery, phoneDigits } from "./search.ts";
import { actorRef } from "./contacts.ts";
import { patchOf, idRef, cursor, templateRef } from "../platform/validation.ts";
import { mediaProblem } from "../platform/files.ts";
import { checkLibraryIds, libraryAttachments, useLibraryTx } from "../library/service.ts";
import { libraryRefs } from "../library/model.ts";

export type Conversation = typeof conversations.$inferSelect;
export type Message = typeof messages.$inferSelect;

/** A template's body with its {{1}}, {{2}}… placeholders filled in. */
export function renderTemplate(body: string, params: string[]) {
  return body.replace(/\{\{(\d+)\}\}/g, (m, n) => params[Number(n) - 1] ?? m);
}

const preview = (body: string, attachments: Attachment[]) =>
  (body || (attachments[0] ? `📎 ${attachments[0].name}` : "")).replace(/\s+/g, " ").slice(0, 140);

/** What realtime needs to route an event about a conversation to the consoles allowed to see it. */
function scopeOf(c: Pick<Conversation, "id" | "assigneeId" | "departmentId" | "contactId" | "channelId">) {
  return {
    conversationId: c.id,
    assigneeId: c.assigneeId,
    departmentId: c.departmentId,
    contactId: c.contactId,
    channelId: c.channelId,
  };
}

// ---------------------------------------------------------------- inbound

export const inboundInput = z.object({
  channelId: idRef,
  /** the channel's own id of this message; a repeat is ignored */
  externalId: z.string().min(1).max(200).nullish(),
  from: z.object({
    externalId: z.string().min(1).max(200),
    name: z.string().max(200).optional(),
    phone: z.string().max(40).nullish(),
    email: z.string().max(200).nullish(),
  }),
  body: z.string().max(10_000).default(""),
  attachments: z
    .array(z.object({ fileId: idRef, name: z.string().max(200), mime: z.string().max(100), size: z.number() }))
    .max(20)
    .default([]),
  at: z.number().int().optional(),
  /** structured content from a channel adapter (location, contacts, a button choice…) */
  content: z
    .custom<MessageContent>((v) => v === undefined || v === null || (typeof v === "object" && !Array.isArray(v)))
    .nullish(),
  /** the channel's id of the message this one quotes */
  replyToExternalId: z.string().max(200).nullish(),
});

/**
 * Records one inbound customer message: contact, conversation, message and event in one short transaction.
 * Resolves only after commit, so a channel acknowledges only what is stored. A repeated external id returns the
 * stored message with duplicate=true and changes nothing.
 */
export async function ingestInbound(ctx: Ctx, input: z.input<typeof inboundInput>) {
  const m = inboundInput.parse(input);
  if (!m.body.trim() && !m.attachments.length && !m.content)
    throw badRequest("empty_message", "A message needs text or an attachment");
  try {
    return await ctx.database.write((tx, after) => ingestTx(ctx, tx, after, m, true));
  } catch (e) {
    if (!(e instanceof InlineReplyFailed)) throw e;
    // the message is stored whatever a reply made with it does: again, without it (the engine answers it then)
    ctx.log.warn("inline reply failed; the message is stored without it", { error: String(e.cause) });
    return ctx.database.write((tx, after) => ingestTx(ctx, tx, after, m, false));
  }
}

/** A reply made inside ingest's transaction failed (ctx.replyInline): the transaction is undone, not the message. */
class InlineReplyFailed extends Error {}

const P = (name: string) => sql.placeholder(name);
/** What ingest needs of a conversation it adds a message to: where it is routed and who has it. */
const routingColumns = {
  id: conversations.id,
  assigneeId: conversations.assigneeId,
  departmentId: conversations.departmentId,
  ownerType: conversations.ownerType,
  agentId: conversations.agentId,
};
/** What a customer's message sets on its conversation, whatever else it changes (SET reads the row as it was). */
const arrival = {
  lastMessageAt: sql`max(${conversations.lastMessageAt}, ${P("at")})`,
  lastMessagePreview: sql`${P("preview")}`,
  lastInboundAt: sql`max(coalesce(${conversations.lastInboundAt}, 0), ${P("at")})`,
  updatedAt: sql`${P("now")}`,
};
/** The statements of ingestTx, built once per writer (this is the hottest write path). */
const ingestStatements = preparedFor((tx) => {
  return {
    duplicate: tx
      .select()
      .from(messages)
      .where(and(eq(messages.channelId, P("channelId")), eq(messages.externalId, P("externalId"))))
      .prepare(),
    identity: tx
      .select({ id: contactIdentities.contactId })
      .from(contactIdentities)
      .where(and(eq(contactIdentities.channelId, P("channelId")), eq(contactIdentities.externalId, P("externalId"))))
      .prepare(),
    insertContact: tx
      .insert(contacts)
      .values({
        id: P("id"),
        name: P("name"),
        phone: P("phone"),
        email: P("email"),
        attributes: sql`'{}'`,
        createdAt: P("now"),
        updatedAt: P("now"),
      })
      .prepare(),
    insertIdentity: tx
      .insert(contactIdentities)
      .values({
        channelId: P("channelId"),
        externalId: P("externalId"),
        contactId: P("contactId"),
        createdAt: P("now"),
      })
      .prepare(),
    // the contact's open conversation on this channel (a plain read and an update by id cost less than UPDATE … RETURNING)
    openConversation: tx
      .select(routingColumns)
      .from(conversations)
      .where(
        and(
          eq(conversations.contactId, P("contactId")),
          eq(conversations.channelId, P("channelId")),
          ne(conversations.status, "resolved"),
        ),
      )
      .orderBy(desc(conversations.lastMessageAt))
      .limit(1)
      .prepare(),
    // a snoozed or pending conversation reopens (SET expressions read the row as it was)
    touchConversation: tx
      .update(conversations)
      .set({
        ...arrival,
        // while an AI agent answers, nothing waits for people: a hand-off marks it unread
        unreadCount: sql`CASE WHEN ${conversations.ownerType} = 'bot' THEN 0 ELSE ${conversations.unreadCount} + 1 END`,
        status: sql`CASE WHEN ${conversations.status} IN ('snoozed', 'pending') THEN 'open' ELSE ${conversations.status} END`,
        snoozedUntil: sql`CASE WHEN ${conversations.status} IN ('snoozed', 'pending') THEN NULL ELSE ${conversations.snoozedUntil} END`,
      })
      .where(eq(conversations.id, P("id")))
      .prepare(),
    // the contact's last conversation on this channel if an AI agent had it when it was resolved (its agent closes
    // conversations the customer left idle): the customer's next message reopens it
    resolvedBotConversation: tx
      .select({ ...routingColumns, status: conversations.status })
      .from(conversations)
      .where(and(eq(conversations.contactId, P("contactId")), eq(conversations.channelId, P("channelId"))))
      .orderBy(desc(conversations.lastMessageAt))
      .limit(1)
      .prepare(),
    reopenConversation: tx
      .update(conversations)
      .set({
        status: "open",
        resolvedAt: null,
        snoozedUntil: null,
        ...arrival,
      })
      .where(eq(conversations.id, P("id")))
      .prepare(),
    // a resolved conversation that takes the customer's answer (its survey) keeps its status and its queue
    heldConversation: tx
      .select(routingColumns)
      .from(conversations)
      .where(eq(conversations.id, P("id")))
      .prepare(),
    touchHeld: tx
      .update(conversations)
      .set(arrival)
      .where(eq(conversations.id, P("id")))
      .prepare(),
    insertConversation: tx.insert(conversations).values(placeholdersOf(conversations)).prepare(),
    insertMessage: tx.insert(messages).values(placeholdersOf(messages)).prepare(),
  };
});

async function ingestTx(ctx: Ctx, tx: Tx, after: AfterCommit, m: z.output<typeof inboundInput>, inline = false) {
  const q = ingestStatements(tx);
  const now = ctx.clock.now();
  const at = m.at ?? now;
  if (m.externalId) {
    const dup = q.duplicate.get({ channelId: m.channelId, externalId: m.externalId });
    if (dup) return { message: dup, conversationId: dup.conversationId, duplicate: true as const };
  }
  const channel = await cachedChannel(ctx, m.channelId);
  if (!channel) throw notFound("Channel");
  const pv = preview(m.body, m.attachments);
  let contactId = q.identity.get({ channelId: channel.id, externalId: m.from.externalId })?.id;
  let conv: Pick<Conversation, "id" | "assigneeId" | "departmentId" | "ownerType" | "agentId"> | undefined;
  // the message answers a resolved conversation's survey: it stays resolved, and nobody is called to it
  let held = false;
  if (!contactId) {
    contactId = newId(now);
    q.insertContact.run({
      id: contactId,
      name: m.from.name ?? "",
      phone: m.from.phone ?? null,
      email: m.from.email ?? null,
      now,
    });
    q.insertIdentity.run({ channelId: channel.id, externalId: m.from.externalId, contactId, now });
  } else {
    conv = q.openConversation.get({ contactId, channelId: channel.id });
    if (conv) q.touchConversation.run({ at, preview: pv, now, id: conv.id });
    else {
      const choiceId = (m.content as { choice?: { id?: unknown } } | null)?.choice?.id;
      const heldId = ctx.heldConversation(
        contactId,
        channel.id,
        { text: m.body, choiceId: typeof choiceId === "string" ? choiceId : undefined, files: m.attachments.length },
        at,
      );
      const h = heldId ? q.heldConversation.get({ id: heldId }) : undefined;
      if (h) {
        q.touchHeld.run({ at, preview: pv, now, id: h.id });
        conv = h;
        held = true;
      } else {
        const last = q.resolvedBotConversation.get({ contactId, channelId: channel.id });
        if (last && last.status === "resolved" && last.ownerType === "bot" && last.agentId) {
          q.reopenConversation.run({ at, preview: pv, now, id: last.id });
          conv = last;
        }
      }
    }
  }
  const created = !conv;
  if (!conv) {
    // an active AI agent serving this channel or department answers first; otherwise the queue
    const agentId = ctx.agentFor(channel.id, channel.departmentId);
    const row: Conversation = {
      id: newId(now),
      channelId: channel.id,
      contactId,
      status: "open",
      ownerType: agentId ? "bot" : "queue",
      agentId,
      assigneeId: null,
      departmentId: channel.departmentId,
      priority: "none",
      unreadCount: agentId ? 0 : 1,
      lastMessageAt: at,
      lastMessagePreview: pv,
      snoozedUntil: null,
      createdAt: now,
      updatedAt: now,
      resolvedAt: null,
      lastInboundAt: at,
      sentiment: null,
      urgency: null,
      queuedAt: agentId ? null : at,
      assignedAt: null,
      agentRepliedAt: null,
      queueNotice: null,
      overflowedAt: null,
    };
    q.insertConversation.run(row);
    conv = row;
  }
  let content = m.content ?? null;
  if (m.replyToExternalId) {
    const quoted = q.duplicate.get({ channelId: channel.id, externalId: m.replyToExternalId });
    content = {
      ...content,
      replyTo: {
        messageId: quoted?.id ?? null,
        externalId: m.replyToExternalId,
        preview: quoted ? preview(quoted.body, quoted.attachments) : undefined,
      },
    };
  }
  const msg: Message = {
    id: newId(now),
    conversationId: conv.id,
    channelId: channel.id,
    direction: "in",
    senderType: "contact",
    senderId: contactId,
    body: m.body,
    attachments: m.attachments,
    private: false,
    status: "received",
    error: null,
    externalId: m.externalId ?? null,
    content,
    createdAt: at,
  };
  q.insertMessage.run(msg);
  // files saved before the conversation was known (a channel's media) now belong to it, for access checks
  if (m.attachments.length)
    await tx
      .update(files)
      .set({ conversationId: conv.id })
      .where(
        and(
          inArray(
            files.id,
            m.attachments.map((a) => a.fileId),
          ),
          isNull(files.conversationId),
        ),
      );
  const scope = scopeOf({ ...conv, contactId, channelId: channel.id });
  if (created)
    await ctx.events.record(tx, after, {
      type: "inbox.conversation_created",
      conversationId: conv.id,
      actor: { type: "contact", id: contactId },
      data: { ...scope, ownerType: conv.ownerType },
      at: now,
    });
  const received = await ctx.events.record(
    tx,
    after,
    {
      type: "inbox.message_received",
      conversationId: conv.id,
      actor: { type: "contact", id: contactId },
      data: {
        ...scope,
        messageId: msg.id,
        channelType: channel.type,
        ownerType: conv.ownerType,
        agentId: conv.agentId,
        // the message that opened this conversation (automations' "first message" reads it from here)
        first: created,
        ...(held ? { held: true } : {}),
      },
      at: now,
    },
    { message: msg },
  );
  // a keyword flow's first reply commits with the message (a person's conversation and a survey's answer excepted)
  if (inline && !held && conv.ownerType !== "agent")
    await ctx
      .replyInline(tx, after, {
        seq: received.seq!,
        conversationId: conv.id,
        contactId,
        channelId: channel.id,
        channelType: channel.type,
        created,
        text: m.body,
      })
      .catch((e) => {
        throw new InlineReplyFailed("inline reply failed", { cause: e });
      });
  return { message: msg, conversationId: conv.id, duplicate: false as const };
}

/** How a contact is known on a channel (their WhatsApp id, visitor id…), to address a message to them. */
export async function contactExternalId(ctx: Ctx, channelId: string, contactId: string) {
  const r = await ctx.db
    .select({ id: contactIdentities.externalId })
    .from(contactIdentities)
    .where(and(eq(contactIdentities.channelId, channelId), eq(contactIdentities.contactId, contactId)))
    .get();
  return r?.id ?? null;
}

type ChannelRow = typeof channels.$inferSelect;
const channelCaches = new WeakMap<Ctx, Map<string, ChannelRow>>();
/** Channel rows change rarely and are read on every inbound message: kept per app, dropped on any change. */
export async function cachedChannel(ctx: Ctx, id: string) {
  let cache = channelCaches.get(ctx);
  if (!cache) channelCaches.set(ctx, (cache = new Map()));
  const hit = cache.get(id);
  if (hit) return hit;
  const row = await ctx.db.select().from(channels).where(eq(channels.id, id)).get();
  if (row) cache.set(id, row);
  return row;
}
/** Called by the channels service after any change to a channel. */
export function forgetChannels(ctx: Ctx) {
  channelCaches.get(ctx)?.clear();
}

// ---------------------------------------------------------------- reading

export const listFilters = z.object({
  /** bot: an AI agent is answering; queue: waiting for a person, nobody has it ("En espera"); mine; unassigned; all */
  view: z.enum(["all", "mine", "unassigned", "bot", "queue"]).default("all"),
  status: z.enum(["open", "pending", "snoozed", "resolved", "any"]).default("open"),
  departmentId: idRef.optional(),
  tagId: idRef.optional(),
  channelId: idRef.optional(),
  q: z.string().max(200).optional(),
  before: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export type ListFilters = z.infer<typeof listFilters>;

/** The inbox list an actor may see, newest activity first, with keyset pagination (`before` = last item's cursor). */
export async function listConversations(ctx: Ctx, actor: Actor, input: z.input<typeof listFilters>) {
  const f = listFilters.parse(input);
  const conds = [visibleWhere(actor)];
  if (f.status !== "any") conds.push(eq(conversations.status, f.status));
  if (f.view === "mine") conds.push(eq(conversations.assigneeId, actor.kind === "user" ? actor.id : "-"));
  if (f.view === "unassigned") conds.push(isNull(conversations.assigneeId));
  if (f.view === "bot") conds.push(eq(conversations.ownerType, "bot"));
  if (f.view === "queue") conds.push(eq(conversations.ownerType, "queue"), isNull(conversations.assigneeId));
  if (f.departmentId) conds.push(eq(conversations.departmentId, f.departmentId));
  if (f.channelId) conds.push(eq(conversations.channelId, f.channelId));
  if (f.tagId)
    conds.push(
      sql`EXISTS (SELECT 1 FROM conversation_tags ct WHERE ct.conversation_id = ${conversations.id} AND ct.tag_id = ${f.tagId})`,
    );
  const q = f.q ? ftsQuery(f.q) : null;
  const digits = f.q ? phoneDigits(f.q) : null;
  if (digits)
    conds.push(sql`${conversations.contactId} IN (SELECT c.id FROM contacts c WHERE c.phone LIKE ${`%${digits}%`})`);
  else if (q) {
    conds.push(
      or(
        sql`${conversations.contactId} IN (SELECT c.id FROM contacts c WHERE c.rowid IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ${q}))`,
        // the newest 2,000 matching messages: FTS5 walks its doclists from the end and stops there
        sql`${conversations.id} IN (SELECT m.conversation_id FROM messages m WHERE m.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ${q} ORDER BY rowid DESC LIMIT 2000))`,
      ),
    );
  }
  if (f.before) {
    const [ts, id] = f.before.split("_");
    if (!/^\d+$/.test(ts ?? "") || !id)
      throw badRequest("invalid_cursor", "The cursor is not valid", { field: "before" });
    conds.push(
      or(
        lt(conversations.lastMessageAt, Number(ts)),
        and(eq(conversations.lastMessageAt, Number(ts)), lt(conversations.id, id)),
      ),
    );
  }
  // Two steps: the page of ids from conversations alone (walks an index in order and stops at the limit),
  // then the joined rows for those ids. One joined query lets the planner start from a small joined table
  // and sort every matching conversation, which grows with the inbox.
  const page = await ctx.db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(...conds))
    .orderBy(desc(conversations.lastMessageAt), desc(conversations.id))
    .limit(f.limit);
  const ids = page.map((r) => r.id);
  const joined = ids.length
    ? await ctx.db
        .select({
          c: conversations,
          contactName: contacts.name,
          contactPhone: contacts.phone,
          contactEmail: contacts.email,
          channelName: channels.name,
          channelType: channels.type,
          assigneeName: users.name,
          departmentName: departments.name,
        })
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .innerJoin(channels, eq(channels.id, conversations.channelId))
        .leftJoin(users, eq(users.id, conversations.assigneeId))
        .leftJoin(departments, eq(departments.id, conversations.departmentId))
        .where(inArray(conversations.id, ids))
    : [];
  const byId = new Map(joined.map((r) => [r.c.id, r]));
  const rows = ids.map((id) => byId.get(id)!).filter(Boolean);
  const tagRows = ids.length
    ? await ctx.db
        .select({ conversationId: conversationTags.conversationId, id: tags.id, name: tags.name, color: tags.color })
        .from(conversationTags)
        .innerJoin(tags, eq(tags.id, conversationTags.tagId))
        .where(inArray(conversationTags.conversationId, ids))
    : [];
  const items = rows.map((r) => ({
    ...r.c,
    contact: { id: r.c.contactId, name: r.contactName, phone: r.contactPhone, email: r.contactEmail },
    channel: { id: r.c.channelId, name: r.channelName, type: r.channelType },
    assigneeName: r.assigneeName,
    departmentName: r.departmentName,
    tags: tagRows.filter((t) => t.conversationId === r.c.id).map(({ conversationId, ...t }) => t),
  }));
  const last = items[items.length - 1];
  return { items, next: items.length === f.limit && last ? `${last.lastMessageAt}_${last.id}` : null };
}

/** Counts stop here: the tabs say "999+" beyond it, and counting never walks a whole large inbox. */
export const VIEW_COUNT_CAP = 1000;

/**
 * How many conversations each inbox view holds for this actor, under the same status filter, each up to
 * VIEW_COUNT_CAP, by short index seeks: (status, owner, assignee) and (status, owner, department). An agent's
 * count is her departments' part plus her own outside them, so neither walks the whole inbox (an exact count of
 * 100k open conversations took ~35 ms, most of the inbox page's time).
 */
export async function countViews(ctx: Ctx, actor: Actor, status: ListFilters["status"] = "open") {
  // "any" is written as every status, so the index is still entered by status (else it is read whole)
  const st =
    status !== "any"
      ? eq(conversations.status, status)
      : inArray(conversations.status, ["open", "pending", "snoozed", "resolved"]);
  const capped = async (where: SQL | undefined) => {
    const inner = ctx.db.select({ one: sql`1` }).from(conversations).where(and(st, where)).limit(VIEW_COUNT_CAP);
    const r = await ctx.db.select({ n: sql<number>`count(*)` }).from(inner.as("v")).get();
    return Number(r?.n ?? 0);
  };
  const anyOwner = inArray(conversations.ownerType, ["bot", "queue", "agent"]); // an equality on the index's second column
  const views: Record<"all" | "bot" | "queue" | "mine", SQL | undefined> = {
    all: anyOwner,
    bot: eq(conversations.ownerType, "bot"),
    queue: and(eq(conversations.ownerType, "queue"), isNull(conversations.assigneeId)),
    mine: and(anyOwner, eq(conversations.assigneeId, actor.kind === "user" ? actor.id : "-")),
  };
  const count = async (view: keyof typeof views): Promise<number> => {
    if (view === "mine") return capped(views.mine);
    if (seesAll(actor)) return capped(views[view]);
    if (actor.kind !== "user") return 0;
    const depts = actor.departmentIds;
    const inDepts = depts.length ? await capped(and(views[view], inArray(conversations.departmentId, depts))) : 0;
    const own =
      view === "queue"
        ? 0
        : await capped(
            and(
              views[view],
              eq(conversations.assigneeId, actor.id),
              depts.length
                ? or(isNull(conversations.departmentId), notInArray(conversations.departmentId, depts))
                : undefined,
            ),
          );
    return Math.min(VIEW_COUNT_CAP, inDepts + own);
  };
  const [all, bot, queue, mine] = await Promise.all([count("all"), count("bot"), count("queue"), count("mine")]);
  return { all, bot, queue, mine };
}

/** One conversation with its contact, channel and tags; 404 when it does not exist or the actor may not see it. */
export async function getConversation(ctx: Ctx, actor: Actor, id: string) {
  const r = await ctx.db
    .select({
      c: conversations,
      contact: contacts,
      channelName: channels.name,
      channelType: channels.type,
      assigneeName: users.name,
      departmentName: departments.name,
    })
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .innerJoin(channels, eq(channels.id, conversations.channelId))
    .leftJoin(users, eq(users.id, conversations.assigneeId))
    .leftJoin(departments, eq(departments.id, conversations.departmentId))
    .where(eq(conversations.id, id))
    .get();
  if (!r || !canSee(actor, r.c)) throw notFound("Conversation");
  const t = await ctx.db
    .select({ id: tags.id, name: tags.name, color: tags.color })
    .from(conversationTags)
    .innerJoin(tags, eq(tags.id, conversationTags.tagId))
    .where(eq(conversationTags.conversationId, id));
  return {
    ...r.c,
    contact: r.contact,
    channel: { id: r.c.channelId, name: r.channelName, type: r.channelType },
    assigneeName: r.assigneeName,
    departmentName: r.departmentName,
    tags: t,
  };
}

export const messagePage = z.object({
  after: cursor.optional(),
  before: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Messages of a conversation in order; `after` for catch-up, `before` for older history (returned oldest first). */
export async function listMessages(
  ctx: Ctx,
  actor: Actor,
  conversationId: string,
  input: z.input<typeof messagePage> = {},
) {
  await getConversation(ctx, actor, conversationId);
  return messagesOf(ctx, conversationId, messagePage.parse(input), true);
}

export async function messagesOf(
  ctx: Ctx,
  conversationId: string,
  p: z.output<typeof messagePage>,
  includePrivate: boolean,
) {
  const conds = [eq(messages.conversationId, conversationId)];
  if (!includePrivate) conds.push(eq(messages.private, false));
  if (p.after) conds.push(gt(messages.id, p.after));
  if (p.before) conds.push(lt(messages.id, p.before));
  if (p.after)
    return ctx.db
      .select()
      .from(messages)
      .where(and(...conds))
      .orderBy(asc(messages.id))
      .limit(p.limit);
  const rows = await ctx.db
    .select()
    .from(messages)
    .where(and(...conds))
    .orderBy(desc(messages.id))
    .limit(p.limit);
  return rows.reverse();
}

// ---------------------------------------------------------------- outbound

export const sendInput = z.strictObject({
  body: z.string().max(10_000).default(""),
  private: z.boolean().default(false),
  attachments: z
    .array(z.object({ fileId: idRef, name: z.string().max(200), mime: z.string().max(100), size: z.number() }))
    .max(10)
    .default([]),
  /** files from the library (their ids there), sent as attachments of this message */
  library: libraryRefs.default([]),
  idempotencyKey: z.string().min(8).max(200).optional(),
  /** buttons, a list or an approved template (channels that support them: WhatsApp) */
  content: z
    .strictObject({
      buttons: z
        .array(z.strictObject({ id: z.string().min(1).max(256), title: z.string().trim().min(1).max(20) }))
        .min(1)
        .max(3)
        .optional(),
      list: z
        .strictObject({
          button: z.string().trim().min(1).max(20),
          sections: z
            .array(
              z.strictObject({
                title: z.string().max(24).optional(),
                rows: z
                  .array(
                    z.strictObject({
                      id: z.string().min(1).max(200),
                      title: z.string().trim().min(1).max(24),
                      description: z.string().max(72).optional(),
                    }),
                  )
                  .min(1)
                  .max(10),
              }),
            )
            .min(1)
            .max(10),
        })
        .optional(),
      template: templateRef.optional(),
      /** options shown as chips on the web chat, the text keeping them numbered */
      quickReplies: z
        .array(
          z.strictObject({
            id: z.string().min(1).max(256),
            title: z.string().trim().min(1).max(24),
            /** a product card (the web chat): its price in words, its picture (a catalog thumbnail), a quantity */
            detail: z.string().trim().max(40).optional(),
            image: z
              .string()
              .regex(/^\/media\/products\/[\w-]{1,64}$/, "a catalog picture")
              .optional(),
            quantity: z.boolean().optional(),
          }),
        )
        .min(1)
        .max(10)
        .optional(),
    })
    .optional(),
  /** the message (ours) this reply quotes */
  replyToId: idRef.optional(),
  /**
   * A reply takes the conversation from the AI agent answering it, as a console reply does (a person answers now;
   * an API key's reply leaves it waiting for a person). false keeps the bot in charge (an integration's notice).
   */
  takeOver: z.boolean().default(true),
});

/**
 * An agent's (or an integrator's) reply or private note. A reply is written with its outbox row in one
 * transaction and delivered by the outbox; nothing calls the channel here. A human reply takes the
 * conversation from the bot or the queue, and assigns it to the replier when nobody has it.
 */
export async function sendMessage(
  ctx: Ctx,
  actor: Actor,
  conversationId: string,
  input: z.input<typeof sendInput>,
  opts: SendOptions = {},
) {
  const s = sendInput.parse(input);
  return ctx.database.write((tx, after) => sendMessageTx(ctx, tx, after, actor, conversationId, s, opts));
}
/** What DigyBot's own senders may ask beyond the API's input. */
export type SendOptions = {
  /** a resolved conversation stays resolved (a satisfaction survey and its thanks do not reopen it) */
  keepStatus?: boolean;
  /**
   * DigyBot telling the customer where they stand (their place in the queue): the conversation's order, preview
   * and unread count stay as they were, and automations do not take it for the business's last word.
   */
  notice?: boolean;
};

/** The reads and writes every reply makes, built once per writer (flows, agents and people all reply through here). */
const sendStatements = preparedFor((tx) => ({
  conversation: tx
    .select()
    .from(conversations)
    .where(eq(conversations.id, P("id")))
    .prepare(),
  prior: tx
    .select({ messageId: outbox.messageId })
    .from(outbox)
    .where(eq(outbox.idempotencyKey, P("key")))
    .prepare(),
  message: tx
    .select()
    .from(messages)
    .where(and(eq(messages.id, P("id")), eq(messages.conversationId, P("conversationId"))))
    .prepare(),
  insertMessage: tx.insert(messages).values(placeholdersOf(messages)).prepare(),
  /** conversation updates by the set of columns they change */
  updates: new Map<string, { run(v: Record<string, unknown>): unknown }>(),
}));

/** A conversation's row read in the writer's transaction (a prepared read). */
const conversationTx = (tx: Tx, id: string) => sendStatements(tx).conversation.get({ id });

/** Updates a conversation's columns by id with a statement prepared once for that set of columns. */
function updateConversationTx(tx: Tx, id: string, patch: Partial<Conversation>) {
  const keys = Object.keys(patch)
    .filter((k) => patch[k as keyof Conversation] !== undefined)
    .sort();
  const q = sendStatements(tx);
  const shape = keys.join(",");
  let st = q.updates.get(shape);
  if (!st) {
    st = tx
      .update(conversations)
      .set(Object.fromEntries(keys.map((k) => [k, P(k)])))
      .where(eq(conversations.id, P("__id")))
      .prepare();
    q.updates.set(shape, st);
  }
  st.run({ ...patch, __id: id });
}

/**
 * DigyBot's word to the customer in a conversation (an order's or a ticket's new step, a payment or tracking link):
 * a notice, which takes nobody's place and keeps the conversation's status, sent at most once per key, inside the
 * caller's write. A channel that refuses it throws before anything is written.
 */
export function sendNoticeTx(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  conversationId: string,
  input: Pick<z.input<typeof sendInput>, "body" | "content"> & { idempotencyKey: string },
) {
  return sendMessageTx(ctx, tx, after, { kind: "system", name: "DigyBot" }, conversationId, input, {
    keepStatus: true,
    notice: true,
  });
}

/**
 * sendMessage inside the caller's transaction (a flow writes its replies and its own state in one commit). Every
 * check comes before the first write, so a refusal leaves the transaction as it was.
 */
export async function sendMessageTx(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  actor: Actor,
  conversationId: string,
  input: z.input<typeof sendInput>,
  opts: SendOptions = {},
) {
  const s = sendInput.parse(input);
  const template = s.content?.template;
  if (!s.body.trim() && !s.attachments.length && !s.library.length && !template)
    throw badRequest("empty_message", "A message needs text or an attachment");
  if (s.content?.buttons && s.content.list)
    throw badRequest("invalid_content", "A message has buttons or a list, not both");
  if ((s.content?.buttons || s.content?.list) && !s.body.trim())
    throw badRequest("invalid_content", "Buttons and lists need a text body", { field: "body" });
  if (s.private && s.content) throw badRequest("invalid_content", "A private note has no buttons, lists or templates");
  if (template && (s.attachments.length || s.library.length))
    throw badRequest("invalid_content", "A template carries no attachments; its media header is chosen as its header", {
      field: "content.template.header",
    });
  // A caller's key is scoped to the conversation: the same key on another conversation is another message, and a
  // repeat only ever returns a message of this conversation, which the caller has just been checked to see.
  const key = s.idempotencyKey ? `api:${conversationId}:${s.idempotencyKey}` : null;
  const q = sendStatements(tx);
  const conv = conversationTx(tx, conversationId);
  if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
  if (key) {
    const prior = q.prior.get({ key });
    const m = prior?.messageId ? q.message.get({ id: prior.messageId, conversationId }) : undefined;
    if (m) return { message: m, duplicate: true };
  }
  const channel = await cachedChannel(ctx, conv.channelId);
  if (!channel) throw notFound("Channel");
  const uploaded = await checkAttachments(tx, actor, s.attachments);
  const fromLibrary = await libraryAttachments(tx, s.library);
  const now = ctx.clock.now();
  const user = actor.kind === "user" ? actor : null;
  const caps = ctx.channels.get(channel.type)?.capabilities;
  // what the channel cannot carry is refused now, in words, not failed later by the provider
  if (!s.private)
    for (const a of [...uploaded, ...fromLibrary]) {
      const p = mediaProblem(caps?.media, a);
      if (p) throw new AppError(422, p.code, p.message, p.details);
    }
  let body = s.body;
  const content: MessageContent = {};
  if (!s.private) {
    if ((s.content?.buttons || s.content?.list) && !caps?.interactive)
      throw new AppError(422, "not_supported_by_channel", "This channel cannot send buttons or lists", {
        channelType: channel.type,
      });
    if (s.content?.buttons) content.buttons = s.content.buttons;
    if (s.content?.quickReplies) {
      if (!caps?.quickReplies)
        throw new AppError(422, "not_supported_by_channel", "This channel cannot show quick replies", {
          channelType: channel.type,
        });
      if (s.content.quickReplies.length > caps.quickReplies.max)
        throw badRequest("too_many_options", `At most ${caps.quickReplies.max} quick replies`, {
          max: caps.quickReplies.max,
        });
      content.quickReplies = s.content.quickReplies;
    }
    if (s.content?.list) {
      const rows = s.content.list.sections.reduce((n, x) => n + x.rows.length, 0);
      if (caps?.interactive && rows > caps.interactive.maxListRows)
        throw badRequest("too_many_rows", `A list has at most ${caps.interactive.maxListRows} rows`, {
          max: caps.interactive.maxListRows,
        });
      content.list = s.content.list;
    }
    if (template) {
      if (!caps?.templates)
        throw new AppError(422, "not_supported_by_channel", "This channel has no message templates", {
          channelType: channel.type,
        });
      const t = await tx
        .select()
        .from(channelTemplates)
        .where(
          and(
            eq(channelTemplates.channelId, channel.id),
            eq(channelTemplates.name, template.name),
            eq(channelTemplates.language, template.language),
          ),
        )
        .get();
      if (t?.status !== "APPROVED")
        throw badRequest("unknown_template", "No approved template with that name and language on this channel", {
          name: template.name,
          language: template.language,
        });
      if (template.params.length !== t.params)
        throw badRequest("template_params", `The template takes ${t.params} values`, {
          expected: t.params,
          got: template.params.length,
        });
      // a media header: the template asks for an image, video or document, given as a library item
      const wants = templateMediaHeader(t.components);
      if (wants && !template.header)
        throw badRequest(
          "template_header_missing",
          `The template's header is a ${wants}: choose one from the library`,
          {
            field: "content.template.header",
            format: wants,
          },
        );
      if (!wants && template.header)
        throw badRequest("template_header_unused", "The template has no image, video or document header", {
          field: "content.template.header",
        });
      if (wants && template.header) {
        const [item] = await libraryAttachments(tx, [template.header]);
        const kind = mediaKind(item!.mime);
        if (kind !== wants)
          throw new AppError(422, "template_header_type", `The template's header is a ${wants}, not a ${kind}`, {
            field: "content.template.header",
            format: wants,
            got: kind,
          });
        const p = mediaProblem(caps?.media, item!);
        if (p) throw new AppError(422, p.code, p.message, p.details);
        fromLibrary.push(item!);
      }
      content.kind = "template";
      content.template = template;
      body = renderTemplate(t.body, template.params);
    } else if (caps?.replyWindowHours && (conv.lastInboundAt ?? 0) + caps.replyWindowHours * 3_600_000 < now) {
      throw new AppError(
        422,
        "outside_reply_window",
        `More than ${caps.replyWindowHours} hours have passed since the customer's last message: only an approved template can be sent`,
        { lastInboundAt: conv.lastInboundAt, windowHours: caps.replyWindowHours },
      );
    }
  }
  let replyToExternalId: string | null = null;
  if (s.replyToId) {
    const quoted = q.message.get({ id: s.replyToId, conversationId });
    if (!quoted)
      throw badRequest("unknown_message", "The quoted message is not in this conversation", { field: "replyToId" });
    replyToExternalId = quoted.externalId;
    content.replyTo = {
      messageId: quoted.id,
      externalId: quoted.externalId,
      preview: preview(quoted.body, quoted.attachments),
    };
  }
  // every check is done: the library's files get this conversation's rows (the first write)
  const attachments = [...uploaded, ...(await useLibraryTx(tx, fromLibrary, conversationId, now))];
  const msg: Message = {
    id: newId(now),
    conversationId,
    channelId: conv.channelId,
    direction: "out",
    senderType: user ? "agent" : actor.kind === "api_key" ? "agent" : "system",
    senderId: "id" in actor ? (actor.id ?? null) : null,
    body,
    attachments,
    private: s.private,
    status: s.private ? "sent" : "queued",
    error: null,
    externalId: null,
    content: Object.keys(content).length ? content : null,
    createdAt: now,
  };
  q.insertMessage.run(msg);
  const patch: Partial<Conversation> = { updatedAt: now };
  if (!s.private) {
    if (!opts.notice) {
      patch.lastMessageAt = now;
      patch.lastMessagePreview = preview(body, attachments);
      patch.unreadCount = 0;
    }
    // a notice (an order's or a ticket's new status) tells the customer something; it takes nobody's place
    if (user && s.takeOver && !opts.notice) {
      patch.ownerType = "agent";
      if (!conv.assigneeId) patch.assigneeId = user.id;
    } else if (s.takeOver && !opts.notice && conv.ownerType === "bot") patch.ownerType = "queue";
    if ((conv.status === "resolved" && !opts.keepStatus) || conv.status === "snoozed") {
      patch.status = "open";
      patch.snoozedUntil = null;
    }
    await ctx.outbox.enqueue(tx, after, {
      channelId: channel.id,
      messageId: msg.id,
      idempotencyKey: key ?? `msg:${msg.id}`,
      payload: {
        channelType: channel.type,
        conversationId,
        contactId: conv.contactId,
        body,
        attachments,
        content: msg.content,
        replyToExternalId,
      } satisfies OutboundPayload,
    });
  }
  updateConversationTx(tx, conversationId, patch);
  const next = { ...conv, ...patch };
  await ctx.events.record(
    tx,
    after,
    {
      type: "inbox.message_created",
      conversationId,
      actor: actorRef(actor),
      data: {
        ...scopeOf(next),
        previous: scopeOf(conv),
        messageId: msg.id,
        private: msg.private,
        channelType: channel.type,
        ...(opts.notice ? { notice: true } : {}),
      },
    },
    { message: msg },
  );
  if (patch.assigneeId && patch.assigneeId !== conv.assigneeId) {
    await ctx.events.record(tx, after, {
      type: "inbox.conversation_updated",
      conversationId,
      actor: actorRef(actor),
      data: {
        ...scopeOf(next),
        previous: scopeOf(conv),
        changes: { assigneeId: patch.assigneeId, ownerType: "agent" },
      },
    });
  }
  return { message: msg, duplicate: false };
}

/**
 * An AI agent's reply. Written only while the conversation is still the agent's (the bot never talks over a
 * human: a reply or a takeover that committed first wins), with its outbox row in the same transaction.
 * `idempotencyKey` ties the reply to the customer message it answers, so a turn run again after a crash
 * does not send twice. Returns null when the conversation is no longer the agent's.
 */
export async function sendBotMessage(
  ctx: Ctx,
  conversationId: string,
  agentId: string,
  input: { body: string; content?: MessageContent | null; idempotencyKey: string },
) {
  return ctx.database.write(async (tx, after) => {
    const key = `bot:${input.idempotencyKey}`;
    const prior = await tx
      .select({ messageId: outbox.messageId })
      .from(outbox)
      .where(eq(outbox.idempotencyKey, key))
      .get();
    if (prior?.messageId)
      return {
        message: (await tx.select().from(messages).where(eq(messages.id, prior.messageId)).get())!,
        duplicate: true,
      };
    const conv = conversationTx(tx, conversationId);
    if (conv?.ownerType !== "bot" || conv.agentId !== agentId) return null;
    const channel = await cachedChannel(ctx, conv.channelId);
    if (!channel || channel.deletedAt) return null;
    const now = ctx.clock.now();
    const msg: Message = {
      id: newId(now),
      conversationId,
      channelId: conv.channelId,
      direction: "out",
      senderType: "bot",
      senderId: agentId,
      body: input.body,
      attachments: [],
      private: false,
      status: "queued",
      error: null,
      externalId: null,
      content: input.content ?? null,
      createdAt: now,
    };
    await tx.insert(messages).values(msg);
    const patch: Partial<Conversation> = {
      updatedAt: now,
      lastMessageAt: now,
      lastMessagePreview: preview(input.body, []),
    };
    if (conv.status === "resolved" || conv.status === "snoozed") {
      patch.status = "open";
      patch.snoozedUntil = null;
    }
    updateConversationTx(tx, conversationId, patch);
    await ctx.outbox.enqueue(tx, after, {
      channelId: channel.id,
      messageId: msg.id,
      idempotencyKey: key,
      payload: {
        channelType: channel.type,
        conversationId,
        contactId: conv.contactId,
        body: msg.body,
        attachments: [],
        content: msg.content,
        replyToExternalId: null,
      } satisfies OutboundPayload,
    });
    const next = { ...conv, ...patch };
    await ctx.events.record(
      tx,
      after,
      {
        type: "inbox.message_created",
        conversationId,
        actor: { type: "bot", id: agentId },
        data: {
          ...scopeOf(next),
          previous: scopeOf(conv),
          messageId: msg.id,
          private: false,
          channelType: channel.type,
        },
      },
      { message: msg },
    );
    return { message: msg, duplicate: false };
  });
}

/**
 * Takes a conversation from its AI agent to people: the queue of `departmentId` (or its own), with an activity
 * line saying why. Does nothing when people already have it.
 */
export async function handOffToPeople(
  ctx: Ctx,
  conversationId: string,
  agentId: string,
  opts: { departmentId?: string | null; reason: string; agentName: string },
) {
  return ctx.database.write(async (tx, after) => {
    const conv = conversationTx(tx, conversationId);
    if (conv?.ownerType !== "bot" || conv.agentId !== agentId) return false;
    const now = ctx.clock.now();
    const patch: Partial<Conversation> = {
      ownerType: "queue",
      unreadCount: Math.max(conv.unreadCount, 1),
      updatedAt: now,
    };
    if (opts.departmentId && opts.departmentId !== conv.departmentId) {
      const d = await tx
        .select({ id: departments.id })
        .from(departments)
        .where(eq(departments.id, opts.departmentId))
        .get();
      if (d) patch.departmentId = d.id;
    }
    if (conv.status !== "open") {
      patch.status = "open";
      patch.snoozedUntil = null;
      patch.resolvedAt = null;
    }
    updateConversationTx(tx, conversationId, patch);
    await insertActivity(tx, conv, "handoff", { by: opts.agentName, reason: opts.reason }, now);
    const next = { ...conv, ...patch };
    await ctx.events.record(tx, after, {
      type: "inbox.conversation_updated",
      conversationId,
      actor: { type: "bot", id: agentId },
      data: { ...scopeOf(next), previous: scopeOf(conv), changes: patch, handoff: { reason: opts.reason } },
    });
    return true;
  });
}

/**
 * An activity line for something an AI agent did in a conversation (a ticket opened, an appointment booked, lead
 * data saved, a tag), so the people who take over see it. `apply` runs in the same transaction, for a change to
 * the conversation itself (a tag). Returns false when the conversation does not exist.
 */
export async function recordBotActivity(
  ctx: Ctx,
  conversationId: string,
  agentId: string,
  key: string,
  params: Record<string, string>,
  apply?: (tx: Tx, after: AfterCommit) => Promise<unknown>,
) {
  return recordActivity(ctx, conversationId, { type: "bot", id: agentId }, key, params, apply);
}

/** An activity line for what DigyBot itself did in a conversation (an automation's run), heard by live consoles. */
export async function recordSystemActivity(
  ctx: Ctx,
  conversationId: string,
  actorId: string,
  key: string,
  params: Record<string, string>,
  apply?: (tx: Tx, after: AfterCommit) => Promise<unknown>,
) {
  return recordActivity(ctx, conversationId, { type: "system", id: actorId }, key, params, apply);
}

async function recordActivity(
  ctx: Ctx,
  conversationId: string,
  actor: { type: "bot" | "system"; id: string },
  key: string,
  params: Record<string, string>,
  apply?: (tx: Tx, after: AfterCommit) => Promise<unknown>,
) {
  return ctx.database.write(async (tx, after) => {
    const conv = conversationTx(tx, conversationId);
    if (!conv) return false;
    if (apply) await apply(tx, after);
    await insertActivity(tx, conv, key, params, ctx.clock.now());
    await ctx.events.record(tx, after, {
      type: "inbox.conversation_updated",
      conversationId,
      actor,
      data: { ...scopeOf(conv), changes: { activity: key } },
    });
    return true;
  });
}

/** A private note written by the system or an AI agent (the copilot's summary). */
export async function addSystemNote(
  ctx: Ctx,
  conversationId: string,
  body: string,
  by: { type: "bot" | "system"; id?: string | null },
) {
  return ctx.database.write(async (tx, after) => {
    const conv = conversationTx(tx, conversationId);
    if (!conv) throw notFound("Conversation");
    const now = ctx.clock.now();
    const msg: Message = {
      id: newId(now),
      conversationId,
      channelId: conv.channelId,
      direction: "out",
      senderType: by.type === "bot" ? "bot" : "system",
      senderId: by.id ?? null,
      body,
      attachments: [],
      private: true,
      status: "sent",
      error: null,
      externalId: null,
      content: null,
      createdAt: now,
    };
    await tx.insert(messages).values(msg);
    await ctx.events.record(
      tx,
      after,
      {
        type: "inbox.message_created",
        conversationId,
        actor: by,
        data: { ...scopeOf(conv), previous: scopeOf(conv), messageId: msg.id, private: true },
      },
      { message: msg },
    );
    return msg;
  });
}

/** Records a delivery outcome from the outbox on the message, in the outbox's own transaction. */
/** The statements of applyDeliveryStatus (every outbound message goes through it at least once). */
const deliveryStatements = preparedFor((tx) => ({
  message: tx
    .select()
    .from(messages)
    .where(eq(messages.id, P("id")))
    .prepare(),
  setExternalId: tx
    .update(messages)
    .set({ externalId: sql`${P("externalId")}` })
    .where(eq(messages.id, P("id")))
    .prepare(),
  setStatus: tx
    .update(messages)
    .set({ status: sql`${P("status")}`, error: sql`${P("error")}` })
    .where(eq(messages.id, P("id")))
    .prepare(),
  conversation: tx
    .select()
    .from(conversations)
    .where(eq(conversations.id, P("id")))
    .prepare(),
}));

export async function applyDeliveryStatus(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  messageId: string,
  status: "sent" | "delivered" | "read" | "failed",
  error: string | null,
  externalId?: string,
) {
  const rank = { queued: 0, received: 0, sent: 1, delivered: 2, read: 3, failed: 4 } as const;
  const q = deliveryStatements(tx);
  const m = q.message.get({ id: messageId });
  if (!m) return;
  // a report may come before or after the outbox records the send: the channel's id is kept either way,
  // and a status never goes back (sent → delivered → read; failed stands unless a later report contradicts it)
  if (externalId && !m.externalId) q.setExternalId.run({ externalId, id: messageId });
  if (status !== "failed" && rank[m.status] >= rank[status] && m.status !== "failed") return;
  if (status === "failed" && m.status === "failed" && m.error === error) return;
  q.setStatus.run({ status, error, id: messageId });
  const conv = q.conversation.get({ id: m.conversationId });
  if (!conv) return;
  await ctx.events.record(tx, after, {
    type: "inbox.message_status",
    conversationId: conv.id,
    data: { ...scopeOf(conv), messageId, status, error },
  });
}

/**
 * A channel's delivery report for a message we sent, found by our id (a tracker the channel echoes back) or by
 * the channel's own id. An outbox row not yet settled (in flight, interrupted by a crash, or waiting to retry after
 * a timeout) is settled by it: the provider has the message, so it is not sent a second time.
 */
export async function applyChannelStatus(
  ctx: Ctx,
  channelId: string,
  ref: { messageId?: string | null; externalId: string },
  status: "sent" | "delivered" | "read" | "failed",
  error: string | null,
) {
  return ctx.database.write(async (tx, after) => {
    let m = ref.messageId
      ? await tx
          .select()
          .from(messages)
          .where(and(eq(messages.id, ref.messageId), eq(messages.channelId, channelId)))
          .get()
      : undefined;
    m ??= await tx
      .select()
      .from(messages)
      .where(and(eq(messages.channelId, channelId), eq(messages.externalId, ref.externalId)))
      .get();
    if (m?.direction !== "out") return false;
    await applyDeliveryStatus(ctx, tx, after, m.id, status, error, ref.externalId);
    await tx
      .update(outbox)
      .set({ status: status === "failed" ? "failed" : "sent", lastError: error, updatedAt: ctx.clock.now() })
      .where(and(eq(outbox.messageId, m.id), onlyIf("pending", "sending")));
    return true;
  });
}

/**
 * Changes a message the channel knows by its own id (a reaction, an edit, a deletion on the customer's side) and
 * tells the consoles. Returns false when the message is not here (older than DigyBot, or never received).
 */
export async function changeChannelMessage(
  ctx: Ctx,
  channelId: string,
  externalId: string,
  change: (m: Message) => Partial<Pick<Message, "body" | "content" | "attachments">>,
) {
  return ctx.database.write(async (tx, after) => {
    const m = await tx
      .select()
      .from(messages)
      .where(and(eq(messages.channelId, channelId), eq(messages.externalId, externalId)))
      .get();
    if (!m) return false;
    const patch = change(m);
    await tx.update(messages).set(patch).where(eq(messages.id, m.id));
    // media fetched later belongs to the message's conversation (access checks go by it)
    if (patch.attachments?.length)
      await tx
        .update(files)
        .set({ conversationId: m.conversationId })
        .where(
          and(
            inArray(
              files.id,
              patch.attachments.map((a) => a.fileId),
            ),
            isNull(files.conversationId),
          ),
        );
    const conv = await tx.select().from(conversations).where(eq(conversations.id, m.conversationId)).get();
    if (conv)
      await ctx.events.record(
        tx,
        after,
        { type: "inbox.message_updated", conversationId: conv.id, data: { ...scopeOf(conv), messageId: m.id } },
        { message: { ...m, ...patch } },
      );
    return true;
  });
}

/** One reaction per side on a message: a new one replaces the previous, an empty emoji removes it. */
export function withReaction(
  m: Message,
  by: "contact" | "business",
  emoji: string,
  at: number,
): Partial<Pick<Message, "content">> {
  const reactions = (m.content?.reactions ?? []).filter((r) => r.by !== by);
  if (emoji) reactions.push({ by, emoji, at });
  return { content: { ...m.content, reactions } };
}

/**
 * Something the channel says about a contact rather than a message from them (a changed number, a new security
 * code): an activity line in their latest conversation on that channel. With `newExternalId`, the contact keeps
 * being the same person under their new id (and phone, when the id is a phone number).
 */
export async function recordChannelNotice(
  ctx: Ctx,
  channelId: string,
  contactExternalId: string,
  key: string,
  params: Record<string, string>,
  opts: { newExternalId?: string | null; newPhone?: string | null } = {},
) {
  return ctx.database.write(async (tx, after) => {
    const ident = await tx
      .select()
      .from(contactIdentities)
      .where(and(eq(contactIdentities.channelId, channelId), eq(contactIdentities.externalId, contactExternalId)))
      .get();
    if (!ident) return false;
    const now = ctx.clock.now();
    if (opts.newExternalId && opts.newExternalId !== contactExternalId) {
      const taken = await tx
        .select()
        .from(contactIdentities)
        .where(and(eq(contactIdentities.channelId, channelId), eq(contactIdentities.externalId, opts.newExternalId)))
        .get();
      if (!taken)
        await tx
          .update(contactIdentities)
          .set({ externalId: opts.newExternalId })
          .where(and(eq(contactIdentities.channelId, channelId), eq(contactIdentities.externalId, contactExternalId)));
      if (opts.newPhone)
        await tx.update(contacts).set({ phone: opts.newPhone, updatedAt: now }).where(eq(contacts.id, ident.contactId));
    }
    const conv = await tx
      .select()
      .from(conversations)
      .where(and(eq(conversations.contactId, ident.contactId), eq(conversations.channelId, channelId)))
      .orderBy(desc(conversations.lastMessageAt))
      .limit(1)
      .get();
    if (!conv) return true;
    await insertActivity(tx, conv, key, params, now);
    await ctx.events.record(tx, after, {
      type: "inbox.conversation_updated",
      conversationId: conv.id,
      data: { ...scopeOf(conv), changes: { notice: key } },
    });
    return true;
  });
}

/**
 * The customer has seen the business's messages up to `upTo` (a message id) in these conversations: sent or
 * delivered replies become read, and each conversation gets one status event for the console's ticks.
 */
export async function markReadByCustomer(ctx: Ctx, conversationIds: string[], upTo: string) {
  if (!conversationIds.length) return 0;
  return ctx.database.write(async (tx, after) => {
    const changed = await tx
      .update(messages)
      .set({ status: "read" })
      .where(
        and(
          inArray(messages.conversationId, conversationIds),
          eq(messages.direction, "out"),
          eq(messages.private, false),
          lte(messages.id, upTo),
          inArray(messages.status, ["sent", "delivered"]),
        ),
      )
      .returning({ id: messages.id, conversationId: messages.conversationId });
    for (const convId of new Set(changed.map((m) => m.conversationId))) {
      const conv = conversationTx(tx, convId);
      if (conv)
        await ctx.events.record(tx, after, {
          type: "inbox.message_status",
          conversationId: convId,
          actor: { type: "contact", id: conv.contactId },
          data: {
            ...scopeOf(conv),
            messageIds: changed.filter((m) => m.conversationId === convId).map((m) => m.id),
            status: "read",
            error: null,
          },
        });
    }
    return changed.length;
  });
}

// ---------------------------------------------------------------- changing a conversation

export const conversationPatch = z.strictObject({
  status: z.enum(["open", "pending", "snoozed", "resolved"]).optional(),
  snoozedUntil: z.number().int().positive().nullish(),
  assigneeId: idRef.nullish(),
  departmentId: idRef.nullish(),
  priority: z.enum(["none", "low", "medium", "high", "urgent"]).optional(),
  ownerType: z.enum(["bot", "queue", "agent"]).optional(),
  /** gives the conversation (back) to this AI agent */
  agentId: idRef.optional(),
});

/** Assign, transfer, resolve, reopen, snooze, prioritise. Each change leaves an activity line in the conversation. */
export async function updateConversation(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof conversationPatch>) {
  const p = conversationPatch.parse(input);
  return ctx.database.write(async (tx, after) => {
    const conv = conversationTx(tx, id);
    if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
    const now = ctx.clock.now();
    const patch: Partial<Conversation> = {};
    const activities: { key: string; params: Record<string, string> }[] = [];
    if (p.assigneeId !== undefined && p.assigneeId !== conv.assigneeId) {
      if (p.assigneeId) {
        const u = await tx
          .select({ id: users.id, name: users.name, active: users.active })
          .from(users)
          .where(eq(users.id, p.assigneeId))
          .get();
        if (!u?.active)
          throw badRequest("unknown_assignee", "The agent does not exist or is inactive", { field: "assigneeId" });
        // an agent hands a conversation only to someone online with room; whoever leads its department overrides
        if (
          actor.kind === "user" &&
          u.id !== actor.id &&
          !leadsDepartment(actor, conv.departmentId) &&
          !(await canTakeMore(ctx, tx, u.id, (await cachedChannel(ctx, conv.channelId))?.type ?? "?"))
        )
          throw conflict("assignee_unavailable", "That person is not online or has no room for another conversation", {
            field: "assigneeId",
            name: u.name,
          });
        patch.assigneeId = u.id;
        patch.ownerType = "agent";
        activities.push({ key: "assigned", params: { name: u.name } });
      } else {
        patch.assigneeId = null;
        patch.ownerType = "queue";
        activities.push({ key: "unassigned", params: {} });
      }
    }
    if (p.departmentId !== undefined && p.departmentId !== conv.departmentId) {
      if (p.departmentId) {
        const d = await tx.select().from(departments).where(eq(departments.id, p.departmentId)).get();
        if (!d) throw badRequest("unknown_department", "The department does not exist", { field: "departmentId" });
        patch.departmentId = d.id;
        activities.push({ key: "transferred", params: { name: d.name } });
      } else patch.departmentId = null;
    }
    if (p.ownerType && p.ownerType !== (patch.ownerType ?? conv.ownerType)) patch.ownerType = p.ownerType;
    if (p.agentId !== undefined && (p.agentId !== conv.agentId || conv.ownerType !== "bot")) {
      const a = await tx
        .select({ id: agents.id, name: agents.name, active: agents.active })
        .from(agents)
        .where(eq(agents.id, p.agentId))
        .get();
      if (!a?.active)
        throw badRequest("unknown_agent", "The AI agent does not exist or is paused", { field: "agentId" });
      patch.agentId = a.id;
      patch.ownerType = "bot";
      patch.assigneeId = null;
      activities.push({ key: "to_bot", params: { name: a.name } });
    }
    if (p.priority && p.priority !== conv.priority) {
      patch.priority = p.priority;
      activities.push({ key: "priority", params: { priority: p.priority } });
    }
    if (p.status && p.status !== conv.status) {
      patch.status = p.status;
      if (p.status === "snoozed") {
        if (!p.snoozedUntil || p.snoozedUntil <= now)
          throw badRequest("snooze_until_required", "Snoozing needs a time in the future", { field: "snoozedUntil" });
        patch.snoozedUntil = p.snoozedUntil;
      } else patch.snoozedUntil = null;
      patch.resolvedAt = p.status === "resolved" ? now : null;
      activities.push({
        key: p.status === "open" ? "reopened" : p.status,
        params: p.status === "snoozed" ? { until: String(p.snoozedUntil) } : {},
      });
    }
    if (!Object.keys(patch).length) return conversationTx(tx, id)!;
    patch.updatedAt = now;
    updateConversationTx(tx, id, patch);
    const who =
      actor.kind === "user" ? actor.name : actor.kind === "api_key" ? `API: ${actor.name}` : (actor.name ?? "DigyBot");
    for (const a of activities) await insertActivity(tx, conv, a.key, { ...a.params, by: who }, now);
    const next = { ...conv, ...patch };
    await ctx.events.record(tx, after, {
      type: "inbox.conversation_updated",
      conversationId: id,
      actor: actorRef(actor),
      data: { ...scopeOf(next), previous: scopeOf(conv), previousStatus: conv.status, changes: patch },
    });
    return next;
  });
}

/**
 * Changes a conversation inside the caller's transaction with its activity line and event: what DigyBot's own
 * team rules write (automatic assignment, reassignment, a queue's overflow), the way updateConversation does for
 * a person's change.
 */
export async function changeConversationTx(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  conv: Conversation,
  patch: Partial<Conversation>,
  activity: { key: string; params: Record<string, string> },
  actor: Actor = { kind: "system", name: "DigyBot" },
) {
  const now = ctx.clock.now();
  const full = { ...patch, updatedAt: now };
  updateConversationTx(tx, conv.id, full);
  await insertActivity(tx, conv, activity.key, activity.params, now);
  const next = { ...conv, ...full };
  await ctx.events.record(tx, after, {
    type: "inbox.conversation_updated",
    conversationId: conv.id,
    actor: actorRef(actor),
    data: { ...scopeOf(next), previous: scopeOf(conv), previousStatus: conv.status, changes: full },
  });
  return next;
}

/** Gives a conversation to a person, or back to its queue (to null), with its activity line and event. */
export const assignTx = (
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  conv: Conversation,
  to: { id: string; name: string } | null,
  activity: { key: string; params: Record<string, string> },
  actor?: Actor,
) =>
  changeConversationTx(
    ctx,
    tx,
    after,
    conv,
    to ? { assigneeId: to.id, ownerType: "agent" } : { assigneeId: null, ownerType: "queue" },
    activity,
    actor,
  );

/** A conversation's whole row in the writer's transaction, or undefined. */
export const conversationRowTx = (tx: Tx, id: string) => conversationTx(tx, id);

/** An activity line ("Asignada a Ana por Luis") stored as an i18n key and its parameters. */
async function insertActivity(tx: Tx, conv: Conversation, key: string, params: Record<string, string>, now: number) {
  sendStatements(tx).insertMessage.run({
    id: newId(now),
    conversationId: conv.id,
    channelId: conv.channelId,
    direction: "activity",
    senderType: "system",
    senderId: null,
    body: JSON.stringify({ key, params }),
    attachments: [],
    private: true,
    status: "sent",
    error: null,
    externalId: null,
    content: null,
    createdAt: now,
  } satisfies Message);
}

export async function markRead(ctx: Ctx, actor: Actor, id: string) {
  await ctx.database.write(async (tx, after) => {
    const conv = conversationTx(tx, id);
    if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
    if (!conv.unreadCount) return;
    updateConversationTx(tx, id, { unreadCount: 0 });
    await ctx.events.record(tx, after, {
      type: "inbox.conversation_read",
      conversationId: id,
      actor: actorRef(actor),
      data: { ...scopeOf(conv) },
    });
  });
}

/**
 * Resolves the conversations an AI agent has when the customer has been silent for the agent's
 * `handoff.idleResolveHours` (12 by default; 0 never), with an activity line; the customer's next message reopens
 * it (ingest). Run by the scheduler; at most 500 a run.
 */
export async function resolveIdleBotConversations(ctx: Ctx) {
  const now = ctx.clock.now();
  const list = await ctx.db
    .select({
      id: conversations.id,
      agentId: conversations.agentId,
      lastInboundAt: conversations.lastInboundAt,
      lastMessageAt: conversations.lastMessageAt,
      agentName: agents.name,
      handoff: agents.handoff,
    })
    .from(conversations)
    .innerJoin(agents, eq(agents.id, conversations.agentId))
    .where(and(eq(conversations.status, "open"), eq(conversations.ownerType, "bot")))
    .limit(5000);
  let done = 0;
  for (const c of list) {
    const hours = (c.handoff as { idleResolveHours?: number }).idleResolveHours ?? 12;
    if (!hours || (c.lastInboundAt ?? c.lastMessageAt) > now - hours * 3_600_000) continue;
    if (done >= 500) break;
    await ctx.database.write(async (tx, after) => {
      const conv = await tx.select().from(conversations).where(eq(conversations.id, c.id)).get();
      // re-read: a person may have taken it, or the customer written, since the list was read
      if (
        conv?.status !== "open" ||
        conv.ownerType !== "bot" ||
        (conv.lastInboundAt ?? conv.lastMessageAt) > now - hours * 3_600_000
      )
        return;
      await tx
        .update(conversations)
        .set({ status: "resolved", resolvedAt: now, updatedAt: now })
        .where(eq(conversations.id, c.id));
      await insertActivity(tx, conv, "idleResolved", { agent: c.agentName, hours: String(hours) }, now);
      await ctx.events.record(tx, after, {
        type: "inbox.conversation_updated",
        conversationId: c.id,
        actor: { type: "bot", id: c.agentId },
        data: { ...scopeOf(conv), previous: scopeOf(conv), changes: { status: "resolved", idle: true } },
      });
    });
    done++;
  }
  return done;
}

/** Wakes snoozed conversations whose time has come (run by the scheduler). */
export async function wakeSnoozed(ctx: Ctx) {
  const now = ctx.clock.now();
  const due = await ctx.db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.status, "snoozed"), lt(conversations.snoozedUntil, now + 1)))
    .limit(500);
  for (const d of due) await updateConversation(ctx, { kind: "system" }, d.id, { status: "open" }).catch(() => {});
  return due.length;
}

/**
 * What deleting a department or a tag would touch, for the confirmation that says so: per department, its
 * conversations (open or not) and channels; per tag, the conversations carrying it.
 */
export async function usageCounts(ctx: Ctx) {
  const [convs, chans, tagged] = await Promise.all([
    ctx.db
      .select({ id: conversations.departmentId, n: sql<number>`count(*)` })
      .from(conversations)
      .groupBy(conversations.departmentId),
    ctx.db
      .select({ id: channels.departmentId, n: sql<number>`count(*)` })
      .from(channels)
      .where(isNull(channels.deletedAt))
      .groupBy(channels.departmentId),
    ctx.db
      .select({ id: conversationTags.tagId, n: sql<number>`count(*)` })
      .from(conversationTags)
      .groupBy(conversationTags.tagId),
  ]);
  const map = (rows: { id: string | null; n: number }[]) =>
    new Map(rows.filter((r) => r.id).map((r) => [r.id!, Number(r.n)]));
  return { departmentConversations: map(convs), departmentChannels: map(chans), tagConversations: map(tagged) };
}

// ---------------------------------------------------------------- tags

export const tagInput = z.strictObject({
  name: z.string().trim().min(1).max(40),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .default("#64748b"),
});

export async function listTags(ctx: Ctx) {
  return ctx.db.select().from(tags).orderBy(tags.name);
}

export async function createTag(ctx: Ctx, actor: Actor, input: z.input<typeof tagInput>) {
  assertAdmin(actor);
  const t = tagInput.parse(input);
  return ctx.database.write(async (tx) => {
    if (await tx.select({ id: tags.id }).from(tags).where(eq(tags.name, t.name)).get())
      throw conflict("tag_exists", "A tag with this name already exists", { field: "name" });
    const row = { id: newId(), name: t.name, color: t.color, createdAt: ctx.clock.now() };
    await tx.insert(tags).values(row);
    return row;
  });
}

export const tagPatch = patchOf(tagInput);

/** Renames or recolours a tag (administrators); a name another tag has is 409. */
export async function updateTag(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof tagPatch>) {
  assertAdmin(actor);
  const p = tagPatch.parse(input);
  await ctx.database.write(async (tx) => {
    if (p.name) {
      const taken = await tx
        .select({ id: tags.id })
        .from(tags)
        .where(and(eq(tags.name, p.name), ne(tags.id, id)))
        .get();
      if (taken) throw conflict("tag_exists", "Another tag has this name", { field: "name" });
    }
    const r = await tx.update(tags).set(p).where(eq(tags.id, id)).returning({ id: tags.id });
    if (!r.length) throw notFound("Tag");
  });
}

export async function deleteTag(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    if (!(await tx.delete(tags).where(eq(tags.id, id)).returning({ id: tags.id })).length) throw notFound("Tag");
  });
}

/** Adds or removes one tag on a conversation the actor can see. */
export async function tagConversation(ctx: Ctx, actor: Actor, conversationId: string, tagId: string, on: boolean) {
  await ctx.database.write(async (tx, after) => {
    const conv = conversationTx(tx, conversationId);
    if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
    const tag = await tx.select().from(tags).where(eq(tags.id, tagId)).get();
    if (!tag) throw badRequest("unknown_tag", "The tag does not exist", { field: "tagId" });
    if (on) await tx.insert(conversationTags).values({ conversationId, tagId }).onConflictDoNothing();
    else
      await tx
        .delete(conversationTags)
        .where(and(eq(conversationTags.conversationId, conversationId), eq(conversationTags.tagId, tagId)));
    await ctx.events.record(tx, after, {
      type: on ? "inbox.conversation_tagged" : "inbox.conversation_untagged",
      conversationId,
      actor: actorRef(actor),
      data: { ...scopeOf(conv), tagId, tagName: tag.name },
    });
  });
}

// ---------------------------------------------------------------- quick replies

export const quickReplyInput = z.strictObject({
  shortcut: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "letters, digits, - and _ only")
    .transform((s) => s.replace(/^\//, "")),
  body: z.string().trim().min(1).max(4000),
  /** files from the library the reply sends with its text */
  media: libraryRefs.default([]),
});

export const quickReplyPatch = patchOf(quickReplyInput);

export async function listQuickReplies(ctx: Ctx) {
  return ctx.db.select().from(quickReplies).orderBy(quickReplies.shortcut);
}

export async function createQuickReply(ctx: Ctx, actor: Actor, input: z.input<typeof quickReplyInput>) {
  assertAdmin(actor);
  const q = quickReplyInput.parse(input);
  return ctx.database.write(async (tx) => {
    await checkLibraryIds(tx, q.media, "media");
    if (await tx.select({ id: quickReplies.id }).from(quickReplies).where(eq(quickReplies.shortcut, q.shortcut)).get())
      throw conflict("shortcut_exists", "This shortcut is already used", { field: "shortcut" });
    const now = ctx.clock.now();
    const row = { id: newId(now), shortcut: q.shortcut, body: q.body, media: q.media, createdAt: now, updatedAt: now };
    await tx.insert(quickReplies).values(row);
    return row;
  });
}

export async function updateQuickReply(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof quickReplyPatch>) {
  assertAdmin(actor);
  const q = quickReplyPatch.parse(input);
  return ctx.database.write(async (tx) => {
    if (q.media) await checkLibraryIds(tx, q.media, "media");
    if (q.shortcut) {
      const other = await tx
        .select({ id: quickReplies.id })
        .from(quickReplies)
        .where(and(eq(quickReplies.shortcut, q.shortcut), ne(quickReplies.id, id)))
        .get();
      if (other) throw conflict("shortcut_exists", "This shortcut is already used", { field: "shortcut" });
    }
    const r = await tx
      .update(quickReplies)
      .set({ ...q, updatedAt: ctx.clock.now() })
      .where(eq(quickReplies.id, id))
      .returning();
    if (!r.length) throw notFound("Quick reply");
    return r[0];
  });
}

export async function deleteQuickReply(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    if (!(await tx.delete(quickReplies).where(eq(quickReplies.id, id)).returning({ id: quickReplies.id })).length)
      throw notFound("Quick reply");
  });
}

/**
 * Someone is writing in a conversation: a person on the business's side (`who: "agent"`, never while writing a
 * private note: the client does not call it then) or the customer (`who: "contact"`). Nothing is stored: the event
 * goes to the live consoles allowed to see the conversation and, for an agent, to the customer's channel (web chat).
 */
export async function typing(ctx: Ctx, actor: Actor, id: string) {
  const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, id)).get();
  if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
  if (actor.kind !== "user") return;
  ctx.events.publish({
    type: "inbox.typing",
    conversationId: conv.id,
    actor: { type: "user", id: actor.id },
    data: { ...scopeOf(conv), who: "agent", name: actor.name.trim().split(/\s+/)[0] ?? actor.name, userId: actor.id },
    at: ctx.clock.now(),
  });
}

/** The customer is writing (the web chat says so): told to the consoles that may see their conversation. */
export function contactTyping(
  ctx: Ctx,
  conv: Pick<Conversation, "id" | "assigneeId" | "departmentId" | "contactId" | "channelId">,
) {
  ctx.events.publish({
    type: "inbox.typing",
    conversationId: conv.id,
    actor: { type: "contact", id: conv.contactId },
    data: { ...scopeOf(conv), who: "contact" },
    at: ctx.clock.now(),
  });
}
