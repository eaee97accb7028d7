// The knowledge base: every kind of source read from a real file or page, cut into passages, found by keyword at
// once and by meaning once the background indexer has made the vectors (libsql F32_BLOB + vector index).
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { makeDocx, makePdf } from "../support/docs.ts";
import { chunkText, htmlText, retrieve, indexStatus } from "../../src/agents/knowledge.ts";
import { parseCsv } from "../../src/platform/csv.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, o: ReturnType<typeof startOllamaDouble>;
const api = () => ({ authorization: `Bearer ${s.apiKey}` });
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  o = startOllamaDouble();
  await t.req("PUT", "/api/v1/ai/settings", { headers: api(), json: { ollamaUrl: o.url, timeoutMs: 5000 } });
});
afterEach(async () => {
  o.stop();
  await t.close();
});

async function upload(name: string, type: string, bytes: Uint8Array | string, title?: string) {
  const fd = new FormData();
  fd.append("file", new File([bytes as BlobPart], name, { type }));
  if (title) fd.append("title", title);
  const r = await t.req("POST", "/api/v1/knowledge/files", { headers: api(), body: fd });
  return { status: r.status, body: await r.json() };
}
async function indexed() {
  for (let i = 0; i < 200; i++) {
    const st = await indexStatus(t.ctx);
    if (st.passages > 0 && st.embedded === st.passages) return st;
    await Bun.sleep(20);
  }
  throw new Error("the indexer did not finish");
}

test("PDF, DOCX, Markdown, CSV (rows and FAQ), a web page and FAQ pairs become passages with their headings", async () => {
  const pdf = await upload(
    "menu.pdf",
    "application/pdf",
    makePdf([
      ["Menu de temporada", "La pizza de temporada lleva calabaza y queso de cabra."],
      ["Bebidas", "Agua de jamaica natural sin azucar."],
    ]),
  );
  expect(pdf.status).toBe(201);
  expect(pdf.body.data).toMatchObject({ kind: "pdf", title: "menu", status: "ready" });
  const docx = await upload(
    "garantia.docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    await makeDocx([
      { heading: "Garantía" },
      { text: "Todos los hornos tienen garantía de un año contra defectos de fábrica." },
    ]),
  );
  expect(docx.body.data).toMatchObject({ kind: "docx", status: "ready" });
  const md = await upload(
    "envios.md",
    "text/markdown",
    "# Envíos\nEnviamos en 24 horas dentro de la ciudad.\n\n# Pagos\nAceptamos tarjeta y transferencia.",
  );
  expect(md.body.data).toMatchObject({ kind: "markdown", chunkCount: 2 });
  const csv = await upload(
    "faq.csv",
    "text/csv",
    'pregunta;respuesta\n"¿Tienen estacionamiento?";"Sí, gratuito para clientes."\n',
  );
  expect(csv.body.data).toMatchObject({ kind: "csv", chunkCount: 1 });
  const page = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response(
        "<html><head><title>Nosotros</title><script>var x=1</script></head><body><nav>Menú</nav><h1>Quiénes somos</h1><p>Somos una pizzería familiar fundada en 1998 &amp; orgullosamente local.</p></body></html>",
        { headers: { "content-type": "text/html; charset=utf-8" } },
      ),
  });
  // a page on this machine is read only because the administrator allows that host (fetch_allow_hosts)
  t.ctx.config.fetch_allow_hosts = ["127.0.0.1"];
  try {
    const r = await t.req("POST", "/api/v1/knowledge/sources", {
      headers: api(),
      json: { url: `http://127.0.0.1:${page.port}/nosotros` },
    });
    expect(r.status).toBe(201);
    const web = (await r.json()).data;
    expect(web).toMatchObject({ kind: "web", title: "Nosotros" });
    const detail = (await (await t.req("GET", `/api/v1/knowledge/sources/${web.id}`, { headers: api() })).json()).data;
    expect(detail.passages[0]).toMatchObject({
      heading: "Quiénes somos",
      body: "Somos una pizzería familiar fundada en 1998 & orgullosamente local.",
    });
  } finally {
    page.stop(true);
  }
  const mdDetail = (
    await (await t.req("GET", `/api/v1/knowledge/sources/${md.body.data.id}`, { headers: api() })).json()
  ).data;
  expect(mdDetail.passages.map((p: { heading: string }) => p.heading)).toEqual(["Envíos", "Pagos"]);

  // found by keyword as soon as it is added (accents and plurals do not matter)
  const hit = await retrieve(t.ctx, "garantia de los hornos", { vector: null });
  expect(hit.hits[0]).toMatchObject({ sourceTitle: "garantia", text: expect.stringContaining("un año") });
  expect((await retrieve(t.ctx, "agua de jamaica", { vector: null })).hits[0].text).toContain("jamaica");
  // a question matching a curated pair closely is a direct answer
  expect((await retrieve(t.ctx, "tienen estacionamiento?")).faq).toMatchObject({
    answer: "Sí, gratuito para clientes.",
  });
});

test("bad sources get clear errors and store nothing", async () => {
  const bad = async (json: unknown, status: number, code: string) => {
    const r = await t.req("POST", "/api/v1/knowledge/sources", { headers: api(), json });
    expect(r.status).toBe(status);
    expect((await r.json()).error.code).toBe(code);
  };
  await bad({ text: "a", url: "http://x.test" }, 400, "invalid_source");
  await bad({ text: "   " }, 400, "empty_source");
  await bad({ url: "http://127.0.0.1:9/nada" }, 422, "source_unreachable");
  await bad({ fileId: "nope" }, 400, "unknown_file");
  const img = await upload("foto.png", "image/png", new Uint8Array([137, 80, 78, 71, 1, 2, 3]));
  expect(img.status).toBe(415);
  expect(img.body.error.code).toBe("unsupported_source");
  const broken = await upload("roto.pdf", "application/pdf", "esto no es un pdf");
  expect(broken.status).toBe(422);
  expect(broken.body.error.code).toBe("unreadable_source");
  expect((await (await t.req("GET", "/api/v1/knowledge/sources", { headers: api() })).json()).data).toHaveLength(0);
});

test("vectors are made in the background with progress; search by meaning, hybrid ranking, re-index and delete", async () => {
  const faq = Array.from({ length: 30 }, (_, i) => ({
    question: `¿Pregunta número ${i} sobre el producto ${i}?`,
    answer: `Respuesta ${i}.`,
  }));
  const r = await t.req("POST", "/api/v1/knowledge/sources", { headers: api(), json: { title: "FAQ grande", faq } });
  const src = (await r.json()).data;
  await t.req("POST", "/api/v1/knowledge/sources", {
    headers: api(),
    json: { title: "Horno", text: "El horno de leña alcanza 450 grados y cuece una pizza en noventa segundos." },
  });
  const st = await indexed();
  expect(st).toMatchObject({ model: "nomic-embed-text", passages: 31, embedded: 31, error: null });
  const list = await (await t.req("GET", "/api/v1/knowledge/sources", { headers: api() })).json();
  expect(list.data.find((x: { id: string }) => x.id === src.id)).toMatchObject({ chunkCount: 30, embeddedCount: 30 });
  const embeds = o.requests.filter((x) => x.path === "/api/embed");
  expect(embeds.length).toBeGreaterThanOrEqual(2); // batches
  // a question with the passage's words in another order: found by its vector too
  const found = await retrieve(t.ctx, "segundos noventa pizza horno leña");
  expect(found.usedVectors).toBe(true);
  expect(found.hits[0]).toMatchObject({ sourceTitle: "Horno" });
  expect(found.hits[0].similarity).toBeGreaterThan(0.55);
  // nothing close enough: nothing returned (the threshold)
  expect((await retrieve(t.ctx, "xyzzy plugh")).hits).toHaveLength(0);
  // re-index: every vector is made again
  const before = o.requests.filter((x) => x.path === "/api/embed").length;
  expect((await t.req("POST", "/api/v1/knowledge/reindex", { headers: api() })).status).toBe(202);
  await indexed();
  expect(o.requests.filter((x) => x.path === "/api/embed").length).toBeGreaterThan(before);
  // delete: its passages leave keyword and vector search
  await t.req("DELETE", `/api/v1/knowledge/sources/${src.id}`, { headers: api() });
  expect(
    (await retrieve(t.ctx, "Pregunta número 7 sobre el producto 7")).hits.every((h) => h.sourceTitle !== "FAQ grande"),
  ).toBe(true);
  const rows = await t.ctx.database.client.execute("SELECT count(*) AS n FROM kb_vectors");
  expect(Number(rows.rows[0].n)).toBe(1);
});

test("without a model server, keyword search still answers and the indexer waits, saying why", async () => {
  await t.req("PUT", "/api/v1/ai/settings", {
    headers: api(),
    json: { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 1000 },
  });
  await t.req("POST", "/api/v1/knowledge/sources", {
    headers: api(),
    json: { title: "Horno", text: "El horno de leña alcanza 450 grados." },
  });
  let st = await indexStatus(t.ctx);
  for (let i = 0; i < 200 && !st.error; i++) {
    await Bun.sleep(20);
    st = await indexStatus(t.ctx);
  }
  expect(st).toMatchObject({ passages: 1, embedded: 0, error: expect.stringContaining("unreachable") });
  const r = await retrieve(t.ctx, "¿a cuántos grados llega el horno?");
  expect(r.usedVectors).toBe(false);
  expect(r.hits[0].text).toContain("450 grados");
});

test("chunking, CSV and HTML helpers", () => {
  const long = Array.from(
    { length: 40 },
    (_, i) => `Frase número ${i} sobre el servicio de entregas a domicilio.`,
  ).join(" ");
  const parts = chunkText(`# Entregas\n${long}\n\n# Pagos\nEfectivo o tarjeta.`, "Doc", 400, 80);
  expect(parts.length).toBeGreaterThan(3);
  expect(parts.every((p) => p.body.length <= 600)).toBe(true);
  expect(parts.at(-1)).toEqual({ heading: "Pagos", body: "Efectivo o tarjeta." });
  // consecutive passages overlap, so an answer cut in two is still found whole
  expect(parts[1].body.startsWith("Frase número")).toBe(true);
  expect(parseCsv('a,b\n"x, y","di ""hola"""\r\n1,2\n')).toEqual([
    ["a", "b"],
    ["x, y", 'di "hola"'],
    ["1", "2"],
  ]);
  expect(htmlText("<p>Uno&nbsp;dos</p><ul><li>tres</li></ul><style>p{}</style>")).toBe("Uno dos\n\n- tres");
});

test("the console's upload form takes a document larger than an ordinary form (a 0.5 MB PDF manual)", async () => {
  const { sessionHeaders } = await import("../support/app.ts");
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const pages = Array.from({ length: 160 }, (_, p) =>
    Array.from(
      { length: 40 },
      (_, l) => `Página ${p + 1}, línea ${l + 1}: instrucciones de uso y garantía del producto.`,
    ),
  );
  const pdf = makePdf(pages);
  expect(pdf.length).toBeGreaterThan(400 * 1024);
  const form = new FormData();
  form.set("_csrf", admin["x-csrf-token"]);
  form.set("file", new File([pdf as BlobPart], "manual.pdf", { type: "application/pdf" }));
  const r = await t.app.request("/settings/knowledge/file", {
    method: "POST",
    headers: { cookie: admin.cookie, "x-csrf-token": admin["x-csrf-token"] },
    body: form,
  });
  expect([r.status, r.headers.get("location")]).toEqual([302, "/settings/knowledge?saved=1"]);
  const hits = (await retrieve(t.ctx, "garantía del producto página 87")).hits;
  expect(hits[0]?.sourceTitle).toBe("manual");
});
