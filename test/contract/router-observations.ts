/**
 * What the routing controller emits to the llm-d router, the Inference Extension and Gateway API, collected
 * from its pure builders over every routing × disaggregation × kv-offload × scale-to-zero combination and every
 * gateway implementation: the EndpointPickerConfigs, and per setting the values seen (EPP flags, ports, env,
 * images, plugin types and parameter paths, config keys, object fields). test/contract/router.test.ts checks
 * these against docs/upstream-contract.md.
 */
import yaml from 'js-yaml';
import { defaultControllerConfig, GATEWAY_IMPLEMENTATIONS, type ControllerConfig } from '../../controller/config.js';
import { EPP_CONFIG_KEY } from '../../controller/epp-config/index.js';
import { desiredObjects } from '../../controller/objects/index.js';
import type { KubeObject } from '../../src/kube.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { isvc } from '../support/fixtures.js';

/** Placeholders a contract value may use for the service the objects were built for. */
export const SERVICE = { name: 'llama', namespace: 'models' } as const;

const GPU = {
  model: {
    modelFormat: { name: 'vLLM' },
    storageUri: 'hf://meta-llama/Llama-3.1-8B-Instruct',
    resources: { limits: { 'nvidia.com/gpu': '1', memory: '400Gi' } },
  },
};

export interface Combination {
  label: string;
  annotations: Record<string, string>;
}

/** routing × disaggregation × kv-offload × scale-to-zero (decode at zero, or prefill at zero with P/D). */
export function combinations(): Combination[] {
  const axes = ['prefix-aware', 'load-aware', 'precise-prefix'].flatMap((routing) =>
    [false, true].flatMap((pd) => [false, true].map((offload) => ({ routing, pd, offload }))),
  );
  return axes.flatMap(({ routing, pd, offload }) =>
    (pd ? ['none', 'decode', 'prefill'] : ['none', 'decode']).map((zero) => {
      const a: Record<string, string> = {
        'kserve-llmd.io/routing': routing,
        'kserve-llmd.io/gateway': 'gateways/inference-gateway',
        'kserve-llmd.io/decode-replicas': zero === 'decode' ? '0-4' : '1-4',
      };
      if (pd) {
        a['kserve-llmd.io/disaggregation'] = 'prefill-decode';
        // Decode at zero needs prefill at zero too (the webhook denies a warm prefill beside a sleeping decode).
        a['kserve-llmd.io/prefill-replicas'] = zero === 'none' ? '1-4' : '0-4';
      }
      if (offload) a['kserve-llmd.io/kv-offload'] = 'cpu=100Gi';
      const label = `${routing}, ${pd ? 'P/D' : 'no P/D'}, ${offload ? 'offload' : 'no offload'}, zero ${zero}`;
      return { label, annotations: a };
    }),
  );
}

export function build(annotations: Record<string, string>, config: ControllerConfig): KubeObject[] {
  const input = isvc(annotations, GPU, SERVICE.name);
  input.metadata.uid = 'uid-1';
  const out = mutateInferenceService(input, config.webhook);
  if (out.kind !== 'mutated') throw new Error(`not mutated: ${JSON.stringify(out)}`);
  return desiredObjects(out.object, config);
}

export function eppConfigOf(objects: KubeObject[]): any {
  const cm = objects.find((o) => o.kind === 'ConfigMap') as any;
  return yaml.load(cm.data[EPP_CONFIG_KEY]);
}

/** setting → values seen (scalars as strings). */
export type Seen = Map<string, Set<string>>;

const add = (seen: Seen, key: string, value: unknown): void => {
  const set = seen.get(key) ?? new Set<string>();
  set.add(typeof value === 'string' ? value : JSON.stringify(value));
  seen.set(key, set);
};

/** Leaf paths of a value: `a.b`, arrays as `a[].b`; an empty object or array is a leaf. */
export function leaves(value: unknown, prefix: string, seen: Seen): void {
  if (Array.isArray(value)) {
    if (value.length === 0) add(seen, prefix, []);
    for (const v of value) leaves(v, `${prefix}[]`, seen);
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) add(seen, prefix, {});
    for (const [k, v] of entries) leaves(v, prefix ? `${prefix}.${k}` : k, seen);
  } else add(seen, prefix, value);
}

export interface Observations {
  configs: Array<{ label: string; config: any }>;
  pluginTypes: Seen;
  /** `type.path.to.key` → values. */
  pluginParameters: Seen;
  /** EndpointPickerConfig paths outside plugins[].parameters. */
  configKeys: Seen;
  flags: Seen;
  /** EPP container port names and the Service port names of the EPP and tokenizer Services. */
  ports: Seen;
  env: Seen;
  images: Seen;
  /** `Kind.path` → values, for every object but the prefill sibling. */
  fields: Seen;
}

function observeEpp(objects: KubeObject[], o: Observations): void {
  const config = eppConfigOf(objects);
  const { plugins, ...rest } = config;
  leaves(rest, '', o.configKeys);
  for (const p of plugins as Array<{ name?: string; type: string; parameters?: unknown }>) {
    add(o.pluginTypes, p.type, p.type);
    if (p.name !== undefined) add(o.configKeys, 'plugins[].name', p.name);
    add(o.configKeys, 'plugins[].type', p.type);
    if (p.parameters !== undefined) leaves(p.parameters, p.type, o.pluginParameters);
  }
  const deployment = objects.find((x) => x.kind === 'Deployment') as any;
  const c = deployment.spec.template.spec.containers.find((x: any) => x.name === 'epp');
  for (const arg of c.args as string[]) {
    const [flag, ...value] = arg.split('=');
    add(o.flags, flag!, value.join('='));
  }
  for (const p of c.ports) add(o.ports, p.name, p.containerPort);
  for (const e of c.env) add(o.env, e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value);
  const [repo, tag] = String(c.image).split(/:(?=[^:/]+$)/);
  add(o.images, repo!, tag);
  for (const s of objects.filter((x) => x.kind === 'Service') as any[])
    for (const p of s.spec.ports) add(o.ports, p.name, p.port);
}

export function observe(): Observations {
  const o: Observations = {
    configs: [],
    pluginTypes: new Map(),
    pluginParameters: new Map(),
    configKeys: new Map(),
    flags: new Map(),
    ports: new Map(),
    env: new Map(),
    images: new Map(),
    fields: new Map(),
  };
  const base = defaultControllerConfig();
  const runs: Array<{ label: string; annotations: Record<string, string>; config: ControllerConfig }> = [
    ...combinations().map((c) => ({ ...c, config: base })),
    // The gateway implementations' own objects (on one combination: they do not depend on the annotations).
    ...GATEWAY_IMPLEMENTATIONS.map((impl) => ({
      label: `gateway ${impl}`,
      annotations: combinations()[0]!.annotations,
      config: { ...base, gatewayImplementation: impl },
    })),
  ];
  for (const run of runs) {
    const objects = build(run.annotations, run.config);
    o.configs.push({ label: run.label, config: eppConfigOf(objects) });
    observeEpp(objects, o);
    for (const obj of objects) {
      if (obj.kind === 'InferenceService') continue;
      const { apiVersion: _a, kind, metadata: _m, ...body } = obj as any;
      leaves(body, kind, o.fields);
    }
  }
  return o;
}
