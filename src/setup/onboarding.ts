// The first steps after the setup wizard, shown to administrators on the inbox until they are done or dismissed.
// Each step ticks itself from what exists (nothing to mark by hand).
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { channels, conversations, users, agents, products, kbSources } from "../schema.ts";
import { getSetting, putSetting } from "./service.ts";
import type { Ctx } from "../platform/context.ts";

export type OnboardingStep = {
  key: "whatsapp" | "website" | "agent" | "catalog" | "team";
  done: boolean;
  href: string;
};

/** Whether a query finds a row: each step needs only that, not a count over a large inbox. */
const any = async (q: { limit(n: number): Promise<unknown[]> }) => (await q.limit(1)).length > 0;

export async function onboardingSteps(ctx: Ctx): Promise<OnboardingStep[]> {
  const db = ctx.db;
  const one = { one: sql`1` };
  const [wa, website, agent, items, sources, people] = await Promise.all([
    any(
      db
        .select(one)
        .from(channels)
        .where(and(inArray(channels.type, ["whatsapp_cloud", "whatsapp_qr"]), isNull(channels.deletedAt))),
    ),
    any(
      db
        .select(one)
        .from(conversations)
        .innerJoin(channels, eq(channels.id, conversations.channelId))
        .where(eq(channels.type, "webchat")),
    ),
    any(db.select(one).from(agents).where(eq(agents.active, true))),
    any(db.select(one).from(products)),
    any(db.select(one).from(kbSources)),
    db
      .select(one)
      .from(users)
      .where(eq(users.active, true))
      .limit(2)
      .then((r) => r.length > 1),
  ]);
  return [
    { key: "whatsapp", done: wa, href: "/settings/channels" },
    // done once a visitor has written from the widget on the business's site
    { key: "website", done: website, href: "/settings/channels" },
    { key: "agent", done: agent, href: "/settings/agents" },
    { key: "catalog", done: items || sources, href: items ? "/settings/knowledge" : "/settings/catalog" },
    { key: "team", done: people, href: "/settings/users" },
  ];
}

/** The checklist to show, or null once every step is done or an administrator dismissed it. */
export async function onboardingFor(ctx: Ctx) {
  if (await getSetting<boolean>(ctx, "onboarding_dismissed")) return null;
  const steps = await onboardingSteps(ctx);
  return steps.every((s) => s.done) ? null : steps;
}

export async function dismissOnboarding(ctx: Ctx) {
  await ctx.database.write((tx) => putSetting(tx, "onboarding_dismissed", true, ctx.clock.now()));
}
