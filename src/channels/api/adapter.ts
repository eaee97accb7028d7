import { PermanentSendError, type ChannelAdapter } from "../types.ts";
import { FetchRefused, guardedFetch } from "../../platform/net-guard.ts";
import type { Ctx } from "../../platform/context.ts";

/**
 * The API channel: an integrator posts inbound messages to /api/v1/inbound and receives replies as a signed
 * POST to its callback URL (`X-DigyBot-Signature: sha256=<hex HMAC of the body>`). Without a callback URL the
 * integrator polls the conversation's messages instead, and a reply is simply marked sent.
 */
export function apiChannelAdapter(ctx: () => Ctx): ChannelAdapter {
  return {
    type: "api",
    capabilities: { idempotentSend: false, attachments: true, ratePerSecond: null },
    async send(msg) {
      const url = msg.channel.config.callbackUrl as string | undefined;
      if (!url) return { status: "sent" };
      const body = JSON.stringify({
        event: "message.outgoing",
        idempotencyKey: msg.idempotencyKey,
        messageId: msg.messageId,
        conversationId: msg.conversationId,
        contactId: msg.contactId,
        body: msg.body,
        attachments: msg.attachments,
      });
      const secret = (msg.channel.config.secret as string | undefined) ?? "";
      const sig = new Bun.CryptoHasher("sha256", secret).update(body).digest("hex");
      // the callback goes through the fetch guard: an address on this machine or the office network only when the
      // administrator allows that host (fetch_allow_hosts); redirects are checked again, the answer is read to 64 KB
      let res;
      try {
        res = await guardedFetch(url, {
          method: "POST",
          allowHosts: ctx().config.fetch_allow_hosts,
          headers: {
            "content-type": "application/json",
            "x-digybot-signature": `sha256=${sig}`,
            "idempotency-key": msg.idempotencyKey,
          },
          body,
          timeoutMs: 10_000,
          maxBytes: 64 * 1024,
          maxRedirects: 0,
        });
      } catch (e) {
        // what another try cannot change (the address is not allowed, has no address, redirects) fails the reply now
        if (e instanceof FetchRefused && e.kind !== "unreachable" && e.kind !== "too_large")
          throw new PermanentSendError(`callback refused: ${e.reason}`);
        throw new Error(`callback failed: ${(e as Error).message}`);
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 429)
        throw new PermanentSendError(`callback answered ${res.status}`);
      if (!res.ok) throw new Error(`callback answered ${res.status}`);
      return { status: "sent" };
    },
  };
}
