// The owner connects a WhatsApp number by QR from the console, on a phone and on a desktop: "Vincular con QR"
// starts the pairing and the QR appears and refreshes live; "Vincular con número" shows the code; the card's
// "Guardar" saves its own fields. Regression for issue #10: the QR card's forms were nested inside the channel's
// settings form, so "Vincular con QR" posted the settings and no QR appeared. WhatsApp is a double of Baileys' socket.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, waitUntil, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing, misnested } from "../support/browser.ts";
import { baileysDouble } from "../support/baileys-double.ts";
import { listChannels } from "../../src/channels/service.ts";
import { channelState } from "../../src/schema.ts";
import { eq } from "drizzle-orm";

let t: TestApp,
  running: Awaited<ReturnType<typeof startServer>>,
  browser: Browser,
  wa: ReturnType<typeof baileysDouble>;
beforeAll(async () => {
  wa = baileysDouble();
  t = await makeTestApp({}, { whatsappSocket: wa.factory });
  await seedBusiness(t.ctx);
  const { useQrSockets } = await import("../../src/channels/whatsapp-qr/service.ts");
  useQrSockets(t.ctx, wa.factory, { backoffMs: 5 });
  running = await startServer(t.ctx);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  for (const a of t?.ctx.channels.all() ?? []) await a.stop?.();
  await running?.stop();
  await t?.close();
});

test("pair a number by QR and by phone number, and save the card's settings (375 and 1280 px)", async () => {
  for (const [i, viewport] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    await page.goto(`${running.url}/settings/channels`);
    const name = `WhatsApp Sucursal ${i}`;
    await page.fill("#new-whatsapp-qr input[name=name]", name);
    await page.click("#new-whatsapp-qr button[type=submit]");
    await page.waitForURL(/saved=1/);
    const ch = (await listChannels(t.ctx)).find((c) => c.name === name)!;
    const card = page.locator(`[data-channel="${ch.id}"]`);
    const sockets = wa.sockets.length;
    await card.getByRole("button", { name: "Vincular con QR" }).click();
    await page.waitForURL(/saved=1/);
    // the pairing started: a socket was opened; WhatsApp offers a QR, then renews it, and the page follows live
    await waitUntil(() => wa.sockets.length === sockets + 1);
    wa.current.showQr(`2@qr-one-${i},abc=,def=`);
    await card.locator(".qr-img svg").waitFor({ timeout: 6000 });
    await expect(card.locator(".qr-state").textContent()).resolves.toBe("esperando que escanees el QR");
    const firstQr = await card.locator(".qr-img").innerHTML();
    wa.current.showQr(`2@qr-two-${i},ghi=,jkl=`);
    await waitUntil(async () => (await card.locator(".qr-img").innerHTML()) !== firstQr, 6000);
    expect(await overflowing(page)).toEqual([]);
    // pairing by phone number instead shows WhatsApp's code
    await card.locator("input[name=phone]").fill(`+52 55 1234 567${i}`);
    await card.getByRole("button", { name: "Vincular con número" }).click();
    await page.waitForURL(/saved=1/);
    await expect(page.locator(`[data-channel="${ch.id}"] .pairing-code`).textContent()).resolves.toBe(`DGB${i}-2345`);
    // the card's pairing controls are blocks of their own, not forms in a paragraph (the parser would split it)
    const source = async () => (await page.request.get(`${running.url}/settings/channels`)).text();
    expect(await misnested(page, await source())).toEqual([]);
    // the phone scans: connected, and the number shows
    wa.current.open(`52155000000${i}:3@s.whatsapp.net`);
    await page
      .locator(`[data-channel="${ch.id}"] .qr-state`)
      .filter({ hasText: "conectado" })
      .waitFor({ timeout: 6000 });
    // the card's own "Guardar" saves its fields
    await page.locator(`[data-channel="${ch.id}"] input[name=name]`).fill(`${name} (centro)`);
    await page.locator(`[data-channel="${ch.id}"] .channel-settings button[type=submit]`).click();
    await page.waitForURL(/saved=1/);
    expect((await listChannels(t.ctx)).find((c) => c.id === ch.id)?.name).toBe(`${name} (centro)`);
    expect(await overflowing(page)).toEqual([]);
    // unlinking asks first, then closes WhatsApp's session and forgets its keys: pairing is offered again
    const asked: string[] = [];
    page.once("dialog", (d) => {
      asked.push(d.message());
      void d.accept();
    });
    const paired = wa.current;
    const stateKeys = async () =>
      (
        await t.ctx.db.select({ key: channelState.key }).from(channelState).where(eq(channelState.channelId, ch.id))
      ).filter((k) => !k.key.startsWith("lid:"));
    expect((await stateKeys()).length).toBeGreaterThan(0); // the session's keys, kept while paired
    await page.locator(`[data-channel="${ch.id}"]`).getByRole("button", { name: "Cerrar sesión de WhatsApp" }).click();
    await page.waitForURL(/saved=1/);
    expect(asked).toEqual([
      "¿Desvincular este número de WhatsApp? Dejarán de llegar sus mensajes hasta que lo vincules otra vez.",
    ]);
    expect(paired.ended).toBe(true);
    const unlinked = page.locator(`[data-channel="${ch.id}"]`);
    await expect(unlinked.locator(".qr-state").textContent()).resolves.toBe("sesión cerrada: vuelve a vincular");
    await unlinked.getByRole("button", { name: "Vincular con QR" }).waitFor();
    expect(await stateKeys()).toEqual([]);
    await page.close();
  }
}, 90_000);
