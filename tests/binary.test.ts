import { test, expect, beforeAll, afterAll } from "bun:test";
import {
  mkdtempSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createClient } from "@libsql/client";
import { makeDocx, makePdf } from "./support/docs.ts";
import { build } from "../bin/build.ts";
import { postLogin } from "./support/process.ts";

// The compiled executable, copied alone into an empty folder far from any node_modules.
let dir: string, bin: string;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), "digybot-build-"));
  const { outfile } = await build(join(out, "digybot"));
  dir = mkdtempSync(join(tmpdir(), "digybot-empty-"));
  bin = join(dir, "digybot");
  copyFileSync(outfile, bin);
  Bun.spawnSync(["chmod", "+x", bin]);
  rmSync(out, { recursive: true, force: true });
  for (let d = dir; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, "node_modules"))).toBe(false);
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(...args: string[]) {
  const r = Bun.spawnSync([bin, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

async function serve(dataDir: string) {
  const p = Bun.spawn([bin, "serve", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  });
  const reader = p.stdout.getReader();
  let text = "";
  const started = performance.now();
  while (!/listening on (http:\/\/\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited: ${text} ${await new Response(p.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  const url = text.match(/listening on (http:\/\/\S+)/)![1];
  reader.releaseLock();
  return { p, url, text, startedMs: performance.now() - started };
}

test("version and help", () => {
  expect(run("--version").out).toMatch(/^digybot \d+\.\d+\.\d+/);
  const help = run("--help");
  expect(help.code).toBe(0);
  for (const cmd of ["serve", "migrate", "backup", "restore", "admin create", "doctor"])
    expect(help.out).toContain(cmd);
});

test("a bad flag or config value stops with a message naming it", () => {
  const r = run("serve", "--port", "seventy", "--data-dir", join(dir, "x"));
  expect(r.code).toBe(2);
  expect(r.err).toContain("`port`");
  const u = run("serve", "--bogus");
  expect(u.code).toBe(2);
  expect(u.err).toContain("bogus");
  writeFileSync(join(dir, "bad.toml"), 'port = 3000\nlog_level = "loud"\n');
  const f = run("serve", "--config", join(dir, "bad.toml"));
  expect(f.code).toBe(2);
  expect(f.err).toContain("`log_level`");
  expect(f.err).toContain("bad.toml");
});

test("starts in an empty folder, creates and migrates the data dir, serves the setup and login pages", async () => {
  const data = join(dir, "data1");
  const s = await serve(data);
  try {
    expect(s.text).toContain("/setup");
    expect(existsSync(join(data, "digybot.db"))).toBe(true);
    const setup = await fetch(`${s.url}/login`, { redirect: "manual" });
    expect(setup.status).toBe(302);
    expect(setup.headers.get("location")).toBe("/setup");
    expect(await (await fetch(`${s.url}/setup`)).text()).toContain("Configuración inicial");
    expect((await fetch(`${s.url}/widget.js`)).status).toBe(200);
    await Bun.sleep(1500); // the checkpointer thread starts a second after the server
  } finally {
    s.p.kill();
    await s.p.exited;
  }
  // the WAL checkpointer is a worker thread: its entry point must be inside the executable too
  const log = await new Response(s.p.stderr).text();
  expect(log).not.toContain("background checkpoints unavailable");
  expect(
    run(
      "admin",
      "create",
      "--email",
      "dueno@negocio.mx",
      "--password",
      "muy-secreta-1",
      "--name",
      "Dueño",
      "--data-dir",
      data,
    ).code,
  ).toBe(0);
  const s2 = await serve(data);
  try {
    const login = await fetch(`${s2.url}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain("Iniciar sesión");
    const res = await postLogin(s2.url, "dueno@negocio.mx", "muy-secreta-1");
    expect(res.status).toBe(302);
    expect(res.headers.get("set-cookie")).toContain("digybot_session=");
  } finally {
    s2.p.kill();
    await s2.p.exited;
  }
}, 60_000);

test("backup (online) and restore round-trip a database with data in it", async () => {
  const data = join(dir, "data2");
  expect(
    run("admin", "create", "--email", "a@negocio.mx", "--password", "muy-secreta-1", "--data-dir", data).code,
  ).toBe(0);
  const s = await serve(data);
  const backup = join(dir, "respaldo.db");
  try {
    // data written through the running server, then a backup taken while it runs
    const key = await createKeyViaConsole(s.url);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${s.url}/api/v1/contacts`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `Cliente ${i}`, phone: `55 1234 56${String(i).padStart(2, "0")}` }),
      });
      expect(r.status).toBe(201);
    }
    // the knowledge base reads PDF and Word files from inside the executable (pdf.js and mammoth are embedded)
    for (const [name, type, bytes] of [
      ["menu.pdf", "application/pdf", makePdf([["La pizza de temporada lleva calabaza."]])],
      [
        "garantia.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        await makeDocx([{ heading: "Garantía" }, { text: "Los hornos tienen garantía de un año." }]),
      ],
    ] as const) {
      const fd = new FormData();
      fd.append("file", new File([bytes as BlobPart], name, { type }));
      const up = await fetch(`${s.url}/api/v1/knowledge/files`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: fd,
      });
      expect(up.status).toBe(201);
    }
    const found = await (
      await fetch(`${s.url}/api/v1/knowledge/search`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ q: "garantía de los hornos" }),
      })
    ).json();
    expect(found.data.hits[0].text).toContain("un año");
    const pdfHit = await (
      await fetch(`${s.url}/api/v1/knowledge/search`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ q: "pizza de temporada" }),
      })
    ).json();
    expect(pdfHit.data.hits[0].text).toContain("calabaza");
    // a connection's credentials: sealed in the database and so in the backup
    const ch = await fetch(`${s.url}/api/v1/channels`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        type: "whatsapp_cloud",
        name: "Ventas",
        config: {
          phoneNumberId: "1098",
          accessToken: "EAAG-TOKEN-EN-CLARO-4321",
          appSecret: "app-secret-en-claro-99",
          verifyToken: "verifica-en-claro-77",
        },
      }),
    });
    expect(ch.status).toBe(201);
    const b = run("backup", backup, "--data-dir", data);
    expect(b.code).toBe(0);
    expect(b.out).toContain("backup written");
    expect(b.out).toContain("2 attachments");
    for (const f of [backup, join(data, "digybot.db")]) {
      const bytes = Buffer.from(await Bun.file(f).arrayBuffer()).toString("latin1");
      for (const secret of ["EAAG-TOKEN-EN-CLARO-4321", "app-secret-en-claro-99", "verifica-en-claro-77"])
        expect(bytes.includes(secret)).toBe(false);
    }
    // private to DigyBot's user: the data dir 0700, the database, the backup and the key 0600
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(data)).toBe(0o700);
    expect(mode(join(data, "digybot.db"))).toBe(0o600);
    expect(mode(backup)).toBe(0o600);
    expect(mode(join(dir, "config", "digybot.key"))).toBe(0o600);
  } finally {
    s.p.kill();
    await s.p.exited;
  }

  const refused = run("restore", join(dir, "bad.toml"), "--data-dir", join(dir, "data3"));
  expect(refused.code).toBe(1);
  expect(refused.err).toContain("restore refused");
  expect(existsSync(join(dir, "data3", "digybot.db"))).toBe(false);

  const r = run("restore", backup, "--data-dir", join(dir, "data3"));
  expect(r.code).toBe(0);
  expect(r.out).toContain("with 2 attachments");
  // the attachments come back byte for byte
  const filesOf = (root: string) =>
    (readdirSync(root, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(root.length))
      .sort();
  const before = filesOf(join(data, "files"));
  expect(before.length).toBe(2);
  expect(filesOf(join(dir, "data3", "files"))).toEqual(before);
  for (const f of before)
    expect(Buffer.compare(readFileSync(join(data, "files", f)), readFileSync(join(dir, "data3", "files", f)))).toBe(0);
  const c = createClient({ url: `file:${join(dir, "data3", "digybot.db")}` });
  expect(Number((await c.execute("select count(*) n from contacts")).rows[0].n)).toBe(20);
  expect(Number((await c.execute("select count(*) n from users")).rows[0].n)).toBe(1);
  c.close();
  const s3 = await serve(join(dir, "data3"));
  try {
    expect((await fetch(`${s3.url}/login`)).status).toBe(200);
  } finally {
    s3.p.kill();
    await s3.p.exited;
  }
  expect(readdirSync(join(dir, "data3")).some((f) => f.startsWith("digybot.db"))).toBe(true);
  const doctor = run("doctor", "--data-dir", join(dir, "data3")).out;
  expect(doctor).toMatch(/ok\s+database/);
  expect(doctor).toMatch(/ok\s+secret key/);
  expect(doctor).toMatch(/ok\s+channels\s+.*Ventas/);
}, 60_000);

/** Logs in as the administrator and creates an API key through the console, as an owner would. */
async function createKeyViaConsole(url: string) {
  const login = await postLogin(url, "a@negocio.mx", "muy-secreta-1");
  const cookie = login.headers.get("set-cookie")!.match(/digybot_session=[^;]+/)![0];
  const page = await (await fetch(`${url}/settings/api-keys`, { headers: { cookie } })).text();
  const csrf = page.match(/name="csrf-token" content="([^"]+)"/)![1];
  const created = await (
    await fetch(`${url}/settings/api-keys`, {
      method: "POST",
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf, name: "respaldo", scope: "admin" }),
    })
  ).text();
  return created.match(/<pre id="new-api-key">([^<]+)<\/pre>/)![1];
}
