/** Shared helpers for the decider table tests. */
import {
  decide,
  deciderSpec,
  type Decision,
  type DeciderSpec,
  type DeciderState,
  type RoleWindows,
} from '../../../autoscaler/decider/index.js';

type Overrides = Parameters<typeof deciderSpec>[1];

/**
 * Spec builders for a role with min 0 and the given max (overrides on top). Decode gets prefill's 30 s scale-down
 * delay so the rule tables can watch consolidation within a minute; the 300 s default is tested on its own.
 */
export function specs(maxReplicas: number): {
  decode: (o?: Overrides) => DeciderSpec;
  prefill: (o?: Overrides) => DeciderSpec;
} {
  return {
    decode: (o = {}) => deciderSpec('decode', { minReplicas: 0, maxReplicas, scaleDownDelayMs: 30_000, ...o }),
    prefill: (o = {}) => deciderSpec('prefill', { minReplicas: 0, maxReplicas, ...o }),
  };
}

/** Runs a sequence of ticks, feeding state forward; returns every decision. */
export function run(spec: DeciderSpec, steps: Array<[number, RoleWindows]>, state?: DeciderState): Decision[] {
  const out: Decision[] = [];
  for (const [t, w] of steps) {
    const d = decide(spec, w, t, state);
    state = d.state;
    out.push(d);
  }
  return out;
}
