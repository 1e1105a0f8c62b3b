/**
 * An informer that stays up, on the project's own REST client (src/kube.ts; client-node's ListWatch cost
 * ~88 MB of RSS to import). client-go's reflector, in small:
 * - list, then watch from the list's resourceVersion with allowWatchBookmarks (a quiet resource keeps a
 *   fresh resourceVersion, and the bookmarks are the liveness signal for the inactivity deadline);
 * - a watch the server ends (timeoutSeconds, jittered 5–10 min like client-go's minWatchTimeout) or that
 *   goes silent past the inactivity deadline, or is dropped, resumes from the last seen resourceVersion;
 * - 410 Gone (history compacted) → relist; objects that vanished meanwhile are delivered as deletes;
 * - any other error → restart with jittered exponential backoff, resuming from the last resourceVersion
 *   (a list that never succeeded is retried as a list);
 * - a periodic resync replays the cache to the handler (client-go's resyncPeriod).
 *
 * Usage:
 *   const inf = createInformer({ client, resource: RESOURCES.inferenceServices, namespace: 'models',
 *     labelSelector: 'a=b', resyncMs: 300_000, onEvent: (type, obj) => queue.add(keyOf(obj)) });
 *   await inf.start();          // resolves after the first list (hasSynced() is true)
 *   inf.list(); inf.get(name, ns);
 *   await inf.stop();
 */
import { ApiError, isStatus, resourcePath, type KubeClient, type KubeObject, type ResourceType } from './kube.js';
import type { Logger } from './log.js';
import { ObjectCache } from './informer-cache.js';
import type { WatchEvent } from './watch-stream.js';

export type InformerEvent = 'add' | 'update' | 'delete' | 'resync';

export interface InformerOptions {
  client: KubeClient;
  resource: ResourceType;
  /** Omit for all namespaces. */
  namespace?: string;
  labelSelector?: string;
  /** Replay every cached object to onEvent this often (0 = never). */
  resyncMs: number;
  onEvent(type: InformerEvent, obj: KubeObject): void;
  logger?: Logger;
  /** Restart backoff after an error: base doubling to max, with ±20% jitter. */
  restartBaseMs?: number;
  restartMaxMs?: number;
  /** Server-side watch timeout; default random in [300, 600) s (client-go reflector). */
  watchTimeoutSeconds?: number;
  /**
   * No byte on a watch for this long = a dead connection (resume). kube-apiserver's watch cache sends a
   * bookmark to watchers that allow them about once a minute (cacher bookmarkFrequency), so 90 s of
   * silence is not a quiet resource.
   */
  watchIdleMs?: number;
  /**
   * Applied to every object before it is cached or handed to onEvent (client-go's SetTransform): keep only
   * the fields the caller reads, so a cache of thousands of pods does not hold their whole specs. Must keep
   * metadata.name, namespace, uid and resourceVersion.
   */
  transform?: (obj: KubeObject) => KubeObject;
}

export interface RestartableInformer {
  start(): Promise<void>;
  stop(): Promise<void>;
  list(namespace?: string): KubeObject[];
  get(name: string, namespace?: string): KubeObject | undefined;
  hasSynced(): boolean;
  /** Restarts after errors so far (for tests and metrics). */
  restarts(): number;
}

/** A 410 from the watch (as an ERROR event or as the answer): the resourceVersion is compacted. */
class Expired extends Error {}

function statusError(obj: Record<string, unknown>, what: string): Error {
  const code = typeof obj.code === 'number' ? obj.code : 500;
  const reason = typeof obj.reason === 'string' ? obj.reason : `HTTP${code}`;
  const message = typeof obj.message === 'string' ? obj.message : '';
  if (code === 410) return new Expired(`${what}: ${message || 'resourceVersion expired'}`);
  return new ApiError(code, reason, `${what}: ${code} ${reason}: ${message}`, obj);
}

export function createInformer(opts: InformerOptions): RestartableInformer {
  const what = `watch ${resourcePath(opts.resource, opts.namespace)}`;
  const base = opts.restartBaseMs ?? 1_000;
  const max = opts.restartMaxMs ?? 30_000;
  const cache = new ObjectCache();
  let rv: string | undefined; // undefined = must (re)list
  let synced = false;
  let stopped = true;
  let restarts = 0;
  let delay = base;
  let abort: AbortController | undefined;
  let running: Promise<void> | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let sleepTimer: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  let firstSync: (() => void) | undefined;

  const emit = (type: InformerEvent, obj: KubeObject): void => {
    try {
      opts.onEvent(type, obj);
    } catch (err) {
      opts.logger?.error('informer handler threw', { resource: opts.resource.plural, error: String(err) });
    }
  };

  async function relist(): Promise<void> {
    const list = await opts.client.list(opts.resource, opts.namespace, { labelSelector: opts.labelSelector });
    const changes = cache.replace(opts.transform ? list.items.map(opts.transform) : list.items);
    for (const [type, obj] of changes) emit(type, obj);
    rv = list.metadata.resourceVersion ?? '';
    delay = base;
    if (!synced) {
      synced = true;
      firstSync?.();
    }
  }

  function apply(e: WatchEvent): void {
    if (e.type === 'ERROR') throw statusError(e.object, what);
    const obj =
      opts.transform && e.type !== 'BOOKMARK' ? opts.transform(e.object as KubeObject) : (e.object as KubeObject);
    const objRv = obj.metadata?.resourceVersion;
    if (e.type !== 'BOOKMARK') {
      const change = e.type === 'DELETED' ? cache.remove(obj) : cache.upsert(obj);
      if (change) emit(change, obj);
    }
    if (objRv) rv = objRv;
    delay = base; // a working watch resets the backoff
  }

  async function watchOnce(signal: AbortSignal): Promise<void> {
    const timeoutSeconds = opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    const started = Date.now();
    let events = 0;
    const end = await opts.client.watch(
      opts.resource,
      opts.namespace,
      {
        resourceVersion: rv,
        labelSelector: opts.labelSelector,
        allowWatchBookmarks: true,
        timeoutSeconds,
        idleTimeoutMs: opts.watchIdleMs ?? 90_000,
        signal,
      },
      (e) => {
        events++;
        apply(e);
      },
    );
    if (end === 'idle') opts.logger?.debug('watch went silent; resuming', { resource: opts.resource.plural, rv });
    // A watch the server closes at once, over and over, would spin: pace it like an error (not counted).
    if (end === 'closed' && events === 0 && Date.now() - started < 1_000) await sleep(jittered());
  }

  function jittered(): number {
    const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
    delay = Math.min(delay * 2, max);
    return wait;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepTimer = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepTimer = { timer, wake };
    });
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const ac = new AbortController();
      abort = ac;
      try {
        if (rv === undefined) await relist();
        else await watchOnce(ac.signal);
      } catch (err) {
        if (stopped) break;
        if (err instanceof Expired || isStatus(err, 410)) {
          opts.logger?.info('watch history expired (410); relisting', { resource: opts.resource.plural });
          rv = undefined;
          continue;
        }
        restarts += 1;
        const wait = jittered();
        opts.logger?.warn('informer stopped on error; restarting', {
          resource: opts.resource.plural,
          error: String((err as Error)?.message ?? err),
          inMs: wait,
        });
        await sleep(wait);
      }
    }
  }

  return {
    async start() {
      stopped = false;
      const ready = new Promise<void>((resolve) => (firstSync = resolve));
      running = loop();
      if (opts.resyncMs > 0) {
        resyncTimer = setInterval(() => {
          for (const o of cache.list()) emit('resync', o);
        }, opts.resyncMs);
        resyncTimer.unref();
      }
      await ready;
    },
    async stop() {
      stopped = true;
      if (resyncTimer) clearInterval(resyncTimer);
      abort?.abort();
      sleepTimer?.wake();
      firstSync?.();
      await running;
    },
    list: (ns) => cache.list(ns),
    get: (name, ns) => cache.get(name, ns),
    hasSynced: () => synced,
    restarts: () => restarts,
  };
}
