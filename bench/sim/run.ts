/**
 * One benchmark run: the oracle (which also sizes the static fleet and the common initial fleet), then every
 * policy on the same trace, same engine preset, same router and seed, all starting from the same warm fleet.
 * Every row's GPU-hours are compared with the oracle's frontier at that row's own attainment ("× oracle at equal
 * attainment"), over the whole run and without the warm-up. Returns everything the table, JSON and charts need.
 */
import { calibratedPrefillTokensPerSec } from './calibrate.js';
import { COLD_START_SPREAD, type Outcome, type Sample } from './cluster.js';
import { latencySeries, summarize, type SeriesPoint, type Summary } from './metrics.js';
import {
  assembleOracle,
  costAtAttainment,
  maxAttainment,
  windowBounds,
  type Frontier,
  type OracleWindow,
} from './oracle/index.js';
import { envelope, type FrontierPoint } from './oracle/frontier.js';
import type { Evaluated } from './oracle/search.js';
import { POLICIES } from './policies/index.js';
import type { Desired, SloTarget } from './policies/types.js';
import { runTasks } from './pool.js';
import { runTask, type Task, type TaskConfig, type TaskResult } from './tasks.js';
import { coldStartSeconds } from '../../model/presets.js';
import type { RouterName } from '../../model/router.js';
import type { SimSettings } from './settings.js';
import type { Trace } from './traffic/types.js';

export interface BenchConfig extends SimSettings {
  trace: Trace;
  scaleToZeroAfterS: number;
  /** Warm-up excluded from the second set of figures (seconds; default 300). */
  warmupS?: number;
  /** Initial fleet of every policy and of the oracle's first window (default: the oracle's window-0 fleet). */
  initial?: Desired;
  /** Policy names to run (default: all). */
  policies?: string[];
  /** Worker threads (default 1: everything in this thread); results do not depend on it. */
  jobs?: number;
  /**
   * kserve-llmd.io/prefill-throughput for ours: 'calibrated' (default) = what llm-d's calibrate.sh would print for
   * this engine and path (calibrate.ts), 'unset' = no annotation (the autoscaler's default), or tokens/s.
   */
  prefillThroughput?: 'calibrated' | 'unset' | number;
  /** Every cold start exactly the preset's (default: drawn per pod around it, cluster.ts COLD_START_SPREAD). */
  fixedColdStart?: boolean;
  progress?(line: string): void;
}

export interface PolicyResult {
  name: string;
  summary: Summary;
  gpuHours: number;
  /** GPU-hours ÷ the oracle frontier's GPU-hours at this row's attainment (NaN above the oracle's best). */
  ratioToOracle: number;
  /** The same figures without the warm-up (requests arriving, GPU time billed, from warmupS on). */
  afterWarmup: { attainment: number; gpuHours: number; ratioToOracle: number };
  scaleEvents: number;
  coldStarts: number;
  samples: Sample[];
  series: SeriesPoint[];
  reasons?: Record<string, number>;
  wallMs: number;
  events: number;
}

export interface BenchResult {
  config: {
    trace: string;
    requests: number;
    durationS: number;
    model: string;
    tp: number;
    slo: SloTarget;
    router: RouterName;
    disaggregated: boolean;
    pdThresholdTokens: number;
    seed: number;
    maxReplicas: number;
    windowS: number;
    attainment: number;
    coldStartS: number;
    scaleToZeroAfterS: number;
    warmupS: number;
    coldStart: 'fixed' | { medianS: number; sigma: number; minS: number; maxS: number };
    /** The kserve-llmd.io/prefill-throughput ours ran with (null: unset). */
    prefillThroughput: number | null;
    jobs: number;
    /** Wall time of the whole run. */
    wallMs: number;
  };
  oracle: {
    gpuHours: number;
    windows: OracleWindow[];
    unmet: number;
    evaluations: number;
    wallMs: number;
    frontier: Frontier;
    frontierAfterWarmup: Frontier;
    maxAttainment: number;
    /** The windows' frontier alone (before the envelope) and its best attainment. */
    windowFrontier: Frontier;
    windowMaxAttainment: number;
    /** The runs `frontier` is also the lower envelope of (every row but the oracle's, and the replay). */
    boundRuns: string[];
    /** The smaller static fleets the frontier is also the lower envelope of (smallerFleets). */
    staticFleets: Array<{ fleet: Desired; attainment: number; gpuHours: number }>;
    /** The oracle's schedule replayed continuously over the whole trace (no cold start). */
    replay: {
      attainment: number;
      gpuHours: number;
      ratioToOracle: number;
      afterWarmup: PolicyResult['afterWarmup'];
      wallMs: number;
    };
  };
  initial: Desired;
  staticFleet: Desired;
  rows: PolicyResult[];
}

interface Frontiers {
  frontier: Frontier;
  frontierAfterWarmup: Frontier;
}

/** GPU-seconds ÷ the frontier's at the same attainment; NaN when the oracle cannot reach that attainment. */
function ratio(gpuSeconds: number, f: Frontier, attainment: number): number {
  const c = costAtAttainment(f, attainment - 1e-12);
  return c > 0 ? gpuSeconds / c : NaN;
}

function row(
  name: string,
  cfg: BenchConfig,
  outcomes: Outcome[],
  extra: {
    gpuSeconds: number;
    gpuSecondsAfterWarmup: number;
    scaleEvents: number;
    coldStarts: number;
    samples: Sample[];
    wallMs: number;
    events: number;
  },
): PolicyResult {
  const summary = summarize(outcomes, cfg.slo);
  const warmupS = cfg.warmupS ?? DEFAULT_WARMUP_S;
  const late = summarize(
    outcomes.filter((x) => x.arrival >= warmupS),
    cfg.slo,
  );
  return {
    name,
    summary,
    gpuHours: extra.gpuSeconds / 3600,
    ratioToOracle: NaN,
    afterWarmup: { attainment: late.attainment, gpuHours: extra.gpuSecondsAfterWarmup / 3600, ratioToOracle: NaN },
    scaleEvents: extra.scaleEvents,
    coldStarts: extra.coldStarts,
    samples: extra.samples,
    series: latencySeries(outcomes, cfg.slo, cfg.trace.durationS),
    wallMs: extra.wallMs,
    events: extra.events,
  };
}

/** A run as a point of the cost–miss plane: over the whole trace, or from the warm-up on. */
function point(r: PolicyResult, late: boolean, lateRequests: number): FrontierPoint {
  return late
    ? { misses: (1 - r.afterWarmup.attainment) * lateRequests, cost: r.afterWarmup.gpuHours * 3600 }
    : { misses: (1 - r.summary.attainment) * r.summary.requests, cost: r.gpuHours * 3600 };
}

/** Every row's "× oracle", against the envelope (the same figures the frontier is built from). */
function setRatios(rows: PolicyResult[], f: Frontiers): void {
  for (const r of rows) {
    r.ratioToOracle = ratio(r.gpuHours * 3600, f.frontier, r.summary.attainment);
    r.afterWarmup.ratioToOracle = ratio(r.afterWarmup.gpuHours * 3600, f.frontierAfterWarmup, r.afterWarmup.attainment);
  }
}

export const DEFAULT_WARMUP_S = 300;

export async function runBenchmark(cfg: BenchConfig): Promise<BenchResult> {
  const say = cfg.progress ?? (() => undefined);
  const coldStartS = coldStartSeconds(cfg.preset);
  const horizonS = cfg.trace.durationS;
  // The warm-up ends at a window boundary, so the oracle's windows and the policies' figures cover the same span.
  const warmupS = Math.min(horizonS, Math.ceil((cfg.warmupS ?? DEFAULT_WARMUP_S) / cfg.windowS) * cfg.windowS);
  const c: BenchConfig = { ...cfg, warmupS };
  const prefillThroughput = resolvePrefillThroughput(cfg);
  const tc = taskConfig(cfg, warmupS, coldStartS, prefillThroughput);
  const t0 = Date.now();
  const secs = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const bounds = windowBounds(tc.requests, horizonS, cfg.windowS);
  // Window 0 first: its fewest-miss fleet is every policy's initial fleet (the equal start).
  const first = runTask(tc, { kind: 'window', index: 0, ...(cfg.initial ? { initial: cfg.initial } : {}) });
  if (first.kind !== 'window') throw new Error('window task returned a policy result');
  const initial = cfg.initial ?? (first.hull[0] as Evaluated).fleet;
  if (!cfg.initial) first.hull = [first.hull[0] as Evaluated];
  say(`oracle: ${bounds.length} windows of ${cfg.windowS} s; initial fleet ${fleetText(initial)} (${secs()})`);
  const names = POLICIES.map((p) => p.name).filter((n) => !cfg.policies || cfg.policies.includes(n));
  // Slowest first: ours renders and parses every pod's /metrics each second; then the other policies, then windows.
  const tasks: Task[] = [
    ...names.map((name) => ({ kind: 'policy' as const, name, initial })),
    ...bounds.slice(1).map((b) => ({ kind: 'window' as const, index: b.index })),
  ];
  let windowsDone = 1;
  const results = await runTasks(tc, tasks, cfg.jobs ?? 1, (r) => {
    if (r.kind === 'policy') say(`${r.name}: done in ${(r.wallMs / 1000).toFixed(1)} s (${secs()})`);
    else if (++windowsDone % 10 === 0 || windowsDone === bounds.length)
      say(`oracle: ${windowsDone}/${bounds.length} windows (${secs()})`);
  });
  const { oracle, oracleMs } = collectOracle(tc, bounds, first, results);
  const staticFleet: Desired = {
    decode: Math.max(1, oracle.peak.decode),
    prefill: cfg.disaggregated ? oracle.peak.prefill : 0,
  };
  const runs: TaskResult[] = results.filter((r) => r.kind === 'policy');
  const { more, smaller, withStatic } = feasibleTasks(cfg, staticFleet, oracle.windows);
  const moreRuns = await runTasks(tc, more, cfg.jobs ?? 1);
  if (withStatic) runs.push(moreRuns.shift() as TaskResult);
  const replayRun = moreRuns.shift();
  const toRow = (r: TaskResult | undefined): PolicyResult => {
    if (r?.kind !== 'policy') throw new Error('unexpected task result');
    const pr = row(r.name, c, r.run.outcomes, { ...r.run, wallMs: r.wallMs });
    if (r.reasons) pr.reasons = r.reasons;
    return pr;
  };
  const rows: PolicyResult[] = runs.map(toRow);
  const replay = toRow(replayRun);
  const oracleRowResult = oracleRow(c, oracle, oracleMs);
  rows.push(oracleRowResult);
  const statics = moreRuns.map(toRow);
  const feasible = [...rows.filter((r) => r !== oracleRowResult), replay, ...statics];
  const lateRequests = oracle.frontierAfterWarmup.requests;
  const bound: Frontiers = {
    frontier: envelope(
      oracle.frontier,
      feasible.map((r) => point(r, false, lateRequests)),
    ),
    frontierAfterWarmup: envelope(
      oracle.frontierAfterWarmup,
      feasible.map((r) => point(r, true, lateRequests)),
    ),
  };
  setRatios([...rows, replay], bound);
  return {
    config: {
      trace: cfg.trace.name,
      requests: cfg.trace.requests.length,
      durationS: horizonS,
      model: cfg.preset.id,
      tp: cfg.preset.tp,
      slo: cfg.slo,
      router: cfg.router,
      disaggregated: cfg.disaggregated,
      pdThresholdTokens: cfg.pdThresholdTokens,
      seed: cfg.seed,
      maxReplicas: cfg.maxReplicas,
      windowS: cfg.windowS,
      attainment: cfg.attainment,
      coldStartS,
      scaleToZeroAfterS: cfg.scaleToZeroAfterS,
      warmupS,
      coldStart: cfg.fixedColdStart ? 'fixed' : { medianS: coldStartS, ...COLD_START_SPREAD },
      prefillThroughput: prefillThroughput ?? null,
      jobs: cfg.jobs ?? 1,
      wallMs: Date.now() - t0,
    },
    oracle: {
      gpuHours: oracle.gpuSeconds / 3600,
      windows: oracle.windows,
      unmet: oracle.unmet,
      evaluations: oracle.evaluations,
      wallMs: oracleMs,
      frontier: bound.frontier,
      frontierAfterWarmup: bound.frontierAfterWarmup,
      maxAttainment: maxAttainment(bound.frontier),
      windowFrontier: oracle.frontier,
      windowMaxAttainment: maxAttainment(oracle.frontier),
      boundRuns: [...rows.filter((r) => r !== oracleRowResult), replay].map((r) => r.name),
      staticFleets: statics.map((r, i) => ({
        fleet: smaller[i] as Desired,
        attainment: r.summary.attainment,
        gpuHours: r.gpuHours,
      })),
      replay: {
        attainment: replay.summary.attainment,
        gpuHours: replay.gpuHours,
        ratioToOracle: replay.ratioToOracle,
        afterWarmup: replay.afterWarmup,
        wallMs: replay.wallMs,
      },
    },
    initial,
    staticFleet,
    rows,
  };
}

function taskConfig(cfg: BenchConfig, warmupS: number, coldStartS: number, prefillThroughput?: number): TaskConfig {
  return {
    preset: cfg.preset,
    slo: cfg.slo,
    router: cfg.router,
    disaggregated: cfg.disaggregated,
    pdThresholdTokens: cfg.pdThresholdTokens,
    seed: cfg.seed,
    maxReplicas: cfg.maxReplicas,
    windowS: cfg.windowS,
    attainment: cfg.attainment,
    requests: cfg.trace.requests,
    horizonS: cfg.trace.durationS,
    warmupS,
    coldStartS,
    scaleToZeroAfterS: cfg.scaleToZeroAfterS,
    ...(cfg.fixedColdStart ? { fixedColdStart: true } : {}),
    ...(prefillThroughput !== undefined ? { prefillThroughput } : {}),
  };
}

/** The windows' hulls (window 0 from this thread, the others from the pool) → the oracle. */
function collectOracle(
  tc: TaskConfig,
  bounds: ReturnType<typeof windowBounds>,
  first: { hull: Evaluated[]; evaluations: number; wallMs: number },
  results: TaskResult[],
) {
  const hulls: Evaluated[][] = [first.hull];
  let evaluations = first.evaluations;
  let oracleMs = first.wallMs;
  for (const r of results)
    if (r.kind === 'window') {
      hulls[r.index] = r.hull;
      evaluations += r.evaluations;
      oracleMs += r.wallMs;
    }
  return { oracle: assembleOracle(tc, bounds, hulls, evaluations), oracleMs };
}

function resolvePrefillThroughput(cfg: BenchConfig): number | undefined {
  const pt = cfg.prefillThroughput ?? 'calibrated';
  if (pt === 'unset') return undefined;
  return pt === 'calibrated' ? Math.round(calibratedPrefillTokensPerSec(cfg.preset, cfg.disaggregated)) : pt;
}

/** The oracle's own row: its goal schedule, billed per window. */
function oracleRow(c: BenchConfig, oracle: ReturnType<typeof assembleOracle>, wallMs: number): PolicyResult {
  const horizonS = c.trace.durationS;
  const cost = (w: OracleWindow): number =>
    (w.fleet.decode + w.fleet.prefill) * c.preset.tp * (Math.min(horizonS, w.start + c.windowS) - w.start);
  return row('oracle', c, oracle.outcomes, {
    gpuSeconds: oracle.gpuSeconds,
    gpuSecondsAfterWarmup: oracle.windows
      .filter((w) => w.start >= (c.warmupS ?? 0))
      .reduce((sum, w) => sum + cost(w), 0),
    scaleEvents: 0,
    coldStarts: 0,
    samples: oracle.windows.map((w) => ({
      t: w.start,
      decode: w.fleet.decode,
      prefill: w.fleet.prefill,
      decodeReady: w.fleet.decode,
      prefillReady: w.fleet.prefill,
    })),
    wallMs,
    events: oracle.evaluations,
  });
}

/**
 * The runs the bound is also built from (after the policies'): the static peak fleet (when asked for), the
 * oracle's schedule replayed over the whole trace (caches and queues carried across windows, no cold start), and
 * every smaller static fleet on the way to the static one (see oracle/frontier.ts envelope).
 */
function feasibleTasks(cfg: BenchConfig, staticFleet: Desired, windows: readonly OracleWindow[]) {
  const smaller = smallerFleets(staticFleet);
  const withStatic = !cfg.policies || cfg.policies.includes('static-peak');
  const more: Task[] = [
    ...(withStatic ? [{ kind: 'static' as const, fleet: staticFleet }] : []),
    { kind: 'schedule', name: 'oracle-schedule', fleets: windows.map((w) => w.fleet) },
    ...smaller.map((fleet) => ({ kind: 'static' as const, fleet })),
  ];
  return { more, smaller, withStatic };
}

/**
 * The static fleets below the peak one, on the line from nothing to it: k = 1 … K − 1 of K = its largest role,
 * each role at ⌈k · its peak / K⌉ (aggregated: 1 … peak − 1 replicas).
 */
export function smallerFleets(peak: Desired): Desired[] {
  const k = Math.max(peak.decode, peak.prefill);
  const out: Desired[] = [];
  for (let i = 1; i < k; i++)
    out.push({ decode: Math.max(1, Math.ceil((i * peak.decode) / k)), prefill: Math.ceil((i * peak.prefill) / k) });
  return out;
}

export function fleetText(f: Desired): string {
  return f.prefill > 0
    ? `${f.decode} decode + ${f.prefill} prefill`
    : `${f.decode} replica${f.decode === 1 ? '' : 's'}`;
}
