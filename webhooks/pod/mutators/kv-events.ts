/**
 * `precise-prefix` routing: vLLM publishes KV-cache events over ZMQ and the endpoint picker subscribes per
 * ready pod (pod-discovery mode, llm-d.md §2). The topic names the pod as the picker knows it, podIP and the
 * InferencePool target port, and the served model; kubelet expands $(POD_IP)/$(POD_PORT) from the env.
 */
import type { PodContext } from '../context.js';
import { addEnv, addPort, hasArg, mainContainer, type PodMutator } from './types.js';

export function kvEventsConfig(ctx: PodContext): Record<string, unknown> {
  return {
    enable_kv_cache_events: true,
    publisher: 'zmq',
    endpoint: `tcp://*:${ctx.injection.kvEventsPort}`,
    topic: `kv@$(POD_IP):$(POD_PORT)@${ctx.model}`,
  };
}

export const kvEventsMutator: PodMutator = {
  name: 'kv-events',
  wants: (ctx) => ctx.settings.routing === 'precise-prefix',
  needsArgs: true,
  apply(pod, ctx) {
    const main = mainContainer(pod, ctx);
    if (!hasArg(main, '--kv-events-config'))
      main.args = [...(main.args ?? []), '--kv-events-config', JSON.stringify(kvEventsConfig(ctx))];
    addEnv(main, 'POD_IP', { valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    addEnv(main, 'POD_PORT', { value: String(ctx.servingPort) });
    addPort(main, ctx.injection.kvEventsPort, 'kv-events');
    return [];
  },
};
