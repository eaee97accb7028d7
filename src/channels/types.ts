import type { MediaLimits } from "../platform/files.ts";
import type { Ctx } from "../platform/context.ts";
import type { Attachment, MessageContent } from "../inbox/schema.ts";
import type { Envelope, Sender, SenderCapabilities, SendResult } from "../platform/delivery.ts";

export { PermanentSendError, type SendResult } from "../platform/delivery.ts";

/** What the outbox hands an adapter to deliver. */
export type OutboundMessage = Envelope & {
  contactId: string;
  body: string;
  attachments: Attachment[];
  content?: MessageContent | null;
  /** the channel's id of the message this one quotes */
  replyToExternalId?: string | null;
};

/** What a channel queues in the outbox for one message (the outbox adds the envelope when it sends). */
export type OutboundPayload = Omit<OutboundMessage, keyof Envelope> & { channelType: string; conversationId: string };

/**
 * One adapter per channel kind. Inbound normalisation happens in the adapter's routes and ends in
 * inbox.ingestInbound; outbound goes only through the outbox, which calls send(). Adapters are created per app.
 */
export interface ChannelAdapter extends Sender<OutboundMessage> {
  type: string;
  /** jitterMs: QR-paired numbers look less like a bot; deliveryEcho: WhatsApp's biz_opaque_callback_data */
  capabilities: SenderCapabilities & {
    attachments: boolean;
    /** the media types and sizes it takes (none: whatever DigyBot stores) */
    media?: MediaLimits;
    /** buttons and lists, with the channel's limits */
    interactive?: { maxButtons: number; maxListRows: number };
    /** options shown as quick-reply chips under a message whose text keeps them numbered (the web chat) */
    quickReplies?: { max: number };
    /** approved message templates (WhatsApp Cloud API) */
    templates?: boolean;
    /** hours after the customer's last message in which free-form replies are allowed (WhatsApp: 24) */
    replyWindowHours?: number;
  };
  send(msg: OutboundMessage): Promise<SendResult>;
  /** A connection of this kind was deleted: let go of what the provider holds for it (a linked device, a socket). */
  removed?(ctx: Ctx, channelId: string): void | Promise<void>;
  /** The customer's message (by the channel's id) was seen by an agent: show it read on the customer's side. */
  markRead?(
    ctx: Ctx,
    channel: { id: string; config: Record<string, unknown> },
    to: { contactExternalId: string; messageExternalId: string },
  ): Promise<void>;
  /** false while a connection cannot send (a QR number offline): its messages wait, as on a paused channel */
  ready?(channelId: string): boolean;
  /** Called once the app is built: subscribe to events, open sockets. */
  start?(ctx: Ctx): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** How messaging channels file an attachment: image, video, audio, or anything else as a document. */
export function mediaKind(mime: string): "image" | "video" | "audio" | "document" {
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("video/")) return "video";
  if (mime.startsWith("audio/")) return "audio";
  return "document";
}

/**
 * The media a template's header asks for (its registry components, as the provider lists them: a HEADER of
 * format IMAGE, VIDEO or DOCUMENT), or null for a template with no header or a text one.
 */
export function templateMediaHeader(components: unknown): "image" | "video" | "document" | null {
  if (!Array.isArray(components)) return null;
  const h = components.find(
    (c): c is { format?: unknown } =>
      !!c && typeof c === "object" && String((c as { type?: unknown }).type).toUpperCase() === "HEADER",
  );
  const f = String(h?.format ?? "").toUpperCase();
  return f === "IMAGE" ? "image" : f === "VIDEO" ? "video" : f === "DOCUMENT" ? "document" : null;
}

export class ChannelRegistry {
  private adapters = new Map<string, ChannelAdapter>();
  register(a: ChannelAdapter) {
    this.adapters.set(a.type, a);
    return this;
  }
  get(type: string) {
    return this.adapters.get(type);
  }
  all() {
    return [...this.adapters.values()];
  }
}

// The context carries the channel registry; declared here so the foundation (platform/context.ts) imports nothing above it.
declare module "../platform/context.ts" {
  interface Ctx {
    channels: ChannelRegistry;
  }
}
