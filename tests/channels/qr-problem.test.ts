// A QR number's failure is said as something the owner can act on; WhatsApp's raw text stays behind "Detalles".
import { test, expect } from "bun:test";
import { renderFragment } from "../../ui/components/html.ts";
import { QrStatusView, qrProblem } from "../../ui/pages/channels/settings.ts";
import { translator } from "../../ui/i18n/index.ts";

test("WhatsApp's errors become sentences, the raw text behind Detalles", () => {
  expect(qrProblem("Connection Failure")).toBe("network");
  expect(qrProblem("getaddrinfo ENOTFOUND web.whatsapp.com")).toBe("network");
  expect(qrProblem("logged out (401)")).toBe("loggedOut");
  expect(qrProblem("Stream Errored (conflict)")).toBe("other");
  const html = renderFragment(
    QrStatusView({
      t: translator("es"),
      csrf: "x",
      channelId: "c1",
      locale: "es",
      s: { state: "reconnecting", qrSvg: null, pairingCode: null, lastError: "Connection Failure", me: null, since: 0 },
    }),
  );
  expect(html).toContain(
    '<p class="error">No se puede llegar a WhatsApp desde este servidor; DigyBot reintenta solo.</p>',
  );
  expect(html).toContain(
    '<details class="details"><summary>Detalles</summary><code>Connection Failure</code></details>',
  );
});
