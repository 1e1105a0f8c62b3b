/**
 * One tick's role totals from per-pod snapshots (each with its previous scrape): gauges summed, counters
 * turned into rates, histogram bucket deltas summed. Pure.
 *
 * A pod without a previous snapshot (its first scrape, or a sample Prometheus has not refreshed) has no rate
 * yet. It must not count as 0 (issue 13: prefill decided at ~8k tok/s while 12k were offered): the role's
 * rates are the pods that have one, extrapolated to every observed pod, as Knative's scraper does — it sums
 * the pods it sampled and scales by ready pods ÷ sampled, assuming "a particular pod can stand for other pods"
 * (knative/serving pkg/autoscaler/metrics/collector.go `average`, stats_scraper.go, knative-v1.23.0). A tick in
 * which no pod has a rate carries none (`ratePods` 0): the windows leave it out of the rate means.
 */
import { histogramDelta, type Histogram, type PodSnapshot } from '../metrics/vllm-signals.js';

export interface PodObservation {
  atMs: number;
  snap: PodSnapshot;
  /** The same pod's previous successful scrape (absent on the first one). */
  prev?: { atMs: number; snap: PodSnapshot };
}

export interface TickSample {
  atMs: number;
  pods: number;
  /** Pods with a counter rate this tick (a previous snapshot); the rates below are extrapolated to `pods`. */
  ratePods: number;
  waiting: number;
  running: number;
  kvUsageSum: number;
  kvUsageMax: number;
  promptBacklogTokens: number;
  requestRate: number;
  promptTokensRate: number;
  generationTokensRate: number;
  /** Prompt tokens processed by pods that had work waiting, and those pods' seconds: measured capacity. */
  busyPromptTokens: number;
  busyPodSeconds: number;
  /** Prompt tokens looked up in / found in the prefix cache (pods exporting both counters, now and before). */
  prefixQueriedTokens: number;
  prefixHitTokens: number;
  ttft?: Histogram;
  itl?: Histogram;
}

/** Counter increase with Prometheus reset semantics: a drop means the engine restarted from 0. */
export function increase(prev: number, cur: number): number {
  return cur >= prev ? cur - prev : cur;
}

export function tickSample(atMs: number, pods: PodObservation[], defaultPromptTokens: number): TickSample {
  const t: TickSample = {
    atMs,
    pods: pods.length,
    ratePods: 0,
    waiting: 0,
    running: 0,
    kvUsageSum: 0,
    kvUsageMax: 0,
    promptBacklogTokens: 0,
    requestRate: 0,
    promptTokensRate: 0,
    generationTokensRate: 0,
    busyPromptTokens: 0,
    busyPodSeconds: 0,
    prefixQueriedTokens: 0,
    prefixHitTokens: 0,
  };
  for (const p of pods) {
    const s = p.snap;
    t.waiting += s.waiting;
    t.running += s.running;
    t.kvUsageSum += s.kvUsage;
    t.kvUsageMax = Math.max(t.kvUsageMax, s.kvUsage);
    // vLLM does not export queued prompt tokens; estimate them as waiting × the pod's mean prompt length.
    const meanPrompt =
      s.promptLength && s.promptLength.count > 0 ? s.promptLength.sum / s.promptLength.count : defaultPromptTokens;
    t.promptBacklogTokens += s.waiting * meanPrompt;
    if (!p.prev) continue;
    const dt = (p.atMs - p.prev.atMs) / 1000;
    if (!(dt > 0)) continue;
    t.ratePods++;
    const prompt = increase(p.prev.snap.promptTokens, s.promptTokens);
    t.promptTokensRate += prompt / dt;
    t.generationTokensRate += increase(p.prev.snap.generationTokens, s.generationTokens) / dt;
    t.requestRate += increase(p.prev.snap.requestsFinished, s.requestsFinished) / dt;
    const before = p.prev.snap;
    if (
      s.prefixCacheQueries !== undefined &&
      s.prefixCacheHits !== undefined &&
      before.prefixCacheQueries !== undefined &&
      before.prefixCacheHits !== undefined
    ) {
      t.prefixQueriedTokens += increase(before.prefixCacheQueries, s.prefixCacheQueries);
      // A restart resets both counters; hits never exceed the queries they answer.
      t.prefixHitTokens += Math.min(
        increase(before.prefixCacheHits, s.prefixCacheHits),
        increase(before.prefixCacheQueries, s.prefixCacheQueries),
      );
    }
    if (p.prev.snap.waiting > 0 && s.waiting > 0) {
      t.busyPromptTokens += prompt;
      t.busyPodSeconds += dt;
    }
    t.ttft = addHistograms(t.ttft, histogramDelta(p.prev.snap.ttft, s.ttft));
    t.itl = addHistograms(t.itl, histogramDelta(p.prev.snap.itl, s.itl));
  }
  if (t.ratePods > 0 && t.ratePods < t.pods) {
    const k = t.pods / t.ratePods;
    t.requestRate *= k;
    t.promptTokensRate *= k;
    t.generationTokensRate *= k;
  }
  return t;
}

/** Sum two histograms with the same bounds (different bounds: keep the first; pods of one role run one vLLM). */
export function addHistograms(a: Histogram | undefined, b: Histogram | undefined): Histogram | undefined {
  if (!b) return a;
  if (!a) return { bounds: b.bounds, counts: [...b.counts], sum: b.sum, count: b.count };
  if (a.bounds.length !== b.bounds.length || a.bounds.some((x, i) => x !== b.bounds[i])) return a;
  return {
    bounds: a.bounds,
    counts: a.counts.map((c, i) => c + (b.counts[i] as number)),
    sum: a.sum + b.sum,
    count: a.count + b.count,
  };
}
