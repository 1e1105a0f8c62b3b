/**
 * The event queue: a binary min-heap on (time, insertion order). The insertion order breaks ties so
 * events at the same virtual time run in the order they were scheduled, which keeps runs deterministic.
 */
export interface SimEvent {
  at: number;
  seq: number;
  run(): void;
}

export class EventQueue {
  private readonly items: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(at: number, run: () => void): void {
    const ev: SimEvent = { at, seq: this.seq++, run };
    const a = this.items;
    a.push(ev);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(ev, a[p] as SimEvent)) break;
      a[i] = a[p] as SimEvent;
      i = p;
    }
    a[i] = ev;
  }

  peekTime(): number {
    return this.items.length > 0 ? (this.items[0] as SimEvent).at : Infinity;
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && less(a[r] as SimEvent, a[l] as SimEvent) ? r : l;
      if (!less(a[c] as SimEvent, last)) break;
      a[i] = a[c] as SimEvent;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function less(x: SimEvent, y: SimEvent): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
