// TSPLIB95 instances (EUC_2D) from tests/fixtures/tsplib (copied from ../shared/fixtures): coordinates, the published optimum and its rule.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { matrixFrom } from "../../src/commerce/route-plan.ts";

export const TSPLIB_DIR = join(import.meta.dir, "../fixtures/tsplib");
export const OPTIMA = { eil51: 426, berlin52: 7542, st70: 675, kroA100: 21282 } as const;

/** Reads a .tsp file: `KEY : value` or `KEY: value` headers, then NODE_COORD_SECTION lines up to EOF. */
export function readTsp(name: string) {
  const lines = readFileSync(join(TSPLIB_DIR, `${name}.tsp`), "utf8").split("\n");
  const pts: { x: number; y: number }[] = [];
  let inCoords = false,
    dim = 0,
    type = "";
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (line === "EOF") break;
    if (line === "NODE_COORD_SECTION") {
      inCoords = true;
      continue;
    }
    if (!inCoords) {
      const m = /^([A-Z_]+)\s*:\s*(.*)$/.exec(line);
      if (m?.[1] === "DIMENSION") dim = Number(m[2]);
      if (m?.[1] === "EDGE_WEIGHT_TYPE") type = m[2].trim();
      continue;
    }
    const [, x, y] = line.split(/\s+/).map(Number);
    pts.push({ x, y });
  }
  if (type !== "EUC_2D" || pts.length !== dim) throw new Error(`${name}: not a EUC_2D instance of ${dim} nodes`);
  return pts;
}

/** The tour in a .opt.tour file, as 0-based indices. */
export function readOptTour(name: string) {
  const text = readFileSync(join(TSPLIB_DIR, `${name}.opt.tour`), "utf8");
  const body = text.split("TOUR_SECTION")[1];
  return body
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0)
    .map((n) => n - 1);
}

/** TSPLIB's EUC_2D rule: nint of the Euclidean distance. */
export function euc2d(pts: { x: number; y: number }[]) {
  return matrixFrom(pts.length, (i, j) => Math.floor(Math.hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y) + 0.5));
}
