/**
 * A fleet of simulated vLLM pods behind the router, driven by one autoscaling policy over a trace.
 *
 * - Pods: starting (cold start: schedule + weight load + engine init, presets.ts) → ready → draining
 *   (out of routing, finishes in-flight requests; Knative/llm-d drain) → gone. GPU time is billed from
 *   creation to the end of draining, clipped at the horizon, so a static fleet costs replicas × horizon.
 * - Requests arriving while no decode pod is ready are buffered (Knative activator / EPP flow control)
 *   and dispatched when the first pod becomes ready; they count as "waited on a cold start".
 * - P/D: decode is chosen first, then a prefill pod if the non-cached prompt is long and a prefill pod is
 *   ready; otherwise the decode pod prefills locally (llm-d disaggregation.md). The KV moves after prefill.
 * - The policy ticks every second; after the horizon it keeps ticking until every request finished
 *   (at most 30 min more), so no policy can drop work by ending the run.
 */
import { SimClock } from './clock.js';
import { Engine, type EngineRequest } from '../../model/engine.js';
import { HASH_BLOCK_TOKENS } from '../../model/kv.js';
import { kvTransferSeconds } from '../../model/perf.js';
import type { WarmCache } from './prewarm.js';
import type { EnginePreset } from '../../model/presets.js';
import { createRng, logNormal } from '../../model/rng.js';
import {
  createRouter,
  PrefixIndex,
  wantsRemotePrefill,
  type RoutablePod,
  type RouterName,
} from '../../model/router.js';
import type { Desired, EngineSnapshot, Observation, Policy, Role, RoleObservation } from './policies/types.js';
import { renderVllmMetrics } from '../../model/prom.js';
import type { TraceRequest } from './traffic/types.js';

export interface ClusterOptions {
  preset: EnginePreset;
  requests: readonly TraceRequest[];
  horizonS: number;
  policy: Policy;
  router: RouterName;
  disaggregated: boolean;
  /** P/D: remote prefill when at least this many prompt tokens are not cached on the decode pod. */
  pdThresholdTokens: number;
  seed: number;
  /** Warm pods at t = 0. */
  initial: Desired;
  /** Seconds from pod creation to ready: fixed, or the median of a seeded log-normal when coldStartSpread is set. */
  coldStartS: number;
  /**
   * Cold starts vary (node placement, image and weight cache, storage bandwidth): each pod's is drawn from a
   * log-normal with median coldStartS and shape sigma, clipped to [minS, maxS], from the run's seed.
   */
  coldStartSpread?: ColdStartSpread;
  maxReplicas: number;
  sampleS?: number;
  /** Caches of the initial pods, per role (the oracle's per-window runs; prewarm.ts). */
  warm?: Partial<Record<Role, readonly WarmCache[]>>;
  /** GPU time is also reported from this time on (the warm-up-excluded figures). */
  warmupS?: number;
  /**
   * EPP flow control (llm-d router `featureGates: [flowControl]`, as the KEDA guide deploys it): while the pool is
   * saturated — mean over the decode pods of max(waiting ÷ 5, KV usage ÷ 0.8), the default utilization-detector
   * (llm-d-router v0.9.0 pkg/epp/framework/plugins/flowcontrol/saturationdetector/utilization) — new requests wait
   * in the EPP's queue, FIFO, and are dispatched when it is not (a dispatch cycle every 50 ms, the EPP's metrics
   * refresh). Off by default: the other policies' stacks route every request at once.
   */
  flowControl?: boolean;
  onProgress?(fraction: number): void;
}

export interface ColdStartSpread {
  sigma: number;
  minS: number;
  maxS: number;
}

/** The benchmark's cold starts: median the preset's (33 s for the 8B), mostly 20–60 s, at most 90 s. */
export const COLD_START_SPREAD: ColdStartSpread = { sigma: 0.35, minS: 20, maxS: 90 };

export interface Outcome {
  arrival: number;
  promptTokens: number;
  outputTokens: number;
  firstTokenAt: number;
  finishedAt: number;
  ok: boolean;
  waitedColdStart: boolean;
  remotePrefill: boolean;
}

export interface Sample {
  t: number;
  decode: number;
  prefill: number;
  decodeReady: number;
  prefillReady: number;
}

export interface ClusterResult {
  outcomes: Outcome[];
  samples: Sample[];
  gpuSeconds: number;
  /** GPU-seconds billed from warmupS to the horizon. */
  gpuSecondsAfterWarmup: number;
  scaleEvents: number;
  coldStarts: number;
  events: number;
}

interface Pod extends RoutablePod {
  role: Role;
  state: 'starting' | 'ready' | 'draining' | 'gone';
  createdAt: number;
  endedAt: number;
  pending: number;
  /** Uncached prompt tokens of requests routed here that have no first token yet (EPP inflight-load-producer). */
  inflightTokens: number;
}

/** utilization-detector defaults (config.go): queueDepthThreshold 5, kvCacheUtilThreshold 0.8. */
const SATURATION_QUEUE = 5;
const SATURATION_KV = 0.8;
const FLOW_CYCLE_S = 0.05;

const DRAIN_LIMIT_S = 1800;

export function runCluster(o: ClusterOptions): ClusterResult {
  return new Cluster(o).run();
}

class Cluster {
  private readonly clock = new SimClock();
  private readonly pods: Pod[] = [];
  private readonly buffer: number[] = [];
  /** EPP flow-control queue (flowControl only): requests held while the pool is saturated. */
  private readonly flowQueue: number[] = [];
  private flowCycleDue = false;
  private readonly outcomes: Outcome[];
  private readonly router;
  private readonly coldRng;
  private readonly samples: Sample[] = [];
  private nextPod = 0;
  private done = 0;
  private scaleEvents = 0;
  private coldStarts = 0;

  constructor(private readonly o: ClusterOptions) {
    this.router = createRouter(o.router, createRng(o.seed ^ 0x5eed));
    this.coldRng = createRng(o.seed ^ 0xc01d);
    this.outcomes = o.requests.map((r) => ({
      arrival: r.arrival,
      promptTokens: r.promptTokens,
      outputTokens: r.outputTokens,
      firstTokenAt: NaN,
      finishedAt: NaN,
      ok: false,
      waitedColdStart: false,
      remotePrefill: false,
    }));
  }

  run(): ClusterResult {
    const { o, clock } = this;
    for (let i = 0; i < o.initial.decode; i++) this.createPod('decode', true, o.warm?.decode?.[i]);
    for (let i = 0; i < (o.disaggregated ? o.initial.prefill : 0); i++)
      this.createPod('prefill', true, o.warm?.prefill?.[i]);
    o.requests.forEach((r, i) => clock.at(r.arrival, () => this.arrive(i)));
    const tick = (): void => {
      const now = clock.now();
      const d = o.policy.step(this.observe());
      if (d) {
        this.reconcile('decode', d.decode);
        if (o.disaggregated) this.reconcile('prefill', d.prefill);
      }
      if (now < o.horizonS || (this.done < this.outcomes.length && now < o.horizonS + DRAIN_LIMIT_S))
        clock.at(now + 1, tick);
    };
    const sampleS = o.sampleS ?? 10;
    const sample = (): void => {
      this.samples.push(this.sample());
      if (clock.now() + sampleS <= o.horizonS) clock.at(clock.now() + sampleS, sample);
    };
    // The first sample is the fleet as it starts, before the policy's first tick.
    clock.at(0, sample);
    clock.at(0, tick);
    const step = Math.max(60, o.horizonS / 20);
    for (let t = step; t < o.horizonS; t += step) {
      clock.runUntil(t);
      o.onProgress?.(t / o.horizonS);
    }
    clock.runUntil(Infinity);
    return {
      outcomes: this.outcomes,
      samples: this.samples,
      gpuSeconds: this.gpuSeconds(0),
      gpuSecondsAfterWarmup: this.gpuSeconds(o.warmupS ?? 0),
      scaleEvents: this.scaleEvents,
      coldStarts: this.coldStarts,
      events: clock.events,
    };
  }

  private gpuSeconds(from: number): number {
    let s = 0;
    for (const p of this.pods)
      s += Math.max(
        0,
        Math.min(p.state === 'gone' ? p.endedAt : Infinity, this.o.horizonS) - Math.max(from, p.createdAt),
      );
    return s * this.o.preset.tp;
  }

  private ready(role: Role): Pod[] {
    return this.pods.filter((p) => p.role === role && p.state === 'ready');
  }

  private arrive(i: number): void {
    if (this.ready('decode').length === 0) {
      (this.outcomes[i] as Outcome).waitedColdStart = true;
      this.buffer.push(i);
      return;
    }
    if (this.o.flowControl && (this.flowQueue.length > 0 || this.saturation() >= 1)) {
      this.flowQueue.push(i);
      this.scheduleFlowCycle();
      return;
    }
    this.dispatch(i);
  }

  /** Pool saturation as the utilization-detector computes it (an empty pool is saturated). */
  private saturation(): number {
    const pods = this.ready('decode');
    if (pods.length === 0) return 1;
    let sum = 0;
    for (const p of pods) {
      const waiting = p.engine.inflight() - p.engine.running.length; // queued, or in the front end on its way
      sum += Math.max(waiting / SATURATION_QUEUE, p.engine.kv.usage() / SATURATION_KV);
    }
    return sum / pods.length;
  }

  private scheduleFlowCycle(): void {
    if (this.flowCycleDue) return;
    this.flowCycleDue = true;
    this.clock.at(this.clock.now() + FLOW_CYCLE_S, () => {
      this.flowCycleDue = false;
      while (this.flowQueue.length > 0 && this.saturation() < 1) this.dispatch(this.flowQueue.shift() as number);
      if (this.flowQueue.length > 0) this.scheduleFlowCycle();
    });
  }

  private dispatch(i: number): void {
    const o = this.o;
    const r = o.requests[i] as TraceRequest;
    const out = this.outcomes[i] as Outcome;
    const d = this.router.pick(r, this.ready('decode')) as Pod;
    const prefillPods = o.disaggregated ? this.ready('prefill') : [];
    const remote = prefillPods.length > 0 && wantsRemotePrefill(r, d, o.pdThresholdTokens);
    // The prefilling pod's in-flight uncached tokens, released at the first token (inflight-load-producer).
    let held: { pod: Pod; tokens: number } | undefined;
    const release = (): void => {
      if (held) held.pod.inflightTokens -= held.tokens;
      held = undefined;
    };
    if (!remote) held = { pod: d, tokens: uncachedOn(d, r) };
    d.prefix.add(r.hashIds);
    d.pending++;
    const finish = (t: number, ok: boolean): void => {
      release();
      out.finishedAt = t;
      out.ok = ok;
      this.done++;
      d.pending--;
      this.retireIfDrained(d);
    };
    const decodeReq: EngineRequest = {
      id: i,
      promptTokens: r.promptTokens,
      outputTokens: r.outputTokens,
      hashIds: r.hashIds,
      remotePrefilled: remote,
      onFirstToken: (t) => {
        out.firstTokenAt = t;
        release();
      },
      onDone: finish,
    };
    if (!remote) {
      d.inflightTokens += (held as { tokens: number }).tokens;
      return d.engine.enqueue(decodeReq);
    }
    out.remotePrefill = true;
    const p = this.router.pick(r, prefillPods) as Pod;
    held = { pod: p, tokens: uncachedOn(p, r) };
    p.inflightTokens += held.tokens;
    p.prefix.add(r.hashIds);
    p.pending++;
    p.engine.enqueue({
      id: i,
      promptTokens: r.promptTokens,
      outputTokens: 1,
      hashIds: r.hashIds,
      remotePrefilled: false,
      onDone: (t, ok) => {
        p.pending--;
        this.retireIfDrained(p);
        if (!ok) return finish(t, false);
        this.clock.at(t + kvTransferSeconds(o.preset, r.promptTokens), () => d.engine.enqueue(decodeReq));
      },
    });
  }

  private createPod(role: Role, warm: boolean, cache?: WarmCache): void {
    const now = this.clock.now();
    const id = `${role}-${this.nextPod++}`;
    const engine = new Engine(id, this.o.preset, this.clock);
    const prefix = new PrefixIndex(Math.floor(this.o.preset.kvCapacityTokens / HASH_BLOCK_TOKENS));
    if (cache) {
      prefix.copyFrom(cache.prefix);
      engine.kv.copyFrom(cache.kv);
    }
    const pod: Pod = {
      id,
      role,
      engine,
      prefix,
      state: warm ? 'ready' : 'starting',
      createdAt: now,
      endedAt: NaN,
      pending: 0,
      inflightTokens: 0,
    };
    this.pods.push(pod);
    if (warm) return;
    this.coldStarts++;
    this.clock.at(now + this.coldStart(), () => {
      if (pod.state !== 'starting') return;
      pod.state = 'ready';
      if (role === 'decode') this.buffer.splice(0).forEach((i) => this.dispatch(i));
    });
  }

  private coldStart(): number {
    const c = this.o.coldStartSpread;
    if (!c) return this.o.coldStartS;
    return Math.min(c.maxS, Math.max(c.minS, logNormal(this.coldRng, this.o.coldStartS, c.sigma)));
  }

  private reconcile(role: Role, want: number): void {
    const n = Math.max(0, Math.min(this.o.maxReplicas, Math.round(want)));
    const active = this.pods.filter((p) => p.role === role && (p.state === 'starting' || p.state === 'ready'));
    if (n === active.length) return;
    this.scaleEvents++;
    for (let k = active.length; k < n; k++) this.createPod(role, false);
    if (n >= active.length) return;
    // Remove pods that are not serving yet first (newest first), then the least loaded ready pods.
    const victims = active
      .slice()
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, active.length - n);
    for (const p of victims) {
      p.state = p.state === 'starting' ? 'gone' : 'draining';
      if (p.state === 'gone') p.endedAt = this.clock.now();
      this.retireIfDrained(p);
    }
  }

  private retireIfDrained(p: Pod): void {
    if (p.state === 'draining' && p.pending === 0) {
      p.state = 'gone';
      p.endedAt = this.clock.now();
    }
  }

  private observe(): Observation {
    let running = 0;
    for (const p of this.pods) if (p.role === 'decode') running += p.pending;
    const obs: Observation = {
      now: this.clock.now(),
      decode: this.roleObservation('decode'),
      epp: { flowQueued: this.buffer.length + this.flowQueue.length, running },
    };
    if (this.o.disaggregated) obs.prefill = this.roleObservation('prefill');
    return obs;
  }

  private roleObservation(role: Role): RoleObservation {
    const mine = this.pods.filter((p) => p.role === role);
    const ready = mine.filter((p) => p.state === 'ready');
    const starting = mine.filter((p) => p.state === 'starting').length;
    const buffered = this.buffer
      .map((i) => this.o.requests[i] as TraceRequest)
      .filter((r) => role === 'decode' || r.promptTokens >= this.o.pdThresholdTokens);
    return {
      replicas: ready.length + starting,
      ready: ready.length,
      starting,
      engines: ready.map((p) => snapshot(p)),
      buffered: buffered.length,
      bufferedPromptTokens: buffered.reduce((s, r) => s + r.promptTokens, 0),
    };
  }

  private sample(): Sample {
    const count = (role: Role, states: Pod['state'][]): number =>
      this.pods.filter((p) => p.role === role && states.includes(p.state)).length;
    return {
      t: this.clock.now(),
      decode: count('decode', ['starting', 'ready', 'draining']),
      prefill: count('prefill', ['starting', 'ready', 'draining']),
      decodeReady: count('decode', ['ready']),
      prefillReady: count('prefill', ['ready']),
    };
  }
}

/** Prompt tokens the router expects a pod to prefill (its prefix index's match removed). */
function uncachedOn(p: Pod, r: TraceRequest): number {
  return r.promptTokens - Math.min(r.promptTokens, p.prefix.match(r.hashIds) * HASH_BLOCK_TOKENS);
}

function rank(p: Pod): number {
  return p.state === 'starting' ? -1e9 - p.createdAt : p.pending;
}

function snapshot(p: Pod): EngineSnapshot {
  const e = p.engine;
  let kvTokens = 0;
  for (const s of e.running) kvTokens += s.ctx;
  return {
    id: e.id,
    waiting: e.waiting.length,
    running: e.running.length,
    kvUsage: e.kv.usage(),
    inflight: e.inflight(),
    queuedPrefillTokens: e.queuedPrefillTokens(),
    kvTokens,
    promptTokensTotal: e.counters.promptTokens,
    generationTokensTotal: e.counters.generationTokens,
    requestSuccessTotal: e.counters.requestSuccess,
    inflightUncachedTokens: p.inflightTokens,
    metricsText: () => renderVllmMetrics(e),
  };
}
