import {
  decide,
  decidePool,
  deciderSpec,
  validateDeciderSpec,
  type DeciderState,
  type RoleWindows,
} from '../../autoscaler/decider/index.js';
import { run, specs } from './support/decider.js';
import { atZero, win } from './support/windows.js';

const { decode, prefill } = specs(10);

describe('decider: decode rules', () => {
  it.each([
    // [name, ready, stable aggregate, expected desired, expected reason]
    [
      'KV over target scales to total KV ÷ 0.8',
      2,
      { kvUsage: 0.95, running: 40 },
      { desired: 3, reason: 'kv-pressure' },
      undefined,
    ],
    ['KV at target holds', 2, { kvUsage: 0.8, running: 40 }, { desired: 2, reason: 'hold' }, undefined],
    // 20 requests × 40k tokens: 27 s of prefill for 2 replicas at 15k tok/s — not transient only because
    // it grows (the panic window holds more than the stable one; see 'transient backlog' below).
    [
      'a growing queue beyond 2 per replica sizes for running + waiting at observed slots',
      2,
      { kvUsage: 0.5, running: 32, waiting: 20, promptBacklogTokens: 800_000 },
      { desired: 4, reason: 'queue' },
      { kvUsage: 0.5, running: 32, waiting: 20, promptBacklogTokens: 900_000 },
    ],
    [
      'ITL p90 over the SLO adds one',
      3,
      { kvUsage: 0.6, running: 60, itlP90Ms: 140 },
      { desired: 4, reason: 'itl-slo' },
      undefined,
    ],
    // 100 requests × 50k tokens: 42 s to drain on 8 replicas, longer than a cold start → not transient.
    // The rule that wanted 12 stays the reason; max-scale is reported as the clamp beside it (issue 13).
    [
      'max caps the count',
      8,
      { kvUsage: 1, running: 200, waiting: 100, promptBacklogTokens: 5_000_000 },
      { desired: 10, reason: 'queue', clamp: { reason: 'max-scale', wanted: 12, detail: '12 capped at max 10' } },
      undefined,
    ],
  ] as const)('%s', (_name, ready, stable, expected, panicAgg) => {
    const d = decide(decode(), win(ready, stable, panicAgg ? { panicAgg } : {}), 0);
    expect(d.desired).toBe(expected.desired);
    expect(d.reason).toBe(expected.reason);
    expect(d.clamp).toEqual('clamp' in expected ? expected.clamp : undefined);
    expect(d.valid).toBe(true);
  });

  it('scales up on the panic window before the stable window notices', () => {
    const d = decide(
      decode(),
      win(2, { kvUsage: 0.4, running: 20 }, { panicAgg: { kvUsage: 1, running: 40, waiting: 30 } }),
      0,
    );
    expect(d.desired).toBeGreaterThan(2);
    expect(['queue', 'kv-pressure']).toContain(d.reason);
  });

  it('consolidates only when N−1 replicas keep headroom (no 2→1→2 oscillation)', () => {
    // 2 replicas at 0.45 KV: one replica would run at 0.9 > 0.8 × 0.8 → stays at 2 forever.
    const stay = run(
      decode(),
      Array.from({ length: 40 }, (_, i) => [i * 2000, win(2, { kvUsage: 0.45, running: 10, arrivalRate: 1 })]),
    );
    expect(stay.every((d) => d.desired === 2)).toBe(true);
    // At 0.3 KV one replica runs at 0.6 ≤ 0.64 → 2 → 1 after the scale-down delay, not before.
    const down = run(
      decode(),
      Array.from({ length: 20 }, (_, i) => [i * 2000, win(2, { kvUsage: 0.3, running: 10, arrivalRate: 1 })]),
    );
    const firstDown = down.findIndex((d) => d.desired === 1);
    expect(firstDown * 2000).toBeGreaterThanOrEqual(30_000);
    expect(down[firstDown]?.reason).toBe('consolidate');
    expect(down.slice(0, firstDown).every((d) => d.reason === 'scale-down-delay')).toBe(true);
  });

  it('a tight ITL SLO blocks consolidation that KV alone would allow', () => {
    const steps = Array.from({ length: 30 }, (_, i): [number, RoleWindows] => [
      i * 2000,
      win(4, { kvUsage: 0.2, running: 20, arrivalRate: 2, itlP90Ms: 40 }),
    ]);
    expect(run(decode({ slo: { ttftMs: 2000, itlMs: 50 } }), steps).at(-1)?.desired).toBe(4);
    expect(run(decode({ slo: { ttftMs: 2000, itlMs: 200 } }), steps).at(-1)?.desired).toBeLessThan(4);
  });

  it('Knative max-scale-down-rate: at most half the ready pods per step', () => {
    const d = run(decode({ scaleDownDelayMs: 0 }), [[0, win(8, { kvUsage: 0.01, running: 1, arrivalRate: 1 })]]);
    expect(d[0]?.desired).toBe(4);
    expect(d[0]?.reason).toBe('rate-limited');
  });

  it('max-scale-up-rate limits a jump', () => {
    const d = decide(
      decode({ maxScaleUpRate: 2 }),
      win(2, { kvUsage: 1, running: 100, waiting: 200, promptBacklogTokens: 2_000_000 }),
      0,
    );
    expect(d.desired).toBe(4);
    expect(d.reason).toBe('queue');
    expect(d.clamp).toMatchObject({ reason: 'rate-limited', detail: expect.stringMatching(/limited to 4/) });
  });

  it('pods still starting count as capacity: no further +1, no scale-down', () => {
    const s = decode();
    expect(decide(s, win(3, { kvUsage: 0.6, running: 60, itlP90Ms: 140 }, { startingPods: 1 }), 0).desired).toBe(4);
    const down = decide(s, win(2, { kvUsage: 0.05, running: 1, arrivalRate: 1 }, { startingPods: 2 }), 60_000);
    expect(down.desired).toBe(4);
    expect(['starting', 'scale-down-delay']).toContain(down.reason);
  });

  it('Knative panic: entered at ≥ 2× ready, no scale-down until a calm stable window passes', () => {
    const s = decode({ scaleDownDelayMs: 0 });
    const [burst, calm1, calm2] = run(s, [
      [
        0,
        win(
          2,
          { kvUsage: 0.5, running: 20 },
          { panicAgg: { kvUsage: 1, running: 40, waiting: 60, promptBacklogTokens: 240_000 } },
        ),
      ],
      [10_000, win(5, { kvUsage: 0.1, running: 5, arrivalRate: 1 })],
      [70_001, win(5, { kvUsage: 0.1, running: 5, arrivalRate: 1 })],
    ]);
    expect(burst?.panic).toBe(true);
    expect(calm1?.desired).toBe(burst?.desired);
    expect(calm1?.reason).toBe('panic-hold');
    expect(calm2?.panic).toBe(false);
    expect(calm2?.desired).toBeLessThan(burst?.desired ?? 0);
  });
});

describe('decider: prefill rules', () => {
  it.each([
    // 30k tok/s of 1k-token prompts (own prefill 67 ms: the full 0.8 utilization) at 15k per replica → 3.
    [
      'sizes for offered prompt tokens at measured-or-profiled throughput',
      1,
      { promptTokensRate: 30_000, arrivalRate: 30, running: 2 },
      { desired: 3, reason: 'prompt-backlog' },
      undefined,
    ],
    // A backlog growing to 70k (panic window) to drain within 1 s (half a 2 s TTFT) at 15k/s → 4.67, plus
    // 12k/s offered at 15k × 0.8 → +1: 6.
    [
      'drains a growing backlog within half the TTFT budget',
      2,
      { promptTokensRate: 12_000, arrivalRate: 12, promptBacklogTokens: 60_000, waiting: 10 },
      { desired: 6, reason: 'prompt-backlog' },
      { promptTokensRate: 12_000, arrivalRate: 12, promptBacklogTokens: 70_000, waiting: 12 },
    ],
    // p90 over the SLO with a queue wait (Little: 3 waiting ÷ 1 req/s = 3 s) over the 1 s queueing budget.
    [
      'TTFT p90 over the SLO with the queue over its budget adds one',
      2,
      { promptTokensRate: 1000, arrivalRate: 1, running: 1, waiting: 3, promptBacklogTokens: 3000, ttftP90Ms: 3000 },
      { desired: 3, reason: 'ttft-slo' },
      undefined,
    ],
  ] as const)('%s', (_n, ready, stable, { desired, reason }, panicAgg) => {
    const d = decide(prefill(), win(ready, stable, panicAgg ? { panicAgg } : {}), 0);
    expect(d.desired).toBe(desired);
    expect(d.reason).toBe(reason);
  });

  it('a tighter TTFT SLO asks for more prefill replicas for the same backlog', () => {
    const w = win(
      2,
      { promptTokensRate: 5000, arrivalRate: 2, promptBacklogTokens: 30_000, waiting: 6 },
      { panicAgg: { promptTokensRate: 5000, arrivalRate: 2, promptBacklogTokens: 40_000, waiting: 8 } },
    );
    const loose = decide(prefill({ slo: { ttftMs: 4000, itlMs: 100 } }), w, 0).desired;
    const tight = decide(prefill({ slo: { ttftMs: 500, itlMs: 100 } }), w, 0).desired;
    expect(tight).toBeGreaterThan(loose);
  });

  it(
    'learns a higher prefill throughput from busy replicas and ' +
      'plans with it; a lower one never undercuts the profile',
    () => {
      // 90k tok/s of 1k-token prompts: at the 15k profile that is ceil(90k / (15k × 0.8)) = 8 replicas.
      const at = (tps: number) =>
        win(8, {
          promptTokensRate: 90_000,
          arrivalRate: 90,
          promptBacklogTokens: 5000,
          waiting: 5,
          running: 8,
          prefillTokensPerSecPerReplica: tps,
        });
      const fast = run(prefill({ scaleDownDelayMs: 0 }), [
        [0, at(30_000)],
        [2000, at(30_000)],
        [4000, at(30_000)],
      ]);
      expect(fast.at(-1)?.signals.measuredPrefillTokensPerSec).toBeCloseTo(30_000);
      expect(fast.at(-1)?.desired).toBeLessThan(8);
      // vLLM counts a prompt at its first token, so a window where long prompts are mid-prefill "measures" a
      // busy replica doing little (issue 6: 1.7k tok/s on 14k engines pinned prefill at its cap).
      const slow = run(prefill({ scaleDownDelayMs: 0 }), [
        [0, at(2000)],
        [2000, at(2000)],
        [4000, at(2000)],
      ]);
      expect(slow.at(-1)?.signals.tokensPerSecPerReplica).toBe(15_000);
      expect(slow.at(-1)?.desired).toBe(8);
    },
  );
});

describe('decider: scale to zero and wake', () => {
  it('decode goes to zero only after the idle window, then a queued request wakes it on the next tick', () => {
    const s = decode({ scaleToZeroAfterMs: 60_000 });
    const busy = win(1, { kvUsage: 0.1, running: 2, arrivalRate: 1 });
    const idle = win(1, { kvUsage: 0 });
    const ds = run(s, [
      [0, busy],
      ...Array.from({ length: 31 }, (_, i): [number, RoleWindows] => [2000 * (i + 1), idle]),
      [64_000, atZero()],
      [65_000, atZero(1, 300)],
    ]);
    const zeroAt = ds.findIndex((d) => d.desired === 0);
    expect(zeroAt).toBe(30); // t = 60 s: exactly the idle window after the last demand at t = 0
    expect(ds[zeroAt]?.reason).toBe('idle-to-zero');
    expect(ds.at(-2)?.desired).toBe(0);
    expect(ds.at(-1)).toMatchObject({ desired: 1, reason: 'wake' });
  });

  it('min-scale ≥ 1 never goes to zero; scaleToZeroEnabled=false (Standard mode without flow control) neither', () => {
    const idle = Array.from({ length: 200 }, (_, i): [number, RoleWindows] => [i * 2000, win(1, {})]);
    expect(run(decode({ minReplicas: 1 }), idle).at(-1)?.desired).toBe(1);
    expect(run(decode({ scaleToZeroEnabled: false, scaleToZeroAfterMs: 30_000 }), idle).at(-1)?.desired).toBe(1);
  });

  it('activation-scale sets the wake size', () => {
    expect(decide(decode({ activationScale: 2 }), atZero(3, 900), 0).desired).toBe(2);
  });

  it('prefill sits at zero while decode serves short prompts, and wakes for long ones', () => {
    const shortPrompts = win(
      0,
      { samples: 30, promptTokensRate: 2000, arrivalRate: 4 },
      { peer: { desired: 2, ready: 2 } },
    );
    expect(decide(prefill(), shortPrompts, 0)).toMatchObject({ desired: 0, reason: 'hold' });
    const longPrompts = win(
      0,
      { samples: 30, promptTokensRate: 40_000, arrivalRate: 4 },
      { peer: { desired: 2, ready: 2 } },
    );
    expect(decide(prefill(), longPrompts, 0)).toMatchObject({ desired: 1, reason: 'wake' });
  });

  it('decode at zero takes prefill with it; a wake with long queued prompts wakes decode, prefill waits for it', () => {
    const sDecode = decode({ scaleToZeroAfterMs: 30_000 });
    const sPrefill = prefill({ scaleToZeroAfterMs: 600_000 });
    const idle = { decode: { spec: sDecode, windows: win(1, {}) }, prefill: { spec: sPrefill, windows: win(2, {}) } };
    let states = {};
    let last;
    for (let t = 0; t <= 30_000; t += 2000) {
      last = decidePool(idle, t, states);
      states = { decode: last.decode.state, prefill: last.prefill?.state };
    }
    expect(last?.decode.desired).toBe(0);
    expect(last?.prefill).toMatchObject({ desired: 0, reason: 'decode-at-zero' });
    const wake = decidePool(
      {
        decode: { spec: sDecode, windows: atZero(2, 20_000) },
        prefill: { spec: sPrefill, windows: atZero(2, 20_000) },
      },
      40_000,
      states,
    );
    expect(wake.decode).toMatchObject({ desired: 1, reason: 'wake' });
    // P/D wake order (decider-wake-order.test.ts): prefill wakes once decode has a Ready pod.
    expect(wake.prefill).toMatchObject({ desired: 0, reason: 'decode-first' });
    const shortWake = decidePool(
      { decode: { spec: sDecode, windows: atZero(2, 400) }, prefill: { spec: sPrefill, windows: atZero(2, 400) } },
      40_000,
      states,
    );
    expect(shortWake.prefill?.desired).toBe(0);
  });
});

describe('decider: fail static', () => {
  it.each([
    ['stale data', { dataAgeMs: 60_000 }],
    ['no samples in the window', { stable: { ...win(1).stable, samples: 0 } }],
    ['a pod whose scrape failed', { missingPods: 1 }],
  ])('%s never scales down, and is reported', (_n, patch) => {
    const s = decode({ scaleDownDelayMs: 0, scaleToZeroAfterMs: 30_000 });
    const ds = run(s, [
      [0, win(4, { kvUsage: 0.8, running: 80, arrivalRate: 5 })],
      [300_000, { ...win(4, { kvUsage: 0 }), ...patch }],
    ]);
    expect(ds[1]?.desired).toBe(4);
    expect(ds[1]?.reason).toBe('fail-static');
    expect(ds[1]?.valid).toBe(false);
  });

  it('partial data can still scale up', () => {
    const d = decide(decode(), win(2, { kvUsage: 1, running: 40, waiting: 30 }, { missingPods: 1 }), 0);
    expect(d.desired).toBeGreaterThan(2);
  });

  it('a restarted decider (no state) never scales to zero on its first ticks', () => {
    const d = decide(decode({ scaleToZeroAfterMs: 30_000 }), win(1, {}), 10_000_000);
    expect(d.desired).toBe(1);
  });
});

describe('decider: state and spec', () => {
  it('state is JSON-serializable and round-trips to the same decisions', () => {
    const s = decode();
    const steps: Array<[number, RoleWindows]> = Array.from({ length: 25 }, (_, i) => [
      i * 2000,
      win(3, { kvUsage: 0.2 + (i % 5) * 0.1, running: 10, arrivalRate: 1, itlP90Ms: 30 }),
    ]);
    let a: DeciderState | undefined;
    let b: DeciderState | undefined;
    for (const [t, w] of steps) {
      const da = decide(s, w, t, a);
      const db = decide(s, w, t, b ? JSON.parse(JSON.stringify(b)) : undefined);
      expect(db.desired).toBe(da.desired);
      a = da.state;
      b = db.state;
    }
  });

  it(
    'a loop meeting a running fleet holds it for a stable ' + 'window before consolidating (Knative start in panic)',
    () => {
      const quiet = win(7, { kvUsage: 0.05, running: 2, arrivalRate: 1, itlP90Ms: 20 });
      const first = decidePool({ decode: { spec: decode(), windows: quiet } }, 0).decode;
      expect(first).toMatchObject({ reason: 'panic-hold', desired: 7 });
      let state = first.state;
      for (let t = 2000; t <= 60_000; t += 2000) {
        const d = decidePool({ decode: { spec: decode(), windows: quiet } }, t, { decode: state }).decode;
        expect(d.desired).toBe(7);
        state = d.state;
      }
      let desired = 7;
      for (let t = 62_000; t <= 120_000; t += 2000) {
        const d = decidePool({ decode: { spec: decode(), windows: quiet } }, t, { decode: state }).decode;
        desired = d.desired;
        state = d.state;
      }
      expect(desired).toBeLessThan(7);
      // One pod: nothing to protect, no panic (as Knative).
      expect(decidePool({ decode: { spec: decode(), windows: win(1, { kvUsage: 0.05 }) } }, 0).decode.reason).not.toBe(
        'panic-hold',
      );
    },
  );

  it(
    'decode waits HPA’s 300 s before a scale-down (decode holds ' +
      'requests for their whole generation); prefill 30 s',
    () => {
      expect(deciderSpec('decode').scaleDownDelayMs).toBe(300_000);
      expect(deciderSpec('prefill').scaleDownDelayMs).toBe(30_000);
      const spec = deciderSpec('decode', { minReplicas: 0, maxReplicas: 10 });
      const busy = win(4, { kvUsage: 0.7, running: 60, arrivalRate: 4, itlP90Ms: 40 });
      const quiet = win(4, { kvUsage: 0.05, running: 4, arrivalRate: 1, itlP90Ms: 20 });
      const steps: Array<[number, RoleWindows]> = [[0, busy]];
      for (let t = 2000; t <= 400_000; t += 2000) steps.push([t, quiet]);
      const ds = run(spec, steps);
      const at = (t: number): number => ds[t / 2000]?.desired as number;
      expect(at(290_000)).toBe(4);
      expect(at(400_000)).toBeLessThan(4);
    },
  );

  it('does not mutate the state passed in', () => {
    const first = decide(decode(), win(2, { kvUsage: 0.95, running: 40 }), 0);
    const frozen = JSON.stringify(first.state);
    decide(decode(), win(2, { kvUsage: 0.1, running: 4 }), 50_000, first.state);
    expect(JSON.stringify(first.state)).toBe(frozen);
  });

  it('validates specs with the allowed range in each message', () => {
    expect(validateDeciderSpec(decode())).toEqual([]);
    expect(validateDeciderSpec(decode({ maxReplicas: 0 })).join()).toMatch(
      /maxReplicas 0 must be an integer ≥ max\(1, minReplicas\)/,
    );
    expect(validateDeciderSpec(decode({ targets: { kvUsage: 1.5 } })).join()).toMatch(
      /kvUsage 1.5 must be in \(0, 1\]/,
    );
  });
});
