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
  /** The service `namespace/name` is gone (or being deleted). */
  removed(key: string): Promise<void>;
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

/** The object one plan entry is about. */
interface Target {
  builder: ObjectBuilder;
  namespace: string;
  name: string;
  /** The service's uid: only objects it controls are touched. */
  uid: string | undefined;
  key: string;
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

  /**
   * The sync handler (sample-controller's syncHandler shape): a service that is gone is `removed`; otherwise
   * each object of the plan is deleted (not desired), ensured (created or adopted) or updated, and the outcome
   * reported on the service.
   */
  async reconcile(key: string): Promise<WorkResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const isvc = this.deps.caches.inferenceservices?.get(name, namespace) as InferenceService | undefined;
    if (!isvc || (isvc.metadata as { deletionTimestamp?: string }).deletionTimestamp) {
      this.memo.delete(key);
      // Gone: the garbage collector deletes what it owned (ownerReferences).
      await this.deps.removed(key);
      return;
    }
    const desired = this.desired(key, isvc);
    if (desired.kind === 'invalid') {
      await this.deps.report(isvc, summarize([], desired.errors));
      return;
    }
    if (desired.kind === 'prefill-sibling') return;
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

  /** One object of the plan: delete it when not desired, else ensure it exists and is ours, then update it. */
  private async syncOne(
    builder: ObjectBuilder,
    desired: KubeObject | undefined,
    isvc: InferenceService,
  ): Promise<ObjectOutcome[]> {
    const name = desired?.metadata?.name ?? builder.name(isvc.metadata.name ?? '');
    const target: Target = {
      builder,
      namespace: isvc.metadata.namespace ?? '',
      name,
      uid: isvc.metadata.uid,
      key: objectKey(builder.resource.plural, isvc.metadata.namespace ?? '', name),
    };
    try {
      if (!desired) return await this.deleteOwned(target);
      const ensured = await this.ensure(target, desired);
      if ('outcome' in ensured) return [ensured.outcome];
      return [await this.update(target, desired, ensured.live)];
    } catch (err) {
      if (isStatus(err, 404) && !desired) return [];
      if (isStatus(err, 409)) this.deps.written.delete(target.key); // stale cache: re-read on the retry
      return [{ kind: builder.kind, name, result: 'error', message: String((err as Error).message ?? err) }];
    }
  }

  /** Not desired: delete it if it is ours (uid precondition: never a successor of the same name). */
  private async deleteOwned(t: Target): Promise<ObjectOutcome[]> {
    const live = this.live(t.builder, t.namespace, t.name);
    if (!live || !ownedBy(live, t.uid)) return [];
    await this.deps.client.delete(t.builder.resource, t.namespace, t.name, {
      preconditions: { uid: live.metadata?.uid },
    });
    this.deps.written.delete(t.key);
    this.deps.onWrite?.(t.builder.kind, 'delete');
    return [{ kind: t.builder.kind, name: t.name, result: 'deleted' }];
  }

  /**
   * Desired: find it (cache, else our own recent write, else the API server), create it when absent, and
   * adopt only what this service controls. Either the live object to update, or the outcome already decided
   * (unchanged while the cache lags, created, or a conflict with an object that is not ours).
   */
  private async ensure(t: Target, desired: KubeObject): Promise<{ live: KubeObject } | { outcome: ObjectOutcome }> {
    let live = this.live(t.builder, t.namespace, t.name);
    const mine = this.deps.written.get(t.key);
    if (!live && mine) {
      // The cache has not caught up with our own create/update yet.
      if (mine.hash === hashOf(desired))
        return { outcome: { kind: t.builder.kind, name: t.name, result: 'unchanged' } };
      live = await this.deps.client.get<KubeObject>(t.builder.resource, t.namespace, t.name).catch((e: unknown) => {
        if (isStatus(e, 404)) return undefined;
        throw e;
      });
    }
    if (!live) {
      const created = await this.create(t.builder, t.namespace, desired, t.uid);
      if (created.result) return { outcome: created.result };
      live = created.live;
    }
    if (!live || !ownedBy(live, t.uid)) {
      return {
        outcome: {
          kind: t.builder.kind,
          name: t.name,
          result: 'conflict',
          message:
            `an existing ${t.builder.kind} "${t.name}" is ${live ? describeOwner(live) : 'in the way'}; it is ` +
            'left untouched — delete or rename it to let kserve-llmd create its own',
        },
      };
    }
    return { live };
  }

  /** Ours and present: replace it (with the resourceVersion read) unless it already matches. */
  private async update(t: Target, desired: KubeObject, live: KubeObject): Promise<ObjectOutcome> {
    const hashOnly = t.builder.kind === 'InferenceService';
    if (inSync(desired, live, { writtenRv: this.deps.written.get(t.key)?.rv, hashOnly }))
      return { kind: t.builder.kind, name: t.name, result: 'unchanged' };
    const updated = await this.deps.client.replace<KubeObject>(
      t.builder.resource,
      t.namespace,
      t.name,
      mergeForUpdate(desired, live),
    );
    this.deps.written.set(t.key, { rv: updated.metadata?.resourceVersion ?? '', hash: hashOf(desired) });
    this.deps.onWrite?.(t.builder.kind, 'update');
    return { kind: t.builder.kind, name: t.name, result: 'updated' };
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
