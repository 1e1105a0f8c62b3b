/**
 * A rate-limited work queue with client-go's guarantees (k8s.io/client-go/util/workqueue):
 *   - dedupe: a key added many times before it is processed is processed once;
 *   - per-key serialization: a key is never processed by two workers at once; an add while it is being
 *     processed marks it dirty and it runs again after;
 *   - exponential per-key backoff on failure (base · 2^failures, capped), reset by success (forget).
 *
 * Usage:
 *   const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 60_000 });
 *   q.add('models/llama');
 *   q.run(async (key) => { ...; return { requeueAfterMs: 30_000 } }, 4);   // a throw = backoff retry
 *   await q.shutDown();                                                       // waits for running handlers
 */
export interface WorkResult {
  /** Process the key again after this delay (a level-triggered poll), without counting a failure. */
  requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<WorkResult | void>;

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called after each handler run: for metrics (result, duration) and logs. */
  onDone?(key: string, result: 'success' | 'error' | 'requeue', durationMs: number, error?: unknown): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private readonly waiters: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();
  private shuttingDown = false;
  private readonly base: number;
  private readonly max: number;

  constructor(private readonly opts: WorkQueueOptions = {}) {
    this.base = opts.baseDelayMs ?? 100;
    this.max = opts.maxDelayMs ?? 60_000;
  }

  /** Queued keys not yet picked up (the depth metric). */
  len(): number {
    return this.queue.length;
  }

  /** Keys being processed right now. */
  active(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Add after a delay; of several pending delays for one key the earliest deadline wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const due = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  /** Retry with backoff: base · 2^(failures so far), capped at max. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.base * 2 ** n, this.max);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Start `workers` loops calling `handler`; returns immediately. */
  run(handler: Handler, workers = 1): void {
    for (let i = 0; i < workers; i++) {
      const loop = this.worker(handler);
      this.running.add(loop);
      void loop.finally(() => this.running.delete(loop));
    }
  }

  /** Stop taking work, drop pending delays, wait for handlers in flight. */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    for (const w of this.waiters.splice(0)) w();
    await Promise.all([...this.running]);
  }

  private async next(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift() as string;
    this.queued.delete(key);
    return key;
  }

  private async worker(handler: Handler): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      this.processing.add(key);
      const started = performance.now();
      try {
        const result = await handler(key);
        this.forget(key);
        if (result?.requeueAfterMs !== undefined) this.addAfterDone(key, result.requeueAfterMs);
        this.opts.onDone?.(
          key,
          result?.requeueAfterMs !== undefined ? 'requeue' : 'success',
          performance.now() - started,
        );
      } catch (err) {
        this.processing.delete(key);
        this.dirty.delete(key);
        this.addRateLimited(key);
        this.opts.onDone?.(key, 'error', performance.now() - started, err);
        continue;
      }
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.add(key);
    }
  }

  private addAfterDone(key: string, ms: number): void {
    // The key is still marked processing; schedule the timer, it re-adds once the handler has returned.
    this.addAfter(key, ms);
  }
}
