/**
 * One benchmark run: the oracle (which also sizes the static fleet), then every policy on the same trace,
 * same engine preset, same router and seed. Returns everything the table, JSON and chart need.
 */
import { runCluster, type Outcome, type Sample } from './cluster.js';
import { latencySeries, summarize, type SeriesPoint, type Summary } from './metrics.js';
import { runOracle, type OracleWindow } from './oracle.js';
import { POLICIES } from './policies/index.js';
import { staticPolicy } from './policies/static.js';
import type { Desired, Policy, PolicyContext, SloTarget } from './policies/types.js';
import { coldStartSeconds } from './presets.js';
import type { RouterName } from './router.js';
import type { SimSettings } from './settings.js';
import type { Trace } from './traffic/types.js';

export interface BenchConfig extends SimSettings {
  trace: Trace;
  scaleToZeroAfterS: number;
  /** Policy names to run (default: all). */
  policies?: string[];
  progress?(line: string): void;
}

export interface PolicyResult {
  name: string;
  summary: Summary;
  gpuHours: number;
  ratioToOracle: number;
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
  };
  oracle: { gpuHours: number; windows: OracleWindow[]; unmet: number; evaluations: number; wallMs: number };
  staticFleet: Desired;
  rows: PolicyResult[];
}

function row(
  name: string,
  cfg: BenchConfig,
  outcomes: Outcome[],
  extra: {
    gpuSeconds: number;
    scaleEvents: number;
    coldStarts: number;
    samples: Sample[];
    wallMs: number;
    events: number;
  },
  oracleGpuS: number,
): PolicyResult {
  return {
    name,
    summary: summarize(outcomes, cfg.slo),
    gpuHours: extra.gpuSeconds / 3600,
    ratioToOracle: oracleGpuS > 0 ? extra.gpuSeconds / oracleGpuS : NaN,
    scaleEvents: extra.scaleEvents,
    coldStarts: extra.coldStarts,
    samples: extra.samples,
    series: latencySeries(outcomes, cfg.slo, cfg.trace.durationS),
    wallMs: extra.wallMs,
    events: extra.events,
  };
}

export function runBenchmark(cfg: BenchConfig): BenchResult {
  const say = cfg.progress ?? (() => undefined);
  const coldStartS = coldStartSeconds(cfg.preset);
  const horizonS = cfg.trace.durationS;
  const common = {
    preset: cfg.preset,
    requests: cfg.trace.requests,
    horizonS,
    router: cfg.router,
    disaggregated: cfg.disaggregated,
    pdThresholdTokens: cfg.pdThresholdTokens,
    seed: cfg.seed,
    maxReplicas: cfg.maxReplicas,
  };
  let t0 = Date.now();
  let lastPct = -1;
  const pct =
    (label: string) =>
    (f: number): void => {
      const p = Math.floor(f * 10) * 10;
      if (p !== lastPct) say(`  ${label}: ${p}% (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      lastPct = p;
    };
  say(`oracle: ${Math.ceil(horizonS / cfg.windowS)} windows of ${cfg.windowS} s`);
  const oracle = runOracle({
    ...common,
    slo: cfg.slo,
    windowS: cfg.windowS,
    attainment: cfg.attainment,
    onProgress: pct('oracle'),
  });
  const oracleWall = Date.now() - t0;
  const oracleSamples: Sample[] = oracle.windows.map((w) => ({
    t: w.start,
    decode: w.fleet.decode,
    prefill: w.fleet.prefill,
    decodeReady: w.fleet.decode,
    prefillReady: w.fleet.prefill,
  }));
  const oracleRow = row(
    'oracle',
    cfg,
    oracle.outcomes,
    {
      gpuSeconds: oracle.gpuSeconds,
      scaleEvents: 0,
      coldStarts: 0,
      samples: oracleSamples,
      wallMs: oracleWall,
      events: oracle.evaluations,
    },
    oracle.gpuSeconds,
  );
  const staticFleet: Desired = {
    decode: Math.max(1, oracle.peak.decode),
    prefill: cfg.disaggregated ? oracle.peak.prefill : 0,
  };
  const ctx: PolicyContext = {
    preset: cfg.preset,
    slo: cfg.slo,
    disaggregated: cfg.disaggregated,
    maxReplicas: cfg.maxReplicas,
    coldStartS,
    scaleToZeroAfterS: cfg.scaleToZeroAfterS,
    initial: { decode: 1, prefill: cfg.disaggregated ? 1 : 0 },
  };
  const runs: Array<{ name: string; policy: Policy; initial: Desired }> = [
    ...POLICIES.filter((p) => !cfg.policies || cfg.policies.includes(p.name)).map((p) => ({
      name: p.name,
      policy: p.create(ctx),
      initial: ctx.initial,
    })),
  ];
  if (!cfg.policies || cfg.policies.includes('static-peak'))
    runs.push({ name: 'static-peak', policy: staticPolicy(staticFleet), initial: staticFleet });
  const rows: PolicyResult[] = [];
  for (const r of runs) {
    say(`${r.name}: simulating ${cfg.trace.requests.length} requests over ${Math.round(horizonS)} s`);
    t0 = Date.now();
    lastPct = -1;
    const res = runCluster({ ...common, policy: r.policy, initial: r.initial, coldStartS, onProgress: pct(r.name) });
    const pr = row(r.name, cfg, res.outcomes, { ...res, wallMs: Date.now() - t0 }, oracle.gpuSeconds);
    if (r.policy.reasons) pr.reasons = Object.fromEntries([...r.policy.reasons].sort((a, b) => b[1] - a[1]));
    rows.push(pr);
  }
  rows.push(oracleRow);
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
    },
    oracle: {
      gpuHours: oracle.gpuSeconds / 3600,
      windows: oracle.windows,
      unmet: oracle.unmet,
      evaluations: oracle.evaluations,
      wallMs: oracleWall,
    },
    staticFleet,
    rows,
  };
}
