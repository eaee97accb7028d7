import { test, expect } from "bun:test";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, migrate, MigrationError } from "../../src/platform/db.ts";
import { migrations } from "../../migrations/index.ts";

test("a database at the first migration is migrated to the latest with its rows intact (backup first)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-upgrade-"));
  const db = new Database(join(dir, "digybot.db"));
  await db.init();
  expect(migrations.length).toBeGreaterThan(1);
  await migrate(db, { migrations: migrations.slice(0, 1) });
  const c = db.client;
  const now = Date.now();
  await c.execute({
    sql: "insert into users (id,email,name,password_hash,role,locale,active,created_at) values ('u1','a@b.mx','Ana','x','admin','es',1,?)",
    args: [now],
  });
  await c.execute({
    sql: "insert into channels (id,type,name,config,active,created_at) values ('ch1','webchat','Web','{}',1,?)",
    args: [now],
  });
  await c.execute({
    sql: "insert into contacts (id,name,phone,attributes,created_at,updated_at) values ('k1','Rosa Márquez','+525512345678','{}',?,?)",
    args: [now, now],
  });
  await c.execute({
    sql: "insert into conversations (id,channel_id,contact_id,status,owner_type,priority,unread_count,last_message_at,last_message_preview,created_at,updated_at) values ('cv1','ch1','k1','open','queue','none',1,?,'',?,?)",
    args: [now, now, now],
  });
  for (let i = 0; i < 50; i++)
    await c.execute({
      sql: "insert into messages (id,conversation_id,channel_id,direction,sender_type,body,attachments,private,status,created_at) values (?,'cv1','ch1','in','contact',?,'[]',0,'received',?)",
      args: [`m${String(i).padStart(3, "0")}`, i === 7 ? "quiero una quesadilla" : `mensaje ${i}`, now + i],
    });

  const r = await migrate(db, { backupDir: join(dir, "backups") });
  expect(r.applied).toEqual(migrations.slice(1).map((m) => m.name));
  expect(r.backup).not.toBeNull();
  expect(readdirSync(join(dir, "backups")).length).toBe(1);
  expect(Number((await c.execute("select count(*) n from messages")).rows[0].n)).toBe(50);
  expect((await c.execute("select name from users")).rows[0].name).toBe("Ana");
  // rows written before the search migration are searchable after it
  expect(
    (
      await c.execute(
        "select m.id from messages m where m.rowid in (select rowid from messages_fts where messages_fts match 'quesadilla')",
      )
    ).rows.map((x) => x.id),
  ).toEqual(["m007"]);
  expect(
    (
      await c.execute(
        "select c.id from contacts c where c.rowid in (select rowid from contacts_fts where contacts_fts match 'marquez')",
      )
    ).rows.map((x) => x.id),
  ).toEqual(["k1"]);
  expect((await migrate(db)).applied).toEqual([]);
  await db.close();
});

test("a database written by a newer DigyBot is refused, untouched", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-newer-"));
  const db = new Database(join(dir, "digybot.db"));
  await db.init();
  await migrate(db);
  await db.client.execute({
    sql: "insert into __migrations (name, applied_at) values ('9999_future', ?)",
    args: [Date.now()],
  });
  const tables = (await db.client.execute("select count(*) n from sqlite_master")).rows[0].n;
  await expect(migrate(db, { backupDir: join(dir, "backups") })).rejects.toThrow(MigrationError);
  await expect(migrate(db)).rejects.toThrow(/newer DigyBot/);
  expect((await db.client.execute("select count(*) n from sqlite_master")).rows[0].n).toBe(tables);
  await db.close();
});

test("group commit: jobs in one batch commit together, a failing one rolls back alone", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-writer-"));
  const db = new Database(join(dir, "digybot.db"));
  await db.init();
  await migrate(db);
  const { settings } = await import("../../src/platform/schema.ts");
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) =>
      db.write(async (tx) => {
        await tx.insert(settings).values({ key: `k${i}`, value: i, updatedAt: 1 });
        if (i % 10 === 3) throw new Error(`job ${i} fails`);
        return i;
      }),
    ),
  );
  expect(results.filter((r) => r.status === "rejected").length).toBe(5);
  const keys = (await db.client.execute("select key from settings")).rows.map((r) => String(r.key));
  expect(keys.length).toBe(45);
  expect(keys).not.toContain("k3");
  await db.close();
});

test("a write that fails is run once, not again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-writer-once-"));
  const db = new Database(join(dir, "digybot.db"));
  await db.init();
  await migrate(db);
  let runs = 0;
  await expect(
    db.write(async () => {
      runs++;
      throw new Error("no");
    }),
  ).rejects.toThrow("no");
  await db.flush();
  expect(runs).toBe(1);
  await db.close();
});
