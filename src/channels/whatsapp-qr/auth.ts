// WhatsApp-by-QR credentials and signal keys in the database (channel_state), not in files: every change of keys is
// one transaction, so a crash never leaves half a key set, and a restart reconnects without pairing again.
import { and, eq, inArray } from "drizzle-orm";
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataTypeMap,
} from "baileys";
import { channelState } from "../schema.ts";
import type { Ctx } from "../../platform/context.ts";

const encode = (v: unknown) => JSON.stringify(v, BufferJSON.replacer);
const decode = (s: string) => JSON.parse(s, BufferJSON.reviver);

/** The connection's stored credentials, or null before its first pairing. */
export async function storedCreds(ctx: Ctx, channelId: string): Promise<AuthenticationCreds | null> {
  const row = await ctx.db
    .select({ value: channelState.value })
    .from(channelState)
    .where(and(eq(channelState.channelId, channelId), eq(channelState.key, "creds")))
    .get();
  return row ? decode(row.value) : null;
}

export async function dbAuthState(
  ctx: Ctx,
  channelId: string,
): Promise<{ state: AuthenticationState; saveCreds: () => Promise<void> }> {
  const creds: AuthenticationCreds = (await storedCreds(ctx, channelId)) ?? initAuthCreds();
  const put = (key: string, value: string) => ({ channelId, key, value, updatedAt: Date.now() });
  return {
    state: {
      creds,
      keys: {
        async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
          const out: { [id: string]: SignalDataTypeMap[T] } = {};
          for (let i = 0; i < ids.length; i += 500) {
            const keys = ids.slice(i, i + 500).map((id) => `${type}:${id}`);
            const rows = await ctx.db
              .select()
              .from(channelState)
              .where(and(eq(channelState.channelId, channelId), inArray(channelState.key, keys)));
            for (const r of rows) {
              let v = decode(r.value);
              if (type === "app-state-sync-key" && v) v = proto.Message.AppStateSyncKeyData.fromObject(v);
              out[r.key.slice(type.length + 1)] = v;
            }
          }
          return out;
        },
        async set(data) {
          await ctx.database.write(async (tx) => {
            for (const [type, entries] of Object.entries(data)) {
              for (const [id, value] of Object.entries(entries ?? {})) {
                const key = `${type}:${id}`;
                if (value)
                  await tx
                    .insert(channelState)
                    .values(put(key, encode(value)))
                    .onConflictDoUpdate({
                      target: [channelState.channelId, channelState.key],
                      set: { value: encode(value), updatedAt: Date.now() },
                    });
                else
                  await tx
                    .delete(channelState)
                    .where(and(eq(channelState.channelId, channelId), eq(channelState.key, key)));
              }
            }
          });
        },
      },
    },
    async saveCreds() {
      const v = encode(creds);
      await ctx.database.write((tx) =>
        tx
          .insert(channelState)
          .values(put("creds", v))
          .onConflictDoUpdate({
            target: [channelState.channelId, channelState.key],
            set: { value: v, updatedAt: Date.now() },
          }),
      );
    },
  };
}

/** Forgets the session (logged out): the next connection starts a new pairing. LID mappings are kept. */
export async function clearAuthState(ctx: Ctx, channelId: string) {
  await ctx.database.write(async (tx) => {
    const rows = await tx
      .select({ key: channelState.key })
      .from(channelState)
      .where(eq(channelState.channelId, channelId));
    const drop = rows.map((r) => r.key).filter((k) => !k.startsWith("lid:"));
    for (let i = 0; i < drop.length; i += 500)
      await tx
        .delete(channelState)
        .where(and(eq(channelState.channelId, channelId), inArray(channelState.key, drop.slice(i, i + 500))));
  });
}

/** The phone number a LID (WhatsApp's privacy id) belongs to, when WhatsApp told us. */
export async function lidToPhone(ctx: Ctx, channelId: string, lid: string) {
  const r = await ctx.db
    .select({ value: channelState.value })
    .from(channelState)
    .where(and(eq(channelState.channelId, channelId), eq(channelState.key, `lid:${lid}`)))
    .get();
  return r?.value ?? null;
}

export async function rememberLid(ctx: Ctx, channelId: string, lid: string, phone: string) {
  await ctx.database.write((tx) =>
    tx
      .insert(channelState)
      .values({ channelId, key: `lid:${lid}`, value: phone, updatedAt: Date.now() })
      .onConflictDoUpdate({
        target: [channelState.channelId, channelState.key],
        set: { value: phone, updatedAt: Date.now() },
      }),
  );
}
