// An API error in the person's language, for the console's islands: the code's text from the page (#error-texts),
// its {placeholders} filled from the error's details (a name, a line), as the server's own pages do; the
// server's message when the page has no text for the code.
export type ApiError = { error?: { code?: string; message?: string; details?: unknown } };

const texts = (): Record<string, string> =>
  JSON.parse(document.getElementById("error-texts")?.textContent || "{}") as Record<string, string>;
let cache: Record<string, string> | null = null;

export function errorText(j: ApiError, status: number) {
  cache ??= texts();
  const text = cache[j?.error?.code ?? ""];
  if (!text) return j?.error?.message ?? `HTTP ${status}`;
  const d = j?.error?.details;
  if (!d || typeof d !== "object") return text;
  return text.replace(/\{(\w+)\}/g, (m, k: string) => {
    const v = (d as Record<string, unknown>)[k];
    return v == null || typeof v === "object" ? m : String(v);
  });
}
