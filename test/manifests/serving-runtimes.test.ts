/**
 * The six ClusterServingRuntimes as `kubectl apply -k serving-runtimes/` creates them: schema, the names and
 * labels the webhook relies on (one shared constant: core/names.ts), KServe's runtime validator, and the
 * container contract with the pod webhook, checked by running the real webhooks over a pod built the way
 * KServe and Knative build it from these runtimes.
 */
import { readFileSync } from 'node:fs';
import { defaultWebhookConfig } from '../../src/config.js';
import {
  ACCELERATOR_RESOURCES,
  ACCELERATOR_VARIANT,
  ACCELERATOR_VENDOR,
  ACCELERATORS,
  AUTOSCALER_CLASS,
  KNATIVE_CLASS_ANNOTATION,
  LABELS,
  runtimeName,
  SERVING_PORT,
  type Accelerator,
} from '../../core/names.js';
import type { Container, InferenceService, Pod } from '../../src/types/kube.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { SUPPORTED_FORMATS } from '../../core/isvc/mutators/runtime.js';
import { buildPodContext, findPortArg } from '../../webhooks/pod/context.js';
import { mutatePod } from '../../webhooks/pod/mutate.js';
import { example } from '../support/fixtures.js';
import { loadYamlDocuments, type KObject } from '../support/kustomize.js';
import { expectValid, validatePodSpec } from '../support/schema.js';
import { build, pinned, repo } from './helpers.js';

const runtimes = (): KObject[] => build('serving-runtimes');
const runtimeFor = (accel: Accelerator): KObject => runtimes().find((r) => r.metadata.name === runtimeName(accel))!;
const main = (rt: KObject): KObject => rt.spec.containers.find((c: KObject) => c.name === 'kserve-container');

/** The images serving-runtimes/README.md "Images" confirms upstream (Gaudi: a placeholder the user replaces). */
const IMAGES: Record<Accelerator, string> = {
  nvidia: 'docker.io/vllm/vllm-openai:v0.27.1',
  amd: 'docker.io/vllm/vllm-openai-rocm:v0.27.1',
  tpu: 'docker.io/vllm/vllm-tpu:v0.27.0',
  'intel-xpu': 'docker.io/vllm/vllm-openai-xpu:v0.27.1',
  gaudi: 'set-a-vllm-gaudi-image.invalid/vllm-gaudi:unset',
  cpu: 'docker.io/vllm/vllm-openai-cpu:v0.27.1-x86_64',
};

describe('serving runtimes: one per accelerator, named by core/names.ts', () => {
  it('renders exactly runtimeName(accelerator) for every accelerator', () => {
    expect(runtimes().map((r) => r.kind)).toEqual(ACCELERATORS.map(() => 'ClusterServingRuntime'));
    expect(
      runtimes()
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual(ACCELERATORS.map(runtimeName).sort());
  });

  it.each(ACCELERATORS)('%s validates against the KServe ClusterServingRuntime CRD and is cluster-scoped', (accel) => {
    const rt = runtimeFor(accel);
    expectValid(rt);
    expect(rt.metadata.namespace).toBeUndefined();
  });

  it.each(ACCELERATORS)('%s carries the accelerator labels the webhook and llm-d use', (accel) => {
    const rt = runtimeFor(accel);
    const expected = {
      [LABELS.accelerator]: accel,
      [LABELS.acceleratorVendor]: ACCELERATOR_VENDOR[accel],
      [LABELS.acceleratorVariant]: ACCELERATOR_VARIANT[accel],
      [LABELS.engineType]: 'vllm',
    };
    expect(rt.metadata.labels).toMatchObject(expected);
    // spec.labels reach every pod (KServe: runtime labels < ISVC labels < predictor labels).
    const { [LABELS.accelerator]: _ignored, ...podLabels } = expected;
    expect(rt.spec.labels).toEqual(podLabels);
  });

  it.each(ACCELERATORS)('%s: the autoscaler class and KServe metrics annotations', (accel) => {
    expect(runtimeFor(accel).spec.annotations).toMatchObject({
      [KNATIVE_CLASS_ANNOTATION]: AUTOSCALER_CLASS,
      'prometheus.kserve.io/port': String(SERVING_PORT),
      'prometheus.kserve.io/path': '/metrics',
    });
  });

  it.each(ACCELERATORS)('%s: serves the formats the webhook names it for, never auto-selected', (accel) => {
    const formats = runtimeFor(accel).spec.supportedModelFormats as KObject[];
    expect(formats.map((f) => f.name).sort()).toEqual([...SUPPORTED_FORMATS].sort());
    expect(formats.every((f) => f.autoSelect === false)).toBe(true);
  });

  it.each(ACCELERATORS)('%s: the image confirmed upstream, as serving-runtimes/README.md lists it', (accel) => {
    const image = main(runtimeFor(accel)).image as string;
    expect(pinned(image)).toBe(true);
    expect(image).toBe(IMAGES[accel]);
    const readme = readFileSync(repo('serving-runtimes', 'README.md'), 'utf8');
    expect(readme).toContain(`\`${image}\``);
  });

  it('the Gaudi placeholder can never resolve (.invalid is reserved, RFC 2606) and says what to do', () => {
    expect(IMAGES.gaudi.split('/')[0]!.endsWith('.invalid')).toBe(true);
    expect(IMAGES.gaudi).toMatch(/^set-a-vllm-gaudi-image/);
  });

  it.each(ACCELERATORS)(
    '%s: its resources name its accelerator as the webhook infers it (core/names.ts ACCELERATOR_RESOURCES)',
    (accel) => {
      const limits = main(runtimeFor(accel)).resources.limits as Record<string, string>;
      const inferred = Object.keys(limits).flatMap((r) =>
        ACCELERATOR_RESOURCES.filter((a) => a.match(r)).map((a) => a.accelerator),
      );
      expect(inferred).toEqual(accel === 'cpu' ? [] : [accel]);
      // Extended resources only in limits: Kubernetes copies the limit to the request, so a service's own
      // limit replaces it without a request/limit mismatch after KServe merges the containers.
      const requests = main(runtimeFor(accel)).resources.requests as Record<string, string>;
      expect(Object.keys(requests).sort()).toEqual(['cpu', 'memory']);
    },
  );

  it('places TPU pods on the GKE slice llm-d uses and tolerates tainted accelerator pools', () => {
    expect(runtimeFor('tpu').spec.nodeSelector).toEqual({
      'cloud.google.com/gke-tpu-accelerator': 'tpu-v6e-slice',
      'cloud.google.com/gke-tpu-topology': '2x4',
    });
    for (const [accel, key] of [
      ['nvidia', 'nvidia.com/gpu'],
      ['amd', 'amd.com/gpu'],
      ['tpu', 'google.com/tpu'],
      ['gaudi', 'habana.ai/gaudi'],
    ] as const) {
      expect(runtimeFor(accel).spec.tolerations).toEqual([{ key, operator: 'Exists', effect: 'NoSchedule' }]);
    }
    expect(runtimeFor('cpu').spec.tolerations).toBeUndefined();
  });

  it('sets the accelerator env and flags of llm-d.md §10', () => {
    const env = (accel: Accelerator): Record<string, string> =>
      Object.fromEntries((main(runtimeFor(accel)).env as KObject[]).map((e) => [e.name, e.value]));
    expect(env('gaudi')).toMatchObject({ VLLM_SKIP_WARMUP: 'true', OMPI_MCA_btl_vader_single_copy_mechanism: 'none' });
    expect(main(runtimeFor('gaudi')).args).toContain('--block-size=128');
    expect(main(runtimeFor('intel-xpu')).args).toContain('--dtype=float16');
    expect(env('nvidia').USER).toBeDefined(); // vLLM#44548 workaround
    expect(env('cpu').VLLM_CPU_KVCACHE_SPACE).toBe('8');
  });
});

describe('serving runtimes: the container contract with the pod webhook', () => {
  it.each(ACCELERATORS)(
    '%s: kserve-container, vLLM on --port=SERVING_PORT, first declared port SERVING_PORT, no shell',
    (accel) => {
      const c = main(runtimeFor(accel));
      expect(runtimeFor(accel).spec.containers).toHaveLength(1);
      expect(findPortArg(c.args)?.port).toBe(SERVING_PORT);
      expect(c.ports).toEqual([{ containerPort: SERVING_PORT, protocol: 'TCP' }]); // Knative accepts one port
      expect(c.args[0]).toBe('/mnt/models');
      expect(c.args).toContain('--served-model-name={{.Name}}');
      const pod = { metadata: { labels: { [LABELS.pool]: 'p' } }, spec: { containers: [c as Container] } } as Pod;
      expect(buildPodContext(pod, defaultWebhookConfig().injection)?.argsBlocked).toBeUndefined();
    },
  );

  it.each(ACCELERATORS)(
    '%s: startup, readiness and liveness probes on the numeric serving port, sized for large models',
    (accel) => {
      const c = main(runtimeFor(accel));
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
        expect(c[probe].httpGet.port).toBe(SERVING_PORT);
      const startupBudget = c.startupProbe.periodSeconds * c.startupProbe.failureThreshold;
      expect(startupBudget).toBeGreaterThanOrEqual(30 * 60); // kserve#3795
      // Knative would fail the revision before the probe gives up otherwise.
      expect(
        parseInt(runtimeFor(accel).spec.annotations['serving.knative.dev/progress-deadline'], 10),
      ).toBeGreaterThanOrEqual(startupBudget);
    },
  );

  it.each(ACCELERATORS)(
    '%s: Knative accepts the readiness probe (periodSeconds 0 = ' +
      "queue-proxy's aggressive probing, which forbids " +
      'timeoutSeconds and failureThreshold)',
    (accel) => {
      // knative/serving knative-v1.23.0 pkg/apis/serving/k8s_validation.go validateReadinessProbe (847-861);
      // the end-to-end suite's real Knative webhook rejected the Knative Service KServe renders otherwise.
      const p = main(runtimeFor(accel)).readinessProbe;
      if (!p.periodSeconds) expect([p.timeoutSeconds, p.failureThreshold]).toEqual([undefined, undefined]);
    },
  );

  it.each(ACCELERATORS)('%s: memory-backed /dev/shm and a writable /tmp under a read-only root', (accel) => {
    const rt = runtimeFor(accel);
    const mounts = Object.fromEntries((main(rt).volumeMounts as KObject[]).map((m) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries((rt.spec.volumes as KObject[]).map((v) => [v.name, v]));
    expect(volumes[mounts['/dev/shm']].emptyDir.medium).toBe('Memory');
    expect(volumes[mounts['/tmp']].emptyDir).toBeDefined();
    for (const e of main(rt).env as KObject[])
      if (/^(HOME|HF_HOME|XDG_CACHE_HOME|VLLM_CACHE_ROOT|VLLM_CONFIG_ROOT)$/.test(e.name))
        expect(e.value.startsWith('/tmp/')).toBe(true);
  });
});

/** A predictor pod as KServe + Knative build it from a runtime and a (webhook-mutated) InferenceService. */
function predictorPod(rt: KObject, isvc: InferenceService): Pod {
  const model = isvc.spec.predictor.model as Record<string, any>;
  const c = structuredClone(main(rt)) as Record<string, any>;
  const container: Container = {
    ...c,
    args: [...c.args.map((a: string) => a.replace('{{.Name}}', isvc.metadata.name!)), ...(model.args ?? [])],
    resources: {
      requests: { ...c.resources.requests, ...(model.resources?.requests ?? {}) },
      limits: { ...c.resources.limits, ...(model.resources?.limits ?? {}) },
    },
    // Knative names the user port.
    ports: c.ports.map((p: Record<string, unknown>) => ({ ...p, name: 'user-port' })),
  } as Container;
  const annotations = {
    ...(isvc.metadata.annotations ?? {}),
    ...(rt.spec.annotations ?? {}),
    ...(isvc.spec.predictor.annotations ?? {}),
  };
  for (const k of Object.keys(annotations)) if (k.startsWith('autoscaling.knative.dev/')) delete annotations[k];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${isvc.metadata.name}-predictor-00001-deployment-`,
      namespace: isvc.metadata.namespace,
      labels: { ...rt.spec.labels, ...(isvc.spec.predictor.labels ?? {}), [LABELS.kserveIsvc]: isvc.metadata.name! },
      annotations,
    },
    spec: {
      containers: [
        container,
        {
          name: 'queue-proxy',
          image: `gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:${'a'.repeat(64)}`,
          ports: [{ containerPort: 8012, name: 'http-queueadm', protocol: 'TCP' }],
        },
      ],
      volumes: structuredClone(rt.spec.volumes),
      ...(rt.spec.nodeSelector ? { nodeSelector: rt.spec.nodeSelector } : {}),
      ...(rt.spec.tolerations ? { tolerations: rt.spec.tolerations } : {}),
    },
  } as Pod;
}

/** P/D decode pods: the routing sidecar takes the serving port, vLLM and every probe move behind it. */
function expectPortLayout(pod: Pod, decode: boolean): void {
  const vllm = pod.spec!.containers[0]!;
  const port = decode ? defaultWebhookConfig().injection.vllmPortBehindSidecar : SERVING_PORT;
  expect(findPortArg(vllm.args ?? [])?.port).toBe(port);
  expect(vllm.ports?.[0]?.containerPort).toBe(port);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const)
    expect((vllm[probe] as KObject).httpGet.port).toBe(port);
  if (decode) expect(pod.spec!.initContainers?.[0]?.ports?.[0]?.containerPort).toBe(SERVING_PORT);
}

describe('serving runtimes under the real webhooks', () => {
  const config = defaultWebhookConfig();

  it.each([
    ['nvidia-pd-scale-to-zero', 'nvidia'],
    ['amd-kv-offload', 'amd'],
    ['tpu', 'tpu'],
  ] as const)('%s: the webhook names runtime %s, which exists, and the wired decode pod is valid', (name, accel) => {
    const outcome = mutateInferenceService(example(name), config);
    if (outcome.kind !== 'mutated') throw new Error(`example ${name}: ${outcome.kind}`);
    const isvc = outcome.object;
    expect(isvc.spec.predictor.model?.runtime).toBe(runtimeName(accel));
    const rt = runtimes().find((r) => r.metadata.name === isvc.spec.predictor.model?.runtime);
    expect(rt).toBeDefined();

    const pod = mutatePod(predictorPod(rt!, isvc), config.injection);
    if (pod.kind !== 'mutated') throw new Error('pod untouched');
    expect(validatePodSpec(pod.object.spec)).toEqual([]);
    const vllm = pod.object.spec!.containers[0]!;
    const shm = (vllm.volumeMounts ?? []).filter((m) => m.mountPath === '/dev/shm');
    expect(shm).toHaveLength(1); // the runtime's /dev/shm is kept, not mounted twice
    expectPortLayout(pod.object, pod.context.role === 'decode');
  });
});

/**
 * KServe's ServingRuntime validator, ported (K: pkg/webhook/admission/servingruntime/servingruntime_webhook.go
 * validateModelFormatPrioritySame, validateServingRuntimePriority): priorities are only compared between
 * auto-selected formats of the same name/version in runtimes sharing a protocol version.
 */
type Format = { name: string; version?: string; autoSelect?: boolean; priority?: number };
type Spec = { supportedModelFormats?: Format[]; protocolVersions?: string[]; multiModel?: boolean; disabled?: boolean };
const autoSelected = (f: Format): boolean => f.autoSelect === true;

function samePriorityInsideRuntime(name: string, spec: Spec): string | undefined {
  const seen = new Map<string, number | undefined>();
  for (const f of (spec.supportedModelFormats ?? []).filter(autoSelected)) {
    const prior = seen.get(f.name);
    if (prior !== undefined && f.priority !== undefined && prior !== f.priority)
      return `${name}: different priorities for ${f.name}`;
    if (!seen.has(f.name)) seen.set(f.name, f.priority);
  }
  return undefined;
}

const comparable = (a: Spec, b: Spec): boolean =>
  !b.disabled &&
  Boolean(a.multiModel) === Boolean(b.multiModel) &&
  (b.protocolVersions ?? []).some((p) => (a.protocolVersions ?? []).includes(p));

function samePriorityAcrossRuntimes(name: string, spec: Spec, other: { name: string; spec: Spec }): string | undefined {
  for (const a of (other.spec.supportedModelFormats ?? []).filter(autoSelected)) {
    const clash = (spec.supportedModelFormats ?? [])
      .filter(autoSelected)
      .find(
        (b) =>
          a.name.toLowerCase() === b.name.toLowerCase() &&
          a.version === b.version &&
          a.priority !== undefined &&
          a.priority === b.priority,
      );
    if (clash) return `${name}: same priority ${a.priority} as ${other.name} for ${a.name}`;
  }
  return undefined;
}

function kserveValidate(name: string, spec: Spec, existing: Array<{ name: string; spec: Spec }>): string | undefined {
  const inside = samePriorityInsideRuntime(name, spec);
  if (inside) return inside;
  for (const other of existing.filter((o) => o.name !== name && comparable(spec, o.spec))) {
    const across = samePriorityAcrossRuntimes(name, spec, other);
    if (across) return across;
  }
  return undefined;
}

describe("serving runtimes pass KServe's runtime validator next to KServe's own", () => {
  const shipped = ['kserve-vllmserver', 'kserve-huggingfaceserver', 'kserve-huggingfaceserver-multinode'].flatMap((n) =>
    loadYamlDocuments(`${repo('schemas', 'upstream', 'kserve', 'runtimes')}/${n}.yaml`),
  );

  it('every runtime is admitted with all the others and KServe’s shipped runtimes installed', () => {
    const all = [...shipped, ...runtimes()].map((o) => ({ name: o.metadata.name as string, spec: o.spec as Spec }));
    expect(all.map((r) => kserveValidate(r.name, r.spec, all)).filter(Boolean)).toEqual([]);
  });

  it('the ported validator does reject what auto-selection with one shared priority would be', () => {
    const all = [...shipped, ...runtimes()].map((o) => ({
      name: o.metadata.name as string,
      spec: structuredClone(o.spec) as Spec,
    }));
    for (const r of all.filter((x) => x.name.startsWith('kserve-llmd-')))
      for (const f of r.spec.supportedModelFormats ?? []) Object.assign(f, { autoSelect: true, priority: 1 });
    expect(kserveValidate(runtimeName('amd'), all.find((r) => r.name === runtimeName('amd'))!.spec, all)).toMatch(
      /same priority 1/,
    );
  });
});
