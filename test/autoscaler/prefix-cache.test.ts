/**
 * Prefix-cache hits (issue 6): vLLM counts a prompt in full in vllm:prompt_tokens_total whatever part of it
 * was found in the prefix cache, and it exports that part separately (vllm:prefix_cache_queries_total,
 * vllm:prefix_cache_hits_total). Both parsers read the counters, ticks turn them into increases, windows
 * into a hit rate, and prefill sizes on the uncached prompt tokens. Decode is unchanged.
 */
import { readFileSync } from 'node:fs';
import { decide, type WindowAggregate } from '../../autoscaler/decider/index.js';
import { uncachedPrompts } from '../../autoscaler/decider/load.js';
import { vllmSnapshot, type PodSnapshot } from '../../autoscaler/metrics/vllm-signals.js';
import { vllmSnapshotFromBytes } from '../../autoscaler/metrics/vllm-stream.js';
import { podQuery } from '../../autoscaler/sources/prometheus-api.js';
import { tickSample, type PodObservation } from '../../autoscaler/windows/tick.js';
import { RoleWindow } from '../../autoscaler/windows/window.js';
import { specs } from './support/decider.js';
import { agg, win } from './support/windows.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const gauges = ['vllm:num_requests_waiting 0', 'vllm:num_requests_running 1', 'vllm:kv_cache_usage_perc 0.1'];
const { decode, prefill } = specs(16);

describe('prefix-cache counters from a vLLM page', () => {
  it.each([
    // [name, page, expected queries, expected hits]
    ['a V1 prefill page exports both', fixture('vllm-metrics-prefill.txt'), 9_821_733, 3_634_041],
    ['a page without them (prefix caching off) has neither', gauges.join('\n'), undefined, undefined],
    [
      'hits without queries is no rate: neither',
      [...gauges, 'vllm:prefix_cache_hits_total 10'].join('\n'),
      undefined,
      undefined,
    ],
    [
      'summed over data-parallel engines',
      [
        ...gauges,
        ...['0', '1'].flatMap((e) => [
          `vllm:prefix_cache_queries_total{engine="${e}"} 100`,
          `vllm:prefix_cache_hits_total{engine="${e}"} 25`,
        ]),
      ].join('\n'),
      200,
      50,
    ],
  ] as const)('%s (reference and streaming parser)', (_n, page, queries, hits) => {
    for (const s of [vllmSnapshot(page), vllmSnapshotFromBytes(Buffer.from(page))]) {
      expect(s.prefixCacheQueries).toBe(queries);
      expect(s.prefixCacheHits).toBe(hits);
    }
  });

  it('the Prometheus API source asks for both series', () => {
    expect(podQuery('models')).toContain('vllm:prefix_cache_queries_total');
    expect(podQuery('models')).toContain('vllm:prefix_cache_hits_total');
  });
});

function snap(o: Partial<PodSnapshot>): PodSnapshot {
  return { waiting: 0, running: 1, kvUsage: 0.1, promptTokens: 0, generationTokens: 0, requestsFinished: 0, ...o };
}

describe('prefix-cache hits per tick and per window', () => {
  it.each([
    // [name, previous scrape, this scrape, expected queried, expected hits]
    [
      'counter increases',
      { prefixCacheQueries: 1000, prefixCacheHits: 200 },
      { prefixCacheQueries: 5000, prefixCacheHits: 1200 },
      4000,
      1000,
    ],
    [
      'an engine restart resets both: the new values are the increase',
      { prefixCacheQueries: 9000, prefixCacheHits: 3000 },
      { prefixCacheQueries: 800, prefixCacheHits: 100 },
      800,
      100,
    ],
    ['a pod that stopped exporting them adds nothing', { prefixCacheQueries: 1000, prefixCacheHits: 200 }, {}, 0, 0],
    [
      'a pod that started exporting them adds nothing until its second scrape',
      {},
      { prefixCacheQueries: 5000, prefixCacheHits: 1200 },
      0,
      0,
    ],
  ] as const)('%s', (_n, before, now, queried, hits) => {
    const pods: PodObservation[] = [{ atMs: 1000, snap: snap(now), prev: { atMs: 0, snap: snap(before) } }];
    const t = tickSample(1000, pods, 1024);
    expect(t.prefixQueriedTokens).toBe(queried);
    expect(t.prefixHitTokens).toBe(hits);
  });

  it('the window hit rate is Σ hits ÷ Σ queried tokens over its buckets; none without lookups', () => {
    const w = new RoleWindow(1000, 60_000);
    const tick = (atMs: number, queried: number, hit: number) => ({
      ...tickSample(atMs, [], 1024),
      pods: 1,
      prefixQueriedTokens: queried,
      prefixHitTokens: hit,
    });
    w.add(tick(1000, 10_000, 1000));
    w.add(tick(50_000, 30_000, 9000));
    expect(w.aggregate(50_500, 60_000).prefixCacheHitRate).toBeCloseTo(10_000 / 40_000, 12);
    // The panic window (6 s) sees only the last tick.
    expect(w.aggregate(50_500, 6000).prefixCacheHitRate).toBeCloseTo(0.3, 12);
    w.add(tick(60_000, 0, 0));
    expect(w.aggregate(60_500, 6000).prefixCacheHitRate).toBeUndefined();
  });
});

describe('prefill sizes on uncached prompt tokens', () => {
  const busy: Partial<WindowAggregate> = {
    promptTokensRate: 40_000,
    arrivalRate: 20,
    promptBacklogTokens: 8000,
    prefillTokensPerSecPerReplica: 20_000,
  };

  it.each([
    // [name, hit rate, expected prompt tok/s, backlog, measured tok/s per replica]
    ['no counters: unchanged', undefined, 40_000, 8000, 20_000],
    ['no hits: unchanged', 0, 40_000, 8000, 20_000],
    ['a quarter cached: three quarters of everything counted', 0.25, 30_000, 6000, 15_000],
    ['all cached: no prefill work', 1, 0, 0, 0],
  ] as const)('%s', (_n, hit, rate, backlog, measured) => {
    const w = uncachedPrompts(agg(hit === undefined ? busy : { ...busy, prefixCacheHitRate: hit }));
    expect(w.promptTokensRate).toBeCloseTo(rate, 9);
    expect(w.promptBacklogTokens).toBeCloseTo(backlog, 9);
    expect(w.prefillTokensPerSecPerReplica).toBeCloseTo(measured, 9);
  });

  it('prefill holds fewer replicas for the same counted prompts when half of them were cache hits', () => {
    // 60k counted tok/s of 1k-token prompts at the 15k tok/s profile and 0.8 utilization: 5 replicas, and
    // the consolidation check (÷ 0.8 headroom) keeps 7, so 6 hold. 30k uncached: 2.5, consolidation to 4.
    const load = { promptTokensRate: 60_000, arrivalRate: 60, running: 4 };
    const cold = decide(prefill(), win(6, load, { peer: { desired: 1, ready: 1 } }), 0);
    const cached = decide(
      prefill(),
      win(6, { ...load, prefixCacheHitRate: 0.5 }, { peer: { desired: 1, ready: 1 } }),
      0,
    );
    expect(cold).toMatchObject({ desired: 6, reason: 'hold' });
    expect(cached).toMatchObject({ desired: 6, reason: 'scale-down-delay' });
    expect(cached.detail).toMatch(/^4 recommended/);
    expect(cached.signals.prefixCacheHitRate).toBe(0.5);
  });

  it(
    'aggregated decode plans its prompt throughput on uncached ' + 'tokens; behind remote prefill on the counted ones',
    () => {
      const load = {
        promptTokensRate: 60_000,
        arrivalRate: 60,
        running: 40,
        kvUsage: 0.5,
        waiting: 2,
        promptBacklogTokens: 2_000,
      };
      // Aggregated: every prompt is prefilled here and the window's hit rate applies to all of them.
      const plain = decide(decode(), win(3, load), 0);
      const cached = decide(decode(), win(3, { ...load, prefixCacheHitRate: 0.5 }), 0);
      expect(plain).toMatchObject({ reason: 'prompt-backlog', desired: 5 });
      expect(cached.desired).toBeLessThan(plain.desired);
      // P/D: its local prompts are the ones the P/D decider kept because they were cached on it, so the window's
      // average hit rate would misstate them (index.ts prefillWork): the same decision either way.
      const remote = { remotePrefill: { promptTokensRate: 30_000, requestRate: 30 } };
      const pdPlain = decide(decode(), win(3, load, remote), 0);
      const pdCached = decide(decode(), win(3, { ...load, prefixCacheHitRate: 0.5 }, remote), 0);
      expect({ ...pdCached, signals: {}, state: {} }).toEqual({ ...pdPlain, signals: {}, state: {} });
    },
  );
});
