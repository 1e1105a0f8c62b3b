/**
 * The oracle's frontier is a lower bound: checked against a brute-force knapsack on small random instances, and
 * its windows cover every request (also one arriving exactly at the horizon).
 */
import {
  buildFrontier,
  costAtMisses,
  lowerHull,
  maxAttainment,
  scheduleWithin,
  type WindowOption,
} from '../../bench/sim/oracle/frontier.js';
import { windowBounds } from '../../bench/sim/oracle/index.js';
import { createRng } from '../../model/rng.js';
import { scaleRate } from '../../bench/sim/traffic/index.js';
import type { TraceRequest } from '../../bench/sim/traffic/types.js';

/** Options of one window: cost rises, misses fall (a fleet of k replicas), with some dominated noise. */
function randomWindow(rng: { next(): number }): WindowOption[] {
  const n = 1 + Math.floor(rng.next() * 4);
  const out: WindowOption[] = [];
  let misses = Math.floor(rng.next() * 30);
  for (let k = 1; k <= n; k++) {
    out.push({ cost: k * 60, misses });
    misses = Math.max(0, misses - Math.floor(rng.next() * 12));
  }
  if (rng.next() < 0.5) out.push({ cost: (n + 1) * 60, misses: misses + 3 }); // dominated
  return out;
}

/** Least total cost with at most `budget` misses, over every combination (the integer optimum). */
function bruteForce(windows: WindowOption[][], budget: number): number {
  let best = Infinity;
  const walk = (w: number, cost: number, misses: number): void => {
    if (misses > budget) return;
    if (w === windows.length) {
      best = Math.min(best, cost);
      return;
    }
    for (const o of windows[w] as WindowOption[]) walk(w + 1, cost + o.cost, misses + o.misses);
  };
  walk(0, 0, 0);
  return best;
}

describe('oracle frontier', () => {
  it('is never above the integer optimum, and equals it at the vertices', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 40; trial++) {
      const windows = Array.from({ length: 2 + Math.floor(rng.next() * 3) }, () => randomWindow(rng));
      const hulls = windows.map((w) => lowerHull(w));
      const f = buildFrontier(hulls, 1000);
      const minMisses = f.points[0]!.misses;
      for (let budget = minMisses; budget <= minMisses + 60; budget++) {
        const exact = bruteForce(windows, budget);
        expect(costAtMisses(f, budget)).toBeLessThanOrEqual(exact + 1e-9);
      }
      for (const v of f.points) expect(costAtMisses(f, v.misses)).toBeCloseTo(bruteForce(hulls, v.misses), 9);
      expect(costAtMisses(f, minMisses - 1)).toBeNaN();
    }
  });

  it('falls as misses rise, and its best attainment is the fewest-miss schedule', () => {
    const f = buildFrontier(
      [
        [
          { cost: 180, misses: 0 },
          { cost: 120, misses: 2 },
          { cost: 60, misses: 10 },
        ],
        [
          { cost: 120, misses: 1 },
          { cost: 60, misses: 3 },
        ],
      ],
      100,
    );
    expect(maxAttainment(f)).toBeCloseTo(0.99, 9);
    let last = Infinity;
    for (let m = 1; m <= 13; m++) {
      const c = costAtMisses(f, m);
      expect(c).toBeLessThanOrEqual(last);
      last = c;
    }
    // 30 GPU-s per miss (window 0's first step) before 30 (window 1) before 7.5 (window 0's second step).
    expect(costAtMisses(f, 3)).toBe(240);
    expect(costAtMisses(f, 13)).toBe(120);
  });

  it('a schedule stays within its miss budget and takes the steps that save most per miss', () => {
    const hulls = [
      lowerHull([
        { cost: 180, misses: 0 },
        { cost: 120, misses: 2 },
        { cost: 60, misses: 10 },
      ]),
      lowerHull([
        { cost: 120, misses: 1 },
        { cost: 60, misses: 3 },
      ]),
    ];
    expect(scheduleWithin(hulls, 1)).toEqual([0, 0]);
    expect(scheduleWithin(hulls, 3)).toEqual([1, 0]);
    expect(scheduleWithin(hulls, 5)).toEqual([1, 1]);
    expect(scheduleWithin(hulls, 12)).toEqual([1, 1]);
    expect(scheduleWithin(hulls, 13)).toEqual([2, 1]);
  });

  it('drops dominated and non-convex options from a window', () => {
    expect(
      lowerHull([
        { cost: 60, misses: 10 },
        { cost: 120, misses: 9 }, // above the line from (0 misses, 180) to (10, 60)
        { cost: 180, misses: 0 },
        { cost: 240, misses: 0 }, // dominated
      ]),
    ).toEqual([
      { cost: 180, misses: 0 },
      { cost: 60, misses: 10 },
    ]);
  });
});

describe('oracle windows', () => {
  it('cover every request once, including those at the horizon (rate ×2 copies)', () => {
    const base: TraceRequest[] = Array.from({ length: 50 }, (_, i) => ({
      arrival: i * 2.4,
      promptTokens: 100,
      outputTokens: 10,
      hashIds: [],
    }));
    base.push({ arrival: 120, promptTokens: 100, outputTokens: 10, hashIds: [] });
    const trace = scaleRate({ name: 't', requests: base, durationS: 120 }, 2, createRng(3));
    expect(trace.requests.some((r) => r.arrival === 120)).toBe(true);
    const bounds = windowBounds(trace.requests, trace.durationS, 60);
    expect(bounds).toHaveLength(2);
    expect(bounds[0]!.lo).toBe(0);
    expect(bounds[1]!.lo).toBe(bounds[0]!.hi);
    expect(bounds[1]!.hi).toBe(trace.requests.length);
  });
});
