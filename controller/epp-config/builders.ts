/**
 * The EndpointPickerConfig, one concern per builder, in the order their plugins appear. Each builder says
 * when it applies and cites where its plugins and weights come from (llm-d.md §2–§4, §7).
 */
import type { EppBuilder } from './types.js';

/**
 * CPU-tier hits count less than GPU hits: the KV must be copied back first (llm-d-kv-cache tier weights gpu 1.0 / cpu
 * 0.8).
 */
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
    // prefix-cache-scorer, plus no-hit-lru-scorer to spread cold prompts. Parameters as the v0.9.0 factories
    // decode them: approx-prefix-cache-producer `config` (dataproducer/approximateprefix/types.go),
    // prefix-cache-scorer `prefixMatchInfoProducerName` (scheduling/scorer/prefix/plugin.go), no-hit-lru-scorer
    // `prefixMatchInfoProducerName` (scheduling/scorer/nohitlru/no_hit_lru.go; its `prefixPluginName` is
    // "Deprecated: This field was never used" there).
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
          // "Cold" = no KV for the prompt in any tier. Both producers index every routed prompt, and the CPU
          // tier's LRU is the larger, so its match info is the one that says whether any tier holds the prefix;
          // a prompt held only in CPU memory is not cold and gets the neutral 0.5, letting the CPU-tier scorer
          // pull it to its pod.
          { type: 'no-hit-lru-scorer', parameters: { prefixMatchInfoProducerName: 'cpu-prefix-cache-producer' } },
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
    // port, the EPP subscribes per pool endpoint). At v0.9.0 the subscriptions follow the endpoints the
    // endpoint-notification-source reports (the pool's), dialled at `socketPort` + DP rank; the kv-cache
    // `podLabelSelector`/`podNamespace` keys are accepted but read by nothing in the router, so not emitted
    // (dataproducer/preciseprefixcache/extractor.go; kvevents.Config of llm-d-kv-cache, pkg/kvevents/pool.go).
    // The index tracks both tiers by medium, so KV offload needs no second producer here.
    name: 'precise-prefix',
    when: (i) => i.routing === 'precise-prefix',
    build: (i) => ({
      plugins: [
        { type: 'endpoint-notification-source' },
        // The precise index is keyed by real token blocks, so the prompt must be tokenized as vLLM does: the
        // token-producer's vLLM backend renders on the pool's own pods through the tokenizer Service
        // (controller/objects/tokenizer.ts). Its only parameters at v0.9.0: modelName, vllm{url,timeout,mmTimeout},
        // estimate, udsTokenizerConfig (dataproducer/tokenizer/tokenizer.go, vllm_http.go).
        { type: 'token-producer', parameters: { modelName: i.modelName, vllm: { url: i.tokenizerUrl } } },
        {
          type: 'precise-prefix-cache-producer',
          parameters: {
            kvEventsConfig: {
              topicFilter: 'kv@',
              concurrency: 4,
              discoverPods: true,
              podDiscoveryConfig: { socketPort: i.kvEventsPort },
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
