// `digybot whatsapp pair NAME`: pairing a QR number from a terminal, for installs without a browser at hand.
import { eq, and, isNull } from "drizzle-orm";
import { channels } from "../../inbox/schema.ts";
import { createChannel } from "../service.ts";
import type { Ctx } from "../../platform/context.ts";
import { QR, connectionOf, startPairing, pairWithPhone, type QrStatus } from "./service.ts";
import { cliText } from "../../cli-text.ts";

/**
 * Shows the QR (or the phone code) until the number is paired, then returns 0; 1 if WhatsApp refuses or the code
 * expires. The session lands in the database, so `digybot serve` reconnects the number without pairing again.
 */
export async function pairInTerminal(
  ctx: Ctx,
  name: string,
  phone: string | undefined,
  out: (text: string) => void,
  say: ReturnType<typeof cliText> = cliText(),
  timeoutMs = 5 * 60_000,
): Promise<number> {
  const system = { kind: "system" } as const;
  let ch = await ctx.db
    .select()
    .from(channels)
    .where(and(eq(channels.type, QR), eq(channels.name, name), isNull(channels.deletedAt)))
    .get();
  if (!ch) {
    ch = await createChannel(ctx, system, { type: QR, name, config: {} });
    out(say("qr.created", { name }));
  }
  const conn = connectionOf(ctx, ch.id);
  const { toString: qrText } = await import("qrcode");
  let lastQr: string | null = null;
  const done = new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      out(say("qr.timeout"));
      resolve(1);
    }, timeoutMs);
    const finish = (code: number) => {
      clearTimeout(timer);
      resolve(code);
    };
    conn.onChange((s: QrStatus) => {
      if (s.state === "qr" && s.qr && s.qr !== lastQr && !phone) {
        lastQr = s.qr;
        void qrText(s.qr, { type: "terminal", small: true }).then((art) => out(say("qr.scan", { art })));
      }
      if (s.state === "reconnecting" && s.lastError) out(say("qr.unreachable", { error: s.lastError }));
      if (s.state === "open") {
        out(say("qr.paired", { me: s.me ?? say("qr.connected") }));
        finish(0);
      }
      if (s.state === "banned" || s.state === "logged_out" || (s.state === "stopped" && s.lastError)) {
        out(say("qr.notPaired", { reason: s.lastError ?? s.state }));
        finish(1);
      }
    });
  });
  if (phone) out(say("qr.code", { code: await pairWithPhone(ctx, system, ch.id, phone) }));
  else await startPairing(ctx, system, ch.id);
  const code = await done;
  // give the last credentials a moment to be written, then close the socket
  await Bun.sleep(500);
  conn.stop();
  return code;
}
