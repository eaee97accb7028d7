import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

// A ticket (manual 2.7): a case that outlives a conversation, numbered for the customer.
export const tickets = sqliteTable(
  "tickets",
  {
    id: text("id").primaryKey(),
    number: integer("number").notNull().unique(),
    contactId: text("contact_id"),
    conversationId: text("conversation_id"),
    subject: text("subject").notNull(),
    description: text("description").notNull().default(""),
    status: text("status", { enum: ["open", "in_progress", "waiting", "closed"] })
      .notNull()
      .default("open"),
    priority: text("priority", { enum: ["low", "medium", "high", "urgent"] })
      .notNull()
      .default("medium"),
    departmentId: text("department_id"),
    createdByType: text("created_by_type", { enum: ["user", "bot", "api_key", "system"] }).notNull(),
    createdById: text("created_by_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("tickets_status").on(t.status, t.createdAt), index("tickets_contact").on(t.contactId)],
);
