/**
 * The routing controller's and the autoscaler's contract with the llm-d router, the Inference Extension,
 * Gateway API and Knative, pinned (docs/upstream-contract.md, sections below):
 * 1. every generated EndpointPickerConfig (every routing × disaggregation × kv-offload × scale-to-zero
 *    combination, every gateway implementation) passes a strict schema of llm-d-router v0.9.0 and its loader's
 *    cross-checks (epp-v0.9.0-schema.ts): an unknown key there crash-loops the EPP;
 * 2. every row's value appears in what the pure builders produce (or, for what the autoscaler reads, is read);
 * 3. every plugin type, plugin parameter path, config key, EPP flag, port and env var, and every field of the
 *    InferencePool, HTTPRoute and gateway-implementation objects the project emits has a row.
 */
import { Ajv } from 'ajv';
import { paStatus } from '../../autoscaler/actuator/pa-status.js';
import { activatorInPath, desiredSks } from '../../autoscaler/actuator/sks.js';
import { activatorDemand } from '../../autoscaler/sources/activator.js';
import { eppDemand } from '../../autoscaler/sources/epp.js';
import { isOurClass, paTarget, specFor } from '../../autoscaler/targets.js';
import { defaultControllerConfig } from '../../controller/config.js';
import type { KubeObject } from '../../src/kube.js';
import { AUTOSCALER_CLASS, KNATIVE_CLASS_ANNOTATION } from '../../core/names.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { isvc } from '../support/fixtures.js';
import {
  DEPRECATED_PARAMETERS,
  ENDPOINT_PICKER_CONFIG_SCHEMA,
  loaderProblems,
  PLUGIN_PARAMETERS,
} from './epp-v0.9.0-schema.js';
import { leaves, observe, SERVICE, type Seen } from './router-observations.js';
import { loadContract, type ContractRow } from './table.js';

const SECTIONS = {
  epp: 'llm-d router — endpoint picker',
  plugins: 'llm-d router — EndpointPickerConfig plugins',
  pool: 'Gateway API Inference Extension — InferencePool',
  route: 'Gateway API — HTTPRoute',
  knative: 'Knative Serving — autoscaler contract',
} as const;

const obs = observe();
const rows = loadContract().rows.filter((r) => (Object.values(SECTIONS) as string[]).includes(r.section));
const rowsOf = (section: string, ...kinds: string[]) =>
  rows.filter((r) => r.section === section && kinds.includes(r.kind));
const where = (r: ContractRow) => `docs/upstream-contract.md:${r.line} ${r.setting}`;
const expand = (v: string) => v.replaceAll('<name>', SERVICE.name).replaceAll('<namespace>', SERVICE.namespace);

describe('EndpointPickerConfig against llm-d-router v0.9.0 (strict decoding, loader checks)', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(ENDPOINT_PICKER_CONFIG_SCHEMA);

  it.each(obs.configs.map((c) => [c.label, c.config] as const))('%s', (_label, config) => {
    const ok = validate(config);
    expect(ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).toEqual(
      [],
    );
    expect(loaderProblems(config)).toEqual([]);
    const params = new Map<string, Set<string>>();
    for (const p of config.plugins) if (p.parameters) leaves(p.parameters, p.type, params);
    const used = [...params.keys()];
    expect(used.filter((k) => DEPRECATED_PARAMETERS.some((d) => k === d || k.startsWith(`${d}.`)))).toEqual([]);
  });

  it('the schema rejects what v0.9.0 rejects (a key no factory decodes, an unknown type, a broken reference)', () => {
    const good = obs.configs.find((c) => c.label.startsWith('precise-prefix, P/D'))!.config;
    const bad = (mutate: (c: any) => void): boolean => {
      const c = structuredClone(good);
      mutate(c);
      return validate(c) && loaderProblems(c).length === 0;
    };
    expect(bad(() => undefined)).toBe(true);
    // The defect this pins: token-producer has no vllm.endpointDiscovery at any version.
    expect(
      bad((c) => (c.plugins.find((p: any) => p.type === 'token-producer').parameters.vllm = { endpointDiscovery: {} })),
    ).toBe(false);
    expect(bad((c) => (c.plugins.find((p: any) => p.type === 'queue-scorer').parameters = { threshold: 1 }))).toBe(
      false,
    );
    expect(bad((c) => c.plugins.push({ type: 'made-up-scorer' }))).toBe(false);
    expect(bad((c) => (c.extra = true))).toBe(false);
    expect(bad((c) => c.schedulingProfiles[0].plugins.push({ pluginRef: 'nowhere' }))).toBe(false);
    // The decider must be instantiated before the handler that looks it up.
    expect(bad((c) => c.plugins.reverse())).toBe(false);
  });

  it('models every plugin type the controller emits, citing its v0.9.0 source', () => {
    for (const type of obs.pluginTypes.keys())
      expect([type, PLUGIN_PARAMETERS[type]?.file]).toEqual([type, expect.any(String)]);
  });
});

/** What the autoscaler reads from Knative and the EPP, probed through its pure functions: setting → values read. */
function readProbes(): Map<string, string[]> {
  const opts = { maxReplicasCap: 100, stableWindowMs: 60_000 };
  const kn = (a: Record<string, string>) =>
    specFor({ annotations: a, labels: {}, reachable: true, scaleToZeroEnabled: true }, opts).spec;
  const pa = (over: Record<string, any> = {}): KubeObject => ({
    apiVersion: 'autoscaling.internal.knative.dev/v1alpha1',
    kind: 'PodAutoscaler',
    metadata: {
      name: 'llama-predictor-00001',
      namespace: 'models',
      uid: 'u',
      annotations: { [KNATIVE_CLASS_ANNOTATION]: AUTOSCALER_CLASS, 'autoscaling.knative.dev/min-scale': '2' },
      labels: { 'serving.knative.dev/service': 'llama-predictor' },
      ...over.metadata,
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'dep' },
      protocolType: 'http1',
      ...over.spec,
    },
  });
  const target = (p: KubeObject) => paTarget(p, opts)!;
  const sks = (status: Record<string, unknown>): KubeObject => ({ ...desiredSks(pa(), 'dep', 'Proxy'), status });
  const status = (s: KubeObject) =>
    paStatus({ pa: pa(), sks: s, desired: 1, ready: 1, specReplicas: 1, minScale: 1, nowIso: 't' }) as any;
  const activator = (name: string) =>
    String(activatorDemand(`${name}{k8s_namespace_name="models",kn_revision_name="r"} 3\n`).get('models/r'));
  const epp = (name: string, field: 'queuedRequests' | 'queuedPromptTokens' | 'runningRequests') =>
    String(eppDemand(`${name}{model_name="llama"} 8\n`)[field]);
  const mutated = mutateInferenceService(
    isvc({ 'kserve-llmd.io/routing': 'prefix-aware' }),
    defaultControllerConfig().webhook,
  );
  const written =
    mutated.kind === 'mutated' ? mutated.object.spec.predictor.annotations?.[KNATIVE_CLASS_ANNOTATION] : '';
  const ready = {
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'ActivatorEndpointsPopulated', status: 'True' },
    ],
  };
  return new Map<string, string[]>([
    [KNATIVE_CLASS_ANNOTATION, isOurClass(pa()) && written === AUTOSCALER_CLASS ? [AUTOSCALER_CLASS] : []],
    ['autoscaling.knative.dev/min-scale', [String(kn({ 'autoscaling.knative.dev/min-scale': '3' }).minReplicas)]],
    ['autoscaling.knative.dev/max-scale', [String(kn({ 'autoscaling.knative.dev/max-scale': '7' }).maxReplicas)]],
    [
      'autoscaling.knative.dev/activation-scale',
      [String(kn({ 'autoscaling.knative.dev/activation-scale': '2' }).activationScale)],
    ],
    ['serving.knative.dev/revision', Object.keys(target(pa()).podSelector)],
    ['serving.knative.dev/service', [target(pa()).pool]],
    ['PodAutoscaler.spec.scaleTargetRef', [target(pa()).deployment]],
    [
      'PodAutoscaler.spec.reachability',
      target(pa({ spec: { reachability: 'Unreachable' } })).spec.minReplicas === 0 ? ['Unreachable'] : [],
    ],
    [
      'PodAutoscaler.spec.protocolType',
      [String((desiredSks(pa({ spec: { protocolType: 'h2c' } }), 'dep', 'Serve').spec as any).protocolType)],
    ],
    ['ServerlessService.status.serviceName', [status(sks({ serviceName: 'pub' })).serviceName]],
    ['ServerlessService.status.privateServiceName', [status(sks({ privateServiceName: 'priv' })).metricsServiceName]],
    [
      'ServerlessService.status.conditions[].type',
      [
        ...(status(sks(ready)).conditions.find((c: any) => c.type === 'SKSReady').status === 'True' ? ['Ready'] : []),
        ...(activatorInPath(sks(ready), 0, 10_000, 1) ? ['ActivatorEndpointsPopulated'] : []),
      ],
    ],
    ...['kn_revision_request_queued', 'kn_revision_request_concurrency', 'activator_request_concurrency'].map(
      (m) => [m, [activator(m)]] as [string, string[]],
    ),
    [
      'k8s_namespace_name',
      activatorDemand('kn_revision_request_queued{k8s_namespace_name="n",kn_revision_name="r"} 1\n').has('n/r')
        ? ['n']
        : [],
    ],
    [
      'kn_revision_name',
      activatorDemand('kn_revision_request_queued{k8s_namespace_name="n",kn_revision_name="r"} 1\n').has('n/r')
        ? ['r']
        : [],
    ],
    ['llm_d_epp_flow_control_queue_size', [epp('llm_d_epp_flow_control_queue_size', 'queuedRequests')]],
    [
      'inference_extension_flow_control_queue_size',
      [epp('inference_extension_flow_control_queue_size', 'queuedRequests')],
    ],
    ['llm_d_epp_flow_control_queue_bytes', [epp('llm_d_epp_flow_control_queue_bytes', 'queuedPromptTokens')]],
    [
      'inference_extension_flow_control_queue_bytes',
      [epp('inference_extension_flow_control_queue_bytes', 'queuedPromptTokens')],
    ],
    ['llm_d_epp_request_running', [epp('llm_d_epp_request_running', 'runningRequests')]],
    ['inference_objective_running_requests', [epp('inference_objective_running_requests', 'runningRequests')]],
  ]);
}

/** What the autoscaler writes to Knative objects: the PA status and the SKS it owns, as `Kind.path` → values. */
function knativeWrites(): Seen {
  const seen: Seen = new Map();
  const pa: KubeObject = {
    apiVersion: 'autoscaling.internal.knative.dev/v1alpha1',
    kind: 'PodAutoscaler',
    metadata: { name: 'p', namespace: 'n', uid: 'u' },
    spec: { protocolType: 'http1' },
  };
  for (const desired of [0, 1]) {
    const sks: KubeObject = {
      ...desiredSks(pa, 'dep', desired ? 'Serve' : 'Proxy'),
      status: { serviceName: 's', privateServiceName: 'sp' },
    };
    leaves({ spec: sks['spec'] }, 'ServerlessService', seen);
    const status = paStatus({ pa, sks, desired, ready: desired, specReplicas: desired, minScale: 0, nowIso: 't' });
    leaves({ status }, 'PodAutoscaler', seen);
  }
  return seen;
}

const probes = readProbes();
const writes = knativeWrites();

describe('docs/upstream-contract.md rows hold for what the project builds and reads', () => {
  const fieldOf = (r: ContractRow): string =>
    /^[A-Z]/.test(r.setting)
      ? r.setting
      : `${r.section === SECTIONS.route ? 'HTTPRoute' : 'InferencePool'}.${r.setting}`;
  const seenFor = (r: ContractRow): Set<string> | string[] | undefined => {
    if (r.we === 'read') return probes.get(r.setting);
    switch (r.kind) {
      case 'plugin':
        return obs.pluginTypes.get(r.setting);
      case 'plugin-parameter':
        return obs.pluginParameters.get(r.setting);
      case 'config-key':
        return obs.configKeys.get(r.setting);
      case 'flag':
        return obs.flags.get(r.setting);
      case 'port':
        return obs.ports.get(r.setting);
      case 'env':
        return obs.env.get(r.setting);
      case 'image':
        return obs.images.get(r.setting);
      case 'annotation':
        return probes.get(r.setting);
      default:
        return obs.fields.get(fieldOf(r)) ?? writes.get(r.setting);
    }
  };

  it('has rows in every section of the router contract', () => {
    for (const s of Object.values(SECTIONS)) expect([s, rows.some((r) => r.section === s)]).toEqual([s, true]);
  });

  it.each(rows.map((r) => [where(r), r] as const))('%s', (_w, r) => {
    const seen = seenFor(r);
    expect({ row: where(r), seen: seen !== undefined && [...seen].length > 0 }).toEqual({ row: where(r), seen: true });
    if (r.value !== '—') expect([...seen!]).toContain(expand(r.value));
  });

  it('every read probe has a row (what the autoscaler reads from Knative and the EPP is in the contract)', () => {
    const read = new Set(rows.filter((r) => r.we !== 'emit').map((r) => r.setting));
    expect([...probes.keys()].filter((k) => !read.has(k))).toEqual([]);
  });
});

describe('everything emitted has a row', () => {
  const settings = (section: string, ...kinds: string[]) => new Set(rowsOf(section, ...kinds).map((r) => r.setting));
  const missing = (seen: Iterable<string>, have: Set<string>) => [...seen].filter((s) => !have.has(s));

  it('plugin types, plugin parameter paths and config keys', () => {
    expect(missing(obs.pluginTypes.keys(), settings(SECTIONS.plugins, 'plugin'))).toEqual([]);
    expect(missing(obs.pluginParameters.keys(), settings(SECTIONS.plugins, 'plugin-parameter'))).toEqual([]);
    expect(missing(obs.configKeys.keys(), settings(SECTIONS.plugins, 'config-key'))).toEqual([]);
  });

  it('EPP flags, ports, env vars and image', () => {
    expect(missing(obs.flags.keys(), settings(SECTIONS.epp, 'flag'))).toEqual([]);
    expect(missing(obs.ports.keys(), settings(SECTIONS.epp, 'port'))).toEqual([]);
    expect(missing(obs.env.keys(), settings(SECTIONS.epp, 'env'))).toEqual([]);
    expect(missing(obs.images.keys(), settings(SECTIONS.epp, 'image'))).toEqual([]);
  });

  it('every field of the InferencePool, HTTPRoute and gateway objects, and of what the autoscaler writes', () => {
    const fields = [...obs.fields.keys()];
    const pick = (kind: string) => fields.filter((f) => f.startsWith(`${kind}.`));
    const strip = (kind: string) => pick(kind).map((f) => f.slice(kind.length + 1));
    expect(missing(strip('InferencePool'), settings(SECTIONS.pool, 'api-field'))).toEqual([]);
    expect(missing(strip('HTTPRoute'), settings(SECTIONS.route, 'api-field'))).toEqual([]);
    const gatewayObjects = ['DestinationRule', 'HealthCheckPolicy', 'GCPBackendPolicy'].flatMap(pick);
    expect(missing(gatewayObjects, settings(SECTIONS.epp, 'api-field'))).toEqual([]);
    expect(missing(writes.keys(), settings(SECTIONS.knative, 'api-field'))).toEqual([]);
  });
});
