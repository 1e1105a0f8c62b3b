/**
 * An informer that stays up: client-node's ListWatch (list, watch, 410 → relist, timeout → resume) plus the
 * two things client-node lacks (style.md §4.8): restart with backoff when the informer stops on an error, and
 * a periodic resync that replays the cache to the handler (client-go's resyncPeriod; knative ticks too).
 * Watches ask for BOOKMARK events, so a quiet resource keeps a fresh resourceVersion and its connection
 * (client-node's 30 s inactivity timeout would otherwise recycle it).
 *
 * Usage:
 *   const inf = createInformer({ kc, client, resource: RESOURCES.inferenceServices, namespace: 'models',
 *     labelSelector: 'a=b', resyncMs: 300_000, onEvent: (type, obj) => queue.add(keyOf(obj)) });
 *   await inf.start();          // resolves after the first list (hasSynced() is true)
 *   inf.list(); inf.get(name, ns);
 *   await inf.stop();
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { resourcePath, type KubeClient, type KubeObject, type ResourceType } from './kube.js';
import type { Logger } from './log.js';

export type InformerEvent = 'add' | 'update' | 'delete' | 'resync';

export interface InformerOptions {
  kc: KubeConfig;
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

/** client-node's Watch, asking the server for bookmarks. */
class BookmarkWatch extends Watch {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature client-node declares
  override watch(path: string, query: Record<string, string | number | boolean | undefined>, cb: (phase: string, apiObj: any, watchObj?: any) => void, done: (err: any) => void): Promise<AbortController> {
    return super.watch(path, { ...query, allowWatchBookmarks: true }, cb, done);
  }
}

export function createInformer(opts: InformerOptions): RestartableInformer {
  const path = resourcePath(opts.resource, opts.namespace);
  const base = opts.restartBaseMs ?? 1_000;
  const max = opts.restartMaxMs ?? 30_000;
  let listed = false;
  const listFn = async () => {
    const list = await opts.client.list(opts.resource, opts.namespace, { labelSelector: opts.labelSelector });
    listed = true;
    return list as unknown as { items: KubernetesObject[]; metadata: { resourceVersion?: string } } as never;
  };
  const lw = new ListWatch<KubernetesObject>(path, new BookmarkWatch(opts.kc), listFn, false, opts.labelSelector);
  let synced = false;
  let stopped = true;
  let restarts = 0;
  let delay = base;
  let restartTimer: NodeJS.Timeout | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let firstSync: { resolve: () => void } | undefined;

  lw.on('add', (o) => opts.onEvent('add', o as KubeObject));
  lw.on('update', (o) => opts.onEvent('update', o as KubeObject));
  lw.on('delete', (o) => opts.onEvent('delete', o as KubeObject));
  lw.on('connect', () => {
    // connect fires before each (re)list or rewatch; a successful event resets the backoff below.
  });
  lw.on('error', (err: unknown) => {
    if (stopped) return;
    restarts += 1;
    const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
    opts.logger?.warn('informer stopped on error; restarting', { resource: opts.resource.plural, error: String((err as Error)?.message ?? err), inMs: wait });
    delay = Math.min(delay * 2, max);
    restartTimer = setTimeout(() => {
      if (!stopped) void run();
    }, wait);
  });

  async function run(): Promise<void> {
    try {
      await lw.start();
      if (!listed) return; // the list failed: the error handler has scheduled a restart
      delay = base;
      if (!synced) {
        synced = true;
        firstSync?.resolve();
      }
    } catch (err) {
      // start() rejects only if the watch request itself cannot be made; the error handler restarts.
      opts.logger?.warn('informer start failed', { resource: opts.resource.plural, error: String(err) });
    }
  }

  return {
    async start() {
      stopped = false;
      const ready = new Promise<void>((resolve) => (firstSync = { resolve }));
      void run();
      if (opts.resyncMs > 0) {
        resyncTimer = setInterval(() => {
          for (const o of lw.list()) opts.onEvent('resync', o as KubeObject);
        }, opts.resyncMs);
        resyncTimer.unref();
      }
      await ready;
    },
    async stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (resyncTimer) clearInterval(resyncTimer);
      firstSync?.resolve();
      await lw.stop();
    },
    list: (ns) => lw.list(ns) as KubeObject[],
    get: (name, ns) => lw.get(name, ns) as KubeObject | undefined,
    hasSynced: () => synced,
    restarts: () => restarts,
  };
}
