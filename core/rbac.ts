/**
 * Least-privilege RBAC for every component, as data: each rule names the code path that needs it (`why`).
 * manifests/base/rbac/ is generated from this table (`npm run gen:rbac`; test/manifests/rbac.test.ts fails when
 * the YAML is stale), and tests check every API call a component makes against it with `allows()`, using
 * `requestAttributes()` on the calls the fake API server records.
 *
 * Kubernetes rules (k8s.io/apiserver authorizer, RBAC docs): a rule grants a (apiGroup, resource[/subresource],
 * verb) triple; `resourceNames` narrows get/update/patch/delete to named objects and can never allow create or
 * list/watch; a Role only counts in its own namespace. Escalation prevention: a subject may only create a
 * Role granting permissions it holds itself (or with the `escalate` verb, which we never use), so the
 * controller, which creates each endpoint picker's Role, holds every EPP rule (test/manifests/rbac.test.ts).
 */
import { LEASE_NAMES } from './names.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** The code path that makes these calls. A rule without a reason is a test failure. */
  why: string;
  /** Only these object names (get/update/patch/delete). */
  resourceNames?: string[];
  /** 'cluster' (default): a ClusterRole bound cluster-wide. 'install-namespace': a Role in kserve-llmd only. */
  scope?: 'cluster' | 'install-namespace';
}

export type Component = 'webhook' | 'controller' | 'autoscaler' | 'epp';

const READ: Verb[] = ['get', 'list', 'watch'];
/**
 * What the routing controller does to the objects it owns (controller/reconcile.ts): informers list/watch
 * them, it creates, replaces (PUT with resourceVersion) and deletes (uid precondition) them, and reads one
 * back after a 409 AlreadyExists. It never patches them.
 */
const OWN: Verb[] = ['get', 'list', 'watch', 'create', 'update', 'delete'];
const OWN_WHY =
  ' (list/watch: informer cache filtered by ' +
  'app.kubernetes.io/managed-by; create; update: PUT with ' +
  'resourceVersion when the desired state changes; delete: uid ' +
  'precondition when no longer desired; get: only to read one ' +
  'back after a 409 AlreadyExists)';

/** Leader election on a coordination.k8s.io Lease (style.md §4.8: get, create, update). */
function leaseRules(name: string, component: string): RbacRule[] {
  return [
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'update'],
      resourceNames: [name],
      scope: 'install-namespace',
      why: `${component} leader election: read and renew the Lease ${name}`,
    },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['create'],
      scope: 'install-namespace',
      why: `${component} leader election: create the Lease ${name} on first start (create cannot be limited by name)`,
    },
  ];
}

/**
 * What one endpoint picker reads in its service's namespace: exactly the Roles of upstream's router chart at
 * llm-d-router v0.9.0 (config/charts/routerlib/templates/_rbac.yaml: pods; llm-d-router-gateway/templates/
 * rbac.yaml: inferencepools, and inferenceobjectives/inferencemodelrewrites in both `llm-d.ai` and the legacy
 * `inference.networking.x-k8s.io`). The EPP discovers which group serves InferenceObjective /
 * InferenceModelRewrite (new first, then legacy) and watches that one (pkg/epp/server/controller_config.go), so
 * on a cluster with only the legacy CRDs it needs the legacy group or its cache never syncs. No leases: one
 * replica, no --ha-enable-leader-election (the chart adds them only for replicas > 1).
 */
const EPP_RULES: RbacRule[] = [
  {
    apiGroups: [''],
    resources: ['pods'],
    verbs: READ,
    why: 'EPP datastore: watches the pods its InferencePool selects (endpoints, labels, readiness)',
  },
  {
    apiGroups: ['inference.networking.k8s.io'],
    resources: ['inferencepools'],
    verbs: READ,
    why: 'EPP: watches its InferencePool (--pool-name) for selector and target ports',
  },
  {
    apiGroups: ['llm-d.ai'],
    resources: ['inferenceobjectives', 'inferencemodelrewrites'],
    verbs: READ,
    why: 'EPP (llm-d-router): watches InferenceObjectives (priority) and InferenceModelRewrites for its pool',
  },
  {
    apiGroups: ['inference.networking.x-k8s.io'],
    resources: ['inferenceobjectives', 'inferencemodelrewrites'],
    verbs: READ,
    why: 'EPP (llm-d-router): the same, on clusters that still serve them only in the legacy GIE group',
  },
];

export const RBAC: Record<Component, RbacRule[]> = {
  // The webhooks are pure functions of the AdmissionReview (core/isvc/mutate.ts, webhooks/pod/mutate.ts).
  // Their one API call, GET /version at start (webhooks/pod/native-sidecars.ts), needs no rule:
  // system:public-info-viewer grants it to every identity.
  webhook: [],
  controller: [
    {
      apiGroups: ['serving.kserve.io'],
      resources: ['inferenceservices'],
      verbs: READ,
      why:
        'controller informer: every InferenceService (list/watch; ' +
        'opted-in ones are reconciled); get: only to read the ' +
        'prefill sibling back after a 409 AlreadyExists',
    },
    {
      apiGroups: ['serving.kserve.io'],
      resources: ['inferenceservices'],
      verbs: ['create', 'update', 'patch', 'delete'],
      why:
        'controller: the prefill sibling <name>-prefill (create, ' +
        'propagate predictor changes, delete when disaggregation is ' +
        'off) and the kserve-llmd.io/status annotation (patch)',
    },
    {
      apiGroups: ['inference.networking.k8s.io'],
      resources: ['inferencepools'],
      verbs: OWN,
      why: 'controller: one InferencePool per service, owned by it' + OWN_WHY,
    },
    {
      apiGroups: ['gateway.networking.k8s.io'],
      resources: ['httproutes'],
      verbs: OWN,
      why: 'controller: the HTTPRoute from the gateway to the InferencePool' + OWN_WHY,
    },
    {
      apiGroups: ['apps'],
      resources: ['deployments'],
      verbs: OWN,
      why: 'controller: the endpoint picker Deployment' + OWN_WHY,
    },
    {
      apiGroups: [''],
      resources: ['services', 'configmaps', 'serviceaccounts'],
      verbs: OWN,
      why:
        'controller: the endpoint picker Service (gRPC 9002), its EndpointPickerConfig ConfigMap and ServiceAccount, ' +
        'and the tokenizer Service (routing precise-prefix)' +
        OWN_WHY,
    },
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['roles', 'rolebindings'],
      verbs: OWN,
      why:
        'controller: the endpoint picker Role/RoleBinding (it holds every rule it grants: see the EPP rules below)' +
        OWN_WHY,
    },
    {
      apiGroups: ['networking.istio.io'],
      resources: ['destinationrules'],
      verbs: OWN,
      why:
        'controller, --gateway-implementation=istio only: the DestinationRule that makes the gateway dial ' +
        'the endpoint picker with TLS' +
        OWN_WHY,
    },
    {
      apiGroups: ['networking.gke.io'],
      resources: ['healthcheckpolicies', 'gcpbackendpolicies'],
      verbs: OWN,
      why:
        "controller, --gateway-implementation=gke only: the InferencePool's HealthCheckPolicy and GCPBackendPolicy" +
        OWN_WHY,
    },
    {
      apiGroups: [''],
      resources: ['events'],
      verbs: ['create'],
      why:
        'controller/reporter.ts: a Kubernetes Event on the ' +
        'InferenceService when its routing status changes (one per ' +
        'change, never patched)',
    },
    // Escalation prevention: the EPP Role the controller creates may only contain permissions the controller holds.
    ...EPP_RULES.map((r) => ({ ...r, why: `granted to the endpoint picker's Role (RBAC escalation check): ${r.why}` })),
    ...leaseRules(LEASE_NAMES.controller, 'controller'),
  ],
  autoscaler: [
    {
      apiGroups: ['autoscaling.internal.knative.dev'],
      resources: ['podautoscalers'],
      verbs: READ,
      why: 'autoscaler informer: PodAutoscalers of class autoscaler.kserve-llmd.io',
    },
    {
      apiGroups: ['autoscaling.internal.knative.dev'],
      resources: ['podautoscalers/status'],
      verbs: ['update', 'patch'],
      why:
        'autoscaler actuator: PA status ' +
        'desiredScale/actualScale/serviceName/metricsServiceName and ' +
        'conditions (custom-class contract, kserve-knative.md §4)',
    },
    {
      apiGroups: ['networking.internal.knative.dev'],
      resources: ['serverlessservices'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'],
      why: 'autoscaler actuator: the ServerlessService per PA (Serve/Proxy mode; garbage-collected with the PA)',
    },
    {
      apiGroups: ['apps'],
      resources: ['deployments'],
      verbs: READ,
      why: 'autoscaler: the scale target Deployment (replicas starting count as capacity on the way)',
    },
    {
      apiGroups: ['apps'],
      resources: ['deployments/scale'],
      verbs: ['get', 'update', 'patch'],
      why:
        "autoscaler actuator: patches /scale of the PA's " +
        'scaleTargetRef (and the predictor Deployment in Standard mode)',
    },
    {
      apiGroups: [''],
      resources: ['pods'],
      verbs: READ,
      why: 'autoscaler collector: the ready pods of each revision to scrape vLLM /metrics from',
    },
    ...leaseRules(LEASE_NAMES.autoscaler, 'autoscaler'),
  ],
  epp: EPP_RULES,
};

/** The ServiceAccount of each installed component (the EPP's are created per service by the controller). */
export const SERVICE_ACCOUNTS: Record<Exclude<Component, 'epp'>, string> = {
  webhook: 'kserve-llmd-webhook',
  controller: 'kserve-llmd-controller',
  autoscaler: 'kserve-llmd-autoscaler',
};

/** What the authorizer sees for one REST call (k8s.io/apiserver pkg/endpoints/request RequestInfo). */
export interface RequestAttributes {
  apiGroup: string;
  /** `resource` or `resource/subresource`. */
  resource: string;
  verb: Verb;
  namespace?: string;
  name?: string;
}

const METHOD_VERB: Record<string, Verb> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

function verbOf(method: string, watch: boolean, named: boolean): Verb | undefined {
  if (method === 'GET') return watch ? 'watch' : named ? 'get' : 'list';
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection';
  return METHOD_VERB[method];
}

/**
 * `GET /apis/apps/v1/namespaces/ns/deployments/x/scale` → {apiGroup: apps, resource: deployments/scale, verb: get, …}.
 */
export function requestAttributes(method: string, url: string): RequestAttributes {
  const parsed = new URL(url, 'http://apiserver');
  const parts = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  let apiGroup: string;
  if (parts[0] === 'api') [apiGroup, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis') [apiGroup, rest] = [parts[1] ?? '', parts.slice(3)];
  else throw new Error(`${method} ${url}: not a resource path`);
  let legacyWatch = false;
  if (rest[0] === 'watch') [legacyWatch, rest] = [true, rest.slice(1)];
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource, name, subresource] = rest as [string, string | undefined, string | undefined];
  if (!resource) throw new Error(`${method} ${url}: no resource in the path`);
  const watch = legacyWatch || ['true', '1'].includes(parsed.searchParams.get('watch') ?? '');
  const verb = verbOf(method.toUpperCase(), watch, name !== undefined);
  if (!verb) throw new Error(`${method} ${url}: unknown method`);
  return {
    apiGroup,
    resource: subresource ? `${resource}/${subresource}` : resource,
    verb,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

/** Whether one rule allows the call, given the namespace its Role would live in. */
export function ruleAllows(rule: RbacRule, req: RequestAttributes, installNamespace: string): boolean {
  if ((rule.scope ?? 'cluster') === 'install-namespace' && req.namespace !== installNamespace) return false;
  if (
    !rule.apiGroups.includes(req.apiGroup) ||
    !rule.resources.includes(req.resource) ||
    !rule.verbs.includes(req.verb)
  )
    return false;
  if (rule.resourceNames && rule.resourceNames.length > 0)
    return req.name !== undefined && rule.resourceNames.includes(req.name) && req.verb !== 'create';
  return true;
}

/** The rule that allows the call, if any (for error messages that point at the table). */
export function allows(
  rules: readonly RbacRule[],
  req: RequestAttributes,
  installNamespace: string,
): RbacRule | undefined {
  return rules.find((r) => ruleAllows(r, req, installNamespace));
}
