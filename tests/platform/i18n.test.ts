// Every error code the server can answer has a sentence in Spanish and in English, so people never read the
// English developer message (issue #10: one language at a time). The codes are read from the source itself.
import { test, expect } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { es } from "../../ui/i18n/es.ts";
import { en } from "../../ui/i18n/en.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("every error code thrown in src/ has a Spanish and an English text", () => {
  const codes = new Set<string>();
  const pattern = /(?:badRequest|conflict|forbidden|new AppError\(\d+,)\s*\(?\s*"([a-z_]+)"/g;
  for (const f of files(join(import.meta.dir, "..", "..", "src")))
    for (const m of readFileSync(f, "utf8").matchAll(pattern)) codes.add(m[1]);
  expect(codes.size).toBeGreaterThan(60);
  const missing = [...codes].filter((c) => !(`errors.${c}` in es) || !(`errors.${c}` in en)).sort();
  expect(missing).toEqual([]);
});

test("the two dictionaries have the same keys and the same {placeholders}", () => {
  const keys = (d: Record<string, string>) => Object.keys(d).sort();
  expect(keys(en)).toEqual(keys(es));
  const vars = (s: string) =>
    [...s.matchAll(/\{(\w+)\}/g)]
      .map((m) => m[1])
      .sort()
      .join(",");
  const differ = Object.keys(es).filter(
    (k) => vars((es as Record<string, string>)[k]) !== vars((en as Record<string, string>)[k]),
  );
  expect(differ).toEqual([]);
});
