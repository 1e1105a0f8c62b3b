/**
 * What `schemas/` holds and where each file comes from: the one list `npm run schemas:update` copies from and
 * `schemas/README.md` is written from. Add an entry here (and re-run the update) when a test needs another
 * schema; `test/schemas/schemas.test.ts` fails when a file in `schemas/` is not listed or a listed file is missing.
 */

export interface Upstream {
  repository: string;
  ref: string;
  commit: string;
}

/** A CustomResourceDefinition file: descriptions dropped, only the listed served versions kept. */
export interface CrdSource {
  kind: 'crd';
  /** Path under `schemas/`. */
  file: string;
  /** Path under the `--from` folder (the layout of the shared data shelf). */
  from: string;
  upstream: Upstream;
  upstreamPath: string;
  /** Versions kept (others are dropped); every one of them must be served. */
  versions: string[];
  /** What the project uses it for. */
  use: string;
}

/** A Kubernetes OpenAPI v3 document: only the listed kinds and what their schemas reference, no descriptions. */
export interface OpenApiSource {
  kind: 'openapi';
  file: string;
  from: string;
  upstream: Upstream;
  upstreamPath: string;
  /** Kinds whose schemas (and everything they reference) are kept. */
  kinds: string[];
  use: string;
}

/** An upstream manifest copied byte for byte. */
export interface VerbatimSource {
  kind: 'verbatim';
  file: string;
  from: string;
  upstream: Upstream;
  upstreamPath: string;
  use: string;
}

export type SchemaSource = CrdSource | OpenApiSource | VerbatimSource;

const KSERVE: Upstream = {
  repository: 'kserve/kserve',
  ref: 'v0.20.0',
  commit: '1fb781055dd1567164358233e1125142ca6ef1fe',
};
const KNATIVE: Upstream = {
  repository: 'knative/serving',
  ref: 'knative-v1.23.0',
  commit: '7ed4aa2ab601e3a33c6552285f6e0d910747351d',
};
const GIE: Upstream = {
  repository: 'kubernetes-sigs/gateway-api-inference-extension',
  ref: 'v1.6.0',
  commit: '992e5c292afb248801ce8d9234eb5b9d28eea231',
};
const GATEWAY_API: Upstream = {
  repository: 'kubernetes-sigs/gateway-api',
  ref: 'v1.3.0',
  commit: '40be951cebe5cb3f0365fe6951403de4ff8b9f33',
};
const CERT_MANAGER: Upstream = {
  repository: 'cert-manager/cert-manager',
  ref: 'v1.19.1',
  commit: 'a22e21ea38f6a8e031af99471b0a50287fed8e7f',
};
const ISTIO: Upstream = { repository: 'istio/api', ref: '1.30.1', commit: '(release tag)' };
/** No release tag carries the fields the controller uses (v1.4.0, 2024, predates them). */
const GKE_GATEWAY: Upstream = {
  repository: 'GoogleCloudPlatform/gke-gateway-api',
  ref: 'main@fc40d606',
  commit: 'fc40d606a5332f11a8883f85caff66b63c4e88ef',
};
/** The OpenAPI a v1.28.7 API server serves at /openapi/v3 (kubernetes/kubernetes api/openapi-spec/v3). */
const KUBERNETES: Upstream = { repository: 'kubernetes/kubernetes', ref: 'v1.28.7', commit: '(release tag)' };

interface CrdEntry {
  /** Folder under crds/ (and on the shelf). */
  family: string;
  name: string;
  upstream: Upstream;
  upstreamPath: string;
  versions: string[];
  use: string;
  /** The file's name on the shelf, when it differs from `name`. */
  shelfName?: string;
}

const crd = (e: CrdEntry): CrdSource => ({
  kind: 'crd',
  file: `crds/${e.family}/${e.name}`,
  from: `crds/${e.family}/${e.shelfName ?? e.name}`,
  upstream: e.upstream,
  upstreamPath: e.upstreamPath,
  versions: e.versions,
  use: e.use,
});

const openapi = (group: string, kinds: string[], use: string): OpenApiSource => {
  const shelf = group === '' ? 'api_v1.json' : `apis_${group}.json`;
  const upstreamName = group === '' ? 'api__v1_openapi.json' : `apis__${group.replace('_', '__')}_openapi.json`;
  return {
    kind: 'openapi',
    file: `openapi/v1.28/${shelf}`,
    from: `openapi/v1.28/${shelf}`,
    upstream: KUBERNETES,
    upstreamPath: `api/openapi-spec/v3/${upstreamName}`,
    kinds,
    use,
  };
};

const kserveManifest = (file: string, upstreamPath: string, use: string): VerbatimSource => ({
  kind: 'verbatim',
  file: `upstream/kserve/${file}`,
  from: `examples/kserve/${file}`,
  upstream: KSERVE,
  upstreamPath,
  use,
});

export const SOURCES: readonly SchemaSource[] = [
  crd({
    family: 'kserve',
    name: 'serving.kserve.io_inferenceservices.yaml',
    upstream: KSERVE,
    upstreamPath: 'config/crd/full/serving.kserve.io_inferenceservices.yaml',
    versions: ['v1beta1'],
    use: 'InferenceServices the webhook mutates, render prints and the controller creates (prefill sibling)',
  }),
  crd({
    family: 'kserve',
    name: 'serving.kserve.io_clusterservingruntimes.yaml',
    upstream: KSERVE,
    upstreamPath: 'config/crd/full/serving.kserve.io_clusterservingruntimes.yaml',
    versions: ['v1alpha1'],
    use: 'the six ClusterServingRuntimes under serving-runtimes/',
  }),
  crd({
    family: 'knative-serving',
    name: 'podautoscaler.yaml',
    upstream: KNATIVE,
    upstreamPath: 'config/core/300-resources/podautoscaler.yaml',
    versions: ['v1alpha1'],
    use: 'PodAutoscalers the autoscaler reads and whose status it writes',
  }),
  crd({
    family: 'knative-serving',
    name: 'serverlessservice.yaml',
    upstream: KNATIVE,
    upstreamPath: 'vendor/knative.dev/networking/config/serverlessservice.yaml',
    versions: ['v1alpha1'],
    use: 'ServerlessServices the autoscaler creates and switches between Serve and Proxy',
  }),
  crd({
    family: 'knative-serving',
    name: 'service.yaml',
    upstream: KNATIVE,
    upstreamPath: 'config/core/300-resources/service.yaml',
    versions: ['v1'],
    use: 'the Knative Service KServe creates from an InferenceService (end-to-end tests render it)',
  }),
  crd({
    family: 'gateway-api-inference-extension',
    name: 'inference.networking.k8s.io_inferencepools.yaml',
    upstream: GIE,
    upstreamPath: 'config/crd/bases/inference.networking.k8s.io_inferencepools.yaml',
    versions: ['v1'],
    use: 'the InferencePool the controller creates per service',
    shelfName: 'inference.networking.k8s.io_inferencepools.v1.6.0.yaml',
  }),
  crd({
    family: 'gateway-api',
    name: 'gateway.networking.k8s.io_httproutes.yaml',
    upstream: GATEWAY_API,
    upstreamPath: 'config/crd/standard/gateway.networking.k8s.io_httproutes.yaml',
    versions: ['v1'],
    use: 'the HTTPRoute the controller creates from kserve-llmd.io/gateway',
  }),
  crd({
    family: 'istio',
    name: 'networking.istio.io_destinationrules.yaml',
    upstream: ISTIO,
    upstreamPath: 'kubernetes/customresourcedefinitions.gen.yaml (document destinationrules.networking.istio.io)',
    versions: ['v1'],
    use: 'the DestinationRule (TLS to the endpoint picker) the controller writes for --gateway-implementation=istio',
  }),
  crd({
    family: 'gke',
    name: 'networking.gke.io_healthcheckpolicies.yaml',
    upstream: GKE_GATEWAY,
    upstreamPath: 'config/crd/networking.gke.io_healthcheckpolicies.yaml',
    versions: ['v1'],
    use: 'the HealthCheckPolicy the controller writes for --gateway-implementation=gke',
  }),
  crd({
    family: 'gke',
    name: 'networking.gke.io_gcpbackendpolicies.yaml',
    upstream: GKE_GATEWAY,
    upstreamPath: 'config/crd/networking.gke.io_gcpbackendpolicies.yaml',
    versions: ['v1'],
    use: 'the GCPBackendPolicy the controller writes for --gateway-implementation=gke',
  }),
  crd({
    family: 'cert-manager',
    name: 'cert-manager.io_certificates.yaml',
    upstream: CERT_MANAGER,
    upstreamPath: 'deploy/crds/cert-manager.io_certificates.yaml',
    versions: ['v1'],
    use: "the webhook's serving Certificate in manifests/",
  }),
  crd({
    family: 'cert-manager',
    name: 'cert-manager.io_issuers.yaml',
    upstream: CERT_MANAGER,
    upstreamPath: 'deploy/crds/cert-manager.io_issuers.yaml',
    versions: ['v1'],
    use: "the webhook's self-signed Issuer in manifests/",
  }),
  openapi(
    '',
    ['Pod', 'Service', 'ConfigMap', 'ServiceAccount', 'Namespace', 'Event'],
    'pods the pod webhook mutates; the objects the controller and manifests create; Events',
  ),
  openapi('apps_v1', ['Deployment'], 'the endpoint picker and the components in manifests/'),
  openapi(
    'rbac.authorization.k8s.io_v1',
    ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
    'RBAC generated from core/rbac.ts and the endpoint picker Role',
  ),
  openapi('policy_v1', ['PodDisruptionBudget'], 'PodDisruptionBudgets in manifests/'),
  openapi(
    'admissionregistration.k8s.io_v1',
    ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    "our webhook configuration; KServe's shipped webhook manifests",
  ),
  openapi('coordination.k8s.io_v1', ['Lease'], 'leader election Leases'),
  openapi('networking.k8s.io_v1', ['NetworkPolicy'], 'NetworkPolicies in manifests/components/network-policies'),
  kserveManifest(
    'runtimes/kserve-vllmserver.yaml',
    'config/runtimes/kserve-vllmserver.yaml',
    "KServe's own vLLM runtime: our runtimes are checked against its conventions",
  ),
  kserveManifest(
    'runtimes/kserve-huggingfaceserver.yaml',
    'config/runtimes/kserve-huggingfaceserver.yaml',
    "KServe's Hugging Face runtime (auto-selects format huggingface: ours must not collide)",
  ),
  kserveManifest(
    'runtimes/kserve-huggingfaceserver-multinode.yaml',
    'config/runtimes/kserve-huggingfaceserver-multinode.yaml',
    "KServe's multi-node runtime (priority 2 for huggingface)",
  ),
  kserveManifest(
    'webhooks/kserve-webhook-manifests.yaml',
    'config/webhook/manifests.yaml',
    "KServe's webhook configurations (ours must order and coexist with them)",
  ),
];
