/**
 * A short benchmark run end to end, checked for internal consistency: the static fleet costs
 * replicas × duration; the oracle never costs more than a policy that meets the SLO; the run is
 * deterministic for a seed; outputs (table, JSON, SVG) are well formed; the CLI flags fail clearly.
 */
import { commandLine, parseSloFlag, TRACE_BENCH } from '../../bench/trace.js';
import { parseFlags } from '../../src/cli-args.js';
import { runCluster } from '../../bench/sim/cluster.js';
import { summarize } from '../../bench/sim/metrics.js';
import { costAtAttainment } from '../../bench/sim/oracle/frontier.js';
import { staticPolicy } from '../../bench/sim/policies/static.js';
import { jsonResult, lowerBoundCheck, serializeRecord, textTable, verdict } from '../../bench/sim/report.js';
import { runBenchmark, type BenchConfig, type BenchResult } from '../../bench/sim/run.js';
import { svgChart } from '../../bench/sim/svg.js';
import { LLAMA3_8B } from '../../model/presets.js';
import { createRng } from '../../model/rng.js';
import { generateSynthetic, parseSyntheticSpec } from '../../bench/sim/traffic/synthetic.js';

function config(seed = 5, duration = '8m'): BenchConfig {
  const trace = generateSynthetic(
    parseSyntheticSpec(`bursty:rate=8,on=3m,off=4m,duration=${duration},isl=3000,osl=150`),
    createRng(seed),
  );
  return {
    trace,
    preset: LLAMA3_8B,
    slo: { ttftMs: 2000, itlMs: 100 },
    router: 'llm-d',
    disaggregated: false,
    pdThresholdTokens: 1024,
    seed,
    maxReplicas: 6,
    windowS: 60,
    attainment: 0.99,
    scaleToZeroAfterS: 60,
    warmupS: 100,
  };
}

/** Tag balance of an XML document (no DTD, no CDATA): enough to catch broken markup. */
/** A static fleet of `fleet` on `trace` without cold starts: a feasible schedule the oracle must not beat. */
function staticRun(cfg: BenchConfig, trace: BenchConfig['trace'], fleet: { decode: number; prefill: number }) {
  return runCluster({
    preset: cfg.preset,
    requests: trace.requests,
    horizonS: trace.durationS,
    policy: staticPolicy(fleet),
    router: cfg.router,
    disaggregated: false,
    pdThresholdTokens: cfg.pdThresholdTokens,
    seed: cfg.seed,
    initial: fleet,
    coldStartS: 0,
    maxReplicas: cfg.maxReplicas,
  });
}

function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, attrs, self] = m as unknown as [string, string, string, string, string];
    if ((attrs.match(/"/g) ?? []).length % 2 !== 0) return false;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0 && !/&(?!amp;|lt;|gt;|quot;|#)/.test(xml);
}

describe('short benchmark run', () => {
  const cfg = config();
  let result: BenchResult;
  beforeAll(async () => {
    result = await runBenchmark(cfg);
  });
  const row = (name: string) => result.rows.find((r) => r.name === name)!;

  it('runs every policy, the static fleet and the oracle on all requests', () => {
    expect(result.rows.map((r) => r.name)).toEqual([
      'ours',
      'knative-kpa',
      'keda-hpa',
      'llm-d-wva',
      'dynamo-load',
      'static-peak',
      'oracle',
    ]);
    for (const r of result.rows) expect(r.summary.requests).toBe(cfg.trace.requests.length);
  });

  it('static fleet GPU-hours = replicas × duration, with no scaling and no cold starts', () => {
    const s = row('static-peak');
    const replicas = result.staticFleet.decode + result.staticFleet.prefill;
    expect(s.gpuHours).toBeCloseTo((replicas * cfg.trace.durationS) / 3600, 9);
    expect(s.scaleEvents).toBe(0);
    expect(s.coldStarts).toBe(0);
  });

  it('the oracle never costs more than a policy meeting the SLO, and its attainment meets the goal', () => {
    const oracle = row('oracle');
    expect(oracle.summary.attainment).toBeGreaterThanOrEqual(0.99);
    const meeting = result.rows.filter((r) => r.name !== 'oracle' && r.summary.attainment >= cfg.attainment);
    expect(meeting.length).toBeGreaterThan(0); // at least the static peak fleet
    for (const r of meeting) expect(oracle.gpuHours).toBeLessThanOrEqual(r.gpuHours + 1e-9);
  });

  it('the oracle is a true lower bound: no static fleet is cheaper at its attainment or reaches more', () => {
    const f = result.oracle.frontier;
    for (let k = 1; k <= 4; k++) {
      const fleet = { decode: k, prefill: 0 };
      const run = staticRun(cfg, cfg.trace, fleet);
      const a = summarize(run.outcomes, cfg.slo).attainment;
      expect(a).toBeLessThanOrEqual(result.oracle.maxAttainment + 1e-12);
      expect(costAtAttainment(f, a)).toBeLessThanOrEqual(run.gpuSeconds + 1e-6);
    }
    expect(lowerBoundCheck(result).ok).toBe(true);
  });

  it('never switches a window with requests off, and keeps every request (none lost at the horizon)', () => {
    const withRequests = result.oracle.windows.filter((w) => w.requests > 0);
    expect(withRequests.length).toBeGreaterThan(0);
    for (const w of withRequests) for (const h of w.hull) expect(h.fleet.decode).toBeGreaterThanOrEqual(1);
    expect(result.oracle.windows.reduce((s, w) => s + w.requests, 0)).toBe(cfg.trace.requests.length);
  });

  it('every policy and the oracle start from the same warm fleet', () => {
    expect(result.initial.decode).toBeGreaterThanOrEqual(1);
    for (const r of result.rows.filter((x) => x.name !== 'static-peak'))
      expect(r.samples[0]).toMatchObject({ t: 0, decodeReady: result.initial.decode });
  });

  it('reports the warm-up-excluded figures against the frontier of the later windows', () => {
    expect(result.config.warmupS).toBe(120);
    const oracle = row('oracle');
    expect(oracle.afterWarmup.ratioToOracle).toBeGreaterThanOrEqual(1 - 1e-9);
    for (const r of result.rows) {
      expect(r.afterWarmup.gpuHours).toBeLessThanOrEqual(r.gpuHours + 1e-12);
      expect(r.afterWarmup.attainment).toBeGreaterThanOrEqual(0);
    }
  });

  it('scale-to-zero policies pay for the idle gaps with cold starts that requests wait on', () => {
    const kpa = row('knative-kpa');
    expect(kpa.coldStarts).toBeGreaterThan(0);
    expect(kpa.summary.waitedColdStart).toBeGreaterThan(0);
    expect(row('static-peak').summary.waitedColdStart).toBe(0);
  });

  it('is deterministic for a seed and differs for another seed', async () => {
    // On a 4-minute trace (one burst and its idle gap): determinism does not need the 8 minutes above.
    const strip = (r: BenchResult) => JSON.stringify(r.rows.map((x) => ({ ...x, wallMs: 0 })));
    const short = strip(await runBenchmark(config(5, '4m')));
    expect(strip(await runBenchmark(config(5, '4m')))).toBe(short);
    expect(strip(await runBenchmark(config(6, '4m')))).not.toBe(short);
  });

  it('writes a table, a JSON result with the verdict, and a well-formed SVG with one panel per policy', () => {
    const table = textTable(result);
    expect(table).toHaveLength(result.rows.length + 1);
    expect(table[0]).toContain('waited on cold start');
    const json = JSON.parse(jsonResult(result, { command: 'kserve-llmd bench trace --seed 5' }));
    expect(json.command).toBe('kserve-llmd bench trace --seed 5');
    expect(json.verdict.lines).toHaveLength(7);
    // The summary (what docs/benchmarks stores) keeps the figures and the frontier, not the time series.
    expect(json.rows[0].summary.requests).toBe(cfg.trace.requests.length);
    expect(json.rows[0].series).toBeUndefined();
    expect(json.oracle.frontier.points.length).toBeGreaterThan(0);
    expect(json.oracle.windows[0].hull).toBeUndefined();
    const full = JSON.parse(jsonResult(result, { full: true }));
    expect(full.rows[0].series.length).toBeGreaterThan(0);
    expect(full.oracle.windows[0].hull.length).toBeGreaterThan(0);
    expect(JSON.parse(serializeRecord({ a: [{ b: 1 }, { c: [NaN, 2] }] }))).toEqual({
      a: [{ b: 1 }, { c: [null, 2] }],
    });
    expect(verdict(result).lines[0]).toMatch(/goal 1/);
    const svg = svgChart(result);
    expect(wellFormed(svg)).toBe(true);
    expect(svg.match(/class="frame"/g)).toHaveLength(result.rows.length);
  });
});

describe('bench trace flags', () => {
  it('--slo uses the annotation parser: forms, defaults and limits', () => {
    expect(parseSloFlag('ttft=500ms,itl=50ms')).toEqual({ ttftMs: 500, itlMs: 50 });
    expect(parseSloFlag('itl=20ms')).toEqual({ ttftMs: 2000, itlMs: 20 });
    expect(() => parseSloFlag('ttft=5ms')).toThrow('--slo ttft=5ms: ttft=5ms must be a duration in [10ms, 10m]');
    expect(() => parseSloFlag('tfft=1s')).toThrow('did you mean ttft?');
  });

  it('the stored command spells out every flag that shapes the result, and parses back to the same values', () => {
    const argv = ['--synthetic', 'diurnal:rate=3,isl=12000', '--rate-multiplier', '2', '--jobs', '2', '--out', 'x'];
    const values = parseFlags(argv, TRACE_BENCH.spec).values;
    const line = commandLine(values);
    expect(line).toBe(
      'kserve-llmd bench trace --synthetic diurnal:rate=3,isl=12000 --model llama3-8b --slo ttft=2s,itl=100ms ' +
        '--router llm-d --disaggregation none --pd-threshold 1024 --rate-multiplier 2 --max-replicas 16 ' +
        '--scale-to-zero-after 5m --window 60s --warmup 5m --attainment 0.99 --seed 1 ' +
        '--prefill-throughput calibrated --cold-start spread',
    );
    const again = parseFlags(line.split(' ').slice(3), TRACE_BENCH.spec).values;
    for (const k of ['synthetic', 'rate-multiplier', 'seed', 'slo']) expect(again[k]).toEqual(values[k]);
    expect(commandLine({ trace: "a b's.csv" })).toBe(`kserve-llmd bench trace --trace 'a b'\\''s.csv'`);
  });

  it('needs exactly one traffic source and names bad trace rows with line numbers', async () => {
    await expect(TRACE_BENCH.run({ slo: 'ttft=2s' }, [])).rejects.toThrow(
      'give exactly one of --trace FILE or --synthetic',
    );
    await expect(
      TRACE_BENCH.run({ synthetic: 'storm', slo: 'ttft=2s', seed: 1, 'rate-multiplier': '1' }, []),
    ).rejects.toThrow('kind must be one of');
    const flops = { synthetic: 'poisson:duration=10s', slo: 'ttft=2s', seed: 1, 'rate-multiplier': '1', quiet: true };
    await expect(TRACE_BENCH.run({ ...flops, 'flops-efficiency': '2' }, [])).rejects.toThrow(
      '--flops-efficiency 2: must be a number in [0.05, 1]',
    );
  });
});

describe('the oracle frontier on long prompts with prefix reuse', () => {
  // 8 minutes of 12k-token prompts sharing 8k-token prefixes: the per-window replay (caches rebuilt from history)
  // misses requests a continuous fleet serves, so the windows' frontier alone is beaten by static fleets here.
  const trace = generateSynthetic(
    parseSyntheticSpec('diurnal:rate=3,isl=12000,osl=300,prefix=0.8,prefix-tokens=8192,duration=8m,peak=2,period=8m'),
    createRng(1),
  );
  const cfg: BenchConfig = {
    ...config(),
    trace,
    seed: 1,
    maxReplicas: 16,
    warmupS: 60,
    policies: ['ours', 'dynamo-load', 'static-peak'],
  };
  let result: BenchResult;
  beforeAll(async () => {
    result = await runBenchmark(cfg);
  });

  it('no row and no static fleet lies above and left of it (more attainment at equal or lower cost)', () => {
    const f = result.oracle.frontier;
    const runs = result.rows.map((r) => ({ name: r.name, a: r.summary.attainment, gpuSeconds: r.gpuHours * 3600 }));
    for (let k = 1; k <= result.staticFleet.decode + 2; k++) {
      const fleet = { decode: k, prefill: 0 };
      const run = staticRun(cfg, trace, fleet);
      runs.push({ name: `static ${k}`, a: summarize(run.outcomes, cfg.slo).attainment, gpuSeconds: run.gpuSeconds });
    }
    // The case this guards: the windows' frontier alone is beaten (a static fleet reaches more than its best).
    expect(runs.some((r) => r.a > result.oracle.windowMaxAttainment + 1e-9)).toBe(true);
    for (const r of runs) {
      expect([r.name, r.a <= result.oracle.maxAttainment + 1e-12]).toEqual([r.name, true]);
      expect([r.name, costAtAttainment(f, r.a - 1e-12) <= r.gpuSeconds + 1e-6]).toEqual([r.name, true]);
    }
    expect(lowerBoundCheck(result).ok).toBe(true);
  });

  it('says what it is the envelope of, and every ratio is against it', () => {
    expect(result.oracle.boundRuns).toEqual(['ours', 'dynamo-load', 'static-peak', 'oracle-schedule']);
    expect(result.oracle.staticFleets).toHaveLength(result.staticFleet.decode - 1);
    expect(verdict(result).lines.join('\n')).toContain(
      "oracle frontier = lower envelope of the oracle's per-window frontier",
    );
    for (const r of result.rows.filter((x) => x.name !== 'oracle')) expect(r.ratioToOracle).toBeGreaterThanOrEqual(1);
  });
});
