// Webhook bodies of the WhatsApp Cloud API, turned into what the inbox understands. Pure: no I/O here.
import type { MessageContent, SharedContact } from "../../inbox/schema.ts";
import { timingSafeEqual } from "node:crypto";

// biome-ignore lint/suspicious/noExplicitAny: webhook JSON is walked loosely; each field is checked where it is read
type Obj = Record<string, any>;
export type CloudSender = { waId: string; name?: string; userId?: string };
export type CloudMedia = { id: string; mime: string; filename?: string; url?: string; voice?: boolean };

export type CloudUpdate =
  | {
      kind: "message";
      phoneNumberId: string;
      from: CloudSender;
      externalId: string;
      at: number;
      body: string;
      content: MessageContent | null;
      media: CloudMedia | null;
      replyToExternalId: string | null;
    }
  | {
      kind: "reaction";
      phoneNumberId: string;
      from: CloudSender;
      externalId: string;
      targetExternalId: string;
      emoji: string;
      at: number;
    }
  | { kind: "edit"; phoneNumberId: string; from: CloudSender; targetExternalId: string; body: string; at: number }
  | { kind: "revoke"; phoneNumberId: string; from: CloudSender; targetExternalId: string; at: number }
  | {
      kind: "system";
      phoneNumberId: string;
      from: CloudSender;
      externalId: string;
      text: string;
      type: string;
      newWaId: string | null;
      at: number;
    }
  | {
      kind: "status";
      phoneNumberId: string;
      externalId: string;
      status: "sent" | "delivered" | "read" | "failed";
      tracker: string | null;
      error: string | null;
      recipient: string;
      at: number;
    };

const MEDIA = ["image", "video", "audio", "document", "sticker"] as const;
const secs = (t: unknown) => (Number(t) > 0 ? Number(t) * 1000 : Date.now());

function sharedContacts(list: Obj[]): SharedContact[] {
  return list.map((c) => ({
    name: c.name?.formatted_name ?? [c.name?.first_name, c.name?.last_name].filter(Boolean).join(" "),
    phones: (c.phones ?? []).map((p: Obj) => ({
      phone: String(p.phone ?? ""),
      ...(p.type ? { type: String(p.type) } : {}),
      ...(p.wa_id ? { waId: String(p.wa_id) } : {}),
    })),
    ...(c.emails?.length ? { emails: c.emails.map((e: Obj) => String(e.email)) } : {}),
  }));
}

/** The text and content of one message object (also used for the new version of an edited message). */
function describe(m: Obj): { body: string; content: MessageContent; media: CloudMedia | null } {
  const content: MessageContent = { kind: m.type };
  let body = "";
  let media: CloudMedia | null = null;
  if (m.type === "text") body = String(m.text?.body ?? "");
  else if ((MEDIA as readonly string[]).includes(m.type) && m[m.type]?.id) {
    const x = m[m.type];
    media = {
      id: String(x.id),
      mime: String(x.mime_type ?? "application/octet-stream"),
      ...(x.filename ? { filename: String(x.filename) } : {}),
      ...(x.url ? { url: String(x.url) } : {}),
      ...(x.voice ? { voice: true } : {}),
    };
    body = String(x.caption ?? "");
  } else if (m.type === "location" && m.location) {
    const l = m.location;
    content.location = {
      latitude: Number(l.latitude),
      longitude: Number(l.longitude),
      ...(l.name ? { name: String(l.name) } : {}),
      ...(l.address ? { address: String(l.address) } : {}),
      ...(l.url ? { url: String(l.url) } : {}),
    };
    body = [l.name, l.address].filter(Boolean).join(", ") || `${l.latitude}, ${l.longitude}`;
  } else if (m.type === "contacts" && Array.isArray(m.contacts)) {
    content.contacts = sharedContacts(m.contacts);
    body = content.contacts.map((c) => [c.name, ...c.phones.map((p) => p.phone)].join(" ")).join("\n");
  } else if (m.type === "interactive" && m.interactive) {
    const r = m.interactive.button_reply ?? m.interactive.list_reply ?? m.interactive.nfm_reply;
    if (r) {
      content.choice = {
        id: String(r.id ?? ""),
        title: String(r.title ?? r.name ?? ""),
        ...(r.description ? { description: String(r.description) } : {}),
      };
      body = content.choice.title;
    } else content.kind = "unsupported";
  } else if (m.type === "button" && m.button) {
    content.choice = { id: String(m.button.payload ?? ""), title: String(m.button.text ?? "") };
    body = content.choice.title;
  } else if (m.type === "order" && m.order) {
    content.order = {
      catalogId: m.order.catalog_id,
      text: m.order.text || undefined,
      items: (m.order.product_items ?? []).map((i: Obj) => ({
        sku: String(i.product_retailer_id),
        quantity: Number(i.quantity),
        price: Number(i.item_price),
        currency: String(i.currency),
      })),
    };
    body = [m.order.text, ...content.order.items.map((i) => `${i.quantity} × ${i.sku} (${i.price} ${i.currency})`)]
      .filter(Boolean)
      .join("\n");
  } else {
    content.kind = "unsupported";
  }
  if (m.context?.forwarded || m.context?.frequently_forwarded) content.forwarded = true;
  if (m.referral)
    (content as Obj).referral = {
      sourceUrl: m.referral.source_url,
      sourceType: m.referral.source_type,
      headline: m.referral.headline,
      body: m.referral.body,
    };
  return { body, content, media };
}

/** Every update in one webhook body, in order. Groups and unknown fields are left out. */
export function parseWebhook(payload: unknown): CloudUpdate[] {
  const out: CloudUpdate[] = [];
  const p = payload as Obj;
  if (p?.object !== "whatsapp_business_account" || !Array.isArray(p.entry)) return out;
  for (const entry of p.entry) {
    for (const change of entry?.changes ?? []) {
      if (change?.field !== "messages" || !change.value) continue;
      const v = change.value as Obj;
      const phoneNumberId = String(v.metadata?.phone_number_id ?? "");
      const profiles = new Map<string, Obj>((v.contacts ?? []).map((c: Obj) => [String(c.wa_id), c]));
      const sender = (m: Obj): CloudSender => {
        const waId = String(m.from ?? "");
        const c = profiles.get(waId) ?? (v.contacts?.length === 1 ? v.contacts[0] : undefined);
        return {
          waId,
          ...(c?.profile?.name ? { name: String(c.profile.name) } : {}),
          ...((m.from_user_id ?? c?.user_id) ? { userId: String(m.from_user_id ?? c.user_id) } : {}),
        };
      };
      for (const m of v.messages ?? []) {
        if (m.group_id) continue; // groups are not served through the Cloud API channel
        const from = sender(m);
        const at = secs(m.timestamp);
        const externalId = String(m.id ?? "");
        if (m.type === "reaction" && m.reaction) {
          out.push({
            kind: "reaction",
            phoneNumberId,
            from,
            externalId,
            targetExternalId: String(m.reaction.message_id),
            emoji: String(m.reaction.emoji ?? ""),
            at,
          });
        } else if (m.type === "edit" && m.edit) {
          out.push({
            kind: "edit",
            phoneNumberId,
            from,
            targetExternalId: String(m.edit.original_message_id),
            body: describe(m.edit.message ?? {}).body,
            at,
          });
        } else if (m.type === "revoke" && m.revoke) {
          out.push({ kind: "revoke", phoneNumberId, from, targetExternalId: String(m.revoke.original_message_id), at });
        } else if (m.type === "system" && m.system) {
          out.push({
            kind: "system",
            phoneNumberId,
            from,
            externalId,
            text: String(m.system.body ?? ""),
            type: String(m.system.type ?? ""),
            newWaId: m.system.wa_id ? String(m.system.wa_id) : null,
            at,
          });
        } else {
          const d = describe(m);
          const replyTo = m.context?.id && !m.context.forwarded ? String(m.context.id) : null;
          out.push({
            kind: "message",
            phoneNumberId,
            from,
            externalId,
            at,
            body: d.body,
            content: d.content,
            media: d.media,
            replyToExternalId: replyTo,
          });
        }
      }
      for (const s of v.statuses ?? []) {
        if (s.recipient_type === "group") continue;
        const status = s.status === "played" ? "read" : s.status;
        if (!["sent", "delivered", "read", "failed"].includes(status)) continue;
        const e = s.errors?.[0];
        const error = e
          ? `${e.title ?? e.message ?? "error"}${e.error_data?.details ? `: ${e.error_data.details}` : ""}${e.code ? ` (${e.code})` : ""}`
          : null;
        out.push({
          kind: "status",
          phoneNumberId,
          externalId: String(s.id),
          status,
          tracker: s.biz_opaque_callback_data ? String(s.biz_opaque_callback_data) : null,
          error,
          recipient: String(s.recipient_id ?? ""),
          at: secs(s.timestamp),
        });
      }
    }
  }
  return out;
}

/** Checks Meta's X-Hub-Signature-256 header (sha256=<hex HMAC of the raw body with the app secret>), in constant time. */
export function validSignature(rawBody: Uint8Array | string, header: string | null | undefined, appSecret: string) {
  if (!header?.startsWith("sha256=") || !appSecret) return false;
  const expected = Buffer.from(new Bun.CryptoHasher("sha256", appSecret).update(rawBody).digest("hex"), "utf8");
  const got = Buffer.from(header.slice(7).trim().toLowerCase(), "utf8");
  return got.length === expected.length && timingSafeEqual(got, expected);
}
