// The console's Biblioteca (Settings): upload, filter by kind, search, rename and remove the library's files.
import * as UI from "../../ui/pages/library/library.ts";
import { AppError } from "../platform/errors.ts";
import { type ConsoleModule, type C, user, T, csrf, pid, str, settingsPage, act } from "../app/console.ts";
import * as lib from "./service.ts";

export const libraryConsole: ConsoleModule = (app) => {
  const view = async (c: C) => {
    const ctx = c.get("ctx");
    const kind = c.req.query("kind") || undefined;
    const q = c.req.query("q") || undefined;
    const known = kind && ["image", "video", "audio", "document"].includes(kind) ? kind : undefined;
    return UI.LibraryPage({
      t: T(c),
      csrf: csrf(c),
      items: await lib.listItems(ctx, user(c), { kind: known, q }),
      kind: known,
      q,
      maxMb: ctx.config.max_upload_mb,
    });
  };
  app.get("/settings/library", async (c) => settingsPage(c, "library", await view(c)));
  app.post(
    "/settings/library",
    act("library", view, async (c, f) => {
      if (!(f.file instanceof File) || !f.file.size)
        throw new AppError(400, "file_required", "Choose a file", { field: "file" });
      return lib.addItem(c.get("ctx"), user(c), f.file, str(f.title));
    }),
  );
  app.post(
    "/settings/library/:id",
    act("library", view, (c, f) => lib.renameItem(c.get("ctx"), user(c), pid(c), { title: str(f.title) })),
  );
  app.post(
    "/settings/library/:id/delete",
    act("library", view, (c) => lib.deleteItem(c.get("ctx"), user(c), pid(c))),
  );
};
