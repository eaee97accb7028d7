// The knowledge base: documents the business uploads (PDF, DOCX, text/Markdown, CSV, a web page's text, FAQ
// pairs), cut into passages that keyword search (FTS5) finds at once and that the embedding model turns into
// vectors in the background (libsql F32_BLOB with a DiskANN index). Retrieval fuses both and keeps what passes
// a score threshold; curated FAQ pairs that match closely answer directly.
import { z } from "zod";
import { asc, desc, eq, isNull, ne, or, sql } from "drizzle-orm";
import { kbChunks, kbSources } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import { guardedFetch, type GuardedResponse } from "../platform/net-guard.ts";
import { AppError, badRequest, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { getSetting, putSetting } from "../setup/service.ts";
import { settings } from "../platform/schema.ts";
import { aiProvider } from "./settings.ts";
import { ProviderError } from "./providers.ts";
import { contentTerms, coverage } from "./text.ts";
import { parseCsv } from "../platform/csv.ts";
import { idRef } from "../platform/validation.ts";

export type Source = typeof kbSources.$inferSelect;
type Kind = Source["kind"];
type Passage = { heading: string; body: string; question?: string; answer?: string };

// ---------------------------------------------------------------- extraction

/** Text of a PDF, page by page (pdf.js through unpdf, no native code). */
async function pdfText(bytes: Uint8Array) {
  const { extractText, getDocumentProxy } = await import("unpdf");
  const pdf = await getDocumentProxy(bytes);
  const { text } = await extractText(pdf, { mergePages: false });
  return (text as string[])
    .map((t) => t.trim())
    .filter(Boolean)
    .join("\n\n");
}

/** Text of a Word document, headings kept as Markdown so passages carry them. */
async function docxText(bytes: Uint8Array) {
  const mammoth = (await import("mammoth")).default;
  const { value } = await mammoth.convertToHtml({ buffer: Buffer.from(bytes) });
  return htmlText(value);
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  aacute: "á",
  eacute: "é",
  iacute: "í",
  oacute: "ó",
  uacute: "ú",
  ntilde: "ñ",
  Aacute: "Á",
  Eacute: "É",
  Iacute: "Í",
  Oacute: "Ó",
  Uacute: "Ú",
  Ntilde: "Ñ",
  uuml: "ü",
  iquest: "¿",
  iexcl: "¡",
};
/** The readable text of an HTML page: no scripts, styles or navigation; headings as Markdown; blocks as lines. */
export function htmlText(html: string) {
  return html
    .replace(/<(head|script|style|noscript|svg|nav|footer|header|template)\b[\s\S]*?<\/\1>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(
      /<h([1-3])[^>]*>([\s\S]*?)<\/h\1>/gi,
      (_, n, t) => `\n\n${"#".repeat(Number(n))} ${t.replace(/<[^>]+>/g, " ").trim()}\n\n`,
    )
    .replace(/<li[^>]*>/gi, "\n- ")
    .replace(/<(br|\/p|\/div|\/tr|\/li|\/h[4-6]|\/section|\/article|\/table)[^>]*>/gi, "\n")
    .replace(/<\/t[dh]>/gi, " | ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(#\d+|#x[\da-f]+|\w+);/gi, (m, e: string) =>
      e[0] === "#"
        ? String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
        : (ENTITIES[e] ?? m),
    )
    .replace(/[ \t\f\v]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

const Q_COLS = ["question", "pregunta", "q"],
  A_COLS = ["answer", "respuesta", "a"];
/** A CSV with question/answer columns is a FAQ; any other CSV is one passage per row, "column: value" lines. */
function csvPassages(text: string, title: string): Passage[] {
  const [head, ...rows] = parseCsv(text);
  if (!head) return [];
  const lower = head.map((h) => h.toLowerCase());
  const qi = lower.findIndex((h) => Q_COLS.includes(h)),
    ai = lower.findIndex((h) => A_COLS.includes(h));
  if (qi >= 0 && ai >= 0) return rows.filter((r) => r[qi] && r[ai]).map((r) => faqPassage(r[qi], r[ai]));
  return rows
    .map((r) => ({
      heading: title,
      body: head
        .map((h, i) => (r[i] ? `${h}: ${r[i]}` : ""))
        .filter(Boolean)
        .join("\n"),
    }))
    .filter((p) => p.body);
}

const faqPassage = (question: string, answer: string): Passage => ({
  heading: question.trim(),
  body: `${question.trim()}\n${answer.trim()}`,
  question: question.trim(),
  answer: answer.trim(),
});

/**
 * Cuts a document into passages of about `target` characters: Markdown headings start sections (each passage
 * carries its heading), paragraphs are kept whole when they fit, longer ones are cut between sentences, and each
 * passage repeats the end of the previous one so an answer split across the cut is still found.
 */
export function chunkText(text: string, title: string, target = 900, overlap = 150): Passage[] {
  const out: Passage[] = [];
  let heading = title;
  const sections: { heading: string; paras: string[] }[] = [{ heading, paras: [] }];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n\s*\n/)) {
    const lines = block.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const m = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(lines[i]);
      if (m) {
        heading = m[1];
        sections.push({ heading, paras: [] });
        continue;
      }
      const rest = lines.slice(i).join("\n").trim();
      if (rest) sections.at(-1)!.paras.push(rest);
      break;
    }
  }
  for (const s of sections) {
    const pieces = s.paras.flatMap((p) => (p.length <= target ? [p] : sentences(p, target)));
    let cur = "";
    for (const p of pieces) {
      if (cur && cur.length + p.length + 2 > target) {
        out.push({ heading: s.heading, body: cur });
        const tail = cur.slice(-overlap);
        cur =
          `${tail.slice(Math.max(0, tail.search(/[.!?]\s/) + 2))}${tail.search(/[.!?]\s/) >= 0 ? "\n\n" : ""}${p}`.trim();
        if (cur.length > target * 1.5) cur = p;
      } else cur = cur ? `${cur}\n\n${p}` : p;
    }
    if (cur.trim()) out.push({ heading: s.heading, body: cur });
  }
  return out;
}

function sentences(p: string, target: number) {
  const parts = p.match(/[^.!?\n]+[.!?]*[\s]*/g) ?? [p];
  const out: string[] = [];
  let cur = "";
  for (const s of parts) {
    if (cur && cur.length + s.length > target) {
      out.push(cur.trim());
      cur = "";
    }
    if (s.length > target) {
      for (let i = 0; i < s.length; i += target) out.push(s.slice(i, i + target).trim());
      continue;
    }
    cur += s;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

// ---------------------------------------------------------------- sources

export const sourceInput = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  /** text pasted by the owner (plain text or Markdown), or a web page's text */
  text: z.string().max(2_000_000).optional(),
  /** a web page to read (its text is kept; it is not followed further) */
  url: z.url().optional(),
  /** an uploaded file (POST /api/v1/files): PDF, DOCX, TXT, Markdown or CSV */
  fileId: idRef.optional(),
  /** curated question and answer pairs */
  faq: z
    .array(z.strictObject({ question: z.string().trim().min(3).max(500), answer: z.string().trim().min(1).max(4000) }))
    .min(1)
    .max(2000)
    .optional(),
  kind: z.enum(["text", "markdown", "web"]).optional(),
});

const MAX_PAGE_BYTES = 5 * 1024 * 1024;

/** Reads what the owner gave (file, page, text or pairs) into a kind, a title, the kept text and passages. */
async function extract(
  ctx: Ctx,
  s: z.output<typeof sourceInput>,
): Promise<{
  kind: Kind;
  title: string;
  content: string;
  fileId: string | null;
  url: string | null;
  passages: Passage[];
}> {
  const given = [s.text !== undefined, !!s.url, !!s.fileId, !!s.faq].filter(Boolean).length;
  if (given !== 1)
    throw badRequest("invalid_source", "Give exactly one of text, url, fileId or faq", {
      fields: ["text", "url", "fileId", "faq"],
    });
  if (s.faq) {
    const title = s.title ?? "Preguntas frecuentes";
    return {
      kind: "faq",
      title,
      content: s.faq.map((f) => `${f.question}\n${f.answer}`).join("\n\n"),
      fileId: null,
      url: null,
      passages: s.faq.map((f) => faqPassage(f.question, f.answer)),
    };
  }
  if (s.text !== undefined) {
    if (!s.text.trim()) throw badRequest("empty_source", "The text is empty", { field: "text" });
    const title =
      s.title ??
      s.text
        .trim()
        .split("\n")[0]
        .replace(/^#+\s*/, "")
        .slice(0, 80);
    return {
      kind: s.kind ?? "text",
      title,
      content: s.text,
      fileId: null,
      url: null,
      passages: chunkText(s.text, title),
    };
  }
  if (s.url) {
    // one generic answer whatever went wrong (refused address, unreachable, an error status, too large): the
    // reasons would otherwise map the server's network for whoever adds pages; the log keeps the reason
    const unreadable = (reason: string) => {
      ctx.log.info("knowledge page refused", { url: s.url, reason });
      return new AppError(
        422,
        "source_unreachable",
        "The page could not be read: it must be a public http(s) address that answers with a page under 5 MB",
        { url: s.url },
      );
    };
    let res: GuardedResponse;
    try {
      res = await guardedFetch(s.url, {
        allowHosts: ctx.config.fetch_allow_hosts,
        maxBytes: MAX_PAGE_BYTES,
        timeoutMs: 15_000,
        headers: { "user-agent": "DigyBot knowledge base", accept: "text/html, text/plain;q=0.9, */*;q=0.1" },
      });
    } catch (e) {
      throw unreadable((e as Error).message);
    }
    if (!res.ok) throw unreadable(`HTTP ${res.status}`);
    const buf = res.body;
    const type = res.headers.get("content-type") ?? "";
    if (/^(image|audio|video|font)\/|octet-stream|zip|pdf/i.test(type)) throw unreadable(`type ${type}`);
    const raw = new TextDecoder().decode(buf);
    const content = type.includes("html") || /^\s*<(!doctype|html)/i.test(raw) ? htmlText(raw) : raw;
    const title = s.title ?? (/<title[^>]*>([^<]*)<\/title>/i.exec(raw)?.[1]?.trim() || new URL(s.url).hostname);
    if (!content.trim()) throw new AppError(422, "empty_source", "The page has no readable text", { url: s.url });
    return { kind: "web", title, content, fileId: null, url: s.url, passages: chunkText(content, title) };
  }
  const f = await ctx.files.get(s.fileId!);
  if (!f) throw badRequest("unknown_file", "No uploaded file with that id", { field: "fileId" });
  const bytes = new Uint8Array(await f.file.arrayBuffer());
  const name = f.row.name,
    mime = f.row.mime;
  const title = s.title ?? name.replace(/\.[^.]+$/, "");
  let kind: Kind, content: string;
  try {
    if (mime === "application/pdf" || /\.pdf$/i.test(name)) {
      kind = "pdf";
      content = await pdfText(bytes);
    } else if (mime.includes("wordprocessingml") || /\.docx$/i.test(name)) {
      kind = "docx";
      content = await docxText(bytes);
    } else if (mime === "text/csv" || /\.csv$/i.test(name)) {
      content = new TextDecoder().decode(bytes);
      return { kind: "csv", title, content, fileId: f.row.id, url: null, passages: csvPassages(content, title) };
    } else if (mime.startsWith("text/")) {
      kind = /\.(md|markdown)$/i.test(name) || mime === "text/markdown" ? "markdown" : "text";
      content = new TextDecoder().decode(bytes);
    } else
      throw new AppError(415, "unsupported_source", "The knowledge base reads PDF, DOCX, TXT, Markdown and CSV files", {
        mime,
      });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError(422, "unreadable_source", `The file could not be read: ${(e as Error).message}`, {
      fileId: s.fileId,
    });
  }
  if (!content.trim())
    throw new AppError(422, "empty_source", "No text could be read from the file (a scanned PDF has only images)", {
      fileId: s.fileId,
    });
  return { kind, title, content, fileId: f.row.id, url: null, passages: chunkText(content, title) };
}

/** Adds an uploaded document: the file is kept only when it became a source (a refused one leaves nothing behind). */
export async function addUploadedDocument(ctx: Ctx, actor: Actor, file: File, title?: string) {
  assertAdmin(actor);
  const saved = await ctx.files.save(file, null, ctx.clock.now());
  try {
    return await addSource(ctx, actor, { fileId: saved.fileId, ...(title ? { title } : {}) });
  } catch (e) {
    await ctx.files.remove(saved.fileId).catch(() => {});
    throw e;
  }
}

/**
 * Adds a document: read, cut and stored at once (keyword search finds it when this returns); its vectors are
 * made in the background, with progress on the source.
 */
export async function addSource(ctx: Ctx, actor: Actor, input: z.input<typeof sourceInput>) {
  assertAdmin(actor);
  const s = sourceInput.parse(input);
  const x = await extract(ctx, s);
  if (!x.passages.length) throw new AppError(422, "empty_source", "Nothing to index in this source");
  const now = ctx.clock.now();
  const id = newId(now);
  await ctx.database.write(async (tx) => {
    await tx.insert(kbSources).values({
      id,
      title: x.title.slice(0, 200),
      kind: x.kind,
      fileId: x.fileId,
      url: x.url,
      content: x.content,
      status: "indexing",
      chunkCount: x.passages.length,
      embeddedCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  });
  await insertPassages(ctx, id, x.passages);
  await ctx.database.write((tx) =>
    tx.update(kbSources).set({ status: "ready", updatedAt: ctx.clock.now() }).where(eq(kbSources.id, id)),
  );
  kickIndexer(ctx);
  return (await getSource(ctx, id))!;
}

/** Passages go in a few hundred per write, so a large document never holds the writer for long. */
async function insertPassages(ctx: Ctx, sourceId: string, passages: Passage[]) {
  for (let i = 0; i < passages.length; i += 200) {
    const part = passages.slice(i, i + 200);
    await ctx.database.write((tx) =>
      tx.insert(kbChunks).values(
        part.map((p, j) => ({
          sourceId,
          ord: i + j,
          heading: p.heading.slice(0, 300),
          body: p.body,
          question: p.question ?? null,
          answer: p.answer ?? null,
        })),
      ),
    );
  }
}

export async function listSources(ctx: Ctx) {
  return ctx.db
    .select({
      id: kbSources.id,
      title: kbSources.title,
      kind: kbSources.kind,
      url: kbSources.url,
      status: kbSources.status,
      chunkCount: kbSources.chunkCount,
      embeddedCount: kbSources.embeddedCount,
      error: kbSources.error,
      createdAt: kbSources.createdAt,
      updatedAt: kbSources.updatedAt,
    })
    .from(kbSources)
    .orderBy(desc(kbSources.createdAt));
}

export async function getSource(ctx: Ctx, id: string) {
  const s = await ctx.db.select().from(kbSources).where(eq(kbSources.id, id)).get();
  if (!s) return null;
  const { content, ...rest } = s;
  return { ...rest, length: content.length };
}

export async function sourcePassages(ctx: Ctx, id: string) {
  return ctx.db
    .select({
      id: kbChunks.id,
      ord: kbChunks.ord,
      heading: kbChunks.heading,
      body: kbChunks.body,
      question: kbChunks.question,
      answer: kbChunks.answer,
      embedded: sql<number>`${kbChunks.embeddedWith} IS NOT NULL`,
    })
    .from(kbChunks)
    .where(eq(kbChunks.sourceId, id))
    .orderBy(asc(kbChunks.ord));
}

export async function deleteSource(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  const s = await getSource(ctx, id);
  if (!s) throw notFound("Source");
  const index = await vectorIndex(ctx);
  await ctx.database.write(async (tx) => {
    if (index) tx.run(sql`DELETE FROM kb_vectors WHERE chunk_id IN (SELECT id FROM kb_chunks WHERE source_id = ${id})`);
    await tx.delete(kbSources).where(eq(kbSources.id, id));
  });
}

// ---------------------------------------------------------------- vectors (background)

type VectorIndex = { model: string; dim: number };
const VECTOR_OPTIONS = "'metric=cosine', 'compress_neighbors=float8', 'search_l=40', 'insert_l=20'";

async function vectorIndex(ctx: Ctx) {
  return getSetting<VectorIndex>(ctx, "kb_index");
}

type IndexerState = {
  running: boolean;
  again: boolean;
  lastError: string | null;
  pausedUntil: number;
  timer: ReturnType<typeof setTimeout> | null;
  stopped: boolean;
};
const indexers = new WeakMap<Ctx, IndexerState>();
const stateOf = (ctx: Ctx) => {
  let s = indexers.get(ctx);
  if (!s)
    indexers.set(
      ctx,
      (s = { running: false, again: false, lastError: null, pausedUntil: 0, timer: null, stopped: false }),
    );
  return s;
};

/** Starts (or nudges) the background embedding of passages that have no vector from the current model. */
export function kickIndexer(ctx: Ctx) {
  const st = stateOf(ctx);
  if (st.stopped) return;
  if (st.running) {
    st.again = true;
    return;
  }
  st.running = true;
  if (st.timer) {
    clearTimeout(st.timer);
    st.timer = null;
  }
  void runIndexer(ctx, st)
    .catch((e) => ctx.log.error("knowledge indexer failed", { error: String(e) }))
    .finally(() => {
      st.running = false;
      if (st.again && !st.stopped) {
        st.again = false;
        kickIndexer(ctx);
      }
    });
}

export function stopIndexer(ctx: Ctx) {
  const st = stateOf(ctx);
  st.stopped = true;
  if (st.timer) clearTimeout(st.timer);
}

const EMBED_BATCH = 32,
  WRITE_BATCH = 8,
  RETRY_MS = 60_000;

async function runIndexer(ctx: Ctx, st: IndexerState) {
  for (;;) {
    if (st.stopped) return;
    const { provider, settings: ai } = await aiProvider(ctx);
    const model = ai.embedModel;
    const todo = await ctx.db
      .select({ id: kbChunks.id, sourceId: kbChunks.sourceId, heading: kbChunks.heading, body: kbChunks.body })
      .from(kbChunks)
      .where(or(isNull(kbChunks.embeddedWith), ne(kbChunks.embeddedWith, model)))
      .orderBy(asc(kbChunks.id))
      .limit(EMBED_BATCH);
    if (!todo.length) {
      st.lastError = null;
      return;
    }
    let vectors: number[][];
    try {
      vectors = await provider.embed(
        model,
        todo.map((c) => passageText(c.heading, c.body)),
      );
    } catch (e) {
      st.lastError = e instanceof ProviderError ? `${e.code}: ${e.message}` : String(e);
      st.pausedUntil = Date.now() + RETRY_MS;
      if (!st.stopped) st.timer = setTimeout(() => kickIndexer(ctx), RETRY_MS);
      (st.timer as { unref?: () => void } | null)?.unref?.();
      return;
    }
    const dim = vectors[0]?.length ?? 0;
    if (!dim || vectors.some((v) => v.length !== dim)) {
      st.lastError = "the embedding model returned vectors of different sizes";
      return;
    }
    await ensureVectorTable(ctx, model, dim);
    for (let i = 0; i < todo.length; i += WRITE_BATCH) {
      const part = todo.slice(i, i + WRITE_BATCH);
      await ctx.database.write(async (tx) => {
        for (let j = 0; j < part.length; j++) {
          tx.run(
            sql`INSERT OR REPLACE INTO kb_vectors (chunk_id, e) VALUES (${part[j].id}, vector32(${JSON.stringify(vectors[i + j])}))`,
          );
          tx.run(sql`UPDATE kb_chunks SET embedded_with = ${model} WHERE id = ${part[j].id}`);
        }
        for (const sourceId of new Set(part.map((c) => c.sourceId))) {
          tx.run(
            sql`UPDATE kb_sources SET embedded_count = (SELECT count(*) FROM kb_chunks WHERE source_id = ${sourceId} AND embedded_with = ${model}), updated_at = ${ctx.clock.now()} WHERE id = ${sourceId}`,
          );
        }
      });
    }
    st.lastError = null;
  }
}

/** The vector table for this model's dimension; a different model or size rebuilds it (every passage is re-embedded). */
async function ensureVectorTable(ctx: Ctx, model: string, dim: number) {
  const cur = await vectorIndex(ctx);
  if (cur && cur.model === model && cur.dim === dim) return;
  await ctx.database.write(async (tx) => {
    tx.run(sql.raw("DROP TABLE IF EXISTS kb_vectors"));
    tx.run(sql.raw(`CREATE TABLE kb_vectors (chunk_id INTEGER PRIMARY KEY, e F32_BLOB(${Math.floor(dim)}))`));
    tx.run(sql.raw(`CREATE INDEX kb_vectors_idx ON kb_vectors (libsql_vector_idx(e, ${VECTOR_OPTIONS}))`));
    if (cur)
      tx.run(
        sql`UPDATE kb_chunks SET embedded_with = NULL WHERE embedded_with IS NOT NULL AND embedded_with != ${model}`,
      );
    tx.run(sql`UPDATE kb_sources SET embedded_count = 0`);
    await putSetting(tx, "kb_index", { model, dim }, ctx.clock.now());
  });
}

/** Makes every passage's vector again (after the owner changes the embedding model, or on request). */
export async function reindex(ctx: Ctx, actor: Actor) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    tx.run(sql`UPDATE kb_chunks SET embedded_with = NULL`);
    tx.run(sql`UPDATE kb_sources SET embedded_count = 0`);
    tx.run(sql.raw("DROP TABLE IF EXISTS kb_vectors"));
    await tx.delete(settings).where(eq(settings.key, "kb_index"));
  });
  const st = stateOf(ctx);
  st.pausedUntil = 0;
  kickIndexer(ctx);
  return indexStatus(ctx);
}

/** Progress of the vectors, for the console's bar: passages, how many have a vector, and why it stopped if it did. */
export async function indexStatus(ctx: Ctx) {
  const { settings: ai } = await aiProvider(ctx);
  const r = await ctx.db
    .select({
      total: sql<number>`count(*)`,
      embedded: sql<number>`coalesce(sum(${kbChunks.embeddedWith} = ${ai.embedModel}), 0)`,
    })
    .from(kbChunks)
    .get();
  const st = stateOf(ctx);
  return {
    model: ai.embedModel,
    passages: r?.total ?? 0,
    embedded: r?.embedded ?? 0,
    running: st.running,
    error: st.lastError,
  };
}

const passageText = (heading: string, body: string) =>
  heading && !body.startsWith(heading) ? `${heading}\n${body}` : body;

// ---------------------------------------------------------------- retrieval

export type Hit = {
  chunkId: number;
  sourceId: string;
  sourceTitle: string;
  heading: string;
  text: string;
  question: string | null;
  answer: string | null;
  keyword: number;
  similarity: number | null;
  score: number;
};
export type Retrieval = {
  hits: Hit[];
  faq: Hit | null;
  usedVectors: boolean;
  ms: number /** of ms, the time the model server took to embed the question */;
  embedMs: number;
};

/** The thresholds: a passage is kept when its meaning is close enough, or it shares enough of the question's words. */
export const RETRIEVAL = {
  minSimilarity: 0.55,
  minKeyword: 0.5,
  faqSimilarity: 0.86,
  faqKeyword: 0.75,
  candidates: 12,
};

const queryVectors = new WeakMap<Ctx, Map<string, number[]>>();
/** The question's vector, or null when the index or the model server is not there (keyword search still works). */
async function queryVector(ctx: Ctx, q: string, index: VectorIndex | null): Promise<number[] | null> {
  if (!index) return null;
  const st = stateOf(ctx);
  if (st.pausedUntil > Date.now()) return null;
  let cache = queryVectors.get(ctx);
  if (!cache) queryVectors.set(ctx, (cache = new Map()));
  const key = `${index.model}\n${q}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { provider, settings: ai } = await aiProvider(ctx);
  if (ai.embedModel !== index.model) return null;
  try {
    const [v] = await provider.embed(index.model, [q]);
    if (v?.length !== index.dim) return null;
    if (cache.size >= 500) cache.delete(cache.keys().next().value!);
    cache.set(key, v);
    return v;
  } catch (e) {
    st.lastError = e instanceof ProviderError ? `${e.code}: ${e.message}` : String(e);
    st.pausedUntil = Date.now() + 30_000;
    return null;
  }
}

/**
 * Finds the passages that answer `query`: keyword (FTS5, any of its content words) and vector candidates, fused
 * by reciprocal rank, kept only above the thresholds. `faq` is a curated pair matching closely enough to be the
 * answer by itself.
 */
export async function retrieve(
  ctx: Ctx,
  query: string,
  opts: { k?: number; vector?: number[] | null } = {},
): Promise<Retrieval> {
  const started = performance.now();
  const k = opts.k ?? 4;
  const terms = contentTerms(query);
  const fts = await selectiveQuery(ctx, terms);
  const index = await vectorIndex(ctx);
  const embedStarted = performance.now();
  const vec = opts.vector !== undefined ? opts.vector : await queryVector(ctx, query, index);
  const embedMs = opts.vector !== undefined ? 0 : performance.now() - embedStarted;
  const rank = new Map<number, { kw: number | null; vec: number | null; sim: number | null }>();
  if (fts) {
    const rows = ctx.database
      .readPrepared(
        "SELECT rowid AS id FROM kb_chunks_fts WHERE kb_chunks_fts MATCH ? ORDER BY bm25(kb_chunks_fts, 2.0, 1.0) LIMIT ?",
      )
      .all([fts, RETRIEVAL.candidates]) as { id: number }[];
    rows.forEach((r, i) => rank.set(Number(r.id), { kw: i, vec: null, sim: null }));
  }
  if (vec && index) {
    const rows = ctx.database
      .readPrepared(
        "SELECT v.chunk_id AS id, vector_distance_cos(v.e, vector32(?1)) AS d FROM vector_top_k('kb_vectors_idx', vector32(?1), ?2) t JOIN kb_vectors v ON v.rowid = t.id",
      )
      .all([JSON.stringify(vec), RETRIEVAL.candidates]) as { id: number; d: number }[];
    rows
      .sort((a, b) => Number(a.d) - Number(b.d))
      .forEach((r, i) => {
        const id = Number(r.id),
          cur = rank.get(id) ?? { kw: null, vec: null, sim: null };
        rank.set(id, { ...cur, vec: i, sim: 1 - Number(r.d) });
      });
  }
  if (!rank.size) return { hits: [], faq: null, usedVectors: !!vec, ms: performance.now() - started, embedMs };
  const rows = ctx.database
    .readPrepared(
      "SELECT c.id, c.source_id AS sourceId, c.heading, c.body, c.question, c.answer, s.title FROM kb_chunks c JOIN kb_sources s ON s.id = c.source_id WHERE c.id IN (SELECT value FROM json_each(?))",
    )
    .all([JSON.stringify([...rank.keys()])]) as {
    id: number;
    sourceId: string;
    heading: string;
    body: string;
    question: string | null;
    answer: string | null;
    title: string;
  }[];
  const hits: Hit[] = [];
  for (const r of rows) {
    const x = rank.get(r.id)!;
    const keyword = coverage(terms, `${r.heading} ${r.body}`);
    if (!((x.sim !== null && x.sim >= RETRIEVAL.minSimilarity) || keyword >= RETRIEVAL.minKeyword)) continue;
    const score =
      (x.kw !== null ? 1 / (60 + x.kw) : 0) +
      (x.vec !== null ? 1 / (60 + x.vec) : 0) +
      keyword / 60 +
      (x.sim ?? 0) / 60;
    hits.push({
      chunkId: r.id,
      sourceId: r.sourceId,
      sourceTitle: r.title,
      heading: r.heading,
      text: r.body,
      question: r.question,
      answer: r.answer,
      keyword,
      similarity: x.sim,
      score,
    });
  }
  hits.sort((a, b) => b.score - a.score);
  const faq = hits.find((h) => h.question !== null && isFaqMatch(h, terms)) ?? null;
  return { hits: hits.slice(0, k), faq, usedVectors: !!vec, ms: performance.now() - started, embedMs };
}

/**
 * The keyword query: the question's content words as prefixes, leaving out those most passages contain (found
 * in the FTS vocabulary) when rarer ones remain. A word in every passage ranks nothing and costs the most.
 */
async function selectiveQuery(ctx: Ctx, terms: string[]) {
  if (!terms.length) return null;
  const db = ctx.database;
  const total = Number((db.readPrepared("SELECT count(*) AS n FROM kb_chunks").get([]) as { n: number }).n);
  const dfOf = db.readPrepared(
    "SELECT coalesce(sum(doc), 0) AS df FROM kb_chunks_vocab WHERE term >= ?1 AND term < ?1 || char(1114111)",
  );
  const df = terms.slice(0, 12).map((t) => ({ t, df: Number((dfOf.get([t]) as { df: number }).df) }));
  const present = df.filter((x) => x.df > 0).sort((a, b) => a.df - b.df);
  if (!present.length) return null;
  const rare = present.filter((x) => x.df <= Math.max(50, total * 0.2));
  const keep = (rare.length ? rare : present.slice(0, 2)).slice(0, 5);
  return keep.map((x) => `"${x.t.replaceAll('"', "")}"*`).join(" OR ");
}

/** A curated question matches when the meanings are very close, or the words of each cover the other. */
function isFaqMatch(h: Hit, terms: string[]) {
  if (h.similarity !== null && h.similarity >= RETRIEVAL.faqSimilarity) return true;
  const qTerms = contentTerms(h.question!);
  return (
    terms.length > 0 && coverage(terms, h.question!) >= RETRIEVAL.faqKeyword && coverage(qTerms, terms.join(" ")) >= 0.6
  );
}
