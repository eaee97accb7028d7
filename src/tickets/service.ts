// Tickets: cases that outlive a conversation (manual 2.7), numbered for the customer. Created by people, the
// API or an AI agent's tool.
import { z } from "zod";
import { desc, eq, sql } from "drizzle-orm";
import { tickets } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import type { Ctx } from "../platform/context.ts";

export type Ticket = typeof tickets.$inferSelect;

export const ticketInput = z.strictObject({
  subject: z.string().trim().min(3).max(200),
  description: z.string().max(8000).default(""),
  priority: z.enum(["low", "medium", "high", "urgent"]).default("medium"),
  contactId: z.string().nullable().default(null),
  conversationId: z.string().nullable().default(null),
  departmentId: z.string().nullable().default(null),
});

export async function createTicket(ctx: Ctx, by: { type: Ticket["createdByType"]; id: string | null }, input: z.input<typeof ticketInput>) {
  const t = ticketInput.parse(input);
  return ctx.database.write(async (tx) => {
    const now = ctx.clock.now();
    const number = Number((await tx.select({ n: sql<number>`coalesce(max(${tickets.number}), 0)` }).from(tickets).get())?.n ?? 0) + 1;
    const row: Ticket = { id: newId(now), number, ...t, status: "open", createdByType: by.type, createdById: by.id, createdAt: now, updatedAt: now };
    await tx.insert(tickets).values(row);
    return row;
  });
}

export async function listTickets(ctx: Ctx, opts: { status?: Ticket["status"]; limit?: number } = {}) {
  return ctx.db.select().from(tickets).where(opts.status ? eq(tickets.status, opts.status) : undefined).orderBy(desc(tickets.createdAt)).limit(opts.limit ?? 100);
}
