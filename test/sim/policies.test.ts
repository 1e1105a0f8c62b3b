/** The policy interface: every policy reacts to what a real autoscaler could scrape; baseline rules in tables. */
import { POLICIES } from '../../bench/sim/policies/index.js';
import { kpaPolicy } from '../../bench/sim/policies/kpa.js';
import { externalReplicas, Hpa, HPA_DEFAULT_BEHAVIOR } from '../../bench/sim/policies/hpa.js';
import { kedaPolicy } from '../../bench/sim/policies/keda-hpa.js';
import { oursAnnotations } from '../../bench/sim/policies/ours.js';
import { specFor } from '../../autoscaler/targets.js';
import { dynamoLoadPolicy } from '../../bench/sim/policies/dynamo-load.js';
import type { EngineSnapshot, Observation, PolicyContext, RoleObservation } from '../../bench/sim/policies/types.js';
import { WVA_DEFAULTS, wvaDelta } from '../../bench/sim/policies/wva.js';
import { SimClock } from '../../bench/sim/clock.js';
import { Engine } from '../../model/engine.js';
import { LLAMA3_8B } from '../../model/presets.js';
import { renderVllmMetrics } from '../../model/prom.js';

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
  load: {
    inflight?: number;
    waiting?: number;
    kvUsage?: number;
    kvTokens?: number;
    queuedPrefill?: number;
    inflightTokens?: number;
  },
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
    inflightUncachedTokens: load.inflightTokens ?? 0,
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

describe('HPA (k8s v1.28.7)', () => {
  it('holds inside the 10% tolerance, else asks for ceil(total / target)', () => {
    expect(externalReplicas(21, 5, 4)).toBe(4); // ratio 1.05
    expect(externalReplicas(30, 5, 4)).toBe(6);
    expect(externalReplicas(0.5, 1, 4)).toBe(1);
  });

  it('stabilizes down to the highest recommendation of the window and limits the rate per period', () => {
    const hpa = new Hpa(HPA_DEFAULT_BEHAVIOR, 1, 100);
    expect(hpa.sync(0, 2, 40)).toBe(6); // max(2 + 4 pods, 2 + 100%) per 15 s
    expect(hpa.sync(15, 6, 40)).toBe(12);
    expect(hpa.sync(30, 12, 2)).toBe(12); // the 300 s window still holds 40
    expect(hpa.sync(330, 12, 2)).toBe(2);
  });

  it('with the token-aware guide adds one pod per 180 s', () => {
    const hpa = new Hpa(
      {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 180 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] },
      },
      1,
      10,
    );
    expect(hpa.sync(0, 1, 5)).toBe(2);
    expect(hpa.sync(15, 2, 5)).toBe(2);
    expect(hpa.sync(180, 2, 5)).toBe(3);
  });
});

describe('KEDA as llm-d guides deploy it', () => {
  it(
    'aggregated: scales on the EPP flow-control queue (target ' + '1) and running requests (target 16), never below 1',
    () => {
      const p = kedaPolicy({ ...ctx, initial: { decode: 2, prefill: 0 } });
      expect(p.flowControl).toBe(true);
      const pods = [engineSnap('a', {}), engineSnap('b', {})];
      const at = (t: number, queued: number, running: number) =>
        p.step({ now: t, decode: role(pods), epp: { flowQueued: queued, running } })?.decode;
      // 64 running → 4 replicas, but the 300 s scale-up stabilization holds the lowest recent recommendation.
      expect(at(0, 0, 64)).toBe(4);
      let desired = 0;
      for (let t = 1; t < 600; t++) desired = at(t, 0, 0) ?? desired;
      expect(desired).toBe(1);
    },
  );

  it('P/D: prefill on seconds of in-flight prefill tokens (target 1.5), decode on summed KV usage (target 0.8)', () => {
    const p = kedaPolicy({ ...ctx, disaggregated: true, initial: { decode: 1, prefill: 1 } });
    const prefill = [engineSnap('p', { inflightTokens: 400_000 })];
    const decode = [engineSnap('d', { kvUsage: 0.95 })];
    const d = p.step({ now: 0, decode: role(decode), prefill: role(prefill) });
    expect(d).toEqual({ decode: 2, prefill: 2 }); // one pod per 180 s each
  });
});

describe('ours runs with what a user configures', () => {
  it('its specs come from InferenceService annotations through the autoscaler’s own targets.ts', () => {
    const o = { decodeMin: 0, prefillMin: 0, scaleToZeroAfterS: 300, prefillThroughput: 38_000 };
    const pd = { ...ctx, disaggregated: true, maxReplicas: 16 };
    const annotations = oursAnnotations(pd, o);
    expect(annotations).toEqual({
      'kserve-llmd.io/decode-replicas': '0-16',
      'kserve-llmd.io/prefill-replicas': '0-16',
      'kserve-llmd.io/disaggregation': 'prefill-decode',
      'kserve-llmd.io/slo': 'ttft=2000ms,itl=100ms',
      'kserve-llmd.io/scale-to-zero-after': '300s',
      'kserve-llmd.io/prefill-throughput': '38000',
    });
    const { spec, problems } = specFor(
      { annotations, labels: { 'llm-d.ai/role': 'prefill' }, reachable: true, scaleToZeroEnabled: true },
      { maxReplicasCap: 1000, stableWindowMs: 60_000 },
    );
    expect(problems).toEqual([]);
    expect(spec).toMatchObject({ role: 'prefill', minReplicas: 0, maxReplicas: 16 });
    expect(spec.capacity.prefillTokensPerSec).toBe(38_000);
    expect(oursAnnotations(ctx, { ...o, prefillThroughput: null })).not.toHaveProperty(
      'kserve-llmd.io/prefill-throughput',
    );
  });
});
