/**
 * A strict JSON schema of the EndpointPickerConfig as llm-d-router v0.9.0 decodes it, written by hand from the
 * Go structs at that tag (github.com/llm-d/llm-d-router, tag v0.9.0; paths below are relative to it), plus the
 * loader's cross-checks that no JSON schema expresses (`loaderProblems`).
 *
 * How v0.9.0 decodes (pkg/epp/config/loader/configloader.go): the document with
 * `serializer.NewCodecFactory(scheme, serializer.EnableStrict)` (unknown and duplicate fields are errors), then
 * each plugin's `parameters` with `fwkplugin.StrictDecoder` = `json.Decoder.DisallowUnknownFields()`
 * (pkg/epp/framework/interface/plugin/registry.go). So an unknown key anywhere fails the EPP at start
 * (CrashLoopBackOff). Stricter here than upstream, on purpose:
 * - property names are matched exactly (Go's encoding/json would also accept another letter case);
 * - plugins whose factory ignores its parameters (`_ *json.Decoder`) accept none here (we emit none);
 * - only the plugin types kserve-llmd emits are modeled; any other type is rejected until its schema is added;
 * - nested objects we never emit (the kv-cache indexer and token-processor configs, the UDS tokenizer config)
 *   are accepted as objects without modeling their fields.
 * Fields marked deprecated at v0.9.0 are listed in DEPRECATED_PARAMETERS: accepted by the EPP, never emitted.
 */
import type { AnySchemaObject } from 'ajv';

export const PINNED = { repository: 'llm-d/llm-d-router', tag: 'v0.9.0' } as const;

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const ref = (): AnySchemaObject => ({
  type: 'object',
  additionalProperties: false,
  required: ['pluginRef'],
  properties: { pluginRef: str },
});
const strict = (properties: Record<string, AnySchemaObject>, more: AnySchemaObject = {}): AnySchemaObject => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...more,
});
/** A Go time.Duration string as time.ParseDuration accepts it (e.g. 5s, 1m30s, 250ms). */
const goDuration = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' } as const;
/** A resource.Quantity: a string in quantity syntax or a number (k8s.io/apimachinery). */
const quantity = {
  anyOf: [{ type: 'string', pattern: '^[+-]?[0-9.]+([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$' }, { type: 'number' }],
};
/** Parameters of a factory that ignores them (`_ *json.Decoder`): we send none. */
const NONE: AnySchemaObject = { not: {} };

/**
 * Parameter schema per plugin type, with the file its Go struct and factory live in
 * (pkg/epp/framework/plugins/…). Registration of every type: cmd/epp/runner/runner.go.
 */
export const PLUGIN_PARAMETERS: Record<string, { file: string; schema: AnySchemaObject }> = {
  'queue-scorer': {
    file: 'scheduling/scorer/queuedepth/queue.go (QueueScorerFactory ignores parameters)',
    schema: NONE,
  },
  'kv-cache-utilization-scorer': {
    file: 'scheduling/scorer/kvcacheutilization/kvcache_utilization.go (factory ignores parameters)',
    schema: NONE,
  },
  'prefix-cache-scorer': {
    file: 'scheduling/scorer/prefix/plugin.go (Config)',
    schema: strict({ prefixMatchInfoProducerName: str }),
  },
  'approx-prefix-cache-producer': {
    file: 'requestcontrol/dataproducer/approximateprefix/types.go (config), plugin.go (ApproxPrefixCacheFactory)',
    schema: strict(
      {
        autoTune: bool,
        blockSizeTokens: int,
        blockSize: int,
        maxPrefixBlocksToMatch: int,
        maxPrefixTokensToMatch: { type: 'integer', minimum: 0 },
        lruCapacityPerServer: int,
      },
      // newDataProducer: "BlockSizeTokens must be > 0 when AutoTune is disabled" (default 16 when absent).
      {
        if: { required: ['autoTune'], properties: { autoTune: { const: false } } },
        then: { properties: { blockSizeTokens: { type: 'integer', minimum: 1 } } },
      },
    ),
  },
  'no-hit-lru-scorer': {
    file: 'scheduling/scorer/nohitlru/no_hit_lru.go (Parameters)',
    schema: strict({ prefixPluginType: str, prefixPluginName: str, lruSize: int, prefixMatchInfoProducerName: str }),
  },
  'endpoint-notification-source': {
    file: 'datalayer/source/notifications/factory.go (EndpointSourceFactory ignores parameters)',
    schema: NONE,
  },
  'token-producer': {
    file:
      'requestcontrol/dataproducer/tokenizer/tokenizer.go (tokenizerPluginConfig, PluginFactory), ' +
      'vllm_http.go (vllmConfig)',
    schema: strict(
      {
        // tokenization.UdsTokenizerConfig of llm-d-kv-cache: deprecated backend, not modeled.
        udsTokenizerConfig: { type: 'object' },
        vllm: strict({ url: { type: 'string', pattern: '^https?://' }, timeout: goDuration, mmTimeout: goDuration }),
        estimate: strict({
          image: strict({
            mode: { enum: ['dynamic', 'static'] },
            defaultResolution: strict({ width: int, height: int }),
            static: strict({ staticToken: int }),
            dynamic: strict({ factor: int }),
          }),
        }),
        modelName: str,
      },
      {
        allOf: [
          // "only one of 'estimate', 'vllm', or 'udsTokenizerConfig' may be set" (modelName selects vllm too)
          { not: { required: ['estimate', 'vllm'] } },
          { not: { required: ['estimate', 'modelName'] } },
          { not: { required: ['estimate', 'udsTokenizerConfig'] } },
          { not: { required: ['udsTokenizerConfig', 'vllm'] } },
          // "'modelName' must be specified" for the vllm and UDS backends
          {
            if: { required: ['vllm'] },
            then: { required: ['modelName'], properties: { modelName: { minLength: 1 } } },
          },
          {
            if: { required: ['udsTokenizerConfig'] },
            then: { required: ['modelName'], properties: { modelName: { minLength: 1 } } },
          },
        ],
      },
    ),
  },
  'precise-prefix-cache-producer': {
    file:
      'requestcontrol/dataproducer/preciseprefixcache/producer.go (PluginConfig); kvEventsConfig is ' +
      'kvevents.Config of llm-d-kv-cache v0.9.0, pkg/kvevents/pool.go (Config, PodDiscoveryConfig)',
    schema: strict({
      tokenProcessorConfig: { type: 'object' },
      // PluginFactory: "tokenizersPoolConfig is not supported; configure a token-producer plugin instead".
      indexerConfig: { type: 'object', not: { required: ['tokenizersPoolConfig'] } },
      kvEventsConfig: strict({
        zmqEndpoint: str,
        topicFilter: str,
        concurrency: int,
        engineType: { enum: ['vllm', 'sglang'] },
        discoverPods: bool,
        podDiscoveryConfig: strict({ podLabelSelector: str, podNamespace: str, socketPort: int }),
      }),
      speculativeIndexing: bool,
      speculativeTTL: goDuration,
    }),
  },
  'prefix-based-pd-decider': {
    file: 'scheduling/profilehandler/disagg/prefix_based_pd_decider.go (PrefixBasedPDDeciderConfig)',
    schema: strict({ nonCachedTokens: { type: 'integer', minimum: 0 } }),
  },
  'disagg-profile-handler': {
    file: 'scheduling/profilehandler/disagg/disagg_profile_handler.go (nested parameters, or the legacy flat ones)',
    schema: {
      anyOf: [
        strict({
          profiles: strict({ decode: str, prefill: str, encode: str }),
          deciders: strict({ prefill: str, encode: str }),
        }),
        strict({
          decodeProfile: str,
          prefillProfile: str,
          encodeProfile: str,
          prefillDeciderPluginName: str,
          encodeDeciderPluginName: str,
          deciderPluginName: str,
        }),
      ],
    },
  },
  'prefill-filter': {
    file: 'scheduling/filter/bylabel/roles.go (PrefillRoleFactory ignores parameters)',
    schema: NONE,
  },
  'decode-filter': { file: 'scheduling/filter/bylabel/roles.go (DecodeRoleFactory ignores parameters)', schema: NONE },
  'max-score-picker': {
    file: 'scheduling/picker/maxscore/picker.go, picker/common.go (PickerParameters)',
    schema: strict({ maxNumOfEndpoints: int }),
  },
};

/** Accepted at v0.9.0 but deprecated (or "never used") there: kserve-llmd must not emit them. */
export const DEPRECATED_PARAMETERS = [
  'no-hit-lru-scorer.prefixPluginType',
  'no-hit-lru-scorer.prefixPluginName',
  'approx-prefix-cache-producer.blockSize',
  'approx-prefix-cache-producer.maxPrefixBlocksToMatch',
  'token-producer.udsTokenizerConfig',
] as const;

/** Registered feature gates (cmd/epp/runner/runner.go: ExperimentalDatalayerFeatureGate, flowcontrol.FeatureGate). */
export const FEATURE_GATES = ['dataLayer', 'flowControl'] as const;

const priorityBand = strict({
  priority: int,
  maxBytes: quantity,
  maxRequests: quantity,
  fairnessPolicyRef: str,
  orderingPolicyRef: str,
});

const pluginSpec: AnySchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { name: str, type: { enum: Object.keys(PLUGIN_PARAMETERS) }, parameters: {} },
  allOf: Object.entries(PLUGIN_PARAMETERS).map(([type, p]) => ({
    if: { required: ['type'], properties: { type: { const: type } } },
    then: { properties: { parameters: p.schema } },
  })),
};

/** EndpointPickerConfig (apix/config/v1alpha1/endpointpickerconfig_types.go). */
export const ENDPOINT_PICKER_CONFIG_SCHEMA: AnySchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind'],
  properties: {
    // configloader.go: configapi.Install (llm-d.ai/v1alpha1, zz_generated.register.go) and the deprecated
    // inference.networking.x-k8s.io/v1alpha1, which logs a deprecation.
    apiVersion: { const: 'llm-d.ai/v1alpha1' },
    kind: { const: 'EndpointPickerConfig' },
    featureGates: { type: 'array', items: { enum: [...FEATURE_GATES] } },
    plugins: { type: 'array', items: pluginSpec },
    schedulingProfiles: {
      type: 'array',
      items: strict(
        {
          name: { type: 'string', minLength: 1 },
          plugins: {
            type: 'array',
            items: strict(
              { pluginRef: { type: 'string', minLength: 1 }, weight: { type: 'number' } },
              { required: ['pluginRef'] },
            ),
          },
        },
        { required: ['name', 'plugins'] },
      ),
    },
    dataLayer: strict({
      injectDefaults: bool,
      sources: {
        type: 'array',
        items: strict(
          { pluginRef: str, extractors: { type: 'array', items: ref() } },
          { required: ['pluginRef', 'extractors'] },
        ),
      },
      discovery: ref(),
    }),
    flowControl: strict({
      maxBytes: quantity,
      maxRequests: quantity,
      defaultRequestTTL: goDuration,
      defaultPriorityBand: priorityBand,
      defaultNegativePriorityBand: priorityBand,
      priorityBands: { type: 'array', items: priorityBand },
      usageLimitPolicyPluginRef: str,
      saturationDetector: strict({ pluginRef: str }),
    }),
    requestHandler: strict({ parsers: { type: 'array', items: ref() } }),
    // Deprecated top-level forms (flowControl.saturationDetector, requestHandler.parsers replace them).
    saturationDetector: strict({ pluginRef: str }),
    parser: ref(),
  },
};

/** Data-source plugin types a dataLayer source may name (datalayer/source/*: …Type constants). */
const DATA_SOURCES = [
  'endpoint-notification-source',
  'k8s-notification-source',
  'metrics-data-source',
  'models-data-source',
];
const PRODUCERS = ['approx-prefix-cache-producer', 'precise-prefix-cache-producer'];
const HANDLERS = [
  'disagg-profile-handler',
  'single-profile-handler',
  'pd-profile-handler',
  'data-parallel-profile-handler',
];

interface Plugin {
  name?: string;
  type: string;
  parameters?: Record<string, any>;
}

/** instantiatePlugins: unique names; disagg-profile-handler resolves deciders.prefill with handle.Plugin() at
 * instantiation, so the decider must come earlier. */
function pluginOrderProblems(plugins: Plugin[]): { seen: Map<string, Plugin>; problems: string[] } {
  const seen = new Map<string, Plugin>();
  const problems: string[] = [];
  for (const p of plugins) {
    const name = p.name || p.type; // applyStaticDefaults: the name defaults to the type
    if (seen.has(name)) problems.push(`duplicate plugin name '${name}'`);
    const decider = p.type === 'disagg-profile-handler' ? p.parameters?.deciders?.prefill : undefined;
    if (decider && !seen.has(decider)) problems.push(`deciders.prefill plugin not found: ${decider}`);
    seen.set(name, p);
  }
  return { seen, problems };
}

/** validation.go validateSchedulingProfiles; configloader.go buildSchedulerConfig (one handler; defaults.go
 * injects single-profile-handler only for a single profile). */
function profileProblems(config: any, plugins: Plugin[], defined: (ref: string, where: string) => unknown): string[] {
  const problems: string[] = [];
  const profiles: any[] = config.schedulingProfiles ?? [];
  const names = new Set<string>();
  for (const prof of profiles) {
    if (names.has(prof.name)) problems.push(`schedulingProfiles has duplicate name '${prof.name}'`);
    names.add(prof.name);
    for (const r of prof.plugins ?? []) defined(r.pluginRef, `schedulingProfiles[${prof.name}]`);
  }
  const handlers = plugins.filter((p) => HANDLERS.includes(p.type));
  if (handlers.length > 1) problems.push('multiple profile handlers found; only one is allowed');
  if (profiles.length > 1 && handlers.length === 0) problems.push('no profile handler configured');
  return problems;
}

/** configloader.go buildDataLayerConfig: every source is a DataSource plugin, every extractor a defined one. */
function dataLayerProblems(config: any, defined: (ref: string, where: string) => Plugin | undefined): string[] {
  const problems: string[] = [];
  for (const s of config.dataLayer?.sources ?? []) {
    const src = defined(s.pluginRef, 'dataLayer source');
    if (src && !DATA_SOURCES.includes(src.type)) problems.push(`the plugin ${s.pluginRef} is not a fwkdl.DataSource`);
    for (const e of s.extractors ?? []) defined(e.pluginRef, 'dataLayer extractor');
  }
  return problems;
}

/**
 * What the v0.9.0 loader checks beyond decoding (pkg/epp/config/loader/configloader.go instantiatePlugins,
 * buildSchedulerConfig, buildDataLayerConfig; validation.go; defaults.go ensureSchedulingLayer), and the
 * factories' look-ups of other plugins. Returns one message per problem.
 */
export function loaderProblems(config: any): string[] {
  const plugins: Plugin[] = config.plugins ?? [];
  const { seen, problems } = pluginOrderProblems(plugins);
  const defined = (ref: string, where: string): Plugin | undefined => {
    const p = seen.get(ref);
    if (!p) problems.push(`${where} references undefined plugin '${ref}'`);
    return p;
  };
  problems.push(...profileProblems(config, plugins, defined));
  problems.push(...dataLayerProblems(config, defined));
  // The data-layer DAG needs the named producer (plugin.DataKey "PrefixCacheMatchInfo/<producer>").
  for (const p of plugins) {
    const producer = p.parameters?.prefixMatchInfoProducerName;
    if (producer !== undefined && !PRODUCERS.includes(seen.get(producer)?.type ?? ''))
      problems.push(`${p.name || p.type}: prefixMatchInfoProducerName '${producer}' names no prefix-cache producer`);
  }
  return problems;
}
