/**
 * Per-request outcomes → the benchmark's figures. A request meets the SLO when it finished, its TTFT
 * (arrival → first token, including any buffering and cold start) is within the TTFT target, and its
 * mean inter-token latency (TPOT: (finish − first token)/(output − 1), DistServe's definition) is within
 * the ITL target. "ITL" in the table is that per-request mean.
 */
import type { Outcome } from './cluster.js';
import type { SloTarget } from './policies/types.js';

export interface Summary {
  requests: number;
  finished: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  itlP50Ms: number;
  itlP99Ms: number;
  withinSlo: number;
  /** Fraction within SLO, 0..1. */
  attainment: number;
  waitedColdStart: number;
  remotePrefill: number;
}

export function ttftS(o: Outcome): number {
  return o.firstTokenAt - o.arrival;
}

export function tpotS(o: Outcome): number {
  return o.outputTokens > 1 ? (o.finishedAt - o.firstTokenAt) / (o.outputTokens - 1) : 0;
}

export function meetsSlo(o: Outcome, slo: SloTarget): boolean {
  return o.ok && Number.isFinite(o.finishedAt) && ttftS(o) * 1000 <= slo.ttftMs && tpotS(o) * 1000 <= slo.itlMs;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

function sortedOf(xs: number[]): Float64Array {
  return Float64Array.from(xs).sort();
}

export function summarize(outcomes: readonly Outcome[], slo: SloTarget): Summary {
  const done = outcomes.filter((o) => o.ok && Number.isFinite(o.finishedAt));
  const ttft = sortedOf(done.map(ttftS));
  const itl = sortedOf(done.map(tpotS));
  const within = outcomes.filter((o) => meetsSlo(o, slo)).length;
  return {
    requests: outcomes.length,
    finished: done.length,
    ttftP50Ms: percentile(ttft, 0.5) * 1000,
    ttftP99Ms: percentile(ttft, 0.99) * 1000,
    itlP50Ms: percentile(itl, 0.5) * 1000,
    itlP99Ms: percentile(itl, 0.99) * 1000,
    withinSlo: within,
    attainment: outcomes.length > 0 ? within / outcomes.length : 1,
    waitedColdStart: outcomes.filter((o) => o.waitedColdStart).length,
    remotePrefill: outcomes.filter((o) => o.remotePrefill).length,
  };
}

export interface SeriesPoint {
  t: number;
  requests: number;
  ttftP99Ms: number;
  itlP99Ms: number;
  attainment: number;
}

/** Latency over time: requests bucketed by arrival (bucketS), p99 TTFT/ITL and attainment per bucket. */
export function latencySeries(
  outcomes: readonly Outcome[],
  slo: SloTarget,
  horizonS: number,
  bucketS = 60,
): SeriesPoint[] {
  const n = Math.max(1, Math.ceil(horizonS / bucketS));
  const buckets: Outcome[][] = Array.from({ length: n }, () => []);
  for (const o of outcomes) (buckets[Math.min(n - 1, Math.floor(o.arrival / bucketS))] as Outcome[]).push(o);
  return buckets.map((b, i) => {
    const done = b.filter((o) => o.ok && Number.isFinite(o.finishedAt));
    return {
      t: i * bucketS,
      requests: b.length,
      ttftP99Ms: percentile(sortedOf(done.map(ttftS)), 0.99) * 1000,
      itlP99Ms: percentile(sortedOf(done.map(tpotS)), 0.99) * 1000,
      attainment: b.length > 0 ? b.filter((o) => meetsSlo(o, slo)).length / b.length : 1,
    };
  });
}
