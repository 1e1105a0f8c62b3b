/**
 * Knative KPA (knative/serving pkg/autoscaler/scaling/autoscaler.go; autoscaling.md §4.1), with the defaults of
 * knative-v1.23.0 config/core/configmaps/autoscaler.yaml (container-concurrency-target-default 100,
 * container-concurrency-target-percentage 70, stable-window 60s, panic-window-percentage 10,
 * panic-threshold-percentage 200, max-scale-up-rate 1000, max-scale-down-rate 2, scale-to-zero-grace-period 30s,
 * initial-scale 1, scale-down-delay 0s) and pkg/autoscaler/scaling/multiscaler.go tickInterval 2 s; KServe leaves
 * containerConcurrency at 0, so the 100 default applies. Per role:
 * concurrency = requests in flight on the role's pods plus requests the activator holds; stable = mean
 * over 60 s of 1 s buckets, panic = mean over 6 s; target = 0.7 × containerConcurrency; decide every
 * 2 s: dspc = ceil(stable/target), dppc = ceil(panic/target), clamped to [floor(ready/2), ceil(1000·ready)];
 * panic when dppc/ready ≥ 2 (desired only ratchets up), exit after a stable window below; to zero only after
 * the 30 s scale-to-zero grace (the 60 s window must first average 0); activator wakes 0 → 1 at once.
 */
import { SlidingWindow } from './window.js';
import type { Policy, PolicyContext, Role, RoleObservation } from './types.js';

export interface KpaOptions {
  /** containerConcurrency; 0 in KServe means Knative's container-concurrency-target-default 100. */
  containerConcurrency: number;
  targetUtilization: number;
  stableS: number;
  panicS: number;
  panicThreshold: number;
  graceS: number;
  tickS: number;
}

export const KPA_DEFAULTS: KpaOptions = {
  containerConcurrency: 100,
  targetUtilization: 0.7,
  stableS: 60,
  panicS: 6,
  panicThreshold: 2,
  graceS: 30,
  tickS: 2,
};

class KpaRole {
  private readonly stable: SlidingWindow;
  private readonly panic: SlidingWindow;
  private panicSince: number | null = null;
  private maxPanicPods = 0;
  private zeroSince: number | null = null;
  desired: number;

  constructor(
    private readonly k: KpaOptions,
    initial: number,
    private readonly floor: number,
  ) {
    this.stable = new SlidingWindow(k.stableS);
    this.panic = new SlidingWindow(k.panicS);
    this.desired = initial;
    // newAutoscaler (pkg/autoscaler/scaling/autoscaler.go): with more than one pod up, start in panic and keep
    // the current scale until enough data is in (no scale-down for a stable window).
    if (initial > 1) {
      this.panicSince = 0;
      this.maxPanicPods = initial;
    }
  }

  observe(now: number, r: RoleObservation): void {
    const c = r.engines.reduce((s, e) => s + e.inflight, 0) + r.buffered;
    this.stable.push(now, c);
    this.panic.push(now, c);
  }

  decide(now: number, r: RoleObservation): number {
    const k = this.k;
    if (r.replicas === 0 && r.buffered > 0) return (this.desired = Math.max(1, this.floor)); // activator poke
    const target = Math.max(0.01, k.containerConcurrency * k.targetUtilization);
    const ready = Math.max(1, r.ready);
    const maxUp = Math.ceil(1000 * ready);
    const maxDown = Math.floor(r.ready / 2);
    const clampN = (x: number): number => Math.max(maxDown, Math.min(maxUp, x));
    const dspc = clampN(Math.ceil(this.stable.mean() / target));
    const dppc = clampN(Math.ceil(this.panic.mean() / target));
    if (dppc / ready >= k.panicThreshold) this.panicSince = now;
    else if (this.panicSince !== null && this.panicSince + k.stableS < now) {
      this.panicSince = null;
      this.maxPanicPods = 0;
    }
    let want = dspc;
    if (this.panicSince !== null) {
      want = Math.max(dspc, dppc, this.maxPanicPods);
      this.maxPanicPods = want;
    }
    want = Math.max(want, this.floor);
    // Scale to zero: only after the grace period with a desired count of 0 (kpa/scaler.go handleScaleToZero).
    if (want === 0) {
      this.zeroSince ??= now;
      if (now - this.zeroSince < k.graceS) want = Math.min(1, r.replicas);
    } else this.zeroSince = null;
    return (this.desired = want);
  }
}

export function kpaPolicy(ctx: PolicyContext, k: KpaOptions = KPA_DEFAULTS): Policy {
  const roles: Record<Role, KpaRole> = {
    decode: new KpaRole(k, ctx.initial.decode, 0),
    // Nothing wakes a prefill service from zero (requests bypass it and prefill locally): keep one.
    prefill: new KpaRole(k, ctx.initial.prefill, 1),
  };
  let last = -Infinity;
  return {
    name: 'knative-kpa',
    step(obs) {
      roles.decode.observe(obs.now, obs.decode);
      if (obs.prefill) roles.prefill.observe(obs.now, obs.prefill);
      const wake = obs.decode.replicas === 0 && obs.decode.buffered > 0;
      if (!wake && obs.now - last < k.tickS) return undefined;
      last = obs.now;
      return {
        decode: roles.decode.decide(obs.now, obs.decode),
        prefill: obs.prefill ? roles.prefill.decide(obs.now, obs.prefill) : 0,
      };
    },
  };
}
