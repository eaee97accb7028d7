import { PermanentSendError, type ChannelAdapter } from "../types.ts";

/**
 * The API channel: an integrator posts inbound messages to /api/v1/inbound and receives replies as a signed
 * POST to its callback URL (`X-DigyBot-Signature: sha256=<hex HMAC of the body>`). Without a callback URL the
 * integrator polls the conversation's messages instead, and a reply is simply marked sent.
 */
export function apiChannelAdapter(): ChannelAdapter {
  return {
    type: "api",
    capabilities: { idempotentSend: false, attachments: true, ratePerSecond: null },
    async send(msg) {
      const url = msg.channel.config.callbackUrl as string | undefined;
      if (!url) return { status: "sent" };
      const body = JSON.stringify({ event: "message.outgoing", idempotencyKey: msg.idempotencyKey, messageId: msg.messageId, conversationId: msg.conversationId, contactId: msg.contactId, body: msg.body, attachments: msg.attachments });
      const secret = (msg.channel.config.secret as string | undefined) ?? "";
      const sig = new Bun.CryptoHasher("sha256", secret).update(body).digest("hex");
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-digybot-signature": `sha256=${sig}`, "idempotency-key": msg.idempotencyKey }, body, signal: AbortSignal.timeout(10_000) });
      if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new PermanentSendError(`callback answered ${res.status}`);
      if (!res.ok) throw new Error(`callback answered ${res.status}`);
      return { status: "sent" };
    },
  };
}
