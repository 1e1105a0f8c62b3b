/**
 * Ours: the real autoscaler decider (autoscaler/decider), fed the way the autoscaler feeds it — each ready
 * pod's vLLM /metrics text is parsed by the autoscaler's own parser (vllmSnapshot), turned into per-tick
 * role totals (tickSample) and Knative-style stable/panic windows (RoleWindow), then decidePool runs every
 * 2 s (or at once when a role at zero has demand, as the activator/EPP wake does). Nothing is re-implemented
 * here: this file only converts simulator state into the decider's inputs.
 */
import { decidePool, deciderSpec, type DeciderSpec, type DeciderState, type RoleWindows } from '../../../autoscaler/decider/index.js';
import { vllmSnapshot, type PodSnapshot } from '../../../autoscaler/metrics/vllm-signals.js';
import { tickSample, type PodObservation } from '../../../autoscaler/windows/tick.js';
import { RoleWindow } from '../../../autoscaler/windows/window.js';
import { profiledPrefillTokensPerSec } from '../perf.js';
import type { Policy, PolicyContext, Role, RoleObservation } from './types.js';

export interface OursOptions {
  /** kserve-llmd.io/decode-replicas MIN (0 = scale to zero) and prefill MIN. */
  decodeMin: number;
  prefillMin: number;
  /** kserve-llmd.io/scale-to-zero-after. */
  scaleToZeroAfterS: number;
  tickS: number;
  /** ISL at which the prefill capacity is profiled (the decider replaces it with measurements). */
  profileIsl: number;
}

export const OURS_DEFAULTS: OursOptions = { decodeMin: 0, prefillMin: 0, scaleToZeroAfterS: 300, tickS: 2, profileIsl: 4096 };

const STABLE_MS = 60_000;
const PANIC_MS = 6_000;

class RoleFeed {
  readonly window = new RoleWindow(1000, STABLE_MS);
  private last = new Map<string, { atMs: number; snap: PodSnapshot }>();

  /** Scrape every ready pod (its /metrics text through the real parser) and add one tick. */
  scrape(nowMs: number, r: RoleObservation): void {
    const pods: PodObservation[] = [];
    const next = new Map<string, { atMs: number; snap: PodSnapshot }>();
    for (const e of r.engines) {
      const snap = vllmSnapshot(e.metricsText());
      const prev = this.last.get(e.id);
      pods.push(prev ? { atMs: nowMs, snap, prev } : { atMs: nowMs, snap });
      next.set(e.id, { atMs: nowMs, snap });
    }
    this.last = next;
    const tick = tickSample(nowMs, pods, 1000);
    // The EPP flow-control queue holds this role's requests while it has no ready pod.
    tick.waiting += r.buffered;
    tick.promptBacklogTokens += r.bufferedPromptTokens;
    this.window.add(tick);
  }

  windows(nowMs: number, r: RoleObservation): RoleWindows {
    return {
      readyPods: r.ready, startingPods: r.starting,
      stable: this.window.aggregate(nowMs, STABLE_MS), panic: this.window.aggregate(nowMs, PANIC_MS),
      demandAtZero: { queuedRequests: r.buffered, queuedPromptTokens: r.bufferedPromptTokens },
      dataAgeMs: 0, missingPods: 0,
    };
  }
}

export function oursPolicy(ctx: PolicyContext, opts: Partial<OursOptions> = {}): Policy {
  const o: OursOptions = { ...OURS_DEFAULTS, scaleToZeroAfterS: ctx.scaleToZeroAfterS, ...opts };
  const capacity = { prefillTokensPerSec: profiledPrefillTokensPerSec(ctx.preset, o.profileIsl) };
  const spec = (role: Role, min: number): DeciderSpec => deciderSpec(role, {
    minReplicas: min, maxReplicas: ctx.maxReplicas, slo: ctx.slo, scaleToZeroAfterMs: o.scaleToZeroAfterS * 1000, capacity,
  });
  const specs = { decode: spec('decode', o.decodeMin), prefill: spec('prefill', o.prefillMin) };
  const feeds = { decode: new RoleFeed(), prefill: new RoleFeed() };
  let states: { decode?: DeciderState; prefill?: DeciderState } = {};
  let last = -Infinity;
  const reasons = new Map<string, number>();
  return {
    name: 'ours',
    step(obs) {
      const nowMs = obs.now * 1000;
      feeds.decode.scrape(nowMs, obs.decode);
      if (obs.prefill) feeds.prefill.scrape(nowMs, obs.prefill);
      const wake = (obs.decode.replicas === 0 && obs.decode.buffered > 0) || (obs.prefill !== undefined && obs.prefill.replicas === 0 && obs.prefill.buffered > 0);
      if (!wake && obs.now - last < o.tickS) return undefined;
      last = obs.now;
      const decode = { spec: specs.decode, windows: feeds.decode.windows(nowMs, obs.decode) };
      let prefill;
      if (obs.prefill) {
        const w = feeds.prefill.windows(nowMs, obs.prefill);
        // The prefill decider plans on the POOL's prompt rate (decider types.ts): every prompt reaches a decode pod.
        w.stable.promptTokensRate = decode.windows.stable.promptTokensRate;
        w.panic.promptTokensRate = decode.windows.panic.promptTokensRate;
        prefill = { spec: specs.prefill, windows: w };
      }
      const d = decidePool(prefill ? { decode, prefill } : { decode }, nowMs, states);
      states = { decode: d.decode.state, prefill: d.prefill?.state };
      const count = (role: Role, reason: string): void => void reasons.set(`${role}:${reason}`, (reasons.get(`${role}:${reason}`) ?? 0) + 1);
      count('decode', d.decode.reason);
      if (d.prefill) count('prefill', d.prefill.reason);
      return { decode: d.decode.desired, prefill: d.prefill?.desired ?? 0 };
    },
    reasons,
  };
}
