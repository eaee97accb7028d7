// The console's contact import: upload, map the columns, watch the progress, read the result or the bad line.
import { formBody } from "../app/http.ts";
import { type ConsoleModule, type C, user, T, csrf, arr, page, errText, statusOf } from "../app/console.ts";
import { AppError, badRequest, forbidden } from "../platform/errors.ts";
import { isAdmin } from "../platform/context.ts";
import { ImportMappingPage, ImportUploadPage } from "../../ui/pages/inbox/contact-import.ts";
import { importJob, runImportJob, startImportJob } from "./contact-import.ts";

const mayImport = (c: C) => {
  const u = user(c);
  if (!(isAdmin(u) || u.role === "supervisor"))
    throw forbidden("not_your_team", "Only an administrator or a supervisor can import contacts");
};

export const contactImportConsole: ConsoleModule = (app) => {
  const upload = (c: C, error?: string, status = 200) =>
    page(c, T(c)("import.title"), "contacts", ImportUploadPage({ t: T(c), csrf: csrf(c), error }), status);
  app.get("/contacts/import", (c) => {
    mayImport(c);
    return upload(c);
  });
  app.post("/contacts/import", async (c) => {
    mayImport(c);
    const f = await formBody(c);
    try {
      const file = f.file;
      if (!(file instanceof File) || !file.size)
        throw badRequest("file_required", "Choose the CSV file", { field: "file" });
      const id = startImportJob(c.get("ctx"), user(c), await file.text());
      return c.redirect(`/contacts/import/${id}`);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return upload(c, errText(e, T(c)), statusOf(e, 400));
    }
  });
  const jobPage = (c: C, status = 200) => {
    const job = importJob(c.get("ctx"), user(c), c.req.param("id")!);
    if (!job) return upload(c, T(c)("import.gone"), 404);
    return page(
      c,
      T(c)("import.title"),
      "contacts",
      ImportMappingPage({
        t: T(c),
        csrf: csrf(c),
        id: job.id,
        header: job.header,
        sample: job.rows.slice(0, 3).map((r) => r.cells),
        total: job.rows.length,
        mapping: job.mapping,
        progress: job.progress,
        result: job.result,
        error: job.error ? errText(job.error, T(c)) : undefined,
      }),
      status,
    );
  };
  app.get("/contacts/import/:id", (c) => jobPage(c));
  app.post("/contacts/import/:id", async (c) => {
    mayImport(c);
    const job = importJob(c.get("ctx"), user(c), c.req.param("id")!);
    if (!job) return upload(c, T(c)("import.gone"), 404);
    const f = await formBody(c, { all: true });
    // runs on after the answer: the page shows its progress
    void runImportJob(c.get("ctx"), user(c), job, arr(f.map));
    return c.redirect(`/contacts/import/${job.id}`);
  });
  // the progress the page polls (a read: it changes nothing)
  app.get("/contacts/import/:id/status", (c) => {
    const job = importJob(c.get("ctx"), user(c), c.req.param("id")!);
    if (!job) return c.json({ error: { code: "not_found", message: "Not found", details: null } }, 404);
    return c.json({
      data: {
        progress: job.progress,
        result: job.result,
        error: job.error ? { code: job.error.code, message: errText(job.error, T(c)) } : null,
      },
    });
  });
};
