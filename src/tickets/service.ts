// Tickets: cases that outlive a conversation (manual 2.7), numbered for the customer. Created by people, the
// API or an AI agent's tool.
import { z } from "zod";
import { and, desc, eq, inArray, or, sql } from "drizzle-orm";
import { tickets } from "./schema.ts";
import { conversations } from "../inbox/schema.ts";
import { departments } from "../auth/schema.ts";
import { newId } from "../platform/ids.ts";
import { badRequest } from "../platform/errors.ts";
import { seesAll, type Actor, type Ctx } from "../platform/context.ts";
import { checkReferences, contactVisibleWhere, visibleWhere } from "../inbox/visibility.ts";
import { actorRef } from "../inbox/contacts.ts";
import { idRef } from "../platform/validation.ts";
import type { Tx } from "../platform/db.ts";

export type Ticket = typeof tickets.$inferSelect;

export const ticketInput = z.strictObject({
  subject: z.string().trim().min(3).max(200),
  description: z.string().max(8000).default(""),
  priority: z.enum(["low", "medium", "high", "urgent"]).default("medium"),
  contactId: idRef.nullable().default(null),
  conversationId: idRef.nullable().default(null),
  departmentId: idRef.nullable().default(null),
});

/**
 * Opens a ticket. Its conversation and contact must exist and be visible to the actor; a ticket on a
 * conversation takes that conversation's contact and (unless given) its department.
 */
export async function createTicket(
  ctx: Ctx,
  actor: Actor,
  input: z.input<typeof ticketInput>,
  by: { type: Ticket["createdByType"]; id: string | null } = actorRef(actor),
) {
  return ctx.database.write((tx) => createTicketTx(ctx, tx, actor, input, by));
}

/** createTicket inside the caller's transaction (a queue's overflow opens its call-back ticket with its own change). */
export async function createTicketTx(
  ctx: Ctx,
  tx: Tx,
  actor: Actor,
  input: z.input<typeof ticketInput>,
  by: { type: Ticket["createdByType"]; id: string | null } = actorRef(actor),
) {
  const t = ticketInput.parse(input);
  const ref = await checkReferences(tx, actor, t);
  t.contactId = ref.contactId;
  t.departmentId ??= ref.departmentId;
  if (
    t.departmentId &&
    !(await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, t.departmentId)).get())
  )
    throw badRequest("unknown_department", "The department does not exist", { field: "departmentId" });
  const now = ctx.clock.now();
  const number =
    Number(
      (
        await tx
          .select({ n: sql<number>`coalesce(max(${tickets.number}), 0)` })
          .from(tickets)
          .get()
      )?.n ?? 0,
    ) + 1;
  const row: Ticket = {
    id: newId(now),
    number,
    ...t,
    status: "open",
    createdByType: by.type,
    createdById: by.id,
    createdAt: now,
    updatedAt: now,
  };
  await tx.insert(tickets).values(row);
  return row;
}

/** What an agent may see of tickets: their departments', their visible conversations' and contacts', their own. */
function ticketVisibleWhere(actor: Actor) {
  if (seesAll(actor)) return undefined;
  if (actor.kind !== "user") return sql`0`;
  return or(
    actor.departmentIds.length ? inArray(tickets.departmentId, actor.departmentIds) : undefined,
    sql`${tickets.conversationId} IN (SELECT ${conversations.id} FROM ${conversations} WHERE ${visibleWhere(actor)})`,
    contactVisibleWhere(actor, tickets.contactId),
    and(eq(tickets.createdByType, "user"), eq(tickets.createdById, actor.id)),
  );
}

export async function listTickets(ctx: Ctx, actor: Actor, opts: { status?: Ticket["status"]; limit?: number } = {}) {
  return ctx.db
    .select()
    .from(tickets)
    .where(and(ticketVisibleWhere(actor), opts.status ? eq(tickets.status, opts.status) : undefined))
    .orderBy(desc(tickets.createdAt))
    .limit(opts.limit ?? 100);
}
