/** Turns what a person typed into a safe FTS5 query: each word quoted, the last one as a prefix. */
export function ftsQuery(input: string): string | null {
  // control characters (a NUL byte) are no part of a word: FTS5 would reject the query
  const words = input
    .normalize("NFKC")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this strips
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .split(/[\s"'()*:^+\-{}[\],.;!?¿¡]+/)
    .filter((w) => w.length > 0)
    .slice(0, 8);
  if (!words.length) return null;
  return words.map((w, i) => `"${w.replaceAll('"', '""')}"${i === words.length - 1 ? "*" : ""}`).join(" ");
}

/** The digits of a query that looks like a phone number (people type local numbers, we store E.164). */
export function phoneDigits(input: string): string | null {
  const d = input.replace(/[\s()+\-.]/g, "");
  return /^\d{4,15}$/.test(d) ? d : null;
}
