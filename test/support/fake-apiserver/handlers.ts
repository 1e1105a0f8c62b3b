/**
 * Write semantics of the API server for one resource: create, update (main and /status), patch, /scale,
 * delete with preconditions and ownerReference garbage collection. Pure over the Store; HTTP is in server.ts.
 */
import type { KindSpec, ScaleSpec } from './kinds.js';
import { apiVersionOf, kindKey } from './kinds.js';
import { jsonPatch, mergePatch, PatchError, strategicMerge } from './patch.js';
import { ApiStatus, type Obj, type Store } from './store.js';

export interface Target {
  kind: KindSpec;
  namespace: string;
  name?: string;
  subresource?: string;
}

export type Validate = (obj: Obj) => string[];
/**
 * A mutating admission step on create/update of the main resource: return the object to store, or throw ApiStatus to
 * deny.
 */
export type Admit = (obj: Obj, operation: 'CREATE' | 'UPDATE') => Obj;

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function getPath(obj: Obj, path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) cur = isMap(cur) ? cur[p] : undefined;
  return cur;
}

function setPath(obj: Obj, path: string[], value: unknown): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    if (!isMap(cur[p])) cur[p] = {};
    cur = cur[p];
  }
  cur[path[path.length - 1] as string] = value;
}

/** Everything except metadata and status: what bumps generation. */
function specPart(obj: Obj): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

function checkIdentity(t: Target, obj: Obj): void {
  if (!isMap(obj) || !isMap(obj.metadata)) throw new ApiStatus(400, 'BadRequest', 'the object has no metadata');
  const { apiVersion, kind } = obj;
  if (
    (apiVersion !== undefined && apiVersion !== apiVersionOf(t.kind)) ||
    (kind !== undefined && kind !== t.kind.kind)
  ) {
    throw new ApiStatus(
      400,
      'BadRequest',
      `the body is ${String(apiVersion)}/${String(kind)}, the path is ${apiVersionOf(t.kind)}/${t.kind.kind}`,
    );
  }
  const ns = obj.metadata.namespace;
  if (t.kind.namespaced && ns !== undefined && ns !== t.namespace) {
    throw new ApiStatus(
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
}

export class Handlers {
  constructor(
    private readonly store: Store,
    private readonly kinds: () => KindSpec[],
    private readonly validate?: Validate,
    private readonly requireNamespace = false,
    private readonly admit?: Admit,
  ) {}

  private check(obj: Obj): void {
    const errors = this.validate?.(obj) ?? [];
    if (errors.length > 0)
      throw new ApiStatus(422, 'Invalid', `${obj.kind} "${obj.metadata?.name}" is invalid: ${errors.join('; ')}`);
  }

  private existing(t: Target): Obj {
    const found = this.store.get(t.kind, t.kind.namespaced ? t.namespace : '', t.name as string);
    if (!found) throw new ApiStatus(404, 'NotFound', `${kindKey(t.kind)} "${t.name}" not found`);
    return found;
  }

  create(t: Target, body: Obj): Obj {
    checkIdentity(t, body);
    const obj = structuredClone(body);
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
    if (!obj.metadata.name) throw new ApiStatus(422, 'Invalid', 'metadata.name: Required value');
    if (t.kind.namespaced) obj.metadata.namespace = t.namespace;
    if (this.requireNamespace && t.kind.namespaced) {
      const nsKind = this.kinds().find((k) => k.group === '' && k.plural === 'namespaces');
      if (nsKind && !this.store.get(nsKind, '', t.namespace))
        throw new ApiStatus(404, 'NotFound', `namespaces "${t.namespace}" not found`);
    }
    // Status is not settable on create for kinds with a status subresource.
    if (t.kind.status) delete obj.status;
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation'])
      delete obj.metadata[k];
    obj.apiVersion = apiVersionOf(t.kind);
    obj.kind = t.kind.kind;
    const admitted = this.admit ? this.admit(obj, 'CREATE') : obj;
    this.check(admitted);
    return this.store.insert(t.kind, admitted);
  }

  /** PUT on the object or its /status: `body` replaces what that endpoint owns. */
  // Complexity over the lint limit on purpose (test code): the API server's update steps in order (identity,
  // resourceVersion, status vs main resource, admission, server-owned metadata, generation, no-op), kept together.
  update(t: Target, body: Obj): Obj {
    checkIdentity(t, body);
    const old = this.existing(t);
    if (body.metadata.name !== undefined && body.metadata.name !== t.name)
      throw new ApiStatus(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    const rv = body.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
      throw new ApiStatus(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kindKey(t.kind)} ` +
          `"${t.name}": the object has been modified; please apply ` +
          `your changes to the latest version and try again`,
      );
    }
    let next: Obj;
    if (t.subresource === 'status') {
      next = { ...structuredClone(old), status: structuredClone(body.status) };
    } else {
      next = structuredClone(body);
      if (t.kind.status) next.status = structuredClone(old.status);
      if (next.status === undefined) delete next.status;
    }
    next.apiVersion = apiVersionOf(t.kind);
    next.kind = t.kind.kind;
    if (this.admit && t.subresource === undefined) next = this.admit(next, 'UPDATE');
    // Server-owned metadata cannot change through an update.
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'namespace', 'name']) {
      if (old.metadata[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = old.metadata[k];
    }
    if (t.kind.generation)
      next.metadata.generation = (old.metadata.generation ?? 1) + (specPart(next) !== specPart(old) ? 1 : 0);
    if (
      JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: '' } }) ===
      JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: '' } })
    ) {
      return old; // a no-op write keeps the resourceVersion and sends no event (the real server does the same)
    }
    this.check(next);
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length > 0)) {
      this.store.remove(t.kind, next);
      this.collect(next.metadata.uid);
      return next;
    }
    return this.store.update(t.kind, next, old);
  }

  patch(t: Target, contentType: string, patch: unknown): Obj {
    const old = this.existing(t);
    const base = t.subresource === 'scale' ? this.scaleOf(t.kind, old) : old;
    let patched: Obj;
    try {
      if (contentType.startsWith('application/merge-patch+json')) patched = mergePatch(base, patch) as Obj;
      else if (contentType.startsWith('application/json-patch+json')) patched = jsonPatch(base, patch) as Obj;
      else if (contentType.startsWith('application/strategic-merge-patch+json')) {
        if (t.kind.group !== '' && t.kind.group !== 'apps' && !t.kind.group.endsWith('.k8s.io')) {
          throw new ApiStatus(
            415,
            'UnsupportedMediaType',
            `strategic merge patch is not supported for custom resources (${kindKey(t.kind)})`,
          );
        }
        patched = strategicMerge(base, patch) as Obj;
      } else
        throw new ApiStatus(
          415,
          'UnsupportedMediaType',
          `the patch type ${contentType} is not supported (the fake API server does not do server-side apply)`,
        );
    } catch (err) {
      if (err instanceof PatchError) throw new ApiStatus(422, 'Invalid', err.message);
      throw err;
    }
    if (!isMap(patched) || !isMap(patched.metadata)) throw new ApiStatus(422, 'Invalid', 'the patch removed metadata');
    if (t.subresource === 'scale') return this.writeScale(t, old, patched);
    // A resourceVersion in the patch is a precondition (optimistic concurrency for patches).
    return this.update(t, {
      ...patched,
      metadata: {
        ...patched.metadata,
        resourceVersion: patched.metadata.resourceVersion ?? old.metadata.resourceVersion,
      },
    });
  }

  scale(t: Target): Obj {
    return this.scaleOf(t.kind, this.existing(t));
  }

  putScale(t: Target, body: Obj): Obj {
    const old = this.existing(t);
    const rv = body?.metadata?.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion)
      throw new ApiStatus(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kindKey(t.kind)} "${t.name}": the object has been modified`,
      );
    return this.writeScale(t, old, body);
  }

  private scaleSpec(kind: KindSpec): ScaleSpec {
    if (!kind.scale) throw new ApiStatus(404, 'NotFound', `${kindKey(kind)} has no scale subresource`);
    return kind.scale;
  }

  private scaleOf(kind: KindSpec, obj: Obj): Obj {
    const s = this.scaleSpec(kind);
    const selector = s.labelSelectorPath ? getPath(obj, s.labelSelectorPath) : undefined;
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: {
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec: { replicas: getPath(obj, s.specReplicasPath) ?? 0 },
      status: {
        replicas: getPath(obj, s.statusReplicasPath) ?? 0,
        ...(typeof selector === 'string' ? { selector } : {}),
      },
    };
  }

  private writeScale(t: Target, old: Obj, scale: Obj): Obj {
    const replicas = scale?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new ApiStatus(422, 'Invalid', 'spec.replicas: must be a non-negative integer');
    const next = structuredClone(old);
    setPath(next, this.scaleSpec(t.kind).specReplicasPath, replicas);
    const written = this.update({ ...t, subresource: undefined }, next);
    return this.scaleOf(t.kind, written);
  }

  delete(t: Target, options: Obj | undefined): Obj {
    const old = this.existing(t);
    const pre = options?.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid)
      throw new ApiStatus(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiStatus(
        409,
        'Conflict',
        `Precondition failed: ResourceVersion in ` +
          `precondition: ${pre.resourceVersion}, ResourceVersion in ` +
          `object meta: ${old.metadata.resourceVersion}`,
      );
    }
    if (old.metadata.finalizers?.length > 0) {
      if (old.metadata.deletionTimestamp) return old;
      const next = structuredClone(old);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      return this.store.update(t.kind, next, old);
    }
    this.store.remove(t.kind, old);
    if (options?.propagationPolicy === 'Orphan') this.orphan(old.metadata.uid);
    else this.collect(old.metadata.uid);
    return old;
  }

  /** Background cascading deletion (the garbage collector): dependents lose the owner; ownerless ones go. */
  collect(uid: string): void {
    setImmediate(() => {
      for (const { kind, obj } of this.store.dependents(uid)) {
        const spec = this.kinds().find((k) => kindKey(k) === kind);
        if (!spec) continue;
        const refs = (obj.metadata.ownerReferences as Array<{ uid: string }>).filter((r) => r.uid !== uid);
        const target = { kind: spec, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
        try {
          if (refs.length > 0) this.update(target, { ...obj, metadata: { ...obj.metadata, ownerReferences: refs } });
          else this.delete(target, undefined);
        } catch {
          // gone meanwhile
        }
      }
    });
  }

  private orphan(uid: string): void {
    for (const { kind, obj } of this.store.dependents(uid)) {
      const spec = this.kinds().find((k) => kindKey(k) === kind);
      if (!spec) continue;
      const refs = (obj.metadata.ownerReferences as Array<{ uid: string }>).filter((r) => r.uid !== uid);
      this.update(
        { kind: spec, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name },
        { ...obj, metadata: { ...obj.metadata, ownerReferences: refs } },
      );
    }
  }
}
