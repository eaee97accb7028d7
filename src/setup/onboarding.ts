// The first steps after the setup wizard, shown to administrators on the inbox until they are done or dismissed.
// Each step ticks itself from what exists (nothing to mark by hand).
import { and, count, eq, inArray, isNull } from "drizzle-orm";
import { channels, conversations, users, agents, products, kbSources } from "../schema.ts";
import { getSetting, putSetting } from "./service.ts";
import type { Ctx } from "../platform/context.ts";

export type OnboardingStep = { key: "whatsapp" | "website" | "agent" | "catalog" | "team"; done: boolean; href: string };

const n = async (q: Promise<{ n: number } | undefined>) => Number((await q)?.n ?? 0);

export async function onboardingSteps(ctx: Ctx): Promise<OnboardingStep[]> {
  const db = ctx.db;
  const [wa, webchatConvs, activeAgents, items, sources, people] = await Promise.all([
    n(db.select({ n: count() }).from(channels).where(and(inArray(channels.type, ["whatsapp_cloud", "whatsapp_qr"]), isNull(channels.deletedAt))).get()),
    n(db.select({ n: count() }).from(conversations).innerJoin(channels, eq(channels.id, conversations.channelId)).where(eq(channels.type, "webchat")).get()),
    n(db.select({ n: count() }).from(agents).where(eq(agents.active, true)).get()),
    n(db.select({ n: count() }).from(products).get()),
    n(db.select({ n: count() }).from(kbSources).get()),
    n(db.select({ n: count() }).from(users).where(eq(users.active, true)).get()),
  ]);
  return [
    { key: "whatsapp", done: wa > 0, href: "/settings/channels" },
    // done once a visitor has written from the widget on the business's site
    { key: "website", done: webchatConvs > 0, href: "/settings/channels" },
    { key: "agent", done: activeAgents > 0, href: "/settings/agents" },
    { key: "catalog", done: items > 0 || sources > 0, href: items > 0 ? "/settings/knowledge" : "/settings/catalog" },
    { key: "team", done: people > 1, href: "/settings/users" },
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
