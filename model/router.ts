/**
 * The router model (llm-d.md §2–§3). `llm-d`: the default EndpointPickerConfig of the llm-d router chart —
 * prefix-cache-scorer ×3, queue-scorer ×2, kv-cache-utilization-scorer ×2, max-score-picker with a random
 * tie-break; the prefix scorer reads an approximate per-pod index that the router itself updates with the
 * blocks of each request it sends (approximate prefix producer, PreRequest). `round-robin`: what a plain
 * Kubernetes Service does. The caller records the chosen pods' blocks in their index (PreRequest), after the
 * P/D decision has read the decode pod's match. P/D: decode is picked first; a prefill pod is added when the prompt's
 * non-cached part on that decode pod reaches a threshold (prefix-based-pd-decider `nonCachedTokens`).
 */
import type { Engine } from './engine.js';
import { HASH_BLOCK_TOKENS } from './kv.js';
import type { Rng } from './rng.js';

export const ROUTERS = ['llm-d', 'round-robin'] as const;
export type RouterName = (typeof ROUTERS)[number];

/** Weights of the llm-d router chart's default-plugins.yaml (llm-d.md §2). */
export const LLMD_WEIGHTS = { prefix: 3, queue: 2, kv: 2 } as const;

/** The router's approximate view of one pod's prefix cache: an LRU of block hashes (lruCapacityPerServer). */
export class PrefixIndex {
  private readonly lru = new Map<number, true>();
  constructor(readonly capacityBlocks: number) {}

  /** Leading blocks of the request found for this pod. */
  match(hashIds: readonly number[]): number {
    let n = 0;
    while (n < hashIds.length && this.lru.has(hashIds[n] as number)) n++;
    return n;
  }

  add(hashIds: readonly number[]): void {
    for (const h of hashIds) {
      this.lru.delete(h);
      this.lru.set(h, true);
    }
    for (const h of this.lru.keys()) {
      if (this.lru.size <= this.capacityBlocks) break;
      this.lru.delete(h);
    }
  }

  /** Take over another index's entries, in its LRU order (a pre-filled index copied into a new pod). */
  copyFrom(other: PrefixIndex): void {
    this.lru.clear();
    for (const h of other.lru.keys()) this.lru.set(h, true);
  }
}

export interface RoutablePod {
  id: string;
  engine: Engine;
  prefix: PrefixIndex;
}

export interface RoutedRequest {
  promptTokens: number;
  hashIds: readonly number[];
}

/**
 * What the scorers read about one pod: its waiting queue and KV usage (scraped /metrics) and the router's prefix index.
 */
export interface ScoredView {
  waiting: number;
  kvUsage: number;
  prefix: PrefixIndex;
}

/** Each scorer in [0, 1] per pod (llm-d scorer READMEs). */
export function llmdScores(
  req: RoutedRequest,
  pods: readonly RoutablePod[],
): Array<{ prefix: number; queue: number; kv: number; total: number }> {
  return llmdScoresOf(
    req,
    pods.map((p) => ({ waiting: p.engine.waiting.length, kvUsage: p.engine.kv.usage(), prefix: p.prefix })),
  );
}

/** The same scores over plain views (a live router reads them from engines' /metrics, local/router.ts). */
export function llmdScoresOf(
  req: RoutedRequest,
  pods: readonly ScoredView[],
): Array<{ prefix: number; queue: number; kv: number; total: number }> {
  const queues = pods.map((p) => p.waiting);
  const maxQ = Math.max(...queues);
  const minQ = Math.min(...queues);
  return pods.map((p, i) => {
    const prefix = req.hashIds.length > 0 ? p.prefix.match(req.hashIds) / req.hashIds.length : 0;
    // queue-scorer: (maxQ − q)/(maxQ − minQ); all equal → 1.
    const queue = maxQ === minQ ? 1 : (maxQ - (queues[i] as number)) / (maxQ - minQ);
    const kv = 1 - Math.min(1, p.kvUsage);
    return {
      prefix,
      queue,
      kv,
      total: LLMD_WEIGHTS.prefix * prefix + LLMD_WEIGHTS.queue * queue + LLMD_WEIGHTS.kv * kv,
    };
  });
}

/** max-score-picker: the highest total, random tie-break (llm-d.md §2). */
export function pickMaxScore(totals: readonly number[], rng: Rng): number {
  let best: number[] = [];
  let top = -Infinity;
  totals.forEach((t, i) => {
    if (t > top + 1e-12) {
      top = t;
      best = [i];
    } else if (Math.abs(t - top) <= 1e-12) best.push(i);
  });
  return best[Math.floor(rng.next() * best.length)] as number;
}

export interface Router {
  readonly name: RouterName;
  pick(req: RoutedRequest, pods: readonly RoutablePod[]): RoutablePod;
}

export function createRouter(name: RouterName, rng: Rng): Router {
  if (name === 'round-robin') {
    let next = 0;
    return { name, pick: (_req, pods) => pods[next++ % pods.length] as RoutablePod };
  }
  return {
    name,
    pick(req, pods) {
      return pods[
        pickMaxScore(
          llmdScores(req, pods).map((s) => s.total),
          rng,
        )
      ] as RoutablePod;
    },
  };
}

/** P/D decider: disaggregate when the prompt's part not cached on the chosen decode pod is long. */
export function wantsRemotePrefill(
  req: RoutedRequest,
  decode: Pick<RoutablePod, 'prefix'>,
  nonCachedTokens: number,
): boolean {
  const cached = Math.min(req.promptTokens, decode.prefix.match(req.hashIds) * HASH_BLOCK_TOKENS);
  return req.promptTokens - cached >= nonCachedTokens;
}
