/**
 * What the cluster loop reports from a decision (issue 13): `kserve_llmd_autoscaler_fail_static` follows
 * Decision.valid (a failed scrape while panic mode holds the count is fail static), and a bound is reported
 * beside the rule that wanted the replicas in `decisions_total{reason,clamp}` and the CloudEvent's data.
 * The loop runs one tick at a time on a virtual clock with its collaborators passed in as plain fakes.
 */
import { Registry } from 'prom-client';
import type { Actuator } from '../../autoscaler/actuator/index.js';
import type { PodCollector, ScrapeResult, ScrapeTarget } from '../../autoscaler/collector/index.js';
import { Loop, SCALED_EVENT } from '../../autoscaler/loop/index.js';
import type { ClusterView, PodInfo } from '../../autoscaler/loop/view.js';
import type { PodSnapshot } from '../../autoscaler/metrics/vllm-signals.js';
import { autoscalerMetrics } from '../../autoscaler/own-metrics.js';
import type { DemandSources } from '../../autoscaler/sources/index.js';
import type { ScaleTarget } from '../../autoscaler/targets.js';
import type { EventEmitter } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import { specs } from './support/decider.js';
import { counterValue } from './support/harness.js';

const { decode } = specs(3);

/** One decode target (max 3) whose pods the test makes Ready and loads; writes and events are recorded. */
function setup() {
  let nowMs = 0;
  const target: ScaleTarget = {
    key: 'ns/llama-decode',
    namespace: 'ns',
    name: 'llama-decode',
    role: 'decode',
    poolKey: 'ns/llama',
    pool: 'llama',
    deployment: 'llama-decode-deployment',
    podSelector: {},
    spec: decode(),
    problems: [],
  };
  const pods: PodInfo[] = ['a', 'b'].map((n) => ({ key: `ns/${n}/u`, ip: '10.0.0.1', ready: true, metricsPort: 8000 }));
  let replicas = 2;
  const view: ClusterView = {
    targets: () => [target],
    pods: () => pods,
    specReplicas: () => replicas,
    sks: () => undefined,
  };
  // Per pod: its load and whether its scrape fails; the collector keeps the previous snapshot as the real one does.
  const load = { kvUsage: 0.5, running: 10, waiting: 0 };
  const failing = new Set<string>();
  const last = new Map<string, { atMs: number; snap: PodSnapshot }>();
  const collector = {
    scrape: async (ts: readonly ScrapeTarget[]): Promise<ScrapeResult[]> =>
      ts.map((t) => {
        if (failing.has(t.key)) return { key: t.key, ok: false, error: 'timeout', message: 'timed out' };
        const snap: PodSnapshot = { ...load, promptTokens: 0, generationTokens: 0, requestsFinished: 0 };
        const prev = last.get(t.key);
        last.set(t.key, { atMs: nowMs, snap });
        return { key: t.key, ok: true, observation: prev ? { atMs: nowMs, snap, prev } : { atMs: nowMs, snap } };
      }),
  } as unknown as PodCollector;
  const demand: DemandSources = { collect: async () => new Map() };
  const actuator = {
    apply: async (_t: ScaleTarget, desired: number, obs: { specReplicas: number }) => {
      const from = obs.specReplicas;
      replicas = desired;
      return { scaled: desired !== from ? { from, to: desired } : undefined, waitingForActivator: false };
    },
    forget: () => undefined,
  } as unknown as Actuator;
  const events: Array<Record<string, unknown>> = [];
  const emitter: EventEmitter = {
    enabled: true,
    emit: (type, _subject, data) => void (type === SCALED_EVENT && events.push(data)),
    close: async () => undefined,
  };
  const registry = new Registry();
  const loop = new Loop({
    view,
    collector,
    demand,
    actuator,
    metrics: autoscalerMetrics(registry),
    events: emitter,
    logger: silentLogger,
    tickMs: 1000,
    stableWindowMs: 60_000,
    panicWindowMs: 6000,
    defaultPromptTokens: 1024,
    now: () => nowMs,
  });
  const failStatic = async (): Promise<number> =>
    counterValue(registry, 'kserve_llmd_autoscaler_fail_static', { name: 'llama-decode' });
  return {
    loop,
    registry,
    events,
    load,
    failing,
    failStatic,
    tick: async (advanceMs = 1000) => {
      nowMs += advanceMs;
      return (await loop.tick()).decisions.get(target.key);
    },
  };
}

describe('cluster loop: reporting a decision', () => {
  it('a failed scrape while panic mode holds the count sets kserve_llmd_autoscaler_fail_static', async () => {
    const h = setup();
    h.load.kvUsage = 0.5;
    for (let i = 0; i < 3; i++) await h.tick();
    expect(await h.failStatic()).toBe(0);
    // KV saturated with a growing queue: panic, and a scale-up to max.
    Object.assign(h.load, { kvUsage: 1, running: 60, waiting: 200 });
    expect(await h.tick(7000)).toMatchObject({ desired: 3, panic: true });
    // The load falls and pod b stops answering; panic keeps the count for a stable window.
    Object.assign(h.load, { kvUsage: 0.1, running: 4, waiting: 0 });
    h.failing.add('ns/b/u');
    const d = await h.tick(7000); // past the panic window (6 s), within the stable window (60 s)
    expect(d).toMatchObject({ reason: 'panic-hold', valid: false });
    expect(await h.failStatic()).toBe(1);
    // Data complete again: fail static ends, whatever panic does.
    h.failing.clear();
    const after = await h.tick();
    expect(after?.valid).toBe(true);
    expect(await h.failStatic()).toBe(0);
  });

  it('a scale-up capped by max-scale is counted and announced with its rule and the clamp', async () => {
    const h = setup();
    for (let i = 0; i < 3; i++) await h.tick();
    // KV saturated on both pods and a growing queue: the rules want more than max-scale 3.
    Object.assign(h.load, { kvUsage: 1, running: 60, waiting: 200 });
    const d = await h.tick(7000); // past the panic window: it sees only the saturated tick
    expect(d?.desired).toBe(3);
    expect(d?.reason).not.toBe('max-scale');
    expect(d?.clamp).toMatchObject({ reason: 'max-scale', detail: expect.stringMatching(/capped at max 3$/) });
    expect(
      await counterValue(h.registry, 'kserve_llmd_autoscaler_decisions_total', {
        reason: d?.reason as string,
        clamp: 'max-scale',
      }),
    ).toBe(1);
    expect(await counterValue(h.registry, 'kserve_llmd_autoscaler_decisions_total', { clamp: 'none' })).toBe(3);
    expect(h.events).toEqual([
      expect.objectContaining({
        from: 2,
        to: 3,
        transition: 'scale-up',
        reason: d?.reason,
        detail: d?.detail,
        clamp: d?.clamp,
        failStatic: false,
      }),
    ]);
  });
});
