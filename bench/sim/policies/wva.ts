/**
 * llm-d Workload Variant Autoscaler, saturation analyzer (autoscaling.md §3; WVA docs/saturation-analyzer.md), per
 * role, every 30 s: a replica is saturated at kv ≥ 0.8 or queue ≥ 5; over the non-saturated replicas, scale up +1
 * if the average spare kv (0.8 − kv) < 0.1 or spare queue (5 − queue) < 3 (or all are saturated); scale down −1
 * only if spreading the load over N − 1 keeps spare kv ≥ 0.1 and spare queue ≥ 3; nothing while a pod is pending.
 * WVA only emits wva_desired_replicas; an HPA actuates it (External, AverageValue 1) with the Helm chart's
 * production behavior (llm-d/llm-d-workload-variant-autoscaler docs/integrations/hpa-integration.md, "Production
 * Configuration (Default)": scaleUp and scaleDown stabilizationWindowSeconds 240, Pods 10 per 150 s, selectPolicy
 * Max) and the HPA's own minReplicas default of 1 (scale to zero needs the alpha HPAScaleToZero gate and
 * minReplicas 0, an opt-in the docs describe separately). The HPA's 10% tolerance applies: from 10 replicas up a
 * ±1 recommendation is inside it and changes nothing (hpa.ts).
 */
import { Hpa, externalReplicas, type HpaBehavior } from './hpa.js';
import type { Policy, PolicyContext, Role, RoleObservation } from './types.js';

export interface WvaOptions {
  kvThreshold: number;
  queueThreshold: number;
  kvSpare: number;
  queueSpare: number;
  intervalS: number;
  behavior: HpaBehavior;
  minReplicas: number;
}

export const WVA_DEFAULTS: WvaOptions = {
  kvThreshold: 0.8,
  queueThreshold: 5,
  kvSpare: 0.1,
  queueSpare: 3,
  intervalS: 30,
  behavior: {
    scaleUp: { stabilizationWindowSeconds: 240, policies: [{ type: 'Pods', value: 10, periodSeconds: 150 }] },
    scaleDown: { stabilizationWindowSeconds: 240, policies: [{ type: 'Pods', value: 10, periodSeconds: 150 }] },
  },
  minReplicas: 1,
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
  private readonly hpa: Hpa;
  /** wva_desired_replicas as last emitted. */
  private emitted: number;
  desired: number;

  constructor(
    private readonly w: WvaOptions,
    initial: number,
    max: number,
  ) {
    this.desired = Math.max(w.minReplicas, initial);
    this.emitted = this.desired;
    this.hpa = new Hpa(w.behavior, w.minReplicas, max);
  }

  step(now: number, r: RoleObservation): number {
    if (now - this.last >= this.w.intervalS) {
      this.last = now;
      this.emitted = r.starting === 0 ? Math.max(0, r.replicas + wvaDelta(this.w, r.engines)) : r.replicas;
    }
    if (!this.hpa.due(now)) return this.desired;
    const current = r.replicas;
    return (this.desired = this.hpa.sync(now, current, externalReplicas(this.emitted, 1, current)));
  }
}

export function wvaPolicy(ctx: PolicyContext, w: WvaOptions = WVA_DEFAULTS): Policy {
  const roles: Record<Role, WvaRole> = {
    decode: new WvaRole(w, ctx.initial.decode, ctx.maxReplicas),
    prefill: new WvaRole(w, ctx.initial.prefill, ctx.maxReplicas),
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
