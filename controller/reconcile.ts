/**
 * One reconcile of one InferenceService (`namespace/name`): compute the desired objects (pure), then per
 * object create / update / delete against the API server, reading live state from the informers' caches.
 *
 * Rules: only objects whose controller ownerReference is this service are touched (an object of the same
 * name that is not ours is a conflict, reported, never overwritten); updates carry the resourceVersion read
 * (409 → retry with backoff); deletes carry a uid precondition; invalid annotations change nothing.
 */
import { isStatus, type KubeClient, type KubeObject } from '../src/kube.js';
import type { Logger } from '../src/log.js';
import type { InferenceService } from '../src/types/kube.js';
import type { WorkResult } from '../src/workqueue.js';
import { hashOf, inSync, mergeForUpdate, ownedBy } from './compare.js';
import type { ControllerConfig } from './config.js';
import { desiredState, objectBuilders, type ObjectBuilder } from './objects/index.js';
import { summarize, type ObjectOutcome, type RoutingStatus } from './status.js';

export interface Cache {
  get(name: string, namespace?: string): KubeObject | undefined;
}

export interface Written {
  rv: string;
  hash: string | undefined;
}

export interface ReconcilerDeps {
  client: KubeClient;
  config: ControllerConfig;
  /** Informer caches by resource plural (plus `inferenceservices`). */
  caches: Record<string, Cache>;
  /** Our own writes by object key (resourceVersion, desired hash): recognises them while the cache lags. */
  written: Map<string, Written>;
  report(isvc: InferenceService, status: RoutingStatus | undefined): Promise<void>;
  onWrite?(kind: string, op: 'create' | 'update' | 'delete'): void;
  logger?: Logger;
}

/** A conflict is re-checked on this period: the foreign object may be removed, and we cannot watch it. */
export const CONFLICT_RECHECK_MS = 60_000;

export function objectKey(resource: string, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

function describeOwner(obj: KubeObject): string {
  const owner = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller);
  return owner
    ? `controlled by ${owner.kind} ${owner.name} (uid ${owner.uid})`
    : 'not created by kserve-llmd for this service';
}

export class Reconciler {
  /**
   * Desired state by service, valid while its uid and resourceVersion are unchanged: building it runs the
   * webhook mutation and renders the EPP config, and most reconciles (owned-object events, resyncs) find
   * the service unchanged.
   */
  private readonly memo = new Map<string, { version: string; desired: ReturnType<typeof desiredState> }>();

  constructor(private readonly deps: ReconcilerDeps) {}

  private desired(key: string, isvc: InferenceService): ReturnType<typeof desiredState> {
    const version = `${isvc.metadata.uid ?? ''}/${String(isvc.metadata.resourceVersion ?? '')}`;
    const hit = this.memo.get(key);
    if (hit && hit.version === version && version !== '/') return hit.desired;
    const desired = desiredState(isvc, this.deps.config);
    this.memo.set(key, { version, desired });
    return desired;
  }

  async reconcile(key: string): Promise<WorkResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const isvc = this.deps.caches.inferenceservices?.get(name, namespace) as InferenceService | undefined;
    if (!isvc || (isvc.metadata as { deletionTimestamp?: string }).deletionTimestamp) {
      this.memo.delete(key);
      // Gone: the garbage collector deletes what it owned (ownerReferences).
      await this.deps.report(
        { apiVersion: '', kind: '', metadata: { name, namespace }, spec: { predictor: {} } },
        undefined,
      );
      return;
    }
    const desired = this.desired(key, isvc);
    if (desired.kind === 'invalid') {
      await this.deps.report(isvc, summarize([], desired.errors));
      return;
    }
    if (desired.kind === 'none' && desired.reason.startsWith('prefill sibling')) return;
    const plan =
      desired.kind === 'objects'
        ? desired.byBuilder
        : objectBuilders(this.deps.config).map((builder) => ({ builder, object: undefined }));
    const outcomes: ObjectOutcome[] = [];
    for (const { builder, object } of plan) {
      outcomes.push(...(await this.syncOne(builder, object, isvc)));
    }
    const status = summarize(outcomes);
    // Opted out: objects deleted above; the status annotation goes too (its removal is the "Removed" event).
    await this.deps.report(isvc, desired.kind === 'none' && status.state === 'Ready' ? undefined : status);
    const errors = outcomes.filter((o) => o.result === 'error');
    if (errors.length > 0)
      throw new Error(
        `${key}: ${errors.map((e) => `${e.kind}/${e.name}: ${'message' in e ? e.message : ''}`).join('; ')}`,
      );
    if (outcomes.some((o) => o.result === 'conflict')) return { requeueAfterMs: CONFLICT_RECHECK_MS };
    return undefined;
  }

  private live(builder: ObjectBuilder, namespace: string, name: string): KubeObject | undefined {
    return this.deps.caches[builder.resource.plural]?.get(name, namespace);
  }

  private async syncOne(
    builder: ObjectBuilder,
    desired: KubeObject | undefined,
    isvc: InferenceService,
  ): Promise<ObjectOutcome[]> {
    const namespace = isvc.metadata.namespace ?? '';
    const uid = isvc.metadata.uid;
    const name = desired?.metadata?.name ?? builder.name(isvc.metadata.name ?? '');
    const key = objectKey(builder.resource.plural, namespace, name);
    let live = this.live(builder, namespace, name);
    try {
      if (!desired) {
        if (!live || !ownedBy(live, uid)) return [];
        await this.deps.client.delete(builder.resource, namespace, name, {
          preconditions: { uid: live.metadata?.uid },
        });
        this.deps.written.delete(key);
        this.deps.onWrite?.(builder.kind, 'delete');
        return [{ kind: builder.kind, name, result: 'deleted' }];
      }
      const mine = this.deps.written.get(key);
      if (!live && mine) {
        // The cache has not caught up with our own create/update yet.
        if (mine.hash === hashOf(desired)) return [{ kind: builder.kind, name, result: 'unchanged' }];
        live = await this.deps.client.get<KubeObject>(builder.resource, namespace, name).catch((e: unknown) => {
          if (isStatus(e, 404)) return undefined;
          throw e;
        });
      }
      if (!live) {
        const created = await this.create(builder, namespace, desired, uid);
        if (created.result) return [created.result];
        live = created.live;
      }
      if (!live || !ownedBy(live, uid)) {
        return [
          {
            kind: builder.kind,
            name,
            result: 'conflict',
            message:
              `an existing ${builder.kind} "${name}" ` +
              `is ${live ? describeOwner(live) : 'in the way'}; it is left ` +
              `untouched — delete or rename it to let kserve-llmd create its own`,
          },
        ];
      }
      const hashOnly = builder.kind === 'InferenceService';
      if (inSync(desired, live, { writtenRv: this.deps.written.get(key)?.rv, hashOnly }))
        return [{ kind: builder.kind, name, result: 'unchanged' }];
      const updated = await this.deps.client.replace<KubeObject>(
        builder.resource,
        namespace,
        name,
        mergeForUpdate(desired, live),
      );
      this.deps.written.set(key, { rv: updated.metadata?.resourceVersion ?? '', hash: hashOf(desired) });
      this.deps.onWrite?.(builder.kind, 'update');
      return [{ kind: builder.kind, name, result: 'updated' }];
    } catch (err) {
      if (isStatus(err, 404) && !desired) return [];
      if (isStatus(err, 409)) this.deps.written.delete(key); // stale cache: re-read on the retry
      return [{ kind: builder.kind, name, result: 'error', message: String((err as Error).message ?? err) }];
    }
  }

  /** Create; on AlreadyExists (cache lag or a foreign object), read what is there. */
  private async create(
    builder: ObjectBuilder,
    namespace: string,
    desired: KubeObject,
    uid: string | undefined,
  ): Promise<{ result?: ObjectOutcome; live?: KubeObject }> {
    const name = desired.metadata?.name ?? '';
    const key = objectKey(builder.resource.plural, namespace, name);
    try {
      const created = await this.deps.client.create<KubeObject>(builder.resource, namespace, desired);
      this.deps.written.set(key, { rv: created.metadata?.resourceVersion ?? '', hash: hashOf(desired) });
      this.deps.onWrite?.(builder.kind, 'create');
      return { result: { kind: builder.kind, name, result: 'created' } };
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      const existing = await this.deps.client.get<KubeObject>(builder.resource, namespace, name);
      if (ownedBy(existing, uid) && hashOf(existing) === hashOf(desired))
        this.deps.written.set(key, { rv: existing.metadata?.resourceVersion ?? '', hash: hashOf(desired) });
      return { live: existing };
    }
  }
}
