// HTTP API of tickets (manual 2.7): list with filters, open, read with history, change, comment, close, reopen,
// merge, link a conversation; and the settings they follow: categories, custom fields, SLA policies, saved views.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Env } from "../app/http.ts";
import { readJson, query } from "../app/http.ts";
import type { Actor } from "../platform/context.ts";
import type { OpenApiRegistry } from "../integrations/openapi.ts";
import { idRef } from "../platform/validation.ts";
import * as tickets from "./service.ts";
import * as boards from "./boards.ts";

const actorOf = (c: Context<Env>) => c.get("actor") as Actor;

export function ticketRoutes(registry: OpenApiRegistry) {
  const app = new Hono<Env>();
  const doc = (method: string, path: string, summary: string, extra: { body?: z.ZodType; query?: z.ZodType } = {}) =>
    registry.add({ method, path: `/api/v1${path}`, tag: "Tickets", summary, ...extra });
  const id = (c: Context<Env>) => c.req.param("id") as string;

  doc("GET", "/tickets", "Tickets you may see, newest first, filtered", { query: tickets.ticketFilters });
  app.get("/tickets", async (c) => {
    const r = await tickets.listTickets(c.get("ctx"), actorOf(c), query(c, tickets.ticketFilters));
    return c.json({ data: r.items, next: r.next });
  });
  doc("POST", "/tickets", "Open a ticket", { body: tickets.ticketInput });
  app.post("/tickets", async (c) =>
    c.json({ data: await tickets.createTicket(c.get("ctx"), actorOf(c), await readJson(c, tickets.ticketInput)) }, 201),
  );
  doc("GET", "/tickets/:id", "A ticket with its history and conversations");
  app.get("/tickets/:id", async (c) => c.json({ data: await tickets.getTicket(c.get("ctx"), actorOf(c), id(c)) }));
  doc("PATCH", "/tickets/:id", "Change a ticket (status, priority, category, department, assignee, fields)", {
    body: tickets.ticketPatch,
  });
  app.patch("/tickets/:id", async (c) =>
    c.json({
      data: await tickets.updateTicket(c.get("ctx"), actorOf(c), id(c), await readJson(c, tickets.ticketPatch)),
    }),
  );
  doc("POST", "/tickets/:id/comments", "Comment to the customer (public) or add an internal note", {
    body: tickets.commentInput,
  });
  app.post("/tickets/:id/comments", async (c) =>
    c.json(
      { data: await tickets.commentTicket(c.get("ctx"), actorOf(c), id(c), await readJson(c, tickets.commentInput)) },
      201,
    ),
  );
  doc("POST", "/tickets/:id/close", "Close a ticket");
  app.post("/tickets/:id/close", async (c) =>
    c.json({ data: await tickets.closeTicket(c.get("ctx"), actorOf(c), id(c)) }),
  );
  doc("POST", "/tickets/:id/reopen", "Reopen a ticket");
  app.post("/tickets/:id/reopen", async (c) =>
    c.json({ data: await tickets.reopenTicket(c.get("ctx"), actorOf(c), id(c)) }),
  );
  doc("POST", "/tickets/:id/merge", "Merge this duplicate into another ticket", { body: tickets.mergeInput });
  app.post("/tickets/:id/merge", async (c) =>
    c.json({
      data: await tickets.mergeTicket(c.get("ctx"), actorOf(c), id(c), await readJson(c, tickets.mergeInput)),
    }),
  );
  const linkBody = z.strictObject({ conversationId: idRef });
  doc("POST", "/tickets/:id/conversations", "Link another conversation to a ticket", { body: linkBody });
  app.post("/tickets/:id/conversations", async (c) =>
    c.json({
      data: await tickets.linkConversation(
        c.get("ctx"),
        actorOf(c),
        id(c),
        (await readJson(c, linkBody)).conversationId,
      ),
    }),
  );

  doc("GET", "/ticket-views", "Your saved ticket views and the shared ones");
  app.get("/ticket-views", async (c) => c.json({ data: await tickets.listViews(c.get("ctx"), actorOf(c)) }));
  doc("POST", "/ticket-views", "Save a ticket view", { body: tickets.viewInput });
  app.post("/ticket-views", async (c) =>
    c.json({ data: await tickets.createView(c.get("ctx"), actorOf(c), await readJson(c, tickets.viewInput)) }, 201),
  );
  doc("DELETE", "/ticket-views/:id", "Delete a saved view");
  app.delete("/ticket-views/:id", async (c) => {
    await tickets.deleteView(c.get("ctx"), actorOf(c), id(c));
    return c.json({ data: { ok: true } });
  });

  // settings (administrators)
  doc("GET", "/ticket-settings", "Whether customers are told of their tickets' status changes");
  app.get("/ticket-settings", async (c) => c.json({ data: await tickets.getTicketSettings(c.get("ctx")) }));
  doc("PUT", "/ticket-settings", "Change the ticket settings", { body: tickets.ticketSettings });
  app.put("/ticket-settings", async (c) =>
    c.json({
      data: await tickets.saveTicketSettings(c.get("ctx"), actorOf(c), await readJson(c, tickets.ticketSettings)),
    }),
  );
  doc("GET", "/ticket-categories", "Ticket categories");
  app.get("/ticket-categories", async (c) => c.json({ data: await tickets.listCategories(c.get("ctx")) }));
  doc("POST", "/ticket-categories", "Add a ticket category", { body: tickets.categoryInput });
  app.post("/ticket-categories", async (c) =>
    c.json(
      { data: await tickets.createCategory(c.get("ctx"), actorOf(c), await readJson(c, tickets.categoryInput)) },
      201,
    ),
  );
  doc("DELETE", "/ticket-categories/:id", "Delete a ticket category");
  app.delete("/ticket-categories/:id", async (c) => {
    await tickets.deleteCategory(c.get("ctx"), actorOf(c), id(c));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/ticket-fields", "Custom ticket fields");
  app.get("/ticket-fields", async (c) => c.json({ data: await tickets.listFields(c.get("ctx")) }));
  doc("POST", "/ticket-fields", "Add a custom ticket field", { body: tickets.fieldInput });
  app.post("/ticket-fields", async (c) =>
    c.json({ data: await tickets.createField(c.get("ctx"), actorOf(c), await readJson(c, tickets.fieldInput)) }, 201),
  );
  doc("DELETE", "/ticket-fields/:id", "Delete a custom ticket field");
  app.delete("/ticket-fields/:id", async (c) => {
    await tickets.deleteField(c.get("ctx"), actorOf(c), id(c));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/sla-policies", "SLA policies (one per priority)");
  app.get("/sla-policies", async (c) => c.json({ data: await tickets.listPolicies(c.get("ctx")) }));
  doc("PUT", "/sla-policies", "Save the SLA policy of a priority", { body: tickets.policyInput });
  app.put("/sla-policies", async (c) =>
    c.json({ data: await tickets.savePolicy(c.get("ctx"), actorOf(c), await readJson(c, tickets.policyInput)) }),
  );
  doc("DELETE", "/sla-policies/:id", "Delete an SLA policy");
  app.delete("/sla-policies/:id", async (c) => {
    await tickets.deletePolicy(c.get("ctx"), actorOf(c), id(c));
    return c.json({ data: { ok: true } });
  });
  // tracking boards
  const bdoc = (method: string, path: string, summary: string, extra: { body?: z.ZodType; query?: z.ZodType } = {}) =>
    registry.add({ method, path: `/api/v1${path}`, tag: "Boards", summary, ...extra });
  bdoc("GET", "/boards", "The boards you may open");
  app.get("/boards", async (c) => c.json({ data: await boards.listBoards(c.get("ctx"), actorOf(c)) }));
  bdoc("POST", "/boards", "Make a board over conversations or tickets", { body: boards.boardInput });
  app.post("/boards", async (c) =>
    c.json({ data: await boards.createBoard(c.get("ctx"), actorOf(c), await readJson(c, boards.boardInput)) }, 201),
  );
  bdoc("GET", "/boards/:id", "A board: columns with their first cards, counts and ages, and its figures", {
    query: boards.boardFilters,
  });
  app.get("/boards/:id", async (c) =>
    c.json({ data: await boards.readBoard(c.get("ctx"), actorOf(c), id(c), query(c, boards.boardFilters)) }),
  );
  const more = z.object({ offset: z.coerce.number().int().min(0).max(100_000).default(0) });
  bdoc("GET", "/boards/:id/columns/:columnId", "More cards of a column", { query: more });
  app.get("/boards/:id/columns/:columnId", async (c) =>
    c.json({
      data: (await boards.moreCards(c.get("ctx"), actorOf(c), id(c), c.req.param("columnId"), query(c, more).offset))
        .cards,
    }),
  );
  bdoc("PATCH", "/boards/:id", "Rename a board, change its columns or its saved filters", { body: boards.boardPatch });
  app.patch("/boards/:id", async (c) =>
    c.json({ data: await boards.updateBoard(c.get("ctx"), actorOf(c), id(c), await readJson(c, boards.boardPatch)) }),
  );
  bdoc("DELETE", "/boards/:id", "Delete a board");
  app.delete("/boards/:id", async (c) => {
    await boards.deleteBoard(c.get("ctx"), actorOf(c), id(c));
    return c.json({ data: { ok: true } });
  });
  bdoc("POST", "/boards/:id/moves", "Move a card to a column (and its place there)", { body: boards.moveInput });
  app.post("/boards/:id/moves", async (c) =>
    c.json({ data: await boards.moveCard(c.get("ctx"), actorOf(c), id(c), await readJson(c, boards.moveInput)) }),
  );
  return app;
}
