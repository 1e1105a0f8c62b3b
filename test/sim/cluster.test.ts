/** Cluster behaviours the baselines' stacks depend on: EPP flow control and the EPP's in-flight token gauge. */
import { COLD_START_SPREAD, runCluster } from '../../bench/sim/cluster.js';
import type { Observation, Policy } from '../../bench/sim/policies/types.js';
import { LLAMA3_8B } from '../../model/presets.js';
import type { TraceRequest } from '../../bench/sim/traffic/types.js';

function watcher(fleet: { decode: number; prefill: number }): Policy & { seen: Observation[] } {
  const seen: Observation[] = [];
  return { name: 'watch', seen, step: (o) => (seen.push(o), fleet) };
}

const burst = (n: number, promptTokens: number): TraceRequest[] =>
  Array.from({ length: n }, (_, i) => ({ arrival: 0.5 + i * 0.001, promptTokens, outputTokens: 50, hashIds: [] }));

const base = {
  preset: LLAMA3_8B,
  horizonS: 60,
  router: 'llm-d' as const,
  pdThresholdTokens: 1024,
  seed: 1,
  coldStartS: 33,
  maxReplicas: 4,
};

describe('EPP flow control', () => {
  it('holds requests while the pool is saturated and still serves them all', () => {
    const on = watcher({ decode: 1, prefill: 0 });
    const res = runCluster({
      ...base,
      requests: burst(80, 8000),
      policy: on,
      disaggregated: false,
      initial: { decode: 1, prefill: 0 },
      flowControl: true,
    });
    expect(Math.max(...on.seen.map((o) => o.epp?.flowQueued ?? 0))).toBeGreaterThan(20);
    expect(res.outcomes.every((o) => o.ok)).toBe(true);
    const off = watcher({ decode: 1, prefill: 0 });
    runCluster({
      ...base,
      requests: burst(80, 8000),
      policy: off,
      disaggregated: false,
      initial: { decode: 1, prefill: 0 },
    });
    expect(Math.max(...off.seen.map((o) => o.epp?.flowQueued ?? 0))).toBe(0);
    expect(Math.max(...off.seen.map((o) => o.epp?.running ?? 0))).toBe(80);
  });
});

describe('in-flight uncached prompt tokens', () => {
  it('count on the prefill pod from routing to the first token, then go back to zero', () => {
    const w = watcher({ decode: 1, prefill: 1 });
    runCluster({
      ...base,
      requests: burst(10, 20_000),
      policy: w,
      disaggregated: true,
      initial: { decode: 1, prefill: 1 },
    });
    const tokens = w.seen.map((o) => o.prefill?.engines.reduce((s, e) => s + e.inflightUncachedTokens, 0) ?? 0);
    expect(Math.max(...tokens)).toBeGreaterThan(100_000);
    expect(tokens[tokens.length - 1]).toBe(0);
  });
});

describe('cold starts', () => {
  const readyTimes = (seed: number, spread = true): number[] => {
    const fleet = { decode: 12, prefill: 0 };
    const r = runCluster({
      ...base,
      seed,
      horizonS: 120,
      requests: [],
      policy: { name: 'up', step: () => fleet },
      disaggregated: false,
      initial: { decode: 0, prefill: 0 },
      maxReplicas: 12,
      sampleS: 1,
      ...(spread ? { coldStartSpread: COLD_START_SPREAD } : {}),
    });
    const out: number[] = [];
    for (let k = 1; k <= 12; k++) out.push(r.samples.find((s) => s.decodeReady >= k)?.t ?? NaN);
    return out;
  };

  it('are drawn per pod around the preset, within 20–90 s, the same for a seed', () => {
    const t = readyTimes(1);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...t)).toBeLessThanOrEqual(91);
    expect(new Set(t).size).toBeGreaterThan(4);
    expect(readyTimes(1)).toEqual(t);
    expect(readyTimes(2)).not.toEqual(t);
    expect(new Set(readyTimes(1, false))).toEqual(new Set([33]));
  });
});
