import { eq } from "drizzle-orm";
import { messages } from "../../inbox/schema.ts";
import type { ChannelAdapter } from "../types.ts";
import type { Ctx } from "../../platform/context.ts";

/** The shape of a message as the widget sees it: no internal fields, no private notes. */
export function visitorMessage(m: typeof messages.$inferSelect) {
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
  };
}

/**
 * Web chat delivery: the message already lives in the database, so "sending" pushes it to the visitor's open
 * widgets; a visitor who is away gets it on reconnect (catch-up by last message id). Pushing twice is harmless,
 * the widget keys messages by id, so an interrupted send may be retried.
 */
export function webchatAdapter(getCtx: () => Ctx): ChannelAdapter {
  return {
    type: "webchat",
    capabilities: { idempotentSend: true, attachments: true, ratePerSecond: null },
    async send(msg) {
      const ctx = getCtx();
      const m = msg.messageId ? await ctx.db.select().from(messages).where(eq(messages.id, msg.messageId)).get() : null;
      if (!m) return { status: "sent" };
      const n = ctx.hub.broadcast(
        "visitor",
        "message",
        visitorMessage({ ...m, status: "sent" }),
        (p) => p === `${msg.channel.id}:${msg.contactId}`,
        m.id,
      );
      return { status: n > 0 ? "delivered" : "sent" };
    },
  };
}
