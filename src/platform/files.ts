import { mkdirSync, existsSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { eq } from "drizzle-orm";
import { files } from "./schema.ts";
import { newId } from "./ids.ts";
import { AppError } from "./errors.ts";
import type { Database } from "./db.ts";

// Media kinds a customer or agent may attach. Anything else is refused with 415.
export const allowedMime = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
  "text/csv",
  "text/markdown",
  "audio/mpeg",
  "audio/ogg",
  "audio/webm",
  "audio/mp4",
  "video/mp4",
  "video/webm",
  "video/3gpp",
  "audio/aac",
  "audio/amr",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/msword",
  "application/vnd.ms-excel",
]);

/** What a channel accepts of one kind of media: its types and its size limit. */
export type MediaRule = { kind: "image" | "video" | "audio" | "document"; mimes: readonly string[]; maxBytes: number };
/** A channel's media limits, named for the person told about them ("WhatsApp"). */
export type MediaLimits = { channel: string; rules: readonly MediaRule[] };

/**
 * Why a channel cannot carry a file, or null when it can: its type is none the channel takes, or it is bigger than
 * that type's limit. The details fill the person's sentence ("WhatsApp no acepta archivos image/gif").
 */
export function mediaProblem(limits: MediaLimits | undefined, f: { name: string; mime: string; size: number }) {
  if (!limits) return null;
  const rule = limits.rules.find((r) => r.mimes.includes(f.mime));
  if (!rule)
    return {
      code: "media_type_not_supported" as const,
      message: `${limits.channel} does not accept files of type ${f.mime}`,
      details: { channel: limits.channel, name: f.name, mime: f.mime },
    };
  if (f.size > rule.maxBytes)
    return {
      code: "media_too_large" as const,
      message: `${limits.channel} accepts ${rule.kind} files of at most ${mb(rule.maxBytes)} MB`,
      details: { channel: limits.channel, name: f.name, mime: f.mime, size: f.size, maxMb: mb(rule.maxBytes) },
    };
  return null;
}
const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;

/** Uploaded media, kept under <data_dir>/files/YYYY/MM/<id>, described by a row in `files`. */
export class FileStore {
  constructor(
    private database: Database,
    private dir: string,
    private maxBytes: number,
  ) {}

  get limitBytes() {
    return this.maxBytes;
  }

  async save(file: Blob & { name?: string }, conversationId: string | null, now = Date.now()) {
    const mime = (file.type || "application/octet-stream").split(";")[0].trim().toLowerCase();
    if (!allowedMime.has(mime))
      throw new AppError(415, "file_type_not_allowed", `Files of type ${mime} are not accepted`, { mime });
    if (file.size > this.maxBytes)
      throw new AppError(413, "file_too_large", `Files are limited to ${Math.round(this.maxBytes / 1048576)} MB`, {
        size: file.size,
        max: this.maxBytes,
      });
    if (file.size === 0) throw new AppError(400, "file_empty", "The file is empty");
    const id = newId(now);
    const d = new Date(now);
    const rel = join(String(d.getUTCFullYear()), String(d.getUTCMonth() + 1).padStart(2, "0"), id);
    const abs = join(this.dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    await Bun.write(abs, file);
    const name = (file.name || "file").replace(/[\\/\r\n"]/g, "_").slice(0, 200);
    await this.database.write((tx) =>
      tx.insert(files).values({ id, name, mime, size: file.size, path: rel, conversationId, createdAt: now }),
    );
    return { fileId: id, name, mime, size: file.size };
  }

  async get(id: string) {
    const row = await this.database.db.select().from(files).where(eq(files.id, id)).get();
    if (!row) return null;
    const abs = join(this.dir, row.path);
    return existsSync(abs) ? { row, file: Bun.file(abs) } : null;
  }

  /**
   * Removes a file's row, and its bytes once no other row shares them (a library file sent in conversations keeps
   * their copies: each use is a row of its own on the same bytes).
   */
  async remove(id: string) {
    const row = await this.database.db.select().from(files).where(eq(files.id, id)).get();
    if (!row) return;
    const shared = await this.database.write(async (tx) => {
      await tx.delete(files).where(eq(files.id, id));
      return !!(await tx.select({ id: files.id }).from(files).where(eq(files.path, row.path)).limit(1).get());
    });
    if (!shared) rmSync(join(this.dir, row.path), { force: true });
  }

  ensureDir() {
    mkdirSync(this.dir, { recursive: true });
  }
}
