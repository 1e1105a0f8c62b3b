import type { PodSnapshot } from '../../autoscaler/metrics/vllm-signals.js';
import { increase, tickSample, type PodObservation } from '../../autoscaler/windows/tick.js';
import { RoleWindow } from '../../autoscaler/windows/window.js';
import { quantile } from '../../autoscaler/metrics/vllm-signals.js';

const bounds = [0.05, 0.1, 0.5, Infinity];
function snap(o: Partial<PodSnapshot> & { itlCounts?: number[] } = {}): PodSnapshot {
  const { itlCounts, ...rest } = o;
  const s: PodSnapshot = {
    waiting: 0,
    running: 0,
    kvUsage: 0,
    promptTokens: 0,
    generationTokens: 0,
    requestsFinished: 0,
    ...rest,
  };
  if (itlCounts) s.itl = { bounds, counts: itlCounts, sum: 0, count: itlCounts[itlCounts.length - 1] ?? 0 };
  return s;
}

describe('tick samples', () => {
  it('sums gauges, turns counters into rates and estimates the prompt backlog', () => {
    const pods: PodObservation[] = [
      {
        atMs: 2000,
        snap: snap({
          waiting: 2,
          running: 5,
          kvUsage: 0.5,
          promptTokens: 12_000,
          requestsFinished: 14,
          promptLength: { bounds: [Infinity], counts: [10], sum: 30_000, count: 10 },
        }),
        prev: { atMs: 0, snap: snap({ waiting: 1, promptTokens: 2000, requestsFinished: 10 }) },
      },
      {
        atMs: 2000,
        snap: snap({ waiting: 0, running: 3, kvUsage: 0.9, promptTokens: 500 }),
        prev: { atMs: 1000, snap: snap({ promptTokens: 100 }) },
      },
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
    ...tickSample(atMs, [], 1024),
    pods: 1,
    waiting,
    kvUsageSum: waiting / 10,
    ...extra,
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

describe('ring-buffer windows match the list-of-ticks definition', () => {
  const tick = (atMs: number, waiting: number, extra: Partial<ReturnType<typeof tickSample>> = {}) => ({
    ...tickSample(atMs, [], 1024),
    pods: 1,
    waiting,
    kvUsageSum: waiting / 10,
    ...extra,
  });
  // The definition the ring replaced (one TickSample list per 1 s bucket), kept here as the reference model.
  function model(ticks: ReturnType<typeof tickSample>[], nowMs: number, windowMs: number, retainMs: number) {
    const newest = Math.floor((ticks[ticks.length - 1]?.atMs ?? 0) / 1000);
    const buckets = new Map<number, ReturnType<typeof tickSample>[]>();
    for (const t of ticks) {
      const k = Math.floor(t.atMs / 1000);
      if (k > newest - Math.ceil(retainMs / 1000) && k > Math.floor((nowMs - windowMs) / 1000))
        buckets.set(k, [...(buckets.get(k) ?? []), t]);
    }
    let waiting = 0;
    let kv = 0;
    const itl = [0, 0, 0, 0];
    for (const list of buckets.values()) {
      for (const t of list) {
        waiting += t.waiting / list.length;
        kv += t.kvUsageSum / t.pods / list.length;
        t.itl?.counts.forEach((c, i) => (itl[i] = (itl[i] as number) + c));
      }
    }
    const n = buckets.size;
    return { samples: n, waiting: n ? waiting / n : 0, kvUsage: n ? kv / n : 0, itl };
  }

  it('over a long irregular sequence (gaps, several ticks per bucket, retention), every tick', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const w = new RoleWindow(1000, 60_000);
    const ticks: ReturnType<typeof tickSample>[] = [];
    let at = 0;
    for (let i = 0; i < 400; i++) {
      at += rnd() < 0.1 ? 5000 + Math.floor(rnd() * 20_000) : Math.floor(rnd() * 1500);
      const counts = [Math.floor(rnd() * 10)];
      for (let k = 1; k < 4; k++) counts.push((counts[k - 1] as number) + Math.floor(rnd() * 10));
      const t = {
        ...tickSample(at, [], 1024),
        pods: 2,
        waiting: Math.floor(rnd() * 50),
        kvUsageSum: rnd() * 2,
        itl: { bounds, counts, sum: 0, count: counts[3] as number },
      };
      w.add(t);
      ticks.push(t);
      for (const windowMs of [6000, 60_000]) {
        const a = w.aggregate(at + 300, windowMs);
        const m = model(ticks, at + 300, windowMs, 60_000);
        expect(a.samples).toBe(m.samples);
        expect(a.waiting).toBeCloseTo(m.waiting, 9);
        expect(a.kvUsage).toBeCloseTo(m.kvUsage, 9);
        const total = m.itl[3] as number;
        if (total > 0) expect(a.itlP90Ms).toBeCloseTo((quantile(0.9, bounds, m.itl) as number) * 1000, 9);
        else expect(a.itlP90Ms).toBeUndefined();
      }
    }
  });

  it('a new histogram layout (vLLM upgrade) is left out until the old one has left the window, then used', () => {
    const w = new RoleWindow(1000, 10_000);
    const other = [0.2, 1, Infinity];
    w.add(tick(0, 0, { itl: { bounds, counts: [10, 10, 10, 10], sum: 0, count: 10 } }));
    w.add(tick(1000, 0, { itl: { bounds: other, counts: [0, 0, 50], sum: 0, count: 50 } }));
    expect(w.aggregate(1500, 10_000).itlP90Ms).toBeCloseTo(45); // the first layout only
    w.add(tick(20_000, 0, { itl: { bounds: other, counts: [0, 50, 50], sum: 0, count: 50 } }));
    expect(w.aggregate(20_500, 10_000).itlP90Ms).toBeCloseTo(920);
  });

  it('clear() forgets everything (a role scaled to zero starts fresh)', () => {
    const w = new RoleWindow();
    w.add(tick(1000, 9));
    w.clear();
    expect(w.newestMs()).toBeUndefined();
    expect(w.aggregate(1500, 60_000).samples).toBe(0);
    w.add(tick(2000, 1));
    expect(w.aggregate(2500, 60_000)).toMatchObject({ samples: 1, waiting: 1 });
  });
});
