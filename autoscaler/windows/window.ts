/**
 * Time-bucketed stable and panic windows (Knative `aggregation/bucketing.go` semantics, kserve-knative.md §4):
 * ticks land in fixed buckets (1 s); a window's value is the mean over the buckets in [now − window, now]
 * that hold data; a bucket with several ticks keeps their mean. Counters are already rates per tick;
 * histogram deltas are summed over the window so quantiles cover every request in it. Pure (no clock, no I/O).
 */
import { quantile } from '../metrics/vllm-signals.js';
import type { WindowAggregate } from '../decider/types.js';
import { addHistograms, type TickSample } from './tick.js';

interface Bucket { key: number; ticks: TickSample[] }

export class RoleWindow {
  private buckets: Bucket[] = [];

  constructor(private readonly bucketMs = 1000, private readonly retainMs = 60_000) {}

  add(t: TickSample): void {
    const key = Math.floor(t.atMs / this.bucketMs);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.key === key) last.ticks.push(t);
    else if (!last || last.key < key) this.buckets.push({ key, ticks: [t] });
    // Out-of-order ticks (older than the newest bucket) are dropped: the loop's clock never goes back.
    const oldest = key - Math.ceil(this.retainMs / this.bucketMs);
    while (this.buckets.length > 0 && (this.buckets[0] as Bucket).key <= oldest) this.buckets.shift();
  }

  /** Time of the newest tick, or undefined. */
  newestMs(): number | undefined {
    const last = this.buckets[this.buckets.length - 1];
    return last ? (last.ticks[last.ticks.length - 1] as TickSample).atMs : undefined;
  }

  clear(): void {
    this.buckets = [];
  }

  aggregate(nowMs: number, windowMs: number): WindowAggregate {
    const from = Math.floor((nowMs - windowMs) / this.bucketMs);
    const agg: WindowAggregate = {
      samples: 0, waiting: 0, running: 0, kvUsage: 0, kvUsageMax: 0, promptBacklogTokens: 0,
      arrivalRate: 0, promptTokensRate: 0, generationTokensRate: 0,
    };
    let busyTokens = 0;
    let busySeconds = 0;
    let ttft;
    let itl;
    for (const b of this.buckets) {
      if (b.key <= from) continue;
      agg.samples++;
      const n = b.ticks.length;
      for (const t of b.ticks) {
        agg.waiting += t.waiting / n;
        agg.running += t.running / n;
        agg.kvUsage += (t.pods > 0 ? t.kvUsageSum / t.pods : 0) / n;
        agg.kvUsageMax += t.kvUsageMax / n;
        agg.promptBacklogTokens += t.promptBacklogTokens / n;
        agg.arrivalRate += t.requestRate / n;
        agg.promptTokensRate += t.promptTokensRate / n;
        agg.generationTokensRate += t.generationTokensRate / n;
        busyTokens += t.busyPromptTokens;
        busySeconds += t.busyPodSeconds;
        ttft = addHistograms(ttft, t.ttft);
        itl = addHistograms(itl, t.itl);
      }
    }
    if (agg.samples === 0) return agg;
    for (const k of ['waiting', 'running', 'kvUsage', 'kvUsageMax', 'promptBacklogTokens', 'arrivalRate', 'promptTokensRate', 'generationTokensRate'] as const) {
      agg[k] /= agg.samples;
    }
    if (busySeconds > 0) agg.prefillTokensPerSecPerReplica = busyTokens / busySeconds;
    const ttftS = ttft && quantile(0.9, ttft.bounds, ttft.counts);
    const itlS = itl && quantile(0.9, itl.bounds, itl.counts);
    if (ttftS !== undefined) agg.ttftP90Ms = ttftS * 1000;
    if (itlS !== undefined) agg.itlP90Ms = itlS * 1000;
    return agg;
  }
}
