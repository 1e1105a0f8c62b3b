/**
 * The decider's memory between ticks: pure helpers over the JSON-serializable DeciderState.
 */
import type { DeciderSpec, DeciderState, RoleWindows, WindowAggregate } from './types.js';

export function initialState(nowMs: number, current: number): DeciderState {
  return {
    v: 1,
    desired: current,
    lastChangeMs: nowMs,
    lastScaleUpMs: null,
    // A fresh decider (restart, leader failover) counts as "demand just seen": it never scales to zero on its
    // first tick for lack of history (fail static).
    lastDemandMs: nowMs,
    panicSinceMs: null,
    panicPods: 0,
    downRecs: [[nowMs, current]],
    ewma: { promptTokensRate: 0, generationTokensRate: 0, atMs: null },
    measured: { prefillTokensPerSec: null },
  };
}

/**
 * The state a target starts with in the loop. Knative starts a new autoscaler in panic mode when more than one pod
 * is up, keeping at least the current scale for a stable window: a restarted autoscaler (or one meeting a running
 * fleet for the first time) has no metric history and would otherwise scale down on empty windows (knative/serving
 * knative-v1.23.0 pkg/autoscaler/scaling/autoscaler.go newAutoscaler; issue 16: a benchmark fleet started at the
 * oracle's first-minute size of 7 was halved in minute 1 and missed 126 requests). `decide` without a state starts
 * from initialState (no panic), which unit tests use for a settled decider.
 */
export function startingState(nowMs: number, current: number): DeciderState {
  const s = initialState(nowMs, current);
  if (current > 1) {
    s.panicSinceMs = nowMs;
    s.panicPods = current;
  }
  return s;
}

/** A copy the decider may mutate (the caller's object is never changed). */
export function cloneState(s: DeciderState): DeciderState {
  const c: DeciderState = {
    ...s,
    downRecs: s.downRecs.map(([t, r]) => [t, r]),
    ewma: { ...s.ewma },
    measured: { ...s.measured },
  };
  if (s.coldStart) c.coldStart = { ms: s.coldStart.ms, since: s.coldStart.since && { ...s.coldStart.since } };
  if (s.episodes)
    c.episodes = {
      list: s.episodes.list.map(([a, b]) => [a, b]),
      wake: s.episodes.wake && { ...s.episodes.wake },
      usedMs: s.episodes.usedMs,
    };
  if (s.peak) c.peak = { ...s.peak, recs: s.peak.recs.map(([t, r]) => [t, r]) };
  return c;
}

/**
 * Scale-down delay as a sliding-window maximum (HPA scaleDown stabilization, Knative scale-down-delay): keep
 * recommendations of the last `delayMs` as a monotonic deque and return their max.
 */
export function stabilize(s: DeciderState, nowMs: number, rec: number, delayMs: number): number {
  const recs = s.downRecs.filter(([t]) => nowMs - t < delayMs);
  while (recs.length > 0 && (recs[recs.length - 1] as [number, number])[1] <= rec) recs.pop();
  recs.push([nowMs, rec]);
  s.downRecs = recs;
  return (recs[0] as [number, number])[1];
}

/** Exponentially weighted rate averages with time constant tau (irregular ticks weigh by elapsed time). */
export function updateEwma(s: DeciderState, w: WindowAggregate, nowMs: number, tauMs: number): void {
  if (w.samples === 0) return;
  if (s.ewma.atMs === null) {
    s.ewma = { promptTokensRate: w.promptTokensRate, generationTokensRate: w.generationTokensRate, atMs: nowMs };
    return;
  }
  const a = 1 - Math.exp(-Math.max(0, nowMs - s.ewma.atMs) / tauMs);
  s.ewma = {
    promptTokensRate: s.ewma.promptTokensRate + a * (w.promptTokensRate - s.ewma.promptTokensRate),
    generationTokensRate: s.ewma.generationTokensRate + a * (w.generationTokensRate - s.ewma.generationTokensRate),
    atMs: nowMs,
  };
}

/**
 * Measured prefill capacity: the best per-replica prompt throughput seen while a backlog existed (a replica
 * is only at capacity when work waits), blended so one noisy window cannot swing it (Dynamo corrects its
 * profile with observed/expected ratios the same way, autoscaling.md §1.1).
 * `localShare` (decode in P/D, load.ts localPrompts): the fraction of the counted prompt tokens decode
 * prefilled itself. The busy replicas' counter includes prompts whose KV arrived from prefill pods, which
 * would read as prefill speed; the busy windows are assumed to have the window's mix. 1 = all local.
 */
export function updateMeasured(s: DeciderState, w: WindowAggregate, localShare = 1): void {
  const tps = (w.prefillTokensPerSecPerReplica ?? 0) * localShare;
  if (!(tps > 0) || w.promptBacklogTokens <= 0) return;
  const prev = s.measured.prefillTokensPerSec;
  s.measured.prefillTokensPerSec = prev === null ? tps : 0.8 * prev + 0.2 * tps;
}

/**
 * Prefill throughput per replica to plan with: the configured (profiled) capacity, raised by a higher
 * measurement. A lower measurement is not trusted: vLLM adds a prompt's tokens to vllm:prompt_tokens_total
 * when its first token comes out, so a window in which a long prompt is still prefilling shows a busy replica
 * that processed nothing. The bias is one-sided (issue 6, Mooncake P/D: 1.7k tok/s "measured" on engines that
 * prefill ~14k, which pinned prefill at its cap), so the profile is the floor.
 */
export function prefillCapacity(s: DeciderState, spec: DeciderSpec): number {
  return Math.max(s.measured.prefillTokensPerSec ?? 0, spec.capacity.prefillTokensPerSec);
}

/** True when the windows show anything for the role to do (the idle clock restarts). */
export function hasDemand(w: RoleWindows, spec: DeciderSpec): boolean {
  const z = w.demandAtZero;
  const queuedMean = z.queuedRequests > 0 ? z.queuedPromptTokens / z.queuedRequests : 0;
  if (
    spec.role === 'decode'
      ? z.queuedRequests > 0 || z.queuedPromptTokens > 0
      : queuedMean >= spec.targets.longPromptTokens
  )
    return true;
  const x = w.panic.samples > 0 ? w.panic : w.stable;
  if (x.running > 0 || x.waiting > 0 || x.promptBacklogTokens > 0) return true;
  if (spec.role === 'decode') return x.arrivalRate > 0;
  // Prefill: pool-wide prompt traffic counts only when prompts are long enough to be worth a prefill pod;
  // short prompts are prefilled locally by decode, so prefill may sit at zero while decode serves.
  return x.promptTokensRate > 0 && meanPrompt(x) >= spec.targets.longPromptTokens;
}

export function meanPrompt(w: WindowAggregate): number {
  return w.arrivalRate > 0 ? w.promptTokensRate / w.arrivalRate : 0;
}
