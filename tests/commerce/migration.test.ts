// Migration 0020 rebuilds the orders table: orders written before it keep their data, and the two statuses that
// were renamed (pending → new, shipped → on the way) read as the new ones.
import { test, expect } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, migrate } from "../../src/platform/db.ts";
import { migrations } from "../../migrations/index.ts";

test("orders from before migration 0020 keep their items and totals, with the renamed statuses", async () => {
  const db = new Database(join(mkdtempSync(join(tmpdir(), "digybot-mig-")), "d.db"));
  await db.init();
  const before = migrations.filter((m) => m.name < "0020");
  // 0000 … 0019: the database as it was before 0020 (later migrations run with it below)
  expect(before.map((m) => m.name.slice(0, 4))).toEqual(
    Array.from({ length: 20 }, (_, i) => String(i).padStart(4, "0")),
  );
  await migrate(db, { migrations: before });
  const c = db.client;
  for (const [id, status] of [
    ["o1", "pending"],
    ["o2", "shipped"],
    ["o3", "delivered"],
  ])
    await c.execute({
      sql: "INSERT INTO orders (id, number, status, items, total, currency, notes, created_at, updated_at) VALUES (?, ?, ?, ?, 4500, 'MXN', 'sin cebolla', 1, 2)",
      args: [id, `10${id.slice(1)}`, status, JSON.stringify([{ sku: "T", name: "Taco", quantity: 3, price: 1500 }])],
    });
  await migrate(db);
  const rows = (
    await c.execute("SELECT id, status, items, subtotal, total, notes, payment_status FROM orders ORDER BY id")
  ).rows;
  expect(rows.map((r) => [r.id, r.status, r.subtotal, r.total, r.notes, r.payment_status])).toEqual([
    ["o1", "new", 4500, 4500, "sin cebolla", "unpaid"],
    ["o2", "on_the_way", 4500, 4500, "sin cebolla", "unpaid"],
    ["o3", "delivered", 4500, 4500, "sin cebolla", "unpaid"],
  ]);
  expect(JSON.parse(String(rows[0].items))[0].quantity).toBe(3);
  await db.close();
});
