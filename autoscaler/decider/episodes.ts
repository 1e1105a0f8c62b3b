/**
 * Predictive pre-warm for scale from zero. Pure helpers over DeciderState.
 *
 * Dynamo's planner forecasts next-interval load with a load predictor and sizes for it before it arrives
 * (autoscaling.md §1.1). At zero the forecast that matters is WHEN demand returns: every wake from zero costs
 * arrival rate × cold start requests beyond the TTFT SLO (issue 6, bursty trace: ≈ 130 per wake). So the decider
 * keeps a short history of demand episodes per role and, when the gaps between their starts have been regular,
 * wakes one replica a cold start (plus a margin) before the next predicted start. A wake that meets no demand
 * goes back to zero and is not repeated for that prediction; the missed gap then breaks the regularity test
 * until enough regular gaps follow again. Irregular traffic never triggers it.
 */
import { DEFAULT_TARGETS } from './defaults.js';
import type { DecisionReason, DeciderSpec, DeciderState, RoleWindows } from './types.js';

type Draft = { desired: number; reason: DecisionReason; detail: string };
type Episodes = NonNullable<DeciderState['episodes']>;

/** Starts kept: 4 gaps; the regularity test looks at up to the last 3. */
const MAX_EPISODES = 5;
const MAX_GAPS = 3;
/** At least this many gaps before anything is predicted (the issue-6 brief: "the last ≥ 2 gaps"). */
const MIN_GAPS = 2;

/** The cold start to plan with: measured (a scale-up decision to its first Ready pod) or the spec default. */
export function coldStartMs(spec: DeciderSpec, s: DeciderState): number {
  return s.coldStart?.ms ?? target(spec, 'coldStartMs');
}

/** An optional (additive) target, or its default. */
export function target(
  spec: DeciderSpec,
  k: 'coldStartMs' | 'wakeMarginColdStarts' | 'episodeTolerance' | 'peakHoldColdStarts',
): number {
  return spec.targets[k] ?? (DEFAULT_TARGETS[k] as number);
}

/**
 * Measure cold starts: remember when a decision asked for more pods than exist, and the first tick on which
 * more pods are Ready than then gives the cold start. Blended (half/half) so one slow pull does not dominate.
 */
export function observeColdStart(s: DeciderState, w: RoleWindows, nowMs: number): void {
  const c = s.coldStart ?? { ms: null, since: null };
  if (c.since !== null && w.readyPods > c.since.ready) {
    const x = nowMs - c.since.atMs;
    c.ms = c.ms === null ? x : 0.5 * c.ms + 0.5 * x;
    c.since = null;
  }
  s.coldStart = c;
}

/** After a decision: start timing a scale-up, or forget one that was called off. */
export function noteScaleDecision(s: DeciderState, w: RoleWindows, nowMs: number, desired: number): void {
  const c = s.coldStart ?? { ms: null, since: null };
  if (desired > w.readyPods + w.startingPods && c.since === null) c.since = { atMs: nowMs, ready: w.readyPods };
  else if (desired <= w.readyPods) c.since = null;
  s.coldStart = c;
}

/**
 * Episodes: demand separated by at least `scaleToZeroAfterMs` without any. Shorter gaps never reach zero, so
 * they are one episode as far as waking from zero is concerned (the user's own idle window defines the unit).
 */
export function recordDemand(s: DeciderState, spec: DeciderSpec, demand: boolean, nowMs: number): void {
  const ep: Episodes = s.episodes ?? { list: [], wake: null, usedMs: null }; // cloneState copied it
  if (demand) {
    const last = ep.list[ep.list.length - 1];
    if (last && nowMs - last[1] <= spec.scaleToZeroAfterMs) last[1] = nowMs;
    else ep.list.push([nowMs, nowMs]);
    if (ep.list.length > MAX_EPISODES) ep.list.shift();
  }
  s.episodes = ep;
}

/**
 * The next episode's start if the last gaps between starts are regular: each within ±tolerance of their mean.
 * Start-to-start rather than end-to-start: periodic jobs (a cron, a batch every 15 min) keep their period
 * whatever each run's length. `deviationMs` is the largest observed deviation (widens the wake window).
 */
export function predictNextStart(
  list: ReadonlyArray<[number, number]>,
  tolerance: number,
): { atMs: number; meanGapMs: number; deviationMs: number } | null {
  const starts = list.map(([a]) => a);
  const gaps: number[] = [];
  for (let i = starts.length - 1; i > 0 && gaps.length < MAX_GAPS; i--)
    gaps.push((starts[i] as number) - (starts[i - 1] as number));
  if (gaps.length < MIN_GAPS) return null;
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const deviationMs = Math.max(...gaps.map((g) => Math.abs(g - mean)));
  if (!(mean > 0) || deviationMs > tolerance * mean) return null;
  return { atMs: (starts[starts.length - 1] as number) + mean, meanGapMs: mean, deviationMs };
}

/** Only a role allowed to sit at zero, with the predictive rules on. */
function mayPreWake(spec: DeciderSpec): boolean {
  return spec.predictive && spec.scaleToZeroEnabled && spec.minReplicas === 0;
}

/**
 * Prefill pre-warms only while decode is up and has a Ready pod (zero.ts decodeReadyFirst: the P/D wake order);
 * decode always may.
 */
function besideReadyDecode(spec: DeciderSpec, w: RoleWindows): boolean {
  return spec.role !== 'prefill' || ((w.peer?.desired ?? 0) > 0 && (w.peer?.ready ?? 0) > 0);
}

/** A pre-warm in flight without demand yet: hold it until its window ends, then back to zero. */
function pendingWake(ep: Episodes, nowMs: number, hold: number): Draft {
  const wake = ep.wake as { predictedMs: number; untilMs: number };
  if (nowMs < wake.untilMs)
    return {
      desired: hold,
      reason: 'predictive-wake',
      detail: `pre-warmed for demand predicted at ${Math.round(wake.predictedMs / 1000)} s`,
    };
  ep.wake = null;
  return {
    desired: 0,
    reason: 'predictive-wake-missed',
    detail:
      `no demand ${Math.round((nowMs - wake.predictedMs) / 1000)} ` +
      `s after the predicted start: back to zero, not predicting ` +
      `until the gaps are regular again`,
  };
}

/**
 * The predictive wake rule (runs before the load rules). Returns null when it does not apply. Never for a role
 * that may not sit at zero (min > 0 or scale to zero disabled: such a role is never at zero to begin with), nor
 * with `predictive` off; prefill only while decode has a Ready pod (prefill without decode serves nothing, and
 * a prefill pod Ready before any decode pod fails the requests the EPP held at zero: zero.ts decodeReadyFirst).
 */
export function predictiveWake(
  spec: DeciderSpec,
  w: RoleWindows,
  s: DeciderState,
  nowMs: number,
  demand: boolean,
): Draft | null {
  const current = w.readyPods + w.startingPods;
  const ep = s.episodes ?? { list: [], wake: null, usedMs: null };
  s.episodes = ep;
  if (!mayPreWake(spec) || demand) {
    ep.wake = null; // demand came (or the rule is off): the ordinary rules take over
    return null;
  }
  const wakeTo = Math.max(1, spec.activationScale);
  if (ep.wake) return pendingWake(ep, nowMs, Math.max(current, wakeTo));
  if (current > 0 || s.desired > 0) return null;
  if (!besideReadyDecode(spec, w)) return null;
  const next = predictNextStart(ep.list, target(spec, 'episodeTolerance'));
  if (next === null || ep.usedMs === next.atMs) return null;
  const cold = coldStartMs(spec, s);
  const lead = cold * (1 + target(spec, 'wakeMarginColdStarts')) + next.deviationMs;
  // Bounded: a prediction is waited for at most max(one cold start, the observed deviation) past its time.
  const untilMs = next.atMs + Math.max(cold, next.deviationMs);
  if (nowMs < next.atMs - lead || nowMs >= untilMs) return null;
  ep.usedMs = next.atMs;
  ep.wake = { predictedMs: next.atMs, untilMs };
  return {
    desired: wakeTo,
    reason: 'predictive-wake',
    detail:
      `episodes every ${Math.round(next.meanGapMs / 1000)} s ` +
      `(±${Math.round(next.deviationMs / 1000)} s): next ` +
      `at ${Math.round(next.atMs / 1000)} s, ` +
      `waking ${Math.round(lead / 1000)} s ahead (cold ` +
      `start ${Math.round(cold / 1000)} s)`,
  };
}
