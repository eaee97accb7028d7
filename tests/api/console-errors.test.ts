// A person's browser never gets the API's JSON for a console page that fails: a file over the upload limit, a
// settings page an agent may not open. They get a page in their language with the reason and a way back, with the
// same status; the API keeps answering JSON.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp({ max_upload_mb: 1 });
  await seedBusiness(t.ctx);
});
afterEach(() => t.close());
const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

test("a document over the upload limit: a page saying so in Spanish, with the way back to the form", async () => {
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const form = new FormData();
  form.set("_csrf", admin["x-csrf-token"]);
  form.set("file", new File([new Uint8Array(2 * 1024 * 1024)], "enorme.pdf", { type: "application/pdf" }));
  const r = await t.app.request("/settings/knowledge/file", {
    method: "POST",
    headers: { ...browser, ...admin, referer: "http://localhost/settings/knowledge" },
    body: form,
  });
  expect(r.status).toBe(413);
  expect(r.headers.get("content-type")).toContain("text/html");
  const page = await r.text();
  expect(page).toContain("El contenido es demasiado grande.");
  expect(page).toContain('href="/settings/knowledge"');
  expect(page).toContain("Volver");
});

test("an agent opening the settings gets a page in her language; the API still answers JSON", async () => {
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const r = await t.app.request("/settings/catalog", { headers: { ...browser, cookie: ana.cookie } });
  expect(r.status).toBe(403);
  expect(await r.text()).toContain("Solo un administrador puede hacer esto.");
  const api = await t.app.request("/api/v1/agents", { headers: { ...browser, cookie: ana.cookie } });
  expect(api.status).toBe(403);
  expect((await api.json()).error.code).toBe("admin_only");
  // a referer from another site is not offered as the way back
  const other = await t.app.request("/settings/catalog", {
    headers: { ...browser, cookie: ana.cookie, referer: "https://evil.example/x" },
  });
  expect(await other.text()).toContain('href="/inbox"');
});
