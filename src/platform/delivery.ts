/**
 * The contract between the outbox and whatever delivers its messages. It lives in the foundation so the outbox
 * depends on nothing above it: channels implement `Sender` (see channels/types.ts) and the outbox only calls it.
 */

export type SendResult = { externalId?: string; status?: "sent" | "delivered" };

/** A failure the sender knows is final (bad recipient, rejected content): not retried. */
export class PermanentSendError extends Error {}

/** What the outbox adds to a queued payload when it hands it to a sender. */
export type Envelope = {
  outboxId: string;
  idempotencyKey: string;
  messageId: string | null;
  conversationId: string;
  channel: { id: string; type: string; config: Record<string, unknown> };
};

/** What is queued: the sender's own fields, plus the kind of sender that takes it and the conversation it is for. */
export type QueuedPayload = { channelType: string; conversationId: string; [field: string]: unknown };

export type SenderCapabilities = {
  /** true when sending the same message twice cannot reach the customer twice (so an interrupted send may be retried). */
  idempotentSend: boolean;
  /** messages per second per connection (a connection's config may set its own `ratePerSecond`); null = no limit */
  ratePerSecond: number | null;
  /** a random extra pause per message, in ms */
  jitterMs?: number;
  /**
   * The provider reports each delivery back with a tracker we set. A send interrupted by a crash then waits
   * `graceMs` for that report before it is sent again.
   */
  deliveryEcho?: { graceMs: number };
};

export interface Sender<M extends Envelope = Envelope> {
  type: string;
  capabilities: SenderCapabilities;
  send(msg: M): Promise<SendResult>;
  /** false while a connection cannot send: its messages wait, as on a paused connection */
  ready?(connectionId: string): boolean;
}
