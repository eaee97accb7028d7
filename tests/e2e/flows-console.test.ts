// Flujos in the console (issue #11 item 4), at 375 and 1280 px: the owner creates a flow, writes a menu with two
// options and a second step, links them (on a desktop: drags a node on the canvas and connects one by its port),
// saves, is refused publishing while a step is unreachable (the problem in Spanish), removes it and publishes; the
// emulator answers the menu and lights the path; a customer's keyword then gets the published menu. A ready-made
// flow installs in one click. An AI agent step is told where the agent gives the conversation back.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { and, eq } from "drizzle-orm";
import { apiPost, waitUntil } from "../support/app.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { flows, messages } from "../../src/schema.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a flow built, checked, published and tried in the emulator (${viewport.width} px)`, async () => {
    const { t, s } = bed;
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    const desktop = viewport.width >= 900;
    await c.go("/settings/flows");
    await page.locator("#new-flow [name=name]").fill(`Menú ${i}`);
    await c.tap("#new-flow button[type=submit]");
    await page.waitForURL(/\/settings\/flows\/[^/?]+$/);
    const id = page.url().split("/").pop()!;
    await page.locator("#flow-outline").waitFor();
    expect(await page.locator("#flow-canvas").isVisible()).toBe(desktop);
    await page.locator("#flow-keywords").fill(`pizza${i}`);

    // the start step: a menu of two options
    const form = page.locator("#node-form");
    await form.locator("textarea[name=text]").fill("¡Hola! ¿Qué buscas?");
    await c.tap("#add-option");
    await c.tap("#add-option");
    await form.locator("[name=option-0]").fill("Pizzas");
    await form.locator("[name=option-1]").fill("Bebidas");
    // a second step, linked from the first option
    await page.locator("#add-type").selectOption("message");
    await c.tap("#add-node");
    await expect(form.getAttribute("data-node")).resolves.toBe("message2");
    await form.locator("textarea[name=text]").fill("Tenemos pizza hawaiana.");
    await c.tap('#flow-outline li[data-node="inicio"] button');
    await form.locator('[data-option="0"] select').selectOption("message2");
    // an end step, and a question nothing leads to
    await page.locator("#add-type").selectOption("end");
    await c.tap('#flow-outline li[data-node="message2"] button');
    await c.tap("#add-node"); // follows message2, which had no next yet
    await page.locator("#add-type").selectOption("ask");
    await c.tap('#flow-outline li[data-node="inicio"] button');
    await c.tap("#add-node"); // the menu has options: nothing links to the question
    await form.locator("textarea[name=text]").fill("¿Algo más?");
    if (desktop) {
      // on the canvas: the question is dragged down, and connected to the end by its port
      const node = page.locator('.flow-node[data-node="ask4"]');
      const box = (await node.boundingBox())!;
      await page.mouse.move(box.x + 60, box.y + 10);
      await page.mouse.down();
      await page.mouse.move(box.x + 60, box.y + 210, { steps: 5 });
      await page.mouse.up();
      const moved = (await node.boundingBox())!;
      expect(Math.round(moved.y - box.y)).toBeGreaterThan(150);
      await c.tap('.flow-node[data-node="ask4"] .port');
      await page.locator("#connect-hint").waitFor();
      await page.locator('.flow-node[data-node="end3"]').click();
      await page.locator('path[data-edge="ask4>end3"]').waitFor({ state: "attached" });
      // zoom changes the canvas's scale
      await c.tap("#zoom-out");
      await expect(page.locator(".flow-scale").getAttribute("style")).resolves.toContain("scale(0.8)");
      await c.tap("#zoom-in");
      await expect(page.locator(".flow-scale").getAttribute("style")).resolves.toContain("scale(1)");
    }
    // another step made the start, then the first one again
    await c.tap('#flow-outline li[data-node="message2"] button');
    await c.tap("#make-start");
    expect(await page.locator("#make-start").count()).toBe(0);
    await c.tap('#flow-outline li[data-node="inicio"] button');
    await c.tap("#make-start");
    expect(await page.locator("#make-start").count()).toBe(0);
    await c.tap('#flow-outline li[data-node="message2"] button');
    await page.locator("#make-start").waitFor();
    await c.tap("#save-flow");
    await page.locator("#flow-status", { hasText: "Borrador guardado." }).waitFor();
    const saved = (await t.ctx.db.select().from(flows).where(eq(flows.id, id)).get())!;
    expect(saved.keywords).toEqual([`pizza${i}`]);
    expect(saved.draft.start).toBe("inicio");
    expect(saved.draft.nodes.map((n) => [n.id, n.type])).toEqual([
      ["inicio", "message"],
      ["message2", "message"],
      ["end3", "end"],
      ["ask4", "ask"],
    ]);
    expect(saved.draft.nodes[0]).toMatchObject({
      text: "¡Hola! ¿Qué buscas?",
      options: [{ title: "Pizzas", next: "message2" }, { title: "Bebidas" }],
    });
    expect(saved.draft.nodes[1]).toMatchObject({ next: "end3" });
    if (desktop) {
      expect(saved.draft.nodes[3]).toMatchObject({ next: "end3" });
      expect(saved.draft.nodes[3].y).toBeGreaterThan(150);
    }

    // the unreachable question stops the publication, said in Spanish
    await c.tap("#publish-flow");
    await page.locator('#flow-problems li[data-code="unreachable_node"]').waitFor();
    await expect(page.locator("#flow-problems li").first().innerText()).resolves.toBe(
      "ask4: ningún paso lleva hasta aquí",
    );
    expect((await t.ctx.db.select().from(flows).where(eq(flows.id, id)).get())!.publishedVersion).toBeNull();
    await c.fits();
    await c.tap('#flow-outline li[data-node="ask4"] button');
    await c.tap("#delete-node");
    await c.tap("#publish-flow");
    await page
      .locator("#flow-status", { hasText: "Publicado: versión 1. Las conversaciones nuevas ya la usan." })
      .waitFor();
    expect((await t.ctx.db.select().from(flows).where(eq(flows.id, id)).get())!.publishedVersion).toBe(1);

    // the emulator: the menu, a tap on an option, the path lit
    await c.tap("#emu-restart");
    const chat = page.locator("#emu-chat");
    await chat.locator("li", { hasText: "¡Hola! ¿Qué buscas?" }).waitFor();
    await c.tap(chat.locator("button", { hasText: "Pizzas" }));
    await chat.locator("li", { hasText: "Tenemos pizza hawaiana." }).waitFor();
    await chat.locator("li", { hasText: "El flujo terminó." }).waitFor();
    await expect(page.locator('#flow-outline li[data-node="message2"]').getAttribute("class")).resolves.toContain(
      "lit",
    );
    await expect(page.locator("#emu-vars").innerText()).resolves.toContain("Pizzas");
    await c.fits();

    // a customer's keyword gets the published menu, numbered on the web chat
    const m = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `flow-visitor-${i}`, name: "Rosa" },
      body: `pizza${i}`,
    });
    await waitUntil(async () =>
      (
        await t.ctx.db
          .select()
          .from(messages)
          .where(and(eq(messages.conversationId, m.conversationId), eq(messages.direction, "out")))
      ).some((x) => x.body === "¡Hola! ¿Qué buscas?\n\n1. Pizzas\n2. Bebidas"),
    );
    await c.close();
  });

for (const [i, viewport] of VIEWPORTS.entries())
  test(`an AI agent step is told where to give the conversation back, and the emulator says so (${viewport.width} px)`, async () => {
    const { t, s } = bed;
    const a = await apiPost(t, s.apiKey, "/agents", { name: `Sofía ${i}`, channelIds: [], tools: ["handoff"] });
    const f = await apiPost(t, s.apiKey, "/flows", {
      name: `Talla ${i}`,
      keywords: [`talla${i}`],
      graph: {
        start: "ia",
        nodes: [
          { id: "ia", type: "agent", agentId: a.id, goal: "Saber la talla del cliente" },
          { id: "fin", type: "message", text: "Listo, ya tengo tu talla." },
        ],
      },
    });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    await c.go(`/settings/flows/${f.id}`);
    await page.locator("#flow-outline").waitFor();
    await c.tap('#flow-outline li[data-node="ia"] button');
    const form = page.locator("#node-form");
    await expect(form.getAttribute("data-node")).resolves.toBe("ia");
    const back = form.locator("label", { hasText: "el agente devuelve la conversación a" }).locator("select");
    await back.selectOption("fin");
    await c.fits();
    await c.tap("#save-flow");
    await waitUntil(
      async () =>
        ((await t.ctx.db.select().from(flows).where(eq(flows.id, f.id)).get())?.draft.nodes[0] as { next?: string })
          ?.next === "fin",
    );
    // reachable now: it publishes
    await c.tap("#publish-flow");
    await page.locator("#flow-status", { hasText: "Publicado: versión 1." }).waitFor();
    await c.tap("#emu-restart");
    const chat = page.locator("#emu-chat");
    await chat.locator("li", { hasText: "devuelve la conversación aquí" }).waitFor();
    await chat.locator("li", { hasText: "Listo, ya tengo tu talla." }).waitFor();
    await c.close();
  });

/** A flow of one greeting, opened in the editor as the owner, with a step of `type` added after the greeting. */
async function withNewStep(name: string, viewport: (typeof VIEWPORTS)[number], type: string) {
  const f = await apiPost(bed.t, bed.s.apiKey, "/flows", {
    name,
    graph: { start: "inicio", nodes: [{ id: "inicio", type: "message", text: "¡Hola!" }] },
  });
  const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
  const { page } = c;
  await c.go(`/settings/flows/${f.id}`);
  await page.locator("#flow-outline").waitFor();
  await c.tap('#flow-outline li[data-node="inicio"] button');
  await page.locator("#add-type").selectOption(type);
  await c.tap("#add-node");
  const form = page.locator("#node-form");
  await expect(form.getAttribute("data-node")).resolves.toBe(`${type}2`);
  return { f: f as { id: string }, c, page, form };
}

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a catalog step added in the editor offers the catalog's products in the emulator (${viewport.width} px)`, async () => {
    const { t, s } = bed;
    await apiPost(t, s.apiKey, "/products", { sku: `CAT-${i}`, name: `Pizza margarita ${i}`, price: 15000 });
    const { f, c, page, form } = await withNewStep(`Catálogo ${i}`, viewport, "catalog");
    await form.locator("input[name=query]").fill("margarita");
    await form.locator("textarea[name=text]").fill("Esto encontré:");
    await c.fits();
    await c.tap("#save-flow");
    await waitUntil(async () => {
      const d = (await t.ctx.db.select().from(flows).where(eq(flows.id, f.id)).get())?.draft;
      return d?.nodes[1]?.type === "catalog" && (d.nodes[0] as { next?: string }).next === "catalog2";
    });
    expect((await t.ctx.db.select().from(flows).where(eq(flows.id, f.id)).get())!.draft.nodes[1]).toMatchObject({
      type: "catalog",
      query: "margarita",
      text: "Esto encontré:",
      save: "producto",
    });
    await c.tap("#emu-restart");
    const chat = page.locator("#emu-chat");
    await chat.locator("li", { hasText: "Esto encontré:" }).waitFor();
    await c.tap(chat.locator("button", { hasText: `Pizza margarita ${i}` }));
    await chat.locator("li", { hasText: "El flujo terminó." }).waitFor();
    await expect(page.locator("#emu-vars").innerText()).resolves.toContain(`Pizza margarita ${i}`);
    await c.close();
  });

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a calendar step added in the editor offers the day's free times in the emulator (${viewport.width} px)`, async () => {
    const { t } = bed;
    const { availableSlots } = await import("../../src/calendar/service.ts");
    // the next day the business has free times (whatever today is)
    let day = "";
    let times: string[] = [];
    for (let d = 1; d <= 8 && !times.length; d++) {
      day = new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
      times = (await availableSlots(t.ctx, day)).slots;
    }
    expect(times.length).toBeGreaterThan(0);
    const { f, c, page, form } = await withNewStep(`Agenda ${i}`, viewport, "slots");
    await form.locator("input[name=date]").fill(day);
    await form.locator("textarea[name=text]").fill("¿A qué hora te queda?");
    await c.fits();
    await c.tap("#save-flow");
    await waitUntil(
      async () =>
        ((await t.ctx.db.select().from(flows).where(eq(flows.id, f.id)).get())?.draft.nodes[1] as { date?: string })
          ?.date === day,
    );
    await c.tap("#emu-restart");
    const chat = page.locator("#emu-chat");
    await chat.locator("li", { hasText: "¿A qué hora te queda?" }).waitFor();
    await c.tap(chat.locator("button", { hasText: times[0] }).first());
    await chat.locator("li", { hasText: `Reserva ${day} ${times[0]}` }).waitFor();
    await chat.locator("li", { hasText: "El flujo terminó." }).waitFor();
    await c.close();
  });

test("a ready-made flow installs in one click as a draft to read and publish", async () => {
  const c = await openConsole(bed.browser, bed.running.url, "admin", VIEWPORTS[0]);
  await c.go("/settings/flows");
  await c.tap('#flow-recipes li[data-recipe="clinic_welcome"] button');
  await c.page.waitForURL(/\/settings\/flows\/[^/?]+$/);
  await c.page.locator('#flow-outline li[data-node="bienvenida"]').waitFor();
  const f = (await bed.t.ctx.db.select().from(flows)).find((x) => x.name === "Bienvenida de la clínica")!;
  expect(f.publishedVersion).toBeNull();
  await c.tap("#publish-flow");
  await c.page
    .locator("#flow-status", { hasText: "Publicado: versión 1. Las conversaciones nuevas ya la usan." })
    .waitFor();
  expect((await bed.t.ctx.db.select().from(flows)).find((x) => x.id === f.id)!.publishedVersion).toBe(1);
  await c.close();
});

for (const viewport of VIEWPORTS)
  test(`the ready-made ordering flow: installed, published, walked in the emulator to the order (${viewport.width} px)`, async () => {
    const { t, s } = bed;
    await apiPost(t, s.apiKey, "/products", {
      sku: `ORD-${viewport.width}`,
      name: `Tlayuda ${viewport.width}`,
      price: 12000,
      variants: [
        { key: "sencilla", name: "Sencilla", price: 12000 },
        { key: "especial", name: "Especial", price: 15000 },
      ],
      modifiers: [{ key: "tasajo", name: "Con tasajo", price: 3000 }],
    });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/flows");
    await c.tap('#flow-recipes li[data-recipe="restaurant_order"] button');
    await page.waitForURL(/\/settings\/flows\/[^/?]+$/);
    // the cart steps are on the canvas's outline
    for (const node of ["opciones", "agregar", "carrito", "pedir"])
      await page.locator(`#flow-outline li[data-node="${node}"]`).waitFor();
    // the options step's form: the product, its two questions, where the choice is kept
    await c.tap('#flow-outline li[data-node="opciones"] button');
    const form = page.locator("#node-form");
    await expect(form.locator("h2").textContent()).resolves.toContain("Elegir tamaño y extras");
    await expect(form.locator("input[name=sku]").inputValue()).resolves.toBe("{{producto_sku}}");
    await expect(form.locator("input[name=save]").inputValue()).resolves.toBe("eleccion");
    await c.fits();
    await c.tap("#publish-flow");
    await page.locator("#flow-status", { hasText: "Publicado: versión 1." }).waitFor();
    // the emulator: search, pick, how many, the cart, confirm (described: the emulator has no customer)
    await c.tap("#emu-restart");
    const chat = page.locator("#emu-chat");
    await chat.locator("li", { hasText: "¿Qué se te antoja?" }).waitFor();
    await page.locator("#emu-text").fill(`tlayuda ${viewport.width}`);
    await c.tap("#emu-send");
    await c.tap(chat.locator("button", { hasText: `Tlayuda ${viewport.width}` }));
    // its sizes from the catalog, then its one extra
    await chat.locator("li", { hasText: `¿Cuál de Tlayuda ${viewport.width} quieres?` }).waitFor();
    await c.tap(chat.locator("button", { hasText: "Especial" }).last());
    await chat.locator("li", { hasText: "¿Le agregamos algo?" }).waitFor();
    await c.tap(chat.locator("button", { hasText: "Con tasajo" }).last());
    await chat.locator("li", { hasText: "¿Cuántos" }).waitFor();
    await page.locator("#emu-text").fill("2");
    await c.tap("#emu-send");
    await chat.locator("li", { hasText: `Agrega al carrito: 2 × ORD-${viewport.width} (especial, tasajo)` }).waitFor();
    await c.tap(chat.locator("button", { hasText: "Ver mi pedido" }).last());
    await c.tap(chat.locator("button", { hasText: "Confirmar" }).last());
    await chat.locator("li", { hasText: "Crea el pedido" }).waitFor();
    await chat.locator("li", { hasText: "¡Gracias! Tu pedido (prueba)" }).waitFor();
    await c.close();
  });
