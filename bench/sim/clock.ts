/** Virtual time driven by the event queue: `at` schedules, `runUntil` advances. Seconds. */
import type { Clock } from '../../model/engine.js';
import { EventQueue } from './heap.js';

export class SimClock implements Clock {
  private t = 0;
  readonly queue = new EventQueue();
  events = 0;

  now(): number {
    return this.t;
  }

  at(t: number, run: () => void): void {
    this.queue.push(Math.max(t, this.t), run);
  }

  /** Run events up to and including time `end` (Infinity: until the queue drains). */
  runUntil(end: number): void {
    while (this.queue.peekTime() <= end) {
      const ev = this.queue.pop();
      if (!ev) break;
      this.t = ev.at;
      this.events++;
      ev.run();
    }
    if (end !== Infinity) this.t = Math.max(this.t, end);
  }
}
