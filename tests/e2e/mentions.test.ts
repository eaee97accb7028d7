// @mentions in a private note (issue #10): typing "@" offers the people who can see the conversation (not oneself,
// not someone of another department), narrowing as one types, by first name or surname, accents aside; a tap or
// Enter puts the name in the note. A reply to the customer offers nobody.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { createUser } from "../../src/auth/service.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { conversations, messages } from "../../src/schema.ts";
import { mentioned } from "../../src/notifications/service.ts";

let bed: Testbed, conversationId: string;
beforeAll(async () => {
  bed = await consoleTestbed();
  const { t, s } = bed;
  await createUser(t.ctx, {
    name: "Andrés Núñez",
    email: "andres@test.mx",
    password: "agent-pass-123",
    role: "agent",
    departmentIds: [s.ventas.id],
  });
  const m = await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "v1" }, body: "hola" });
  conversationId = m.conversationId;
  await t.ctx.database.write((tx) =>
    tx.update(conversations).set({ departmentId: s.ventas.id }).where(eq(conversations.id, conversationId)),
  );
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const offered = (page: import("playwright-core").Page) =>
  page
    .locator("#qr-pop.show [role=option]")
    .evaluateAll((els) =>
      els.map((e) => `${e.querySelector(".avatar")?.textContent} ${(e as HTMLElement).dataset.name}`),
    );

for (const viewport of VIEWPORTS)
  test(`a note offers the people who see the conversation when one types @ (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go(`/inbox?c=${conversationId}`);
    const box = c.page.locator("#reply-body");

    // a reply to the customer: "@" is just a character
    await box.pressSequentially("escribe a @a");
    await c.page.waitForTimeout(150);
    await expect(c.page.locator("#qr-pop.show").count()).resolves.toBe(0);
    await box.fill("");

    await c.tap('#composer input[value="note"]');
    await box.pressSequentially("Por favor @");
    // Ana and Andrés are in Ventas, where the conversation is; Beto (Soporte) cannot see it; Admin is oneself
    await expect(offered(c.page)).resolves.toEqual(["A Ana", "AN Andrés Núñez"]);
    await box.pressSequentially("nun"); // the surname, without its accent
    await expect(offered(c.page)).resolves.toEqual(["AN Andrés Núñez"]);
    await c.tap(c.page.locator("#qr-pop [role=option]").first());
    await expect(box.inputValue()).resolves.toBe("Por favor @Andrés Núñez ");
    await expect(c.page.locator("#qr-pop.show").count()).resolves.toBe(0);
    await c.fits();

    // from the keyboard: the second offer, then Enter
    await box.pressSequentially("y @a");
    await c.page.locator("#qr-pop.show").waitFor();
    await box.press("ArrowDown");
    await expect(c.page.locator('#qr-pop [aria-selected="true"]').innerText()).resolves.toContain("Andrés");
    await box.press("ArrowUp");
    await box.press("Enter");
    await expect(box.inputValue()).resolves.toBe("Por favor @Andrés Núñez y @Ana ");
    await box.pressSequentially(`revisen esto ${viewport.width}`);
    await box.press("Enter");
    const note = c.page.locator("#messages li.msg.note").filter({ hasText: `revisen esto ${viewport.width}` });
    await note.waitFor();

    // the note names both, as the notifications read it
    const stored = await bed.t.ctx.db
      .select({ body: messages.body })
      .from(messages)
      .where(eq(messages.private, true))
      .all();
    const body = stored.map((m) => m.body).find((b) => b.endsWith(`revisen esto ${viewport.width}`))!;
    const team = [
      { id: "ana", name: "Ana" },
      { id: "andres", name: "Andrés Núñez" },
      { id: "beto", name: "Beto" },
    ];
    expect([...mentioned(body, team)].sort()).toEqual(["ana", "andres"]);
    await c.close();
  });
