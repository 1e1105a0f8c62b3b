/**
 * What a decision reports (issue 13, "Fix what a run against the real reconcilers showed"):
 * - fail static is `valid: false` whenever a Ready pod's data is missing or stale, whatever rule holds the count
 *   (panic mode used to hide it for up to a stable window);
 * - `valid` agrees with the types and docs: false with one Ready pod's data missing, true with no Ready pod;
 * - a bound (max-scale, min-scale, the up-rate) keeps the rule that wanted the replicas as the reason, with its
 *   own detail, and reports itself in `clamp`.
 */
import { decide, type RoleWindows } from '../../autoscaler/decider/index.js';
import { run, specs } from './support/decider.js';
import { atZero, win } from './support/windows.js';

const { decode } = specs(10);

describe('decider: fail static is reported whatever rule holds the count', () => {
  it('panic mode holding the count with a failed scrape: panic-hold, valid=false, and the detail says why', () => {
    // A surge enters panic (2 ready, the panic window wants 5+), then the load falls while one pod's scrape fails.
    const ds = run(decode(), [
      [0, win(2, { kvUsage: 0.4, running: 20 }, { panicAgg: { kvUsage: 1, running: 40, waiting: 30 } })],
      [10_000, win(5, { kvUsage: 0.1, running: 5 }, { missingPods: 1 })],
      [20_000, win(5, { kvUsage: 0.1, running: 5 }, { missingPods: 1 })],
    ]);
    expect(ds[0]).toMatchObject({ panic: true, valid: true });
    for (const d of ds.slice(1)) {
      expect(d).toMatchObject({ reason: 'panic-hold', panic: true, valid: false });
      expect(d.detail).toMatch(/fail static: data missing for 1 Ready pod\(s\)/);
    }
  });

  it('a scale-up on partial data still happens, and says it failed static', () => {
    const d = decide(decode(), win(2, { kvUsage: 1, running: 40, waiting: 30 }, { missingPods: 1 }), 0);
    expect(d.desired).toBeGreaterThan(2);
    expect(d.valid).toBe(false);
    expect(d.detail).toMatch(/fail static/);
  });
});

describe('decider: valid means every Ready pod was observed, freshly', () => {
  it.each([
    // [name, windows, expected valid, expected reason]
    ['complete, fresh data', win(2, { kvUsage: 0.5, running: 10, arrivalRate: 1 }), true, 'hold'],
    ['one Ready pod’s scrape failed', win(2, { kvUsage: 0.5, running: 10 }, { missingPods: 1 }), false, 'fail-static'],
    [
      'data older than staleAfterMs',
      win(2, { kvUsage: 0.5, running: 10 }, { dataAgeMs: 60_000 }),
      false,
      'fail-static',
    ],
    ['Ready pods but no sample yet', win(2, { samples: 0 }, { dataAgeMs: Infinity }), false, 'fail-static'],
    // Nothing to observe is not missing data: a wake's starting pods are reported as starting.
    ['no Ready pod, one starting (a wake)', { ...atZero(), startingPods: 1 }, true, 'starting'],
    ['at zero', atZero(), true, 'hold'],
  ] as const)('%s', (_n, w: RoleWindows, valid, reason) => {
    const s = decode({ scaleToZeroAfterMs: 600_000 });
    const first = decide(s, w, 0);
    expect(first).toMatchObject({ valid, reason });
    // The hold is the same either way: never below what exists.
    expect(first.desired).toBe(w.readyPods + w.startingPods);
  });
});

describe('decider: a bound is reported beside the rule that wanted the replicas', () => {
  it.each([
    // [name, spec, windows, expected decision: the rule's reason and detail, and the bound]
    [
      'max-scale caps a KV scale-up',
      decode({ maxReplicas: 3 }),
      win(3, { kvUsage: 1, running: 40 }),
      {
        desired: 3,
        reason: 'kv-pressure',
        detail: 'kv 1 × 3 ready vs target 0.8',
        clamp: { reason: 'max-scale', wanted: 4, detail: '4 capped at max 3' },
      },
    ],
    [
      'the scale-up rate limits a queue',
      decode({ maxScaleUpRate: 2 }),
      win(2, { kvUsage: 1, running: 100, waiting: 200, promptBacklogTokens: 2_000_000 }),
      {
        desired: 4,
        reason: 'queue',
        detail: '200 waiting, 100 running, 50 per replica',
        clamp: { reason: 'rate-limited', wanted: 6, detail: '6 limited to 4 by max-scale-up-rate' },
      },
    ],
    [
      'min-scale holds what consolidation would remove',
      decode({ minReplicas: 3, scaleDownDelayMs: 0 }),
      win(3, { kvUsage: 0.05, running: 2, arrivalRate: 1 }),
      {
        desired: 3,
        reason: 'consolidate',
        detail: '3 → 1 keeps headroom (kv 0.05 × 3 ready vs target 0.8)',
        clamp: { reason: 'min-scale', wanted: 1, detail: '1 raised to min 3' },
      },
    ],
  ] as const)('%s', (_n, spec, w, expected) => {
    expect(decide(spec, w, 0)).toMatchObject(expected);
  });

  it('an unbounded decision has no clamp', () => {
    expect(decide(decode(), win(2, { kvUsage: 0.95, running: 40 }), 0).clamp).toBeUndefined();
  });
});
