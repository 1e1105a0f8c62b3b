/**
 * Retry-After for a request refused while decode is at zero (queue full): the time until a decode replica is
 * expected to serve, not the queue timeout. The expected cold start is the last one observed, else the bundled
 * engine's configured delay, else (a command whose load time is unknown) a conservative default; a replica
 * already starting has part of it behind it. Bounded to [1 s, the queue timeout]. Pure, for tests.
 */
export interface RetryAfterInputs {
  nowMs: number;
  /** createdAt of decode replicas that are starting. */
  startingSinceMs: number[];
  /** Last observed decode cold start, if any. */
  observedColdStartMs?: number;
  /** What the configuration says a cold start takes, when it knows (bundled engine: engine.coldStartMs). */
  configuredColdStartMs?: number;
  queueTimeoutMs: number;
}

/** When nothing is known: about a small vLLM model's load time. */
export const UNKNOWN_COLD_START_MS = 30_000;

export function retryAfterSeconds(i: RetryAfterInputs): number {
  const expected = i.observedColdStartMs ?? i.configuredColdStartMs ?? UNKNOWN_COLD_START_MS;
  const elapsed = i.startingSinceMs.length > 0 ? i.nowMs - Math.min(...i.startingSinceMs) : 0;
  const remainingMs = Math.min(Math.max(expected - elapsed, 1_000), i.queueTimeoutMs);
  return Math.max(1, Math.ceil(remainingMs / 1000));
}
