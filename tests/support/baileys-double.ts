// A double of Baileys' WhatsApp Web socket: the same events with the same shapes (connection.update with qr,
// creds.update, messages.upsert, messages.update, lid-mapping.update), built from WhatsApp's own protobuf
// objects (proto.WebMessageInfo.fromObject validates them against the real schema).
import { EventEmitter } from "node:events";
import { proto, type AuthenticationState, type WAMessage, type WAMessageKey, type AnyMessageContent } from "baileys";
import type { QrSocket, QrSocketFactory } from "../../src/channels/whatsapp-qr/service.ts";

export class SocketDouble implements QrSocket {
  ev = new EventEmitter();
  user: QrSocket["user"] = null;
  sent: { jid: string; content: AnyMessageContent; options?: { quoted?: WAMessage; messageId?: string } }[] = [];
  /** what the customer's phone shows: one message per id, as WhatsApp keeps it */
  delivered = new Map<string, AnyMessageContent>();
  reads: WAMessageKey[] = [];
  ended = false;
  media = new Map<string, Buffer>();
  constructor(readonly auth: AuthenticationState) {}

  async sendMessage(jid: string, content: AnyMessageContent, options?: { quoted?: WAMessage; messageId?: string }) {
    if (this.ended) throw Object.assign(new Error("Connection Closed"), { output: { statusCode: 428 } });
    this.sent.push({ jid, content, options });
    if (options?.messageId) this.delivered.set(`${jid}/${options.messageId}`, content);
    return proto.WebMessageInfo.fromObject({
      key: { remoteJid: jid, fromMe: true, id: options?.messageId ?? `3EB0${this.sent.length}` },
      messageTimestamp: Math.floor(Date.now() / 1000),
      status: 1,
    }) as WAMessage;
  }
  async readMessages(keys: WAMessageKey[]) {
    this.reads.push(...keys);
  }
  async requestPairingCode(phone: string) {
    return `DGB${phone.slice(-1)}-2345`;
  }
  async logout() {
    this.close(401, "Intentional Logout");
  }
  end() {
    this.ended = true;
  }
  async downloadMedia(msg: WAMessage) {
    const b = this.media.get(msg.key.id!);
    if (!b) throw new Error("media expired on WhatsApp's servers");
    return b;
  }

  // ---- what WhatsApp's side does
  showQr(qr: string) {
    this.ev.emit("connection.update", { qr });
  }
  open(me = "5215500000001:7@s.whatsapp.net") {
    this.user = { id: me, name: "Tienda" };
    this.auth.creds.me = { id: me, name: "Tienda" };
    this.auth.creds.registered = true;
    this.ev.emit("creds.update", { me: this.auth.creds.me, registered: true });
    this.ev.emit("connection.update", { connection: "open" });
  }
  close(statusCode: number, message = "Connection Failure") {
    this.ended = true;
    const error = Object.assign(new Error(message), {
      output: { statusCode, payload: { statusCode, message } },
      isBoom: true,
    });
    this.ev.emit("connection.update", { connection: "close", lastDisconnect: { error, date: new Date() } });
  }
  receive(messages: Record<string, unknown>[], type: "notify" | "append" = "notify") {
    // Baileys adds the alternative ids (phone number beside a LID) to the decoded key: they are not protobuf fields
    const decoded = messages.map((m) => {
      const w = proto.WebMessageInfo.fromObject(m) as WAMessage;
      const k = m.key as Record<string, unknown>;
      for (const f of ["remoteJidAlt", "participantAlt"]) if (k[f]) (w.key as Record<string, unknown>)[f] = k[f];
      return w;
    });
    this.ev.emit("messages.upsert", { messages: decoded, type });
  }
  status(id: string, jid: string, status: number) {
    this.ev.emit("messages.update", [{ key: { remoteJid: jid, id, fromMe: true }, update: { status } }]);
  }
  lidMapping(lid: string, pn: string) {
    this.ev.emit("lid-mapping.update", { lid, pn });
  }
}

export function baileysDouble() {
  const sockets: SocketDouble[] = [];
  const factory: QrSocketFactory = ({ auth }) => {
    const s = new SocketDouble(auth);
    sockets.push(s);
    return s;
  };
  return {
    factory,
    sockets,
    get current() {
      return sockets.at(-1)!;
    },
  };
}
