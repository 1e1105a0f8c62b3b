/**
 * The informer's store: objects by namespace then name (client-node's ListWatch layout, so list(ns) and
 * get(name, ns) cost one map lookup), and the diff a relist makes against it (client-go's
 * DeltaFIFO.Replace: objects missing from the new list are deleted — a watch that missed their DELETED
 * event after a 410 still tells the handler).
 */
import type { KubeObject } from './kube.js';

export type CacheChange = 'add' | 'update' | 'delete';

export class ObjectCache {
  private readonly byNs = new Map<string, Map<string, KubeObject>>();

  get(name: string, namespace?: string): KubeObject | undefined {
    return this.byNs.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): KubeObject[] {
    if (namespace) return [...(this.byNs.get(namespace)?.values() ?? [])];
    const all: KubeObject[] = [];
    for (const m of this.byNs.values()) for (const o of m.values()) all.push(o);
    return all;
  }

  /** 'add' for a new object, 'update' for a changed one, undefined when nothing changed (same resourceVersion). */
  upsert(obj: KubeObject): CacheChange | undefined {
    const name = obj.metadata?.name;
    if (!name) return undefined;
    const ns = obj.metadata?.namespace ?? '';
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    const old = m.get(name);
    m.set(name, obj);
    if (!old) return 'add';
    const rv = obj.metadata?.resourceVersion;
    return rv !== undefined && rv === old.metadata?.resourceVersion ? undefined : 'update';
  }

  remove(obj: KubeObject): CacheChange | undefined {
    const name = obj.metadata?.name;
    const ns = obj.metadata?.namespace ?? '';
    const m = this.byNs.get(ns);
    if (!name || !m?.delete(name)) return undefined;
    if (m.size === 0) this.byNs.delete(ns);
    return 'delete';
  }

  /** Replace the contents with a fresh list; returns the changes in order (adds/updates, then deletes). */
  replace(items: KubeObject[]): Array<[CacheChange, KubeObject]> {
    const changes: Array<[CacheChange, KubeObject]> = [];
    const keep = new Set<string>();
    for (const obj of items) {
      const change = this.upsert(obj);
      if (obj.metadata?.name) keep.add(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
      if (change) changes.push([change, obj]);
    }
    for (const [ns, m] of [...this.byNs]) {
      for (const [name, obj] of [...m]) {
        if (keep.has(`${ns}/${name}`)) continue;
        m.delete(name);
        changes.push(['delete', obj]);
      }
      if (m.size === 0) this.byNs.delete(ns);
    }
    return changes;
  }
}
