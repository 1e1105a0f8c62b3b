/**
 * The kinds the fake API server serves: group/version/kind, plural, scope, and which subresources exist.
 * Register more with `server.register(kind)`; the built-in and project kinds below are served by default.
 */
export interface ScaleSpec {
  /** Where `/scale` reads and writes replicas (CRD `subresources.scale` paths, as segment arrays). */
  specReplicasPath: string[];
  statusReplicasPath: string[];
  labelSelectorPath?: string[];
}

export interface KindSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Has a /status subresource: the main resource ignores status writes and /status ignores the rest. */
  status?: boolean;
  scale?: ScaleSpec;
  /**
   * metadata.generation is kept and bumped on every change outside metadata and status. The API server does
   * this for kinds with a status subresource and for most built-ins with a spec; ConfigMap/Secret/SA/RBAC have
   * no generation.
   */
  generation?: boolean;
  shortNames?: string[];
}

export function kindKey(k: { group: string; plural: string }): string {
  return k.group ? `${k.plural}.${k.group}` : k.plural;
}

export function apiVersionOf(k: { group: string; version: string }): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

const spec = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  more: Partial<KindSpec> = {},
): KindSpec => ({
  group,
  version,
  kind,
  plural,
  namespaced: true,
  ...more,
});

const deploymentScale: ScaleSpec = {
  specReplicasPath: ['spec', 'replicas'],
  statusReplicasPath: ['status', 'replicas'],
  labelSelectorPath: ['status', 'selector'],
};

export const BUILTIN_KINDS: readonly KindSpec[] = [
  spec('', 'v1', 'Namespace', 'namespaces', { namespaced: false, status: true }),
  spec('', 'v1', 'ConfigMap', 'configmaps'),
  spec('', 'v1', 'Secret', 'secrets'),
  spec('', 'v1', 'Service', 'services', { status: true }),
  spec('', 'v1', 'ServiceAccount', 'serviceaccounts'),
  spec('', 'v1', 'Pod', 'pods', { status: true }),
  spec('', 'v1', 'Event', 'events'),
  spec('apps', 'v1', 'Deployment', 'deployments', { status: true, generation: true, scale: deploymentScale }),
  spec('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  spec('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  spec('coordination.k8s.io', 'v1', 'Lease', 'leases'),
];

/**
 * The custom resources of KServe, Knative, GIE, Gateway API, Istio and GKE this project touches (their CRDs:
 * schemas/crds).
 */
export const PROJECT_KINDS: readonly KindSpec[] = [
  spec('serving.kserve.io', 'v1beta1', 'InferenceService', 'inferenceservices', {
    status: true,
    generation: true,
    shortNames: ['isvc'],
  }),
  spec('serving.kserve.io', 'v1alpha1', 'ClusterServingRuntime', 'clusterservingruntimes', {
    namespaced: false,
    status: true,
    generation: true,
  }),
  spec('inference.networking.k8s.io', 'v1', 'InferencePool', 'inferencepools', { status: true, generation: true }),
  spec('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes', { status: true, generation: true }),
  spec('gateway.networking.k8s.io', 'v1', 'Gateway', 'gateways', { status: true, generation: true }),
  // Gateway-implementation objects of the routing controller (CRDs: schemas/crds/istio, schemas/crds/gke).
  spec('networking.istio.io', 'v1', 'DestinationRule', 'destinationrules', { status: true, generation: true }),
  spec('networking.gke.io', 'v1', 'HealthCheckPolicy', 'healthcheckpolicies', { status: true, generation: true }),
  spec('networking.gke.io', 'v1', 'GCPBackendPolicy', 'gcpbackendpolicies', { status: true, generation: true }),
  spec('serving.knative.dev', 'v1', 'Revision', 'revisions', { status: true, generation: true }),
  spec('serving.knative.dev', 'v1', 'Service', 'services', { status: true, generation: true, shortNames: ['ksvc'] }),
  spec('autoscaling.internal.knative.dev', 'v1alpha1', 'PodAutoscaler', 'podautoscalers', {
    status: true,
    generation: true,
    shortNames: ['kpa', 'pa'],
  }),
  spec('networking.internal.knative.dev', 'v1alpha1', 'ServerlessService', 'serverlessservices', {
    status: true,
    generation: true,
    shortNames: ['sks'],
  }),
];
