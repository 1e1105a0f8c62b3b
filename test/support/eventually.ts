/**
 * The one way tests wait for something they cannot await directly (a watch event, another process, a loop on
 * real timers): poll `probe` until it returns a truthy value and return that value; throw naming `what` after
 * `timeoutMs`. Real time by nature, so the deadline is generous: a passing test never reaches it and pays only
 * for the polls, while a suite run with both cores busy (npm run test:load) must not fail on a slow machine.
 * Where the code under test takes a clock, tests advance time instead of polling (e.g. test/autoscaler/e2e).
 */
export interface EventuallyOptions {
  /** Default 20 s: several times what the slowest wait takes under full CPU load. */
  timeoutMs?: number;
  /** Between probes; default 10 ms (a probe is an in-memory check or one loopback request). */
  intervalMs?: number;
}

export const EVENTUALLY_TIMEOUT_MS = 20_000;

export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  opts: EventuallyOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? EVENTUALLY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 10));
  }
}
