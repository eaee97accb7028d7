// Small real files for tests that upload media: a 1×1 PNG and a GIF (bytes as the formats define them), a minimal
// PDF, and WhatsApp templates whose header is an image or a document (as Meta's registry lists them).

/** A real 1×1 PNG. */
export const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (ch) => ch.charCodeAt(0),
);
/** A real 1×1 GIF. */
export const GIF = Uint8Array.from(atob("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"), (ch) =>
  ch.charCodeAt(0),
);
/** A minimal PDF (a catalog with no pages). */
export const PDF = new TextEncoder().encode(
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);

/** Approved templates with an image header, a document header, and none (Meta's message_templates shape). */
export const HEADER_TEMPLATES = [
  {
    name: "promo_semana",
    language: "es_MX",
    status: "APPROVED",
    category: "MARKETING",
    components: [
      { type: "HEADER", format: "IMAGE", example: { header_handle: ["4::aW1hZ2U="] } },
      { type: "BODY", text: "Hola {{1}}, esta semana el 2x1 es en pizzas." },
    ],
  },
  {
    name: "factura",
    language: "es_MX",
    status: "APPROVED",
    category: "UTILITY",
    components: [
      { type: "HEADER", format: "DOCUMENT" },
      { type: "BODY", text: "Aquí está tu factura." },
    ],
  },
  {
    name: "pedido_listo",
    language: "es_MX",
    status: "APPROVED",
    category: "UTILITY",
    components: [{ type: "BODY", text: "Tu pedido {{1}} está listo." }],
  },
];
