import { test, expect } from "bun:test";
import { newId } from "../../src/platform/ids.ts";

const timeOf = (id: string) => parseInt(id.replace(/-/g, "").slice(0, 12), 16);

test("ids are UUID v7: the time in the first 48 bits, version and variant bits set, strictly increasing", () => {
  // a time ahead of every id this process made so far (tests share one process, and ids never go back in time)
  const at = Date.now() + 86_400_000;
  const id = newId(at);
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(timeOf(id)).toBe(at);
  const ids = Array.from({ length: 20_000 }, () => newId(at + 1)); // many in one millisecond
  for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  expect(new Set(ids.map((x) => x.slice(19))).size).toBe(ids.length); // random tails differ
  // a clock that steps back still gives a larger id, never one that sorts before those already made
  const back = newId(at - 60_000);
  expect(back > ids.at(-1)!).toBe(true);
  expect(timeOf(back)).toBeGreaterThanOrEqual(at + 1);
});
