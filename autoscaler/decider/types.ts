/**
 * The decider's public contract. STABLE: the trace benchmark (bench/trace, issue 6) imports this module
 * unchanged to simulate fleets, so nothing here refers to Kubernetes; a simulator drives it with plain numbers.
 *
 *   decide(spec, windows, nowMs, state) → Decision { desired, reason, state, valid, … }
 *   decidePool({ decode, prefill? }, nowMs, states) → both decisions, decode first (prefill follows it)
 *
 * - `spec` (DeciderSpec): what the user asked for and the tuning, per role. Built from the PodAutoscaler's
 *   annotations by autoscaler/config (or by hand in a simulator, from `deciderSpec(role, overrides)`).
 * - `windows` (RoleWindows): what was observed for ONE role of ONE pool: pod counts, a stable window and a
 *   panic window of aggregated signals (Knative semantics: 60 s / 6 s by default), demand seen at zero
 *   (EPP flow-control queue, Knative activator queue), and the age of the data.
 * - `nowMs`: wall or simulated time in milliseconds. The decider never reads a clock.
 * - `state` (DeciderState): opaque to callers, JSON-serializable (no Infinity, no Map), returned in every
 *   Decision; pass it back on the next call. `undefined` on the first call.
 *
 * Units: time in ms, rates per second, KV usage as a fraction 0..1, token counts in tokens.
 * Sums are over the role's READY pods unless a field says otherwise.
 */

export type DeciderRole = 'decode' | 'prefill';

/** Per-role targets. Defaults in autoscaler/decider/defaults.ts; each default cites its source there. */
export interface DeciderTargets {
  /** Decode: KV-cache usage a replica should run at (WVA/EPP saturation 0.8, llm-d.md §7). */
  kvUsage: number;
  /** Decode: waiting requests per ready replica tolerated before adding capacity (WVA spare-queue, §3). */
  waitingPerReplica: number;
  /**
   * Scale-down consolidation headroom: after removing replicas, the remaining ones must stay under
   * target × headroom (Dynamo load planner: post-ITL < SLA·0.8; WVA: spare kv ≥ 0.10).
   */
  scaleDownHeadroom: number;
  /** Prefill: the prompt backlog must drain within this fraction of the TTFT SLO (the rest is the prefill itself). */
  backlogTtftFraction: number;
  /** Prefill: utilisation of measured prefill throughput to plan for (M/M/1-ish waiting stays bounded below 1). */
  prefillUtilization: number;
  /** Prefill at zero wakes (while decode serves) only when the mean prompt reaches this many tokens. */
  longPromptTokens: number;
  /**
   * A prompt backlog that is not growing and that the ready replicas drain within this long is transient:
   * no replicas are added for it (about one cold start; a replica added now would arrive after it is gone).
   */
  transientBacklogMs: number;
  /**
   * Consolidation is blocked while the queue wait (Little's law: waiting ÷ completions/s) exceeds this fraction of the
   * TTFT SLO.
   */
  queueWaitTtftFraction: number;
  /**
   * Cold start to assume before one has been measured (a scale-up or wake decision to the first new Ready
   * pod; then DeciderState.coldStart holds the measurement). Optional (additive): default in defaults.ts.
   */
  coldStartMs?: number;
  /** Predictive wake: wake this many cold starts ahead of the predicted episode on top of the cold start itself. */
  wakeMarginColdStarts?: number;
  /** Predictive wake: the gaps between episode starts are regular when each is within this fraction of their mean. */
  episodeTolerance?: number;
  /**
   * Peak hold: how many cold starts a recent peak is held once bursts recur faster than scaling can follow; 0 = off.
   */
  peakHoldColdStarts?: number;
}

/** Profiled or configured per-replica capacity; used until (and floored by) measurements. */
export interface DeciderCapacity {
  /** Prompt tokens/s one prefill replica processes when busy (Dynamo H100 TP4 ≈ 15.5k/GPU, autoscaling.md §1). */
  prefillTokensPerSec: number;
  /** Generated tokens/s one decode replica sustains at the KV target and the ITL SLO; 0 = unknown (no floor). */
  decodeTokensPerSec: number;
}

export interface DeciderSpec {
  role: DeciderRole;
  /**
   * Bounds from `autoscaling.knative.dev/min-scale|max-scale` (KServe min/maxReplicas) or kserve-llmd.io/*-replicas.
   */
  minReplicas: number;
  maxReplicas: number;
  /** kserve-llmd.io/slo: tightens targets (TTFT → prefill backlog budget; ITL → decode scale-up/consolidation). */
  slo: { ttftMs: number; itlMs: number };
  /** kserve-llmd.io/scale-to-zero-after: idle time without demand before a role goes to zero (needs minReplicas 0). */
  scaleToZeroAfterMs: number;
  /** False where nothing buffers requests at zero (Standard mode without EPP flow control): never go to 0. */
  scaleToZeroEnabled: boolean;
  /** Knative max-scale-up-rate: desired ≤ ceil(rate × max(1, ready)). */
  maxScaleUpRate: number;
  /** Knative max-scale-down-rate: desired ≥ floor(ready / rate). */
  maxScaleDownRate: number;
  /**
   * A lower recommendation must persist this long before it is applied (Knative scale-down-delay / HPA stabilization).
   */
  scaleDownDelayMs: number;
  /** Knative stable window: panic mode lasts at least this long after the last over-threshold tick. */
  stableWindowMs: number;
  /** Knative panic-threshold (2.0 = 200%): panic-window demand ÷ ready that enters panic (no scale-down in panic). */
  panicThreshold: number;
  /** Data older than this (RoleWindows.dataAgeMs) is stale: fail static. */
  staleAfterMs: number;
  /** Knative activation-scale: replicas to wake with from zero. */
  activationScale: number;
  /** Enable the slow predictive floor (forecast rate ÷ per-replica capacity, Dynamo throughput planner). */
  predictive: boolean;
  /** Time constant of the predictive floor's rate average (Dynamo adjustment interval ~180 s). */
  predictiveTauMs: number;
  targets: DeciderTargets;
  capacity: DeciderCapacity;
}

/** Signals aggregated over one window (time-bucketed means of per-tick role totals). */
export interface WindowAggregate {
  /** Buckets in the window that hold data; 0 = no observation (treated as missing, never as idle). */
  samples: number;
  /** Σ vllm:num_requests_waiting over ready pods, plus requests the EPP queues for this role. */
  waiting: number;
  /** Σ vllm:num_requests_running. */
  running: number;
  /** Mean vllm:kv_cache_usage_perc over ready pods (0..1). */
  kvUsage: number;
  /** Max per-pod KV usage (routing imbalance shows here first). */
  kvUsageMax: number;
  /** Prompt tokens waiting to be prefilled by this role (waiting × mean prompt length, or EPP in-flight tokens). */
  promptBacklogTokens: number;
  /** Requests/s arriving at the role (rate of vllm:request_success_total + growth of waiting, or EPP request rate). */
  arrivalRate: number;
  /**
   * Prompt tokens/s offered. For prefill this is POOL-wide (including prompts decode prefilled locally while
   * prefill sat at zero), so the prefill decider can tell when waking it pays.
   */
  promptTokensRate: number;
  /** Generated tokens/s (rate of vllm:generation_tokens_total). */
  generationTokensRate: number;
  /** Measured prompt tokens/s per busy replica over the window (undefined: not measured, e.g. idle). */
  prefillTokensPerSecPerReplica?: number;
  /**
   * Fraction of the prompt tokens looked up in the prefix cache that were found there, over the window
   * (Σ increase of vllm:prefix_cache_hits_total ÷ Σ increase of vllm:prefix_cache_queries_total). Undefined:
   * the engines do not export the counters, or nothing was looked up. Cached tokens cost no prefill, but
   * vllm:prompt_tokens_total counts them in full.
   */
  prefixCacheHitRate?: number;
  /** TTFT / inter-token latency p90 from histogram bucket deltas in the window (undefined: no requests). */
  ttftP90Ms?: number;
  itlP90Ms?: number;
  /**
   * Squared coefficient of variation of TTFT over the window, from the same bucket deltas (bucket midpoints).
   * On a prefill pod TTFT is the request's queue wait plus its own prefill; while queues are short (tens of
   * ms next to prefills of 0.1–10 s) this is the variability of prefill service times. Undefined with fewer
   * than two requests.
   */
  ttftCv2?: number;
}

export interface RoleWindows {
  /** Pods Ready and serving. */
  readyPods: number;
  /** Pods requested but not Ready yet: capacity on the way (blocks further +1 steps and any scale-down). */
  startingPods: number;
  stable: WindowAggregate;
  panic: WindowAggregate;
  /** Demand while the role has no ready pod: the latest values, not windowed (a wake must not wait for a window). */
  demandAtZero: { queuedRequests: number; queuedPromptTokens: number };
  /** Age of the newest sample behind these windows; a non-finite or huge value means "no data". */
  dataAgeMs: number;
  /** Ready pods whose last scrape failed (timeouts, garbage): partial data never scales down. */
  missingPods: number;
  /**
   * For prefill: this tick's decode decision of the same pool and its Ready pods (decode at zero takes prefill
   * with it; prefill wakes from zero only once decode has a Ready pod, zero.ts decodeReadyFirst).
   */
  peer?: { desired: number; ready: number };
  /**
   * For decode with prefill/decode disaggregation: what the pool's prefill role prefilled, from its STABLE
   * window (Σ over its ready pods). Absent: no prefill role, or it has no data (at zero, not scraped yet);
   * the decider then treats every prompt decode counts as its own prefill work, as in aggregated serving.
   *
   * Why: a decode pod's vllm:prompt_tokens_total counts every prompt it serves in full, also the ones whose
   * KV arrived from a prefill pod over NIXL (llm-d.md §3: both roles run NixlConnector); vLLM counts a
   * request's prompt whoever computed its KV, and the prefill pod counts the same prompt again.
   * Decode's local-prefill rules (load.ts decodeRules: transient backlog, prompt-throughput headroom) must
   * see only the prompts decode prefilled itself: issue 6, Mooncake P/D held ~7 decode replicas for prompts
   * the prefill pods had already processed (1.90× the oracle).
   * Why here and not on WindowAggregate: it is not an observation of this role's pods (like `peer`), and the
   * decider takes counter rates from the stable window for both windows (index.ts loadOf), so one value.
   */
  remotePrefill?: RemotePrefill;
}

/** Prompt traffic the pool's prefill role processed (see RoleWindows.remotePrefill). */
export interface RemotePrefill {
  /** Rate of vllm:prompt_tokens_total on the prefill pods (full prompts, as decode counts them). */
  promptTokensRate: number;
  /** Requests/s the prefill pods completed (their arrivalRate: P/D prefill runs each request with max_tokens=1). */
  requestRate: number;
}

/** Opaque, JSON-serializable. Times are ms on the caller's clock; null = never. */
export interface DeciderState {
  v: 1;
  /** Last desired count returned. */
  desired: number;
  lastChangeMs: number;
  lastScaleUpMs: number | null;
  /** Last time the role (or demand at zero) showed any demand. */
  lastDemandMs: number;
  /** Knative panic: when the panic window last crossed the threshold, and the ratcheted panic count. */
  panicSinceMs: number | null;
  panicPods: number;
  /** Lower recommendations within the scale-down delay: [time, recommendation], oldest first. */
  downRecs: Array<[number, number]>;
  /** Slow averages for the predictive floor and measured capacity. */
  ewma: { promptTokensRate: number; generationTokensRate: number; atMs: number | null };
  measured: { prefillTokensPerSec: number | null };
  /** Measured cold start and the scale-up it is timing (optional: states from older deciders lack it). */
  coldStart?: { ms: number | null; since: { atMs: number; ready: number } | null };
  /** Demand episodes (oldest first, [start, end]) and the predictive wake in flight (episodes.ts). */
  episodes?: {
    list: Array<[number, number]>;
    wake: { predictedMs: number; untilMs: number } | null;
    usedMs: number | null;
  };
  /** Peak hold (peak.ts): recent up-recommendations, the last (or held-back) scale-down and its target, hold end. */
  peak?: {
    recs: Array<[number, number]>;
    lastDownMs: number | null;
    lastDownTo: number;
    holdUntilMs: number | null;
    perRate?: number;
  };
}

export type DecisionReason =
  | 'hold'
  | 'kv-pressure'
  | 'queue'
  | 'itl-slo'
  | 'prompt-backlog'
  | 'ttft-slo'
  | 'predictive-floor'
  | 'consolidate'
  | 'scale-down-delay'
  | 'panic-hold'
  | 'starting'
  | 'idle-to-zero'
  | 'decode-at-zero'
  | 'decode-first'
  | 'wake'
  | 'fail-static'
  | 'rate-limited'
  | 'predictive-wake'
  | 'predictive-wake-missed'
  | 'peak-hold';

/**
 * A bound that changed what the rule wanted (rule 7): Knative `min-scale`/`max-scale` (KServe min/maxReplicas),
 * or `max-scale-up-rate` (`rate-limited`).
 */
export type ClampReason = 'min-scale' | 'max-scale' | 'rate-limited';

export interface DecisionClamp {
  reason: ClampReason;
  /** What the rule wanted before the bound. */
  wanted: number;
  /** The bound, e.g. "6 capped at max 4". */
  detail: string;
}

export interface Decision {
  /** Replicas to set on the scale target. */
  desired: number;
  /**
   * The rule that decided (for logs, metrics `decisions_total{reason}` and CloudEvents). When a bound changed
   * the count, still the rule that wanted the replicas; the bound is in `clamp`.
   */
  reason: DecisionReason;
  /** Human detail: the numbers behind the reason (and, when `valid` is false, what data is missing). */
  detail: string;
  /** Set when min-scale, max-scale or the scale-up rate changed what the rule wanted. */
  clamp?: DecisionClamp;
  /**
   * False while the role fails static: a Ready pod's data is missing (its scrape failed) or the data is stale
   * or absent. Then nothing scales down on the load rules, whichever rule holds the count (fail-static, panic
   * hold, a scale-up on the partial data…); `kserve_llmd_autoscaler_fail_static` is 1. True with no Ready pod
   * (at zero, or waking): there is nothing to observe, so nothing is missing.
   */
  valid: boolean;
  /** Whether Knative panic mode is on. */
  panic: boolean;
  /** The signals the rule used, for metrics and CloudEvent data. */
  signals: Record<string, number>;
  state: DeciderState;
}
