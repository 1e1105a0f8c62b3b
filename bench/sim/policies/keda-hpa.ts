/**
 * KEDA + HPA as llm-d's guides deploy it (llm.d.md §7; llm-d/llm-d guides/workload-autoscaling, read at
 * 057abb4a / 04c0115b / 56cb1218; not a pinned tag — the guides repository has none we pin). One ScaledObject per
 * scaled Deployment; KEDA's Prometheus triggers become External metrics with AverageValue targets for the HPA it
 * creates (hpa.ts); KEDA itself only moves 0 ↔ 1 (never here: the guides' minReplicaCount is 1).
 *
 * Aggregated — `keda-epp/optimized-baseline/overlays/k8s/queue/scaledobject.yaml` (the guide's default, "queue"):
 *   triggers sum(llm_d_epp_flow_control_queue_size) target 1 and sum(llm_d_epp_request_running) target 16;
 *   pollingInterval 15, cooldownPeriod 300, minReplicaCount 1 (maxReplicaCount 8 in the guide; here the
 *   benchmark's common --max-replicas); HPA behavior scaleUp and scaleDown: stabilizationWindowSeconds 300,
 *   Percent 100 per 15 s. The guide enables EPP flow control (router.values.yaml), so the cluster runs with it.
 * P/D — `keda-epp-token-aware/pd-disaggregation/base/{prefill,decode}-scaledobject.yaml` (the only P/D guide):
 *   prefill: sum(llm_d_epp_inflight_tokens{prefill endpoints}) ÷ peakPrefillThroughput, target 1.5 (seconds of
 *   backlog; the file's comment: "1.5 suits … ~2 s TTFT SLO", the benchmark's SLO); decode:
 *   sum(vllm:kv_cache_usage_perc{decode pods}), target 0.8; pollingInterval 15, min 1 (max 10 in the guide);
 *   scaleUp stabilization 0, Pods 1 per 180 s; scaleDown stabilization 300, Pods 1 per 300 s.
 *   peakPrefillThroughput is measured the way the guide's calibrate.sh does (calibrate.ts).
 * Metrics are read when the HPA syncs, as KEDA's metrics server queries Prometheus on each HPA request; the
 * Prometheus scrape interval (15–30 s of staleness) is not modelled, which favours this baseline.
 */
import { calibratedPrefillTokensPerSec } from '../calibrate.js';
import { Hpa, externalReplicas, type HpaBehavior } from './hpa.js';
import type { Observation, Policy, PolicyContext, Role } from './types.js';

export interface KedaTrigger {
  name: string;
  /** The query's value (the trigger's PromQL on the simulated state). */
  value(obs: Observation): number;
  /** AverageValue target (`threshold`). */
  threshold: number;
}

export interface ScaledObjectSpec {
  triggers: KedaTrigger[];
  minReplicaCount: number;
  pollingIntervalS: number;
  cooldownPeriodS: number;
  behavior: HpaBehavior;
}

const QUEUE_BEHAVIOR: HpaBehavior = {
  scaleUp: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
};

const TOKEN_AWARE_BEHAVIOR: HpaBehavior = {
  scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 180 }] },
  scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] },
};

/** keda-epp "queue" guide: one ScaledObject on the (aggregated) model server Deployment. */
export function queueGuide(): ScaledObjectSpec {
  return {
    triggers: [
      { name: 'epp-queue-size', value: (o) => o.epp?.flowQueued ?? o.decode.buffered, threshold: 1 },
      {
        name: 'epp-running-requests',
        value: (o) => o.epp?.running ?? o.decode.engines.reduce((s, e) => s + e.inflight, 0),
        threshold: 16,
      },
    ],
    minReplicaCount: 1,
    pollingIntervalS: 15,
    cooldownPeriodS: 300,
    behavior: QUEUE_BEHAVIOR,
  };
}

/** keda-epp-token-aware P/D guide: one ScaledObject per role. */
export function tokenAwareGuide(role: Role, peakPrefillThroughput: number): ScaledObjectSpec {
  const trigger: KedaTrigger =
    role === 'prefill'
      ? {
          name: 'prefill-backlog-seconds',
          value: (o) =>
            (o.prefill?.engines ?? []).reduce((s, e) => s + e.inflightUncachedTokens, 0) / peakPrefillThroughput,
          threshold: 1.5,
        }
      : {
          name: 'decode-kv-utilization',
          value: (o) => o.decode.engines.reduce((s, e) => s + e.kvUsage, 0),
          threshold: 0.8,
        };
  return {
    triggers: [trigger],
    minReplicaCount: 1,
    pollingIntervalS: 15,
    cooldownPeriodS: 300,
    behavior: TOKEN_AWARE_BEHAVIOR,
  };
}

/** KEDA's operator (0 ↔ 1 on activity, per pollingInterval) in front of the HPA it owns (1 ↔ N). */
export class ScaledObject {
  private readonly hpa: Hpa;
  private lastPoll = -Infinity;
  private lastActive = 0;
  desired: number;

  constructor(
    private readonly spec: ScaledObjectSpec,
    initial: number,
    max: number,
  ) {
    this.desired = Math.max(spec.minReplicaCount, initial);
    this.hpa = new Hpa(spec.behavior, Math.max(1, spec.minReplicaCount), max);
  }

  step(obs: Observation, current: number): number {
    const now = obs.now;
    const s = this.spec;
    if (now - this.lastPoll >= s.pollingIntervalS) {
      this.lastPoll = now;
      // Active iff a trigger's value > activationThreshold (0): prometheus_scaler.go.
      const active = s.triggers.some((t) => t.value(obs) > 0);
      if (active) this.lastActive = now;
      if (current === 0 && active) return (this.desired = Math.max(1, s.minReplicaCount));
      if (current > 0 && s.minReplicaCount === 0 && !active && now - this.lastActive >= s.cooldownPeriodS)
        return (this.desired = 0);
    }
    if (current === 0 || !this.hpa.due(now)) return this.desired;
    const rec = Math.max(...s.triggers.map((t) => externalReplicas(t.value(obs), t.threshold, current)));
    return (this.desired = this.hpa.sync(now, current, rec));
  }
}

export function kedaPolicy(ctx: PolicyContext): Policy {
  if (!ctx.disaggregated) {
    const so = new ScaledObject(queueGuide(), ctx.initial.decode, ctx.maxReplicas);
    return {
      name: 'keda-hpa',
      flowControl: true,
      step: (obs) => ({ decode: so.step(obs, obs.decode.replicas), prefill: 0 }),
    };
  }
  const vp = calibratedPrefillTokensPerSec(ctx.preset, true);
  const decode = new ScaledObject(tokenAwareGuide('decode', vp), ctx.initial.decode, ctx.maxReplicas);
  const prefill = new ScaledObject(tokenAwareGuide('prefill', vp), ctx.initial.prefill, ctx.maxReplicas);
  return {
    name: 'keda-hpa',
    step: (obs) => ({
      decode: decode.step(obs, obs.decode.replicas),
      prefill: obs.prefill ? prefill.step(obs, obs.prefill.replicas) : 0,
    }),
  };
}
