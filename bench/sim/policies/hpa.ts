/**
 * Kubernetes HorizontalPodAutoscaler (autoscaling/v2) as kube-controller-manager v1.28.7 runs it, for External
 * metrics with an AverageValue target (what KEDA and WVA give it):
 * - every sync (15 s, --horizontal-pod-autoscaler-sync-period), per metric: usage ratio = total ÷ (target ×
 *   current replicas); inside the tolerance (|ratio − 1| ≤ 0.1) the count stays, else ceil(total ÷ target)
 *   (pkg/controller/podautoscaler/replica_calculator.go GetExternalPerPodMetricReplicas); the largest over the
 *   metrics wins;
 * - stabilization (horizontal.go stabilizeRecommendationWithBehaviors): up to the smallest recommendation of the
 *   scale-up window, down to the largest of the scale-down window (both include this one);
 * - rate policies (convertDesiredReplicasWithBehaviorRate, calculateScaleUp/DownLimit…): from the replica count at
 *   the start of each policy's period (replicas now − added + removed within it), Pods adds/removes `value`,
 *   Percent scales by `value`%; selectPolicy Max (the default) takes the largest change;
 * - clamped to [min, max].
 * "current replicas" is the scale's status (pods existing, ready or not), the observation's `replicas`.
 */
export interface HpaPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HpaRules {
  stabilizationWindowSeconds: number;
  policies: HpaPolicy[];
}

export interface HpaBehavior {
  scaleUp: HpaRules;
  scaleDown: HpaRules;
}

/** autoscaling/v2 defaults (k8s.io/kubernetes pkg/apis/autoscaling/v2/defaults.go at v1.28.7). */
export const HPA_DEFAULT_BEHAVIOR: HpaBehavior = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  },
  scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
};

export const HPA_SYNC_S = 15;
export const HPA_TOLERANCE = 0.1;

/** Replicas one External AverageValue metric asks for. */
export function externalReplicas(total: number, target: number, current: number, tolerance = HPA_TOLERANCE): number {
  const ratio = total / (target * Math.max(1, current));
  return Math.abs(1 - ratio) <= tolerance ? current : Math.ceil(total / target);
}

export class Hpa {
  private recs: Array<{ t: number; n: number }> = [];
  private events: Array<{ t: number; change: number }> = [];
  private lastSync = -Infinity;

  constructor(
    private readonly behavior: HpaBehavior,
    private readonly min: number,
    private readonly max: number,
    private readonly syncS = HPA_SYNC_S,
  ) {}

  /** Whether a sync is due at `now` (seconds). */
  due(now: number): boolean {
    return now - this.lastSync >= this.syncS;
  }

  /** One sync: the metrics' recommendation → the replica count to set. */
  sync(now: number, current: number, recommendation: number): number {
    this.lastSync = now;
    const b = this.behavior;
    this.recs = this.recs.filter(
      (r) => r.t > now - Math.max(b.scaleUp.stabilizationWindowSeconds, b.scaleDown.stabilizationWindowSeconds) - 1e-9,
    );
    let up = recommendation;
    let down = recommendation;
    for (const r of this.recs) {
      if (r.t > now - b.scaleUp.stabilizationWindowSeconds - 1e-9) up = Math.min(up, r.n);
      if (r.t > now - b.scaleDown.stabilizationWindowSeconds - 1e-9) down = Math.max(down, r.n);
    }
    this.recs.push({ t: now, n: recommendation });
    let desired = Math.min(Math.max(current, up), down);
    if (desired > current) desired = Math.min(desired, Math.max(current, this.limit(now, current, 'up')));
    else if (desired < current) desired = Math.max(desired, Math.min(current, this.limit(now, current, 'down')));
    desired = Math.max(this.min, Math.min(this.max, desired));
    if (desired !== current) this.events.push({ t: now, change: desired - current });
    return desired;
  }

  private limit(now: number, current: number, dir: 'up' | 'down'): number {
    const rules = dir === 'up' ? this.behavior.scaleUp : this.behavior.scaleDown;
    let best = dir === 'up' ? -Infinity : Infinity;
    for (const p of rules.policies) {
      let added = 0;
      let removed = 0;
      for (const e of this.events)
        if (e.t > now - p.periodSeconds + 1e-9) {
          if (e.change > 0) added += e.change;
          else removed -= e.change;
        }
      const start = current - added + removed;
      const proposed =
        dir === 'up'
          ? p.type === 'Pods'
            ? start + p.value
            : Math.ceil(start * (1 + p.value / 100))
          : p.type === 'Pods'
            ? start - p.value
            : Math.floor(start * (1 - p.value / 100));
      best = dir === 'up' ? Math.max(best, proposed) : Math.min(best, proposed);
    }
    return best;
  }
}
