/**
 * A pod without a previous snapshot has no counter rate yet (issue 13: a new pod's first scrape added 0 to the
 * prompt-token rate, and prefill decided at ~8k tok/s while 12k were offered). It must not dilute the role's
 * rates: within a tick the pods that have a rate stand for the others (Knative's scraper average), and a tick
 * in which no pod has one is left out of the windows' rate means.
 */
import { observe } from '../../autoscaler/loop/observe.js';
import type { PodSnapshot } from '../../autoscaler/metrics/vllm-signals.js';
import { tickSample, type PodObservation } from '../../autoscaler/windows/tick.js';
import { RoleWindow } from '../../autoscaler/windows/window.js';

/** A pod's counters after `s` seconds of serving `promptRate` prompt tokens/s (1k-token prompts). */
function snap(promptTokens: number): PodSnapshot {
  return {
    waiting: 0,
    running: 2,
    kvUsage: 0.3,
    promptTokens,
    generationTokens: promptTokens / 10,
    requestsFinished: promptTokens / 1000,
  };
}

/** Feeds pods' scrapes to observe() the way the collector pairs them with their previous scrape. */
class Feed {
  private readonly last = new Map<string, { atMs: number; snap: PodSnapshot }>();
  readonly window = new RoleWindow(1000, 60_000);

  tick(atMs: number, pods: Record<string, number>) {
    const observations: PodObservation[] = Object.entries(pods).map(([id, tokens]) => {
      const s = snap(tokens);
      const prev = this.last.get(id);
      this.last.set(id, { atMs, snap: s });
      return prev ? { atMs, snap: s, prev } : { atMs, snap: s };
    });
    const n = Object.keys(pods).length;
    const opts = { stableWindowMs: 60_000, panicWindowMs: 6000, defaultPromptTokens: 1024 };
    return observe(
      this.window,
      {
        nowMs: atMs,
        readyPods: n,
        specReplicas: n,
        observations,
        failedPods: 0,
        demandAtZero: { queuedRequests: 0, queuedPromptTokens: 0 },
      },
      opts,
    );
  }
}

describe('tick samples: pods without a previous scrape', () => {
  const seen = (tokens: number, prevTokens: number): PodObservation => ({
    atMs: 2000,
    snap: snap(tokens),
    prev: { atMs: 1000, snap: snap(prevTokens) },
  });
  const first = (tokens: number): PodObservation => ({ atMs: 2000, snap: snap(tokens) });

  it.each([
    // [name, pods, expected: pods, ratePods, prompt tok/s, requests/s, generated tok/s]
    ['every pod seen before: the plain sum', [seen(12_000, 6000), seen(18_000, 12_000)], [2, 2, 12_000, 12, 1200]],
    // 4k tok/s on each of 3 pods after a scale-up: the two that have a rate stand for the new one.
    [
      'one new pod: the others extrapolated to it',
      [seen(14_000, 10_000), seen(9000, 5000), first(500)],
      [3, 2, 12_000, 12, 1200],
    ],
    ['only new pods: no rate at all', [first(6000), first(6000)], [2, 0, 0, 0, 0]],
  ] as const)('%s', (_n, pods, [n, ratePods, prompt, requests, generated]) => {
    const t = tickSample(2000, [...pods], 1024);
    expect(t.pods).toBe(n);
    expect(t.ratePods).toBe(ratePods);
    expect(t.promptTokensRate).toBeCloseTo(prompt);
    expect(t.requestRate).toBeCloseTo(requests);
    expect(t.generationTokensRate).toBeCloseTo(generated);
    // Gauges count every observed pod, first scrape or not.
    expect(t.running).toBe(2 * n);
  });
});

describe('windows: a tick without rates does not dilute them', () => {
  it('two pods at 6k tok/s each read 12k from their second scrape on, not 8k after three ticks', () => {
    const f = new Feed();
    f.tick(1000, { a: 50_000, b: 70_000 }); // first scrapes: counters from before the window began
    f.tick(2000, { a: 56_000, b: 76_000 });
    const w = f.tick(3000, { a: 62_000, b: 82_000 });
    expect(w.stable.samples).toBe(3);
    expect(w.stable.promptTokensRate).toBeCloseTo(12_000);
    expect(w.stable.arrivalRate).toBeCloseTo(12);
    expect(w.panic.promptTokensRate).toBeCloseTo(12_000);
    // Gauges still average over every tick.
    expect(w.stable.running).toBe(4);
  });

  it('a pod added by a scale-up: 12k offered stays 12k on the tick of its first scrape', () => {
    const f = new Feed();
    let a = 0;
    let b = 0;
    for (let t = 1000; t <= 5000; t += 1000) f.tick(t, { a: (a += 6000), b: (b += 6000) });
    // c became Ready and already took a third of the traffic before its first scrape.
    const w = f.tick(6000, { a: (a += 4000), b: (b += 4000), c: 2500 });
    expect(w.panic.promptTokensRate).toBeCloseTo(12_000);
    expect(w.stable.promptTokensRate).toBeCloseTo(12_000);
  });

  it('a sample Prometheus has not refreshed (no previous snapshot) does not count as an idle tick', () => {
    // Prometheus scrapes every 2 s, the loop ticks every 1 s: every other tick the collector returns the same
    // sample without `prev` (collector/prometheus.ts). 12k tok/s throughout.
    const w = new RoleWindow(1000, 60_000);
    let prev: { atMs: number; snap: PodSnapshot } | undefined;
    let agg;
    for (let t = 2000; t <= 20_000; t += 1000) {
      const refreshed = t % 2000 === 0;
      const obs: PodObservation =
        refreshed || !prev
          ? { atMs: t, snap: snap(t * 12), ...(prev ? { prev } : {}) }
          : { atMs: prev.atMs, snap: prev.snap };
      if (refreshed) prev = { atMs: t, snap: obs.snap };
      w.add(tickSample(t, [obs], 1024));
      agg = w.aggregate(t, 60_000);
    }
    expect(agg?.promptTokensRate).toBeCloseTo(12_000);
  });
});
