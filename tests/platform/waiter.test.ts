// The live streams' loop sleeps in waiter().wait() until an event is queued. An event queued while the loop was
// busy writing (nobody waiting yet) once slept until the 15 s keep-alive: the agent saw "typing" 15 s late, or not
// at all (a CI run). A wake with nobody waiting is now kept for the next wait.
import { test, expect } from "bun:test";
import { waiter } from "../../src/platform/realtime.ts";

test("a wake that comes before the wait ends the next wait at once, and only that one", async () => {
  const w = waiter();
  w.wake();
  const t0 = performance.now();
  await w.wait(5_000);
  expect(performance.now() - t0).toBeLessThan(100);
  // the kept wake is spent: the next wait sleeps until woken or timed out
  let done = false;
  const p = w.wait(200).then(() => {
    done = true;
  });
  await Bun.sleep(50);
  expect(done).toBe(false);
  await p;
  expect(done).toBe(true);
});

test("a wake during a wait ends it at once", async () => {
  const w = waiter();
  const t0 = performance.now();
  setTimeout(() => w.wake(), 20);
  await w.wait(5_000);
  expect(performance.now() - t0).toBeLessThan(1_000);
});
