// Icons are inline SVG from Lucide, never emoji (which render as empty boxes without an emoji font): the message
// kinds, moods and actions of the inbox are drawn with them, and avatars show initials.
import { test, expect } from "bun:test";
import { renderFragment } from "../../ui/components/html.ts";
import { MessageItems } from "../../ui/pages/inbox/inbox.ts";
import { Icon, initials, icons } from "../../ui/components/icons.ts";
import { translator } from "../../ui/i18n/index.ts";

const EMOJI = /[\u{1F300}-\u{1FAFF}\u{2600}-\u{27BF}\u{2B00}-\u{2BFF}\u{1F000}-\u{1F2FF}]/u;

test("every icon renders as an SVG with its paths", () => {
  for (const name of Object.keys(icons) as (keyof typeof icons)[]) {
    const svg = renderFragment(Icon({ name }));
    expect(svg).toMatch(
      /^<svg class="icon icon-[a-z]+"[^>]*aria-hidden="true"[^>]*>.*<(path|circle|rect|line|polyline|polygon)\b/,
    );
  }
  expect(renderFragment(Icon({ name: "send", label: "Enviar" }))).toContain('aria-label="Enviar"');
});

test("message kinds in the inbox use icons, not emoji", () => {
  const t = translator("es");
  const base = {
    direction: "in",
    senderType: "contact",
    private: false,
    attachments: [],
    status: "received",
    createdAt: 0,
    error: null,
  };
  const contents = [
    { kind: "location", location: { latitude: 19.4, longitude: -99.1 } },
    { kind: "contacts", contacts: [{ name: "Luis", phones: [{ phone: "+5215512345678" }] }] },
    { kind: "unsupported" },
    { kind: "order", order: { items: [] } },
    { forwarded: true },
    { deleted: true },
    { choice: { id: "a", title: "Sí" } },
  ];
  const messages = contents.map((content, i) => ({ ...base, id: `m${i}`, body: "x", content }));
  messages.push({
    ...base,
    id: "f",
    body: "",
    content: null as never,
    attachments: [{ fileId: "f1", name: "menu.pdf", mime: "application/pdf", size: 10 }] as never,
  });
  const out = renderFragment(MessageItems({ messages: messages as never, t, locale: "es" }));
  expect(out).not.toMatch(EMOJI);
  expect((out.match(/<svg class="icon/g) ?? []).length).toBeGreaterThanOrEqual(8);
});

test("initials: first and last word, letters only", () => {
  expect(initials("Ana López")).toBe("AL");
  expect(initials("beto")).toBe("B");
  expect(initials("María de la Luz Ñúñez")).toBe("MÑ");
  expect(initials("+52 55 1234 5678")).toBe("#");
  expect(initials("")).toBe("#");
  expect(initials("(Óscar)")).toBe("Ó");
});
