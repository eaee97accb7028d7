import { describe, expect, test } from "bun:test";
import { haversineM, matrixFrom, planRoute, planTour, tourLength } from "../../src/commerce/route-plan.ts";
import { OPTIMA, euc2d, readOptTour, readTsp } from "../support/tsplib.ts";
import { STORE, east } from "../support/geo.ts";

describe("route optimisation", () => {
  test("the TSPLIB reading follows the EUC_2D rule: each published optimal tour measures its optimum", () => {
    for (const [name, opt] of Object.entries(OPTIMA)) {
      const m = euc2d(readTsp(name));
      expect(tourLength(m, readOptTour(name))).toBe(opt);
    }
  });

  // bounded by a count of kicks, not by time (speed lives in bench/commerce); seeds other than the default
  for (const [name, opt] of Object.entries(OPTIMA))
    test(`${name}: a tour through every node within 5% of the optimum ${opt}`, () => {
      const m = euc2d(readTsp(name));
      for (const seed of [7, 11]) {
        const r = planTour(m, { seed, iterations: 4 * m.n, timeBudgetMs: 60_000, start: 3 });
        expect(r.tour).toHaveLength(m.n);
        expect(new Set(r.tour).size).toBe(m.n);
        expect(r.tour[0]).toBe(3);
        expect(tourLength(m, r.tour)).toBe(r.length);
        expect(r.length / opt).toBeLessThanOrEqual(1.05);
      }
    });

  test("nearest neighbour alone is improved on: a crossed tour of a square is uncrossed", () => {
    const pts = [
      { x: 0, y: 0 },
      { x: 10, y: 10 },
      { x: 10, y: 0 },
      { x: 0, y: 10 },
      { x: 5, y: 0 },
      { x: 5, y: 10 },
      { x: 0, y: 5 },
      { x: 10, y: 5 },
    ];
    const m = matrixFrom(pts.length, (i, j) => Math.hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y));
    expect(planTour(m, { iterations: 20 }).length).toBeCloseTo(40, 6);
  });

  test("a courier's route: stops along a street are visited in street order, with arrival times that grow", () => {
    const store = STORE;
    // five stops going east from the store, given out of order
    const stops = [east(3), east(1), east(5), east(2), east(4)];
    const r = planRoute(store, stops, { speedKmh: 30, roadFactor: 1, minutesPerStop: 0 });
    expect(r.order).toEqual([1, 3, 0, 4, 2]);
    expect(r.etaMinutes[0]).toBe(2); // 1 km at 30 km/h
    expect(r.etaMinutes[4]).toBe(10);
    expect(r.totalMinutes).toBe(20);
    expect(Math.round(haversineM(store, east(1)))).toBe(1000);
  });

  test("no stops, one stop", () => {
    const store = { lat: 0, lng: 0 };
    expect(planRoute(store, []).order).toEqual([]);
    const one = planRoute(store, [{ lat: 0.01, lng: 0 }], { minutesPerStop: 0, roadFactor: 1, speedKmh: 60 });
    expect(one.order).toEqual([0]);
    expect(one.etaMinutes[0]).toBe(1);
  });
});
