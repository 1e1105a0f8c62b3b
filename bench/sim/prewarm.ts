/**
 * Warm caches for a fleet that had been serving before t = 0 (the oracle's per-window replays): the blocks of the
 * earlier requests, in the pods the router would have sent them to. The router's load scorers see an estimate of
 * each pod's load at the time — the tokens of the requests it would still be serving (prefill at the profiled
 * rate, then one token per decode step) — so history spreads over the pods as live traffic does; routed on the
 * prefix scorer alone, every request would follow the first pod holding a common first block and the others would
 * stay empty. The result is a list of (router prefix index, engine KV cache) pairs that runCluster copies into its
 * initial pods; building them once per (window, role, replicas) and copying is what keeps the oracle fast.
 */
import { HASH_BLOCK_TOKENS, KvCache } from '../../model/kv.js';
import { profiledPrefillTokensPerSec, stepSeconds } from '../../model/perf.js';
import type { Role } from './policies/types.js';
import type { EnginePreset } from '../../model/presets.js';
import { createRng } from '../../model/rng.js';
import { llmdScoresOf, pickMaxScore, PrefixIndex } from '../../model/router.js';
import type { TraceRequest } from './traffic/types.js';

export interface WarmCache {
  prefix: PrefixIndex;
  kv: KvCache;
}

export interface WarmOptions {
  preset: EnginePreset;
  seed: number;
  /** Prefill pods only see prompts of at least this many tokens (P/D). */
  pdThresholdTokens: number;
}

export function warmCaches(
  o: WarmOptions,
  role: Role,
  replicas: number,
  history: readonly TraceRequest[],
): WarmCache[] {
  const p = o.preset;
  const blocks = Math.floor(p.kvCapacityTokens / HASH_BLOCK_TOKENS);
  const pods = Array.from({ length: replicas }, () => ({
    prefix: new PrefixIndex(blocks),
    kv: new KvCache(p.kvCapacityTokens, p.blockSize),
    load: [] as Array<{ until: number; tokens: number }>,
  }));
  if (replicas === 0) return [];
  const prefillRate = profiledPrefillTokensPerSec(p, 4096);
  const decodeStep = stepSeconds(p, {
    decodeSeqs: 32,
    decodeContext: 32 * 4096,
    prefillTokens: 0,
    prefillAttention: 0,
    prefillContext: 0,
    prefillSeqs: 0,
  });
  const rng = createRng(o.seed ^ (role === 'decode' ? 0x9e37 : 0x7f4a));
  for (const r of history) {
    if (r.hashIds.length === 0 || (role === 'prefill' && r.promptTokens < o.pdThresholdTokens)) continue;
    const views = pods.map((pod) => {
      // Drop finished requests in place (no allocation per request and pod).
      let tokens = 0;
      let keep = 0;
      for (const x of pod.load)
        if (x.until > r.arrival) {
          pod.load[keep++] = x;
          tokens += x.tokens;
        }
      pod.load.length = keep;
      return { waiting: 0, kvUsage: tokens / p.kvCapacityTokens, prefix: pod.prefix };
    });
    const pod = pods[
      pickMaxScore(
        llmdScoresOf(r, views).map((x) => x.total),
        rng,
      )
    ] as (typeof pods)[number];
    const uncached = r.promptTokens - Math.min(r.promptTokens, pod.prefix.match(r.hashIds) * HASH_BLOCK_TOKENS);
    const decoding = role === 'decode' ? r.outputTokens : 0;
    pod.load.push({
      until: r.arrival + uncached / prefillRate + decoding * decodeStep,
      tokens: r.promptTokens + decoding,
    });
    pod.prefix.add(r.hashIds);
    pod.kv.warm(r.hashIds, r.promptTokens);
  }
  return pods.map(({ prefix, kv }) => ({ prefix, kv }));
}
