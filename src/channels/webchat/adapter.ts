import { eq, inArray } from "drizzle-orm";
import { messages } from "../../inbox/schema.ts";
import { users } from "../../auth/schema.ts";
import { agents } from "../../agents/schema.ts";
import type { ChannelAdapter } from "../types.ts";
import type { Ctx } from "../../platform/context.ts";

/** The shape of a message as the widget sees it: no internal fields, no private notes. */
export function visitorMessage(m: typeof messages.$inferSelect, names?: Map<string, string>) {
  // the visitor's own messages carry the id their widget gave them ("<visitorId>:<clientId>"), so it can tell its
  // pending copy from the stored one whatever their texts
  const clientId =
    m.direction === "in" && m.externalId?.includes(":") ? m.externalId.slice(m.externalId.indexOf(":") + 1) : undefined;
  return {
    id: m.id,
    direction: m.direction,
    senderType: m.senderType,
    body: m.body,
    attachments: m.attachments,
    status: m.status,
    createdAt: m.createdAt,
    ...(clientId ? { clientId } : {}),
    // the options offered with it, as chips (a tap answers with the option's id)
    ...(m.direction === "out" && m.content?.quickReplies?.length ? { options: m.content.quickReplies } : {}),
    // who answered: a person's first name, or the AI agent's name (the widget draws the avatar from it)
    ...(m.direction === "out" && m.senderId && names?.has(m.senderId) ? { author: names.get(m.senderId) } : {}),
  };
}

/** The names the visitor sees for the business's side of these messages: people by first name, AI agents whole. */
export async function authorNames(ctx: Ctx, rows: (typeof messages.$inferSelect)[]) {
  const people = [
    ...new Set(
      rows.filter((m) => m.direction === "out" && m.senderType === "agent" && m.senderId).map((m) => m.senderId!),
    ),
  ];
  const bots = [
    ...new Set(
      rows.filter((m) => m.direction === "out" && m.senderType === "bot" && m.senderId).map((m) => m.senderId!),
    ),
  ];
  const out = new Map<string, string>();
  if (people.length)
    for (const u of await ctx.db
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(inArray(users.id, people))
      .all())
      out.set(u.id, u.name.trim().split(/\s+/)[0] ?? u.name);
  if (bots.length)
    for (const a of await ctx.db
      .select({ id: agents.id, name: agents.name })
      .from(agents)
      .where(inArray(agents.id, bots))
      .all())
      out.set(a.id, a.name);
  return out;
}

/**
 * Web chat delivery: the message already lives in the database, so "sending" pushes it to the visitor's open
 * widgets; a visitor who is away gets it on reconnect (catch-up by last message id). Pushing twice is harmless,
 * the widget keys messages by id, so an interrupted send may be retried.
 */
export function webchatAdapter(getCtx: () => Ctx): ChannelAdapter {
  let off: (() => void) | null = null;
  return {
    type: "webchat",
    capabilities: { idempotentSend: true, attachments: true, ratePerSecond: null, quickReplies: { max: 10 } },
    async send(msg) {
      const ctx = getCtx();
      const m = msg.messageId ? await ctx.db.select().from(messages).where(eq(messages.id, msg.messageId)).get() : null;
      if (!m) return { status: "sent" };
      const n = ctx.hub.broadcast(
        "visitor",
        "message",
        visitorMessage({ ...m, status: "sent" }, await authorNames(ctx, [m])),
        (p) => p === `${msg.channel.id}:${msg.contactId}`,
        m.id,
      );
      return { status: n > 0 ? "delivered" : "sent" };
    },
    // a person writing a reply: the visitor's open widgets show "Ana está escribiendo…"
    start(ctx) {
      off?.();
      off = ctx.events.on("inbox.typing", (e) => {
        const d = e.data as { who?: string; name?: string; channelId?: string; contactId?: string };
        if (d.who !== "agent" || !d.channelId || !d.contactId) return;
        ctx.hub.broadcast("visitor", "typing", { name: d.name ?? "" }, (p) => p === `${d.channelId}:${d.contactId}`);
      });
    },
    stop() {
      off?.();
      off = null;
    },
  };
}
