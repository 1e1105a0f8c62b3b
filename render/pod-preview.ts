/**
 * The predictor pod a mutated InferenceService gets, built the way KServe, Knative and KServe's pod mutator
 * build it, so the JSON patch `render` prints is the one the pod webhook answers for the real pod (same indices).
 *
 * 1. KServe (v0.20.0 pkg/controller/v1beta1/inferenceservice/components/predictor.go buildPodSpec): the runtime's
 *    `kserve-container` merged with `spec.predictor.model` (utils.MergeRuntimeContainers: a strategic merge,
 *    with args concatenated runtime + model), `{{.Name}}`-style placeholders filled from the InferenceService's
 *    metadata (utils.ReplacePlaceholders), the runtime's pod fields merged with the predictor's (MergePodSpec).
 *    A predictor without `model` runs its own `containers[0]` as kserve-container.
 * 2. Knative (knative-v1.23.0 pkg/reconciler/revision/resources/deploy.go, queue.go): the user container's ports
 *    become one `user-port`, PORT and K_* env are appended, its readiness probe moves to queue-proxy, its liveness
 *    probe is pointed at the user port, a preStop waits for queue-proxy's drain; queue-proxy is added.
 * 3. KServe's pod mutator (v0.20.0 pkg/webhook/admission/pod/storage_initializer_injector.go), which runs before
 *    ours (webhook configurations run in name order): a `storageUri` adds the storage-initializer init container,
 *    the `kserve-provision-location` volume and its read-only mount at /mnt/models on kserve-container.
 * Not modelled: image digests and runtimeVersion tags, Istio, KServe's agent/logger/batcher, Knative's var-log
 * collection. They change no index our patch uses.
 */
import { LABELS } from '../core/names.js';
import { isRecord, type Container, type InferenceService, type Pod, type Volume } from '../src/types/kube.js';
import type { RuntimeCatalog, ServingRuntime } from './runtimes.js';

type Obj = Record<string, unknown>;

/** core/v1 Container fields: what of `spec.predictor.model` is the container (the rest is KServe's ModelSpec). */
const CONTAINER_FIELDS = new Set([
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
]);
/** Container lists merged by key in a strategic merge patch (k8s.io/api core/v1 patchMergeKey). */
const MERGE_KEYS: Record<string, string> = { env: 'name', ports: 'containerPort', volumeMounts: 'mountPath' };
/** PodSpec fields of the predictor that reach the pod (its inline PodSpec), and their merge keys. */
const POD_FIELDS = [
  'volumes',
  'nodeSelector',
  'tolerations',
  'affinity',
  'securityContext',
  'serviceAccountName',
  'imagePullSecrets',
  'schedulerName',
  'priorityClassName',
  'runtimeClassName',
  'hostIPC',
  'dnsPolicy',
];

const KNATIVE_QUEUE_ADMIN_PORT = 8022;
const KNATIVE_DEFAULT_USER_PORT = 8080;
const STORAGE_VOLUME = 'kserve-provision-location';
const MODEL_DIR = '/mnt/models';

function mergeList(base: unknown[], overlay: unknown[], key: string): unknown[] {
  const out = base.map((b) => structuredClone(b));
  for (const o of overlay) {
    const i = out.findIndex((b) => isRecord(b) && isRecord(o) && b[key] === o[key]);
    if (i >= 0) out[i] = { ...(out[i] as Obj), ...(o as Obj) };
    else out.push(structuredClone(o));
  }
  return out;
}

/** A strategic merge of `overlay` onto `base` for the Container fields KServe merges; args are concatenated. */
export function mergeRuntimeContainer(base: Obj, overlay: Obj): Obj {
  const out: Obj = structuredClone(base);
  for (const [k, v] of Object.entries(overlay)) {
    if (!CONTAINER_FIELDS.has(k) || v === undefined || v === null || (k === 'name' && v === '')) continue;
    if (k === 'args') out.args = [...((base.args as unknown[]) ?? []), ...(v as unknown[])];
    else if (k in MERGE_KEYS && Array.isArray(v))
      out[k] = mergeList(Array.isArray(base[k]) ? (base[k] as unknown[]) : [], v, MERGE_KEYS[k] as string);
    else if (isRecord(v) && isRecord(base[k])) out[k] = deepMerge(base[k] as Obj, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

function deepMerge(base: Obj, overlay: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(overlay))
    out[k] = isRecord(v) && isRecord(base[k]) ? deepMerge(base[k] as Obj, v) : structuredClone(v);
  return out;
}

/** Go-template placeholders KServe fills from the InferenceService's ObjectMeta: `{{.Name}}`, `{{ .Namespace }}`. */
export function fillPlaceholders<T>(value: T, meta: { name?: string; namespace?: string }): T {
  const text = JSON.stringify(value).replace(/\{\{\s*\.(Name|Namespace)\s*\}\}/g, (_m, field: string) =>
    field === 'Name' ? (meta.name ?? '') : (meta.namespace ?? ''),
  );
  return JSON.parse(text) as T;
}

function kserveContainer(isvc: InferenceService, runtime: ServingRuntime | undefined): Container {
  const predictor = isvc.spec.predictor;
  const custom = predictor.containers?.[0];
  if (!predictor.model && custom) return structuredClone({ ...custom, name: 'kserve-container' });
  const model = (predictor.model ?? {}) as Obj;
  const base = runtime?.spec.containers.find((c) => c.name === 'kserve-container') ?? { name: 'kserve-container' };
  return fillPlaceholders(mergeRuntimeContainer(base, model), isvc.metadata) as Container;
}

function podFields(isvc: InferenceService, runtime: ServingRuntime | undefined): Obj {
  const predictor = isvc.spec.predictor as Obj;
  const out: Obj = {};
  for (const f of POD_FIELDS) {
    const fromRuntime = runtime?.spec[f];
    const fromPredictor = predictor[f];
    if (f === 'volumes' && Array.isArray(fromRuntime) && Array.isArray(fromPredictor))
      out[f] = mergeList(fromRuntime, fromPredictor, 'name');
    else if (isRecord(fromRuntime) && isRecord(fromPredictor)) out[f] = deepMerge(fromRuntime, fromPredictor);
    else if (fromPredictor !== undefined) out[f] = structuredClone(fromPredictor);
    else if (fromRuntime !== undefined) out[f] = structuredClone(fromRuntime);
  }
  return out;
}

/** Knative's user container (makeServingContainer) and queue-proxy (makeQueueContainer), as far as indices go. */
function knative(main: Container, revision: string): { user: Container; queue: Container } {
  const userPort = main.ports?.[0]?.containerPort ?? KNATIVE_DEFAULT_USER_PORT;
  const { readinessProbe, ...rest } = main;
  const user: Container = {
    ...rest,
    ports: [{ name: 'user-port', containerPort: userPort }],
    env: [
      ...(main.env ?? []),
      { name: 'PORT', value: String(userPort) },
      { name: 'K_REVISION', value: revision },
      { name: 'K_CONFIGURATION', value: revision.replace(/-\d+$/, '') },
      { name: 'K_SERVICE', value: revision.replace(/-\d+$/, '') },
    ],
    lifecycle: { preStop: { httpGet: { path: '/wait-for-drain', port: KNATIVE_QUEUE_ADMIN_PORT } } },
    terminationMessagePolicy: (main.terminationMessagePolicy as string | undefined) ?? 'FallbackToLogsOnError',
  };
  const liveness = user.livenessProbe as { httpGet?: Obj; tcpSocket?: Obj } | undefined;
  for (const h of [liveness?.httpGet, liveness?.tcpSocket]) if (h) h.port = userPort;
  const probe = readinessProbe ?? { tcpSocket: { port: userPort } };
  const queue: Container = {
    name: 'queue-proxy',
    image: 'gcr.io/knative-releases/knative.dev/serving/cmd/queue',
    ports: [
      { name: 'http-queueadm', containerPort: KNATIVE_QUEUE_ADMIN_PORT, protocol: 'TCP' },
      { name: 'http-autometric', containerPort: 9090, protocol: 'TCP' },
      { name: 'http-usermetric', containerPort: 9091, protocol: 'TCP' },
      { name: 'queue-port', containerPort: 8012, protocol: 'TCP' },
    ],
    env: [
      { name: 'USER_PORT', value: String(userPort) },
      { name: 'SERVING_READINESS_PROBE', value: JSON.stringify(probe) },
    ],
  };
  return { user, queue };
}

function storageInitializer(pod: Pod, storageUri: string): void {
  const spec = pod.spec!;
  const main = spec.containers[0] as Container;
  main.volumeMounts = [...(main.volumeMounts ?? []), { name: STORAGE_VOLUME, mountPath: MODEL_DIR, readOnly: true }];
  spec.initContainers = [
    ...(spec.initContainers ?? []),
    {
      name: 'storage-initializer',
      image: 'kserve/storage-initializer',
      args: [storageUri, MODEL_DIR],
      volumeMounts: [{ name: STORAGE_VOLUME, mountPath: MODEL_DIR }],
    },
  ];
  spec.volumes = [...(spec.volumes ?? []), { name: STORAGE_VOLUME, emptyDir: {} } as Volume];
}

export interface PodPreview {
  pod: Pod;
  /** Set when the predictor names a runtime that is not one of ours: the pod shows the model container alone. */
  note?: string;
}

/** KServe's predictor labels and annotations over the runtime's (autoscaling.knative.dev/* stay off the pod). */
function podMetadata(isvc: InferenceService, runtime: ServingRuntime | undefined, revision: string): Pod['metadata'] {
  const predictor = isvc.spec.predictor;
  const rt = (field: string): Record<string, string> => (runtime?.spec[field] as Record<string, string>) ?? {};
  const annotations = Object.fromEntries(
    Object.entries({
      ...(isvc.metadata.annotations ?? {}),
      ...rt('annotations'),
      ...(predictor.annotations ?? {}),
    }).filter(([k]) => !k.startsWith('autoscaling.knative.dev/')),
  );
  return {
    generateName: `${revision}-deployment-`,
    namespace: isvc.metadata.namespace,
    labels: {
      ...rt('labels'),
      ...(isvc.metadata.labels ?? {}),
      ...(predictor.labels ?? {}),
      [LABELS.kserveIsvc]: isvc.metadata.name ?? 'isvc',
      component: 'predictor',
      'serving.knative.dev/revision': revision,
    },
    annotations,
  };
}

export function previewPod(isvc: InferenceService, runtimes: RuntimeCatalog): PodPreview {
  const predictor = isvc.spec.predictor;
  const runtimeName = predictor.model?.runtime;
  const runtime = runtimeName ? runtimes.get(runtimeName) : undefined;
  const revision = `${isvc.metadata.name ?? 'isvc'}-predictor-00001`;
  const { user, queue } = knative(kserveContainer(isvc, runtime), revision);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: podMetadata(isvc, runtime, revision),
    spec: {
      ...podFields(isvc, runtime),
      containers: [user, queue],
      ...(typeof predictor.timeout === 'number' ? { terminationGracePeriodSeconds: predictor.timeout } : {}),
      enableServiceLinks: false,
    },
  };
  if (predictor.model?.storageUri) storageInitializer(pod, predictor.model.storageUri);
  if (!runtimeName || runtime) return { pod };
  return {
    pod,
    note: `runtime ${runtimeName} is not a kserve-llmd runtime; the pod is shown with the model container alone`,
  };
}
