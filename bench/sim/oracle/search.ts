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
import { HASH_BLOCK_TOKENS } from '../kv.js';
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
  outcomes: Outcome[];
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
 * The history that can still be in a fleet's caches: walking back from the window start, requests until their
 * distinct blocks exceed twice what the fleet's pods hold (LRU would have evicted anything older) or PREWARM_S.
 */
function historyStart(w: WindowInput, pods: number, blocksPerPod: number, minPrompt: number): number {
  const budget = 2 * pods * blocksPerPod;
  const seen = new Set<number>();
  let k = w.lo;
  while (k > 0) {
    const r = w.all[k - 1] as TraceRequest;
    if (r.arrival < w.start - PREWARM_S) break;
    if (r.promptTokens >= minPrompt) for (const h of r.hashIds) seen.add(h);
    if (seen.size > budget) break;
    k--;
  }
  return k;
}

export class WindowSearch {
  private readonly memo = new Map<string, Evaluated>();
  private readonly reqs: TraceRequest[];
  private readonly caches = new Map<string, WarmCache[]>();
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
      const minPrompt = role === 'prefill' ? this.o.pdThresholdTokens : 0;
      const history = this.w.all.slice(historyStart(this.w, replicas, blocks, minPrompt), this.w.lo);
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
      outcomes: res.outcomes.map((x) => ({
        ...x,
        arrival: x.arrival + w.start,
        firstTokenAt: x.firstTokenAt + w.start,
        finishedAt: x.finishedAt + w.start,
      })),
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

  private searchDisaggregated(): void {
    const max = this.o.maxReplicas;
    const floor = this.evaluate({ decode: max, prefill: max }).misses;
    let best: Desired | undefined;
    let p = max;
    for (let d = 1; d <= max && (!best || d < best.decode + best.prefill); d++) {
      if (this.evaluate({ decode: d, prefill: p }).misses > floor) continue;
      while (p > 0 && this.evaluate({ decode: d, prefill: p - 1 }).misses <= floor) p--;
      if (!best || d + p < best.decode + best.prefill) best = { decode: d, prefill: p };
    }
    this.descend(best ?? { decode: max, prefill: max });
  }

  /** From a fleet down to (1, 0): each step removes the replica whose loss adds fewer misses. */
  private descend(from: Desired): void {
    let at = from;
    while (at.decode > 1 || at.prefill > 0) {
      const fewer: Desired[] = [];
      if (at.decode > 1) fewer.push({ decode: at.decode - 1, prefill: at.prefill });
      if (at.prefill > 0) fewer.push({ decode: at.decode, prefill: at.prefill - 1 });
      at = fewer
        .map((f) => this.evaluate(f))
        .sort((x, y) => x.misses - y.misses || x.fleet.prefill - y.fleet.prefill)[0]?.fleet as Desired;
    }
  }
}
