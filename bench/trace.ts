/**
 * `kserve-llmd bench --trace FILE --model llama3-8b --slo ttft=2s,itl=100ms` (npm run bench -- …): replay a
 * trace (or synthetic traffic) against simulated vLLM fleets, once per autoscaling policy plus the oracle,
 * and print one row per policy. Writes <out>/<name>.json and <out>/<name>.svg. Progress goes to stderr.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { UsageError, type FlagValues } from '../src/cli-args.js';
import { ANNOTATIONS } from '../core/annotations/registry.js';
import { defaultSettings } from '../core/annotations/settings.js';
import { parseDuration } from '../core/annotations/values.js';
import type { BenchEntry } from './registry.js';
import { POLICIES } from './sim/policies/index.js';
import type { SloTarget } from './sim/policies/types.js';
import { PRESETS, type EnginePreset } from '../model/presets.js';
import { jsonResult, textTable, verdict } from './sim/report.js';
import { ROUTERS, type RouterName } from '../model/router.js';
import { fleetText, runBenchmark, type BenchResult } from './sim/run.js';
import { svgChart } from './sim/svg.js';
import { frontierSvg } from './sim/svg-frontier.js';
import { loadTraffic, TraceError, type Trace } from './sim/traffic/index.js';

/** `--slo` uses the kserve-llmd.io/slo annotation's own parser, so the forms and limits are the same. */
export function parseSloFlag(value: string): SloTarget {
  const spec = ANNOTATIONS.find((a) => a.name === 'slo');
  const settings = defaultSettings();
  const error = spec?.parse(value, settings);
  if (error) throw new UsageError(`--slo ${value}: ${error} (accepted: ${spec?.accepted})`);
  return { ...settings.slo };
}

function durationFlag(name: string, value: FlagValues[string], min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(String(value));
  if (!ms.ok || ms.value < min * 1000 || ms.value > max * 1000)
    throw new UsageError(
      `--${name} ${String(value)}: must be a duration in [${min}s, ${max / 3600}h], e.g. 90s, 10m, 1h`,
    );
  return ms.value / 1000;
}

function numberFlag(name: string, value: FlagValues[string], min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} ${String(value)}: must be a number in [${min}, ${max}]`);
  return n;
}

function prefillThroughputFlag(value: string): 'calibrated' | 'unset' | number {
  if (value === 'calibrated' || value === 'unset') return value;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 100 || n > 10_000_000)
    throw new UsageError(`--prefill-throughput ${value}: must be calibrated, unset or an integer in [100, 10000000]`);
  return n;
}

/** The engine preset, with --flops-efficiency replacing the fitted prefill efficiency (a sensitivity run). */
function presetOf(v: FlagValues): EnginePreset {
  const preset = PRESETS[String(v.model)] as EnginePreset;
  if (v['flops-efficiency'] === undefined) return preset;
  return { ...preset, flopsEfficiency: numberFlag('flops-efficiency', v['flops-efficiency'], 0.05, 1) };
}

/** Trace file or synthetic spec, with the rate multiplier and cut; bad input is a usage error naming the line. */
async function traffic(v: FlagValues): Promise<Trace> {
  try {
    return await loadTraffic(v.trace !== undefined ? { file: String(v.trace) } : { synthetic: String(v.synthetic) }, {
      seed: Number(v.seed),
      rateMultiplier: numberFlag('rate-multiplier', v['rate-multiplier'], 0.01, 100),
      durationS: durationFlag('duration', v.duration, 1, 7 * 86_400),
    });
  } catch (err) {
    if (err instanceof TraceError) throw new UsageError(err.message);
    throw err;
  }
}

function defaultStem(v: FlagValues): string {
  const base =
    v.trace !== undefined
      ? basename(String(v.trace)).replace(/\.[^.]+$/, '')
      : `synthetic-${String(v.synthetic).split(':')[0]}`;
  return base + (v.disaggregation === 'prefill-decode' ? '-pd' : '');
}

const POLICY_NAMES = [...POLICIES.map((p) => p.name), 'static-peak'];

/** Flags that do not change the result: where it is written, how many threads, progress. */
const NOT_RESULT = new Set(['out', 'name', 'jobs', 'quiet', 'json']);

/**
 * The run as one command with every flag that shapes the result spelled out, defaults included, so a stored JSON
 * says how to reproduce it whatever the defaults become.
 */
export function commandLine(v: FlagValues): string {
  const quote = (x: string): string => (/^[\w.,:=/@+-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`);
  const parts = ['kserve-llmd bench trace'];
  for (const f of TRACE_BENCH.spec.flags) {
    const x = v[f.name];
    if (x === undefined || x === false || NOT_RESULT.has(f.name)) continue;
    parts.push(x === true ? `--${f.name}` : `--${f.name} ${quote(String(x))}`);
  }
  return parts.join(' ');
}

/** "33 s" for a fixed cold start, else "median 33 s (20–90 s)". */
function coldStartText(c: BenchResult['config']): string {
  if (c.coldStart === 'fixed') return `${c.coldStartS.toFixed(0)} s`;
  return `median ${c.coldStartS.toFixed(0)} s (${c.coldStart.minS}–${c.coldStart.maxS} s)`;
}

export const TRACE_BENCH: BenchEntry = {
  spec: {
    name: 'bench trace',
    summary:
      'Trace-driven autoscaler benchmark: simulated vLLM fleets ' +
      'under ours, Knative KPA, KEDA/HPA, llm-d WVA, Dynamo load ' +
      'planner, a static peak fleet and the oracle lower bound.',
    usage:
      'kserve-llmd bench [trace] (--trace FILE | --synthetic ' +
      'KIND[:k=v,…]) [--model llama3-8b] [--slo ttft=2s,itl=100ms] ' +
      '[flags]',
    flags: [
      { name: 'trace', type: 'string', help: 'trace file: Mooncake JSONL or Azure CSV (format detected from content)' },
      {
        name: 'synthetic',
        type: 'string',
        help:
          'synthetic traffic instead of a file: ' +
          'poisson|bursty|diurnal[:rate=4,duration=1h,on=5m,off=10m,peak=2,period=1h,isl=2000,osl=200,prefix=0.5]',
      },
      { name: 'model', type: 'string', help: 'engine preset', default: 'llama3-8b', choices: Object.keys(PRESETS) },
      {
        name: 'slo',
        type: 'string',
        help: 'latency targets, as the kserve-llmd.io/slo annotation',
        default: 'ttft=2s,itl=100ms',
      },
      { name: 'router', type: 'string', help: 'request routing', default: 'llm-d', choices: ROUTERS },
      {
        name: 'disaggregation',
        type: 'string',
        help: 'prefill/decode disaggregation',
        default: 'none',
        choices: ['none', 'prefill-decode'],
      },
      {
        name: 'pd-threshold',
        type: 'int',
        help: 'P/D: non-cached prompt tokens from which a prefill pod is used',
        default: 1024,
        min: 1,
        max: 1_000_000,
      },
      { name: 'rate-multiplier', type: 'string', help: 'scale the request rate, keeping the timeline', default: '1' },
      { name: 'duration', type: 'string', help: 'replay only the first part of the traffic, e.g. 10m' },
      {
        name: 'max-replicas',
        type: 'int',
        help: 'upper bound per role for every policy and the oracle',
        default: 16,
        min: 1,
        max: 256,
      },
      {
        name: 'scale-to-zero-after',
        type: 'string',
        help: 'kserve-llmd.io/scale-to-zero-after for ours',
        default: '5m',
      },
      { name: 'window', type: 'string', help: 'oracle interval', default: '60s' },
      {
        name: 'warmup',
        type: 'string',
        help: 'first part left out of the warm-up-excluded figures (rounded up to a window)',
        default: '5m',
      },
      { name: 'attainment', type: 'string', help: 'goal: fraction of requests within the SLO', default: '0.99' },
      {
        name: 'policies',
        type: 'string',
        help: `comma-separated subset of ${POLICY_NAMES.join(', ')} (the oracle always runs)`,
      },
      {
        name: 'seed',
        type: 'int',
        help: 'random seed (arrival jitter, synthetic traffic, router ties)',
        default: 1,
        min: 0,
        max: 2 ** 31 - 1,
      },
      { name: 'out', type: 'string', help: 'directory for the JSON result and SVG chart', default: 'bench-results' },
      { name: 'name', type: 'string', help: 'file name stem for the outputs (default: from the trace)' },
      {
        name: 'prefill-throughput',
        type: 'string',
        help:
          "ours' kserve-llmd.io/prefill-throughput: calibrated (what " +
          "llm-d's calibrate.sh measures here), unset, or tokens/s",
        default: 'calibrated',
      },
      {
        name: 'flops-efficiency',
        type: 'string',
        help: "share of the GPU's dense peak a prefill reaches (default: the preset's fitted value; a sensitivity run)",
      },
      {
        name: 'cold-start',
        type: 'string',
        help: "policies' cold starts: spread (per pod, log-normal around the preset's, 20–90 s) or fixed",
        default: 'spread',
        choices: ['spread', 'fixed'],
      },
      {
        name: 'jobs',
        type: 'int',
        help: 'worker threads for the oracle windows and the policies (results do not depend on it)',
        default: Math.max(1, Math.min(4, availableParallelism())),
        min: 1,
        max: 64,
      },
      {
        name: 'json',
        type: 'string',
        help: 'the JSON result: summary (figures, frontier, schedule, command) or full (also time series and hulls)',
        default: 'summary',
        choices: ['summary', 'full'],
      },
      { name: 'quiet', type: 'bool', help: 'no progress on stderr' },
    ],
  },
  async run(v) {
    if ((v.trace === undefined) === (v.synthetic === undefined))
      throw new UsageError('give exactly one of --trace FILE or --synthetic KIND[:…]');
    const slo = parseSloFlag(String(v.slo));
    const policies =
      v.policies === undefined
        ? undefined
        : String(v.policies)
            .split(',')
            .map((s) => s.trim());
    const unknown = policies?.filter((p) => !POLICY_NAMES.includes(p)) ?? [];
    if (unknown.length > 0)
      throw new UsageError(`--policies: unknown ${unknown.join(', ')} (known: ${POLICY_NAMES.join(', ')})`);
    const say = v.quiet ? () => undefined : (line: string) => process.stderr.write(`${line}\n`);
    const trace = await traffic(v);
    say(`${trace.name}: ${trace.requests.length} requests over ${Math.round(trace.durationS)} s`);
    const result = await runBenchmark({
      trace,
      preset: presetOf(v),
      slo,
      router: String(v.router) as RouterName,
      disaggregated: v.disaggregation === 'prefill-decode',
      pdThresholdTokens: Number(v['pd-threshold']),
      seed: Number(v.seed),
      maxReplicas: Number(v['max-replicas']),
      windowS: durationFlag('window', v.window, 10, 3600) as number,
      attainment: numberFlag('attainment', v.attainment, 0.5, 1),
      scaleToZeroAfterS: durationFlag('scale-to-zero-after', v['scale-to-zero-after'], 30, 86_400) as number,
      warmupS: durationFlag('warmup', v.warmup, 0, 86_400) as number,
      policies,
      jobs: Number(v.jobs),
      prefillThroughput: prefillThroughputFlag(String(v['prefill-throughput'])),
      fixedColdStart: v['cold-start'] === 'fixed',
      progress: say,
    });
    const out = (line: string): boolean => process.stdout.write(`${line}\n`);
    out(
      `${trace.name} · ${result.config.requests} requests · ` +
        `${result.config.model} · SLO ttft ${slo.ttftMs} ms, itl ` +
        `${slo.itlMs} ms · ${result.config.router}` +
        `${result.config.disaggregated ? ' · P/D' : ''} · cold start ` +
        coldStartText(result.config) +
        ' ' +
        `· prefill-throughput ` +
        `${result.config.prefillThroughput ?? 'unset'} · seed ` +
        `${result.config.seed} · initial fleet ` +
        `${fleetText(result.initial)} · warm-up ` +
        `${result.config.warmupS} s`,
    );
    for (const line of textTable(result)) out(line);
    for (const line of verdict(result).lines) out(line);
    const stem = v.name !== undefined ? String(v.name) : defaultStem(v);
    const dir = String(v.out);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, `${stem}.json`),
      jsonResult(result, { full: v.json === 'full', command: commandLine(v) }),
    );
    await writeFile(join(dir, `${stem}.svg`), svgChart(result));
    await writeFile(join(dir, `${stem}-frontier.svg`), frontierSvg(result));
    out(`wrote ${join(dir, `${stem}.json`)}, ${join(dir, `${stem}.svg`)} and ${join(dir, `${stem}-frontier.svg`)}`);
    return 0;
  },
};
