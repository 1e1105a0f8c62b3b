/**
 * docs/upstream-contract.md, engine side (vLLM, the routing sidecar, KServe runtimes and fields, pod fields), pinned
 * against what the project generates: the ClusterServingRuntimes as kustomize builds them, `render` of every example
 * (the InferenceService webhook, and the pod webhook on the pod KServe and Knative build from our runtime), and the
 * pod webhook on realistic pods in both sidecar layouts.
 *   (a) every row of kind flag/env/port/config-key/image/label is emitted, with exactly the listed values;
 *   (b) every flag, env var, container port, kv-transfer/kv-events config key and image we emit has a row;
 *   and every vLLM metric the autoscaler reads has a row (and no row names one it does not read).
 */
import yaml from 'js-yaml';
import { VLLM } from '../../autoscaler/metrics/vllm-signals.js';
import { defaultWebhookConfig } from '../../src/config.js';
import type { Container, InferenceService, Pod } from '../../src/types/kube.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { mutatePod } from '../../webhooks/pod/mutate.js';
import { previewPod } from '../../render/pod-preview.js';
import { renderManifests } from '../../render/render.js';
import { loadServingRuntimes } from '../../render/runtimes.js';
import { build } from '../manifests/helpers.js';
import { EXAMPLES, exampleText, knativePod } from '../support/fixtures.js';
import type { KObject } from '../support/kustomize.js';
import { loadContract, type ContractRow } from './table.js';

const VLLM_SECTION = 'vLLM — engine flags, environment and KV connectors';
const METRICS_SECTION = 'vLLM — metrics we read';
const SIDECAR_SECTION = 'llm-d router — routing sidecar';
const SECTIONS = [
  VLLM_SECTION,
  METRICS_SECTION,
  SIDECAR_SECTION,
  'KServe — InferenceService and runtimes',
  'Kubernetes — pods',
];

const config = defaultWebhookConfig();
const rows = loadContract().rows.filter((r) => SECTIONS.includes(r.section));

/** Setting → every value seen. */
type Seen = Map<string, Set<string>>;
const add = (m: Seen, key: string, value: string): void =>
  void (m.get(key) ?? m.set(key, new Set()).get(key)!).add(value);

interface Emitted {
  vllmFlags: Seen;
  sidecarFlags: Seen;
  env: Seen;
  vllmPorts: Seen;
  sidecarPorts: Seen;
  configKeys: Seen;
  images: Set<string>;
  labels: Seen;
  commands: string[][];
}

function empty(): Emitted {
  return {
    vllmFlags: new Map(),
    sidecarFlags: new Map(),
    env: new Map(),
    vllmPorts: new Map(),
    sidecarPorts: new Map(),
    configKeys: new Map(),
    images: new Set(),
    labels: new Map(),
    commands: [],
  };
}

/** `--name=value` / `--name value` pairs of an argument list (a bare `--name` has the value ''). */
function flagPairs(args: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.push([a.slice(0, eq), a.slice(eq + 1)]);
    else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) out.push([a, args[++i]!]);
    else out.push([a, '']);
  }
  return out;
}

/** Every key of a JSON document, with its scalar values. */
function jsonKeys(value: unknown, into: Seen): void {
  if (Array.isArray(value)) value.forEach((v) => jsonKeys(v, into));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (v === null || typeof v !== 'object') add(into, k, String(v));
      else add(into, k, '');
      jsonKeys(v, into);
    }
}

const envValue = (e: Record<string, any>): string => e.value ?? e.valueFrom?.fieldRef?.fieldPath ?? '';

/** What a container we own entirely (a runtime's, the sidecar) emits. */
function whole(c: Container, e: Emitted, kind: 'vllm' | 'sidecar'): void {
  for (const [f, v] of flagPairs(c.args ?? [])) add(kind === 'vllm' ? e.vllmFlags : e.sidecarFlags, f, v);
  for (const env of c.env ?? []) add(e.env, env.name, envValue(env));
  for (const p of c.ports ?? [])
    add(kind === 'vllm' ? e.vllmPorts : e.sidecarPorts, String(p.containerPort), String(p.name ?? ''));
  if (c.image) e.images.add(c.image);
  if (c.command) e.commands.push([...c.command, ...(c.args ?? []).slice(0, 1)]);
}

/** What the pod webhook added to vLLM's container: its output minus its input. */
function vllmDiff(before: Container, after: Container, e: Emitted): void {
  const had = new Set(flagPairs(before.args ?? []).map(([f, v]) => `${f}\u0000${v}`));
  for (const [f, v] of flagPairs(after.args ?? []).filter(([f, v]) => !had.has(`${f}\u0000${v}`))) {
    add(e.vllmFlags, f, v);
    if (f === '--kv-transfer-config' || f === '--kv-events-config') jsonKeys(JSON.parse(v), e.configKeys);
  }
  const envBefore = new Set((before.env ?? []).map((x) => x.name));
  for (const env of (after.env ?? []).filter((x) => !envBefore.has(x.name))) add(e.env, env.name, envValue(env));
  const portsBefore = new Set((before.ports ?? []).map((p) => p.containerPort));
  for (const p of (after.ports ?? []).filter((x) => !portsBefore.has(x.containerPort)))
    add(e.vllmPorts, String(p.containerPort), String(p.name ?? ''));
}

/** The pod webhook's changes to one pod: vLLM's container, and the routing sidecar it added (either layout). */
function podDiff(input: Pod, output: Pod, e: Emitted): void {
  const main = (p: Pod): Container => p.spec!.containers.find((c) => c.name === 'kserve-container')!;
  vllmDiff(main(input), main(output), e);
  for (const c of [...(output.spec!.initContainers ?? []), ...output.spec!.containers])
    if (c.name === 'routing-proxy') whole(c, e, 'sidecar');
}

function collect(): Emitted {
  const e = empty();
  // The ClusterServingRuntimes as `kubectl apply -k serving-runtimes/` creates them.
  for (const rt of build('serving-runtimes')) {
    for (const c of rt.spec.containers as Container[]) whole(c, e, 'vllm');
    for (const [k, v] of Object.entries({ ...rt.metadata.labels, ...rt.spec.labels })) add(e.labels, k, String(v));
  }
  const runtimes = loadServingRuntimes();
  const pods: Array<[Pod, Pod]> = [];
  const wire = (pod: Pod, native = true): void => {
    const out = mutatePod(pod, config.injection, { nativeSidecars: native });
    if (out.kind === 'mutated') pods.push([pod, out.object]);
  };
  // `render` of every example: the InferenceServices it prints, and the pod wiring of each role.
  for (const name of EXAMPLES.filter((x) => x !== 'invalid-annotations')) {
    const docs = yaml.loadAll(renderManifests(exampleText(name), config, name).output) as KObject[];
    for (const isvc of docs.filter((d) => d.kind === 'InferenceService') as InferenceService[]) {
      for (const [k, v] of Object.entries(isvc.spec.predictor.labels ?? {})) add(e.labels, k, v);
      const outcome = mutateInferenceService(isvc, config);
      if (outcome.kind === 'mutated') wire(previewPod(outcome.object, runtimes).pod);
    }
  }
  // Realistic Knative pods for the combinations the examples do not cover, in both sidecar layouts.
  const labels = (role: string) => ({
    'kserve-llmd.io/pool': 'llama',
    'llm-d.ai/role': role,
    'llm-d.ai/model': 'llama',
    'llm-d.ai/inference-serving': 'true',
  });
  const P = 'kserve-llmd.io/';
  const everything = {
    [`${P}disaggregation`]: 'prefill-decode',
    [`${P}routing`]: 'precise-prefix',
    [`${P}kv-offload`]: 'cpu=10Gi,disk=20Gi',
  };
  for (const native of [true, false]) wire(knativePod(labels('decode'), everything), native);
  wire(knativePod(labels('prefill'), { ...everything, [`${P}prefill-for`]: 'llama' }));
  wire(knativePod(labels('prefill-decode'), { [`${P}kv-offload`]: 'cpu=10Gi' }));
  for (const [input, output] of pods) podDiff(input, output, e);
  return e;
}

const emitted = collect();

/** The values a row lists: each backticked token of the value cell (`<name>` is a wildcard); [] for `—`. */
function listed(row: ContractRow): RegExp[] {
  if (row.value === '—' || row.value === '') return [];
  const tokens = row.value.includes('`') ? [...row.value.matchAll(/`([^`]*)`/g)].map((m) => m[1]!) : [row.value];
  return tokens.map(
    (t) =>
      new RegExp(
        `^${t
          .split(/<[^>]+>/)
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('\\S+')}$`,
      ),
  );
}

/** (a) for one row: emitted, and the values seen are exactly the listed ones. */
function check(row: ContractRow, seen: Seen): string[] {
  const values = seen.get(row.setting);
  if (!values) return [`line ${row.line} ${row.setting}: not emitted`];
  const wanted = listed(row);
  if (wanted.length === 0) return [];
  const problems: string[] = [];
  for (const v of values)
    if (!wanted.some((w) => w.test(v))) problems.push(`line ${row.line} ${row.setting}: emitted "${v}", not listed`);
  for (const w of wanted)
    if (![...values].some((v) => w.test(v)))
      problems.push(`line ${row.line} ${row.setting}: listed ${w} never emitted`);
  return problems;
}

function seenFor(row: ContractRow, e: Emitted): Seen | undefined {
  const sidecar = row.section === SIDECAR_SECTION;
  switch (row.kind) {
    case 'flag':
      return sidecar ? e.sidecarFlags : e.vllmFlags;
    case 'env':
      return e.env;
    case 'port':
      return sidecar ? e.sidecarPorts : e.vllmPorts;
    case 'config-key':
      return e.configKeys;
    case 'label':
      return e.labels;
    case 'image':
      return new Map([...e.images].map((i) => [i, new Set([''])]));
    default:
      return undefined;
  }
}

/** (b): what is emitted without a row, as "kind setting". */
function unlisted(e: Emitted, table: ContractRow[]): string[] {
  const has = (section: string | undefined, kind: string, setting: string): boolean =>
    table.some((r) => (section === undefined || r.section === section) && r.kind === kind && r.setting === setting);
  const out: string[] = [];
  const need = (section: string | undefined, kind: string, settings: Iterable<string>) => {
    for (const s of settings) if (!has(section, kind, s)) out.push(`${kind} ${s}`);
  };
  need(VLLM_SECTION, 'flag', e.vllmFlags.keys());
  need(SIDECAR_SECTION, 'flag', e.sidecarFlags.keys());
  need(undefined, 'env', e.env.keys());
  need(VLLM_SECTION, 'port', e.vllmPorts.keys());
  need(SIDECAR_SECTION, 'port', e.sidecarPorts.keys());
  need(VLLM_SECTION, 'config-key', e.configKeys.keys());
  need(undefined, 'image', e.images);
  if (e.commands.some((c) => c[0] === 'vllm' && c[1] === 'serve')) need(VLLM_SECTION, 'flag', ['vllm serve']);
  return out;
}

describe('upstream contract, engine side: every row is what we emit', () => {
  const checked = rows.filter(
    (r) => r.we !== 'read' && ['flag', 'env', 'port', 'config-key', 'image', 'label'].includes(r.kind),
  );

  it('has rows in each of its sections', () => {
    for (const s of SECTIONS) expect([s, rows.filter((r) => r.section === s).length > 0]).toEqual([s, true]);
  });

  it.each(checked.map((r) => [`${r.section}: ${r.kind} ${r.setting}`, r] as const))('%s', (_name, row) => {
    if (row.kind === 'flag' && row.setting === 'vllm serve') {
      const serve = emitted.commands.filter((c) => c[0] === 'vllm' && c[1] === 'serve');
      expect(serve.length).toBeGreaterThan(0);
      expect(new Set(serve.map((c) => c[2]))).toEqual(new Set([row.value]));
      return;
    }
    expect(check(row, seenFor(row, emitted)!)).toEqual([]);
  });
});

describe('upstream contract, engine side: everything we emit has a row', () => {
  it('every flag, env var, container port, kv-transfer/kv-events key, image and the vllm serve command', () => {
    expect(unlisted(emitted, rows)).toEqual([]);
  });

  it('the check can fail: a missing row is found', () => {
    const without = rows.filter((r) => !(r.section === SIDECAR_SECTION && r.setting === '--vllm-port'));
    expect(unlisted(emitted, without)).toEqual(['flag --vllm-port']);
    const noFs = rows.filter((r) => r.setting !== 'root_dir');
    expect(unlisted(emitted, noFs)).toEqual(['config-key root_dir']);
  });

  it('the sidecar always gets --vllm-port, and it is where vLLM listens behind it', () => {
    expect(emitted.sidecarFlags.get('--vllm-port')).toEqual(new Set([String(config.injection.vllmPortBehindSidecar)]));
    expect(emitted.vllmFlags.get('--port')).toContain(String(config.injection.vllmPortBehindSidecar));
  });

  it('the KV-offload disk tier is vLLM’s `fs` tier with `root_dir`, nothing else', () => {
    expect(emitted.configKeys.get('type')).toEqual(new Set(['fs']));
    expect(emitted.configKeys.get('root_dir')).toEqual(new Set([config.injection.kvDiskPath]));
  });
});

describe('upstream contract: the vLLM metrics the autoscaler reads', () => {
  const metricRows = rows.filter((r) => r.section === METRICS_SECTION);
  const read = Object.values(VLLM);

  it('every metric read has a row, and every row is a metric read', () => {
    expect(metricRows.every((r) => r.kind === 'metric' && r.we === 'read')).toBe(true);
    expect(metricRows.map((r) => r.setting).sort()).toEqual([...read].sort());
  });
});
