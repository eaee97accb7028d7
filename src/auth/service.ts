import { and, eq, gt, desc, inArray, isNull, count, ne, sql, type SQL } from "drizzle-orm";
import { getSetting, putSetting } from "../setup/service.ts";
import { z } from "zod";
import { users, departments, userDepartments, sessions, loginAttempts, apiKeys } from "./schema.ts";
import { newId, newSecret, hashSecret } from "../platform/ids.ts";
import { AppError, badRequest, conflict, notFound } from "../platform/errors.ts";
import type { Ctx, Actor } from "../platform/context.ts";
import { assertAdmin, isAdmin, API_SCOPES, ROLES, type ApiScope } from "../platform/context.ts";
import { patchOf, idRef } from "../platform/validation.ts";
import type { Tx } from "../platform/db.ts";
import { agents } from "../agents/schema.ts";

export const userInput = z.strictObject({
  email: z.email().transform((s) => s.toLowerCase()),
  name: z.string().trim().min(1).max(120),
  password: z.string().min(8).max(200),
  role: z.enum(ROLES).default("agent"),
  locale: z.enum(["es", "en"]).default("es"),
  departmentIds: z.array(idRef).max(100).default([]),
  /** the most open conversations assigned at once (null: no limit) */
  capacity: z.number().int().min(1).max(1000).nullable().default(null),
  /** limits per channel type (e.g. {"whatsapp-cloud": 3}), within the total */
  channelCapacity: z
    .record(z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/), z.number().int().min(0).max(1000))
    .refine((r) => Object.keys(r).length <= 20, "at most 20 channel types")
    .default({}),
});
/** currentPassword is required to change one's own password or email (an open session must not be enough to take the account). */
export const userPatch = patchOf(userInput.extend({ active: z.boolean(), currentPassword: z.string().max(200) }));

/** Creates a user with an Argon2id password hash. The first user of a fresh install is created by setup. */
export async function createUser(ctx: Ctx, input: z.input<typeof userInput>) {
  const u = userInput.parse(input);
  const passwordHash = await Bun.password.hash(u.password, { algorithm: "argon2id" });
  return ctx.database.write(async (tx, after) => {
    const existing = await tx.select({ id: users.id }).from(users).where(eq(users.email, u.email)).get();
    if (existing) throw conflict("email_taken", "A user with this email already exists", { field: "email" });
    await assertDepartments(tx, u.departmentIds);
    const id = newId();
    await tx.insert(users).values({
      id,
      email: u.email,
      name: u.name,
      passwordHash,
      role: u.role,
      locale: u.locale,
      capacity: u.capacity,
      channelCapacity: u.channelCapacity,
      createdAt: ctx.clock.now(),
    });
    if (u.departmentIds.length)
      await tx.insert(userDepartments).values(u.departmentIds.map((d) => ({ userId: id, departmentId: d })));
    await ctx.events.record(tx, after, { type: "auth.user_created", data: { userId: id, role: u.role } });
    return { id, email: u.email, name: u.name, role: u.role };
  });
}

async function assertDepartments(tx: Tx, ids: string[]) {
  if (!ids.length) return;
  const found = await tx.select({ id: departments.id }).from(departments).where(inArray(departments.id, ids));
  if (found.length !== new Set(ids).size)
    throw badRequest("unknown_department", "One of the departments does not exist", { departmentIds: ids });
}

export async function updateUser(ctx: Ctx, actor: Actor, id: string, patch: z.input<typeof userPatch>) {
  const self = actor.kind === "user" && actor.id === id;
  const p = userPatch.parse(patch);
  if (!isAdmin(actor)) {
    // an agent may change only their own name, password and language
    if (
      !self ||
      p.role !== undefined ||
      p.departmentIds !== undefined ||
      p.active !== undefined ||
      p.email !== undefined ||
      p.capacity !== undefined ||
      p.channelCapacity !== undefined
    )
      assertAdmin(actor);
  }
  if (self) await checkCurrentPassword(ctx, id, p);
  const passwordHash = p.password ? await Bun.password.hash(p.password, { algorithm: "argon2id" }) : undefined;
  return ctx.database.write(async (tx, after) => {
    const u = await tx.select().from(users).where(eq(users.id, id)).get();
    if (!u) throw notFound("User");
    if (p.email && p.email !== u.email) {
      const taken = await tx.select({ id: users.id }).from(users).where(eq(users.email, p.email)).get();
      if (taken) throw conflict("email_taken", "A user with this email already exists", { field: "email" });
    }
    if (((p.role && p.role !== "admin") || p.active === false) && u.role === "admin") {
      const admins = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, "admin"), eq(users.active, true)))
        .get();
      if ((admins?.n ?? 0) <= 1)
        throw conflict("last_admin", "The last active administrator cannot be demoted or deactivated");
    }
    const set = {
      ...(p.email ? { email: p.email } : {}),
      ...(p.name ? { name: p.name } : {}),
      ...(p.role ? { role: p.role } : {}),
      ...(p.locale ? { locale: p.locale } : {}),
      ...(p.active !== undefined ? { active: p.active } : {}),
      ...(p.capacity !== undefined ? { capacity: p.capacity } : {}),
      ...(p.channelCapacity !== undefined ? { channelCapacity: p.channelCapacity } : {}),
      ...(passwordHash ? { passwordHash } : {}),
    };
    // a PATCH of only departmentIds sets nothing on the user row itself
    if (Object.keys(set).length) await tx.update(users).set(set).where(eq(users.id, id));
    if (p.departmentIds) {
      await assertDepartments(tx, p.departmentIds);
      await tx.delete(userDepartments).where(eq(userDepartments.userId, id));
      if (p.departmentIds.length)
        await tx.insert(userDepartments).values(p.departmentIds.map((d) => ({ userId: id, departmentId: d })));
    }
    if (p.active === false || passwordHash) await tx.delete(sessions).where(eq(sessions.userId, id));
    // what assignment follows (a freed capacity, a person joining a department) is read from this event
    await ctx.events.record(tx, after, {
      type: "auth.user_updated",
      data: { userId: id, changes: Object.keys(p).filter((k) => !["password", "currentPassword"].includes(k)) },
    });
  });
}

/**
 * A person changing their own password or email proves they know the current password. Wrong guesses count as
 * failed logins of that email (the same slow-down applies), so an open session cannot be used to guess it.
 */
async function checkCurrentPassword(ctx: Ctx, id: string, p: z.output<typeof userPatch>) {
  const u = await ctx.db.select().from(users).where(eq(users.id, id)).get();
  if (!u || (!p.password && !(p.email && p.email !== u.email))) return;
  if (!p.currentPassword)
    throw badRequest("current_password_required", "Send currentPassword to change your own password or email", {
      field: "currentPassword",
    });
  const now = ctx.clock.now();
  await refuseWhileSlowed(ctx, u.email, null, now);
  if (await Bun.password.verify(p.currentPassword, u.passwordHash)) return;
  await ctx.database.write((tx) =>
    tx.insert(loginAttempts).values({
      id: newId(),
      email: u.email,
      userId: u.id,
      ip: null,
      userAgent: "current-password check",
      success: false,
      at: now,
    }),
  );
  throw new AppError(403, "wrong_current_password", "The current password is not correct", {
    field: "currentPassword",
  });
}

export async function listUsers(ctx: Ctx) {
  const rows = await ctx.db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      locale: users.locale,
      active: users.active,
      lastLoginAt: users.lastLoginAt,
      createdAt: users.createdAt,
      availability: users.availability,
      capacity: users.capacity,
      channelCapacity: users.channelCapacity,
    })
    .from(users)
    .orderBy(users.name);
  const links = await ctx.db.select().from(userDepartments);
  return rows.map((u) => ({ ...u, departmentIds: links.filter((l) => l.userId === u.id).map((l) => l.departmentId) }));
}

export async function countUsers(ctx: Ctx) {
  const r = await ctx.db.select({ n: count() }).from(users).get();
  return r?.n ?? 0;
}

// ---- departments ----
export const departmentInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  description: z.string().max(500).default(""),
  /** manual: people take conversations; round_robin: in turns; least_busy: whoever has the fewest open */
  assignment: z.enum(["manual", "round_robin", "least_busy"]).default("manual"),
  /** a contact who writes again within this many hours goes back to the person who last served them */
  stickyHours: z.number().int().min(1).max(720).nullable().default(null),
  /** minutes a person has to answer a conversation given to them before it goes to someone else */
  reassignAfterMinutes: z.number().int().min(1).max(1440).nullable().default(null),
  /** a person's conversations go to others when they go offline */
  reassignOnOffline: z.boolean().default(true),
  /** minutes a conversation may wait in the queue before it overflows (null: it waits) */
  overflowAfterMinutes: z.number().int().min(1).max(1440).nullable().default(null),
  /** where it overflows: another department, an AI agent (their ids in overflowTargetId), or a call-back ticket */
  overflowAction: z.enum(["department", "agent", "ticket"]).nullable().default(null),
  overflowTargetId: idRef.nullable().default(null),
});

/** An overflow rule is whole: a time and an action, and for a department or an AI agent, one that exists. */
async function checkOverflow(
  tx: Tx,
  id: string | null,
  d: { overflowAfterMinutes?: number | null; overflowAction?: string | null; overflowTargetId?: string | null },
) {
  if (!d.overflowAfterMinutes || !d.overflowAction) {
    if (d.overflowAfterMinutes && !d.overflowAction)
      throw badRequest("overflow_incomplete", "An overflow time needs what happens then", { field: "overflowAction" });
    return;
  }
  if (d.overflowAction === "ticket") return;
  const field = { field: "overflowTargetId" };
  if (!d.overflowTargetId)
    throw badRequest("overflow_incomplete", "The overflow needs its department or AI agent", field);
  if (d.overflowAction === "department") {
    if (d.overflowTargetId === id)
      throw badRequest("overflow_to_itself", "A department cannot overflow into itself", field);
    const t = await tx
      .select({ id: departments.id })
      .from(departments)
      .where(eq(departments.id, d.overflowTargetId))
      .get();
    if (!t) throw badRequest("unknown_department", "The department does not exist", field);
  } else {
    const a = await tx.select({ id: agents.id }).from(agents).where(eq(agents.id, d.overflowTargetId)).get();
    if (!a) throw badRequest("unknown_agent", "The AI agent does not exist or is paused", field);
  }
}

export const departmentPatch = patchOf(departmentInput);

export async function createDepartment(ctx: Ctx, actor: Actor, input: z.input<typeof departmentInput>) {
  assertAdmin(actor);
  const d = departmentInput.parse(input);
  return ctx.database.write(async (tx) => {
    const dup = await tx.select({ id: departments.id }).from(departments).where(eq(departments.name, d.name)).get();
    if (dup) throw conflict("department_exists", "A department with this name already exists", { field: "name" });
    await checkOverflow(tx, null, d);
    const id = newId();
    await tx.insert(departments).values({ id, ...d, createdAt: ctx.clock.now() });
    return { id, ...d };
  });
}

export async function updateDepartment(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof departmentPatch>) {
  assertAdmin(actor);
  const d = departmentPatch.parse(input);
  await ctx.database.write(async (tx, after) => {
    const cur = await tx.select().from(departments).where(eq(departments.id, id)).get();
    if (!cur) throw notFound("Department");
    await checkOverflow(tx, id, { ...cur, ...d });
    if (
      d.name &&
      (await tx
        .select({ id: departments.id })
        .from(departments)
        .where(and(eq(departments.name, d.name), ne(departments.id, id)))
        .get())
    )
      throw conflict("department_exists", "A department with this name already exists", { field: "name" });
    if (Object.keys(d).length) await tx.update(departments).set(d).where(eq(departments.id, id));
    await ctx.events.record(tx, after, { type: "auth.department_updated", data: { departmentId: id, changes: d } });
  });
}

export async function deleteDepartment(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(departments).where(eq(departments.id, id)).returning({ id: departments.id });
    if (!r.length) throw notFound("Department");
  });
}

export async function listDepartments(ctx: Ctx) {
  const rows = await ctx.db.select().from(departments).orderBy(departments.name);
  const members = await ctx.db
    .select({ departmentId: userDepartments.departmentId, n: count() })
    .from(userDepartments)
    .groupBy(userDepartments.departmentId);
  return rows.map((d) => ({ ...d, members: members.find((m) => m.departmentId === d.id)?.n ?? 0 }));
}

// ---- sessions and login ----
const LOGIN_WINDOW_MS = 15 * 60_000;
/** A hash to verify against when the email is unknown or inactive, so every attempt costs the same time. */
let dummyHash: Promise<string> | null = null;

/**
 * How long a login from this address to this email must wait, from the failures of the last 15 minutes (since
 * the last success of the pair, and since an administrator's unlock). Slowing down instead of locking out:
 * - the pair (email, address): `max` failures free, then a wait doubling from 1 s up to 15 min;
 * - the email from every address (a guess spread over many): past 4×max, at most one try every 30 s;
 * - the address for every email (an office, or everyone behind one proxy): past 4×max, one try every 5 s.
 * So a guesser is slowed, and the owner with the right password from elsewhere waits at most seconds.
 */
async function loginWaitMs(ctx: Ctx, email: string, ip: string | null, now: number) {
  const max = ctx.config.login_max_failures;
  const unlocked = (await getUnlocks(ctx))[email] ?? 0;
  const since = Math.max(now - LOGIN_WINDOW_MS, unlocked);
  const failures = (where: SQL | undefined) =>
    ctx.db
      .select({ n: count(), last: sql<number | null>`max(${loginAttempts.at})` })
      .from(loginAttempts)
      .where(and(where, eq(loginAttempts.success, false), gt(loginAttempts.at, since)))
      .get();
  const lastOk = ip
    ? ((
        await ctx.db
          .select({ at: sql<number | null>`max(${loginAttempts.at})` })
          .from(loginAttempts)
          .where(
            and(
              eq(loginAttempts.email, email),
              eq(loginAttempts.ip, ip),
              eq(loginAttempts.success, true),
              gt(loginAttempts.at, since),
            ),
          )
          .get()
      )?.at ?? 0)
    : 0;
  let wait = 0;
  const pair = await failures(
    and(
      eq(loginAttempts.email, email),
      ip ? eq(loginAttempts.ip, ip) : isNull(loginAttempts.ip),
      gt(loginAttempts.at, lastOk),
    ),
  );
  if (pair && pair.n >= max && pair.last)
    wait = Math.max(wait, pair.last + Math.min(1000 * 2 ** (pair.n - max), LOGIN_WINDOW_MS) - now);
  const byEmail = await failures(eq(loginAttempts.email, email));
  if (byEmail && byEmail.n >= max * 4 && byEmail.last) wait = Math.max(wait, byEmail.last + 30_000 - now);
  if (ip) {
    const byIp = await failures(eq(loginAttempts.ip, ip));
    if (byIp && byIp.n >= max * 4 && byIp.last) wait = Math.max(wait, byIp.last + 5_000 - now);
  }
  return Math.max(0, wait);
}

/** 429 too_many_attempts with Retry-After while loginWaitMs says this email (and address) must wait. */
async function refuseWhileSlowed(ctx: Ctx, email: string, ip: string | null, now: number) {
  const wait = await loginWaitMs(ctx, email, ip, now);
  if (wait <= 0) return;
  const seconds = Math.ceil(wait / 1000);
  throw new AppError(
    429,
    "too_many_attempts",
    `Too many failed logins; try again in ${seconds} s`,
    { retryAfter: seconds },
    seconds,
  );
}

async function getUnlocks(ctx: Ctx): Promise<Record<string, number>> {
  return (await getSetting<Record<string, number>>(ctx, "login_unlocks")) ?? {};
}

/** An administrator lets a user's logins through again at once (failures before now no longer count). */
export async function unlockLogin(ctx: Ctx, actor: Actor, userId: string) {
  assertAdmin(actor);
  const u = await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, userId)).get();
  if (!u) throw notFound("User");
  const now = ctx.clock.now();
  const cur = await getUnlocks(ctx);
  const next = Object.fromEntries(Object.entries(cur).filter(([, at]) => at > now - LOGIN_WINDOW_MS));
  next[u.email] = now;
  await ctx.database.write((tx) => putSetting(tx, "login_unlocks", next, now));
}

/**
 * Verifies a password login. Failures slow the next attempts down (loginWaitMs) instead of locking the account
 * out; a wait is answered 429 with Retry-After before the password is checked. The password is verified the same
 * way whether or not the email exists. Every attempt is kept as login history.
 */
export async function login(
  ctx: Ctx,
  input: { email: string; password: string; ip?: string | null; userAgent?: string | null },
) {
  const email = String(input.email ?? "")
    .trim()
    .toLowerCase()
    .slice(0, 320);
  const ip = input.ip ?? null;
  await refuseWhileSlowed(ctx, email, ip, ctx.clock.now());
  const u = await ctx.db.select().from(users).where(eq(users.email, email)).get();
  dummyHash ??= Bun.password.hash("not-a-password-of-anyone", { algorithm: "argon2id" });
  const password = String(input.password ?? "").slice(0, 200);
  const matches = await Bun.password.verify(password, u?.passwordHash ?? (await dummyHash));
  const ok = !!u && u.active && matches;
  const token = newSecret();
  const csrf = newSecret(24);
  const now = ctx.clock.now();
  await ctx.database.write(async (tx) => {
    await tx.insert(loginAttempts).values({
      id: newId(),
      email,
      userId: u?.id ?? null,
      ip,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
      success: ok,
      at: now,
    });
    if (!ok) return;
    await tx.insert(sessions).values({
      id: hashSecret(token),
      userId: u!.id,
      csrfToken: csrf,
      ip,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
      createdAt: now,
      expiresAt: now + ctx.config.session_days * 86_400_000,
    });
    await tx.update(users).set({ lastLoginAt: now }).where(eq(users.id, u!.id));
  });
  if (!ok) throw new AppError(401, "invalid_credentials", "Wrong email or password");
  return { token, csrf, user: { id: u!.id, name: u!.name, role: u!.role, locale: u!.locale } };
}

/** Resolves a session cookie to its actor, or null when missing, expired or the user was deactivated. */
export async function sessionActor(
  ctx: Ctx,
  token: string | undefined,
): Promise<{ actor: Extract<Actor, { kind: "user" }>; csrf: string; sessionId: string } | null> {
  if (!token) return null;
  const id = hashSecret(token);
  const row = await ctx.db
    .select({ s: sessions, u: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id))
    .get();
  if (!row || row.s.expiresAt < ctx.clock.now() || !row.u.active) return null;
  const depts = await ctx.db
    .select({ d: userDepartments.departmentId })
    .from(userDepartments)
    .where(eq(userDepartments.userId, row.u.id));
  return {
    actor: {
      kind: "user",
      id: row.u.id,
      name: row.u.name,
      role: row.u.role,
      locale: row.u.locale,
      departmentIds: depts.map((d) => d.d),
      availability: row.u.availability,
    },
    csrf: row.s.csrfToken,
    sessionId: id,
  };
}

export async function logout(ctx: Ctx, token: string | undefined) {
  if (!token) return;
  await ctx.database.write((tx) => tx.delete(sessions).where(eq(sessions.id, hashSecret(token))));
}

export async function loginHistory(ctx: Ctx, limit = 100) {
  return ctx.db.select().from(loginAttempts).orderBy(desc(loginAttempts.at)).limit(limit);
}

// ---- API keys ----
export const apiKeyInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  scope: z.enum(API_SCOPES as [ApiScope, ...ApiScope[]]).default("read"),
});

/** Creates an API key (read-only unless a wider scope is asked for) and returns the secret once; only its SHA-256 is stored. */
export async function createApiKey(ctx: Ctx, actor: Actor, input: z.input<typeof apiKeyInput>) {
  assertAdmin(actor);
  const { name: n, scope } = apiKeyInput.parse(input);
  const prefix = newSecret(6).replace(/[-_]/g, "x").slice(0, 8);
  const key = `dgb_${prefix}_${newSecret(24)}`;
  const id = newId();
  await ctx.database.write((tx) =>
    tx.insert(apiKeys).values({
      id,
      name: n,
      prefix,
      keyHash: hashSecret(key),
      scope,
      createdBy: actor.kind === "user" ? actor.id : null,
      createdAt: ctx.clock.now(),
    }),
  );
  return { id, name: n, prefix, scope, key };
}

export async function listApiKeys(ctx: Ctx) {
  return ctx.db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      scope: apiKeys.scope,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .orderBy(desc(apiKeys.createdAt));
}

export async function revokeApiKey(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx
      .update(apiKeys)
      .set({ revokedAt: ctx.clock.now() })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    if (!r.length) throw notFound("API key");
  });
  keyCache(ctx).actors.clear();
}

type KeyCache = { actors: Map<string, { actor: Actor; until: number }>; lastUsed: Map<string, number> };
const keyCaches = new WeakMap<Ctx, KeyCache>();
const keyCache = (ctx: Ctx) => {
  let c = keyCaches.get(ctx);
  if (!c) keyCaches.set(ctx, (c = { actors: new Map(), lastUsed: new Map() }));
  return c;
};

/**
 * Resolves a bearer API key. A verified key is remembered for 30 s (per app; revoking clears it at once), and
 * its last use is written at most once a minute.
 */
export async function apiKeyActor(ctx: Ctx, key: string): Promise<Actor | null> {
  if (!key.startsWith("dgb_")) return null;
  const cache = keyCache(ctx);
  const now = ctx.clock.now();
  const hash = hashSecret(key);
  const hit = cache.actors.get(hash);
  if (hit && hit.until > now) return hit.actor;
  const row = await ctx.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).get();
  if (!row || row.revokedAt) {
    cache.actors.delete(hash);
    return null;
  }
  const actor: Actor = { kind: "api_key", id: row.id, name: row.name, scope: row.scope };
  cache.actors.set(hash, { actor, until: now + 30_000 });
  if ((cache.lastUsed.get(row.id) ?? 0) < now - 60_000) {
    cache.lastUsed.set(row.id, now);
    void ctx.database
      .write((tx) => tx.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id)))
      .catch(() => {});
  }
  return actor;
}
