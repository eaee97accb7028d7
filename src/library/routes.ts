// HTTP of the library of files in API v1: list, upload, rename, delete, and each item's bytes.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Env } from "../app/http.ts";
import { readJson, query, formBody, fileResponse } from "../app/http.ts";
import { AppError } from "../platform/errors.ts";
import type { Actor } from "../platform/context.ts";
import type { OpenApiRegistry } from "../integrations/openapi.ts";
import * as lib from "./service.ts";

const actorOf = (c: Context<Env>) => c.get("actor") as Actor;
const listQuery = z.object({ kind: z.string().max(20).optional(), q: z.string().max(100).optional() });

export function libraryRoutes(registry: OpenApiRegistry) {
  const app = new Hono<Env>();
  const doc = (
    method: string,
    path: string,
    summary: string,
    extra: { body?: z.ZodType; query?: z.ZodType; multipart?: boolean } = {},
  ) => registry.add({ method, path: `/api/v1${path}`, tag: "Library", summary, ...extra });

  doc("GET", "/library", "List the library's files (kind: image, video, audio, document; q: words of the title)", {
    query: listQuery,
  });
  app.get("/library", async (c) =>
    c.json({ data: await lib.listItems(c.get("ctx"), actorOf(c), query(c, listQuery)) }),
  );
  doc(
    "POST",
    "/library",
    "Add a file to the library (multipart: file, and an optional title); says which channels can carry it",
    { multipart: true },
  );
  app.post("/library", async (c) => {
    const form = await formBody(c);
    const file = form.file;
    if (!(file instanceof File))
      throw new AppError(400, "file_required", "Send the file in a multipart field named file", { field: "file" });
    const title = typeof form.title === "string" ? form.title : undefined;
    return c.json({ data: await lib.addItem(c.get("ctx"), actorOf(c), file, title) }, 201);
  });
  doc("GET", "/library/:id", "One library file");
  app.get("/library/:id", async (c) =>
    c.json({ data: await lib.getItem(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("GET", "/library/:id/file", "A library file's bytes");
  app.get("/library/:id/file", async (c) => {
    const f = await lib.itemFile(c.get("ctx"), actorOf(c), c.req.param("id"));
    return fileResponse(f.file, f.mime, f.name);
  });
  doc("PATCH", "/library/:id", "Rename a library file", { body: lib.itemPatch });
  app.patch("/library/:id", async (c) =>
    c.json({
      data: await lib.renameItem(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, lib.itemPatch)),
    }),
  );
  doc("DELETE", "/library/:id", "Remove a library file (what was already sent stays in its conversations)");
  app.delete("/library/:id", async (c) => {
    await lib.deleteItem(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  return app;
}
