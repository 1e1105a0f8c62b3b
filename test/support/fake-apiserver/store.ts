/**
 * The fake API server's etcd: objects by kind/namespace/name, one global resourceVersion counter, a bounded
 * event history for watch resumption (older versions answer 410 Gone, like a compacted etcd), watchers, and
 * the garbage collector's ownerReference cascade.
 */
import { randomUUID } from 'node:crypto';
import { apiVersionOf, kindKey, type KindSpec } from './kinds.js';
import { parseSelector, type Requirement } from './selector.js';

export type Obj = Record<string, any>;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  rv: number;
  kind: string;
  type: EventType;
  object: Obj;
  /** The previous version, for selector transitions (MODIFIED out of a selector = DELETED for that watch). */
  old?: Obj;
}

export interface Watcher {
  kind: string;
  namespace?: string;
  matches: Requirement;
  send(type: string, object: Obj): void;
}

export class ApiStatus extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const storeKey = (kind: string, ns: string, name: string): string => `${kind}|${ns}|${name}`;

export class Store {
  private rv = 1;
  /** The oldest resourceVersion a watch can resume from; below it: 410 Gone. */
  private oldestRv = 1;
  readonly objects = new Map<string, Obj>();
  private history: StoredEvent[] = [];
  readonly watchers = new Set<Watcher>();

  constructor(private readonly historyLimit = 20_000) {}

  currentRv(): number {
    return this.rv;
  }

  /** Drop the history (etcd compaction): every watch must relist. */
  compact(): void {
    this.history = [];
    this.oldestRv = this.rv;
  }

  nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  get(kind: KindSpec, ns: string, name: string): Obj | undefined {
    return this.objects.get(storeKey(kindKey(kind), ns, name));
  }

  list(kind: KindSpec, ns: string | undefined, selector?: string | null): Obj[] {
    const matches = parseSelector(selector);
    const prefix = `${kindKey(kind)}|`;
    const out: Obj[] = [];
    for (const [k, obj] of this.objects) {
      if (!k.startsWith(prefix)) continue;
      if (ns !== undefined && obj.metadata.namespace !== ns) continue;
      if (matches(obj.metadata.labels ?? {})) out.push(obj);
    }
    return out;
  }

  /** Fill server-set metadata and store; emits ADDED. */
  insert(kind: KindSpec, obj: Obj): Obj {
    const ns = kind.namespaced ? (obj.metadata.namespace as string) : '';
    if (this.get(kind, ns, obj.metadata.name))
      throw new ApiStatus(409, 'AlreadyExists', `${kindKey(kind)} "${obj.metadata.name}" already exists`);
    obj.apiVersion = apiVersionOf(kind);
    obj.kind = kind.kind;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.resourceVersion = this.nextRv();
    if (kind.generation) obj.metadata.generation = 1;
    this.objects.set(storeKey(kindKey(kind), ns, obj.metadata.name), obj);
    this.emit(kindKey(kind), 'ADDED', obj);
    return obj;
  }

  /** Replace a stored object (already validated and merged by the caller); emits MODIFIED. */
  update(kind: KindSpec, obj: Obj, old: Obj): Obj {
    obj.metadata.resourceVersion = this.nextRv();
    this.objects.set(storeKey(kindKey(kind), kind.namespaced ? obj.metadata.namespace : '', obj.metadata.name), obj);
    this.emit(kindKey(kind), 'MODIFIED', obj, old);
    return obj;
  }

  remove(kind: KindSpec, obj: Obj): void {
    const key = storeKey(kindKey(kind), kind.namespaced ? obj.metadata.namespace : '', obj.metadata.name);
    if (!this.objects.delete(key)) return;
    const gone = structuredClone(obj);
    gone.metadata.resourceVersion = this.nextRv();
    this.emit(kindKey(kind), 'DELETED', gone);
  }

  /** Objects that name `uid` among their ownerReferences, with the kind key of each. */
  dependents(uid: string): Array<{ kind: string; obj: Obj }> {
    const out: Array<{ kind: string; obj: Obj }> = [];
    for (const [k, obj] of this.objects) {
      const refs = obj.metadata.ownerReferences as Array<{ uid: string }> | undefined;
      if (refs?.some((r) => r.uid === uid)) out.push({ kind: k.split('|')[0] as string, obj });
    }
    return out;
  }

  /** Events after `rv` for a new watch, or undefined when `rv` is older than the history (410 Gone). */
  since(kind: string, rv: number): StoredEvent[] | undefined {
    if (rv < this.oldestRv) return undefined;
    return this.history.filter((e) => e.kind === kind && e.rv > rv);
  }

  private emit(kind: string, type: EventType, object: Obj, old?: Obj): void {
    const rv = Number(object.metadata.resourceVersion);
    this.history.push({ rv, kind, type, object, old });
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestRv = (dropped[dropped.length - 1] as StoredEvent).rv;
    }
    for (const w of this.watchers) deliver(w, { rv, kind, type, object, old });
  }
}

/** Send one stored event to a watcher, translating selector transitions like the watch cache does. */
export function deliver(w: Watcher, e: StoredEvent): void {
  if (e.kind !== w.kind) return;
  if (w.namespace !== undefined && e.object.metadata.namespace !== w.namespace) return;
  const now = w.matches(e.object.metadata.labels ?? {});
  const before = e.old ? w.matches(e.old.metadata.labels ?? {}) : false;
  if (e.type === 'MODIFIED') {
    if (now && before) w.send('MODIFIED', e.object);
    else if (now) w.send('ADDED', e.object);
    else if (before) w.send('DELETED', e.object);
    return;
  }
  if (now) w.send(e.type, e.object);
}
