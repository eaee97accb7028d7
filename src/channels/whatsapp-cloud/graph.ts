// The WhatsApp Cloud API (Meta's Graph API) as DigyBot uses it: messages, media, templates.
import { z } from "zod";
import { PermanentSendError } from "../types.ts";
import { FetchRefused, guardedFetch } from "../../platform/net-guard.ts";

/** Where Meta serves media downloads from (the URL that GET /{media-id} answers with). */
const META_MEDIA_HOSTS = ["fbsbx.com", "facebook.com", "fbcdn.net", "whatsapp.net"];

export const cloudConfig = z.strictObject({
  /** the number's id in Meta's WhatsApp Manager (not the phone number itself) */
  phoneNumberId: z.string().trim().min(1).max(64),
  /** the WhatsApp Business Account id, for the template registry */
  wabaId: z.string().trim().max(64).default(""),
  /** a system user's permanent access token */
  accessToken: z.string().trim().min(1).max(1000),
  /** the Meta app's secret: every webhook POST is signed with it (X-Hub-Signature-256) */
  appSecret: z.string().trim().min(1).max(200),
  /** the token Meta echoes when the webhook is verified (hub.verify_token) */
  verifyToken: z.string().trim().min(8).max(200),
  graphUrl: z.url({ protocol: /^https?$/ }).default("https://graph.facebook.com"),
  apiVersion: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default("v21.0"),
  /** messages per second for this number (Meta's default throughput is 80) */
  ratePerSecond: z.number().positive().max(100_000).default(80),
  /** after a crash cut a send short, how long to wait for Meta's delivery report before sending it again */
  reportGraceMs: z.number().int().min(1000).max(3_600_000).default(60_000),
  /** largest media file fetched from a customer's message, in MB */
  maxMediaMb: z.number().positive().max(100).default(16),
});
export type CloudConfig = z.infer<typeof cloudConfig>;

/** Meta's error codes that retrying cannot fix (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes). */
const permanentCodes = new Set([
  100, 190, 200, 368, 131008, 131009, 131021, 131026, 131031, 131042, 131045, 131047, 131051, 131052, 131053, 132000,
  132001, 132005, 132007, 132012, 132015, 132016, 133010, 135000,
]);

/** Throttling and Meta's temporary trouble: worth retrying with backoff. */
const transientCodes = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004]);

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | null,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
  /** worth retrying: throttling, Meta's own trouble, the network */
  get transient() {
    if (this.code !== null && permanentCodes.has(this.code)) return false;
    return this.status === 0 || this.status === 429 || this.status >= 500 || transientCodes.has(this.code ?? -1);
  }
}

export type SendResponse = {
  messaging_product: "whatsapp";
  contacts?: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: string }[];
};
export type MediaInfo = { url: string; mime_type: string; sha256?: string; file_size?: number; id: string };
export type GraphTemplate = {
  name: string;
  language: string;
  status: string;
  category?: string;
  id?: string;
  components?: { type: string; text?: string; format?: string; buttons?: unknown[] }[];
};

export class GraphClient {
  constructor(
    private cfg: Pick<CloudConfig, "graphUrl" | "apiVersion" | "accessToken" | "phoneNumberId" | "wabaId">,
    private timeoutMs = 15_000,
  ) {}

  private url(path: string) {
    return `${this.cfg.graphUrl.replace(/\/$/, "")}/${this.cfg.apiVersion}/${path.replace(/^\//, "")}`;
  }

  private async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const init: RequestInit = {
      method,
      headers: { authorization: `Bearer ${this.cfg.accessToken}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new GraphError(0, null, `Graph API unreachable: ${e instanceof Error ? e.message : String(e)}`, null);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const err = (json as { error?: { message?: string; code?: number; error_data?: { details?: string } } } | null)
        ?.error;
      const detail = err?.error_data?.details ? `: ${err.error_data.details}` : "";
      throw new GraphError(
        res.status,
        err?.code ?? null,
        `${err?.message ?? `HTTP ${res.status}`}${detail}${err?.code ? ` (${err.code})` : ""}`,
        err ?? text.slice(0, 500),
      );
    }
    return json as T;
  }

  sendMessage(payload: Record<string, unknown>) {
    return this.call<SendResponse>("POST", this.url(`${this.cfg.phoneNumberId}/messages`), {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      ...payload,
    });
  }

  markRead(messageId: string) {
    return this.call<{ success: boolean }>("POST", this.url(`${this.cfg.phoneNumberId}/messages`), {
      messaging_product: "whatsapp",
      status: "read",
      message_id: messageId,
    });
  }

  async uploadMedia(data: Blob, mime: string, name: string) {
    const form = new FormData();
    form.set("messaging_product", "whatsapp");
    form.set("type", mime);
    form.set("file", new File([data], name, { type: mime }));
    return (await this.call<{ id: string }>("POST", this.url(`${this.cfg.phoneNumberId}/media`), form)).id;
  }

  /** A media id from a webhook is a path segment of a Graph URL: anything but a plain id is refused. */
  mediaInfo(id: string) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id))
      return Promise.reject(new GraphError(400, null, "media id is not valid", null));
    return this.call<MediaInfo>("GET", this.url(id));
  }

  /**
   * Downloads a media URL returned by mediaInfo (it needs the same bearer token). The token goes only to Meta's
   * media hosts or the configured Graph host, never along a redirect to another, and the body is read with a limit.
   */
  async download(url: string, maxBytes: number) {
    const graphHost = new URL(this.cfg.graphUrl).hostname.toLowerCase();
    let host: string;
    try {
      host = new URL(url).hostname.toLowerCase();
    } catch {
      throw new GraphError(400, null, "media URL is not valid", null);
    }
    if (host !== graphHost && !META_MEDIA_HOSTS.some((h) => host === h || host.endsWith(`.${h}`)))
      throw new GraphError(400, null, `media URL host ${host} is not Meta's`, null);
    let res;
    try {
      res = await guardedFetch(url, {
        allowHosts: [graphHost],
        originHeaders: { authorization: `Bearer ${this.cfg.accessToken}` },
        maxBytes,
        timeoutMs: this.timeoutMs * 4,
      });
    } catch (e) {
      const kind = e instanceof FetchRefused ? e.kind : "unreachable";
      throw new GraphError(
        kind === "too_large" ? 413 : kind === "forbidden" ? 400 : 0,
        null,
        `media download failed: ${e instanceof Error ? e.message : String(e)}`,
        null,
      );
    }
    if (!res.ok) throw new GraphError(res.status, null, `media download answered ${res.status}`, null);
    return res.body.buffer.slice(res.body.byteOffset, res.body.byteOffset + res.body.byteLength) as ArrayBuffer;
  }

  /** Every template of the business account, following Graph's paging. */
  async templates() {
    if (!this.cfg.wabaId)
      throw new GraphError(400, 100, "The connection has no WhatsApp Business Account id (wabaId)", null);
    const out: GraphTemplate[] = [];
    let next: string | undefined =
      `${this.url(`${this.cfg.wabaId}/message_templates`)}?fields=name,language,status,category,components&limit=100`;
    for (let page = 0; next && page < 50; page++) {
      const r: { data: GraphTemplate[]; paging?: { next?: string } } = await this.call("GET", next);
      out.push(...r.data);
      next = r.paging?.next;
    }
    return out;
  }
}

/** A send failure as the outbox understands it: permanent ones are shown on the message and not retried. */
export function sendFailure(e: unknown): Error {
  if (e instanceof GraphError && !e.transient) return new PermanentSendError(e.message);
  return e instanceof Error ? e : new Error(String(e));
}
