/**
 * The units of work of a benchmark run, each independent of the others and deterministic for its inputs, so the
 * same results come out whether they run one after another in this thread or spread over worker threads
 * (pool.ts): one oracle window's search, or one policy's run over the whole trace. Inputs and results are plain
 * data (structured-clone safe).
 */
import { COLD_START_SPREAD, runCluster, type ClusterOptions, type ClusterResult } from './cluster.js';
import { searchWindow, windowBounds, type OracleOptions } from './oracle/index.js';
import type { Evaluated } from './oracle/search.js';
import { POLICIES } from './policies/index.js';
import { staticPolicy } from './policies/static.js';
import type { Desired, Policy, PolicyContext } from './policies/types.js';

/** Follows a per-window schedule: window w's fleet from w·windowS on (the last one until the run ends). */
export function schedulePolicy(fleets: readonly Desired[], windowS: number): Policy {
  return {
    name: 'oracle-schedule',
    step: (obs) => fleets[Math.min(fleets.length - 1, Math.floor(obs.now / windowS))],
  };
}

export interface TaskConfig extends OracleOptions {
  warmupS: number;
  /** Median cold start; each policy pod's is drawn around it (cluster.ts COLD_START_SPREAD) unless fixed. */
  coldStartS: number;
  fixedColdStart?: boolean;
  scaleToZeroAfterS: number;
  /** kserve-llmd.io/prefill-throughput for ours (tokens/s per replica); undefined = unset. */
  prefillThroughput?: number;
}

export type Task =
  | { kind: 'window'; index: number; initial?: Desired }
  | { kind: 'policy'; name: string; initial: Desired }
  | { kind: 'static'; fleet: Desired }
  /** The oracle's schedule (one fleet per window) replayed over the whole trace, no cold start. */
  | { kind: 'schedule'; name: string; fleets: Desired[] };

export type TaskResult =
  | { kind: 'window'; index: number; hull: Evaluated[]; evaluations: number; wallMs: number }
  | {
      kind: 'policy';
      name: string;
      run: Omit<ClusterResult, 'outcomes'> & { outcomes: ClusterResult['outcomes'] };
      reasons?: Record<string, number>;
      wallMs: number;
    };

/** What every fleet run of the benchmark shares: the trace, the engine, routing and bounds. */
function clusterBase(c: TaskConfig): Omit<ClusterOptions, 'policy' | 'initial' | 'coldStartS'> {
  return {
    preset: c.preset,
    requests: c.requests,
    horizonS: c.horizonS,
    router: c.router,
    disaggregated: c.disaggregated,
    pdThresholdTokens: c.pdThresholdTokens,
    seed: c.seed,
    maxReplicas: c.maxReplicas,
    warmupS: c.warmupS,
  };
}

function clusterRun(c: TaskConfig, name: string, initial: Desired, fleet?: Desired) {
  const ctx: PolicyContext = {
    preset: c.preset,
    slo: c.slo,
    disaggregated: c.disaggregated,
    maxReplicas: c.maxReplicas,
    coldStartS: c.coldStartS,
    scaleToZeroAfterS: c.scaleToZeroAfterS,
    initial,
    ...(c.prefillThroughput !== undefined ? { prefillThroughput: c.prefillThroughput } : {}),
  };
  const factory = POLICIES.find((p) => p.name === name);
  const policy = fleet ? staticPolicy(fleet) : factory?.create(ctx);
  if (!policy) throw new Error(`unknown policy ${name}`);
  const run = runCluster({
    ...clusterBase(c),
    policy,
    flowControl: policy.flowControl === true,
    initial: fleet ?? initial,
    coldStartS: c.coldStartS,
    ...(c.fixedColdStart ? {} : { coldStartSpread: COLD_START_SPREAD }),
  });
  const reasons = policy.reasons ? Object.fromEntries([...policy.reasons].sort((a, b) => b[1] - a[1])) : undefined;
  return { run, ...(reasons ? { reasons } : {}) };
}

export function runTask(c: TaskConfig, t: Task): TaskResult {
  const t0 = Date.now();
  if (t.kind === 'window') {
    const b = windowBounds(c.requests, c.horizonS, c.windowS)[t.index];
    if (!b) throw new Error(`no window ${t.index}`);
    const { hull, evaluations } = searchWindow(c, b, t.initial);
    return { kind: 'window', index: t.index, hull, evaluations, wallMs: Date.now() - t0 };
  }
  if (t.kind === 'schedule') {
    const run = runCluster({
      ...clusterBase(c),
      policy: schedulePolicy(t.fleets, c.windowS),
      initial: t.fleets[0] ?? { decode: 0, prefill: 0 },
      coldStartS: 0,
    });
    return { kind: 'policy', name: t.name, run, wallMs: Date.now() - t0 };
  }
  const r = t.kind === 'static' ? clusterRun(c, 'static-peak', t.fleet, t.fleet) : clusterRun(c, t.name, t.initial);
  return { kind: 'policy', name: t.kind === 'static' ? 'static-peak' : t.name, ...r, wallMs: Date.now() - t0 };
}
