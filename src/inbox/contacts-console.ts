// The contacts' console (manual 6.18): the list with search and filters, a new contact, the duplicates to review,
// the CSV export, and a contact's page (details and attributes, tags, notes, merging a duplicate, deleting).
import { formBody } from "../app/http.ts";
import {
  type ConsoleModule,
  type C,
  user,
  T,
  csrf,
  str,
  pid,
  page,
  errText,
  statusOf,
  settingsPage,
  act as settingsAct,
} from "../app/console.ts";
import { AppError } from "../platform/errors.ts";
import { isAdmin } from "../platform/context.ts";
import { ContactFieldsSettings, ContactPage, ContactsPage, type ContactView } from "../../ui/pages/inbox/contacts.ts";
import * as cfields from "./contact-fields.ts";
import * as contacts from "./contacts.ts";
import * as c360 from "./contact-360.ts";
import { listTags } from "./service.ts";
import { listChannels } from "../channels/service.ts";
import { getBusiness } from "../setup/service.ts";

const FILTERS = ["tagId", "channelId", "seenDays", "notSeenDays", "createdDays", "attribute"] as const;
const refusal = (e: unknown) => e instanceof AppError || (e instanceof Error && e.name === "ZodError");

export const contactsConsole: ConsoleModule = (app) => {
  const listPage = async (c: C, error?: string, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const segmentId = c.req.query("segment") || undefined;
    const segment = segmentId ? (await cfields.listSegments(ctx)).find((x) => x.id === segmentId) : undefined;
    const asked = Object.fromEntries(FILTERS.map((k) => [k, c.req.query(k) ?? ""]).filter(([, v]) => v));
    const { q: savedQ = "", ...saved } = segment?.filters ?? {};
    const q = c.req.query("q") ?? savedQ;
    const filters: Record<string, string> = { ...saved, ...asked };
    let r: Awaited<ReturnType<typeof contacts.listContacts>> = { items: [], next: null };
    try {
      r = await contacts.listContacts(ctx, u, { q, ...filters, before: c.req.query("before") || undefined });
    } catch (e) {
      if (!refusal(e)) throw e;
      error = errText(e, T(c));
      status = statusOf(e, 400);
    }
    const [tags, chans] = await Promise.all([listTags(ctx), listChannels(ctx)]);
    return page(
      c,
      T(c)("contacts.title"),
      "contacts",
      ContactsPage({
        t: T(c),
        csrf: csrf(c),
        q,
        items: r.items,
        next: r.next,
        locale: u.locale,
        filters,
        tags: tags.map((x) => ({ id: x.id, name: x.name })),
        channels: chans.map((x) => ({ id: x.id, name: x.name })),
        duplicates: isAdmin(u) ? await c360.duplicateGroups(ctx, u, 20) : [],
        isAdmin: isAdmin(u),
        canImport: isAdmin(u) || u.role === "supervisor",
        segments: await Promise.all(
          (await cfields.listSegments(ctx)).slice(0, 20).map(async (g) => ({
            id: g.id,
            name: g.name,
            count: await cfields.countContacts(ctx, u, g.filters),
          })),
        ),
        segmentId: segment?.id,
        error,
      }),
      status,
    );
  };
  app.get("/contacts", (c) => listPage(c));
  // a segment: the search and filters the list shows now (they ride in the form's address)
  app.post("/contacts/segments", async (c) => {
    const f = await formBody(c);
    const filters = Object.fromEntries(["q", ...FILTERS].map((k) => [k, c.req.query(k) ?? ""]).filter(([, v]) => v));
    try {
      const g = await cfields.createSegment(c.get("ctx"), user(c), { name: str(f.name), filters });
      return c.redirect(`/contacts?segment=${g.id}`);
    } catch (e) {
      if (!refusal(e)) throw e;
      return listPage(c, errText(e, T(c)), statusOf(e, 400));
    }
  });
  app.post("/contacts/segments/:id/delete", async (c) => {
    try {
      await cfields.deleteSegment(c.get("ctx"), user(c), c.req.param("id"));
      return c.redirect("/contacts");
    } catch (e) {
      if (!refusal(e)) throw e;
      return listPage(c, errText(e, T(c)), statusOf(e, 400));
    }
  });
  // Settings → contact fields
  const fieldsView = async (c: C) =>
    ContactFieldsSettings({ t: T(c), csrf: csrf(c), fields: await cfields.listContactFields(c.get("ctx")) });
  app.get("/settings/contact-fields", async (c) => settingsPage(c, "contact-fields", await fieldsView(c)));
  app.post(
    "/settings/contact-fields",
    settingsAct("contact-fields", fieldsView, (c, f) =>
      cfields.createContactField(c.get("ctx"), user(c), {
        key: str(f.key).trim(),
        label: str(f.label),
        type: str(f.type) as never,
        options: str(f.options)
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      }),
    ),
  );
  app.post(
    "/settings/contact-fields/:id/delete",
    settingsAct("contact-fields", fieldsView, (c) => cfields.deleteContactField(c.get("ctx"), user(c), pid(c))),
  );
  app.post("/contacts/new", async (c) => {
    const f = await formBody(c);
    const ctx = c.get("ctx");
    try {
      const made = await contacts.createContact(
        ctx,
        { name: str(f.name), phone: str(f.phone) || null, email: str(f.email) || null },
        (await getBusiness(ctx))?.country,
      );
      return c.redirect(`/contacts/${made.id}?saved=1`);
    } catch (e) {
      if (!refusal(e)) throw e;
      return listPage(c, errText(e, T(c)), statusOf(e, 400));
    }
  });

  // the list as a spreadsheet, with the same search and filters (what the person may see)
  app.get("/contacts/export.csv", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const filters = Object.fromEntries(FILTERS.map((k) => [k, c.req.query(k) ?? ""]).filter(([, v]) => v));
    const csv = await contacts.exportContactsCsv(ctx, u, { q: c.req.query("q") || undefined, ...filters });
    c.header("content-type", "text/csv; charset=utf-8");
    c.header("content-disposition", 'attachment; filename="contactos.csv"');
    return c.body(csv);
  });

  const contactPage = async (c: C, id: string, msg: { flash?: string; error?: string } = {}, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const v = (await c360.contact360(ctx, u, id)) as unknown as ContactView;
    return page(
      c,
      v.contact.name || T(c)("contact.title"),
      "contacts",
      ContactPage({
        t: T(c),
        csrf: csrf(c),
        locale: u.locale,
        v,
        tags: (await listTags(ctx)).map((x) => ({ id: x.id, name: x.name })),
        fields: await cfields.listContactFields(ctx),
        canMerge: isAdmin(u) || u.role === "supervisor",
        isAdmin: isAdmin(u),
        ...msg,
      }),
      status,
    );
  };
  app.get("/contacts/:id", (c) =>
    contactPage(c, c.req.param("id"), c.req.query("saved") ? { flash: T(c)("settings.saved") } : {}),
  );
  /** A form on a contact's page: done, back to the page saying so; refused, the page with the reason. */
  const act =
    (fn: (c: C, f: Record<string, unknown>, id: string) => Promise<unknown>, to?: (id: string) => string) =>
    async (c: C) => {
      const id = c.req.param("id")!;
      const f = await formBody(c);
      try {
        await fn(c, f, id);
        return c.redirect(to ? to(id) : `/contacts/${id}?saved=1`);
      } catch (e) {
        if (!refusal(e)) throw e;
        return contactPage(c, id, { error: errText(e, T(c)) }, statusOf(e, 400));
      }
    };
  app.post(
    "/contacts/:id",
    act(async (c, f, id) => {
      const ctx = c.get("ctx");
      const attributes: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(f))
        if (k.startsWith("attr_")) attributes[k.slice(5)] = str(v) === "" ? null : str(v);
      if (str(f.newKey).trim()) attributes[str(f.newKey).trim()] = str(f.newValue);
      return contacts.updateContact(
        ctx,
        user(c),
        id,
        { name: str(f.name), phone: str(f.phone) || null, email: str(f.email) || null, attributes },
        (await getBusiness(ctx))?.country,
      );
    }),
  );
  app.post(
    "/contacts/:id/notes",
    act((c, f, id) => c360.addContactNote(c.get("ctx"), user(c), id, { body: str(f.body) })),
  );
  app.post(
    "/contacts/:id/tags",
    act((c, f, id) => c360.tagContact(c.get("ctx"), user(c), id, str(f.tagId), true)),
  );
  app.post(
    "/contacts/:id/untag/:tagId",
    act((c, _f, id) => c360.tagContact(c.get("ctx"), user(c), id, c.req.param("tagId")!, false)),
  );
  app.post(
    "/contacts/:id/merge",
    act((c, f, id) => c360.mergeContacts(c.get("ctx"), user(c), id, { mergedId: str(f.mergedId) })),
  );
  app.post(
    "/contacts/:id/delete",
    act(
      (c, _f, id) => c360.deleteContact(c.get("ctx"), user(c), id),
      () => "/contacts?deleted=1",
    ),
  );
};
