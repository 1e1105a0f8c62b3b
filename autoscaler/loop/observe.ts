/**
 * Per-target observation for one tick: add the tick's pod samples to the target's windows and build the
 * decider's RoleWindows (pure apart from the RoleWindow buffers it is handed).
 */
import type { RoleWindows, WindowAggregate } from '../decider/types.js';
import { tickSample, type PodObservation } from '../windows/tick.js';
import type { RoleWindow } from '../windows/window.js';

export interface TargetTick {
  nowMs: number;
  readyPods: number;
  specReplicas: number;
  observations: PodObservation[];
  failedPods: number;
  demandAtZero: { queuedRequests: number; queuedPromptTokens: number };
}

export function observe(win: RoleWindow, t: TargetTick, opts: { stableWindowMs: number; panicWindowMs: number; defaultPromptTokens: number }): RoleWindows {
  // A role with no ready pod has no data; old buckets must not look like load after a scale to zero.
  if (t.readyPods === 0) win.clear();
  else if (t.observations.length > 0) win.add(tickSample(t.nowMs, t.observations, opts.defaultPromptTokens));
  const newest = win.newestMs();
  return {
    readyPods: t.readyPods,
    startingPods: Math.max(0, t.specReplicas - t.readyPods),
    stable: win.aggregate(t.nowMs, opts.stableWindowMs),
    panic: win.aggregate(t.nowMs, opts.panicWindowMs),
    demandAtZero: t.demandAtZero,
    dataAgeMs: newest === undefined ? Number.POSITIVE_INFINITY : t.nowMs - newest,
    missingPods: t.failedPods,
  };
}

/**
 * Prefill at zero sees the pool's prompt traffic through decode (which prefills locally meanwhile), so it can
 * tell when long prompts make waking it worthwhile (decider/types.ts: promptTokensRate is pool-wide for prefill).
 */
export function withPoolPrompts(prefill: RoleWindows, decode: RoleWindows[]): RoleWindows {
  if (prefill.readyPods > 0 || decode.length === 0) return prefill;
  const merge = (own: WindowAggregate, pick: (w: RoleWindows) => WindowAggregate): WindowAggregate => {
    const ds = decode.map(pick).filter((a) => a.samples > 0);
    if (ds.length === 0) return own;
    return {
      ...own,
      samples: Math.max(...ds.map((a) => a.samples)),
      promptTokensRate: ds.reduce((s, a) => s + a.promptTokensRate, 0),
      arrivalRate: ds.reduce((s, a) => s + a.arrivalRate, 0),
    };
  };
  return { ...prefill, stable: merge(prefill.stable, (w) => w.stable), panic: merge(prefill.panic, (w) => w.panic) };
}

/**
 * Decode in P/D sees what its pool's prefill role prefilled (decider/types.ts RoleWindows.remotePrefill):
 * the prefill targets' stable-window prompt tokens/s and requests/s, summed. With several decode targets in
 * the pool, each gets the share of its own counted prompt tokens (the router sends a prompt to prefill for
 * the decode pod it picked). Unchanged when no prefill target has data (aggregated, or prefill at zero):
 * then decode prefills everything itself.
 */
export function withRemotePrefill(decode: RoleWindows, prefill: RoleWindows[], poolDecode: RoleWindows[] = [decode]): RoleWindows {
  const ps = prefill.filter((p) => p.readyPods > 0 && p.stable.samples > 0);
  if (ps.length === 0) return decode;
  const poolPrompts = poolDecode.reduce((s, d) => s + d.stable.promptTokensRate, 0);
  const share = poolPrompts > 0 ? decode.stable.promptTokensRate / poolPrompts : 1 / Math.max(1, poolDecode.length);
  return {
    ...decode,
    remotePrefill: {
      promptTokensRate: share * ps.reduce((s, p) => s + p.stable.promptTokensRate, 0),
      requestRate: share * ps.reduce((s, p) => s + p.stable.arrivalRate, 0),
    },
  };
}
