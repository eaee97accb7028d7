import { test, expect } from "bun:test";
import { newId } from "../../src/platform/ids.ts";

test("ids are UUID v7: the time in the first 48 bits, version and variant bits set, strictly increasing", () => {
  const at = Date.UTC(2026, 10, 25, 12, 0, 0);
  const id = newId(at);
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
  const ids = Array.from({ length: 20_000 }, () => newId(at + 1)); // many in one millisecond
  for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  expect(new Set(ids.map((x) => x.slice(19))).size).toBe(ids.length); // random tails differ
});
