/** A sliding time window of per-tick values (one per second), for the policies' stable/panic averages. */
export class SlidingWindow {
  private readonly values: Array<[number, number]> = [];
  constructor(private readonly spanS: number) {}

  push(t: number, v: number): void {
    this.values.push([t, v]);
    while (this.values.length > 0 && (this.values[0] as [number, number])[0] <= t - this.spanS) this.values.shift();
  }

  mean(): number {
    if (this.values.length === 0) return 0;
    let s = 0;
    for (const [, v] of this.values) s += v;
    return s / this.values.length;
  }

  max(): number {
    let m = -Infinity;
    for (const [, v] of this.values) m = Math.max(m, v);
    return m;
  }

  get length(): number {
    return this.values.length;
  }
}

/** Desired counts for the roles a fleet has; the prefill count is ignored when not disaggregated. */
export function both(decode: number, prefill: number): { decode: number; prefill: number } {
  return { decode, prefill };
}
