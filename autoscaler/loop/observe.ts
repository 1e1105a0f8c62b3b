/**
 * Per-target observation for one tick: add the tick's pod samples to the target's windows and build the
 * decider's RoleWindows (pure apart from the RoleWindow buffers it is handed).
 */
import type { RoleWindows } from '../decider/types.js';
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

export function observe(
  win: RoleWindow,
  t: TargetTick,
  opts: { stableWindowMs: number; panicWindowMs: number; defaultPromptTokens: number },
): RoleWindows {
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
