/**
 * Decider defaults: one place. Each value cites the rule it comes from (autoscaling.md, llm-d.md, kserve-knative.md).
 * `deciderSpec(role, overrides)` is how a simulator or the config layer builds a full spec.
 */
import type { DeciderCapacity, DeciderRole, DeciderSpec, DeciderTargets } from './types.js';

export const DEFAULT_TARGETS: DeciderTargets = {
  // WVA saturation analyzer and the EPP utilization detector both call a replica saturated at kv ≥ 0.80 (llm-d.md §7).
  kvUsage: 0.8,
  // WVA: scale up when the average spare queue (5 − queue) falls below 3, i.e. more than 2 waiting per replica.
  waitingPerReplica: 2,
  // Dynamo load planner consolidation check: post-scale-down estimate < SLA × 0.8 (autoscaling.md §1.2).
  scaleDownHeadroom: 0.8,
  // Half the TTFT budget for queueing; the other half for the prefill itself and the KV transfer.
  backlogTtftFraction: 0.5,
  // Plan prefill at 80% of measured throughput so the queue stays bounded (the same 0.8 as above).
  prefillUtilization: 0.8,
  // llm-d P/D guidance: disaggregation pays for long inputs (its guide benchmarks ISL 10k); below ~2k tokens
  // local prefill on decode costs little (autoscaling.md §7.3: 2,048 tokens ≈ 43–57 ms on an H100).
  longPromptTokens: 2048,
  // One cold start: schedule + weight load + engine init ≈ 33 s for Llama-3-8B on one H100 (autoscaling.md §7.4;
  // the simulator's preset). Shorter than the real cold start errs toward scaling up.
  transientBacklogMs: 30_000,
  // 10% of TTFT (200 ms at a 2 s SLO): a wait users do not notice. Knative's KPA tolerates the same order of
  // slack (target 70% of concurrency); above it a scale-down would lengthen a queue that already shows.
  queueWaitTtftFraction: 0.1,
  // Until measured (DeciderState.coldStart): t_sched + weights ÷ storage bandwidth + engine init ≈ 8 s + 10–30 s
  // for an 8B model (autoscaling.md §7.4); the trace benchmark's preset takes 33 s.
  coldStartMs: 33_000,
  // Predictive wake lead on top of the cold start: a quarter of one, so the pod is Ready a few seconds before
  // the first request instead of racing it (the expected Poisson delay of an episode's first request is tiny).
  wakeMarginColdStarts: 0.25,
  // "Regular": each of the last gaps within ±20% of their mean (issue 6 brief); a stricter test wakes less often,
  // a looser one wakes for patterns that are not there.
  episodeTolerance: 0.2,
  // Peak hold: 6 cold starts (≈ 3 min at 33 s). Azure code bursts recur every 1–4 min (issue 6); holding a peak
  // for k cold starts costs at most k cold starts of the extra replicas, a missed burst costs a cold start of
  // late requests per burst.
  peakHoldColdStarts: 6,
};

export const DEFAULT_CAPACITY: DeciderCapacity = {
  // Dynamo profiler, H100 TP4: 15,505 prompt tok/s/GPU (autoscaling.md §1.2); replaced by measurement when seen.
  prefillTokensPerSec: 15_000,
  // Unknown by default: the predictive decode floor stays off until the benchmark or a profile provides it.
  decodeTokensPerSec: 0,
};

export function deciderSpec(
  role: DeciderRole,
  overrides: Partial<Omit<DeciderSpec, 'role' | 'targets' | 'capacity'>> & {
    targets?: Partial<DeciderTargets>;
    capacity?: Partial<DeciderCapacity>;
  } = {},
): DeciderSpec {
  const { targets, capacity, ...rest } = overrides;
  return {
    role,
    // kserve-llmd.io/decode-replicas default 1-4, prefill-replicas 0-4 (core/annotations/settings.ts).
    minReplicas: role === 'decode' ? 1 : 0,
    maxReplicas: 4,
    slo: { ttftMs: 2000, itlMs: 100 },
    scaleToZeroAfterMs: 5 * 60_000,
    scaleToZeroEnabled: true,
    // Knative config-autoscaler: max-scale-up-rate 1000, max-scale-down-rate 2 (kserve-knative.md §4).
    maxScaleUpRate: 1000,
    maxScaleDownRate: 2,
    // Decode: HPA's default scale-down stabilization, 300 s (kube-controller-manager v1.28.7
    // --horizontal-pod-autoscaler-downscale-stabilization; llm-d's KEDA guides keep it for decode): a decode replica
    // holds each request for its whole generation, and the KV demand of long contexts comes back in bursts minutes
    // apart (issue 16, Mooncake P/D ×2: each drop before a burst ended in a queue and a cold start, 89% → 95.5%).
    // Prefill: 30 s; its load is the prompt stream, which the consolidation check already sizes with headroom.
    scaleDownDelayMs: role === 'decode' ? 300_000 : 30_000,
    // Knative stable-window 60 s, panic-threshold 200% (kserve-knative.md §4).
    stableWindowMs: 60_000,
    panicThreshold: 2,
    // 5 missed 2 s ticks.
    staleAfterMs: 10_000,
    activationScale: 1,
    predictive: true,
    // Dynamo's throughput planner adjusts every 180 s; a 120 s average reacts within one such interval.
    predictiveTauMs: 120_000,
    ...rest,
    targets: { ...DEFAULT_TARGETS, ...targets },
    capacity: { ...DEFAULT_CAPACITY, ...capacity },
  };
}

/** The optional (additive) targets: absent is fine (the default applies); present must be in range. */
function validateOptionalTargets(t: DeciderTargets): string[] {
  const ranges: Array<[keyof DeciderTargets, number, number, string]> = [
    ['coldStartMs', 0, 3_600_000, '[0, 3600000]'],
    ['wakeMarginColdStarts', 0, 10, '[0, 10]'],
    ['episodeTolerance', 0.01, 0.99, '[0.01, 0.99]'],
    ['peakHoldColdStarts', 0, 100, '[0, 100]'],
  ];
  return ranges
    .filter(([k, lo, hi]) => t[k] !== undefined && !((t[k] as number) >= lo && (t[k] as number) <= hi))
    .map(([k, , , range]) => `targets.${k} ${t[k]} must be in ${range}`);
}

/** Problems with a spec (each names the allowed range); empty when valid. */
export function validateDeciderSpec(s: DeciderSpec): string[] {
  const errors: string[] = [];
  const check = (ok: boolean, msg: string): void => {
    if (!ok) errors.push(msg);
  };
  check(Number.isInteger(s.minReplicas) && s.minReplicas >= 0, `minReplicas ${s.minReplicas} must be an integer ≥ 0`);
  check(
    Number.isInteger(s.maxReplicas) && s.maxReplicas >= Math.max(1, s.minReplicas),
    `maxReplicas ${s.maxReplicas} must be an integer ≥ max(1, minReplicas)`,
  );
  check(s.maxScaleUpRate > 1, `maxScaleUpRate ${s.maxScaleUpRate} must be > 1`);
  check(s.maxScaleDownRate > 1, `maxScaleDownRate ${s.maxScaleDownRate} must be > 1`);
  check(s.targets.kvUsage > 0 && s.targets.kvUsage <= 1, `targets.kvUsage ${s.targets.kvUsage} must be in (0, 1]`);
  check(
    s.targets.scaleDownHeadroom > 0 && s.targets.scaleDownHeadroom <= 1,
    `targets.scaleDownHeadroom must be in (0, 1]`,
  );
  check(
    s.targets.prefillUtilization > 0 && s.targets.prefillUtilization <= 1,
    `targets.prefillUtilization must be in (0, 1]`,
  );
  check(
    s.targets.backlogTtftFraction > 0 && s.targets.backlogTtftFraction <= 1,
    `targets.backlogTtftFraction must be in (0, 1]`,
  );
  check(s.targets.transientBacklogMs >= 0, `targets.transientBacklogMs ${s.targets.transientBacklogMs} must be ≥ 0`);
  check(
    s.targets.queueWaitTtftFraction > 0 && s.targets.queueWaitTtftFraction <= 1,
    `targets.queueWaitTtftFraction must be in (0, 1]`,
  );
  errors.push(...validateOptionalTargets(s.targets));
  check(s.capacity.prefillTokensPerSec > 0, `capacity.prefillTokensPerSec must be > 0`);
  check(s.slo.ttftMs > 0 && s.slo.itlMs > 0, `slo.ttftMs and slo.itlMs must be > 0`);
  return errors;
}
