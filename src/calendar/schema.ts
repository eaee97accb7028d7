import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

// The business calendar: appointments booked by people or by an AI agent, inside the business hours.
export const appointments = sqliteTable(
  "appointments",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id"),
    conversationId: text("conversation_id"),
    service: text("service").notNull().default(""),
    startsAt: integer("starts_at").notNull(),
    endsAt: integer("ends_at").notNull(),
    status: text("status", { enum: ["booked", "cancelled"] })
      .notNull()
      .default("booked"),
    notes: text("notes").notNull().default(""),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("appointments_starts").on(t.status, t.startsAt), index("appointments_contact").on(t.contactId)],
);
