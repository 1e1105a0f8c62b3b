/**
 * Time-bucketed stable and panic windows (Knative `aggregation/bucketing.go` semantics, kserve-knative.md §4):
 * ticks land in fixed buckets (1 s); a window's value is the mean over the buckets in [now − window, now]
 * that hold data; a bucket with several ticks keeps their mean. Counters are already rates per tick;
 * histogram deltas are summed over the window so quantiles cover every request in it. Pure (no clock, no I/O).
 *
 * Storage is a ring of numbers, one slot per bucket of the retention (60 for a 60 s stable window): each slot
 * holds its tick count, the sums of the tick values and the summed TTFT/ITL bucket counts, written in place.
 * No TickSample or histogram is kept, and aggregating allocates nothing per bucket — 1,000 targets × 60
 * buckets of histogram copies was most of the loop's heap and of its decide phase (bench autoscaler-loop).
 * Histogram bounds are the window's: the first layout seen; a tick with another layout (a vLLM upgrade
 * changing buckets) is left out of the quantiles until the old layout has left the window, then adopted.
 * Counter rates are averaged only over the ticks that have one (TickSample.ratePods > 0): a tick in which every
 * pod was scraped for the first time (a wake, a restarted autoscaler) knows no rate, and a 0 there would pull
 * the window's rate down until it leaves the window (issue 13).
 */
import { histogramCv2, quantile, type Histogram } from '../metrics/vllm-signals.js';
import type { WindowAggregate } from '../decider/types.js';
import type { TickSample } from './tick.js';

/** Per-slot numbers: the means' sums, then busy tokens/seconds (summed, not averaged), then flags. */
const enum F {
  Waiting,
  Running,
  Kv,
  KvMax,
  Backlog,
  Requests,
  Prompt,
  Generation,
  BusyTokens,
  BusySeconds,
  PrefixQueried,
  PrefixHits,
  Ticks,
  RateTicks,
  Newest,
  HasTtft,
  HasItl,
  N,
}
/** Gauges: mean over the ticks of a bucket, then over the buckets with data. */
const MEANS: ReadonlyArray<[F, keyof WindowAggregate]> = [
  [F.Waiting, 'waiting'],
  [F.Running, 'running'],
  [F.Kv, 'kvUsage'],
  [F.KvMax, 'kvUsageMax'],
  [F.Backlog, 'promptBacklogTokens'],
];
/** Counter rates: the same, over the ticks (and buckets) that have a rate. */
const RATES: ReadonlyArray<[F, keyof WindowAggregate]> = [
  [F.Requests, 'arrivalRate'],
  [F.Prompt, 'promptTokensRate'],
  [F.Generation, 'generationTokensRate'],
];

/**
 * One histogram's layout and its counts per slot. Float32: a slot holds one second's bucket-count deltas of
 * one role (integers, exact below 2^24 ≈ 16.7M per bucket per second; beyond that a relative error of 6e-8,
 * nothing to a p90) and it halves the largest part of the window (1,000 targets × 60 slots × ~43 bounds).
 */
class HistRing {
  bounds?: number[];
  counts = new Float32Array(0);

  /** Add h's counts into `slot`; false when h has another layout (left out). */
  add(slot: number, size: number, h: Histogram, liveWithData: () => boolean): boolean {
    if (!this.bounds || !sameBounds(this.bounds, h.bounds)) {
      if (this.bounds && liveWithData()) return false;
      this.bounds = h.bounds;
      this.counts = new Float32Array(size * h.bounds.length);
    }
    const len = this.bounds.length;
    for (let k = 0; k < len; k++) bump(this.counts, slot * len + k, h.counts[k] as number);
    return true;
  }

  clearSlot(slot: number): void {
    const len = this.bounds?.length ?? 0;
    this.counts.fill(0, slot * len, slot * len + len);
  }
}

function sameBounds(a: number[], b: number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

let scratch = new Float64Array(64);

export class RoleWindow {
  private readonly size: number;
  private readonly keys: Float64Array;
  private readonly data: Float64Array;
  private readonly ttft = new HistRing();
  private readonly itl = new HistRing();
  private newestKey = -Infinity;

  constructor(
    private readonly bucketMs = 1000,
    retainMs = 60_000,
  ) {
    // Buckets kept: key > newest − ceil(retain/bucket), i.e. this many.
    this.size = Math.max(1, Math.ceil(retainMs / bucketMs));
    this.keys = new Float64Array(this.size).fill(NaN);
    this.data = new Float64Array(this.size * F.N);
  }

  add(t: TickSample): void {
    const key = Math.floor(t.atMs / this.bucketMs);
    // Out-of-order ticks (older than the newest bucket) are dropped: the loop's clock never goes back.
    if (key < this.newestKey) return;
    this.newestKey = key;
    const slot = ((key % this.size) + this.size) % this.size;
    const d = this.data;
    const o = slot * F.N;
    if (this.keys[slot] !== key) {
      this.keys[slot] = key;
      d.fill(0, o, o + F.N);
      this.ttft.clearSlot(slot);
      this.itl.clearSlot(slot);
    }
    bump(d, o + F.Waiting, t.waiting);
    bump(d, o + F.Running, t.running);
    bump(d, o + F.Kv, t.pods > 0 ? t.kvUsageSum / t.pods : 0);
    bump(d, o + F.KvMax, t.kvUsageMax);
    bump(d, o + F.Backlog, t.promptBacklogTokens);
    bump(d, o + F.BusyTokens, t.busyPromptTokens);
    bump(d, o + F.BusySeconds, t.busyPodSeconds);
    bump(d, o + F.PrefixQueried, t.prefixQueriedTokens);
    bump(d, o + F.PrefixHits, t.prefixHitTokens);
    bump(d, o + F.Ticks, 1);
    if (t.ratePods > 0) {
      bump(d, o + F.Requests, t.requestRate);
      bump(d, o + F.Prompt, t.promptTokensRate);
      bump(d, o + F.Generation, t.generationTokensRate);
      bump(d, o + F.RateTicks, 1);
    }
    d[o + F.Newest] = t.atMs;
    if (t.ttft && this.ttft.add(slot, this.size, t.ttft, () => this.anyLive(slot, F.HasTtft))) d[o + F.HasTtft] = 1;
    if (t.itl && this.itl.add(slot, this.size, t.itl, () => this.anyLive(slot, F.HasItl))) d[o + F.HasItl] = 1;
  }

  /** Time of the newest tick, or undefined. */
  newestMs(): number | undefined {
    if (this.newestKey === -Infinity) return undefined;
    const slot = ((this.newestKey % this.size) + this.size) % this.size;
    return this.data[slot * F.N + F.Newest];
  }

  clear(): void {
    this.keys.fill(NaN);
    this.newestKey = -Infinity;
  }

  aggregate(nowMs: number, windowMs: number): WindowAggregate {
    const from = Math.floor((nowMs - windowMs) / this.bucketMs);
    const agg: WindowAggregate = {
      samples: 0,
      waiting: 0,
      running: 0,
      kvUsage: 0,
      kvUsageMax: 0,
      promptBacklogTokens: 0,
      arrivalRate: 0,
      promptTokensRate: 0,
      generationTokensRate: 0,
    };
    let busyTokens = 0;
    let busySeconds = 0;
    let queried = 0;
    let hits = 0;
    const lenT = this.ttft.bounds?.length ?? 0;
    const lenI = this.itl.bounds?.length ?? 0;
    if (scratch.length < lenT + lenI) scratch = new Float64Array(lenT + lenI);
    scratch.fill(0, 0, lenT + lenI);
    let ttftSeen = false;
    let itlSeen = false;
    let rateBuckets = 0;
    // Oldest to newest, as the bucket list was read: the sums come out in the same order.
    for (let key = Math.max(from + 1, this.newestKey - this.size + 1); key <= this.newestKey; key++) {
      const slot = ((key % this.size) + this.size) % this.size;
      if (this.keys[slot] !== key) continue;
      const o = slot * F.N;
      const d = this.data;
      agg.samples += addMeans(agg, d, o, MEANS, d[o + F.Ticks] as number);
      rateBuckets += addMeans(agg, d, o, RATES, d[o + F.RateTicks] as number);
      busyTokens += d[o + F.BusyTokens] as number;
      busySeconds += d[o + F.BusySeconds] as number;
      queried += d[o + F.PrefixQueried] as number;
      hits += d[o + F.PrefixHits] as number;
      if (d[o + F.HasTtft]) ttftSeen = addInto(scratch, 0, this.ttft.counts, slot * lenT, lenT);
      if (d[o + F.HasItl]) itlSeen = addInto(scratch, lenT, this.itl.counts, slot * lenI, lenI);
    }
    if (agg.samples === 0) return agg;
    meanOver(agg, MEANS, agg.samples);
    meanOver(agg, RATES, rateBuckets);
    withRatios(agg, busyTokens, busySeconds, queried, hits);
    if (ttftSeen) withTtft(agg, this.ttft.bounds as number[], scratch.subarray(0, lenT));
    const itlS = itlSeen ? quantile(0.9, this.itl.bounds as number[], scratch.subarray(lenT, lenT + lenI)) : undefined;
    if (itlS !== undefined) agg.itlP90Ms = itlS * 1000;
    return agg;
  }

  /** Does a live bucket other than `except` hold data of this histogram? */
  private anyLive(except: number, flag: F): boolean {
    for (let s = 0; s < this.size; s++) {
      const key = this.keys[s] as number;
      if (s !== except && key > this.newestKey - this.size && this.data[s * F.N + flag]) return true;
    }
    return false;
  }
}

type Fields = ReadonlyArray<[F, keyof WindowAggregate]>;

/** Add one bucket's per-tick means of `fields` (its sums ÷ its `ticks`); 1 when the bucket counts, else 0. */
function addMeans(agg: WindowAggregate, d: Float64Array, o: number, fields: Fields, ticks: number): number {
  if (!(ticks > 0)) return 0;
  for (const [f, k] of fields) agg[k] = (agg[k] as number) + (d[o + f] as number) / ticks;
  return 1;
}

/** The summed bucket means ÷ the buckets that counted (none: the fields stay 0). */
function meanOver(agg: WindowAggregate, fields: Fields, buckets: number): void {
  if (buckets > 0) for (const [, k] of fields) agg[k] = (agg[k] as number) / buckets;
}

/** The window's ratios of sums: measured prefill throughput of busy pods, prefix-cache hit rate. */
function withRatios(
  agg: WindowAggregate,
  busyTokens: number,
  busySeconds: number,
  queried: number,
  hits: number,
): void {
  if (busySeconds > 0) agg.prefillTokensPerSecPerReplica = busyTokens / busySeconds;
  if (queried > 0) agg.prefixCacheHitRate = Math.min(1, hits / queried);
}

/** TTFT p90 and spread (squared coefficient of variation) from the window's summed bucket counts. */
function withTtft(agg: WindowAggregate, bounds: number[], counts: Float64Array): void {
  const p90 = quantile(0.9, bounds, counts);
  if (p90 !== undefined) agg.ttftP90Ms = p90 * 1000;
  const cv2 = histogramCv2(bounds, counts);
  if (cv2 !== undefined) agg.ttftCv2 = cv2;
}

function bump(a: Float64Array | Float32Array, i: number, v: number): void {
  a[i] = (a[i] as number) + v;
}

function addInto(into: Float64Array, at: number, from: Float32Array, offset: number, len: number): true {
  for (let k = 0; k < len; k++) bump(into, at + k, from[offset + k] as number);
  return true;
}
