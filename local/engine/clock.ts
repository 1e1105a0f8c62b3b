/**
 * The simulator's Clock on wall time: the engine model (model/engine.ts) schedules its steps with
 * `at(t, run)` in seconds; here that is a timer, so the same continuous-batching model serves real HTTP.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../model/engine.js';

export class WallClock implements Clock {
  private readonly origin = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return (performance.now() - this.origin) / 1000;
  }

  at(t: number, run: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        run();
      },
      Math.max(0, (t - this.now()) * 1000),
    );
    this.timers.add(timer);
  }

  /** Cancel everything scheduled (shutdown). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
