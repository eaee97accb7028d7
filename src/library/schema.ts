import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import { files } from "../platform/schema.ts";

// The library of files (manual 6.9): media uploaded once and used in quick replies, rules, sequences and flows.
// The bytes are a stored file with no conversation; each time one is sent, the message gets a file row of its own
// on the same bytes, so the conversation's access rules hold and deleting the item keeps what was already sent.
export const libraryItems = sqliteTable(
  "library_items",
  {
    id: text("id").primaryKey(),
    fileId: text("file_id")
      .notNull()
      .references(() => files.id),
    title: text("title").notNull(),
    kind: text("kind", { enum: ["image", "video", "audio", "document"] }).notNull(),
    /** times sent in a message, for the owner deciding what to keep */
    uses: integer("uses").notNull().default(0),
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("library_items_title").on(t.title)],
);
