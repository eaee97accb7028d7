// A protocol double of Meta's Graph API for the WhatsApp Cloud API, on 127.0.0.1: the messages, media and
// template endpoints with their real request and response shapes, bearer-token checks, Meta's error bodies,
// a per-second rate limit answered with error 130429, and status webhooks (sent, delivered) posted back to the
// app, signed with the app secret and retried until the app answers 200, as Meta does.
export type SentMessage = { phoneNumberId: string; body: Record<string, any>; wamid: string; at: number };
type Failure = { status: number; code: number; message: string };

export type GraphDoubleOptions = {
  token: string;
  appSecret: string;
  /** where status webhooks go (the app's /webhooks/whatsapp-cloud); null = none */
  webhookUrl?: string | null;
  /** accepted messages per second per number; above it Meta answers 130429 */
  ratePerSecond?: number | null;
  templates?: Record<string, unknown>[];
  /** how long Meta takes to answer a send (it has the message from the moment it arrives) */
  latencyMs?: number;
};

export function sign(body: string, secret: string) {
  return `sha256=${new Bun.CryptoHasher("sha256", secret).update(body).digest("hex")}`;
}

export function startGraphDouble(opts: GraphDoubleOptions) {
  const sent: SentMessage[] = [];
  /** sends per tracker (biz_opaque_callback_data), kept as they arrive */
  const trackers = new Map<string, number>();
  const reads: string[] = [];
  const uploads = new Map<string, { bytes: Uint8Array; mime: string }>();
  const media = new Map<string, { bytes: Uint8Array; mime: string }>();
  const failures: Failure[] = [];
  let seq = 0;
  const window = new Map<string, { second: number; n: number }>();
  const pendingHooks: { body: string; tries: number }[] = [];
  let webhookUrl = opts.webhookUrl ?? null;
  let rate = opts.ratePerSecond ?? null;
  let delivering = false;
  let refused = 0;

  const error = (status: number, code: number, message: string, type = "OAuthException") =>
    Response.json(
      {
        error: {
          message,
          type,
          code,
          error_data: { messaging_product: "whatsapp", details: message },
          fbtrace_id: `A${++seq}`,
        },
      },
      { status },
    );

  async function deliverHooks() {
    if (delivering) return;
    delivering = true;
    try {
      while (pendingHooks.length && webhookUrl) {
        const h = pendingHooks[0];
        try {
          const r = await fetch(webhookUrl, {
            method: "POST",
            headers: { "content-type": "application/json", "x-hub-signature-256": sign(h.body, opts.appSecret) },
            body: h.body,
          });
          if (r.ok) {
            pendingHooks.shift();
            continue;
          }
        } catch {
          /* the app is down: Meta keeps retrying */
        }
        h.tries++;
        await Bun.sleep(Math.min(1000, 20 * h.tries));
      }
    } finally {
      delivering = false;
    }
  }

  function queueStatuses(phoneNumberId: string, to: string, wamid: string, tracker: string | undefined) {
    if (!webhookUrl) return;
    for (const status of ["sent", "delivered"]) {
      const body = JSON.stringify({
        object: "whatsapp_business_account",
        entry: [
          {
            id: "WABA",
            changes: [
              {
                field: "messages",
                value: {
                  messaging_product: "whatsapp",
                  metadata: { display_phone_number: "15550000000", phone_number_id: phoneNumberId },
                  statuses: [
                    {
                      id: wamid,
                      status,
                      timestamp: String(Math.floor(Date.now() / 1000)),
                      recipient_id: to,
                      ...(tracker ? { biz_opaque_callback_data: tracker } : {}),
                      conversation: { id: "c1", origin: { type: "service" } },
                      pricing: { billable: true, pricing_model: "CBP", category: "service" },
                    },
                  ],
                },
              },
            ],
          },
        ],
      });
      pendingHooks.push({ body, tries: 0 });
    }
    void deliverHooks();
  }

  /**
   * A template send checked against the account's registry as Meta does: the template must exist in that
   * language; a media header (IMAGE, VIDEO, DOCUMENT) needs a header parameter of that type with an uploaded
   * media id (132012 otherwise); the body's {{n}} count must match (132000).
   */
  function templateProblem(tpl: Record<string, any> | undefined) {
    const known = (opts.templates ?? []).find(
      (x) => x.name === tpl?.name && x.language === tpl?.language?.code && x.status === "APPROVED",
    ) as { components?: { type: string; format?: string; text?: string }[] } | undefined;
    if (!known) return { code: 132001, message: "(#132001) Template name does not exist in the translation" };
    const comps = (tpl?.components ?? []) as { type: string; parameters?: Record<string, any>[] }[];
    const head = known.components?.find((c) => c.type === "HEADER");
    const format = String(head?.format ?? "").toLowerCase();
    if (["image", "video", "document"].includes(format)) {
      const p = comps.find((c) => c.type === "header")?.parameters?.[0];
      if (p?.type !== format || !uploads.has(String(p[format]?.id)))
        return { code: 132012, message: "(#132012) Parameter format does not match format in the created template" };
    }
    const body = String(known.components?.find((c) => c.type === "BODY")?.text ?? "");
    const want = new Set([...body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => m[1])).size;
    const got = comps.find((c) => c.type === "body")?.parameters?.length ?? 0;
    if (want !== got)
      return { code: 132000, message: "(#132000) Number of parameters does not match the expected number of params" };
    return null;
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const parts = url.pathname.split("/").filter(Boolean);
      if (req.headers.get("authorization") !== `Bearer ${opts.token}`)
        return error(401, 190, "Invalid OAuth access token - Cannot parse access token");
      // media download URLs (lookaside) carry no version
      if (parts[0] === "media-download") {
        const m = media.get(parts[1]) ?? uploads.get(parts[1]);
        return m
          ? new Response(m.bytes as unknown as BodyInit, {
              headers: { "content-type": m.mime, "content-length": String(m.bytes.length) },
            })
          : new Response("not found", { status: 404 });
      }
      const [, a, b] = parts; // /v21.0/<id>/<edge>
      if (req.method === "POST" && b === "messages") {
        const body = (await req.json()) as Record<string, any>;
        if (body.status === "read") {
          reads.push(String(body.message_id));
          return Response.json({ success: true });
        }
        const f = failures.shift();
        if (f) return error(f.status, f.code, f.message);
        if (rate) {
          const s = Math.floor(Date.now() / 1000);
          const w = window.get(a);
          if (!w || w.second !== s) window.set(a, { second: s, n: 1 });
          else if (++w.n > rate) {
            refused++;
            return error(400, 130429, "Rate limit hit", "OAuthException");
          }
        }
        if (!body.to || !body.type) return error(400, 100, "(#100) Invalid parameter");
        if (body.type === "template") {
          const refused = templateProblem(body.template);
          if (refused) return error(400, refused.code, refused.message);
        }
        const wamid = `wamid.${Buffer.from(`${a}:${++seq}:${Date.now()}`).toString("base64url")}`;
        sent.push({ phoneNumberId: a, body, wamid, at: Date.now() });
        if (body.biz_opaque_callback_data)
          trackers.set(body.biz_opaque_callback_data, (trackers.get(body.biz_opaque_callback_data) ?? 0) + 1);
        queueStatuses(a, body.to, wamid, body.biz_opaque_callback_data);
        if (opts.latencyMs) await Bun.sleep(opts.latencyMs);
        return Response.json({
          messaging_product: "whatsapp",
          contacts: [{ input: body.to, wa_id: body.to }],
          messages: [{ id: wamid }],
        });
      }
      if (req.method === "POST" && b === "media") {
        const form = await req.formData();
        const file = form.get("file");
        if (!(file instanceof Blob) || form.get("messaging_product") !== "whatsapp")
          return error(400, 100, "(#100) Param file must be a file");
        const id = String(9_000_000 + ++seq);
        uploads.set(id, {
          bytes: new Uint8Array(await file.arrayBuffer()),
          mime: String(form.get("type") ?? file.type),
        });
        return Response.json({ id });
      }
      if (req.method === "GET" && b === "message_templates") {
        const all = opts.templates ?? [];
        const after = Number(url.searchParams.get("after") ?? 0);
        const limit = Number(url.searchParams.get("limit") ?? 25);
        const page = all.slice(after, after + Math.min(limit, 2)); // small pages, so paging is exercised
        const next =
          after + page.length < all.length
            ? `${url.origin}${url.pathname}?limit=${limit}&after=${after + page.length}`
            : undefined;
        return Response.json({
          data: page,
          paging: { cursors: { before: String(after), after: String(after + page.length) }, ...(next ? { next } : {}) },
        });
      }
      if (req.method === "GET" && a && !b) {
        const m = media.get(a) ?? uploads.get(a);
        if (!m) return error(400, 100, "(#100) Invalid parameter");
        return Response.json({
          messaging_product: "whatsapp",
          url: `${url.origin}/media-download/${a}`,
          mime_type: m.mime,
          sha256: new Bun.CryptoHasher("sha256").update(m.bytes).digest("base64"),
          file_size: m.bytes.length,
          id: a,
        });
      }
      return error(400, 100, `Unsupported ${req.method} request`);
    },
  });

  const base = `http://127.0.0.1:${server.port}`;
  return {
    url: base,
    sent,
    reads,
    uploads,
    trackers,
    /** media a customer sent, retrievable by id as Meta's media endpoints do */
    addMedia(id: string, bytes: Uint8Array, mime: string) {
      media.set(id, { bytes, mime });
    },
    /** the next n message sends fail with this error */
    failNext(n: number, f: Failure) {
      for (let i = 0; i < n; i++) failures.push(f);
    },
    setRate(r: number | null) {
      rate = r;
    },
    setWebhook(u: string | null) {
      webhookUrl = u;
      void deliverHooks();
    },
    get pendingWebhooks() {
      return pendingHooks.length;
    },
    /** sends refused for going over the rate limit */
    get refused() {
      return refused;
    },
    stop() {
      server.stop(true);
    },
  };
}
export type GraphDouble = ReturnType<typeof startGraphDouble>;
