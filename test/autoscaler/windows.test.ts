import type { PodSnapshot } from '../../autoscaler/metrics/vllm-signals.js';
import { increase, tickSample, type PodObservation } from '../../autoscaler/windows/tick.js';
import { RoleWindow } from '../../autoscaler/windows/window.js';

const bounds = [0.05, 0.1, 0.5, Infinity];
function snap(o: Partial<PodSnapshot> & { itlCounts?: number[] } = {}): PodSnapshot {
  const { itlCounts, ...rest } = o;
  const s: PodSnapshot = { waiting: 0, running: 0, kvUsage: 0, promptTokens: 0, generationTokens: 0, requestsFinished: 0, ...rest };
  if (itlCounts) s.itl = { bounds, counts: itlCounts, sum: 0, count: itlCounts[itlCounts.length - 1] ?? 0 };
  return s;
}

describe('tick samples', () => {
  it('sums gauges, turns counters into rates and estimates the prompt backlog', () => {
    const pods: PodObservation[] = [
      { atMs: 2000, snap: snap({ waiting: 2, running: 5, kvUsage: 0.5, promptTokens: 12_000, requestsFinished: 14, promptLength: { bounds: [Infinity], counts: [10], sum: 30_000, count: 10 } }), prev: { atMs: 0, snap: snap({ waiting: 1, promptTokens: 2000, requestsFinished: 10 }) } },
      { atMs: 2000, snap: snap({ waiting: 0, running: 3, kvUsage: 0.9, promptTokens: 500 }), prev: { atMs: 1000, snap: snap({ promptTokens: 100 }) } },
    ];
    const t = tickSample(2000, pods, 1024);
    expect(t).toMatchObject({ pods: 2, waiting: 2, running: 8, kvUsageSum: 1.4, kvUsageMax: 0.9, requestRate: 2 });
    expect(t.promptTokensRate).toBeCloseTo(5000 + 400);
    // 2 waiting × 3,000-token mean prompts on pod 1; pod 2 has none waiting.
    expect(t.promptBacklogTokens).toBe(6000);
    // Only pod 1 was busy (waiting before and after): 10k tokens in 2 s.
    expect(t.busyPromptTokens / t.busyPodSeconds).toBe(5000);
  });

  it('treats a counter drop as an engine restart (Prometheus reset semantics)', () => {
    expect(increase(100, 150)).toBe(50);
    expect(increase(100, 30)).toBe(30);
  });
});

describe('stable and panic windows', () => {
  const tick = (atMs: number, waiting: number, extra: Partial<ReturnType<typeof tickSample>> = {}) => ({
    ...tickSample(atMs, [], 1024), pods: 1, waiting, kvUsageSum: waiting / 10, ...extra,
  });

  it('averages over 1 s buckets with data; the panic window sees only the last 6 s', () => {
    const w = new RoleWindow(1000, 60_000);
    for (let t = 0; t < 60_000; t += 2000) w.add(tick(t, t >= 54_000 ? 10 : 0));
    const stable = w.aggregate(59_999, 60_000);
    const panic = w.aggregate(59_999, 6000);
    expect(stable.samples).toBe(30);
    expect(panic.samples).toBe(3);
    expect(panic.waiting).toBe(10);
    expect(stable.waiting).toBeCloseTo(1);
    expect(panic.kvUsage).toBeCloseTo(1);
  });

  it('several ticks in one bucket count once (their mean)', () => {
    const w = new RoleWindow();
    w.add(tick(100, 2));
    w.add(tick(600, 4));
    w.add(tick(1500, 9));
    const a = w.aggregate(1999, 6000);
    expect(a.samples).toBe(2);
    expect(a.waiting).toBeCloseTo((3 + 9) / 2);
  });

  it('forgets buckets older than the retention and reports no samples when empty', () => {
    const w = new RoleWindow(1000, 10_000);
    w.add(tick(0, 5));
    w.add(tick(20_000, 1));
    expect(w.aggregate(20_500, 60_000).samples).toBe(1);
    expect(new RoleWindow().aggregate(0, 60_000).samples).toBe(0);
  });

  it('p90 ITL over the window comes from summed bucket deltas of all ticks', () => {
    const w = new RoleWindow();
    const itl = (counts: number[]) => ({ bounds, counts, sum: 0, count: counts[3] as number });
    w.add(tick(1000, 0, { itl: itl([90, 100, 100, 100]) }));
    w.add(tick(3000, 0, { itl: itl([0, 0, 100, 100]) }));
    const a = w.aggregate(3500, 60_000);
    // 200 tokens: 90 under 50 ms, 10 in 50–100 ms, 100 in 100–500 ms → p90 (rank 180) at 0.1 + 0.4 × 80/100.
    expect(a.itlP90Ms).toBeCloseTo(420);
  });
});
