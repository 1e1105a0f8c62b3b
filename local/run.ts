/**
 * Wires the local system: supervisor (engines) ← loop (real decider) ; gateway → queue/router → engines.
 * `startLocal` returns a handle the CLI and the tests use the same way: the gateway URL, the parts, `stop()`
 * (stops accepting, answers every queued request with 503, lets requests in flight finish for up to
 * engine.drainMs while the engines still run, then stops the loop and every engine), and `fatal` (a promise
 * that resolves if the engine command keeps failing to start).
 */
import { createRegistry } from '../src/metrics.js';
import { createEventEmitter, type EventEmitter } from '../src/events.js';
import type { Logger } from '../src/log.js';
import type { LocalConfig } from './config.js';
import { bundledPrefillTokensPerSec } from './engine/preset.js';
import { Gateway } from './gateway/server.js';
import { HttpError } from './http.js';
import { launcherFor } from './launchers.js';
import { LocalLoop } from './loop.js';
import { localMetrics } from './metrics.js';
import { RequestQueue } from './queue.js';
import { retryAfterSeconds } from './retry-after.js';
import { LocalRouter, MetricsRefresher } from './router.js';
import type { LocalService } from './service.js';
import { Supervisor } from './supervisor.js';
import type { RoleRow, ViewSnapshot } from './view.js';

export interface LocalHandle {
  url: string;
  port: number;
  service: LocalService;
  supervisor: Supervisor;
  loop: LocalLoop;
  gateway: Gateway;
  queue: RequestQueue;
  snapshot(recent?: string[]): ViewSnapshot;
  /** Resolves with the reason if the system cannot go on (an engine command that never starts). */
  fatal: Promise<Error>;
  stop(): Promise<void>;
}

export interface LocalOptions {
  /** The autoscaler loop's clock (LoopOptions.now); Date.now by default. */
  now?: () => number;
}

export async function startLocal(
  cfg: LocalConfig,
  service: LocalService,
  logger: Logger,
  opts: LocalOptions = {},
): Promise<LocalHandle> {
  const registry = createRegistry();
  const metrics = localMetrics(registry);
  const events: EventEmitter = createEventEmitter({
    sink: cfg.sink || process.env.K_SINK,
    source: 'kserve-llmd/local',
    registry,
    logger,
  });
  // A profile of the bundled engine stands in for Dynamo's pre-deployment profile (autoscaling.md §1.1).
  if (cfg.engine.mode === 'bundled' && cfg.autoscaler.prefillTokensPerSec === null && service.roles.prefill) {
    service.roles.prefill.capacity.prefillTokensPerSec = bundledPrefillTokensPerSec(cfg.engine);
  }
  let reportFatal: (e: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
  const loopRef: { loop?: LocalLoop; supervisor?: Supervisor } = {};
  const queue = new RequestQueue(
    cfg.queue,
    () => loopRef.loop?.poke(),
    () =>
      retryAfterSeconds({
        nowMs: Date.now(),
        startingSinceMs: (loopRef.supervisor?.replicas('decode') ?? [])
          .filter((r) => r.state === 'starting')
          .map((r) => r.createdAt),
        observedColdStartMs: loopRef.supervisor?.lastColdStartMs.decode,
        configuredColdStartMs:
          cfg.engine.mode === 'bundled' ? cfg.engine.coldStartMs : cfg.engine.mode === 'urls' ? 0 : undefined,
        queueTimeoutMs: cfg.queue.timeoutMs,
      }),
  );
  const supervisor = new Supervisor(launcherFor(service, cfg), cfg.engine, logger, {
    onReady: (r) => {
      logger.info('engine ready', { replica: r.id, url: r.url, coldStartMs: (r.readyAt ?? 0) - r.createdAt });
      if (r.role === 'decode') queue.release();
    },
    onCrash: (r, detail) => {
      metrics.restarts.inc({ role: r.role });
      logger.warn('engine died; replacing it', { replica: r.id, detail });
    },
    onFatal: (err) => reportFatal(err),
  });
  const loop = new LocalLoop({
    service,
    supervisor,
    queue,
    logger,
    metrics,
    events,
    tickMs: cfg.autoscaler.tickMs,
    stableWindowMs: cfg.autoscaler.stableWindowMs,
    panicWindowMs: cfg.autoscaler.panicWindowMs,
    ...(opts.now ? { now: opts.now } : {}),
  });
  loopRef.loop = loop;
  loopRef.supervisor = supervisor;
  const router = new LocalRouter(service);
  const refresher = new MetricsRefresher(() => supervisor.replicas(), cfg.routing.refreshMs);
  /** Gauges that mirror state (queue depth, replicas by role and state), set on every scrape and view frame. */
  const refreshGauges = (): void => {
    metrics.queued.set(queue.stats().queued);
    for (const role of ['decode', 'prefill'] as const) {
      if (!service.roles[role]) continue;
      const reps = supervisor.replicas(role);
      for (const state of ['starting', 'ready', 'draining'] as const)
        metrics.replicas.set({ role, state }, reps.filter((r) => r.state === state).length);
    }
  };
  const gateway = new Gateway({
    service,
    cfg: cfg.gateway,
    supervisor,
    router,
    queue,
    registry,
    metrics,
    logger,
    refreshGauges,
  });
  let port: number;
  try {
    port = await gateway.listen();
  } catch (err) {
    await events.close(0);
    throw err;
  }
  loop.start();
  refresher.start();
  const startedAtMs = Date.now();

  const snapshot = (recent: string[] = []): ViewSnapshot => {
    const q = queue.stats();
    refreshGauges();
    const roles = (['decode', 'prefill'] as const)
      .filter((r) => service.roles[r])
      .map((role): RoleRow => {
        const spec = service.roles[role];
        const reps = supervisor.replicas(role);
        const ready = reps.filter((r) => r.state === 'ready');
        const last = loop.last[role];
        return {
          role,
          min: spec?.minReplicas ?? 0,
          max: spec?.maxReplicas ?? 0,
          desired: supervisor.desired(role),
          starting: reps.filter((r) => r.state === 'starting').length,
          ready: ready.length,
          draining: reps.filter((r) => r.state === 'draining').length,
          waiting: ready.reduce((s, r) => s + (r.metrics?.waiting ?? 0), 0),
          running: ready.reduce((s, r) => s + (r.metrics?.running ?? 0), 0),
          kvUsage: ready.length ? ready.reduce((s, r) => s + (r.metrics?.kvUsage ?? 0), 0) / ready.length : 0,
          ...(last ? { last: { reason: last.decision.reason, detail: last.decision.detail, atMs: last.atMs } } : {}),
        };
      });
    return {
      name: service.name,
      url: `http://${cfg.gateway.host}:${port}`,
      disaggregated: service.disaggregated,
      nowMs: Date.now(),
      startedAtMs,
      roles,
      queue: { ...q, capacity: cfg.queue.capacity, timeoutMs: cfg.queue.timeoutMs },
      counts: { ...gateway.counts },
      recent,
    };
  };

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // Requests in flight finish on engines that still run; engines stopped first cut them off with no
      // HTTP response at all (issue 14). Nothing new is accepted, and nothing scales meanwhile.
      const drained = gateway.drain(cfg.engine.drainMs); // stops accepting at once
      queue.failAll(new HttpError(503, 'kserve-llmd local is shutting down', 'ServiceUnavailable'));
      await Promise.all([loop.stop(), refresher.stop(), drained]);
      await supervisor.stopAll();
      await gateway.close();
      await events.close(1_000);
    })());

  return {
    url: `http://${cfg.gateway.host}:${port}`,
    port,
    service,
    supervisor,
    loop: loop,
    gateway,
    queue,
    snapshot,
    fatal,
    stop,
  };
}
