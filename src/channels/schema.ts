import { sqliteTable, text, integer, primaryKey, uniqueIndex, customType } from "drizzle-orm/sqlite-core";
import { open, seal } from "../platform/secrets.ts";
import { channels } from "../inbox/schema.ts";

/** Text sealed at rest (WhatsApp session keys): src/platform/secrets.ts. */
const sealedText = customType<{ data: string; driverData: string }>({
  dataType: () => "text",
  toDriver: (v) => seal(v),
  fromDriver: (v) => open(v),
});

/** Message templates approved for a channel (WhatsApp Cloud API), synced from the provider's account. */
export const channelTemplates = sqliteTable(
  "channel_templates",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    language: text("language").notNull(),
    category: text("category").notNull().default(""),
    status: text("status").notNull(),
    /** the body text with {{1}}, {{2}}… placeholders, for the console's picker and previews */
    body: text("body").notNull().default(""),
    params: integer("params").notNull().default(0),
    components: text("components", { mode: "json" }).notNull().$type<unknown[]>().default([]),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("channel_templates_name_lang").on(t.channelId, t.name, t.language)],
);

/**
 * A connection's private state, key by key (WhatsApp-by-QR credentials and signal keys): written in the same
 * transaction as what depends on it, so a restart finds a consistent set and reconnects without pairing again.
 */
export const channelState = sqliteTable(
  "channel_state",
  {
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: sealedText("value").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.key] })],
);
