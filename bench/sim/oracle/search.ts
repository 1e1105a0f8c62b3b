/**
 * One oracle window: its requests replayed on warm fixed fleets (runCluster with a static policy, no cold start),
 * caches holding the blocks of the requests before it as the router would have placed them, and the search over
 * fleets that yields the window's options (cost, misses, outcomes). Memoised per fleet.
 *
 * Search. Aggregated: the floor of misses is measured on the largest fleet (maxReplicas); then every size from 1
 * up until one reaches the floor, so the window's whole cost–miss curve below its fewest-miss fleet is known. P/D:
 * the floor on (max, max); a staircase walk finds the cheapest fleets reaching it (the fewest prefill replicas for
 * a decode count never grows with more decode replicas); then a descent from the cheapest of them to (1 decode,
 * 0 prefill), each step removing the replica whose loss adds fewer misses, gives the cheaper options. A window
 * with requests never gets zero replicas: its requests would still have to be served (buffered until a pod is up),
 * so a fleet at zero does not make their work disappear the way dropping them from the replay would.
 */
import { runCluster, type Outcome } from '../cluster.js';
import { HASH_BLOCK_TOKENS } from '../../../model/kv.js';
import { meetsSlo } from '../metrics.js';
import { staticPolicy } from '../policies/static.js';
import type { Desired, Role } from '../policies/types.js';
import { warmCaches, type WarmCache } from '../prewarm.js';
import type { SimSettings } from '../settings.js';
import type { TraceRequest } from '../traffic/types.js';

export interface Evaluated {
  fleet: Desired;
  cost: number;
  misses: number;
  /** Per request of the window; times from the window start until searchWindow shifts them to trace time. */
  outcomes: Outcome[];
}

/** Outcomes with times from the trace start (the search keeps them relative to the window). */
export function shifted(e: Evaluated, start: number): Evaluated {
  return {
    ...e,
    outcomes: e.outcomes.map((x) => ({
      ...x,
      arrival: x.arrival + start,
      firstTokenAt: x.firstTokenAt + start,
      finishedAt: x.finishedAt + start,
    })),
  };
}

export interface WindowInput {
  index: number;
  start: number;
  end: number;
  /** All requests of the trace (arrival order) and this window's slice [lo, hi). */
  all: readonly TraceRequest[];
  lo: number;
  hi: number;
}

/** How far back the caches are filled at most (seconds). */
export const PREWARM_S = 600;

/**
 * Walking back from the window start (at most PREWARM_S), the number of distinct blocks seen before each request:
 * `distinct[j]` for the request j + 1 steps back. Computed once per window and role; the history of a fleet is the
 * requests until their distinct blocks exceed twice what its pods hold (LRU would have evicted anything older).
 */
function distinctBack(w: WindowInput, minPrompt: number): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let k = w.lo; k > 0; k--) {
    const r = w.all[k - 1] as TraceRequest;
    if (r.arrival < w.start - PREWARM_S) break;
    if (r.promptTokens >= minPrompt) for (const h of r.hashIds) seen.add(h);
    out.push(seen.size);
  }
  return out;
}

export class WindowSearch {
  private readonly memo = new Map<string, Evaluated>();
  private readonly reqs: TraceRequest[];
  private readonly caches = new Map<string, WarmCache[]>();
  private readonly back = new Map<Role, number[]>();
  evaluations = 0;

  constructor(
    private readonly o: SimSettings,
    private readonly w: WindowInput,
  ) {
    this.reqs = w.all.slice(w.lo, w.hi).map((r) => ({ ...r, arrival: r.arrival - w.start }));
  }

  get requests(): number {
    return this.reqs.length;
  }

  /** Warm caches for `replicas` pods of a role, built once per window and count (prewarm.ts). */
  private warm(role: Role, replicas: number): WarmCache[] {
    const key = `${role}:${replicas}`;
    let c = this.caches.get(key);
    if (!c) {
      const blocks = Math.floor(this.o.preset.kvCapacityTokens / HASH_BLOCK_TOKENS);
      let back = this.back.get(role);
      if (!back) {
        back = distinctBack(this.w, role === 'prefill' ? this.o.pdThresholdTokens : 0);
        this.back.set(role, back);
      }
      let steps = 0;
      while (steps < back.length && (back[steps] as number) <= 2 * replicas * blocks) steps++;
      const history = this.w.all.slice(this.w.lo - steps, this.w.lo);
      c = warmCaches(this.o, role, replicas, history);
      this.caches.set(key, c);
    }
    return c;
  }

  evaluate(fleet: Desired): Evaluated {
    const key = `${fleet.decode},${fleet.prefill}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    this.evaluations++;
    const o = this.o;
    const w = this.w;
    const res = runCluster({
      preset: o.preset,
      requests: this.reqs,
      horizonS: w.end - w.start,
      policy: staticPolicy(fleet),
      router: o.router,
      disaggregated: o.disaggregated,
      pdThresholdTokens: o.pdThresholdTokens,
      seed: o.seed + w.index,
      initial: fleet,
      coldStartS: 0,
      maxReplicas: o.maxReplicas,
      warm: {
        decode: this.warm('decode', fleet.decode),
        ...(o.disaggregated ? { prefill: this.warm('prefill', fleet.prefill) } : {}),
      },
      sampleS: 1e9,
    });
    const e: Evaluated = {
      fleet,
      cost: (fleet.decode + fleet.prefill) * o.preset.tp * (w.end - w.start),
      misses: res.outcomes.filter((x) => !meetsSlo(x, o.slo)).length,
      outcomes: res.outcomes,
    };
    this.memo.set(key, e);
    return e;
  }

  /** Every fleet evaluated so far. */
  tried(): Evaluated[] {
    return [...this.memo.values()];
  }

  /** The options of this window (see the file comment); `forced` restricts it to one fleet (the equal start). */
  search(forced?: Desired): Evaluated[] {
    if (this.reqs.length === 0) return [{ fleet: { decode: 0, prefill: 0 }, cost: 0, misses: 0, outcomes: [] }];
    if (forced) return [this.evaluate(forced)];
    if (this.o.disaggregated) this.searchDisaggregated();
    else this.searchAggregated();
    return this.tried();
  }

  private searchAggregated(): void {
    const max = this.o.maxReplicas;
    const floor = this.evaluate({ decode: max, prefill: 0 }).misses;
    for (let d = 1; d < max; d++) if (this.evaluate({ decode: d, prefill: 0 }).misses <= floor) break;
  }

  /** Smallest x in [lo, hi] with ok(x), assuming ok is monotone (false … true); hi when none is. */
  private static lowest(lo: number, hi: number, ok: (x: number) => boolean): number {
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ok(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private searchDisaggregated(): void {
    const max = this.o.maxReplicas;
    const floor = this.evaluate({ decode: max, prefill: max }).misses;
    const meets = (decode: number, prefill: number): boolean => this.evaluate({ decode, prefill }).misses <= floor;
    // The staircase of cheapest fleets reaching the floor: the fewest decode replicas with all prefill replicas,
    // then for each decode count the fewest prefill replicas (never more than for one decode replica fewer).
    const first = WindowSearch.lowest(1, max, (d) => meets(d, max));
    let best: Desired = { decode: max, prefill: max };
    let p = max;
    for (let d = first; d <= max && d < best.decode + best.prefill; d++) {
      if (!meets(d, p)) continue;
      p = WindowSearch.lowest(0, p, (q) => meets(d, q));
      if (d + p < best.decode + best.prefill) best = { decode: d, prefill: p };
    }
    this.descend(best);
  }

  /**
   * From a fleet down to (1, 0), one replica at a time, removing the one whose loss adds fewer misses. Lazily: the
   * role whose last removal cost less is tried first, and the other one only when this one now costs more than
   * the other did (a greedy that evaluates about one fleet per step instead of two).
   */
  private descend(from: Desired): void {
    let at = from;
    let misses = this.evaluate(at).misses;
    const last = { decode: 0, prefill: 0 };
    while (at.decode > 1 || at.prefill > 0) {
      const can = { decode: at.decode > 1, prefill: at.prefill > 0 };
      const order: Array<'decode' | 'prefill'> =
        can.decode && can.prefill
          ? last.decode <= last.prefill
            ? ['decode', 'prefill']
            : ['prefill', 'decode']
          : [can.decode ? 'decode' : 'prefill'];
      const without = (r: 'decode' | 'prefill'): Evaluated =>
        this.evaluate(r === 'decode' ? { ...at, decode: at.decode - 1 } : { ...at, prefill: at.prefill - 1 });
      const [r1, r2] = order as ['decode' | 'prefill', ('decode' | 'prefill')?];
      let pick = without(r1);
      last[r1] = pick.misses - misses;
      if (r2 && last[r1] > last[r2]) {
        const other = without(r2);
        last[r2] = other.misses - misses;
        if (other.misses < pick.misses) pick = other;
      }
      at = pick.fleet;
      misses = pick.misses;
    }
  }
}
