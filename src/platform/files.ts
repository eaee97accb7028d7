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
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/msword",
  "application/vnd.ms-excel",
]);

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

  /** Removes a file and its row (an upload whose use failed, so nothing is left behind). */
  async remove(id: string) {
    const row = await this.database.db.select().from(files).where(eq(files.id, id)).get();
    if (!row) return;
    await this.database.write((tx) => tx.delete(files).where(eq(files.id, id)));
    rmSync(join(this.dir, row.path), { force: true });
  }

  ensureDir() {
    mkdirSync(this.dir, { recursive: true });
  }
}
