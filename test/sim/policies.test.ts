/** The policy interface: every policy reacts to what a real autoscaler could scrape; baseline rules in tables. */
import { POLICIES } from '../../bench/sim/policies/index.js';
import { kpaPolicy } from '../../bench/sim/policies/kpa.js';
import { kedaPolicy } from '../../bench/sim/policies/keda-hpa.js';
import { dynamoLoadPolicy } from '../../bench/sim/policies/dynamo-load.js';
import type { EngineSnapshot, Observation, PolicyContext, RoleObservation } from '../../bench/sim/policies/types.js';
import { WVA_DEFAULTS, wvaDelta } from '../../bench/sim/policies/wva.js';
import { SimClock } from '../../bench/sim/clock.js';
import { Engine } from '../../bench/sim/engine.js';
import { LLAMA3_8B } from '../../bench/sim/presets.js';
import { renderVllmMetrics } from '../../bench/sim/prom.js';

const ctx: PolicyContext = {
  preset: LLAMA3_8B,
  slo: { ttftMs: 2000, itlMs: 100 },
  disaggregated: false,
  maxReplicas: 8,
  coldStartS: 33,
  scaleToZeroAfterS: 60,
  initial: { decode: 1, prefill: 0 },
};

/** A real engine loaded with `waiting` queued requests, seen through a snapshot like the cluster's. */
function engineSnap(
  id: string,
  load: { inflight?: number; waiting?: number; kvUsage?: number; kvTokens?: number; queuedPrefill?: number },
): EngineSnapshot {
  const clock = new SimClock();
  const e = new Engine(id, LLAMA3_8B, clock);
  return {
    id,
    waiting: load.waiting ?? 0,
    running: 0,
    kvUsage: load.kvUsage ?? 0,
    inflight: load.inflight ?? 0,
    queuedPrefillTokens: load.queuedPrefill ?? 0,
    kvTokens: load.kvTokens ?? 0,
    promptTokensTotal: 0,
    generationTokensTotal: 0,
    requestSuccessTotal: 0,
    metricsText: () => renderVllmMetrics(e),
  };
}

function role(engines: EngineSnapshot[], extra: Partial<RoleObservation> = {}): RoleObservation {
  return {
    replicas: engines.length,
    ready: engines.length,
    starting: 0,
    engines,
    buffered: 0,
    bufferedPromptTokens: 0,
    ...extra,
  };
}

function drive(p: ReturnType<typeof kpaPolicy>, seconds: number, make: (t: number) => Observation): number {
  let desired = NaN;
  for (let t = 0; t < seconds; t++) desired = p.step(make(t))?.decode ?? desired;
  return desired;
}

describe('policy interface', () => {
  it.each(POLICIES.map((p) => [p.name, p.create]))(
    '%s wakes from zero when requests are buffered and grows under load',
    (name, create) => {
      const p = create({ ...ctx, initial: { decode: 0, prefill: 0 } });
      // At zero with requests held by the activator/EPP queue: every scale-from-zero policy (Dynamo never leaves 1)
      // wants ≥ 1 within 30 s.
      let desired = 0;
      for (let t = 0; t <= 30 && desired < 1; t++)
        desired =
          p.step({ now: t, decode: role([], { replicas: 0, ready: 0, buffered: 20, bufferedPromptTokens: 40_000 }) })
            ?.decode ?? desired;
      expect(desired).toBeGreaterThanOrEqual(1);
      expect(name).toBe(p.name);
    },
  );

  it.each([
    ['knative-kpa', kpaPolicy],
    ['keda-hpa', kedaPolicy],
    ['dynamo-load', dynamoLoadPolicy],
  ])('%s scales one saturated replica up', (_n, make) => {
    const p = make(ctx);
    const hot = engineSnap('a', {
      inflight: 300,
      waiting: 200,
      kvUsage: 0.95,
      kvTokens: 380_000,
      queuedPrefill: 400_000,
    });
    expect(drive(p, 90, (t) => ({ now: t, decode: role([hot]) }))).toBeGreaterThan(1);
  });
});

describe('Knative KPA', () => {
  it('sizes on concurrency / (0.7 × containerConcurrency) over the stable window', () => {
    const p = kpaPolicy(ctx, {
      containerConcurrency: 10,
      targetUtilization: 0.7,
      stableS: 60,
      panicS: 6,
      panicThreshold: 2,
      graceS: 30,
      tickS: 2,
    });
    const pods = [engineSnap('a', { inflight: 10 }), engineSnap('b', { inflight: 11 })];
    expect(drive(p, 120, (t) => ({ now: t, decode: role(pods) }))).toBe(Math.ceil(21 / 7));
  });

  it('goes to zero only after the stable window has emptied and the 30 s grace', () => {
    const p = kpaPolicy(ctx);
    const idle = role([engineSnap('a', {})]);
    const at = (s: number): number => drive(p, s, (t) => ({ now: t, decode: idle }));
    expect(at(20)).toBe(1);
    expect(drive(kpaPolicy(ctx), 100, (t) => ({ now: t, decode: idle }))).toBe(0);
  });
});

describe('llm-d WVA saturation analyzer', () => {
  it.each([
    [
      'all saturated → +1',
      [
        { kvUsage: 0.85, waiting: 0 },
        { kvUsage: 0.2, waiting: 6 },
      ],
      1,
    ],
    ['spare kv below 0.1 → +1', [{ kvUsage: 0.75, waiting: 0 }], 1],
    ['spare queue below 3 → +1', [{ kvUsage: 0.1, waiting: 3 }], 1],
    [
      'plenty of spare on 2, still fine on 1 → −1',
      [
        { kvUsage: 0.2, waiting: 0 },
        { kvUsage: 0.2, waiting: 1 },
      ],
      -1,
    ],
    [
      'would saturate on N−1 → hold',
      [
        { kvUsage: 0.5, waiting: 0 },
        { kvUsage: 0.5, waiting: 0 },
      ],
      0,
    ],
    ['single replica with spare → hold (never below 1 here)', [{ kvUsage: 0.2, waiting: 0 }], 0],
  ])('%s', (_n, engines, want) => {
    expect(wvaDelta(WVA_DEFAULTS, engines)).toBe(want);
  });
});

describe('KEDA + HPA', () => {
  it('holds inside the 10% tolerance and scales down only after the 300 s stabilization', () => {
    const p = kedaPolicy({ ...ctx, initial: { decode: 4, prefill: 0 } });
    const pods = (w: number) => Array.from({ length: 4 }, (_, i) => engineSnap(`p${i}`, { waiting: w }));
    // 4 pods × 5 waiting each = 20 = 4 × threshold 5: ratio 1 → hold.
    expect(drive(p, 40, (t) => ({ now: t, decode: role(pods(5)) }))).toBe(4);
    // Load drops: the recommendation falls to 1, but the 300 s window still holds 4.
    let desired = 4;
    for (let t = 40; t < 300; t++) desired = p.step({ now: t, decode: role(pods(0.3)) })?.decode ?? desired;
    expect(desired).toBe(4);
    for (let t = 300; t < 400; t++) desired = p.step({ now: t, decode: role(pods(0.3)) })?.decode ?? desired;
    expect(desired).toBe(1);
  });
});
