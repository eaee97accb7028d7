import { or, eq, inArray, sql, type SQL } from "drizzle-orm";
import { conversations } from "./schema.ts";
import { isAdmin, type Actor } from "../platform/context.ts";

/** The conversations an actor may see: administrators and API keys all; an agent those assigned to them or their departments. */
export function visibleWhere(actor: Actor): SQL | undefined {
  if (isAdmin(actor)) return undefined;
  if (actor.kind !== "user") return sql`0`;
  const mine = eq(conversations.assigneeId, actor.id);
  return actor.departmentIds.length ? or(mine, inArray(conversations.departmentId, actor.departmentIds)) : mine;
}

export function canSee(actor: Actor, c: { assigneeId: string | null; departmentId: string | null }) {
  if (isAdmin(actor)) return true;
  if (actor.kind !== "user") return false;
  return c.assigneeId === actor.id || (!!c.departmentId && actor.departmentIds.includes(c.departmentId));
}
