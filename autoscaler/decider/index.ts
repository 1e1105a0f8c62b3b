/**
 * The decider: decide(spec, windows, nowMs, state) → Decision. Pure and synchronous; the contract and units
 * are documented in ./types.ts (the trace benchmark drives this same function in simulation).
 *
 * Order of rules (first match decides; each names its source):
 *   1. at zero: stay, or wake on demand; prefill only beside a Ready decode pod (zero.ts)
 *   2. prefill follows decode to zero                                        (zero.ts)
 *   3. load rules on the panic and stable windows, max wins                  (load.ts)
 *   4. Knative panic: no scale-down while the panic window is ≥ 2× ready
 *   5. scale up (rate limited), or scale down only when data is complete, fresh, nothing is starting,
 *      the consolidation check passes and the lower count persisted for the scale-down delay
 *   6. scale to zero after the idle window; a predictive floor under everything else
 *   7. clamp to [min, max] and the up-rate; the rule that wanted the count stays the reason (Decision.clamp)
 * Fail static (a Ready pod's data missing or stale) blocks every load-rule scale-down and is reported as
 * Decision.valid = false whichever rule holds the count.
 * With two memories (issue 6): at zero, a predictive wake before a regularly recurring demand episode
 * (episodes.ts), and a peak hold under scale-downs when bursts recur faster than a cold start (peak.ts).
 */
import {
  combine,
  decodeRules,
  drainingBacklog,
  fmt,
  localPrompts,
  prefillRules,
  uncachedPrompts,
  type LoadContext,
} from './load.js';
import {
  cloneState,
  hasDemand,
  initialState,
  prefillCapacity,
  stabilize,
  updateEwma,
  updateMeasured,
} from './state.js';
import type {
  Decision,
  DecisionClamp,
  DecisionReason,
  DeciderSpec,
  DeciderState,
  RemotePrefill,
  RoleWindows,
  WindowAggregate,
} from './types.js';
import { atZero, followsDecodeToZero } from './zero.js';
import { noteScaleDecision, observeColdStart, predictiveWake, recordDemand } from './episodes.js';
import { notePeak, noteScaleDown, peakFloor } from './peak.js';

export * from './types.js';
export { deciderSpec, validateDeciderSpec, DEFAULT_TARGETS, DEFAULT_CAPACITY } from './defaults.js';
export { initialState, startingState } from './state.js';
export { decidePool, withPoolPrompts, withRemotePrefill } from './pool.js';

interface Draft {
  desired: number;
  reason: DecisionReason;
  detail: string;
  clamp?: DecisionClamp;
}

export function decide(spec: DeciderSpec, w: RoleWindows, nowMs: number, prev?: DeciderState): Decision {
  // Demand, zero rules and signals read the windows as observed; the load rules, the rate averages and the
  // measured capacity read the prefill WORK in them (prefillWork: cached prompt tokens taken out).
  const work = prefillWork(spec, w);
  const current = w.readyPods + w.startingPods;
  const s = prev ? cloneState(prev) : initialState(nowMs, current);
  const { valid, failStatic } = dataOf(spec, w);
  const demand = hasDemand(w, spec);
  if (demand) s.lastDemandMs = nowMs;
  observeColdStart(s, w, nowMs);
  recordDemand(s, spec, demand, nowMs);
  if (valid) {
    updateEwma(s, work.stable, nowMs, spec.predictiveTauMs);
    updateMeasured(s, work.stable, localShare(spec, w));
  }
  const signals = signalsOf(spec, w, s);
  const finish = (d: Draft, panic = false): Decision => {
    const bounded = clamp(d, spec, w.readyPods);
    if (bounded.desired < s.desired && bounded.desired > 0) noteScaleDown(s, nowMs, bounded.desired);
    noteScaleDecision(s, w, nowMs, bounded.desired);
    if (bounded.desired !== s.desired) {
      if (bounded.desired > s.desired) s.lastScaleUpMs = nowMs;
      s.lastChangeMs = nowMs;
    }
    s.desired = bounded.desired;
    return { ...bounded, detail: detailOf(bounded, w, failStatic), valid: !failStatic, panic, signals, state: s };
  };

  const zero = zeroRules(spec, w, s, nowMs, demand);
  if (zero) return finish(zero);

  const tps = prefillCapacity(s, spec);
  const { stable, panicLoad, up } = loadOf(spec, work, s, tps);
  signals.tokensPerSecPerReplica = tps;
  if (valid)
    notePeak(spec, s, nowMs, {
      up: up.up,
      surge: surgeOf(spec, w),
      arrivalRate: w.panic.samples > 0 ? w.panic.arrivalRate : w.stable.arrivalRate,
    });

  // Knative KPA: panic when the panic window wants ≥ panic-threshold × ready; while in panic the count
  // only ratchets up; exit after a full stable window below the threshold (kserve-knative.md §4).
  const readyFloor = Math.max(1, w.readyPods);
  if (valid && panicLoad.up / readyFloor >= spec.panicThreshold) {
    s.panicSinceMs = nowMs;
    s.panicPods = Math.max(s.panicPods, panicLoad.up);
  } else if (s.panicSinceMs !== null && nowMs - s.panicSinceMs > spec.stableWindowMs) {
    s.panicSinceMs = null;
    s.panicPods = 0;
  }
  const panic = s.panicSinceMs !== null;

  if (up.up > current) {
    // Scale up on the faster of the two windows: a saturated engine's queue grows without bound and a cold
    // start takes tens of seconds (autoscaling.md §7.4), so waiting for the 60 s stable window costs SLO.
    const target = Math.max(up.up, panic ? s.panicPods : 0);
    stabilize(s, nowMs, target, spec.scaleDownDelayMs);
    return finish({ desired: target, reason: up.reason, detail: up.detail }, panic);
  }
  if (panic) {
    stabilize(s, nowMs, current, spec.scaleDownDelayMs);
    return finish(
      { desired: Math.max(current, s.panicPods), reason: 'panic-hold', detail: `panic since ${s.panicSinceMs}` },
      panic,
    );
  }
  // Consolidate only to what both windows allow: a KV spike or queue in the last 6 s says the fleet is not
  // oversized, whatever the minute's mean says (HPA likewise scales down to the highest recent
  // recommendation, autoscaling.md §2; issue 6, Mooncake P/D: decode dropped to one replica between KV spikes
  // of 0.8–0.99 with a 60 s mean of 0.4, and each drop ended in a queue and a cold start).
  return finish(scaleDown(spec, w, s, nowMs, { current, failStatic, down: Math.max(stable.down, panicLoad.down), up }));
}

/**
 * Rules 1–2 and the predictive wake: a wake on demand first, then prefill following decode to zero (which
 * also cancels a pre-warm), then the pre-warm (episodes.ts), then staying at zero.
 */
function zeroRules(spec: DeciderSpec, w: RoleWindows, s: DeciderState, nowMs: number, demand: boolean): Draft | null {
  const zero = atZero(spec, w, s, w.readyPods + w.startingPods);
  if (zero && zero.desired > 0) return zero;
  const follow = followsDecodeToZero(spec, w, s);
  if (follow) {
    if (s.episodes) s.episodes.wake = null;
    return follow;
  }
  return predictiveWake(spec, w, s, nowMs, demand) ?? zero;
}

/** The load rules on both windows: the stable recommendation, the panic one, and the larger of the two. */
function loadOf(spec: DeciderSpec, w: RoleWindows, s: DeciderState, tps: number) {
  const ctx: LoadContext = {
    tokensPerSec: tps,
    backlogGrowing: w.panic.samples > 0 && w.panic.promptBacklogTokens > w.stable.promptBacklogTokens,
    measuredTokensPerSec: s.measured.prefillTokensPerSec === null ? null : tps,
  };
  if (decodeRemote(spec, w)) ctx.remotePrefill = w.remotePrefill;
  ctx.stableDraining = w.stable.samples > 0 && drainingBacklog(w.stable, w.readyPods, spec, ctx);
  const rulesOf = (x: WindowAggregate) =>
    spec.role === 'decode' ? decodeRules(x, w.readyPods, spec, ctx) : prefillRules(x, w.readyPods, spec, ctx);
  const stable = combine(rulesOf(w.stable));
  // The panic window reacts to queues, backlog and KV, but its counter RATES are taken from the stable window:
  // vLLM counts a prompt's tokens when its first token comes out, so over 6 s a single 100k-token prompt looks
  // like a surge (issue 6, Mooncake P/D: prefill bounced 6 → 10 → 6 on such spikes, each bounce a cold start).
  // Dynamo's throughput planner likewise plans on rates averaged over its adjustment interval (autoscaling.md §1.1).
  // So is the TTFT spread behind prefill's pooled queue (load.ts pooledPromptReplicas): 6 s hold a handful of prompts.
  const panicAgg: WindowAggregate = {
    ...w.panic,
    promptTokensRate: w.stable.promptTokensRate,
    arrivalRate: w.stable.arrivalRate,
    generationTokensRate: w.stable.generationTokensRate,
    ttftCv2: w.stable.ttftCv2,
  };
  const panicLoad = w.panic.samples > 0 ? combine(rulesOf(panicAgg)) : stable;
  return { stable, panicLoad, up: panicLoad.up > stable.up ? panicLoad : stable };
}

/**
 * Pods are starting: hold, and restart the scale-down delay, so a replica is removed only after it has been
 * Ready for a full delay. Otherwise a cold start longer than the delay (33 s vs 30 s here) ends in an
 * immediate scale-down and was paid for nothing (issue 6: pods removed the tick they became Ready).
 */
function holdWhileStarting(spec: DeciderSpec, w: RoleWindows, s: DeciderState, nowMs: number, current: number): Draft {
  const hold = Math.max(current, s.desired);
  stabilize(s, nowMs, hold, spec.scaleDownDelayMs);
  return { desired: hold, reason: 'starting', detail: `${w.startingPods} pod(s) starting` };
}

function scaleDown(
  spec: DeciderSpec,
  w: RoleWindows,
  s: DeciderState,
  nowMs: number,
  x: { current: number; failStatic: boolean; down: number; up: { reason: DecisionReason; detail: string } },
): Draft {
  const { current } = x;
  // Predictive floor (Dynamo throughput planner): slow-average load ÷ per-replica capacity, under the reactive rules.
  const floor = predictiveFloor(spec, s);
  const { unheld, held, rec } = withPeakHold(s, nowMs, current, Math.max(x.down, floor));
  const stabilized = stabilize(s, nowMs, rec, spec.scaleDownDelayMs);
  const idleMs = nowMs - s.lastDemandMs;
  const zeroAllowed = spec.scaleToZeroEnabled && spec.minReplicas === 0 && idleMs >= spec.scaleToZeroAfterMs;
  if (x.failStatic) {
    const hold = Math.max(current, s.desired);
    return { desired: hold, reason: 'fail-static', detail: `${missingData(w)}: holding ${hold}` };
  }
  // No pod Ready yet (a wake, or the first pods of a scale-up from zero): nothing to measure, nothing missing.
  if (w.readyPods === 0) {
    const hold = Math.max(current, s.desired);
    return { desired: hold, reason: 'starting', detail: `no pod Ready yet: holding ${hold}` };
  }
  if (zeroAllowed && current > 0)
    return { desired: 0, reason: 'idle-to-zero', detail: `no demand for ${Math.round(idleMs / 1000)} s` };
  if (w.startingPods > 0) return holdWhileStarting(spec, w, s, nowMs, current);
  if (stabilized >= current) {
    if (rec < current)
      return {
        desired: current,
        reason: 'scale-down-delay',
        detail: `${rec} recommended, holding ${current} for the scale-down delay`,
      };
    if (held > unheld && unheld < current)
      return {
        desired: current,
        reason: 'peak-hold',
        detail: `holding the recent peak ${held} (bursts recur faster than a cold start; ${unheld} needed now)`,
      };
    return {
      desired: current,
      reason: floor > x.down && floor >= current ? 'predictive-floor' : 'hold',
      detail: x.up.detail,
    };
  }
  // Knative max-scale-down-rate: at most ready/rate removed per decision. A non-zero floor of 1 until idle.
  const limited = Math.max(stabilized, Math.floor(w.readyPods / spec.maxScaleDownRate), 1);
  if (limited >= current)
    return { desired: current, reason: 'hold', detail: `${current} is the floor until idle (${x.up.detail})` };
  const reason = downReason({ limited, stabilized, held, unheld, floor, down: x.down });
  return {
    desired: Math.min(limited, current),
    reason,
    detail: `${current} → ${limited} keeps headroom (${x.up.detail})`,
  };
}

/**
 * Peak hold (peak.ts): while bursts recur faster than a cold start, keep the recent peak. A scale-down only
 * the hold prevents still counts as one, so the next burst above it renews the hold.
 */
function withPeakHold(
  s: DeciderState,
  nowMs: number,
  current: number,
  unheld: number,
): { unheld: number; held: number; rec: number } {
  const held = peakFloor(s, nowMs);
  if (held > unheld && unheld < current) noteScaleDown(s, nowMs, unheld);
  return { unheld, held, rec: Math.max(unheld, held) };
}

/** Which rule set the level of a scale-down. */
function downReason(x: {
  limited: number;
  stabilized: number;
  held: number;
  unheld: number;
  floor: number;
  down: number;
}): DecisionReason {
  if (x.limited > x.stabilized) return 'rate-limited';
  if (x.held >= x.stabilized && x.held > x.unheld) return 'peak-hold';
  return x.floor >= x.stabilized && x.floor > x.down ? 'predictive-floor' : 'consolidate';
}

function predictiveFloor(spec: DeciderSpec, s: DeciderState): number {
  if (!spec.predictive || s.ewma.atMs === null) return 0;
  if (spec.role === 'prefill') {
    const tps = prefillCapacity(s, spec) * spec.targets.prefillUtilization;
    return Math.max(0, Math.ceil(s.ewma.promptTokensRate / tps - 1e-9));
  }
  const cap = spec.capacity.decodeTokensPerSec;
  return cap > 0 ? Math.max(0, Math.ceil(s.ewma.generationTokensRate / cap - 1e-9)) : 0;
}

/**
 * Never below min or above max; the up-rate limit (Knative: desired ≤ ceil(rate × max(1, ready))). The rule
 * that wanted the count stays the reason, with its detail; the bound is reported beside it (`clamp`), so a
 * service pinned at max-scale shows which rule wants more (issue 13).
 */
function clamp(d: Draft, spec: DeciderSpec, ready: number): Draft {
  const min = spec.scaleToZeroEnabled ? spec.minReplicas : Math.max(1, spec.minReplicas);
  const bound = (desired: number, reason: DecisionClamp['reason'], detail: string): Draft => ({
    ...d,
    desired,
    clamp: { reason, wanted: d.desired, detail },
  });
  if (d.desired > spec.maxReplicas)
    return bound(spec.maxReplicas, 'max-scale', `${d.desired} capped at max ${spec.maxReplicas}`);
  if (d.desired < min) return bound(min, 'min-scale', `${d.desired} raised to min ${min}`);
  const maxUp = Math.ceil(spec.maxScaleUpRate * Math.max(1, ready));
  if (d.desired > maxUp) return bound(maxUp, 'rate-limited', `${d.desired} limited to ${maxUp} by max-scale-up-rate`);
  return d;
}

/**
 * `valid`: the windows hold fresh data (what the rates, panic and peak memories may learn from). `failStatic`:
 * a Ready pod's data is missing or stale, so nothing scales down on the load rules (docs/autoscaler.md "Fail
 * static"); partial data still counts for scaling up (it can only understate the load). No Ready pod: nothing
 * to observe, nothing missing.
 */
function dataOf(spec: DeciderSpec, w: RoleWindows): { valid: boolean; failStatic: boolean } {
  const valid = w.stable.samples > 0 && Number.isFinite(w.dataAgeMs) && w.dataAgeMs <= spec.staleAfterMs;
  return { valid, failStatic: w.readyPods > 0 && (!valid || w.missingPods > 0) };
}

/** Whatever rule holds the count, the detail says when it fails static (issue 13: panic-hold hid it). */
function detailOf(d: Draft, w: RoleWindows, failStatic: boolean): string {
  return failStatic && d.reason !== 'fail-static' ? `${d.detail}; ${missingData(w)}` : d.detail;
}

/** What fail static is about: a Ready pod whose scrape failed, or data that is stale or absent. */
function missingData(w: RoleWindows): string {
  if (w.missingPods > 0) return `fail static: data missing for ${w.missingPods} Ready pod(s)`;
  if (w.stable.samples === 0 || !Number.isFinite(w.dataAgeMs)) return 'fail static: no data yet';
  return `fail static: data stale (age ${fmt(w.dataAgeMs)} ms)`;
}

/**
 * The prefill WORK in a role's windows: uncached prompt tokens (load.ts uncachedPrompts), for the load rules and
 * the measured capacity alike. Two modes:
 * - prefill, and decode in aggregated serving (no remotePrefill): the role prefills every prompt it counts, so the
 *   window's prefix-cache hit rate applies to all of them (issue 16: aggregated decode plans its prefill work);
 * - decode in P/D keeps the counted tokens: its local prompts are the ones the P/D decider kept BECAUSE they were
 *   well cached on that pod, so the window's average hit rate would misstate them, and its local-prefill check
 *   compares them with a capacity measured by the same counter (the P/D decode side of issue 6's limitation).
 */
function prefillWork(spec: DeciderSpec, w: RoleWindows): RoleWindows {
  if (spec.role !== 'prefill' && w.remotePrefill !== undefined) return w;
  return { ...w, stable: uncachedPrompts(w.stable), panic: uncachedPrompts(w.panic) };
}

/** Decode with its pool's prefill role prefilling (RoleWindows.remotePrefill); prefill ignores the field. */
function decodeRemote(spec: DeciderSpec, w: RoleWindows): boolean {
  return spec.role === 'decode' && w.remotePrefill !== undefined;
}

/** The fraction of decode's counted prompt tokens it prefilled itself (load.ts localPrompts); 1 otherwise. */
function localShare(spec: DeciderSpec, w: RoleWindows): number {
  return decodeRemote(spec, w) ? localPrompts(w.stable, w.remotePrefill).share : 1;
}

/** Knative's surge test on arrivals: the panic window's rate at ≥ panic-threshold × the stable window's. */
function surgeOf(spec: DeciderSpec, w: RoleWindows): boolean {
  return (
    w.panic.samples > 0 && w.panic.arrivalRate > 0 && w.panic.arrivalRate >= spec.panicThreshold * w.stable.arrivalRate
  );
}

function signalsOf(spec: DeciderSpec, w: RoleWindows, s: DeciderState): Record<string, number> {
  const x = w.stable;
  const out: Record<string, number> = {
    ready: w.readyPods,
    starting: w.startingPods,
    waiting: x.waiting,
    running: x.running,
    kvUsage: x.kvUsage,
    promptBacklogTokens: x.promptBacklogTokens,
    promptTokensRate: x.promptTokensRate,
    arrivalRate: x.arrivalRate,
    panicWaiting: w.panic.waiting,
    panicKvUsage: w.panic.kvUsage,
    queuedAtZero: w.demandAtZero.queuedRequests,
    dataAgeMs: Number.isFinite(w.dataAgeMs) ? w.dataAgeMs : -1,
    missingPods: w.missingPods,
  };
  if (x.ttftP90Ms !== undefined) out.ttftP90Ms = x.ttftP90Ms;
  if (x.prefixCacheHitRate !== undefined) out.prefixCacheHitRate = x.prefixCacheHitRate;
  if (x.ttftCv2 !== undefined) out.ttftCv2 = x.ttftCv2;
  if (x.itlP90Ms !== undefined) out.itlP90Ms = x.itlP90Ms;
  if (s.measured.prefillTokensPerSec !== null) out.measuredPrefillTokensPerSec = s.measured.prefillTokensPerSec;
  if (decodeRemote(spec, w)) out.remotePrefillTokensRate = (w.remotePrefill as RemotePrefill).promptTokensRate;
  return out;
}
