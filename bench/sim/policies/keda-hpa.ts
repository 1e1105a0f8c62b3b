/**
 * KEDA Prometheus scaler + Kubernetes HPA (autoscaling.md §4.2), per role, on
 * sum(vllm:num_requests_waiting) plus the EPP flow-control queue (the only signal that exists at zero):
 * - KEDA polls every 30 s; active iff value > activationThreshold (0); 0 → 1 when active; 1 → 0 after
 *   lastActive + cooldownPeriod (300 s).
 * - HPA syncs every 15 s: desired = ceil(total / threshold) (External metric, AverageValue), skipped
 *   when |total / (current × threshold) − 1| ≤ 0.1; scale-up ≤ max(2 × current, current + 4) per sync;
 *   scale-down stabilization 300 s (the max recommendation in the window wins); minReplicas 1.
 */
import type { Policy, PolicyContext, Role, RoleObservation } from './types.js';
import { DownStabilizer } from './stabilize.js';

export interface KedaOptions {
  threshold: number;
  tolerance: number;
  pollingS: number;
  cooldownS: number;
  hpaSyncS: number;
  downStabilizationS: number;
}

export const KEDA_DEFAULTS: KedaOptions = {
  threshold: 5,
  tolerance: 0.1,
  pollingS: 30,
  cooldownS: 300,
  hpaSyncS: 15,
  downStabilizationS: 300,
};

class KedaRole {
  private lastActive = 0;
  private lastPoll = -Infinity;
  private lastSync = -Infinity;
  private readonly stabilizer: DownStabilizer;
  desired: number;

  constructor(
    private readonly k: KedaOptions,
    initial: number,
    private readonly floor: number,
  ) {
    this.desired = initial;
    this.stabilizer = new DownStabilizer(k.downStabilizationS);
  }

  step(now: number, r: RoleObservation): number {
    const k = this.k;
    const value = r.engines.reduce((s, e) => s + e.waiting, 0) + r.buffered;
    if (now - this.lastPoll >= k.pollingS) {
      this.lastPoll = now;
      if (value > 0) this.lastActive = now;
      if (this.desired === 0 && value > 0) return (this.desired = 1);
      if (this.desired > 0 && this.floor === 0 && value === 0 && now - this.lastActive >= k.cooldownS)
        return (this.desired = 0);
    }
    if (this.desired === 0 || now - this.lastSync < k.hpaSyncS) return this.desired;
    this.lastSync = now;
    const current = Math.max(1, r.replicas);
    const ratio = value / (current * k.threshold);
    let rec = Math.abs(ratio - 1) <= k.tolerance ? current : Math.max(1, Math.ceil(value / k.threshold));
    rec = Math.min(rec, Math.max(2 * current, current + 4));
    const stabilized = this.stabilizer.apply(now, rec, current);
    return (this.desired = Math.max(1, this.floor, stabilized));
  }
}

export function kedaPolicy(ctx: PolicyContext, k: KedaOptions = KEDA_DEFAULTS): Policy {
  const roles: Record<Role, KedaRole> = {
    decode: new KedaRole(k, ctx.initial.decode, 0),
    prefill: new KedaRole(k, ctx.initial.prefill, 1),
  };
  return {
    name: 'keda-hpa',
    step(obs) {
      return {
        decode: roles.decode.step(obs.now, obs.decode),
        prefill: obs.prefill ? roles.prefill.step(obs.now, obs.prefill) : 0,
      };
    },
  };
}
