// Tracking boards in the console (issue #12 item 5), each change checked in the database: a board made from the
// boards page; a card dragged with a mouse (1280 px) and with a finger (375 px, a short press then a move, as on a
// phone); a card moved with its own control at both widths; a WIP limit set in the columns form refusing a move in
// Spanish; filters saved with the board; and a move made in one console showing in another, live.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { consoleTestbed, openConsole, PEOPLE, PHONE, DESKTOP, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { overflowing } from "../support/browser.ts";
import { channels, conversations } from "../../src/inbox/schema.ts";
import { boards } from "../../src/tickets/schema.ts";
import { forgetChannels, ingestInbound } from "../../src/inbox/service.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
  const { t, s } = bed;
  await t.ctx.database.write((tx) => tx.update(channels).set({ departmentId: s.ventas.id }));
  forgetChannels(t.ctx);
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const statusOf = async (id: string) =>
  (await bed.t.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get())?.status;
const customer = async (name: string) =>
  (
    await ingestInbound(bed.t.ctx, {
      channelId: bed.s.webchat.id,
      from: { externalId: name, name },
      body: `Hola, soy ${name}`,
    })
  ).conversationId;
const card = (page: Page, id: string) => page.locator(`li.board-card[data-item="${id}"]`);
const columnOf = (page: Page, id: string) =>
  card(page, id).evaluate((li) => (li.closest("section.board-column") as HTMLElement).dataset.column);

/** A board made in the console, as the owner makes it. */
async function makeBoard(name: string, viewport = DESKTOP) {
  const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
  await c.menu();
  await c.tap('#top-links a[href="/boards"]');
  await c.page.waitForURL(/\/boards$/);
  await c.page.fill('#new-board input[name="name"]', name);
  await c.page.locator('#new-board select[name="kind"]').selectOption("conversations");
  await c.tap("#new-board button.primary");
  await c.page.waitForURL(/\/boards\/[^/?]+$/);
  const b = (await bed.t.ctx.db.select().from(boards).where(eq(boards.name, name)).get())!;
  expect(b.columns.map((x) => x.name)).toEqual(["Abierta", "Pendiente", "Resuelta"]);
  await c.fits();
  return { c, b };
}

test("drag with a mouse, move with the card's control, a WIP limit, saved filters (1280 px)", async () => {
  const [a, b2, c3] = [await customer("Ana Ruiz"), await customer("Bruno Paz"), await customer("Carla Gil")];
  const { c, b } = await makeBoard("Ventas escritorio");
  const page = c.page;
  await card(page, a).waitFor();
  // drag Ana's card onto the Pendiente column with the mouse
  const from = await card(page, a).boundingBox();
  const to = await page.locator(`ul.board-cards[data-column="${b.columns[1]!.id}"]`).boundingBox();
  await page.mouse.move(from!.x + 20, from!.y + 12);
  await page.mouse.down();
  await page.mouse.move(from!.x + 60, from!.y + 40, { steps: 5 });
  await page.mouse.move(to!.x + to!.width / 2, to!.y + 20, { steps: 12 });
  await page.mouse.up();
  for (let i = 0; i < 50 && (await statusOf(a)) !== "pending"; i++) await page.waitForTimeout(100);
  expect(await statusOf(a)).toBe("pending");
  await page.waitForFunction(() => !!document.body.dataset.boardRefreshed);
  expect(await columnOf(page, a)).toBe(b.columns[1]!.id);

  // the card's own control: Bruno to Resuelta
  await card(page, b2).locator("select[name=columnId]").selectOption(b.columns[2]!.id);
  await c.tap(card(page, b2).locator("button[type=submit]"));
  await page.waitForURL(/saved=1/);
  expect(await statusOf(b2)).toBe("resolved");

  // a WIP limit of 1 on Pendiente: moving Carla there is refused in Spanish and nothing changes
  await c.tap("details.board-edit summary");
  await page.locator('#board-columns-form input[name="col_wip"]').nth(1).fill("1");
  await c.tap("#board-columns-form button.primary");
  await page.waitForURL(/saved=1/);
  expect((await bed.t.ctx.db.select().from(boards).where(eq(boards.id, b.id)).get())?.columns[1]?.wip).toBe(1);
  await card(page, c3).locator("select[name=columnId]").selectOption(b.columns[1]!.id);
  await Promise.all([page.waitForEvent("load"), c.tap(card(page, c3).locator("button[type=submit]"))]);
  await expect(page.locator("#board-error").textContent()).resolves.toBe(
    "La columna Pendiente está llena (límite 1). Mueve otra tarjeta fuera o sube el límite.",
  );
  expect(await statusOf(c3)).toBe("open");

  // filters saved with the board
  await c.tap("details.board-filters summary");
  await page.locator('#board-filter-form select[name="assignee"]').selectOption("none");
  await c.tap("#board-filter-form button[type=submit]");
  await page.waitForURL(/assignee=none/);
  await c.tap("details.board-filters summary");
  await c.tap("#board-save-filters button");
  await page.waitForURL(/saved=1/);
  expect((await bed.t.ctx.db.select().from(boards).where(eq(boards.id, b.id)).get())?.filters).toEqual({
    assignee: "none",
  });
  await c.fits();
  await c.close();
});

test("drag with a finger on a phone, and the card's control (375 px)", async () => {
  const [d] = [await customer("Diego Luna")];
  const { c, b } = await makeBoard("Ventas teléfono", PHONE);
  await c.close();
  // a phone: touch events, a short press picks the card up (a quick swipe scrolls instead)
  const context = await bed.browser.newContext({
    viewport: PHONE,
    hasTouch: true,
    isMobile: true,
    serviceWorkers: "block",
  });
  const page = await context.newPage();
  await page.goto(`${bed.running.url}/login`);
  await page.fill("input[name=email]", PEOPLE.admin.email);
  await page.fill("input[name=password]", PEOPLE.admin.password);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/inbox/);
  await page.goto(`${bed.running.url}/boards/${b.id}`);
  // only Diego's card on the screen, so the two columns fit it together
  await page.evaluate(() => {
    for (const li of document.querySelectorAll<HTMLElement>("li.board-card"))
      if (!li.textContent?.includes("Diego")) li.remove();
  });
  const target = page.locator(`ul.board-cards[data-column="${b.columns[1]!.id}"]`);
  await target.scrollIntoViewIfNeeded();
  const fromNow = (await card(page, d).locator(".card-meta").first().boundingBox())!;
  const to = (await target.boundingBox())!;
  const cdp = await context.newCDPSession(page);
  const touch = (type: string, x: number, y: number) =>
    cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y }] } as never);
  const [x0, y0] = [fromNow.x + 20, fromNow.y + fromNow.height / 2];
  await touch("touchStart", x0, y0);
  await page.waitForTimeout(400);
  for (let i = 1; i <= 12; i++)
    await touch("touchMove", x0 + ((to.x + 40 - x0) * i) / 12, y0 + ((to.y + 20 - y0) * i) / 12);
  await touch("touchEnd", 0, 0);
  for (let i = 0; i < 50 && (await statusOf(d)) !== "pending"; i++) await page.waitForTimeout(100);
  expect(await statusOf(d)).toBe("pending");
  expect(await overflowing(page)).toEqual([]);
  await context.close();

  // and the card's own control on a phone
  const p2 = await openConsole(bed.browser, bed.running.url, "admin", PHONE);
  await p2.go(`/boards/${b.id}`);
  await card(p2.page, d).locator("select[name=columnId]").selectOption(b.columns[2]!.id);
  await p2.tap(card(p2.page, d).locator("button[type=submit]"));
  await p2.page.waitForURL(/saved=1/);
  expect(await statusOf(d)).toBe("resolved");
  await p2.fits();
  await p2.close();
});

test("a move in one console shows in another open on the same board, live (375 and 1280 px)", async () => {
  const e = await customer("Elena Sol");
  const { c: admin, b } = await makeBoard("Ventas en vivo");
  await admin.close();
  for (const viewport of VIEWPORTS) {
    const ana = await openConsole(bed.browser, bed.running.url, "ana", viewport);
    await ana.go(`/boards/${b.id}`);
    await ana.page.waitForSelector("body[data-live='1']");
    await card(ana.page, e).waitFor();
    const target = (await statusOf(e)) === "pending" ? b.columns[0]! : b.columns[1]!;
    // the owner moves it through the API (as another console does); Ana's board follows without a reload
    const r = await bed.t.req("POST", `/api/v1/boards/${b.id}/moves`, {
      headers: { authorization: `Bearer ${bed.s.apiKey}` },
      json: { itemId: e, columnId: target.id },
    });
    expect(r.status).toBe(200);
    await ana.page.waitForFunction(
      ([id, col]) =>
        (
          document
            .querySelector(`li.board-card[data-item="${id}"]`)
            ?.closest("section.board-column") as HTMLElement | null
        )?.dataset.column === col,
      [e, target.id],
    );
    await ana.fits();
    await ana.close();
  }
});

test("a long column shows its first page and loads the rest on a tap (375 and 1280 px)", async () => {
  for (let n = 0; n < 31; n++) await customer(`Cliente ${String(n).padStart(2, "0")}`);
  const { c: admin, b } = await makeBoard("Ventas larga");
  await admin.close();
  const open = b.columns[0]!.id;
  for (const viewport of VIEWPORTS) {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go(`/boards/${b.id}`);
    const cards = c.page.locator(`ul.board-cards[data-column="${open}"] li.board-card`);
    await expect(cards.count()).resolves.toBe(30);
    const more = c.page.locator(`button.more-cards[data-column="${open}"]`);
    const total = Number(await more.getAttribute("data-count"));
    expect(total).toBeGreaterThan(30);
    expect(await more.textContent()).toContain(String(total - 30));
    await c.tap(more);
    await c.page.waitForFunction(
      ([col, n]) => document.querySelectorAll(`ul.board-cards[data-column="${col}"] li.board-card`).length === n,
      [open, total] as const,
    );
    expect(await more.count()).toBe(0);
    // every card once
    const ids = await cards.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.item));
    expect(new Set(ids).size).toBe(total);
    await c.fits();
    await c.close();
  }
}, 90_000);
