/**
 * Oracle lower bound: with perfect foresight and free, instant scaling, the least GPU time per interval for a given
 * number of missed requests. The trace is cut into windows (60 s; the last one takes every request up to and at
 * the horizon); each window's requests are replayed on warm fixed fleets (search.ts), giving per window a curve of
 * cost against misses; the frontier (frontier.ts) combines them into the least total cost at every attainment.
 * The oracle row of the table is the schedule that meets the goal attainment (or the best it can reach).
 *
 * Why it is a lower bound: no cold start, no drain, no carry-over of load between windows (each window starts with
 * empty queues), caches warm with the previous requests, misses placed optimally across windows, and the frontier
 * between schedules is the convex relaxation. What it does not idealise away: a window's fleet is fixed for the
 * window (it cannot follow load inside a minute), and a window with requests keeps at least one decode replica.
 * Equal start: window 0 runs the fleet every policy starts with (run.ts), so no one starts better sized.
 */
import type { Outcome } from '../cluster.js';
import type { Desired } from '../policies/types.js';
import type { SimSettings } from '../settings.js';
import type { TraceRequest } from '../traffic/types.js';
import { buildFrontier, costAtMisses, lowerHull, maxAttainment, scheduleWithin, type Frontier } from './frontier.js';
import { shifted, WindowSearch, type Evaluated } from './search.js';

export interface OracleOptions extends SimSettings {
  requests: readonly TraceRequest[];
  horizonS: number;
  /** Fleet of window 0 (the initial fleet of every policy); default: window 0 is searched like the others. */
  initial?: Desired;
  /** Figures excluding the first warmupS seconds (windows starting before it) are reported as well. */
  warmupS?: number;
  onProgress?(fraction: number): void;
}

export interface OracleWindow {
  start: number;
  requests: number;
  fleet: Desired;
  misses: number;
  /** The window's cost–miss options on its lower hull (fleet, misses), fewest misses first. */
  hull: Array<{ fleet: Desired; misses: number }>;
}

export interface OracleResult {
  windows: OracleWindow[];
  gpuSeconds: number;
  outcomes: Outcome[];
  /** Least GPU-seconds at every number of misses. */
  frontier: Frontier;
  /** The same over the windows from warmupS on. */
  frontierAfterWarmup: Frontier;
  /** Largest fewest-miss fleet over all windows: the static fleet sized for the peak. */
  peak: Desired;
  /** Fewest-miss fleet of window 0 (what run.ts starts every policy with). */
  firstFleet: Desired;
  /** Windows where even maxReplicas missed some requests. */
  unmet: number;
  evaluations: number;
}

/** The windows of a trace: [start, end) each, the last one closed at the horizon and taking every later request. */
export function windowBounds(requests: readonly TraceRequest[], horizonS: number, windowS: number) {
  const n = Math.max(1, Math.ceil(horizonS / windowS));
  const out: Array<{ index: number; start: number; end: number; lo: number; hi: number }> = [];
  let lo = 0;
  for (let w = 0; w < n; w++) {
    const start = w * windowS;
    const end = Math.min(horizonS, start + windowS);
    let hi = lo;
    if (w === n - 1) hi = requests.length;
    else while (hi < requests.length && (requests[hi] as TraceRequest).arrival < end) hi++;
    out.push({ index: w, start, end, lo, hi });
    lo = hi;
  }
  return out;
}

export type WindowBounds = ReturnType<typeof windowBounds>[number];

/**
 * One window's options on its lower hull, fewest misses first. Window 0 with `initial` keeps only that fleet (the
 * equal start); without it, window 0 is searched like the others and its fewest-miss fleet becomes the initial one.
 */
export function searchWindow(
  o: OracleOptions,
  b: WindowBounds,
  initial?: Desired,
): { hull: Evaluated[]; evaluations: number } {
  const search = new WindowSearch(o, { ...b, all: o.requests });
  const forced = b.index === 0 && initial && search.requests > 0 ? initial : undefined;
  const hull = lowerHull(search.search(forced)).map((e) => shifted(e, b.start));
  return { hull, evaluations: search.evaluations };
}

/** Combine the windows' hulls: frontier, the goal's schedule, the static peak. */
export function assembleOracle(o: OracleOptions, bounds: WindowBounds[], hulls: Evaluated[][], evaluations: number) {
  const total = o.requests.length;
  const frontier = buildFrontier(hulls, total);
  const warm = bounds.filter((b) => b.start >= (o.warmupS ?? 0));
  const frontierAfterWarmup = buildFrontier(
    warm.map((b) => hulls[b.index] as Evaluated[]),
    warm.reduce((s, b) => s + (b.hi - b.lo), 0),
  );
  // The goal's schedule; when the goal is out of reach, the fewest-miss one.
  const budget = Math.max(Math.floor((1 - o.attainment) * total + 1e-9), frontier.points[0]?.misses ?? 0);
  const pick = scheduleWithin(hulls, budget);
  const windows: OracleWindow[] = [];
  const outcomes: Outcome[] = [];
  const peak: Desired = { decode: 0, prefill: 0 };
  let gpuSeconds = 0;
  let unmet = 0;
  hulls.forEach((h, w) => {
    const x = h[pick[w] as number] as Evaluated;
    const top = h[0] as Evaluated;
    peak.decode = Math.max(peak.decode, top.fleet.decode);
    peak.prefill = Math.max(peak.prefill, top.fleet.prefill);
    if (top.misses > 0) unmet++;
    gpuSeconds += x.cost;
    windows.push({
      start: (bounds[w] as WindowBounds).start,
      requests: x.outcomes.length,
      fleet: x.fleet,
      misses: x.misses,
      hull: h.map((e) => ({ fleet: e.fleet, misses: e.misses })),
    });
    outcomes.push(...x.outcomes);
  });
  const firstFleet = (hulls[0]?.[0] as Evaluated | undefined)?.fleet ?? { decode: 0, prefill: 0 };
  return { windows, gpuSeconds, outcomes, frontier, frontierAfterWarmup, peak, firstFleet, unmet, evaluations };
}

/** The whole oracle in this thread (run.ts spreads the windows over workers instead). */
export function runOracle(o: OracleOptions): OracleResult {
  const bounds = windowBounds(o.requests, o.horizonS, o.windowS);
  const hulls: Evaluated[][] = [];
  let evaluations = 0;
  let initial = o.initial;
  for (const b of bounds) {
    const r = searchWindow(o, b, initial);
    if (b.index === 0 && !initial) {
      initial = (r.hull[0] as Evaluated).fleet;
      r.hull = [r.hull[0] as Evaluated];
    }
    hulls.push(r.hull);
    evaluations += r.evaluations;
    o.onProgress?.((b.index + 1) / bounds.length);
  }
  return assembleOracle(o, bounds, hulls, evaluations);
}

export { costAtMisses, maxAttainment };
export { costAtAttainment, type Frontier } from './frontier.js';
