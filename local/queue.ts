/**
 * The buffer at zero: requests that arrive while no decode replica is ready wait here (the Knative activator's
 * and EPP flow control's job, kserve-knative.md §4, llm-d.md §1). Bounded: over capacity → 429 with
 * Retry-After; waiting past the timeout → 503; both as JSON errors. Every waiter ends in exactly one of
 * released, rejected (429/503/shutdown) or abandoned by its client — none is dropped silently.
 */
import { HttpError } from './http.js';

interface Waiter {
  promptTokens: number;
  since: number;
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface QueueStats {
  queued: number;
  queuedPromptTokens: number;
  /** Requests that waited and were sent on, rejected full, timed out, abandoned by the client. */
  released: number;
  rejectedFull: number;
  timedOut: number;
  abandoned: number;
}

export class RequestQueue {
  private readonly waiters: Waiter[] = [];
  private readonly counts = { released: 0, rejectedFull: 0, timedOut: 0, abandoned: 0 };

  constructor(
    private readonly o: { capacity: number; timeoutMs: number },
    private readonly onEnqueue: () => void = () => undefined,
    /**
     * Seconds a refused client should wait: when a replica is expected to be ready (run.ts), not the queue
     * timeout (120 s by default, where a cold start is seconds: issue 14).
     */
    private readonly retryAfterSeconds: () => number = () => 1,
  ) {}

  /** Wait for release(). `signal` aborts the wait when the client goes away. */
  wait(promptTokens: number, signal?: AbortSignal): Promise<void> {
    if (this.waiters.length >= this.o.capacity) {
      this.counts.rejectedFull++;
      const retry = String(Math.max(1, Math.ceil(this.retryAfterSeconds())));
      return Promise.reject(
        new HttpError(
          429,
          `the request queue is full (${this.o.capacity} waiting for a replica to start); retry later`,
          'TooManyRequests',
          { 'retry-after': retry },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        promptTokens,
        since: Date.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          if (!this.remove(w)) return;
          this.counts.timedOut++;
          reject(
            new HttpError(
              503,
              `no replica became ready within ${this.o.timeoutMs} ms; the request was not sent`,
              'ServiceUnavailable',
            ),
          );
        }, this.o.timeoutMs),
      };
      this.waiters.push(w);
      signal?.addEventListener(
        'abort',
        () => {
          if (!this.remove(w)) return;
          this.counts.abandoned++;
          reject(new HttpError(499, 'client closed the request while it was queued', 'ClientClosedRequest'));
        },
        { once: true },
      );
      this.onEnqueue();
    });
  }

  /** Send every waiter on, oldest first. */
  release(): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      this.counts.released++;
      w.resolve();
    }
  }

  /** Reject every waiter (shutdown, fatal engine failure). */
  failAll(err: HttpError): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  /** Waiting requests, optionally only those with at least `minPromptTokens` (prefill's demand at zero). */
  demand(minPromptTokens = 0): { queuedRequests: number; queuedPromptTokens: number } {
    let n = 0;
    let tokens = 0;
    for (const w of this.waiters) {
      if (w.promptTokens < minPromptTokens) continue;
      n++;
      tokens += w.promptTokens;
    }
    return { queuedRequests: n, queuedPromptTokens: tokens };
  }

  stats(): QueueStats {
    return { queued: this.waiters.length, queuedPromptTokens: this.demand().queuedPromptTokens, ...this.counts };
  }

  private remove(w: Waiter): boolean {
    const i = this.waiters.indexOf(w);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    clearTimeout(w.timer);
    return true;
  }
}
