// The web chat's attach button, clicked (issue #10, item 9), at 375 and 1280 px on a page of another origin: a
// photo goes to the team and shows in the chat and in the console; a file too large or of a refused type is
// said in Spanish in the widget and sends nothing.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { visitorSite, overflowing } from "../support/browser.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { messages } from "../../src/inbox/schema.ts";
import { PNG } from "../support/media.ts";

let bed: Testbed, site: ReturnType<typeof visitorSite>;
beforeAll(async () => {
  bed = await consoleTestbed({ max_upload_mb: 1 });
  site = visitorSite(bed.running.url, bed.s.webchat.id);
  await updateChannel(bed.t.ctx, { kind: "system" }, bed.s.webchat.id, { config: { allowedOrigins: [site.origin] } });
}, 60_000);
afterAll(async () => {
  site?.stop();
  await bed?.close();
});

const png = Buffer.from(PNG);

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a visitor attaches a photo; too large or a refused type is said in Spanish (${viewport.width} px)`, async () => {
    const visitor = await bed.browser.newPage({ viewport, locale: "es-MX" });
    await visitor.goto(site.url);
    const w = visitor.locator("#digybot-webchat");
    await w.locator("button.launch").click();
    await w.locator("textarea").fill(`Les mando la foto ${i}`);
    await w.locator("textarea").press("Enter");
    await w.locator(".m.in:not(.pending)", { hasText: `Les mando la foto ${i}` }).waitFor();
    const file = w.locator("label.att input[type=file]");

    await file.setInputFiles({ name: `ticket-${i}.png`, mimeType: "image/png", buffer: png });
    await w.locator(`.m.in img[alt="ticket-${i}.png"]`).waitFor();
    const stored = await bed.t.ctx.db.select().from(messages).where(eq(messages.direction, "in")).all();
    const withPhoto = stored.find((m) => m.attachments.some((a) => a.name === `ticket-${i}.png`));
    expect(withPhoto?.attachments[0]).toMatchObject({ mime: "image/png", size: png.length });

    // too large for this business's limit (1 MB): refused before it is sent
    await file.setInputFiles({ name: "video.mp4", mimeType: "video/mp4", buffer: Buffer.alloc(1_200_000) });
    await w.locator(".error, [role=alert]", { hasText: "El archivo es demasiado grande." }).waitFor();
    // a program: refused by the server, said in Spanish
    await file.setInputFiles({ name: "factura.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ") });
    await w.locator(".error, [role=alert]", { hasText: "Ese tipo de archivo no está permitido." }).waitFor();
    const after = await bed.t.ctx.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, withPhoto!.conversationId));
    expect(after.flatMap((m) => m.attachments.map((a) => a.name))).toEqual([`ticket-${i}.png`]);
    expect(await overflowing(visitor)).toEqual([]);

    // the team sees the photo in the conversation
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go(`/inbox?c=${withPhoto!.conversationId}`);
    const img = c.page.locator(`#messages li.msg.in img[alt="ticket-${i}.png"]`);
    await img.waitFor();
    expect(await img.evaluate((x: HTMLImageElement) => x.complete && x.naturalWidth)).toBe(1);
    await c.close();
    await visitor.close();
  });
