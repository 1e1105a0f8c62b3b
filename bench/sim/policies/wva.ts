/**
 * llm-d Workload Variant Autoscaler, saturation analyzer (autoscaling.md §3), per role, every 30 s:
 * a replica is saturated at kv ≥ 0.8 or queue ≥ 5; over the non-saturated replicas, scale up +1 if the
 * average spare kv (0.8 − kv) < 0.1 or spare queue (5 − queue) < 3 (or all are saturated); scale down −1
 * only if spreading the load over N − 1 keeps spare kv ≥ 0.1 and spare queue ≥ 3; nothing while a pod
 * is pending. Actuated through HPA with the Helm chart's 240 s stabilization on scale-down. From zero:
 * a 100 ms poll of the EPP queue (here: the next tick). To zero: the same stabilization with no load.
 */
import type { Policy, PolicyContext, Role, RoleObservation } from './types.js';
import { DownStabilizer } from './stabilize.js';

export interface WvaOptions {
  kvThreshold: number;
  queueThreshold: number;
  kvSpare: number;
  queueSpare: number;
  intervalS: number;
  downStabilizationS: number;
}

export const WVA_DEFAULTS: WvaOptions = {
  kvThreshold: 0.8,
  queueThreshold: 5,
  kvSpare: 0.1,
  queueSpare: 3,
  intervalS: 30,
  downStabilizationS: 240,
};

/** One saturation decision: +1, −1 or 0 (pure; table-tested). */
export function wvaDelta(w: WvaOptions, engines: ReadonlyArray<{ kvUsage: number; waiting: number }>): -1 | 0 | 1 {
  const n = engines.length;
  if (n === 0) return 0;
  const free = engines.filter((e) => e.kvUsage < w.kvThreshold && e.waiting < w.queueThreshold);
  if (free.length === 0) return 1;
  const spareKv = free.reduce((s, e) => s + (w.kvThreshold - e.kvUsage), 0) / free.length;
  const spareQ = free.reduce((s, e) => s + (w.queueThreshold - e.waiting), 0) / free.length;
  if (spareKv < w.kvSpare || spareQ < w.queueSpare) return 1;
  if (n < 2) return 0;
  const kv = engines.reduce((s, e) => s + e.kvUsage, 0) / (n - 1);
  const q = engines.reduce((s, e) => s + e.waiting, 0) / (n - 1);
  return w.kvThreshold - kv >= w.kvSpare && w.queueThreshold - q >= w.queueSpare ? -1 : 0;
}

class WvaRole {
  private last = -Infinity;
  private readonly stabilizer: DownStabilizer;
  desired: number;

  constructor(
    private readonly w: WvaOptions,
    initial: number,
    private readonly floor: number,
  ) {
    this.desired = initial;
    this.stabilizer = new DownStabilizer(w.downStabilizationS);
  }

  step(now: number, r: RoleObservation): number {
    const busy = r.buffered > 0 || r.engines.some((e) => e.inflight > 0);
    if (r.replicas === 0) return (this.desired = r.buffered > 0 ? 1 : Math.max(this.floor, 0));
    if (now - this.last < this.w.intervalS) return this.desired;
    this.last = now;
    let rec = r.replicas;
    if (r.starting === 0) rec += wvaDelta(this.w, r.engines);
    if (this.floor === 0 && !busy) rec = 0;
    else rec = Math.max(1, this.floor, rec);
    return (this.desired = this.stabilizer.apply(now, rec, r.replicas));
  }
}

export function wvaPolicy(ctx: PolicyContext, w: WvaOptions = WVA_DEFAULTS): Policy {
  const roles: Record<Role, WvaRole> = {
    decode: new WvaRole(w, ctx.initial.decode, 0),
    prefill: new WvaRole(w, ctx.initial.prefill, 1),
  };
  return {
    name: 'llm-d-wva',
    step(obs) {
      return {
        decode: roles.decode.step(obs.now, obs.decode),
        prefill: obs.prefill ? roles.prefill.step(obs.now, obs.prefill) : 0,
      };
    },
  };
}
