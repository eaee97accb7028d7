// The fetch guard: every server-side fetch a person or a webhook can aim (knowledge pages, API callbacks, media)
// reaches only public http(s) addresses unless the administrator allows a host, re-checks redirects, and reads a
// limited body.
import { describe, test, expect, beforeEach, afterEach } from "bun:test";
import { count } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { checkUrl, guardedFetch, isBlockedAddress, FetchRefused } from "../../src/platform/net-guard.ts";
import { kbSources } from "../../src/agents/schema.ts";
import { GraphClient } from "../../src/channels/whatsapp-cloud/graph.ts";

describe("addresses", () => {
  test.each([
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "fe80::1",
    "fd00:ec2::254",
    "fc00::1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "ff02::1",
    "2001:db8::1",
  ])("%s is refused", (ip) => expect(isBlockedAddress(ip)).toBe(true));
  test.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "100.128.0.1"])(
    "%s is public",
    (ip) => expect(isBlockedAddress(ip)).toBe(false),
  );
});

describe("URLs", () => {
  const refused = async (url: string, opts = {}) => {
    const e = await checkUrl(url, opts).then(
      () => null,
      (x) => x,
    );
    expect(e).toBeInstanceOf(FetchRefused);
  };
  test.each([
    "file:///etc/os-release",
    "file:///proc/self/cmdline",
    "data:text/plain,hola",
    "ftp://example.com/x",
    "gopher://127.0.0.1:25/",
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:3000/",
    "http://app.localhost/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://0/",
    "http://user:pw@example.com/",
    "not a url",
  ])("%s is refused", (url) => refused(url));
  test("a name that resolves to a private address is refused; a public one passes; an allowed host passes", async () => {
    await refused("http://intranet.example/", { resolve: async () => ["10.0.0.5"] });
    await refused("http://mixed.example/", { resolve: async () => ["93.184.216.34", "127.0.0.1"] });
    expect((await checkUrl("https://shop.example/about", { resolve: async () => ["93.184.216.34"] })).hostname).toBe(
      "shop.example",
    );
    expect((await checkUrl("http://127.0.0.1:8080/x", { allowHosts: ["127.0.0.1"] })).port).toBe("8080");
    await refused("http://127.0.0.2/", { allowHosts: ["127.0.0.1"] });
  });
});

describe("fetching", () => {
  let hits: string[] = [];
  let srv: ReturnType<typeof Bun.serve>;
  beforeEach(() => {
    hits = [];
    srv = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const u = new URL(req.url);
        hits.push(`${u.pathname} ${req.headers.get("authorization") ?? ""}`);
        if (u.pathname === "/host") return new Response(`host=${req.headers.get("host")}`);
        if (u.pathname === "/to-localhost") return Response.redirect(`http://localhost:${srv.port}/secret`, 302);
        if (u.pathname === "/to-other") return Response.redirect(`http://127.0.0.2:${srv.port}/secret`, 302);
        if (u.pathname === "/loop") return Response.redirect(`/loop`, 302);
        if (u.pathname === "/big")
          return new Response(
            new ReadableStream({
              pull(c) {
                c.enqueue(new Uint8Array(64 * 1024));
              },
            }),
          );
        return new Response(`page ${u.pathname}`);
      },
    });
  });
  afterEach(() => srv.stop(true));
  const base = () => `http://127.0.0.1:${srv.port}`;
  const opts = { allowHosts: ["127.0.0.1"], maxBytes: 1024 * 1024, timeoutMs: 5000 };

  test("redirects are checked again, credentials stay with the first origin, bodies are cut at the limit", async () => {
    expect((await guardedFetch(`${base()}/ok`, opts)).text()).toBe("page /ok");
    for (const p of ["/to-localhost", "/to-other"]) {
      const e = await guardedFetch(`${base()}${p}`, { ...opts, originHeaders: { authorization: "Bearer tok" } }).then(
        () => null,
        (x) => x,
      );
      expect(e).toBeInstanceOf(FetchRefused);
    }
    expect(hits.filter((h) => h.startsWith("/secret"))).toEqual([]);
    expect(
      await guardedFetch(`${base()}/loop`, opts).then(
        () => "",
        (e) => e.reason,
      ),
    ).toBe("too many redirects");
    const started = Date.now();
    expect(
      await guardedFetch(`${base()}/big`, opts).then(
        () => "",
        (e) => e.reason,
      ),
    ).toContain("larger than");
    expect(Date.now() - started).toBeLessThan(4000);
  });

  test("the connection goes to the address that was checked, not to a second lookup of the name (DNS rebinding)", async () => {
    // "pinned.invalid" has no address in the system's resolver: only the checked answer can reach the server
    let lookups = 0;
    const resolve = async (host: string) => {
      lookups++;
      return host === "pinned.invalid" ? ["127.0.0.1"] : [];
    };
    const r = await guardedFetch(`http://pinned.invalid:${srv.port}/host`, {
      ...opts,
      allowHosts: ["pinned.invalid"],
      resolve,
    });
    // the server saw the name (virtual hosts work), the socket went to the vetted address, the name was looked up once
    expect(r.text()).toBe(`host=pinned.invalid:${srv.port}`);
    expect(r.url).toBe(`http://pinned.invalid:${srv.port}/host`);
    expect(lookups).toBe(1);
  });

  test("a Cloud API media URL off Meta's hosts never gets the channel's token", async () => {
    const g = new GraphClient({
      graphUrl: "https://graph.facebook.com",
      apiVersion: "v21.0",
      accessToken: "EAAG-secret-token",
      phoneNumberId: "1",
      wabaId: "",
    });
    const e = await g.download(`${base()}/steal`, 1024).then(
      () => null,
      (x) => x,
    );
    expect(String(e?.message)).toContain("not Meta's");
    await expect(g.mediaInfo("../../me?fields=id")).rejects.toThrow("media id is not valid");
    expect(hits).toEqual([]);
  });
});

describe("the knowledge base's 'add a web page'", () => {
  let t: TestApp;
  let key: string;
  beforeEach(async () => {
    t = await makeTestApp();
    key = (await seedBusiness(t.ctx)).apiKey;
  });
  afterEach(() => t.close());

  test("local files, loopback spellings, data: URLs and redirects to loopback are refused with one generic error and nothing stored", async () => {
    const inner = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("SECRET-INTERNAL-TEXT") });
    const redirector = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.redirect(`http://127.0.0.1:${inner.port}/`, 302),
    });
    try {
      const p = inner.port;
      const urls = [
        "file:///etc/os-release",
        "file:///proc/self/cmdline",
        `http://127.0.0.1:${p}/`,
        `http://2130706433:${p}/`,
        `http://0177.0.0.1:${p}/`,
        `http://[::ffff:127.0.0.1]:${p}/`,
        `http://localhost.:${p}/`,
        "data:text/html,<h1>hola</h1>",
        `http://127.0.0.1:9/closed-port`,
      ];
      const answers = new Set<string>();
      for (const url of urls) {
        const r = await t.req("POST", "/api/v1/knowledge/sources", {
          headers: { authorization: `Bearer ${key}` },
          json: { url },
        });
        const j = await r.json();
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(JSON.stringify(j)).not.toContain("SECRET-INTERNAL-TEXT");
        if (url.startsWith("http")) answers.add(`${r.status} ${j.error.code} ${j.error.message}`);
      }
      // an open port, a closed one and a refused address read the same: the errors map nothing
      expect([...answers]).toHaveLength(1);
      // the administrator allows the redirector's host, not where it points
      t.ctx.config.fetch_allow_hosts = ["localhost"];
      const r = await t.req("POST", "/api/v1/knowledge/sources", {
        headers: { authorization: `Bearer ${key}` },
        json: { url: `http://localhost:${redirector.port}/` },
      });
      expect(r.status).toBe(422);
      expect((await t.ctx.db.select({ n: count() }).from(kbSources).get())!.n).toBe(0);
    } finally {
      inner.stop(true);
      redirector.stop(true);
    }
  });
});

describe("an API channel's callback", () => {
  test("on loopback, without the administrator allowing the host, is not called and the reply fails visibly", async () => {
    const t = await makeTestApp();
    let hits = 0;
    const hook = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        hits++;
        return new Response("ok");
      },
    });
    try {
      const s = await seedBusiness(t.ctx);
      const auth = { authorization: `Bearer ${s.apiKey}` };
      const bad = await t.req("POST", "/api/v1/channels", {
        headers: auth,
        json: { type: "api", name: "X", config: { callbackUrl: "file:///etc/passwd" } },
      });
      expect(bad.status).toBe(400);
      const ch = (
        await (
          await t.req("POST", "/api/v1/channels", {
            headers: auth,
            json: { type: "api", name: "CRM", config: { callbackUrl: `http://127.0.0.1:${hook.port}/hook` } },
          })
        ).json()
      ).data;
      const conv = (
        await (
          await t.req("POST", "/api/v1/inbound", {
            headers: auth,
            json: { channelId: ch.id, from: { externalId: "c1" }, body: "hola" },
          })
        ).json()
      ).data.conversationId;
      const id = (
        await (
          await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: auth, json: { body: "respuesta" } })
        ).json()
      ).data.id;
      await t.ctx.outbox.start();
      let m: { status: string; error: string | null } | undefined;
      for (let i = 0; i < 100 && m?.status !== "failed"; i++) {
        await Bun.sleep(30);
        m = (await (await t.req("GET", `/api/v1/conversations/${conv}/messages`, { headers: auth })).json()).data.find(
          (x: { id: string }) => x.id === id,
        );
      }
      expect(m?.status).toBe("failed");
      expect(m?.error).toContain("callback refused");
      expect(hits).toBe(0);
    } finally {
      hook.stop(true);
      await t.close();
    }
  });
});

describe("a model server", () => {
  test("may be on this machine, but never link-local (the cloud metadata service), however written", async () => {
    const t = await makeTestApp();
    try {
      const auth = { authorization: `Bearer ${(await seedBusiness(t.ctx)).apiKey}` };
      for (const ollamaUrl of [
        "http://169.254.169.254/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fe80::1]:11434/",
        "http://[fd00:ec2::254]/",
        "file:///etc/passwd",
      ]) {
        const r = await t.req("PUT", "/api/v1/ai/settings", { headers: auth, json: { ollamaUrl } });
        expect(r.status).toBe(400);
      }
      expect(
        (await t.req("PUT", "/api/v1/ai/settings", { headers: auth, json: { ollamaUrl: "http://127.0.0.1:11434" } }))
          .status,
      ).toBe(200);
    } finally {
      await t.close();
    }
  });
});
