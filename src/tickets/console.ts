// The tickets' console: the list (filters, saved views), a new ticket (from a conversation in one click, its
// summary prefilled), and a ticket's page (history, comment or note with a file, fields, close, reopen, merge).
import { and, desc, eq } from "drizzle-orm";
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
import { TicketSettings } from "../../ui/pages/tickets/settings.ts";
import { AppError, badRequest } from "../platform/errors.ts";
import { isAdmin } from "../platform/context.ts";
import { NewTicketPage, TicketPage, TicketsPage, type TicketView } from "../../ui/pages/tickets/tickets.ts";
import * as tickets from "./service.ts";
import { tickets as ticketsTable } from "./schema.ts";
import * as auth from "../auth/service.ts";
import { getConversation, listMessages } from "../inbox/service.ts";

const FILTER_KEYS = ["status", "priority", "assignee", "categoryId", "departmentId", "sla", "q"] as const;
const optionalInt = (v: unknown) => (str(v).trim() === "" ? null : Number(str(v)));

export const ticketsConsole: ConsoleModule = (app) => {
  // Settings → Tickets (administrators: the /settings gate)
  const settingsView = async (c: C) => {
    const ctx = c.get("ctx");
    const [cfg, categories, fields, policies, departments] = await Promise.all([
      tickets.getTicketSettings(ctx),
      tickets.listCategories(ctx),
      tickets.listFields(ctx),
      tickets.listPolicies(ctx),
      auth.listDepartments(ctx),
    ]);
    return TicketSettings({
      t: T(c),
      csrf: csrf(c),
      notifyCustomer: cfg.notifyCustomer,
      categories,
      fields,
      policies,
      departments: departments.map((d) => ({ id: d.id, name: d.name })),
    });
  };
  app.get("/settings/tickets", async (c) => settingsPage(c, "tickets", await settingsView(c)));
  app.post(
    "/settings/tickets/notify",
    settingsAct("tickets", settingsView, (c, f) =>
      tickets.saveTicketSettings(c.get("ctx"), user(c), { notifyCustomer: str(f.notifyCustomer) === "1" }),
    ),
  );
  app.post(
    "/settings/tickets/policies",
    settingsAct("tickets", settingsView, (c, f) =>
      tickets.savePolicy(c.get("ctx"), user(c), {
        name: str(f.name),
        priority: str(f.priority) as never,
        firstResponseMinutes: optionalInt(f.firstResponseMinutes),
        nextResponseMinutes: optionalInt(f.nextResponseMinutes),
        resolutionMinutes: optionalInt(f.resolutionMinutes),
        warnMinutes: Number(str(f.warnMinutes)),
        businessHours: str(f.businessHours) === "1",
        raisePriority: str(f.raisePriority) === "1",
        reassign: str(f.reassign) === "1",
      }),
    ),
  );
  app.post(
    "/settings/tickets/policies/:id/delete",
    settingsAct("tickets", settingsView, (c) => tickets.deletePolicy(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/tickets/categories",
    settingsAct("tickets", settingsView, (c, f) =>
      tickets.createCategory(c.get("ctx"), user(c), {
        name: str(f.name),
        departmentId: str(f.departmentId) || null,
        priority: (str(f.priority) || null) as never,
      }),
    ),
  );
  app.post(
    "/settings/tickets/categories/:id/delete",
    settingsAct("tickets", settingsView, (c) => tickets.deleteCategory(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/tickets/fields",
    settingsAct("tickets", settingsView, (c, f) =>
      tickets.createField(c.get("ctx"), user(c), {
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
    "/settings/tickets/fields/:id/delete",
    settingsAct("tickets", settingsView, (c) => tickets.deleteField(c.get("ctx"), user(c), pid(c))),
  );

  const lookups = async (c: C) => {
    const ctx = c.get("ctx");
    const [categories, departments, users] = await Promise.all([
      tickets.listCategories(ctx),
      auth.listDepartments(ctx),
      auth.listUsers(ctx),
    ]);
    return {
      categories: categories.map((x) => ({ id: x.id, name: x.name })),
      departments: departments.map((d) => ({ id: d.id, name: d.name })),
      people: users.filter((u) => u.active).map((u) => ({ id: u.id, name: u.name })),
    };
  };

  const listPage = async (c: C, msg: { flash?: string; error?: string } = {}, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const views = await tickets.listViews(ctx, u);
    const viewId = c.req.query("view");
    const view = viewId ? views.find((v) => v.id === viewId) : undefined;
    const filters: Record<string, string> = view
      ? { ...view.filters }
      : Object.fromEntries(FILTER_KEYS.map((k) => [k, c.req.query(k) ?? ""]).filter(([, v]) => v));
    let r: Awaited<ReturnType<typeof tickets.listTickets>> = { items: [], next: null };
    let error = msg.error;
    try {
      r = await tickets.listTickets(ctx, u, { ...filters, before: c.req.query("before") || undefined });
    } catch (e) {
      // a hand-edited address with a bad filter: the page says so and lists nothing
      error = errText(e, T(c));
      status = statusOf(e, 400);
    }
    return page(
      c,
      T(c)("tickets.title"),
      "tickets",
      TicketsPage({
        t: T(c),
        csrf: csrf(c),
        locale: u.locale,
        now: ctx.clock.now(),
        items: r.items,
        next: r.next,
        filters,
        views,
        viewId: view?.id,
        me: u.id,
        isAdmin: isAdmin(u),
        ...(await lookups(c)),
        flash: msg.flash,
        error,
      }),
      status,
    );
  };
  app.get("/tickets", (c) => listPage(c, c.req.query("saved") ? { flash: T(c)("settings.saved") } : {}));

  // a saved view: the filters the list was showing (they ride in the form's address)
  app.post("/tickets/views", async (c) => {
    const f = await formBody(c);
    const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, c.req.query(k) ?? ""]).filter(([, v]) => v));
    try {
      const v = await tickets.createView(c.get("ctx"), user(c), {
        name: str(f.name),
        filters,
        shared: str(f.shared) === "1",
      });
      return c.redirect(`/tickets?view=${v.id}`);
    } catch (e) {
      return listPage(c, { error: errText(e, T(c)) }, statusOf(e, 400));
    }
  });
  app.post("/tickets/views/:id/delete", async (c) => {
    try {
      await tickets.deleteView(c.get("ctx"), user(c), c.req.param("id"));
      return c.redirect("/tickets?saved=1");
    } catch (e) {
      return listPage(c, { error: errText(e, T(c)) }, statusOf(e, 400));
    }
  });

  /** A new ticket's form; from a conversation, its subject and a summary of what the customer said prefilled. */
  const newPage = async (c: C, values: Record<string, string>, conversationId?: string, error?: string, status = 200) =>
    page(
      c,
      T(c)("tickets.new"),
      "tickets",
      NewTicketPage({
        t: T(c),
        csrf: csrf(c),
        categories: (await lookups(c)).categories,
        values,
        conversationId,
        error,
      }),
      status,
    );
  app.get("/tickets/new", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const convId = c.req.query("c");
    if (!convId) return newPage(c, {});
    const conv = await getConversation(ctx, u, convId);
    const msgs = (await listMessages(ctx, u, convId, { limit: 30 })).filter(
      (m) => m.direction !== "activity" && !m.private && m.body,
    );
    const lastIn = [...msgs].reverse().find((m) => m.direction === "in");
    const name = conv.contact.name || T(c)("team.customer");
    const people = new Map((await auth.listUsers(ctx)).map((x) => [x.id, x.name]));
    const subject = (lastIn?.body ?? conv.lastMessagePreview ?? "").replace(/\s+/g, " ").slice(0, 90);
    const transcript = msgs
      .slice(-8)
      .map(
        (m) =>
          `${m.direction === "in" ? name : ((m.senderId && people.get(m.senderId)) ?? "DigyBot")}: ${m.body.replace(/\s+/g, " ").slice(0, 300)}`,
      )
      .join("\n");
    return newPage(c, { subject: subject.length >= 3 ? subject : `${name}`, description: transcript }, convId);
  });
  app.post("/tickets/new", async (c) => {
    const f = await formBody(c);
    const conversationId = str(f.conversationId) || null;
    try {
      const t = await tickets.createTicket(c.get("ctx"), user(c), {
        subject: str(f.subject),
        description: str(f.description),
        priority: (str(f.priority) || undefined) as never,
        categoryId: str(f.categoryId) || null,
        conversationId,
      });
      return c.redirect(`/tickets/${t.id}?created=${t.number}`);
    } catch (e) {
      if (!(e instanceof AppError) && !(e instanceof Error && e.name === "ZodError")) throw e;
      return newPage(
        c,
        {
          subject: str(f.subject),
          description: str(f.description),
          priority: str(f.priority),
          categoryId: str(f.categoryId),
        },
        conversationId ?? undefined,
        errText(e, T(c)),
        statusOf(e, 400),
      );
    }
  });

  const ticketPage = async (c: C, id: string, msg: { flash?: string; error?: string } = {}, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const x = await tickets.getTicket(ctx, u, id);
    return page(
      c,
      `#${x.number} · ${x.subject}`,
      "tickets",
      TicketPage({
        t: T(c),
        csrf: csrf(c),
        locale: u.locale,
        now: ctx.clock.now(),
        ticket: {
          ...x,
          contactName: x.contact?.name ?? null,
          assigneeName: x.assignee?.name ?? null,
          categoryName: x.category?.name ?? null,
        } as TicketView,
        ...(await lookups(c)),
        fields: await tickets.listFields(ctx),
        ...msg,
      }),
      status,
    );
  };
  app.get("/tickets/:id", (c) => {
    const created = c.req.query("created");
    return ticketPage(
      c,
      c.req.param("id"),
      created
        ? { flash: T(c)("tickets.created", { number: created }) }
        : c.req.query("saved")
          ? { flash: T(c)("settings.saved") }
          : {},
    );
  });
  /** A form on a ticket's page: done, back to the page saying so; refused, the page with the reason. */
  const act = (fn: (c: C, f: Record<string, unknown>, id: string) => Promise<unknown>) => async (c: C) => {
    const id = c.req.param("id")!;
    const f = await formBody(c);
    try {
      const r = await fn(c, f, id);
      const to =
        r && typeof r === "object" && "id" in r && (r as { id: string }).id !== id ? (r as { id: string }).id : id;
      return c.redirect(`/tickets/${to}?saved=1`);
    } catch (e) {
      if (!(e instanceof AppError) && !(e instanceof Error && e.name === "ZodError")) throw e;
      return ticketPage(c, id, { error: errText(e, T(c)) }, statusOf(e, 400));
    }
  };
  app.post(
    "/tickets/:id",
    act(async (c, f, id) => {
      const customFields = Object.fromEntries(
        Object.entries(f)
          .filter(([k]) => k.startsWith("cf_"))
          .map(([k, v]) => [k.slice(3), str(v) === "" ? null : str(v)]),
      );
      return tickets.updateTicket(c.get("ctx"), user(c), id, {
        status: str(f.status) as never,
        priority: str(f.priority) as never,
        categoryId: str(f.categoryId) || null,
        departmentId: str(f.departmentId) || null,
        assigneeId: str(f.assigneeId) || null,
        ...(Object.keys(customFields).length ? { customFields } : {}),
      });
    }),
  );
  app.post(
    "/tickets/:id/comments",
    act(async (c, f, id) => {
      const ctx = c.get("ctx");
      const t = await tickets.getTicket(ctx, user(c), id);
      const file = f.file instanceof File && f.file.size ? f.file : null;
      const stored = file ? await ctx.files.save(file, t.conversationId, ctx.clock.now()) : null;
      await tickets.commentTicket(ctx, user(c), id, {
        body: str(f.body),
        public: str(f.public) === "1",
        attachments: stored ? [{ fileId: stored.fileId }] : [],
      });
      return null;
    }),
  );
  app.post(
    "/tickets/:id/close",
    act((c, _f, id) => tickets.closeTicket(c.get("ctx"), user(c), id)),
  );
  app.post(
    "/tickets/:id/reopen",
    act((c, _f, id) => tickets.reopenTicket(c.get("ctx"), user(c), id)),
  );
  app.post(
    "/tickets/:id/merge",
    act(async (c, f, id) => {
      const ctx = c.get("ctx");
      const n = Number(str(f.number));
      const into = Number.isInteger(n)
        ? await ctx.db
            .select({ id: ticketsTable.id })
            .from(ticketsTable)
            .where(and(eq(ticketsTable.number, n), tickets.ticketVisibleWhere(user(c))))
            .orderBy(desc(ticketsTable.number))
            .get()
        : undefined;
      if (!into) throw badRequest("unknown_ticket", "No ticket with that number that you can see", { field: "number" });
      return tickets.mergeTicket(ctx, user(c), id, { intoId: into.id });
    }),
  );
};
