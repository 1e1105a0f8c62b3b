/**
 * A short benchmark run end to end, checked for internal consistency: the static fleet costs
 * replicas × duration; the oracle never costs more than a policy that meets the SLO; the run is
 * deterministic for a seed; outputs (table, JSON, SVG) are well formed; the CLI flags fail clearly.
 */
import { parseSloFlag, TRACE_BENCH } from '../../bench/trace.js';
import { jsonResult, textTable, verdict } from '../../bench/sim/report.js';
import { runBenchmark, type BenchConfig } from '../../bench/sim/run.js';
import { svgChart } from '../../bench/sim/svg.js';
import { LLAMA3_8B } from '../../bench/sim/presets.js';
import { createRng } from '../../bench/sim/rng.js';
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
  };
}

/** Tag balance of an XML document (no DTD, no CDATA): enough to catch broken markup. */
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
  const result = runBenchmark(cfg);
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

  it('scale-to-zero policies pay for the idle gaps with cold starts that requests wait on', () => {
    const kpa = row('knative-kpa');
    expect(kpa.coldStarts).toBeGreaterThan(0);
    expect(kpa.summary.waitedColdStart).toBeGreaterThan(0);
    expect(row('static-peak').summary.waitedColdStart).toBe(0);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    // On a 4-minute trace (one burst and its idle gap): determinism does not need the 12 minutes above.
    const strip = (r: typeof result) => JSON.stringify(r.rows.map((x) => ({ ...x, wallMs: 0 })));
    const short = strip(runBenchmark(config(5, '4m')));
    expect(strip(runBenchmark(config(5, '4m')))).toBe(short);
    expect(strip(runBenchmark(config(6, '4m')))).not.toBe(short);
  });

  it('writes a table, a JSON result with the verdict, and a well-formed SVG with one panel per policy', () => {
    const table = textTable(result);
    expect(table).toHaveLength(result.rows.length + 1);
    expect(table[0]).toContain('waited on cold start');
    const json = JSON.parse(jsonResult(result));
    expect(json.verdict.lines).toHaveLength(3);
    expect(json.rows[0].series.length).toBeGreaterThan(0);
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

  it('needs exactly one traffic source and names bad trace rows with line numbers', async () => {
    await expect(TRACE_BENCH.run({ slo: 'ttft=2s' }, [])).rejects.toThrow(
      'give exactly one of --trace FILE or --synthetic',
    );
    await expect(
      TRACE_BENCH.run({ synthetic: 'storm', slo: 'ttft=2s', seed: 1, 'rate-multiplier': '1' }, []),
    ).rejects.toThrow('kind must be one of');
  });
});
