/**
 * The policies the benchmark compares, in table order. Each is one file behind the Policy interface
 * (types.ts). The static fleet and the oracle are sized by oracle.ts, so they are not factories here.
 */
import { dynamoLoadPolicy } from './dynamo-load.js';
import { kedaPolicy } from './keda-hpa.js';
import { kpaPolicy } from './kpa.js';
import { oursPolicy } from './ours.js';
import type { PolicyFactory } from './types.js';
import { wvaPolicy } from './wva.js';

export const POLICIES: ReadonlyArray<{ name: string; create: PolicyFactory }> = [
  { name: 'ours', create: (ctx) => oursPolicy(ctx) },
  { name: 'knative-kpa', create: (ctx) => kpaPolicy(ctx) },
  { name: 'keda-hpa', create: (ctx) => kedaPolicy(ctx) },
  { name: 'llm-d-wva', create: (ctx) => wvaPolicy(ctx) },
  { name: 'dynamo-load', create: (ctx) => dynamoLoadPolicy(ctx) },
];

export type { Policy, PolicyContext, PolicyFactory, Observation, Desired } from './types.js';
