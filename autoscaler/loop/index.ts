/**
 * The loop: every tick, scrape every ready pod and the demand sources, update each target's windows, decide
 * per pool (decode first, prefill with decode as its peer), actuate what changed, report. One tick never
 * overlaps the next (a slow tick delays the next one rather than piling up).
 */
import type { EventEmitter } from '../../src/events.js';
import type { Logger } from '../../src/log.js';
import type { Actuator } from '../actuator/index.js';
import type { PodCollector, ScrapeResult } from '../collector/index.js';
import { decide, startingState } from '../decider/index.js';
import { withPoolPrompts, withRemotePrefill } from '../decider/pool.js';
import type { Decision, DeciderState, RoleWindows } from '../decider/types.js';
import type { AutoscalerMetrics } from '../own-metrics.js';
import type { DemandSources } from '../sources/index.js';
import type { ScaleTarget } from '../targets.js';
import { RoleWindow } from '../windows/window.js';
import { observe } from './observe.js';
import { metricsUrl, type ClusterView } from './view.js';

export interface LoopOptions {
  view: ClusterView;
  collector: PodCollector;
  demand: DemandSources;
  actuator: Actuator;
  metrics?: AutoscalerMetrics;
  events?: EventEmitter;
  logger: Logger;
  tickMs: number;
  stableWindowMs: number;
  panicWindowMs: number;
  defaultPromptTokens: number;
  /** Actuation writes in flight at once. */
  actuateConcurrency?: number;
  now?: () => number;
}

export interface TickReport {
  nowMs: number;
  scrapeMs: number;
  decideMs: number;
  actuateMs: number;
  decisions: Map<string, Decision>;
  scrapeErrors: number;
}

export const SCALED_EVENT = 'dev.kserve-llmd.autoscaler.scaled';

export class Loop {
  private readonly windows = new Map<string, RoleWindow>();
  private readonly states = new Map<string, DeciderState>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = true;

  constructor(private readonly o: LoopOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const run = (): void => {
      if (this.stopped) return;
      const began = Date.now();
      this.running = this.tick()
        .catch((err: unknown) => this.o.logger.error('tick failed', { error: String((err as Error).message ?? err) }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(run, Math.max(0, this.o.tickMs - (Date.now() - began)));
        });
    };
    run();
  }

  /** Stop ticking and wait for the tick in progress (graceful shutdown, leadership lost). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    // A new leadership term starts from scratch: its decider fails static until it has its own history.
    this.states.clear();
    this.windows.clear();
  }

  async tick(): Promise<TickReport> {
    const now = this.o.now ?? Date.now;
    // Decisions use the (possibly virtual) clock; phase durations always use the monotonic one.
    const p0 = performance.now();
    const targets = this.o.view.targets();
    const pods = new Map(targets.map((t) => [t.key, this.o.view.pods(t)]));
    const scrapeTargets = targets.flatMap((t) =>
      (pods.get(t.key) ?? []).filter((p) => p.ready).map((p) => ({ key: p.key, url: metricsUrl(p) })),
    );
    const [results, demand] = await Promise.all([
      this.o.collector.scrape(scrapeTargets),
      this.o.demand.collect(targets),
    ]);
    const byKey = new Map<string, ScrapeResult>(results.map((r) => [r.key, r]));
    const t1 = now();
    const p1 = performance.now();
    const scrapeErrors = this.countScrapes(results);

    const windows = new Map<string, RoleWindows>();
    for (const t of targets) {
      const ready = (pods.get(t.key) ?? []).filter((p) => p.ready);
      const res = ready.map((p) => byKey.get(p.key)).filter((r): r is ScrapeResult => r !== undefined);
      let win = this.windows.get(t.key);
      if (!win) this.windows.set(t.key, (win = new RoleWindow(1000, this.o.stableWindowMs)));
      windows.set(
        t.key,
        observe(
          win,
          {
            nowMs: t1,
            readyPods: ready.length,
            specReplicas: this.o.view.specReplicas(t) ?? ready.length,
            observations: res.flatMap((r) => (r.ok ? [r.observation] : [])),
            failedPods: res.filter((r) => !r.ok).length,
            demandAtZero: demand.get(t.key) ?? { queuedRequests: 0, queuedPromptTokens: 0 },
          },
          {
            stableWindowMs: this.o.stableWindowMs,
            panicWindowMs: this.o.panicWindowMs,
            defaultPromptTokens: this.o.defaultPromptTokens,
          },
        ),
      );
    }
    const decisions = this.decideAll(targets, windows, t1);
    const p2 = performance.now();
    await this.actuateAll(targets, decisions, windows);
    const p3 = performance.now();
    this.forgetGone(targets);
    this.o.metrics?.tick.observe({ phase: 'scrape' }, (p1 - p0) / 1000);
    this.o.metrics?.tick.observe({ phase: 'decide' }, (p2 - p1) / 1000);
    this.o.metrics?.tick.observe({ phase: 'actuate' }, (p3 - p2) / 1000);
    this.o.metrics?.tick.observe({ phase: 'total' }, (p3 - p0) / 1000);
    return { nowMs: t1, scrapeMs: p1 - p0, decideMs: p2 - p1, actuateMs: p3 - p2, decisions, scrapeErrors };
  }

  /**
   * Decode before prefill in each pool; prefill's peer is the sum of its pool's decode decisions. Decode sees
   * what its pool's prefill targets prefilled this tick (withRemotePrefill: P/D decode pods count those prompts too).
   */
  decideAll(targets: ScaleTarget[], windows: Map<string, RoleWindows>, nowMs: number): Map<string, Decision> {
    const out = new Map<string, Decision>();
    const decodeByPool = new Map<string, { desired: number; ready: number; windows: RoleWindows[] }>();
    const byPool = (role: ScaleTarget['role']): Map<string, RoleWindows[]> => {
      const m = new Map<string, RoleWindows[]>();
      for (const t of targets)
        if (t.role === role) m.set(t.poolKey, [...(m.get(t.poolKey) ?? []), windows.get(t.key) as RoleWindows]);
      return m;
    };
    const prefillWindows = byPool('prefill');
    const decodeWindows = byPool('decode');
    const ordered = [...targets].sort((a, b) => (a.role === b.role ? 0 : a.role === 'decode' ? -1 : 1));
    for (const t of ordered) {
      let w = windows.get(t.key) as RoleWindows;
      if (t.role === 'decode')
        w = withRemotePrefill(w, prefillWindows.get(t.poolKey) ?? [], decodeWindows.get(t.poolKey));
      if (t.role === 'prefill') {
        const peer = decodeByPool.get(t.poolKey);
        if (peer) w = { ...withPoolPrompts(w, peer.windows), peer: { desired: peer.desired, ready: peer.ready } };
      }
      const d = decide(t.spec, w, nowMs, this.states.get(t.key) ?? startingState(nowMs, w.readyPods + w.startingPods));
      this.states.set(t.key, d.state);
      out.set(t.key, d);
      if (t.role === 'decode') {
        const p = decodeByPool.get(t.poolKey) ?? { desired: 0, ready: 0, windows: [] };
        decodeByPool.set(t.poolKey, {
          desired: p.desired + d.desired,
          ready: p.ready + w.readyPods,
          windows: [...p.windows, w],
        });
      }
    }
    return out;
  }

  private async actuateAll(
    targets: ScaleTarget[],
    decisions: Map<string, Decision>,
    windows: Map<string, RoleWindows>,
  ): Promise<void> {
    const queue = [...targets];
    const worker = async (): Promise<void> => {
      for (let t = queue.shift(); t; t = queue.shift())
        await this.actuateOne(t, decisions.get(t.key) as Decision, windows.get(t.key) as RoleWindows);
    };
    await Promise.all(Array.from({ length: Math.min(this.o.actuateConcurrency ?? 16, queue.length) }, worker));
  }

  private async actuateOne(t: ScaleTarget, d: Decision, w: RoleWindows): Promise<void> {
    const labels = { namespace: t.namespace, name: t.name, role: t.role };
    const specReplicas = this.o.view.specReplicas(t);
    const m = this.o.metrics;
    m?.desired.set(labels, d.desired);
    m?.actual.set(labels, w.readyPods);
    // Fail static is the decision's `valid`, not its reason: panic-hold or a scale-up may hold the count meanwhile.
    m?.failStatic.set(labels, d.valid ? 0 : 1);
    m?.decisions.inc({ role: t.role, reason: d.reason, clamp: d.clamp?.reason ?? 'none' });
    for (const [signal, v] of Object.entries(d.signals)) m?.signal.set({ ...labels, signal }, v);
    if (specReplicas === undefined) return; // the Deployment is not in the cache yet: nothing to scale
    try {
      const r = await this.o.actuator.apply(t, d.desired, {
        ready: w.readyPods,
        specReplicas,
        sks: this.o.view.sks(t),
      });
      if (r.scaled) this.announce(t, d, r.scaled.from, r.scaled.to);
    } catch (err) {
      m?.actuationErrors.inc({ namespace: t.namespace, name: t.name });
      this.o.logger.warn('actuation failed; retrying next tick', {
        target: t.key,
        error: String((err as Error).message ?? err),
      });
    }
  }

  /** One CloudEvent per replica change; sleep (→0) and wake (0→) are marked (never blocks: events.ts buffers). */
  private announce(t: ScaleTarget, d: Decision, from: number, to: number): void {
    const transition = to === 0 ? 'sleep' : from === 0 ? 'wake' : to > from ? 'scale-up' : 'scale-down';
    this.o.logger.info('scaled', {
      target: t.key,
      role: t.role,
      from,
      to,
      reason: d.reason,
      detail: d.detail,
      ...(d.clamp ? { clamp: d.clamp } : {}),
    });
    // source: the PodAutoscaler that decided (issue 5); subject: what it scaled (its scaleTargetRef's /scale).
    this.o.events?.emit(
      SCALED_EVENT,
      scaledPath(t),
      {
        namespace: t.namespace,
        name: t.name,
        pool: t.pool,
        role: t.role,
        from,
        to,
        transition,
        reason: d.reason,
        detail: d.detail,
        ...(d.clamp ? { clamp: d.clamp } : {}),
        failStatic: !d.valid,
        signals: d.signals,
      },
      { source: paPath(t) },
    );
  }

  private countScrapes(results: ScrapeResult[]): number {
    let errors = 0;
    for (const r of results) {
      this.o.metrics?.scrapes.inc({ source: 'vllm' });
      if (!r.ok) {
        errors++;
        this.o.metrics?.scrapeErrors.inc({ source: 'vllm', kind: r.error });
      }
    }
    return errors;
  }

  private forgetGone(targets: ScaleTarget[]): void {
    const live = new Set(targets.map((t) => t.key));
    for (const k of [...this.windows.keys()]) {
      if (live.has(k)) continue;
      this.windows.delete(k);
      this.states.delete(k);
      this.o.actuator.forget(k);
    }
  }
}

/** The Deployment whose /scale a decision writes: the CloudEvent subject. */
export function scaledPath(t: ScaleTarget): string {
  return `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.deployment}`;
}

/** The PA (or, in Standard mode, the Deployment) as a resource path: the CloudEvent source. */
export function paPath(t: ScaleTarget): string {
  return t.pa
    ? `/apis/autoscaling.internal.knative.dev/v1alpha1/namespaces/${t.namespace}/podautoscalers/${t.name}`
    : `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`;
}
