/**
 * Peak hold for bursts that recur faster than a cold start can follow. Pure helpers over DeciderState.
 *
 * A replica removed now takes a cold start (≈ 33 s for an 8B model, autoscaling.md §7.4) to come back, so for
 * bursts shorter than that no reactive rule helps: the burst is over, or mostly late, when the pod is Ready
 * (issue 6, Azure code: 5–10 s bursts every few minutes; the fleet shrank between bursts and 27% of requests
 * missed the SLO). HPA's scale-down stabilization (max of recommendations over 300 s, autoscaling.md §2) holds
 * every peak for a fixed time and pays for it on slowly varying load; here the hold engages only on REGRET:
 * the reactive rules asked for more than the role had scaled (or would have scaled) down to, within
 * k × cold start of that scale-down. While engaged, the floor is the largest reactive recommendation of the
 * last k cold starts; each new regret renews it; k cold starts after the last one it lapses. While held, the
 * reactive requirement on the enlarged fleet no longer shows the bursts (issue 6, Azure: a 400-request burst
 * spread on 6 replicas reads "1 needed"), so a surge seen the Knative way — the panic window's arrival rate at
 * ≥ panic-threshold × the stable window's (kserve-knative.md §4) — also renews the hold, at the held level
 * scaled by the surge's arrival rate against the peak's (replicas per request/s as measured at the peak), so a
 * trickle after a big burst does not latch the big burst's fleet (issue 6, Azure: 6 replicas held through
 * 10 quiet minutes before this scaling).
 */
import { coldStartMs, target } from './episodes.js';
import type { DeciderSpec, DeciderState } from './types.js';

type Peak = NonNullable<DeciderState['peak']>;

/**
 * The hold window: k cold starts (0 = the rule is off). Both roles. Prefill was left out while it planned at
 * M/M/1 utilization (≤ 0.2 for long prompts, plus the consolidation headroom): that slack absorbed its bursts,
 * and the hold cost 0.34 GPU-h on Mooncake P/D for +0.01 points (issue 6, round 2). Planned as one pooled
 * queue (load.ts pooledPromptReplicas) prefill runs near what the minute needs, and without the hold each
 * backlog burst became a scale-up, a cold start and a consolidation 30 s later (Mooncake P/D, seeds 1–8:
 * 41–54 cold starts instead of 25–37, 0.26 points less attainment on average).
 */
export function peakHoldMs(spec: DeciderSpec, s: DeciderState): number {
  return target(spec, 'peakHoldColdStarts') * coldStartMs(spec, s);
}

function peakOf(s: DeciderState): Peak {
  // cloneState already copied it: mutate in place.
  s.peak ??= { recs: [], lastDownMs: null, lastDownTo: 0, holdUntilMs: null };
  return s.peak;
}

/**
 * One tick's reactive requirement `up` (max of the load rules on both windows). Kept as a monotonic deque
 * over the hold window (its max is the peak); a requirement above what the role last went (or would have
 * gone) down to, within the window, is a regret and (re)engages the hold.
 */
export function notePeak(
  spec: DeciderSpec,
  s: DeciderState,
  nowMs: number,
  tick: { up: number; surge: boolean; arrivalRate: number },
): void {
  const { surge, arrivalRate } = tick;
  let { up } = tick;
  const holdMs = peakHoldMs(spec, s);
  const p = peakOf(s);
  if (holdMs <= 0) {
    p.recs = [];
    p.holdUntilMs = null;
    return;
  }
  const held = peakFloor(s, nowMs);
  if (surge && held > up) up = surgeLevel(p, held, up, arrivalRate);
  // measured at (or above) the peak
  else if (up > 0 && arrivalRate > 0 && up >= (p.recs[0]?.[1] ?? 0)) p.perRate = up / arrivalRate;
  const recs = p.recs.filter(([t]) => nowMs - t < holdMs);
  while (recs.length > 0 && (recs[recs.length - 1] as [number, number])[1] <= up) recs.pop();
  recs.push([nowMs, up]);
  p.recs = recs;
  if (regret(p, nowMs, holdMs, up) || (surge && held > 0)) p.holdUntilMs = nowMs + holdMs;
}

/** Within the hold window of the last scale-down, the requirement came back above what it went down to. */
function regret(p: Peak, nowMs: number, holdMs: number, up: number): boolean {
  return p.lastDownMs !== null && nowMs - p.lastDownMs < holdMs && up > p.lastDownTo;
}

/** The held capacity is in use again: keep what this surge needs at the peak's replicas per request/s. */
function surgeLevel(p: Peak, held: number, up: number, arrivalRate: number): number {
  if (p.perRate === undefined || !(p.perRate > 0)) return held;
  return Math.min(held, Math.max(up, Math.ceil(p.perRate * arrivalRate - 1e-9)));
}

/** The floor while the hold is engaged, else 0. */
export function peakFloor(s: DeciderState, nowMs: number): number {
  const p = s.peak;
  if (!p || p.holdUntilMs === null || nowMs >= p.holdUntilMs) return 0;
  return p.recs.length > 0 ? (p.recs[0] as [number, number])[1] : 0;
}

/** A scale-down that happened (or that only the hold prevented): the reference for the next regret. */
export function noteScaleDown(s: DeciderState, nowMs: number, to: number): void {
  const p = peakOf(s);
  p.lastDownMs = nowMs;
  p.lastDownTo = to;
}
