/**
 * vLLM /metrics → one pod's snapshot. Names from llm-d.md §5–§6 (and vLLM's metrics docs): V1 names first,
 * V0 names as fallbacks (vllm:gpu_cache_usage_perc was renamed vllm:kv_cache_usage_perc; GIE PR #1905).
 * Series with several label sets (LoRA adapters, data-parallel engines, finished_reason) are summed;
 * KV usage is averaged over engines.
 */
import { parsePrometheusText, type Sample } from './prom-text.js';

export interface Histogram {
  /** Upper bounds in seconds (or tokens), ascending, +Inf last. */
  bounds: number[];
  /** Cumulative counts per bound. */
  counts: number[];
  sum: number;
  count: number;
}

export interface PodSnapshot {
  waiting: number;
  running: number;
  kvUsage: number;
  /** Counters (monotonic; a drop means the engine restarted). */
  promptTokens: number;
  generationTokens: number;
  requestsFinished: number;
  /**
   * vllm:prefix_cache_queries_total / vllm:prefix_cache_hits_total (V1 counters, in prompt tokens looked up
   * in / found in the prefix cache). Absent when the engine does not export them (V0, prefix caching off).
   */
  prefixCacheQueries?: number;
  prefixCacheHits?: number;
  /** Histograms (cumulative since engine start). */
  ttft?: Histogram;
  itl?: Histogram;
  promptLength?: Histogram;
  /** vllm:cache_config_info: KV capacity = blockSize × numGpuBlocks tokens. */
  cacheConfig?: { blockSize: number; numGpuBlocks: number };
}

export const VLLM = {
  waiting: 'vllm:num_requests_waiting',
  running: 'vllm:num_requests_running',
  kvUsage: 'vllm:kv_cache_usage_perc',
  kvUsageV0: 'vllm:gpu_cache_usage_perc',
  promptTokens: 'vllm:prompt_tokens_total',
  generationTokens: 'vllm:generation_tokens_total',
  success: 'vllm:request_success_total',
  ttft: 'vllm:time_to_first_token_seconds',
  itl: 'vllm:inter_token_latency_seconds',
  /** Older name of the ITL histogram (llm-d.md §5). */
  itlV0: 'vllm:time_per_output_token_seconds',
  promptLength: 'vllm:request_prompt_tokens',
  prefixCacheQueries: 'vllm:prefix_cache_queries_total',
  prefixCacheHits: 'vllm:prefix_cache_hits_total',
  cacheConfig: 'vllm:cache_config_info',
} as const;

const HIST_SUFFIXES = ['_bucket', '_sum', '_count'];
const HISTOGRAMS = new Set([VLLM.ttft, VLLM.itl, VLLM.itlV0, VLLM.promptLength]);
const WANTED = new Set<string>([
  VLLM.waiting,
  VLLM.running,
  VLLM.kvUsage,
  VLLM.kvUsageV0,
  VLLM.promptTokens,
  VLLM.generationTokens,
  VLLM.success,
  VLLM.cacheConfig,
  VLLM.prefixCacheQueries,
  VLLM.prefixCacheHits,
  ...[...HISTOGRAMS].flatMap((h) => HIST_SUFFIXES.map((s) => h + s)),
]);
// Only the mean prompt length is used (sum/count): skip its ~20 bucket lines per page.
WANTED.delete(`${VLLM.promptLength}_bucket`);

export class MissingMetricError extends Error {}

const LE = ['le'] as const;
const NONE: readonly string[] = [];
const CACHE_CONFIG = ['block_size', 'num_gpu_blocks'] as const;
/** The labels the extraction reads: `le` on buckets, the KV geometry on cache_config_info, none elsewhere. */
function keepLabels(name: string): readonly string[] {
  if (name.endsWith('_bucket')) return LE;
  return name === VLLM.cacheConfig ? CACHE_CONFIG : NONE;
}

/** Parse a /metrics page into a snapshot; throws ExpositionError on garbage, MissingMetricError without vLLM gauges. */
export function vllmSnapshot(text: string): PodSnapshot {
  return snapshotFromSamples(parsePrometheusText(text, (n) => WANTED.has(n), keepLabels));
}

export function snapshotFromSamples(samples: Sample[]): PodSnapshot {
  const by = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = by.get(s.name);
    if (list) list.push(s);
    else by.set(s.name, [s]);
  }
  const sum = (n: string): number | undefined => {
    const list = by.get(n);
    return list ? list.reduce((a, s) => a + (Number.isFinite(s.value) ? s.value : 0), 0) : undefined;
  };
  const mean = (n: string): number | undefined => {
    const list = by.get(n);
    return list && list.length > 0 ? (sum(n) as number) / list.length : undefined;
  };
  const cc = by.get(VLLM.cacheConfig)?.[0]?.labels;
  return assembleSnapshot({
    waiting: sum(VLLM.waiting),
    running: sum(VLLM.running),
    kv: mean(VLLM.kvUsage) ?? mean(VLLM.kvUsageV0),
    promptTokens: sum(VLLM.promptTokens),
    generationTokens: sum(VLLM.generationTokens),
    requestsFinished: sum(VLLM.success),
    prefixCacheQueries: sum(VLLM.prefixCacheQueries),
    prefixCacheHits: sum(VLLM.prefixCacheHits),
    ttft: histogram(by, VLLM.ttft),
    itl: histogram(by, VLLM.itl) ?? histogram(by, VLLM.itlV0),
    promptLength: histogram(by, VLLM.promptLength),
    blockSize: cc?.block_size,
    numGpuBlocks: cc?.num_gpu_blocks,
  });
}

/** What either parser (this one, or the streaming vllm-stream.ts) extracted from one page, before checks. */
export interface PageTotals {
  waiting?: number;
  running?: number;
  kv?: number;
  promptTokens?: number;
  generationTokens?: number;
  requestsFinished?: number;
  prefixCacheQueries?: number;
  prefixCacheHits?: number;
  ttft?: Histogram;
  itl?: Histogram;
  promptLength?: Histogram;
  blockSize?: string;
  numGpuBlocks?: string;
}

/** Totals → PodSnapshot: the page must carry the three gauges every vLLM serves, or it is not vLLM's. */
export function assembleSnapshot(t: PageTotals): PodSnapshot {
  const { waiting, running, kv } = t;
  if (waiting === undefined || running === undefined || kv === undefined) {
    const missing = [
      waiting === undefined && VLLM.waiting,
      running === undefined && VLLM.running,
      kv === undefined && VLLM.kvUsage,
    ].filter(Boolean);
    throw new MissingMetricError(`not a vLLM /metrics page: missing ${missing.join(', ')}`);
  }
  const snap: PodSnapshot = {
    waiting,
    running,
    kvUsage: Math.min(1, Math.max(0, kv)),
    promptTokens: t.promptTokens ?? 0,
    generationTokens: t.generationTokens ?? 0,
    requestsFinished: t.requestsFinished ?? 0,
  };
  withPrefixCache(snap, t);
  if (t.ttft) snap.ttft = t.ttft;
  if (t.itl) snap.itl = t.itl;
  if (t.promptLength) snap.promptLength = t.promptLength;
  const blockSize = Number(t.blockSize);
  const numGpuBlocks = Number(t.numGpuBlocks);
  if (blockSize > 0 && numGpuBlocks > 0) snap.cacheConfig = { blockSize, numGpuBlocks };
  return snap;
}

/** Both prefix-cache counters or neither: a hit rate needs its denominator. */
function withPrefixCache(snap: PodSnapshot, t: PageTotals): void {
  if (t.prefixCacheQueries === undefined || t.prefixCacheHits === undefined) return;
  snap.prefixCacheQueries = t.prefixCacheQueries;
  snap.prefixCacheHits = t.prefixCacheHits;
}

/** Sum a histogram's series across label sets (engines, models) by bucket bound. */
function histogram(by: Map<string, Sample[]>, name: string): Histogram | undefined {
  const buckets = by.get(`${name}_bucket`);
  if (!buckets || buckets.length === 0) {
    const count = by.get(`${name}_count`);
    // sum/count only (the prompt-length histogram): a one-bucket histogram with its totals.
    return count
      ? {
          bounds: [Infinity],
          counts: [count.reduce((a, s) => a + s.value, 0)],
          sum: (by.get(`${name}_sum`) ?? []).reduce((a, s) => a + s.value, 0),
          count: count.reduce((a, s) => a + s.value, 0),
        }
      : undefined;
  }
  const acc = new Map<number, number>();
  for (const b of buckets) {
    const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
    if (Number.isNaN(le)) continue;
    acc.set(le, (acc.get(le) ?? 0) + b.value);
  }
  const bounds = [...acc.keys()].sort((a, b) => a - b);
  const sumOf = (n: string): number => (by.get(n) ?? []).reduce((a, s) => a + s.value, 0);
  return {
    bounds,
    counts: bounds.map((b) => acc.get(b) as number),
    sum: sumOf(`${name}_sum`),
    count: sumOf(`${name}_count`),
  };
}

/**
 * Prometheus histogram_quantile over bucket DELTAS (linear interpolation inside the bucket, the lower bound
 * of the first bucket taken as 0; a quantile in +Inf returns the highest finite bound). Undefined when empty.
 */
export function quantile(q: number, bounds: number[], counts: ArrayLike<number>): number | undefined {
  const total = counts[counts.length - 1] ?? 0;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const c = counts[i] as number;
    if (c >= rank) {
      const upper = bounds[i] as number;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      if (!Number.isFinite(upper)) return lower;
      const prev = i === 0 ? 0 : (counts[i - 1] as number);
      return c === prev ? upper : lower + ((upper - lower) * (rank - prev)) / (c - prev);
    }
  }
  return bounds.filter(Number.isFinite).pop();
}

/**
 * Squared coefficient of variation (variance ÷ mean²) of the observations behind cumulative bucket counts,
 * each observation taken at its bucket's midpoint (the first bucket from 0; the +Inf bucket at its lower
 * bound, so a long tail is under-, never over-stated). Undefined with fewer than two observations.
 */
export function histogramCv2(bounds: number[], counts: ArrayLike<number>): number | undefined {
  let n = 0;
  let s1 = 0;
  let s2 = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const c = (counts[i] as number) - prevCount;
    prevCount = counts[i] as number;
    if (!(c > 0)) continue;
    const lower = i === 0 ? 0 : (bounds[i - 1] as number);
    const upper = bounds[i] as number;
    const x = Number.isFinite(upper) ? (lower + upper) / 2 : lower;
    n += c;
    s1 += c * x;
    s2 += c * x * x;
  }
  if (n < 2 || !(s1 > 0)) return undefined;
  const mean = s1 / n;
  return Math.max(0, s2 / n / (mean * mean) - 1);
}

/** Cumulative counts b − a per bound (a histogram delta); a reset (any count fell) returns b as the delta. */
export function histogramDelta(a: Histogram | undefined, b: Histogram | undefined): Histogram | undefined {
  if (!b) return undefined;
  if (!a || a.bounds.length !== b.bounds.length || a.bounds.some((x, i) => x !== b.bounds[i])) return undefined;
  if (b.count < a.count || b.counts.some((c, i) => c < (a.counts[i] as number))) return b;
  return {
    bounds: b.bounds,
    counts: b.counts.map((c, i) => c - (a.counts[i] as number)),
    sum: b.sum - a.sum,
    count: b.count - a.count,
  };
}
