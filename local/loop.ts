/**
 * The local autoscaler loop: every tick, scrape each ready replica's vLLM /metrics with the cluster
 * autoscaler's Collector, build each role's windows with its `observe` (Knative-style stable/panic windows),
 * decide with the real decider (`decidePool`: decode first, seeing what prefill prefilled, then prefill with decode
 * as its peer and the pool's prompt traffic), and hand the counts to the supervisor — the local actuator. Demand at
 * zero is the gateway's queue
 * (prefill counts only queued prompts long enough for P/D, as the decider expects). The gateway pokes the loop
 * when a request is buffered at zero, so a wake does not wait for the next tick (the activator's poke,
 * kserve-knative.md §4).
 */
import { Collector } from '../autoscaler/collector/index.js';
import {
  decidePool,
  type Decision,
  type DeciderRole,
  type DeciderState,
  type RoleWindows,
} from '../autoscaler/decider/index.js';
import { SCALED_EVENT } from '../autoscaler/loop/index.js';
import { observe } from '../autoscaler/loop/observe.js';
import { RoleWindow } from '../autoscaler/windows/window.js';
import type { EventEmitter } from '../src/events.js';
import type { Logger } from '../src/log.js';
import type { LocalMetrics } from './metrics.js';
import type { RequestQueue } from './queue.js';
import type { LocalService } from './service.js';
import type { Supervisor } from './supervisor.js';

export interface LoopOptions {
  service: LocalService;
  supervisor: Supervisor;
  queue: RequestQueue;
  logger: Logger;
  metrics: LocalMetrics;
  events?: EventEmitter;
  tickMs: number;
  stableWindowMs: number;
  panicWindowMs: number;
  /** Prompt length assumed for waiting requests before an engine has reported any. */
  defaultPromptTokens?: number;
  /**
   * The decider's clock (ms): the time of each tick's windows and decisions. Date.now by default; tests pass a
   * clock that can jump ahead (an idle window passes without waiting for it). Timers stay real.
   */
  now?: () => number;
}

export interface RoleReport {
  decision: Decision;
  atMs: number;
  windows: RoleWindows;
}

export class LocalLoop {
  private readonly collector: Collector;
  private readonly now: () => number;
  private readonly windows: Record<DeciderRole, RoleWindow>;
  private readonly states: { decode?: DeciderState; prefill?: DeciderState } = {};
  /** The latest decision per role, and the latest that changed the count (for the view). */
  readonly last: Partial<Record<DeciderRole, RoleReport>> = {};
  readonly changes: Array<{
    atMs: number;
    role: DeciderRole;
    from: number;
    to: number;
    reason: string;
    detail: string;
  }> = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;

  constructor(private readonly o: LoopOptions) {
    this.now = o.now ?? Date.now;
    this.collector = new Collector(
      { concurrency: 32, timeoutMs: 1_000, maxBodyBytes: 4 * 2 ** 20, keepAliveMs: 30_000 },
      this.now,
    );
    this.windows = { decode: new RoleWindow(1000, o.stableWindowMs), prefill: new RoleWindow(1000, o.stableWindowMs) };
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Tick now (a request was buffered at zero); a tick in progress is not interrupted. */
  poke(): void {
    if (this.stopped || this.running) return;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.collector.close();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const began = Date.now();
      this.running = this.tick()
        .catch((err: unknown) => this.o.logger.error('autoscaler tick failed', { error: (err as Error).message }))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(Math.max(0, this.o.tickMs - (Date.now() - began)));
        });
    }, ms);
  }

  async tick(): Promise<void> {
    const { service, supervisor, queue } = this.o;
    const roles = (['decode', 'prefill'] as const).filter((r) => service.roles[r] !== undefined);
    const ready = Object.fromEntries(roles.map((r) => [r, supervisor.ready(r)]));
    const all = roles.flatMap((r) => ready[r] ?? []);
    const results = await this.collector.scrape(all.map((r) => ({ key: r.id, url: `${r.url}/metrics` })));
    const byId = new Map(results.map((x) => [x.key, x]));
    const nowMs = this.now();
    const windowsOf = (role: DeciderRole): RoleWindows => {
      const mine = (ready[role] ?? []).map((r) => byId.get(r.id)).filter((x) => x !== undefined);
      return observe(
        this.windows[role],
        {
          nowMs,
          readyPods: mine.length,
          specReplicas: supervisor.active(role),
          observations: mine.flatMap((x) => (x.ok ? [x.observation] : [])),
          failedPods: mine.filter((x) => !x.ok).length,
          demandAtZero: role === 'decode' ? queue.demand() : queue.demand(service.pdThresholdTokens),
        },
        {
          stableWindowMs: this.o.stableWindowMs,
          panicWindowMs: this.o.panicWindowMs,
          defaultPromptTokens: this.o.defaultPromptTokens ?? 1024,
        },
      );
    };
    const decodeW = windowsOf('decode');
    const prefill = service.roles.prefill ? { spec: service.roles.prefill, windows: windowsOf('prefill') } : undefined;
    const out = decidePool(
      { decode: { spec: service.roles.decode, windows: decodeW }, ...(prefill ? { prefill } : {}) },
      nowMs,
      this.states,
    );
    // Same CloudEvent type as the cluster autoscaler, so one sink sees both.
    this.apply('decode', out.decode, decodeW, nowMs);
    if (out.prefill && prefill) this.apply('prefill', out.prefill, prefill.windows, nowMs);
  }

  private apply(role: DeciderRole, d: Decision, w: RoleWindows, atMs: number): void {
    this.states[role] = d.state;
    this.last[role] = { decision: d, atMs, windows: w };
    this.o.metrics.decisions.inc({ role, reason: d.reason, clamp: d.clamp?.reason ?? 'none' });
    this.o.metrics.desired.set({ role }, d.desired);
    const change = this.o.supervisor.scale(role, d.desired);
    if (!change) return;
    const transition =
      change.to === 0 ? 'sleep' : change.from === 0 ? 'wake' : change.to > change.from ? 'scale-up' : 'scale-down';
    const detail = d.clamp ? `${d.detail} (${d.clamp.reason}: ${d.clamp.detail})` : d.detail;
    this.changes.push({ atMs, role, from: change.from, to: change.to, reason: d.reason, detail });
    if (this.changes.length > 50) this.changes.shift();
    this.o.logger.info('scaled', { role, from: change.from, to: change.to, reason: d.reason, detail });
    this.o.events?.emit(SCALED_EVENT, `/local/${this.o.service.name}/${role}`, {
      name: this.o.service.name,
      role,
      from: change.from,
      to: change.to,
      transition,
      reason: d.reason,
      detail: d.detail,
      ...(d.clamp ? { clamp: d.clamp } : {}),
      failStatic: !d.valid,
      signals: d.signals,
    });
  }
}
