/**
 * The EndpointPickerConfig, one concern per builder, in the order their plugins appear. Each builder says
 * when it applies and cites where its plugins and weights come from (llm-d.md §2–§4, §7).
 */
import { LABELS } from '../../src/names.js';
import type { EppBuilder } from './types.js';

/** CPU-tier hits count less than GPU hits: the KV must be copied back first (llm-d-kv-cache tier weights gpu 1.0 / cpu 0.8). */
const CPU_TIER_FACTOR = 0.8;
const PREFIX_WEIGHT = 3;

export const EPP_BUILDERS: readonly EppBuilder[] = [
  {
    // Load balance: the router chart's defaults, queue-scorer 2 + kv-cache-utilization-scorer 2 next to prefix 3
    // (routerlib default-plugins.yaml); the precise guide uses 1/1 next to prefix 2 (llm-d.md §2).
    name: 'load-scorers',
    when: () => true,
    build: (i) => {
      const w = i.routing === 'precise-prefix' ? 1 : 2;
      return {
        plugins: [{ type: 'queue-scorer' }, { type: 'kv-cache-utilization-scorer' }],
        scorers: [
          { pluginRef: 'queue-scorer', weight: w },
          { pluginRef: 'kv-cache-utilization-scorer', weight: w },
        ],
      };
    },
  },
  {
    // Approximate prefix affinity: prefix-cache-scorer 3; its approx-prefix-cache-producer is injected on demand.
    name: 'approx-prefix',
    when: (i) => i.routing === 'prefix-aware' && !i.kvOffload,
    build: () => ({
      plugins: [{ type: 'prefix-cache-scorer' }],
      scorers: [{ pluginRef: 'prefix-cache-scorer', weight: PREFIX_WEIGHT }],
    }),
  },
  {
    // KV offload, router side (llm-d.md §4, tiered-prefix-cache guide): two approximate producers, GPU (auto-tuned
    // from vllm:cache_config_info) and CPU (autoTune off, LRU sized to the CPU tier), each feeding a
    // prefix-cache-scorer, plus no-hit-lru-scorer to spread cold prompts.
    name: 'tiered-prefix',
    when: (i) => i.routing === 'prefix-aware' && i.kvOffload !== null,
    build: (i) => {
      const cpuBlocks = Math.max(1, Math.floor((i.kvOffload?.cpuBytes ?? 0) / i.kvBytesPerBlock));
      return {
        plugins: [
          { name: 'gpu-prefix-cache-producer', type: 'approx-prefix-cache-producer' },
          {
            name: 'cpu-prefix-cache-producer',
            type: 'approx-prefix-cache-producer',
            parameters: { autoTune: false, lruCapacityPerServer: cpuBlocks },
          },
          {
            name: 'gpu-prefix-cache-scorer',
            type: 'prefix-cache-scorer',
            parameters: { prefixMatchInfoProducerName: 'gpu-prefix-cache-producer' },
          },
          {
            name: 'cpu-prefix-cache-scorer',
            type: 'prefix-cache-scorer',
            parameters: { prefixMatchInfoProducerName: 'cpu-prefix-cache-producer' },
          },
          { type: 'no-hit-lru-scorer', parameters: { prefixPluginName: 'gpu-prefix-cache-scorer' } },
        ],
        scorers: [
          { pluginRef: 'gpu-prefix-cache-scorer', weight: PREFIX_WEIGHT },
          { pluginRef: 'cpu-prefix-cache-scorer', weight: PREFIX_WEIGHT * CPU_TIER_FACTOR },
          { pluginRef: 'no-hit-lru-scorer', weight: 2 },
        ],
      };
    },
  },
  {
    // Precise prefix (llm-d.md §2): vLLM publishes KV events over ZMQ; pod-discovery mode (each pod binds the
    // port, the EPP subscribes per ready pod) selected by this pool's label, so no other pool's pods are read.
    // The index tracks both tiers by medium, so KV offload needs no second producer here.
    name: 'precise-prefix',
    when: (i) => i.routing === 'precise-prefix',
    build: (i) => ({
      plugins: [
        { type: 'endpoint-notification-source' },
        // The precise index is keyed by real token blocks, so the prompt must be tokenized as vLLM does: a vLLM
        // token-producer rendering on the pool's own pods (`/v1/*/render`, reached through the InferencePool
        // target port, which the routing sidecar passes through). Without it the EPP falls back to byte
        // estimates and "silently degrades precise cache correlation" (llm-d-router
        // pkg/epp/framework/plugins/requestcontrol/dataproducer/tokenizer/README.md).
        { type: 'token-producer', parameters: { modelName: i.pool, vllm: { endpointDiscovery: {} } } },
        {
          type: 'precise-prefix-cache-producer',
          parameters: {
            kvEventsConfig: {
              topicFilter: 'kv@',
              concurrency: 4,
              discoverPods: true,
              podDiscoveryConfig: {
                podLabelSelector: `${LABELS.pool}=${i.pool}`,
                podNamespace: i.namespace,
                socketPort: i.kvEventsPort,
              },
            },
          },
        },
        { type: 'prefix-cache-scorer', parameters: { prefixMatchInfoProducerName: 'precise-prefix-cache-producer' } },
      ],
      scorers: [{ pluginRef: 'prefix-cache-scorer', weight: 2 }],
      sources: [
        { pluginRef: 'endpoint-notification-source', extractors: [{ pluginRef: 'precise-prefix-cache-producer' }] },
      ],
    }),
  },
  {
    // P/D (llm-d.md §3): decode first, then prefix-based-pd-decider adds a prefill pod when enough of the prompt
    // is not cached on the chosen decode pod; role filters pick pods by llm-d.ai/role.
    name: 'prefill-decode',
    when: (i) => i.disaggregation === 'prefill-decode',
    build: (i) => ({
      plugins: [
        { type: 'prefix-based-pd-decider', parameters: { nonCachedTokens: i.pdNonCachedTokens } },
        // Stage → scheduling profile named explicitly (llm-d-router docs/disaggregation.md), not left to defaults.
        {
          type: 'disagg-profile-handler',
          parameters: {
            profiles: { prefill: 'prefill', decode: 'decode' },
            deciders: { prefill: 'prefix-based-pd-decider' },
          },
        },
        { type: 'prefill-filter' },
        { type: 'decode-filter' },
      ],
    }),
  },
  {
    // Scale from zero (llm-d.md §7): flow control holds requests in the EPP while the pool has no endpoint, and
    // its queue metric is what wakes the autoscaler; without it a request at zero fails at once.
    name: 'flow-control',
    when: (i) => i.decodeReplicas.min === 0 || (i.disaggregation === 'prefill-decode' && i.prefillReplicas.min === 0),
    build: () => ({ featureGates: ['flowControl'] }),
  },
  {
    name: 'picker',
    when: () => true,
    build: () => ({ plugins: [{ type: 'max-score-picker' }] }),
  },
];
