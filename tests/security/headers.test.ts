import { test, expect } from "bun:test";
import { makeTestApp, seedBusiness, loginForm } from "../support/app.ts";

test("console pages send a Content-Security-Policy that forbids framing; cookies are Secure behind an https public URL", async () => {
  const t = await makeTestApp({ public_url: "https://chat.negocio.mx" });
  try {
    await seedBusiness(t.ctx);
    const page = await t.app.request("/login");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-eval");
    const login = await t.app.request("/login", (await loginForm(t))("admin@test.mx", "admin-pass-123"));
    expect(login.status).toBe(302);
    expect(login.headers.get("set-cookie")).toMatch(/;\s*Secure/i);
    // the API answers JSON without the page policy; the widget can still be embedded
    expect((await t.app.request("/healthz")).headers.get("content-security-policy")).toBeNull();
    expect((await t.app.request("/widget.js")).headers.get("x-frame-options")).toBeNull();
  } finally {
    await t.close();
  }
});
