/**
 * Prefill planned as one pooled queue (issue 6, round 4): the llm-d router spreads prompts over the prefill
 * pods, so the fleet is an M/G/c queue (Erlang C with the Allen–Cunneen factor from the TTFT spread), and
 * the waiting budget is the 90th-percentile request's. Mooncake P/D held ~9 prefill replicas with the
 * per-replica M/M/1 plan at its 0.2 floor where the oracle's windows need 4–7.
 */
import { decide, deciderSpec, type WindowAggregate } from '../../autoscaler/decider/index.js';
import { plannedUtilization, pooledPromptReplicas } from '../../autoscaler/decider/load.js';
import { histogramCv2 } from '../../autoscaler/metrics/vllm-signals.js';
import { tickSample } from '../../autoscaler/windows/tick.js';
import { RoleWindow } from '../../autoscaler/windows/window.js';
import { agg, win } from './support/windows.js';

const prefill = deciderSpec('prefill', { minReplicas: 0, maxReplicas: 16 });
const TTFT_S = prefill.slo.ttftMs / 1000;

/** Erlang C from the textbook sum (not the recurrence the decider uses): P(wait) in an M/M/c at load a. */
function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = ((term * a) / c) * (c / (c - a));
  return top / (sum + top);
}

/** The M/G/c tail the plan bounds, computed independently: P(wait > q) for c replicas. */
function tail(w: WindowAggregate, tokensPerSec: number, c: number): number {
  const a = w.promptTokensRate / tokensPerSec;
  const s = a / w.arrivalRate;
  if (c <= a) return 1;
  const q = Math.max(0, TTFT_S - Math.max(s, (w.ttftP90Ms ?? 0) / 1000));
  const v = Math.max(1, (1 + (w.ttftCv2 ?? 1)) / 2);
  return erlangC(c, a) * Math.exp((-(c / s - w.arrivalRate) * q) / v);
}

describe('pooled prefill plan (M/G/c)', () => {
  // Mooncake P/D's prefill pods: ~2.6 req/s of ~15k-token prompts at the 28.7k tok/s profile.
  const mooncake = { promptTokensRate: 39_000, arrivalRate: 2.6 };

  it.each([
    // [name, window, the fewest replicas with P(wait past the budget) ≤ 1%]
    ['exponential service, the mean request’s budget', mooncake, 3],
    ['the measured TTFT spread (Cs² 2.8) waits longer', { ...mooncake, ttftCv2: 2.8 }, 4],
    [
      'the 90th-percentile request (1.6 s of own prefill) has 0.4 s to wait',
      { ...mooncake, ttftCv2: 2.8, ttftP90Ms: 1600 },
      5,
    ],
    ['a p90 at or over the SLO leaves no budget: P(any wait) ≤ 1%', { ...mooncake, ttftCv2: 2.8, ttftP90Ms: 2200 }, 6],
  ] as const)('%s', (_n, stable, expected) => {
    const w = agg(stable);
    expect(pooledPromptReplicas(w, prefill, 28_660)).toBe(expected);
    expect(tail(w, 28_660, expected)).toBeLessThanOrEqual(0.01);
    expect(tail(w, 28_660, expected - 1)).toBeGreaterThan(0.01);
  });

  it('plans fewer replicas than the per-replica M/M/1 plan it replaces for long prompts (6.8 at its 0.2 floor)', () => {
    const w = agg({ ...mooncake, ttftCv2: 2.8, ttftP90Ms: 1600 });
    const perReplica = w.promptTokensRate / (28_660 * plannedUtilization(w, prefill, 28_660));
    expect(perReplica).toBeCloseTo(6.8, 1);
    expect(pooledPromptReplicas(w, prefill, 28_660)).toBeLessThan(perReplica);
  });

  it.each([
    // [name, window, expected]: the bounds, as before the pooled plan.
    [
      'short prompts: the configured 0.8 utilization (30k tok/s of 1k-token prompts at 15k/replica)',
      { promptTokensRate: 30_000, arrivalRate: 30 },
      2.5,
    ],
    [
      'prompt tokens without completions: the configured utilization',
      { promptTokensRate: 30_000, arrivalRate: 0 },
      2.5,
    ],
    ['no prompts: none', { promptTokensRate: 0, arrivalRate: 0 }, 0],
  ] as const)('%s', (_n, stable, expected) => {
    expect(pooledPromptReplicas(agg(stable), prefill, 15_000)).toBeCloseTo(expected, 9);
  });

  it('at most a / 0.2 replicas (the 0.2-utilization floor), whatever the tail', () => {
    // 100k-token prompts (own prefill 3.5 s > the 2 s SLO): no budget; capped by the floor or met below it.
    const w = agg({ promptTokensRate: 50_000, arrivalRate: 0.5, ttftCv2: 9, ttftP90Ms: 9000 });
    expect(pooledPromptReplicas(w, prefill, 28_660)).toBeLessThanOrEqual(50_000 / 28_660 / 0.2);
  });

  it('prefill at 9 replicas on Mooncake-like traffic recommends 5 (it held 9 before)', () => {
    const spec = deciderSpec('prefill', {
      minReplicas: 0,
      maxReplicas: 16,
      capacity: { prefillTokensPerSec: 28_660, decodeTokensPerSec: 0 },
    });
    const d = decide(
      spec,
      win(9, { ...mooncake, ttftCv2: 2.8, ttftP90Ms: 1600, running: 2 }, { peer: { desired: 2, ready: 2 } }),
      0,
    );
    expect(d).toMatchObject({ desired: 9, reason: 'scale-down-delay' });
    expect(d.detail).toMatch(/^5 recommended/);
    expect(d.signals.ttftCv2).toBe(2.8);
  });

  it('decode keeps the per-replica plan: the TTFT spread does not change its decision', () => {
    const decode = deciderSpec('decode', { minReplicas: 0, maxReplicas: 16 });
    const load = { promptTokensRate: 39_000, arrivalRate: 2.6, running: 20, kvUsage: 0.3, ttftP90Ms: 1600 };
    const a = decide(decode, win(4, load), 0);
    const b = decide(decode, win(4, { ...load, ttftCv2: 9 }), 0);
    expect({ ...b, signals: {}, state: {} }).toEqual({ ...a, signals: {}, state: {} });
  });
});

describe('TTFT spread from histogram buckets', () => {
  const bounds = [0.5, 1, 2, Infinity];
  it.each([
    // [name, cumulative counts, expected Cs²]
    ['one bucket: no spread', [0, 10, 10, 10], 0],
    // Midpoints 0.25 and 1.5, five each: mean 0.875, variance 0.390625 → 0.51.
    ['two buckets, half each', [5, 5, 10, 10], 0.390625 / 0.875 ** 2],
    // +Inf counts at its lower bound (2): 1 at 0.25, 1 at 2 → mean 1.125, variance 0.765625.
    ['+Inf at its lower bound', [1, 1, 1, 2], 0.765625 / 1.125 ** 2],
    ['a single request: undefined', [0, 1, 1, 1], undefined],
    ['nothing: undefined', [0, 0, 0, 0], undefined],
  ] as const)('%s', (_n, counts, expected) => {
    const cv2 = histogramCv2(bounds, counts);
    if (expected === undefined) expect(cv2).toBeUndefined();
    else expect(cv2).toBeCloseTo(expected, 12);
  });

  it('the window reports the spread of the TTFT bucket deltas summed over its ticks', () => {
    const w = new RoleWindow(1000, 60_000);
    const tick = (atMs: number, counts: number[]) => ({
      ...tickSample(atMs, [], 1024),
      pods: 1,
      ttft: { bounds, counts, sum: 0, count: counts[3] as number },
    });
    w.add(tick(1000, [5, 5, 5, 5]));
    w.add(tick(2000, [0, 0, 5, 5]));
    expect(w.aggregate(2500, 60_000).ttftCv2).toBeCloseTo(histogramCv2(bounds, [5, 5, 10, 10]) as number, 12);
    expect(w.aggregate(2500, 60_000).ttftP90Ms).toBeGreaterThan(1000);
  });
});
