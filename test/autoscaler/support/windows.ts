import type { RoleWindows, WindowAggregate } from '../../../autoscaler/decider/index.js';

export function agg(o: Partial<WindowAggregate> = {}): WindowAggregate {
  return {
    samples: 30,
    waiting: 0,
    running: 0,
    kvUsage: 0,
    kvUsageMax: 0,
    promptBacklogTokens: 0,
    arrivalRate: 0,
    promptTokensRate: 0,
    generationTokensRate: 0,
    ...o,
  };
}

/** Windows with the same aggregate in the stable and panic window unless `panic` is given. */
export function win(
  ready: number,
  stable: Partial<WindowAggregate> = {},
  extra: Partial<RoleWindows> & { panicAgg?: Partial<WindowAggregate> } = {},
): RoleWindows {
  const { panicAgg, ...rest } = extra;
  return {
    readyPods: ready,
    startingPods: 0,
    stable: agg(stable),
    panic: agg(panicAgg ?? stable),
    demandAtZero: { queuedRequests: 0, queuedPromptTokens: 0 },
    dataAgeMs: 500,
    missingPods: 0,
    ...rest,
  };
}

/** No pods, no data (a role at zero). */
export function atZero(queuedRequests = 0, queuedPromptTokens = 0): RoleWindows {
  return {
    ...win(0, { samples: 0 }),
    dataAgeMs: Number.POSITIVE_INFINITY,
    demandAtZero: { queuedRequests, queuedPromptTokens },
  };
}
