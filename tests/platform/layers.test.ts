import { test, expect } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, dirname, resolve, relative } from "node:path";

const root = resolve(import.meta.dir, "../..");
const IMPORT = /(?:import|export)[^"';]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : n.endsWith(".ts") ? [p] : [];
  });
}
function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith(".")) out.push(resolve(dirname(file), spec));
  }
  return out;
}

// The foundation depends on nothing above it. db.ts alone reaches up, for data: the schema aggregate drizzle types
// the database with, and the embedded migrations.
test("src/platform imports only itself, the schema aggregate and the migrations", () => {
  const allowed = new Set([join(root, "src/schema.ts"), join(root, "migrations/index.ts")]);
  const offenders = files(join(root, "src/platform")).flatMap((f) =>
    importsOf(f)
      .filter((to) => !to.startsWith(join(root, "src/platform/")) && !allowed.has(to))
      .map((to) => `${relative(root, f)} → ${relative(root, to)}`),
  );
  expect(offenders).toEqual([]);
});

test("no import circle touches src/platform", () => {
  const graph = new Map<string, string[]>();
  for (const f of [...files(join(root, "src")), ...files(join(root, "ui"))]) graph.set(f, importsOf(f));
  const reaches = (from: string, target: string) => {
    const seen = new Set<string>();
    const stack = [...(graph.get(from) ?? [])];
    while (stack.length) {
      const n = stack.pop()!;
      if (n === target) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(graph.get(n) ?? []));
    }
    return false;
  };
  const circles = [...graph.keys()]
    .filter((f) => f.includes("/src/platform/") && reaches(f, f))
    .map((f) => relative(root, f));
  expect(circles).toEqual([]);
});
