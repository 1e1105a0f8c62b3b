/**
 * Ours: the real autoscaler (autoscaler/), configured and fed the way it is in a cluster. Its specs come from the
 * InferenceService's annotations as the PodAutoscaler carries them, through autoscaler/targets.ts `specFor`
 * (decode-replicas, prefill-replicas, slo, scale-to-zero-after, prefill-throughput, Knative min/max-scale), with
 * the default autoscaler config; nothing else is set. Every tick each ready pod's vLLM /metrics page goes through
 * the collector's byte parser (vllmSnapshotFromBytes, with the pod's previous scrape as the collector keeps it),
 * `observe` turns the tick into the decider's RoleWindows
 * (stable/panic windows, starting pods, demand at zero), decode is decided first with what the pool's
 * prefill role prefilled (`withRemotePrefill`), and prefill gets the pool's prompt traffic (`withPoolPrompts`)
 * and decode's decision as its peer, exactly as Loop.decideAll does. Tick, windows and default prompt length come from
 * defaultAutoscalerConfig(). Nothing of the decision
 * is re-implemented here: this file only converts simulator state into the loop's inputs.
 */
import { defaultAutoscalerConfig } from '../../../autoscaler/config.js';
import { decidePool, type Decision, type DeciderState, type RoleWindows } from '../../../autoscaler/decider/index.js';
import { observe } from '../../../autoscaler/loop/observe.js';
import type { PodSnapshot } from '../../../autoscaler/metrics/vllm-signals.js';
import { vllmSnapshotFromBytes } from '../../../autoscaler/metrics/vllm-stream.js';
import { specFor } from '../../../autoscaler/targets.js';
import type { PodObservation } from '../../../autoscaler/windows/tick.js';
import { RoleWindow } from '../../../autoscaler/windows/window.js';
import type { Policy, PolicyContext, Role, RoleObservation } from './types.js';

export interface OursOptions {
  /** kserve-llmd.io/decode-replicas MIN (0 = scale to zero) and prefill MIN. */
  decodeMin: number;
  prefillMin: number;
  /** kserve-llmd.io/scale-to-zero-after. */
  scaleToZeroAfterS: number;
  /** kserve-llmd.io/prefill-throughput (tokens/s per replica); null = not set (the autoscaler's default). */
  prefillThroughput: number | null;
  /** Every decision with its detail (for digging into a run). */
  onDecision?(role: Role, nowMs: number, d: Decision): void;
}

export const OURS_DEFAULTS: OursOptions = {
  decodeMin: 0,
  prefillMin: 0,
  scaleToZeroAfterS: 300,
  prefillThroughput: null,
};

/** The InferenceService annotations a user would write for this run, as the PodAutoscaler carries them. */
export function oursAnnotations(ctx: PolicyContext, o: OursOptions): Record<string, string> {
  const a: Record<string, string> = {
    'kserve-llmd.io/decode-replicas': `${o.decodeMin}-${ctx.maxReplicas}`,
    'kserve-llmd.io/slo': `ttft=${ctx.slo.ttftMs}ms,itl=${ctx.slo.itlMs}ms`,
    'kserve-llmd.io/scale-to-zero-after': `${o.scaleToZeroAfterS}s`,
  };
  if (ctx.disaggregated) {
    a['kserve-llmd.io/disaggregation'] = 'prefill-decode';
    a['kserve-llmd.io/prefill-replicas'] = `${o.prefillMin}-${ctx.maxReplicas}`;
  }
  if (o.prefillThroughput !== null) a['kserve-llmd.io/prefill-throughput'] = String(Math.round(o.prefillThroughput));
  return a;
}

/** One role's scrape state: the collector's previous snapshot per pod and the loop's RoleWindow. */
class RoleFeed {
  private last = new Map<string, { atMs: number; snap: PodSnapshot }>();
  readonly window: RoleWindow;

  constructor(private readonly cfg: ReturnType<typeof defaultAutoscalerConfig>) {
    this.window = new RoleWindow(1000, cfg.stableWindowMs);
  }

  tick(nowMs: number, r: RoleObservation): RoleWindows {
    const observations: PodObservation[] = [];
    const next = new Map<string, { atMs: number; snap: PodSnapshot }>();
    for (const e of r.engines) {
      const snap = vllmSnapshotFromBytes(Buffer.from(e.metricsText()));
      const prev = this.last.get(e.id);
      observations.push(prev ? { atMs: nowMs, snap, prev } : { atMs: nowMs, snap });
      next.set(e.id, { atMs: nowMs, snap });
    }
    this.last = next;
    const panicWindowMs = (this.cfg.stableWindowMs * this.cfg.panicWindowPercentage) / 100;
    return observe(
      this.window,
      {
        nowMs,
        readyPods: r.ready,
        specReplicas: r.replicas,
        observations,
        failedPods: 0,
        demandAtZero: { queuedRequests: r.buffered, queuedPromptTokens: r.bufferedPromptTokens },
      },
      { stableWindowMs: this.cfg.stableWindowMs, panicWindowMs, defaultPromptTokens: this.cfg.defaultPromptTokens },
    );
  }
}

export function oursPolicy(ctx: PolicyContext, opts: Partial<OursOptions> = {}): Policy {
  const o: OursOptions = {
    ...OURS_DEFAULTS,
    scaleToZeroAfterS: ctx.scaleToZeroAfterS,
    prefillThroughput: ctx.prefillThroughput ?? null,
    ...opts,
  };
  const cfg = defaultAutoscalerConfig();
  const annotations = oursAnnotations(ctx, o);
  const spec = (role: Role) => {
    const { spec: s, problems } = specFor(
      { annotations, labels: { 'llm-d.ai/role': role }, reachable: true, scaleToZeroEnabled: true },
      { maxReplicasCap: cfg.maxReplicasCap, stableWindowMs: cfg.stableWindowMs },
    );
    if (problems.length > 0) throw new Error(`ours: annotations rejected: ${problems.join('; ')}`);
    return s;
  };
  const specs = { decode: spec('decode'), prefill: spec('prefill') };
  const feeds = { decode: new RoleFeed(cfg), prefill: new RoleFeed(cfg) };
  const states: { decode?: DeciderState; prefill?: DeciderState } = {};
  const reasons = new Map<string, number>();
  const count = (role: Role, reason: string): void =>
    void reasons.set(`${role}:${reason}`, (reasons.get(`${role}:${reason}`) ?? 0) + 1);
  let last = -Infinity;
  return {
    name: 'ours',
    reasons,
    step(obs) {
      if ((obs.now - last) * 1000 < cfg.tickMs) return undefined;
      last = obs.now;
      const nowMs = obs.now * 1000;
      // As Loop.decideAll: every role's windows are observed before any decision, then decidePool wires the
      // roles to each other (decode sees what prefill prefilled; prefill the pool's prompts and decode as peer).
      const dw = feeds.decode.tick(nowMs, obs.decode);
      const pw = obs.prefill ? feeds.prefill.tick(nowMs, obs.prefill) : undefined;
      const out = decidePool(
        {
          decode: { spec: specs.decode, windows: dw },
          ...(pw ? { prefill: { spec: specs.prefill, windows: pw } } : {}),
        },
        nowMs,
        states,
      );
      const d = out.decode;
      states.decode = d.state;
      count('decode', d.reason);
      o.onDecision?.('decode', nowMs, d);
      const p = out.prefill;
      if (!p) return { decode: d.desired, prefill: 0 };
      states.prefill = p.state;
      count('prefill', p.reason);
      o.onDecision?.('prefill', nowMs, p);
      return { decode: d.desired, prefill: p.desired };
    },
  };
}
