/** Table tests of the pure desired-state builders and the EndpointPickerConfig, field by field. */
import yaml from 'js-yaml';
import { inSync, isSubset, mergeForUpdate } from '../../controller/compare.js';
import { defaultControllerConfig, validateControllerConfig } from '../../controller/config.js';
import { eppConfig, eppConfigYaml, type EppInputs } from '../../controller/epp-config/index.js';
import { desiredObjects, desiredState } from '../../controller/objects/index.js';
import { childName } from '../../controller/objects/meta.js';
import { withServedModelName } from '../../controller/objects/prefill-sibling.js';
import { CONTROLLER } from '../../core/names.js';
import type { InferenceService } from '../../src/types/kube.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { isvc } from '../support/fixtures.js';
import { expectValid } from '../support/schema.js';

const config = defaultControllerConfig();
const GPU = {
  model: {
    modelFormat: { name: 'vLLM' },
    storageUri: 'hf://m/m',
    resources: { limits: { 'nvidia.com/gpu': '1', memory: '400Gi' } },
  },
};

function mutated(annotations: Record<string, string>, name = 'llama'): InferenceService {
  const out = mutateInferenceService(
    { ...isvc(annotations, GPU, name), metadata: { ...isvc(annotations, GPU, name).metadata, uid: 'uid-1' } },
    config.webhook,
  );
  if (out.kind !== 'mutated') throw new Error(JSON.stringify(out));
  return out.object;
}

const base: EppInputs = {
  pool: 'llama',
  namespace: 'models',
  routing: 'prefix-aware',
  disaggregation: 'none',
  kvOffload: null,
  decodeReplicas: { min: 1, max: 4 },
  prefillReplicas: { min: 0, max: 4 },
  kvEventsPort: 5557,
  modelName: 'llama',
  tokenizerUrl: 'http://llama-tokenizer.models.svc:8000',
  pdNonCachedTokens: 16,
  kvBytesPerBlock: 2_439_024,
};
const profile = (c: ReturnType<typeof eppConfig>, name: string) =>
  c.schedulingProfiles
    .find((p) => p.name === name)
    ?.plugins.map((p) => `${p.pluginRef}${p.weight !== undefined ? `:${p.weight}` : ''}`);

describe('EndpointPickerConfig (llm-d.md §2)', () => {
  it.each<[string, Partial<EppInputs>, Record<string, string[] | undefined>, string[] | undefined]>([
    [
      'prefix-aware: router chart defaults',
      {},
      { default: ['queue-scorer:2', 'kv-cache-utilization-scorer:2', 'prefix-cache-scorer:3', 'max-score-picker'] },
      undefined,
    ],
    [
      'load-aware: no prefix scoring',
      { routing: 'load-aware' },
      { default: ['queue-scorer:2', 'kv-cache-utilization-scorer:2', 'max-score-picker'] },
      undefined,
    ],
    [
      'precise-prefix: precise guide weights',
      { routing: 'precise-prefix' },
      { default: ['queue-scorer:1', 'kv-cache-utilization-scorer:1', 'prefix-cache-scorer:2', 'max-score-picker'] },
      undefined,
    ],
    [
      'decode may scale to zero → flow control',
      { decodeReplicas: { min: 0, max: 2 } },
      { default: ['queue-scorer:2', 'kv-cache-utilization-scorer:2', 'prefix-cache-scorer:3', 'max-score-picker'] },
      ['flowControl'],
    ],
    [
      'P/D: prefill and decode profiles behind role filters',
      { disaggregation: 'prefill-decode', prefillReplicas: { min: 1, max: 4 } },
      {
        prefill: [
          'prefill-filter',
          'queue-scorer:2',
          'kv-cache-utilization-scorer:2',
          'prefix-cache-scorer:3',
          'max-score-picker',
        ],
        decode: [
          'decode-filter',
          'queue-scorer:2',
          'kv-cache-utilization-scorer:2',
          'prefix-cache-scorer:3',
          'max-score-picker',
        ],
        default: undefined,
      },
      undefined,
    ],
    [
      'P/D with prefill at zero → flow control',
      { disaggregation: 'prefill-decode' },
      { default: undefined },
      ['flowControl'],
    ],
    [
      'KV offload: GPU and CPU tier scorers + no-hit LRU',
      { kvOffload: { cpu: '100Gi', cpuBytes: 100 * 2 ** 30 } },
      {
        default: [
          'queue-scorer:2',
          'kv-cache-utilization-scorer:2',
          'gpu-prefix-cache-scorer:3',
          'cpu-prefix-cache-scorer:2.4',
          'no-hit-lru-scorer:2',
          'max-score-picker',
        ],
      },
      undefined,
    ],
  ])('%s', (_name, over, profiles, gates) => {
    const c = eppConfig({ ...base, ...over });
    expect(c.apiVersion).toBe('llm-d.ai/v1alpha1');
    expect(c.kind).toBe('EndpointPickerConfig');
    expect(c.featureGates).toEqual(gates);
    for (const [name, refs] of Object.entries(profiles)) expect(profile(c, name)).toEqual(refs);
    // Every pluginRef names a defined plugin (name, or type when unnamed), and names are unique.
    const names = c.plugins.map((p) => p.name ?? p.type);
    expect(new Set(names).size).toBe(names.length);
    for (const p of c.schedulingProfiles.flatMap((s) => s.plugins)) expect(names).toContain(p.pluginRef);
    for (const s of c.dataLayer?.sources ?? [])
      for (const ref of [s.pluginRef, ...s.extractors.map((e) => e.pluginRef)]) expect(names).toContain(ref);
  });

  it('P/D: decider, handler wiring and threshold', () => {
    const c = eppConfig({ ...base, disaggregation: 'prefill-decode' });
    expect(c.plugins).toEqual(
      expect.arrayContaining([
        { type: 'prefix-based-pd-decider', parameters: { nonCachedTokens: 16 } },
        {
          type: 'disagg-profile-handler',
          parameters: {
            profiles: { prefill: 'prefill', decode: 'decode' },
            deciders: { prefill: 'prefix-based-pd-decider' },
          },
        },
      ]),
    );
  });

  it('precise-prefix: KV events per pool endpoint, real tokens from the pool, data layer source', () => {
    const c = eppConfig({ ...base, routing: 'precise-prefix' });
    const producer = c.plugins.find((p) => p.type === 'precise-prefix-cache-producer')!;
    // Only keys llm-d-router v0.9.0 reads: subscriptions follow the pool's endpoints, dialled at socketPort.
    expect(producer.parameters).toEqual({
      kvEventsConfig: {
        topicFilter: 'kv@',
        concurrency: 4,
        discoverPods: true,
        podDiscoveryConfig: { socketPort: 5557 },
      },
    });
    expect(c.plugins.find((p) => p.type === 'prefix-cache-scorer')!.parameters).toEqual({
      prefixMatchInfoProducerName: 'precise-prefix-cache-producer',
    });
    // Real tokens: the token-producer's vLLM backend renders on the pool's pods (the tokenizer Service), never
    // on its default http://localhost:8000 inside the EPP pod.
    const tokens = c.plugins.findIndex((p) => p.type === 'token-producer');
    expect(c.plugins[tokens]!.parameters).toEqual({
      modelName: 'llama',
      vllm: { url: 'http://llama-tokenizer.models.svc:8000' },
    });
    expect(tokens).toBeLessThan(c.plugins.indexOf(producer));
    expect(c.dataLayer).toEqual({
      sources: [
        { pluginRef: 'endpoint-notification-source', extractors: [{ pluginRef: 'precise-prefix-cache-producer' }] },
      ],
    });
  });

  it('KV offload: the no-hit LRU scorer reads the CPU tier match info; weights are emitted as written', () => {
    const c = eppConfig({ ...base, kvOffload: { cpu: '100Gi', cpuBytes: 100 * 2 ** 30 } });
    // prefixPluginName is "Deprecated: This field was never used" at v0.9.0; prefixMatchInfoProducerName is read.
    expect(c.plugins.find((p) => p.type === 'no-hit-lru-scorer')!.parameters).toEqual({
      prefixMatchInfoProducerName: 'cpu-prefix-cache-producer',
    });
    const text = eppConfigYaml({ ...base, kvOffload: { cpu: '100Gi', cpuBytes: 100 * 2 ** 30 } });
    expect(text).toMatch(/pluginRef: cpu-prefix-cache-scorer\n\s+weight: 2\.4\n/);
    expect(text).not.toMatch(/2\.4000/);
  });

  it('KV offload sizes the CPU-tier LRU from the cpu quantity', () => {
    const c = eppConfig({ ...base, kvOffload: { cpu: '200G', cpuBytes: 200e9 } });
    expect(c.plugins.find((p) => p.name === 'cpu-prefix-cache-producer')!.parameters).toEqual({
      autoTune: false,
      lruCapacityPerServer: 82_000,
    });
  });
});

describe('desired objects per annotation combination', () => {
  it.each<[string, Record<string, string>, string[]]>([
    [
      'defaults',
      { 'kserve-llmd.io/routing': 'prefix-aware' },
      ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Deployment', 'Service', 'InferencePool'],
    ],
    [
      'with a gateway',
      { 'kserve-llmd.io/gateway': 'gw/main' },
      ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Deployment', 'Service', 'InferencePool', 'HTTPRoute'],
    ],
    [
      'P/D',
      { 'kserve-llmd.io/disaggregation': 'prefill-decode' },
      [
        'ServiceAccount',
        'Role',
        'RoleBinding',
        'ConfigMap',
        'Deployment',
        'Service',
        'InferencePool',
        'InferenceService',
      ],
    ],
    [
      'precise + offload + zero',
      {
        'kserve-llmd.io/routing': 'precise-prefix',
        'kserve-llmd.io/kv-offload': 'cpu=100Gi',
        'kserve-llmd.io/decode-replicas': '0-2',
      },
      ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Deployment', 'Service', 'Service', 'InferencePool'],
    ],
    ['routing none', { 'kserve-llmd.io/routing': 'none' }, []],
  ])('%s: kinds, schema-valid, owned, hashed', (_n, annotations, kinds) => {
    const objs = desiredObjects(mutated(annotations), config);
    expect(objs.map((o) => o.kind)).toEqual(kinds);
    for (const o of objs) {
      expectValid(o);
      expect(o.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          name: 'llama',
          uid: 'uid-1',
          controller: true,
        },
      ]);
      expect(o.metadata?.annotations?.[CONTROLLER.hashAnnotation]).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('precise-prefix: a tokenizer Service over the pool pods, named in the EPP config with the served model', () => {
    const parent = mutated({ 'kserve-llmd.io/routing': 'precise-prefix' });
    parent.spec.predictor.model!.args = ['--served-model-name=meta-llama/Llama-3.1-8B', '--max-model-len=8192'];
    const objs = desiredObjects(parent, config);
    const svc: any = objs.find((o) => o.kind === 'Service' && o.metadata?.name === 'llama-tokenizer');
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'kserve-llmd.io/pool': 'llama' },
      ports: [{ name: 'http-render', port: 8000, targetPort: 8000, protocol: 'TCP' }],
    });
    const epp: any = yaml.load((objs.find((o) => o.kind === 'ConfigMap') as any).data['epp-config.yaml']);
    expect(epp.plugins.find((p: any) => p.type === 'token-producer').parameters).toEqual({
      modelName: 'meta-llama/Llama-3.1-8B',
      vllm: { url: 'http://llama-tokenizer.models.svc:8000' },
    });
    // Other routings have no tokenizer Service (a stale one is deleted by name).
    expect(
      desiredObjects(mutated({ 'kserve-llmd.io/routing': 'prefix-aware' }), config).filter((o) => o.kind === 'Service'),
    ).toHaveLength(1);
  });

  it.each<[string, string[]]>([
    ['none', []],
    ['kgateway', []],
    ['agentgateway', []],
    ['istio', ['DestinationRule']],
    ['gke', ['HealthCheckPolicy', 'GCPBackendPolicy']],
  ])('gateway implementation %s: its objects, schema-valid', (impl, extra) => {
    const c = validateControllerConfig({ ...config, gatewayImplementation: impl as any });
    const objs = desiredObjects(mutated({ 'kserve-llmd.io/gateway': 'gw/main' }), c);
    const common = ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Deployment', 'Service', 'InferencePool'];
    expect(objs.map((o) => o.kind).sort()).toEqual([...common, 'HTTPRoute', ...extra].sort());
    for (const o of objs) expectValid(o);
  });

  it('istio: the gateway dials the EPP Service with TLS and does not verify its self-signed certificate', () => {
    const c = { ...config, gatewayImplementation: 'istio' as const };
    const dr: any = desiredObjects(mutated({ 'kserve-llmd.io/routing': 'prefix-aware' }), c).find(
      (o) => o.kind === 'DestinationRule',
    );
    expect(dr.apiVersion).toBe('networking.istio.io/v1');
    expect(dr.metadata.name).toBe('llama-epp');
    expect(dr.spec).toEqual({
      host: 'llama-epp.models.svc.cluster.local',
      trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } },
    });
    const other: any = desiredObjects(mutated({ 'kserve-llmd.io/routing': 'prefix-aware' }), {
      ...c,
      clusterDomain: 'corp.example',
    }).find((o) => o.kind === 'DestinationRule');
    expect(other.spec.host).toBe('llama-epp.models.svc.corp.example');
  });

  it('gke: health check and backend timeout on the pool; the route carries no timeout (GKE ignores it)', () => {
    const objs = desiredObjects(mutated({ 'kserve-llmd.io/gateway': 'gw/main' }), {
      ...config,
      gatewayImplementation: 'gke',
    });
    const target = { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: 'llama' };
    expect((objs.find((o) => o.kind === 'HealthCheckPolicy') as any).spec).toEqual({
      targetRef: target,
      default: {
        timeoutSec: 2,
        checkIntervalSec: 2,
        config: { type: 'HTTP', httpHealthCheck: { requestPath: '/health', port: 8000 } },
      },
    });
    expect((objs.find((o) => o.kind === 'GCPBackendPolicy') as any).spec).toEqual({
      targetRef: target,
      default: { timeoutSec: 600 },
    });
    expect((objs.find((o) => o.kind === 'HTTPRoute') as any).spec.rules[0].timeouts).toBeUndefined();
    const other: any = desiredObjects(mutated({ 'kserve-llmd.io/gateway': 'gw/main' }), config).find(
      (o) => o.kind === 'HTTPRoute',
    );
    expect(other.spec.rules[0].timeouts).toEqual({ request: '600s' });
  });

  it('EPP Role: read-only, InferenceObjectives and InferenceModelRewrites in both API groups', () => {
    const role: any = desiredObjects(mutated({ 'kserve-llmd.io/routing': 'prefix-aware' }), config).find(
      (o) => o.kind === 'Role',
    );
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['inference.networking.k8s.io'], resources: ['inferencepools'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['llm-d.ai'],
        resources: ['inferenceobjectives', 'inferencemodelrewrites'],
        verbs: ['get', 'list', 'watch'],
      },
      {
        apiGroups: ['inference.networking.x-k8s.io'],
        resources: ['inferenceobjectives', 'inferencemodelrewrites'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
  });

  it('InferencePool: pool label selector, port 8000, EPP Service 9002 with FailOpen', () => {
    const pool = desiredObjects(mutated({ 'kserve-llmd.io/routing': 'prefix-aware' }), config).find(
      (o) => o.kind === 'InferencePool',
    )!;
    expect(pool.spec).toEqual({
      selector: { matchLabels: { 'kserve-llmd.io/pool': 'llama' } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: {
        group: '',
        kind: 'Service',
        name: 'llama-epp',
        port: { number: 9002 },
        failureMode: 'FailOpen',
      },
    });
  });

  it('EPP Deployment: pinned image, pool flags, config mounted, its pods are not in the pool', () => {
    const objs = desiredObjects(mutated({ 'kserve-llmd.io/routing': 'load-aware' }), {
      ...config,
      eppImage: 'registry.local/epp:v1',
    });
    const d: any = objs.find((o) => o.kind === 'Deployment');
    const c = d.spec.template.spec.containers[0];
    expect(c.image).toBe('registry.local/epp:v1');
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--pool-name=llama',
        '--pool-namespace=models',
        '--config-file=/config/epp-config.yaml',
        '--grpc-port=9002',
        '--grpc-health-port=9003',
        '--metrics-port=9090',
        '--secure-serving=true',
      ]),
    );
    expect(d.spec.template.metadata.labels['kserve-llmd.io/pool']).toBeUndefined();
    expect(yaml.load((objs.find((o) => o.kind === 'ConfigMap') as any).data['epp-config.yaml'])).toEqual(
      eppConfig({ ...base, routing: 'load-aware' }),
    );
    const role: any = objs.find((o) => o.kind === 'Role');
    expect(role.rules.flatMap((r: any) => r.verbs)).not.toContain('create');
  });

  it('the prefill sibling serves the pool model name and is a fixed point of the webhook', () => {
    const parent = mutated({
      'kserve-llmd.io/disaggregation': 'prefill-decode',
      'kserve-llmd.io/prefill-replicas': '2-6',
    });
    parent.metadata.labels = {
      'app.kubernetes.io/instance': 'argo-app',
      'networking.knative.dev/visibility': 'cluster-local',
    };
    parent.metadata.annotations = { ...parent.metadata.annotations, 'argocd.argoproj.io/tracking-id': 'x' };
    const sibling: any = desiredObjects(parent, config).find((o) => o.kind === 'InferenceService');
    expect(sibling.metadata.name).toBe('llama-prefill');
    expect(sibling.metadata.labels).toEqual({ 'networking.knative.dev/visibility': 'cluster-local' });
    expect(Object.keys(sibling.metadata.annotations)).not.toContain('argocd.argoproj.io/tracking-id');
    expect(sibling.spec.predictor).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      labels: { 'llm-d.ai/role': 'prefill', 'kserve-llmd.io/pool': 'llama' },
    });
    expect(sibling.spec.predictor.model.args).toEqual(['--served-model-name=llama']);
    const again = mutateInferenceService(sibling, config.webhook);
    expect(again.kind === 'mutated' && again.object).toEqual(sibling);
    expect(desiredState(sibling, config)).toEqual({ kind: 'prefill-sibling', parent: 'llama' });
  });

  it.each([
    [undefined, ['--served-model-name=m']],
    [['--x'], ['--x', '--served-model-name=m']],
    [
      ['--served-model-name', 'mine'],
      ['--served-model-name', 'mine'],
    ],
    [['--served-model-name=mine'], ['--served-model-name=mine']],
  ])('served-model-name %j → %j', (args, want) => expect(withServedModelName(args, 'm')).toEqual(want));

  it('invalid annotations are reported, not acted on', () => {
    const bad = isvc({ 'kserve-llmd.io/routing': 'fastest' }, GPU);
    expect(desiredState(bad, config)).toMatchObject({
      kind: 'invalid',
      errors: [expect.stringMatching(/kserve-llmd.io\/routing: "fastest" is not valid/)],
    });
  });

  it('long names stay valid DNS labels', () => {
    const n = 'a'.repeat(60);
    expect(childName(n, 'epp')).toHaveLength(63);
    expect(childName(n, 'epp')).not.toBe(childName(`${'a'.repeat(59)}b`, 'epp'));
    expect(childName('short', 'epp')).toBe('short-epp');
  });
});

describe('compare', () => {
  const desired = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', annotations: { [CONTROLLER.hashAnnotation]: 'h1' } },
    spec: { ports: [{ port: 1 }] },
  };
  it.each<[string, any, string | undefined, boolean]>([
    [
      'server defaults added',
      {
        ...desired,
        metadata: { ...desired.metadata, resourceVersion: '5' },
        spec: { ports: [{ port: 1, protocol: 'TCP' }], clusterIP: '10.0.0.1' },
      },
      undefined,
      true,
    ],
    [
      'hand-edited field',
      { ...desired, metadata: { ...desired.metadata, resourceVersion: '5' }, spec: { ports: [{ port: 2 }] } },
      undefined,
      false,
    ],
    [
      'our own write, canonicalised',
      {
        ...desired,
        metadata: { ...desired.metadata, resourceVersion: '5' },
        spec: { ports: [{ port: 1.0 }], other: 1 },
      },
      '5',
      true,
    ],
    [
      'old hash',
      { ...desired, metadata: { name: 's', annotations: { [CONTROLLER.hashAnnotation]: 'h0' } } },
      undefined,
      false,
    ],
  ])('%s', (_n, live, rv, want) => expect(inSync(desired, live, { writtenRv: rv })).toBe(want));

  it('update keeps what others added and the resourceVersion', () => {
    const live = {
      ...desired,
      metadata: {
        name: 's',
        resourceVersion: '7',
        uid: 'u',
        labels: { team: 'a' },
        annotations: { note: 'x', [CONTROLLER.hashAnnotation]: 'h0' },
      },
      status: { s: 1 },
    };
    const next = mergeForUpdate(desired, live);
    expect(next.metadata).toMatchObject({
      resourceVersion: '7',
      uid: 'u',
      labels: { team: 'a' },
      annotations: { note: 'x', [CONTROLLER.hashAnnotation]: 'h1' },
    });
    expect(isSubset({ a: [1, { b: 2 }] }, { a: [1, { b: 2, c: 3 }], d: 4 })).toBe(true);
    expect(isSubset({ a: [1] }, { a: [1, 2] })).toBe(false);
  });

  it('config errors name the allowed range', () => {
    expect(() => validateControllerConfig({ ...config, workers: 0 })).toThrow(
      'controller workers=0: must be an integer in [1, 64]',
    );
    expect(() => validateControllerConfig({ ...config, cloudEventsSink: 'ftp://x' })).toThrow(
      /must be an http\(s\) URL/,
    );
    expect(() => validateControllerConfig({ ...config, gatewayImplementation: 'envoy' as any })).toThrow(
      'controller gatewayImplementation="envoy": must be one of none, istio, gke, kgateway, agentgateway',
    );
    expect(() => validateControllerConfig({ ...config, clusterDomain: 'Cluster Local' })).toThrow(
      /clusterDomain="Cluster Local": must be a DNS domain/,
    );
  });
});
