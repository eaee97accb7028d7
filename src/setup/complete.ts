import { z } from "zod";
import { businessSchema, putSetting } from "./service.ts";
import { createUser, createDepartment } from "../auth/service.ts";
import { createChannel } from "../channels/service.ts";
import type { Ctx } from "../platform/context.ts";

export const setupInput = z.object({
  business: businessSchema,
  departments: z.array(z.string().trim().min(1).max(80)).max(30).default([]),
  admin: z.object({ name: z.string().trim().min(1), email: z.email(), password: z.string().min(8) }),
});

/** First run: the business profile, its departments, the first administrator and a web chat ready to embed. */
export async function completeSetup(ctx: Ctx, input: z.input<typeof setupInput>) {
  const s = setupInput.parse(input);
  const system = { kind: "system" as const };
  await ctx.database.write((tx) => putSetting(tx, "business", s.business, ctx.clock.now()));
  const depts = [];
  for (const name of [...new Set(s.departments)]) depts.push(await createDepartment(ctx, system, { name }));
  const admin = await createUser(ctx, {
    ...s.admin,
    role: "admin",
    locale: s.business.locale,
    departmentIds: depts.map((d) => d.id),
  });
  const channel = await createChannel(ctx, system, {
    type: "webchat",
    name: "Web",
    departmentId: depts[0]?.id ?? null,
    config: { title: s.business.name },
  });
  return { admin, departments: depts, channel };
}
