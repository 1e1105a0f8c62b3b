/**
 * Load rules: from one window, how many replicas the role needs. Pure.
 *
 * Each rule returns `up` (replicas needed at the target: scale up to it) and `down` (replicas needed at
 * target × scaleDownHeadroom: the consolidation check — N → M only if M replicas keep headroom, as Dynamo's
 * load planner and WVA do; this is what stops 2→1→2 oscillation). The largest rule wins (AIBrix/KPA: with
 * several metrics the max of the per-metric counts wins, autoscaling.md §2).
 */
import type { DecisionReason, DeciderSpec, RemotePrefill, WindowAggregate } from './types.js';

export interface LoadRule {
  reason: DecisionReason;
  up: number;
  down: number;
  detail: string;
}

const EPS = 1e-9;
const ceil = (x: number): number => Math.max(0, Math.ceil(x - EPS));

/** What the load rules need besides one window (the same for the stable and the panic window). */
export interface LoadContext {
  /** Prompt tokens/s one replica prefills: measured while work waited, else the configured profile. */
  tokensPerSec: number;
  /**
   * The prompt backlog is growing: the panic window holds more of it than the stable window (Knative compares
   * the same two windows to detect a surge, kserve-knative.md §4). A shrinking or flat backlog is draining.
   */
  backlogGrowing: boolean;
  /** Like tokensPerSec, but null until the role has been MEASURED while work waited (see decodeRules). */
  measuredTokensPerSec: number | null;
  /** Decode in P/D: what the pool's prefill role prefilled (RoleWindows.remotePrefill); absent = all local. */
  remotePrefill?: RemotePrefill;
  /**
   * The stable window holds a draining backlog (decodeRules' transient case): its prompt rate includes a replay
   * (a wake's buffered requests arriving at once), which no prompt-throughput rule should scale up on.
   */
  stableDraining?: boolean;
}

/** A queue over waitingPerReplica that the ready replicas drain before a new one could start (transient). */
export function drainingBacklog(w: WindowAggregate, ready: number, spec: DeciderSpec, ctx: LoadContext): boolean {
  const local = localPrompts(w, ctx.remotePrefill).window;
  return w.waiting > spec.targets.waitingPerReplica * Math.max(1, ready) && transientBacklog(local, ready, spec, ctx);
}

/**
 * The part of a decode window's prompt traffic decode prefilled itself. vLLM's prompt-token counter (and the
 * prompt-length histogram behind promptBacklogTokens) counts remotely prefilled prompts in full on the decode
 * pod (types.ts RoleWindows.remotePrefill), so the prefill role's rates are subtracted, clamped at 0 (the
 * two roles count a prompt a KV transfer apart). `share` is the local fraction of decode's counted prompt
 * tokens. Without remote prefill: the window unchanged and share 1, so aggregated serving is untouched.
 */
export function localPrompts(
  w: WindowAggregate,
  remote: RemotePrefill | undefined,
): { window: WindowAggregate; share: number } {
  if (!remote) return { window: w, share: 1 };
  const promptTokensRate = Math.max(0, w.promptTokensRate - remote.promptTokensRate);
  const share = w.promptTokensRate > EPS ? promptTokensRate / w.promptTokensRate : 1;
  return {
    window: {
      ...w,
      promptTokensRate,
      arrivalRate: Math.max(0, w.arrivalRate - remote.requestRate),
      promptBacklogTokens: w.promptBacklogTokens * share,
    },
    share,
  };
}

/**
 * A prefill window as prefill WORK: the prompt tokens found in the prefix cache taken out. vLLM counts a
 * prompt in full in vllm:prompt_tokens_total (and in the prompt-length histogram behind promptBacklogTokens)
 * whatever part of it was cached, but a cached block is not recomputed (vLLM automatic prefix caching); the
 * engine's vllm:prefix_cache_hits_total ÷ vllm:prefix_cache_queries_total says which part was
 * (WindowAggregate.prefixCacheHitRate). Scaled by the uncached fraction: the offered prompt rate, the backlog
 * (waiting prompts are assumed to hit the cache like the window's), and the measured per-replica throughput
 * (counted by the same counter). The profile it is compared with (DeciderCapacity.prefillTokensPerSec) is
 * compute speed, which cached tokens do not use. Without the counters the window is unchanged.
 * Issue 6, Mooncake P/D: 10–11% of the prefill pods' counted prompt tokens were cache hits.
 */
export function uncachedPrompts(w: WindowAggregate): WindowAggregate {
  const hit = w.prefixCacheHitRate;
  if (hit === undefined || !(hit > 0)) return w;
  const f = 1 - Math.min(1, hit);
  const out: WindowAggregate = {
    ...w,
    promptTokensRate: w.promptTokensRate * f,
    promptBacklogTokens: w.promptBacklogTokens * f,
  };
  if (w.prefillTokensPerSecPerReplica !== undefined)
    out.prefillTokensPerSecPerReplica = w.prefillTokensPerSecPerReplica * f;
  return out;
}

/**
 * Seconds the ready replicas need to prefill the current backlog at their capacity. A backlog that does not
 * grow and drains within `transientBacklogMs` is over before a replica added now could be Ready (a cold start
 * is ≈ 33 s for an 8B model on one H100, autoscaling.md §7.4): adding replicas for it only buys idle GPUs.
 * This is what a wake from zero looks like: the activator replays everything it buffered during the cold
 * start onto the first Ready pod at once (kserve-knative.md §4), and that pod drains it in seconds.
 */
export function drainSeconds(w: WindowAggregate, ready: number, tokensPerSec: number): number {
  return w.promptBacklogTokens / (Math.max(1, ready) * tokensPerSec);
}

function transientBacklog(w: WindowAggregate, ready: number, spec: DeciderSpec, ctx: LoadContext): boolean {
  return !ctx.backlogGrowing && drainSeconds(w, ready, ctx.tokensPerSec) * 1000 <= spec.targets.transientBacklogMs;
}

/**
 * Mean time a request waits in the engine queue, by Little's law (L = λ·W, so W = waiting ÷ completion
 * rate; in steady state completions equal arrivals). This is the part of TTFT more replicas can shorten; the
 * rest is the request's own prefill, which no replica count changes (a 100k-token prompt takes seconds on
 * one engine). Waiting with nothing completing is an unbounded wait.
 */
export function queueWaitSeconds(w: WindowAggregate): number {
  if (w.waiting <= EPS) return 0;
  return w.arrivalRate > EPS ? w.waiting / w.arrivalRate : Number.POSITIVE_INFINITY;
}

/**
 * Consolidation needs the queue wait under this fraction of the TTFT SLO (see DEFAULT_TARGETS.queueWaitTtftFraction).
 */
function queueBlocksConsolidation(w: WindowAggregate, spec: DeciderSpec): boolean {
  return queueWaitSeconds(w) * 1000 > spec.slo.ttftMs * spec.targets.queueWaitTtftFraction;
}

/**
 * Utilization to plan prefill capacity at, from the TTFT SLO. TTFT = queue wait + the request's own prefill
 * S (mean prompt ÷ per-replica throughput), so the queue may take q = TTFT − S. Per replica as an M/M/1
 * queue, P(wait > q) = ρ·e^(−(1−ρ)·q/S); the largest ρ with P ≤ 1% keeps 99% of requests (the attainment
 * goal of issue 6) from waiting past their budget. Short prompts (2k tokens, S ≈ 0.07 s at 2 s) give the
 * configured 0.8; Mooncake's long ones (S ≈ 0.45 s) about 0.2. Real prompt lengths are heavier-tailed than
 * exponential and the llm-d router does better than random assignment; the two errors pull in opposite
 * directions. Floored at 0.2: prompts longer than the SLO allows cannot be fixed by any replica count.
 * Used by decode's local-prefill check: there prompts share each step's token budget with running decodes
 * (chunked prefill), which the pooled model below does not describe (a pooled form on decode cost 3.8 points
 * on Mooncake aggregated, issue 6). The prefill role plans with pooledPromptReplicas.
 */
export function plannedUtilization(w: WindowAggregate, spec: DeciderSpec, tokensPerSec: number): number {
  const cap = spec.targets.prefillUtilization;
  const meanPromptTokens = w.arrivalRate > EPS ? w.promptTokensRate / w.arrivalRate : 0;
  const ownPrefillS = meanPromptTokens / tokensPerSec;
  if (!(ownPrefillS > 0)) return cap;
  // Variable prompt lengths lengthen waits by v = (1 + Cs²)/2 (Allen–Cunneen, as in pooledPromptReplicas; Cs² from
  // the TTFT spread, never below the exponential case).
  const v = Math.max(1, (1 + (w.ttftCv2 ?? 1)) / 2);
  const ratio = Math.max(0, spec.slo.ttftMs / 1000 - ownPrefillS) / (ownPrefillS * v);
  const tail = (rho: number): number => rho * Math.exp(-(1 - rho) * ratio);
  if (tail(cap) <= TAIL) return cap;
  let lo = 0;
  let hi = cap;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) <= TAIL) lo = mid;
    else hi = mid;
  }
  return Math.max(MIN_UTILIZATION, lo);
}

const TAIL = 0.01;
const MIN_UTILIZATION = 0.2;

/**
 * Prefill replicas for a window's prompt load, from the TTFT SLO, for a role whose replicas serve ONE queue
 * (M/G/c). The llm-d router sends each prompt to the prefill pod with the shortest queue and the most free
 * KV (queue-scorer, kv-cache-utilization-scorer, llm-d.md §2), so a prompt waits only while the pods it could
 * go to are busy; plannedUtilization's c separate M/M/1 queues (random assignment) overstate that wait.
 * Erlang C: with a = λ·S replicas of offered load (S the mean prompt's own prefill),
 *   P(wait > q) = C(c, a)·e^(−(c/S − λ)·q / v),
 * C the probability of waiting and v = (1 + Cs²)/2 the Allen–Cunneen factor by which variable service times
 * lengthen the waits of an M/M/c (Poisson arrivals; Cs² from the prefill pods' TTFT spread,
 * WindowAggregate.ttftCv2; never below the exponential case, v ≥ 1). The budget q is that of the 90th-
 * percentile request, TTFT − max(S, TTFT p90), not the mean one's: with heavy-tailed prompts the requests
 * that miss are the long ones, whose own prefill leaves them little or no room to wait (a p90 at or over the
 * SLO gives q = 0: P(any wait) ≤ 1%). The p90 includes the queue wait, so more waiting plans more replicas.
 * The fewest c with P ≤ 1%, bounded by the configured utilization (short prompts: a / 0.8, as before) and by
 * MIN_UTILIZATION. Why (issue 6, Mooncake P/D): the M/M/1 form sat at its 0.2 floor for 12k–15k-token
 * prompts and, with the consolidation headroom, held ~9 prefill replicas where the oracle's windows need 4–7
 * (mean 5.4) and the pods were busy ~2 replica-equivalents. Known errors: the router's prefix-cache affinity
 * (weight 3) departs from join-the-shortest-queue, and bucket midpoints understate Cs².
 * `loadFactor` scales the offered load (consolidation asks for capacity at load ÷ scaleDownHeadroom).
 */
export function pooledPromptReplicas(
  w: WindowAggregate,
  spec: DeciderSpec,
  tokensPerSec: number,
  loadFactor = 1,
): number {
  const cap = spec.targets.prefillUtilization;
  const a = (w.promptTokensRate * loadFactor) / tokensPerSec;
  if (!(a > 0)) return 0;
  const lambda = w.arrivalRate * loadFactor;
  const ownPrefillS = lambda > EPS ? a / lambda : 0;
  if (!(ownPrefillS > 0)) return a / cap;
  const p90S = w.ttftP90Ms !== undefined ? w.ttftP90Ms / 1000 : 0;
  const q = Math.max(0, spec.slo.ttftMs / 1000 - Math.max(ownPrefillS, p90S));
  const v = Math.max(1, (1 + (w.ttftCv2 ?? 1)) / 2);
  const first = Math.max(1, Math.ceil(a / cap - EPS));
  const most = Math.max(first, Math.ceil(a / MIN_UTILIZATION - EPS));
  // Erlang B by its recurrence B(c) = a·B(c−1) / (c + a·B(c−1)), B(0) = 1 (numerically stable); C from B.
  let erlangB = 1;
  for (let c = 1; c <= most; c++) {
    erlangB = (a * erlangB) / (c + a * erlangB);
    if (c < first) continue;
    const waits = erlangB / (1 - (a / c) * (1 - erlangB));
    // The configured utilization binds: keep its continuous count (a / cap), as the rule always planned.
    if (waits * Math.exp((-(c / ownPrefillS - lambda) * q) / v) <= TAIL) return c === first ? a / cap : c;
  }
  return a / MIN_UTILIZATION;
}

/**
 * Decode's own prefill work against its prompt throughput, the Dynamo throughput planner's sizing (offered prompt
 * tok/s ÷ per-replica throughput at the planned utilization, autoscaling.md §1.1).
 * - Aggregated serving (no remote prefill): decode is the prefill server. Every prompt is prefilled here and the
 *   window's prefix-cache hit rate applies to all of them (index.ts prefillWork hands decode its uncached
 *   prompts), so the profile or a measurement compares like with like from the first window on. The rule scales
 *   up as well as down (issue 16: without it a fleet consolidated on empty-looking KV and missed the long
 *   prompts' TTFT), up at the utilization ÷ scaleDownHeadroom so a band between the two counts holds.
 * - P/D: only with a capacity MEASURED on this role (vLLM's prompt-token counter also counts prompts prefilled
 *   remotely or cached, which a profile would misread as local work; the same counter cancels that out), on the
 *   prompts decode prefilled itself (localPrompts), down-only: a shortage shows first as a queue, KV or ITL.
 */
function decodePromptRule(
  w: WindowAggregate,
  local: WindowAggregate,
  ready: number,
  spec: DeciderSpec,
  ctx: LoadContext,
): LoadRule | undefined {
  const t = spec.targets;
  const aggregated = !ctx.remotePrefill;
  const tps = aggregated ? ctx.tokensPerSec : ctx.measuredTokensPerSec;
  if (tps !== null && tps > 0 && local.promptTokensRate > 0) {
    const util = plannedUtilization(local, spec, tps);
    const keep = ceil(local.promptTokensRate / (tps * util));
    // Aggregated: also a scale-up rule, at the utilization ÷ scaleDownHeadroom (a band between the two counts
    // holds, so the fleet does not flap on a rate at the edge), and not on a draining backlog's replay (the
    // queue rule's transient case: a wake's buffered requests arriving at once).
    const draining = ctx.stableDraining === true || drainingBacklog(w, ready, spec, ctx);
    const up =
      aggregated && !draining
        ? ceil(local.promptTokensRate / (tps * Math.min(t.prefillUtilization, util / t.scaleDownHeadroom)))
        : 0;
    const remote = ctx.remotePrefill
      ? ` (${fmt(w.promptTokensRate)} counted − ${fmt(ctx.remotePrefill.promptTokensRate)} prefilled remotely)`
      : '';
    return {
      reason: 'prompt-backlog',
      up,
      down: aggregated ? keep : Math.min(ready, keep),
      detail:
        `${fmt(local.promptTokensRate)} ` +
        `${remote ? 'local ' : ''}prompt tok/s${remote} vs ` +
        `${fmt(tps)} tok/s/replica at ${fmt(util)} utilization`,
    };
  }
  return undefined;
}

/**
 * Decode (autoscaling.md §1.2, §3): KV-cache pressure is the capacity signal of a decode replica;
 * waiting requests mean every slot is taken; a p90 ITL over the SLO means batches are too large.
 */
export function decodeRules(w: WindowAggregate, ready: number, spec: DeciderSpec, ctx: LoadContext): LoadRule[] {
  const t = spec.targets;
  const kvPods = w.kvUsage * ready; // KV in use, in replica-equivalents
  const rules: LoadRule[] = [
    {
      reason: 'kv-pressure',
      up: ceil(kvPods / t.kvUsage),
      down: ceil(kvPods / (t.kvUsage * t.scaleDownHeadroom)),
      detail: `kv ${fmt(w.kvUsage)} × ${ready} ready vs target ${t.kvUsage}`,
    },
  ];
  const slots = ready > 0 ? Math.max(1, w.running / ready) : 1;
  const waitMs = queueWaitSeconds(w) * 1000;
  // Local prefill work only (P/D: a remotely prefilled request computes one token here). Queue wait, slots
  // and KV stay on the whole window: remote requests queue and hold KV like any other.
  const local = localPrompts(w, ctx.remotePrefill).window;
  if (w.waiting > t.waitingPerReplica * Math.max(1, ready)) {
    // Only while KV has room: with the cache full, waiting requests are admitted as others finish, not at
    // prefill speed, and the drain estimate does not hold.
    if (w.kvUsage < t.kvUsage && transientBacklog(local, ready, spec, ctx)) {
      // A draining backlog the ready replicas clear before a new one could start: hold (no consolidation
      // either), do not size the fleet on it (issue 6: a wake sized on the replayed buffer asked for 10
      // replicas for a 4 req/s burst one replica serves).
      const drainS = drainSeconds(local, ready, ctx.tokensPerSec);
      rules.push({
        reason: 'queue',
        up: ready,
        down: ready,
        detail:
          `${fmt(w.waiting)} waiting drain in ${fmt(drainS)} s ≤ ` + `${fmt(t.transientBacklogMs / 1000)} s: transient`,
      });
    } else {
      // A growing or long queue: size for running + waiting at the concurrency one replica actually holds
      // (its running count when saturated), as KPA sizes on concurrency per pod.
      const need = ceil((w.running + w.waiting) / slots);
      rules.push({
        reason: 'queue',
        up: need,
        down: need,
        detail: `${fmt(w.waiting)} waiting, ${fmt(w.running)} running, ${fmt(slots)} per replica`,
      });
    }
  } else if (queueBlocksConsolidation(w, spec)) {
    // A queue whose wait is a noticeable part of TTFT: no consolidation (WVA: scale down only if the spare
    // queue stays ≥ 3 on N−1). A few requests briefly waiting behind a long chunked prefill are not that:
    // with long prompts some request is nearly always waiting somewhere (issue 6, Mooncake: 13 replicas
    // held for an hour at a 24 ms mean wait), so the test is the wait, not "waiting > 0".
    rules.push({
      reason: 'queue',
      up: 0,
      down: ready,
      detail:
        `queue wait ${fmt(waitMs)} ms > ` +
        `${fmt(t.queueWaitTtftFraction * 100)}% of ttft ` +
        `${spec.slo.ttftMs} ms: no consolidation`,
    });
  }
  const prompt = decodePromptRule(w, local, ready, spec, ctx);
  if (prompt) rules.push(prompt);
  // ITL ≈ α + β·batch (WVA, Dynamo): over the SLO add one. Consolidating N → M grows batches by N/M; bounding
  // ITL by itl·N/M (conservative: it ignores α) keeps M where the estimate stays under SLO × headroom
  // (Dynamo: post_ITL < SLA·0.8).
  if (w.itlP90Ms !== undefined && ready > 0) {
    const over = w.itlP90Ms > spec.slo.itlMs;
    const keep = Math.min(ready, ceil((w.itlP90Ms * ready) / (spec.slo.itlMs * t.scaleDownHeadroom)));
    rules.push({
      reason: 'itl-slo',
      up: over ? ready + 1 : 0,
      down: over ? ready : keep,
      detail: `itl p90 ${fmt(w.itlP90Ms)} ms vs slo ${spec.slo.itlMs} ms`,
    });
  }
  return rules;
}

/**
 * Prefill (Dynamo throughput planner, autoscaling.md §1.1): replicas = offered prompt tokens/s ÷ per-replica
 * throughput, plus what it takes to drain a backlog that is not transient within part of the TTFT budget.
 */
export function prefillRules(w: WindowAggregate, ready: number, spec: DeciderSpec, ctx: LoadContext): LoadRule[] {
  const t = spec.targets;
  const tokensPerSec = ctx.tokensPerSec;
  const budgetS = (spec.slo.ttftMs / 1000) * t.backlogTtftFraction;
  // A transient backlog (draining, gone before a new replica is Ready) adds nothing: issue 6, Mooncake P/D,
  // the first burst drove prefill 1 → 6 in 5 s on a backlog one replica cleared in seconds.
  const backlog = transientBacklog(w, ready, spec, ctx) ? 0 : w.promptBacklogTokens;
  const prompts = pooledPromptReplicas(w, spec, tokensPerSec);
  const util = prompts > 0 ? w.promptTokensRate / (tokensPerSec * prompts) : spec.targets.prefillUtilization;
  const drain = backlog / (tokensPerSec * budgetS);
  const need = prompts + drain;
  const rules: LoadRule[] = [
    {
      reason: 'prompt-backlog',
      up: ceil(need),
      // Consolidation: capacity for the load ÷ headroom (the remaining replicas stay under target × headroom).
      down: ceil(pooledPromptReplicas(w, spec, tokensPerSec, 1 / t.scaleDownHeadroom) + drain / t.scaleDownHeadroom),
      detail:
        `${fmt(w.promptTokensRate)} ` +
        `${w.prefixCacheHitRate ? `uncached (${fmt(w.prefixCacheHitRate * 100)}% prefix-cache hits) ` : ''}prompt ` +
        `tok/s + backlog ${fmt(w.promptBacklogTokens)} tok` +
        `${backlog === 0 && w.promptBacklogTokens > 0 ? ' (transient)' : ''} ` +
        `vs ${fmt(tokensPerSec)} tok/s/replica at ${fmt(util)} ` +
        `utilization, ttft ${spec.slo.ttftMs} ms`,
    },
  ];
  if (w.ttftP90Ms !== undefined && ready > 0) {
    // More prefill replicas only shorten the queueing part of TTFT. A p90 over the SLO made of prompts whose
    // own prefill takes longer than the SLO is not fixable by scaling (issue 6, Mooncake P/D: prefill pinned at
    // the 16-replica cap for 57 of 60 minutes). So the rule acts only while the queue wait (Little's law) is
    // itself over the queueing budget (up) or a noticeable part of TTFT (no consolidation).
    const waitMs = queueWaitSeconds(w) * 1000;
    const over = w.ttftP90Ms > spec.slo.ttftMs && waitMs > budgetS * 1000;
    const block = w.ttftP90Ms > spec.slo.ttftMs * t.scaleDownHeadroom && queueBlocksConsolidation(w, spec);
    rules.push({
      reason: 'ttft-slo',
      up: over ? ready + 1 : 0,
      down: over || block ? ready : 0,
      detail: `ttft p90 ${fmt(w.ttftP90Ms)} ms vs slo ${spec.slo.ttftMs} ms, queue wait ${fmt(waitMs)} ms`,
    });
  }
  return rules;
}

/** The winning rule: the largest `up`; `down` is the largest of all rules' `down` (every rule must agree). */
export function combine(rules: LoadRule[]): { up: number; down: number; reason: DecisionReason; detail: string } {
  let best = rules[0] ?? { reason: 'hold' as const, up: 0, down: 0, detail: 'no rules' };
  for (const r of rules) if (r.up > best.up) best = r;
  const down = Math.max(0, ...rules.map((r) => r.down));
  return { up: best.up, down: Math.max(down, best.up), reason: best.reason, detail: best.detail };
}

export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 2 : 0);
}
