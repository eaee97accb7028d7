// WhatsApp Web messages (Baileys' WAMessage, WhatsApp's own protobuf objects) turned into what the inbox
// understands. Pure: no I/O here.
import {
  normalizeMessageContent,
  isJidGroup,
  isJidBroadcast,
  isLidUser,
  jidDecode,
  type WAMessage,
  type proto,
} from "baileys";
import type { MessageContent, SharedContact } from "../../inbox/schema.ts";

export type WaPeer = {
  /** the identity the contact is kept under on this number: the phone's digits, or "lid:<id>" while only the LID is known */
  externalId: string;
  phone: string | null;
  lid: string | null;
  jid: string;
  name?: string;
};

export type WaUpdate =
  | {
      kind: "message";
      peer: WaPeer;
      externalId: string;
      at: number;
      body: string;
      content: MessageContent | null;
      media: {
        type: "image" | "video" | "audio" | "document" | "sticker";
        mime: string;
        filename?: string;
        voice?: boolean;
      } | null;
      replyToExternalId: string | null;
    }
  | { kind: "reaction"; peer: WaPeer; targetExternalId: string; emoji: string; at: number }
  | { kind: "edit"; peer: WaPeer; targetExternalId: string; body: string; at: number }
  | { kind: "revoke"; peer: WaPeer; targetExternalId: string; at: number };

const num = (v: unknown) =>
  typeof v === "number"
    ? v
    : v && typeof (v as { toNumber?: () => number }).toNumber === "function"
      ? (v as { toNumber: () => number }).toNumber()
      : Number(v ?? 0);

/** Who wrote: the phone number when WhatsApp gives it (directly, or beside a LID), else the LID. */
export function peerOf(
  key: WAMessage["key"] & { remoteJidAlt?: string },
  pushName?: string | null,
  knownPhone?: string | null,
): WaPeer | null {
  const jid = key.remoteJid ?? "";
  if (!jid || isJidGroup(jid) || isJidBroadcast(jid) || jid.endsWith("@newsletter")) return null;
  const alt = key.remoteJidAlt;
  const lid = isLidUser(jid) ? jidDecode(jid)!.user : alt && isLidUser(alt) ? jidDecode(alt)!.user : null;
  const pnJid = !isLidUser(jid) ? jid : alt && !isLidUser(alt) ? alt : null;
  const phone = pnJid ? jidDecode(pnJid)!.user : (knownPhone ?? null);
  return {
    externalId: phone ?? `lid:${lid}`,
    phone: phone ? `+${phone}` : null,
    lid,
    jid,
    ...(pushName ? { name: pushName } : {}),
  };
}

function vcardPhones(vcard: string) {
  return [...vcard.matchAll(/^(?:item\d+\.)?TEL([^:\n]*):(.+)$/gim)].map((m) => {
    const waId = /waid=(\d+)/i.exec(m[1])?.[1];
    return { phone: m[2].trim(), ...(waId ? { waId } : {}) };
  });
}

function describe(m: proto.IMessage): {
  body: string;
  content: MessageContent;
  media: Extract<WaUpdate, { kind: "message" }>["media"];
  ctx: proto.IContextInfo | null | undefined;
} {
  const content: MessageContent = {};
  if (m.conversation != null) return { body: m.conversation, content: { kind: "text" }, media: null, ctx: null };
  if (m.extendedTextMessage)
    return {
      body: m.extendedTextMessage.text ?? "",
      content: { kind: "text" },
      media: null,
      ctx: m.extendedTextMessage.contextInfo,
    };
  const media = (
    [
      ["imageMessage", "image"],
      ["videoMessage", "video"],
      ["audioMessage", "audio"],
      ["documentMessage", "document"],
      ["stickerMessage", "sticker"],
    ] as const
  ).find(([k]) => m[k]);
  if (media) {
    const x = m[media[0]] as proto.Message.IImageMessage & proto.Message.IDocumentMessage & proto.Message.IAudioMessage;
    content.kind = media[1];
    return {
      body: x.caption ?? "",
      content,
      media: {
        type: media[1],
        mime: (x.mimetype ?? "application/octet-stream").split(";")[0],
        ...(x.fileName ? { filename: x.fileName } : {}),
        ...(x.ptt ? { voice: true } : {}),
      },
      ctx: x.contextInfo,
    };
  }
  const loc = m.locationMessage ?? m.liveLocationMessage;
  if (loc) {
    const l = loc as proto.Message.ILocationMessage;
    content.kind = "location";
    content.location = {
      latitude: num(l.degreesLatitude),
      longitude: num(l.degreesLongitude),
      ...(l.name ? { name: l.name } : {}),
      ...(l.address ? { address: l.address } : {}),
      ...(l.url ? { url: l.url } : {}),
    };
    return {
      body:
        [l.name, l.address].filter(Boolean).join(", ") || `${content.location.latitude}, ${content.location.longitude}`,
      content,
      media: null,
      ctx: loc.contextInfo,
    };
  }
  const cards = m.contactMessage ? [m.contactMessage] : (m.contactsArrayMessage?.contacts ?? null);
  if (cards) {
    content.kind = "contacts";
    content.contacts = cards.map(
      (c): SharedContact => ({ name: c.displayName ?? "", phones: vcardPhones(c.vcard ?? "") }),
    );
    return {
      body: content.contacts.map((c) => [c.name, ...c.phones.map((p) => p.phone)].join(" ")).join("\n"),
      content,
      media: null,
      ctx: m.contactMessage?.contextInfo ?? m.contactsArrayMessage?.contextInfo,
    };
  }
  const choice = m.buttonsResponseMessage
    ? { id: m.buttonsResponseMessage.selectedButtonId ?? "", title: m.buttonsResponseMessage.selectedDisplayText ?? "" }
    : m.listResponseMessage
      ? { id: m.listResponseMessage.singleSelectReply?.selectedRowId ?? "", title: m.listResponseMessage.title ?? "" }
      : m.templateButtonReplyMessage
        ? {
            id: m.templateButtonReplyMessage.selectedId ?? "",
            title: m.templateButtonReplyMessage.selectedDisplayText ?? "",
          }
        : null;
  if (choice) return { body: choice.title, content: { kind: "interactive", choice }, media: null, ctx: null };
  return { body: "", content: { kind: "unsupported" }, media: null, ctx: null };
}

/** One received message as an update for the inbox; null for what is not a customer's message to us. */
export function parseMessage(
  msg: WAMessage,
  knownPhone?: string | null,
  opts: { groups?: boolean } = {},
): WaUpdate | null {
  const key = msg.key;
  if (!key?.id || key.fromMe) return null;
  if (isJidGroup(key.remoteJid ?? "") && !opts.groups) return null;
  const peer = peerOf(key, msg.pushName, knownPhone);
  if (!peer) return null;
  const at = num(msg.messageTimestamp) * 1000 || Date.now();
  const m = normalizeMessageContent(msg.message);
  if (!m) return null;
  if (m.reactionMessage?.key?.id)
    return {
      kind: "reaction",
      peer,
      targetExternalId: m.reactionMessage.key.id,
      emoji: m.reactionMessage.text ?? "",
      at,
    };
  const p = m.protocolMessage;
  if (p) {
    if (p.type === 0 && p.key?.id) return { kind: "revoke", peer, targetExternalId: p.key.id, at }; // REVOKE
    if (p.type === 14 && p.key?.id && p.editedMessage)
      return {
        kind: "edit",
        peer,
        targetExternalId: p.key.id,
        body: describe(normalizeMessageContent(p.editedMessage) ?? {}).body,
        at,
      }; // MESSAGE_EDIT
    return null; // history sync, key shares, ephemeral settings…
  }
  if (m.senderKeyDistributionMessage && Object.keys(m).length === 1) return null;
  const d = describe(m);
  if (d.ctx?.isForwarded) d.content.forwarded = true;
  return {
    kind: "message",
    peer,
    externalId: key.id,
    at,
    body: d.body,
    content: d.content,
    media: d.media,
    replyToExternalId: d.ctx?.stanzaId ?? null,
  };
}

/** WhatsApp's delivery states of our own messages (WebMessageInfo.Status). */
export function statusOf(n: number | null | undefined): "sent" | "delivered" | "read" | "failed" | null {
  switch (n) {
    case 0:
      return "failed"; // ERROR
    case 2:
      return "sent"; // SERVER_ACK
    case 3:
      return "delivered"; // DELIVERY_ACK
    case 4:
    case 5:
      return "read"; // READ, PLAYED
    default:
      return null;
  }
}
