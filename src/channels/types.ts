import type { Ctx } from "../platform/context.ts";
import type { Attachment } from "../inbox/schema.ts";

/** What the outbox hands an adapter to deliver. */
export type OutboundMessage = {
  outboxId: string;
  idempotencyKey: string;
  messageId: string | null;
  conversationId: string;
  contactId: string;
  channel: { id: string; type: string; config: Record<string, unknown> };
  body: string;
  attachments: Attachment[];
};

export type SendResult = { externalId?: string; status?: "sent" | "delivered" };

/** A failure the adapter knows is final (bad recipient, rejected content): not retried. */
export class PermanentSendError extends Error {}

/**
 * One adapter per channel kind. Inbound normalisation happens in the adapter's routes and ends in
 * inbox.ingestInbound; outbound goes only through the outbox, which calls send(). Adapters are created per app.
 */
export interface ChannelAdapter {
  type: string;
  capabilities: {
    /** true when sending the same message twice cannot reach the customer twice (so an interrupted send may be retried). */
    idempotentSend: boolean;
    attachments: boolean;
    /** messages per second per connection; null = no limit */
    ratePerSecond: number | null;
  };
  send(msg: OutboundMessage): Promise<SendResult>;
  /** Called once the app is built: subscribe to events, open sockets. */
  start?(ctx: Ctx): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export class ChannelRegistry {
  private adapters = new Map<string, ChannelAdapter>();
  register(a: ChannelAdapter) { this.adapters.set(a.type, a); return this; }
  get(type: string) { return this.adapters.get(type); }
  all() { return [...this.adapters.values()]; }
}
