/**
 * The benchmark's outputs: the text table (one row per policy), the goal verdict and the JSON result.
 * Goal (issue 6): ours serves ≥ 99% of requests within the SLO, with ≤ 0.8× the GPU-hours of the best
 * baseline reaching the same attainment, and ≤ 1.3× the oracle.
 */
import type { BenchResult, PolicyResult } from './run.js';

const BASELINES = ['knative-kpa', 'keda-hpa', 'llm-d-wva', 'dynamo-load', 'static-peak'];

const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '—');

export const COLUMNS = [
  'policy',
  'requests',
  'TTFT p50 ms',
  'TTFT p99 ms',
  'ITL p50 ms',
  'ITL p99 ms',
  '% within SLO',
  'GPU-hours',
  '× oracle',
  'scale events',
  'cold starts',
  'waited on cold start',
];

export function cells(r: PolicyResult): string[] {
  const s = r.summary;
  return [
    r.name,
    String(s.requests),
    f0(s.ttftP50Ms),
    f0(s.ttftP99Ms),
    f1(s.itlP50Ms),
    f1(s.itlP99Ms),
    (100 * s.attainment).toFixed(2),
    r.gpuHours.toFixed(2),
    Number.isFinite(r.ratioToOracle) ? r.ratioToOracle.toFixed(2) : '—',
    String(r.scaleEvents),
    String(r.coldStarts),
    String(s.waitedColdStart),
  ];
}

export function textTable(result: BenchResult): string[] {
  const rows = [COLUMNS, ...result.rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows.map((r, j) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join(j === 0 ? '  ' : '  '),
  );
}

export function markdownTable(result: BenchResult): string[] {
  return [
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...result.rows.map((r) => `| ${cells(r).join(' | ')} |`),
  ];
}

export interface Verdict {
  met: boolean;
  lines: string[];
}

/**
 * The goal, checked on this run. "Attainable" = the oracle's attainment (some requests cannot meet the SLO on
 * any fleet).
 */
export function verdict(result: BenchResult): Verdict {
  const ours = result.rows.find((r) => r.name === 'ours');
  const oracle = result.rows.find((r) => r.name === 'oracle');
  if (!ours || !oracle) return { met: false, lines: ['goal: not evaluated (ours or oracle not run)'] };
  const target = result.config.attainment;
  const a = ours.summary.attainment;
  const peers = result.rows.filter((r) => BASELINES.includes(r.name) && r.summary.attainment >= a - 1e-9);
  const best = peers.sort((x, y) => x.gpuHours - y.gpuHours)[0];
  const ratioBest = best ? ours.gpuHours / best.gpuHours : NaN;
  const okAttain = a >= target;
  const okBest = best === undefined || ratioBest <= 0.8;
  const okOracle = ours.ratioToOracle <= 1.3;
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `goal 1 (≥ ${pct(target)} within SLO): ours ${pct(a)} ` +
      `— ${okAttain ? 'met' : 'NOT met'} (oracle ` +
      (`reaches ${pct(oracle.summary.attainment)}` +
        (result.oracle.unmet > 0
          ? `; ${result.oracle.unmet} window(s) have requests ` + `no fleet ≤ max can serve within the SLO`
          : '') +
        ')'),
    best
      ? `goal 2 (≤ 0.8× GPU-hours of the best baseline at the same ` +
        `attainment): best is ${best.name} ` +
        `at ${pct(best.summary.attainment)} ` +
        `with ${best.gpuHours.toFixed(2)} GPU-h; ` +
        `ours ${ratioBest.toFixed(2)}× ` +
        `— ${okBest ? 'met' : 'NOT met'}`
      : `goal 2: no baseline reaches ours' attainment (${pct(a)}) — met by default`,
    `goal 3 (≤ 1.3× oracle GPU-hours): ours ${ours.ratioToOracle.toFixed(2)}× — ${okOracle ? 'met' : 'NOT met'}`,
  ];
  return { met: okAttain && okBest && okOracle, lines };
}

/** JSON result: config, oracle windows, rows with summaries, time series and decision reasons. */
export function jsonResult(result: BenchResult): string {
  return (
    JSON.stringify(
      { ...result, verdict: verdict(result) },
      (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      1,
    ) + '\n'
  );
}
