/**
 * Desired vs live, pure. An object is in sync when it carries the hash of the desired state we computed AND
 * either it is exactly what we last wrote (same resourceVersion: the API server's defaults and canonical
 * forms are then ours too) or every field we want is present with our value (someone else wrote it since;
 * extra fields — server defaults, other controllers' annotations — are fine). Never loops on its own writes:
 * our write's watch event finds the hash and the resourceVersion we recorded.
 */
import type { KubeObject } from '../src/kube.js';
import { CONTROLLER } from '../core/names.js';

/** Every field of `want` is in `have` with an equal value (arrays: same length, element-wise). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want as Record<string, unknown>).every(
      ([k, v]) => v === undefined || isSubset(v, (have as Record<string, unknown>)[k]),
    );
  }
  return want === have;
}

export function hashOf(obj: KubeObject | undefined): string | undefined {
  return obj?.metadata?.annotations?.[CONTROLLER.hashAnnotation];
}

/** The controller owns `obj` for the service with this uid (controller ownerReference). */
export function ownedBy(obj: KubeObject, uid: string | undefined): boolean {
  return uid !== undefined && (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

export interface CompareOptions {
  /** resourceVersion of our last write of this object, if we remember one. */
  writtenRv?: string;
  /**
   * Compare the hash only. For the prefill sibling: KServe's and our webhook's admission defaults rewrite
   * fields of an InferenceService, so a field-by-field check would fight them on every resync.
   */
  hashOnly?: boolean;
}

export function inSync(desired: KubeObject, live: KubeObject, opts: CompareOptions = {}): boolean {
  if (hashOf(desired) !== hashOf(live)) return false;
  if (opts.hashOnly || (opts.writtenRv !== undefined && opts.writtenRv === live.metadata?.resourceVersion)) return true;
  const { metadata: want, ...wantBody } = desired;
  const { metadata: have, ...haveBody } = live;
  return isSubset(wantBody, haveBody) && metadataSubset(want, have);
}

/** Our labels and annotations are all on the live object (others may have added more). */
function metadataSubset(want: KubeObject['metadata'], have: KubeObject['metadata']): boolean {
  return isSubset(want?.labels ?? {}, have?.labels ?? {}) && isSubset(want?.annotations ?? {}, have?.annotations ?? {});
}

/**
 * The object to PUT: our desired body on the live object's identity (resourceVersion for optimistic
 * concurrency, uid, finalizers), keeping labels and annotations others added — we overwrite only our keys.
 */
export function mergeForUpdate(desired: KubeObject, live: KubeObject): KubeObject {
  const meta = live.metadata ?? {};
  const { status } = live as { status?: unknown };
  return {
    ...desired,
    metadata: {
      ...meta,
      labels: { ...(meta.labels ?? {}), ...(desired.metadata?.labels ?? {}) },
      annotations: { ...(meta.annotations ?? {}), ...(desired.metadata?.annotations ?? {}) },
      ownerReferences: desired.metadata?.ownerReferences ?? meta.ownerReferences,
    },
    ...(status !== undefined ? { status } : {}),
  };
}
