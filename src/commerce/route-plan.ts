// Delivery route optimisation (manual 2.5): the order in which a courier visits a run's stops. A tour from the
// store through every stop, built by nearest neighbour and improved by 2-opt and Or-opt moves over each stop's
// nearest neighbours, restarted from a few perturbed tours (a small iterated local search); the best tour found is
// kept. Works on any symmetric distance matrix, so the same code plans by straight-line distance, by distance times
// a speed factor, or by travel times an OSRM server returned.

/** A symmetric matrix of distances (or travel times) as one flat array, n×n, row-major. */
export type Matrix = { n: number; d: Float64Array };

export function matrixFrom(n: number, dist: (i: number, j: number) => number): Matrix {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = dist(i, j);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  return { n, d };
}

/** The length of a closed tour (back to its first node). */
export function tourLength(m: Matrix, tour: readonly number[]) {
  let s = 0;
  for (let i = 0; i < tour.length; i++) s += m.d[tour[i] * m.n + tour[(i + 1) % tour.length]];
  return s;
}

/** A small seeded generator (mulberry32), so a plan is the same every time for the same stops. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function neighbours(m: Matrix, k: number) {
  const { n, d } = m;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((j) => j !== i);
    others.sort((a, b) => d[i * n + a] - d[i * n + b]);
    out.push(others.slice(0, k));
  }
  return out;
}

function nearestNeighbour(m: Matrix, start: number) {
  const { n, d } = m;
  const seen = new Uint8Array(n);
  const tour = [start];
  seen[start] = 1;
  for (let step = 1; step < n; step++) {
    const from = tour[tour.length - 1];
    let best = -1,
      bd = Infinity;
    for (let j = 0; j < n; j++)
      if (!seen[j] && d[from * n + j] < bd) {
        bd = d[from * n + j];
        best = j;
      }
    seen[best] = 1;
    tour.push(best);
  }
  return tour;
}

/**
 * Local search to a 2-opt and Or-opt optimum: 2-opt reverses a stretch when two edges cross; Or-opt moves a chain
 * of one to three stops (either way round) between two neighbours elsewhere. Candidate moves come from each stop's
 * nearest neighbours, which is where improving moves are.
 */
function improve(m: Matrix, tour: number[], nb: number[][]) {
  const { n, d } = m;
  const pos = new Int32Array(n);
  const sync = () => {
    for (let i = 0; i < n; i++) pos[tour[i]] = i;
  };
  sync();
  const D = (a: number, b: number) => d[a * n + b];
  const reverse = (i: number, j: number) => {
    // reverses tour[i..j] (i <= j, indices in the array)
    while (i < j) {
      const t = tour[i];
      tour[i] = tour[j];
      tour[j] = t;
      pos[tour[i]] = i;
      pos[tour[j]] = j;
      i++;
      j--;
    }
  };
  let improved = true;
  while (improved) {
    improved = false;
    // 2-opt: edges (a, succ a) and (c, succ c) become (a, c) and (succ a, succ c)
    for (let i = 0; i < n && n > 3; i++) {
      const a = tour[i],
        an = tour[(i + 1) % n];
      const dA = D(a, an);
      for (const c of nb[a]) {
        const gainStart = dA - D(a, c);
        if (gainStart <= 1e-9) break;
        const j = pos[c],
          cn = tour[(j + 1) % n];
        if (c === an || cn === a) continue;
        const delta = D(a, c) + D(an, cn) - dA - D(c, cn);
        if (delta < -1e-9) {
          const x = (i + 1) % n,
            y = j;
          if (x <= y) reverse(x, y);
          else reverse(y + 1, i); // the same move, reversing the complementary stretch
          improved = true;
          break;
        }
      }
      if (improved) break;
    }
    if (improved) continue;
    // Or-opt: a chain tour[i..i+len-1] moved between b and its successor
    outer: for (let len = 1; len <= 3 && n > len + 2; len++) {
      for (let i = 0; i < n; i++) {
        const first = tour[i],
          last = tour[(i + len - 1) % n];
        const prev = tour[(i - 1 + n) % n],
          next = tour[(i + len) % n];
        const removeGain = D(prev, first) + D(last, next) - D(prev, next);
        if (removeGain <= 1e-9) continue;
        const inChain = (x: number) => {
          const k = (pos[x] - i + n) % n;
          return k < len;
        };
        for (const end of [first, last])
          for (const b of nb[end]) {
            if (inChain(b)) continue;
            const bi = pos[b];
            for (const bnIdx of [(bi + 1) % n, (bi - 1 + n) % n]) {
              const bn = tour[bnIdx];
              if (inChain(bn)) continue;
              // insert between b and bn, with `end` touching b
              const other = end === first ? last : first;
              const add = D(b, end) + D(other, bn) - D(b, bn);
              if (add - removeGain < -1e-9) {
                const chain: number[] = [];
                for (let k = 0; k < len; k++) chain.push(tour[(i + k) % n]);
                const inserted = new Set(chain);
                const rest = tour.filter((x) => !inserted.has(x));
                const at = rest.indexOf(b),
                  atN = rest.indexOf(bn);
                const endFirst = end === first ? chain : [...chain].reverse(); // end … other
                if ((at + 1) % rest.length === atN)
                  rest.splice(at + 1, 0, ...endFirst); // b, end … other, bn
                else rest.splice(atN + 1, 0, ...[...endFirst].reverse()); // bn, other … end, b
                tour.splice(0, n, ...rest);
                sync();
                improved = true;
                break outer;
              }
            }
          }
      }
    }
  }
  return tour;
}

/** A double-bridge kick: three cuts, the four pieces put back A C B D (what 2-opt and Or-opt cannot undo). */
function doubleBridge(tour: number[], rand: () => number) {
  const n = tour.length;
  if (n < 8) return [...tour];
  const cuts = [1 + Math.floor(rand() * (n - 3))];
  while (cuts.length < 3) {
    const c = 1 + Math.floor(rand() * (n - 1));
    if (!cuts.includes(c)) cuts.push(c);
  }
  const [p, q, r] = cuts.sort((a, b) => a - b);
  return [...tour.slice(0, p), ...tour.slice(q, r), ...tour.slice(p, q), ...tour.slice(r)];
}

export type PlanOptions = { start?: number; timeBudgetMs?: number; iterations?: number; seed?: number };

/**
 * The shortest closed tour found, as the order of node indices beginning at `start` (the store); with its length.
 * Stops after `iterations` kicks or `timeBudgetMs`, whichever comes first (defaults: 40·n kicks, 700 ms).
 */
export function planTour(m: Matrix, opts: PlanOptions = {}) {
  const { n } = m;
  const start = opts.start ?? 0;
  if (n <= 3) {
    const tour = [...Array(n).keys()];
    return { tour: rotate(tour, start), length: tourLength(m, tour) };
  }
  const nb = neighbours(m, Math.min(10, n - 1));
  const rand = rng(opts.seed ?? 1);
  let best = improve(m, nearestNeighbour(m, start), nb);
  let bestLen = tourLength(m, best);
  let cur = [...best],
    curLen = bestLen;
  const deadline = performance.now() + (opts.timeBudgetMs ?? 700);
  const iterations = opts.iterations ?? 40 * n;
  for (let it = 0; it < iterations && performance.now() < deadline; it++) {
    const cand = improve(m, doubleBridge(cur, rand), nb);
    const len = tourLength(m, cand);
    if (len < curLen - 1e-9 || (len < curLen * 1.0005 && rand() < 0.1)) {
      cur = cand;
      curLen = len;
    }
    if (len < bestLen - 1e-9) {
      best = [...cand];
      bestLen = len;
    }
  }
  return { tour: rotate(best, start), length: bestLen };
}

function rotate(tour: number[], start: number) {
  const i = tour.indexOf(start);
  return i <= 0 ? tour : [...tour.slice(i), ...tour.slice(0, i)];
}

/** Metres between two points on the Earth (haversine). */
export function haversineM(a: { lat: number; lng: number }, b: { lat: number; lng: number }) {
  const R = 6_371_000,
    rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad,
    dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * A courier's route from the store through the stops and back: the stops' order, and each stop's estimated arrival
 * in minutes from departure, by straight-line distance times a road factor at an average speed, plus minutes spent
 * at each stop.
 */
export function planRoute(
  store: { lat: number; lng: number },
  stops: { lat: number; lng: number }[],
  opts: { speedKmh?: number; roadFactor?: number; minutesPerStop?: number; timeBudgetMs?: number } = {},
) {
  const pts = [store, ...stops];
  const speed = ((opts.speedKmh ?? 25) * 1000) / 60; // metres per minute
  const factor = opts.roadFactor ?? 1.3;
  const m = matrixFrom(pts.length, (i, j) => (haversineM(pts[i], pts[j]) * factor) / speed);
  const { tour } = planTour(m, { start: 0, timeBudgetMs: opts.timeBudgetMs ?? 200 });
  // a tour and its mirror are the same length: go first to the nearer end
  const order = tour.slice(1);
  if (order.length > 1 && m.d[order[order.length - 1]] < m.d[order[0]]) order.reverse();
  let t = 0,
    at = 0;
  const eta: number[] = [];
  for (const s of order) {
    t += m.d[at * m.n + s];
    eta.push(Math.round(t));
    t += opts.minutesPerStop ?? 3;
    at = s;
  }
  return { order: order.map((s) => s - 1), etaMinutes: eta, totalMinutes: Math.round(t + m.d[at * m.n]) };
}
