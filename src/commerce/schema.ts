import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

// The catalog (manual 2.5, 6.8). Money in minor units with its currency; stock null means not tracked.
export const products = sqliteTable(
  "products",
  {
    id: text("id").primaryKey(),
    sku: text("sku").notNull().unique(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    category: text("category").notNull().default(""),
    price: integer("price").notNull(),
    currency: text("currency").notNull().default("MXN"),
    stock: integer("stock"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("products_name").on(t.name)],
);

export type OrderItem = { sku: string; name: string; quantity: number; price: number };

// Orders taken in chat or synced from a store; customers ask for their status by number.
export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    number: text("number").notNull().unique(),
    contactId: text("contact_id"),
    status: text("status", { enum: ["pending", "confirmed", "preparing", "shipped", "delivered", "cancelled"] })
      .notNull()
      .default("pending"),
    items: text("items", { mode: "json" }).notNull().$type<OrderItem[]>().default([]),
    total: integer("total").notNull(),
    currency: text("currency").notNull().default("MXN"),
    notes: text("notes").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("orders_contact").on(t.contactId, t.createdAt)],
);
