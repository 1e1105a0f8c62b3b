/**
 * The controller loop: informers (InferenceServices, and each owned kind filtered by our managed-by label),
 * a work queue keyed `namespace/name` of the owning InferenceService, and the reconciler. Every event of an
 * owned object wakes its owner; the InferenceService informer's periodic resync re-checks everything.
 *
 * Usage: const c = new RoutingController({ client, config, registry, events, logger }); await c.start(); … await
 * c.stop();
 */
import type { Registry } from 'prom-client';
import type { EventEmitter } from '../src/events.js';
import { createInformer, type InformerEvent, type RestartableInformer } from '../src/informer.js';
import { apiVersionOf, isStatus, RESOURCES, type KubeClient, type KubeObject } from '../src/kube.js';
import type { Logger } from '../src/log.js';
import { CONTROLLER } from '../core/names.js';
import { WorkQueue } from '../src/workqueue.js';
import { GATEWAY_IMPLEMENTATIONS, type ControllerConfig } from './config.js';
import { controllerMetrics, type ControllerMetrics } from './metrics.js';
import { objectBuilders } from './objects/index.js';
import { objectKey, Reconciler, type Written } from './reconcile.js';
import { createReporter } from './reporter.js';

export interface ControllerDeps {
  client: KubeClient;
  config: ControllerConfig;
  registry: Registry;
  events: EventEmitter;
  logger: Logger;
}

/** The InferenceService that owns `obj` (controller ownerReference), as a queue key. */
export function ownerKey(obj: KubeObject): string | undefined {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller && r.kind === 'InferenceService');
  return ref ? `${obj.metadata?.namespace ?? ''}/${ref.name}` : undefined;
}

export class RoutingController {
  readonly queue: WorkQueue;
  readonly metrics: ControllerMetrics;
  private readonly informers = new Map<string, RestartableInformer>();
  private readonly written = new Map<string, Written>();
  private readonly reconciler: Reconciler;

  constructor(private readonly deps: ControllerDeps) {
    this.queue = new WorkQueue({
      baseDelayMs: 200,
      maxDelayMs: 5 * 60_000,
      onDone: (key, result, ms, err) => {
        this.metrics.reconciles.inc({ result });
        this.metrics.duration.observe({ result }, ms / 1000);
        if (err)
          deps.logger.warn('reconcile failed; retrying with backoff', {
            service: key,
            error: String((err as Error).message ?? err),
            failures: this.queue.failuresOf(key),
          });
      },
    });
    this.metrics = controllerMetrics(deps.registry, () => this.queue.len());
    const caches: Record<string, { get(name: string, ns?: string): KubeObject | undefined }> = {};
    for (const r of [RESOURCES.inferenceServices, ...objectBuilders(deps.config).map((b) => b.resource)]) {
      caches[r.plural] = { get: (name, ns) => this.informers.get(r.plural)?.get(name, ns) };
    }
    this.reconciler = new Reconciler({
      client: deps.client,
      config: deps.config,
      caches,
      written: this.written,
      logger: deps.logger,
      onWrite: (kind, op) => this.metrics.writes.inc({ kind, op }),
      ...createReporter({
        client: deps.client,
        events: deps.events,
        logger: deps.logger,
        onConflictCount: (n) => this.metrics.conflicts.set(n),
      }),
    });
  }

  /**
   * The kinds of the configured gateway implementation must be served, or their informers would retry a 404
   * forever and the controller would never start: fail at once, naming the setting and the missing kind.
   */
  private async checkGatewayKinds(): Promise<void> {
    const { client, config } = this.deps;
    for (const b of objectBuilders(config).filter((x) => x.gateway !== undefined)) {
      try {
        await client.list(b.resource, config.namespace, {
          labelSelector: `app.kubernetes.io/managed-by=${CONTROLLER.managedBy}`,
        });
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
        throw new Error(
          `--gateway-implementation=${config.gatewayImplementation} needs ${b.kind} (${apiVersionOf(b.resource)}), ` +
            'which this cluster does not serve: install its CRD, or set --gateway-implementation to the gateway ' +
            `in use (${GATEWAY_IMPLEMENTATIONS.join(', ')}; docs/install.md)`,
        );
      }
    }
  }

  /** Start informers (resolves when every cache has listed once), then the workers. */
  async start(): Promise<void> {
    const { config } = this.deps;
    await this.checkGatewayKinds();
    const owned = [
      ...new Map(
        objectBuilders(config)
          .filter((b) => b.kind !== 'InferenceService')
          .map((b) => [b.resource.plural, b.resource]),
      ).values(),
    ];
    const isvcInformer = this.informer(
      RESOURCES.inferenceServices.plural,
      RESOURCES.inferenceServices,
      undefined,
      config.resyncPeriodMs,
      (type, obj) => this.onIsvc(type, obj),
    );
    const ownedInformers = owned.map((r) =>
      this.informer(r.plural, r, `app.kubernetes.io/managed-by=${CONTROLLER.managedBy}`, 0, (type, obj) =>
        this.onOwned(r.plural, type, obj),
      ),
    );
    await Promise.all([isvcInformer, ...ownedInformers].map((i) => i.start()));
    this.queue.run((key) => this.reconciler.reconcile(key), config.workers);
    this.deps.logger.info('controller started', {
      namespace: config.namespace ?? '(all)',
      workers: config.workers,
      resyncMs: config.resyncPeriodMs,
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.queue.shutDown();
  }

  /** Every service known to the cache is in sync once the queue is empty and idle (tests, benchmark). */
  idle(): boolean {
    return this.queue.len() === 0 && this.queue.active() === 0;
  }

  private informer(
    plural: string,
    resource: typeof RESOURCES.inferenceServices,
    labelSelector: string | undefined,
    resyncMs: number,
    onEvent: (t: InformerEvent, o: KubeObject) => void,
  ): RestartableInformer {
    const inf = createInformer({
      client: this.deps.client,
      resource,
      namespace: this.deps.config.namespace,
      labelSelector,
      resyncMs,
      onEvent,
      logger: this.deps.logger,
    });
    this.informers.set(plural, inf);
    return inf;
  }

  private onIsvc(type: InformerEvent, obj: KubeObject): void {
    if (type === 'delete')
      this.written.delete(
        objectKey(RESOURCES.inferenceServices.plural, obj.metadata?.namespace ?? '', obj.metadata?.name ?? ''),
      );
    const owner = ownerKey(obj);
    // A prefill sibling's changes (KServe status, a user's edit) are its owner's business.
    this.queue.add(owner ?? `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
  }

  private onOwned(plural: string, type: InformerEvent, obj: KubeObject): void {
    if (type === 'delete')
      this.written.delete(objectKey(plural, obj.metadata?.namespace ?? '', obj.metadata?.name ?? ''));
    const owner = ownerKey(obj);
    if (owner) this.queue.add(owner);
  }
}
