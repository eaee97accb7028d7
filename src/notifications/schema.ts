import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema.ts";

// One Web Push subscription per user and device (browser profile): what PushManager.subscribe() returned there.
export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    endpoint: text("endpoint").notNull().unique(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    /** the device as a person recognises it ("Chrome en Android") */
    device: text("device").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    lastSentAt: integer("last_sent_at"),
    /** the last failure that was not the service dropping the subscription (which deletes it) */
    lastError: text("last_error"),
  },
  (t) => [index("push_subscriptions_user").on(t.userId)],
);

// What each person wants to be told about; defaults apply until they change it.
export const notificationPrefs = sqliteTable("notification_prefs", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  prefs: text("prefs", { mode: "json" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});
