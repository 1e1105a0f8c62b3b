/**
 * Names other components rely on (serving runtimes, controller, autoscaler, manifests).
 * One place, so a rename cannot drift between the webhook and what it selects.
 */
import { createHash } from 'node:crypto';

export const ANNOTATION_PREFIX = 'kserve-llmd.io/';

/** The Knative PodAutoscaler class. Must not end in `.knative.dev` (Knative rejects foreign classes there). */
export const AUTOSCALER_CLASS = 'autoscaler.kserve-llmd.io';
export const KNATIVE_CLASS_ANNOTATION = 'autoscaling.knative.dev/class';

export const ACCELERATORS = ['nvidia', 'amd', 'tpu', 'intel-xpu', 'gaudi', 'cpu'] as const;
export type Accelerator = (typeof ACCELERATORS)[number];

/** The ClusterServingRuntime for an accelerator: `kserve-llmd-vllm-<accelerator>`. */
export function runtimeName(accelerator: Accelerator): string {
  return `kserve-llmd-vllm-${accelerator}`;
}

/** Name of the controller-created prefill sibling of an InferenceService. */
export function prefillSiblingName(isvcName: string): string {
  return `${isvcName}-prefill`;
}

export const LABELS = {
  /** Pods of one service (decode and its prefill sibling): the InferencePool selector. */
  pool: 'kserve-llmd.io/pool',
  accelerator: 'kserve-llmd.io/accelerator',
  inferenceServing: 'llm-d.ai/inference-serving',
  model: 'llm-d.ai/model',
  role: 'llm-d.ai/role',
  engineType: 'llm-d.ai/engine-type',
  acceleratorVendor: 'llm-d.ai/accelerator-vendor',
  acceleratorVariant: 'llm-d.ai/accelerator-variant',
  /** Set by KServe on every predictor pod. */
  kserveIsvc: 'serving.kserve.io/inferenceservice',
} as const;

export type Role = 'decode' | 'prefill' | 'prefill-decode';

/** llm-d.ai/accelerator-vendor values as llm-d's guides spell them (llm-d.md §1, §10). */
export const ACCELERATOR_VENDOR: Record<Accelerator, string> = {
  nvidia: 'nvidia',
  amd: 'amd',
  tpu: 'google',
  'intel-xpu': 'intel',
  gaudi: 'intel',
  cpu: 'cpu',
};

/** llm-d.ai/accelerator-variant values on the serving runtimes (llm-d modelserver kustomizations, llm-d.md §1, §10). */
export const ACCELERATOR_VARIANT: Record<Accelerator, string> = {
  nvidia: 'gpu',
  amd: 'gpu',
  tpu: 'tpu',
  'intel-xpu': 'xpu',
  gaudi: 'hpu',
  cpu: 'cpu',
};

/** Extended resource names that identify an accelerator in a predictor's resources. */
export const ACCELERATOR_RESOURCES: ReadonlyArray<{ match: (resource: string) => boolean; accelerator: Accelerator }> =
  [
    { match: (r) => r === 'nvidia.com/gpu', accelerator: 'nvidia' },
    { match: (r) => r === 'amd.com/gpu', accelerator: 'amd' },
    { match: (r) => r === 'google.com/tpu', accelerator: 'tpu' },
    { match: (r) => r.startsWith('gpu.intel.com/'), accelerator: 'intel-xpu' },
    { match: (r) => r === 'habana.ai/gaudi', accelerator: 'gaudi' },
  ];

/** Pod annotations the pod webhook writes for other components (the autoscaler's collector). */
export const POD_ANNOTATIONS = {
  /** The port where vLLM itself serves /metrics (behind the routing sidecar on decode pods). */
  vllmPort: 'kserve-llmd.io/vllm-port',
  /** Features injected at pod creation, for `kubectl get pod -o yaml` readers. */
  injected: 'kserve-llmd.io/injected',
} as const;

/**
 * The serving port of the kserve-llmd vLLM runtimes (llm-d's layout: the InferencePool targets 8000; on decode
 * pods the routing sidecar holds it and vLLM moves to 8200). See docs/port-layout.md.
 */
export const SERVING_PORT = 8000;

/** The namespace the install manifests (manifests/) put every kserve-llmd component in. */
export const INSTALL_NAMESPACE = 'kserve-llmd';

/**
 * The MutatingWebhookConfiguration. The API server runs mutating configurations sorted by name
 * (kserve-knative.md §6), so this name sorts after KServe's `inferenceservice.serving.kserve.io` (its
 * defaulter has normalised `spec.predictor.model` before we read it) and before Knative's
 * `webhook.serving.knative.dev`.
 */
export const WEBHOOK_CONFIGURATION_NAME = 'llmd.kserve-llmd.io';

/** coordination.k8s.io Lease names for leader election, in INSTALL_NAMESPACE (RBAC grants exactly these). */
export const LEASE_NAMES = {
  controller: 'kserve-llmd-controller',
  autoscaler: 'kserve-llmd-autoscaler',
} as const;

/** The routing controller (issue 4): how its objects are labelled and recognised. */
export const CONTROLLER = {
  /** app.kubernetes.io/managed-by on every object the controller creates; its informers select on it. */
  managedBy: 'kserve-llmd-controller',
  /** Label naming the InferenceService an object belongs to. */
  ownerLabel: 'kserve-llmd.io/inferenceservice',
  /**
   * Hash of the desired state the controller last wrote. Outside `kserve-llmd.io/` on purpose: the webhook
   * rejects unknown annotations under that prefix, and the prefill sibling carries this one too.
   */
  hashAnnotation: 'controller.kserve-llmd.io/desired-hash',
  /** On the EPP pod template: a config change rolls the EPP, which reads its config at start. */
  configHashAnnotation: 'controller.kserve-llmd.io/epp-config-hash',
} as const;

/** Endpoint picker ports (llm-d.md §1): ext_proc gRPC, gRPC health, Prometheus metrics. */
export const EPP_PORTS = { grpc: 9002, health: 9003, metrics: 9090 } as const;

/**
 * `<name>-<suffix>`, kept a DNS-1035 label (≤ 63 characters; Service names must be, and InferenceService names
 * may reach 63, the pool label's limit). Too long → the name is cut and 8 hex of sha256(name) keep it unique.
 * The routing controller names its per-service objects with it; other components find them by it.
 */
export function boundedChildName(name: string, suffix: string): string {
  const full = `${name}-${suffix}`;
  if (full.length <= 63) return full;
  const keep = 63 - suffix.length - 10;
  return `${name.slice(0, keep).replace(/-+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}-${suffix}`;
}

/**
 * The endpoint picker's Service for an InferenceService (= its pool, `kserve-llmd.io/pool`): the routing
 * controller creates it under this name, the autoscaler scrapes its metrics port through it.
 */
export function eppServiceName(isvcName: string): string {
  return boundedChildName(isvcName, 'epp');
}

/**
 * The autoscaler's `eppMetricsUrl` for the controller's EPP Services: `{service}` = eppServiceName(pool),
 * `{namespace}` = the pool's namespace, port = EPP_PORTS.metrics.
 */
export const EPP_METRICS_URL_TEMPLATE = `http://{service}.{namespace}.svc:${EPP_PORTS.metrics}/metrics`;
