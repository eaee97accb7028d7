#!/usr/bin/env bun
// Runs benchmarks by name, one after another (each needs the machine to itself): bun bench/run.ts inbox push …
// Without names it lists them. Each script also runs alone: bun bench/<name>.ts [its options].
import { readdirSync } from "node:fs";
import { join } from "node:path";

const all = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith(".ts") && !["lib.ts", "run.ts"].includes(f))
  .map((f) => f.slice(0, -3))
  .sort();
const names = process.argv.slice(2);
if (!names.length) {
  console.log(
    `benchmarks: ${all.join(", ")}\nrun: bun bench/run.ts NAME [NAME…]   (each also runs alone: bun bench/NAME.ts)`,
  );
  process.exit(0);
}
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark: ${unknown.join(", ")} (known: ${all.join(", ")})`);
  process.exit(2);
}
for (const n of names) {
  const p = Bun.spawnSync(["bun", join(import.meta.dir, `${n}.ts`)], { stdout: "inherit", stderr: "inherit" });
  if (p.exitCode !== 0) process.exit(p.exitCode ?? 1);
}
