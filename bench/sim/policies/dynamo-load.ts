/**
 * NVIDIA Dynamo load-based planner, current `load_scaling.py` in "latency" mode (ai-dynamo/dynamo
 * components/src/dynamo/planner/core/load_scaling.py @0c6da1ec and config/defaults.py @1ca60155, autoscaling.md §1.2):
 * every 5 s, with ≥ 5 observations, per engine:
 *   prefill: queued_prefill_tokens / context_length — up when any engine ≥ 0.1, down when all == 0;
 *   decode:  (scheduled_kv + queued_kv) / max_kv_tokens — up when any engine > 0.4, down when all < 0.1
 *            (aggregated engines add the queued prefill tokens to the numerator);
 * ±1 per tick, no change while a worker is starting, min_endpoint 1 (Dynamo never scales to zero).
 * Latency mode is the one meant for latency SLOs; context_length = max_model_len (131,072 for Llama-3.1).
 */
import type { EngineSnapshot, Policy, PolicyContext, Role, RoleObservation } from './types.js';

export interface DynamoLoadOptions {
  intervalS: number;
  minObservations: number;
  contextLength: number;
  prefillUp: number;
  prefillDown: number;
  decodeUp: number;
  decodeDown: number;
  minEndpoint: number;
}

export const DYNAMO_LOAD_DEFAULTS: DynamoLoadOptions = {
  intervalS: 5,
  minObservations: 5,
  contextLength: 131_072,
  prefillUp: 0.1,
  prefillDown: 0,
  decodeUp: 0.4,
  decodeDown: 0.1,
  minEndpoint: 1,
};

function load(role: Role, e: EngineSnapshot, o: DynamoLoadOptions, kvCapacity: number, aggregated: boolean): number {
  if (role === 'prefill') return e.queuedPrefillTokens / o.contextLength;
  return (e.kvTokens + (aggregated ? e.queuedPrefillTokens : 0)) / kvCapacity;
}

class DynamoRole {
  private samples = new Map<string, number[]>();
  private last = 0;
  desired: number;

  constructor(
    private readonly role: Role,
    private readonly o: DynamoLoadOptions,
    initial: number,
    private readonly kvCapacity: number,
    private readonly aggregated: boolean,
  ) {
    this.desired = Math.max(o.minEndpoint, initial);
  }

  step(now: number, r: RoleObservation): number {
    for (const e of r.engines) {
      const xs = this.samples.get(e.id) ?? [];
      xs.push(load(this.role, e, this.o, this.kvCapacity, this.aggregated));
      if (xs.length > this.o.minObservations) xs.shift();
      this.samples.set(e.id, xs);
    }
    if (now - this.last < this.o.intervalS) return this.desired;
    this.last = now;
    const live = new Set(r.engines.map((e) => e.id));
    for (const id of [...this.samples.keys()]) if (!live.has(id)) this.samples.delete(id);
    if (r.starting > 0) return this.desired;
    const means = [...this.samples.values()]
      .filter((xs) => xs.length >= this.o.minObservations)
      .map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
    if (means.length === 0) return this.desired;
    const [up, down] =
      this.role === 'prefill' ? [this.o.prefillUp, this.o.prefillDown] : [this.o.decodeUp, this.o.decodeDown];
    const upCmp = this.role === 'prefill' ? (x: number) => x >= up : (x: number) => x > up;
    const downCmp = this.role === 'prefill' ? (x: number) => x <= down : (x: number) => x < down;
    if (means.some(upCmp)) this.desired = r.replicas + 1;
    else if (means.every(downCmp)) this.desired = Math.max(this.o.minEndpoint, r.replicas - 1);
    return this.desired;
  }
}

export function dynamoLoadPolicy(ctx: PolicyContext, o: DynamoLoadOptions = DYNAMO_LOAD_DEFAULTS): Policy {
  const agg = !ctx.disaggregated;
  const decode = new DynamoRole('decode', o, ctx.initial.decode, ctx.preset.kvCapacityTokens, agg);
  const prefill = new DynamoRole('prefill', o, ctx.initial.prefill, ctx.preset.kvCapacityTokens, false);
  return {
    name: 'dynamo-load',
    step(obs) {
      return {
        decode: decode.step(obs.now, obs.decode),
        prefill: obs.prefill ? prefill.step(obs.now, obs.prefill) : 0,
      };
    },
  };
}
