/**
 * Composition: informers (always on, so a new leader starts with a warm cache), the loop (only while
 * leading, Lease in src/leader.ts), collector, demand sources, actuator, CloudEvents and metrics. Tests and
 * main.ts both build the autoscaler through here.
 */
import type { Registry } from 'prom-client';
import { createEventEmitter, type EventEmitter } from '../src/events.js';
import type { KubeClient } from '../src/kube.js';
import { LeaderElector } from '../src/leader.js';
import type { Logger } from '../src/log.js';
import { Actuator } from './actuator/index.js';
import { Collector, type PodCollector } from './collector/index.js';
import { HttpText } from './collector/http.js';
import { PrometheusCollector } from './collector/prometheus.js';
import type { AutoscalerConfig } from './config.js';
import { InformerView } from './loop/informer-view.js';
import { Loop } from './loop/index.js';
import { autoscalerMetrics } from './own-metrics.js';
import { createDemandSources } from './sources/index.js';
import { readFileSync } from 'node:fs';

export interface AutoscalerDeps {
  client: KubeClient;
  config: AutoscalerConfig;
  logger: Logger;
  registry: Registry;
  identity: string;
  /** CloudEvents sink: config.sink, else $K_SINK. */
  sink?: string;
  /** Clock for ticks, windows and the scale-to-zero grace (tests drive virtual time). */
  now?: () => number;
}

export class Autoscaler {
  readonly loop: Loop;
  readonly collector: PodCollector;
  readonly events: EventEmitter;
  readonly view: InformerView;
  private elector?: LeaderElector;
  private readonly eppCollector?: Collector;

  constructor(private readonly d: AutoscalerDeps) {
    const c = d.config;
    const metrics = autoscalerMetrics(d.registry);
    // Direct scrapes by default; the Prometheus HTTP API when configured (prometheusUrl).
    this.collector = c.prometheusUrl
      ? new PrometheusCollector(c.prometheusUrl, new HttpText(c.scrape), d.now)
      : new Collector(c.scrape, d.now);
    const tokenFile = c.eppTokenFile;
    if (tokenFile) this.eppCollector = new Collector({ ...c.scrape, bearerToken: () => readToken(tokenFile) });
    const eppHttp = this.eppCollector?.http ?? this.collector.http;
    this.view = new InformerView(d.client, c, d.logger.child({ component: 'informers' }));
    this.events = createEventEmitter({
      sink: d.sink || undefined,
      source: 'kserve-llmd/autoscaler',
      registry: d.registry,
      logger: d.logger,
    });
    this.loop = new Loop({
      view: this.view,
      collector: this.collector,
      demand: createDemandSources({
        http: eppHttp,
        eppMetricsUrl: c.eppMetricsUrl,
        activatorMetricsUrls: c.activatorMetricsUrls,
        metrics,
      }),
      actuator: new Actuator(d.client, {
        scaleToZeroGraceMs: c.scaleToZeroGraceMs,
        logger: d.logger.child({ component: 'actuator' }),
        now: d.now,
      }),
      metrics,
      events: this.events,
      logger: d.logger.child({ component: 'loop' }),
      tickMs: c.tickMs,
      stableWindowMs: c.stableWindowMs,
      panicWindowMs: Math.round((c.stableWindowMs * c.panicWindowPercentage) / 100),
      defaultPromptTokens: c.defaultPromptTokens,
      now: d.now,
    });
  }

  /** Start the informers only (tests then call loop.tick() themselves). */
  async startView(): Promise<void> {
    await this.view.start();
  }

  async start(): Promise<void> {
    await this.view.start();
    const le = this.d.config.leaderElection;
    if (!le.enabled) {
      this.loop.start();
      return;
    }
    this.elector = new LeaderElector({
      client: this.d.client,
      namespace: le.namespace,
      name: le.name,
      identity: this.d.identity,
      logger: this.d.logger,
      onStartedLeading: () => this.loop.start(),
      // Losing the lease stops acting at once; the informers stay warm for the next term.
      onStoppedLeading: () => void this.loop.stop(),
    });
    this.elector.run();
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** Graceful shutdown: finish the tick in progress, release the lease, flush events, close connections. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.elector?.stop();
    await this.view.stop();
    await this.events.close();
    await this.collector.close();
    await this.eppCollector?.close();
  }
}

function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
