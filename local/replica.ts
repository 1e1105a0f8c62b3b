/**
 * One engine replica as the gateway, router, autoscaler loop and view see it. The supervisor owns the
 * lifecycle (starting → ready → draining → gone); the router refresher writes `metrics`; the gateway counts
 * `inflight` (what draining waits for).
 */
import type { ChildProcess } from 'node:child_process';
import type { DeciderRole } from '../autoscaler/decider/types.js';
import { HASH_BLOCK_TOKENS } from '../model/kv.js';
import { PrefixIndex } from '../model/router.js';

export type ReplicaState = 'starting' | 'ready' | 'draining';

export interface Replica {
  id: string;
  role: DeciderRole;
  url: string;
  state: ReplicaState;
  createdAt: number;
  readyAt?: number;
  proc?: ChildProcess;
  /** Requests the gateway has sent here and not finished. */
  inflight: number;
  /** Latest scrape of vLLM /metrics (routing inputs). */
  metrics?: { waiting: number; running: number; kvUsage: number; atMs: number };
  /** The router's approximate prefix index for this replica (llm-d approx-prefix-cache-producer). */
  prefix: PrefixIndex;
  /** The gateway could not connect: out of routing until the supervisor confirms the crash or it answers again. */
  unreachable?: boolean;
  /** Last lines the process printed (shown when it dies). */
  tail: string[];
}

/** llm-d's default LRU per server is 31,250 blocks (llm-d.md §2); at 512-token blocks that covers 16M tokens. */
export const PREFIX_LRU_BLOCKS = Math.ceil(16_000_000 / HASH_BLOCK_TOKENS);

export function newReplica(id: string, role: DeciderRole, url: string, now: number): Replica {
  return {
    id,
    role,
    url,
    state: 'starting',
    createdAt: now,
    inflight: 0,
    prefix: new PrefixIndex(PREFIX_LRU_BLOCKS),
    tail: [],
  };
}

/** Keep the last `max` lines of a stream in `tail`. */
export function keepTail(tail: string[], chunk: Buffer | string, max = 20): void {
  for (const line of String(chunk).split('\n')) {
    const t = line.trimEnd();
    if (t.length === 0) continue;
    tail.push(t.length > 500 ? `${t.slice(0, 500)}…` : t);
    if (tail.length > max) tail.shift();
  }
}
