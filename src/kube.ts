/**
 * Kubernetes access for the controller and the autoscaler: where the credentials come from, and a small
 * REST client with timeouts on every call.
 *
 * Usage:
 *   const kc = await loadKubeConfig();                 // --kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config
 *   const client = createKubeClient(kc, { timeoutMs: 10_000 });
 *   await client.watch(RESOURCES.pods, 'models', { resourceVersion: rv, allowWatchBookmarks: true }, (e) => …);
 *   const pools = await client.list(RESOURCES.inferencePools, 'models');
 *   await client.patch(RESOURCES.inferenceServices, 'models', 'llama', { metadata: { annotations } },
 *     { type: 'merge' });
 *   // errors are ApiError {status, reason}: isStatus(err, 409) etc.
 *
 * Why a client of our own over client-node's generated APIs: one typed path for every kind (custom and
 * built-in) with plain JSON in and out (client-node turns built-in timestamps into Date objects, which
 * breaks comparing desired with live state), and undici timeouts and body limits set here once (client-node's
 * generated calls have no timeout, style.md §4.6). In a pod the credentials are the service account's
 * (src/kube-incluster.ts, without client-node: importing it costs ~88 MB of RSS, docs/benchmarks.md);
 * from a kubeconfig file they come from client-node's KubeConfig, imported only then, so exec/OIDC/
 * token-file auth plugins work as in kubectl.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import { Agent, errors, request, type Dispatcher } from 'undici';
import { loadInClusterConfig } from './kube-incluster.js';
import { isRecord } from './types/kube.js';
import { DEFAULT_MAX_LINE_BYTES, WatchDecoder, WatchStreamError, type WatchEvent } from './watch-stream.js';

export type { WatchEvent, WatchEventType } from './watch-stream.js';

/**
 * What the REST client needs from credentials: the server and a way to fill TLS material and auth headers
 * per call. client-node's KubeConfig and our InClusterConfig both satisfy it.
 */
export interface KubeAuth {
  getCurrentCluster(): { server: string; skipTLSVerify?: boolean } | null;
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

/** Where a resource lives in the REST API (the path segments and its scope). */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const rt = (group: string, version: string, kind: string, plural: string, namespaced = true): ResourceType => ({
  group,
  version,
  kind,
  plural,
  namespaced,
});

/** Every resource this project reads or writes (RBAC in core/rbac.ts names the same plurals). */
export const RESOURCES = {
  inferenceServices: rt('serving.kserve.io', 'v1beta1', 'InferenceService', 'inferenceservices'),
  inferencePools: rt('inference.networking.k8s.io', 'v1', 'InferencePool', 'inferencepools'),
  httpRoutes: rt('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes'),
  /** Istio: TLS to the endpoint picker (controller, gatewayImplementation istio). */
  destinationRules: rt('networking.istio.io', 'v1', 'DestinationRule', 'destinationrules'),
  /** GKE Gateway: per-InferencePool health check and backend policy (gatewayImplementation gke). */
  healthCheckPolicies: rt('networking.gke.io', 'v1', 'HealthCheckPolicy', 'healthcheckpolicies'),
  gcpBackendPolicies: rt('networking.gke.io', 'v1', 'GCPBackendPolicy', 'gcpbackendpolicies'),
  deployments: rt('apps', 'v1', 'Deployment', 'deployments'),
  services: rt('', 'v1', 'Service', 'services'),
  serviceAccounts: rt('', 'v1', 'ServiceAccount', 'serviceaccounts'),
  configMaps: rt('', 'v1', 'ConfigMap', 'configmaps'),
  pods: rt('', 'v1', 'Pod', 'pods'),
  events: rt('', 'v1', 'Event', 'events'),
  namespaces: rt('', 'v1', 'Namespace', 'namespaces', false),
  roles: rt('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  roleBindings: rt('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  leases: rt('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  podAutoscalers: rt('autoscaling.internal.knative.dev', 'v1alpha1', 'PodAutoscaler', 'podautoscalers'),
  serverlessServices: rt('networking.internal.knative.dev', 'v1alpha1', 'ServerlessService', 'serverlessservices'),
  revisions: rt('serving.knative.dev', 'v1', 'Revision', 'revisions'),
} as const satisfies Record<string, ResourceType>;

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `/api/v1/namespaces/ns/pods/name/status` style paths; namespace is ignored for cluster-scoped kinds. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const root = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name ? `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}` : '';
  return `${root}${ns}/${type.plural}${tail}`;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeList<T = KubeObject> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

/** A non-2xx answer from the API server, with its metav1.Status reason (Conflict, AlreadyExists, …). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isStatus(err: unknown, ...statuses: number[]): boolean {
  return err instanceof ApiError && statuses.includes(err.status);
}

export type PatchType = 'merge' | 'json' | 'strategic';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface ClientOptions {
  /** Whole-request deadline for every non-watch call (client-go's default is none; kubectl's is 32 s). */
  timeoutMs?: number;
  /** Response bodies above this are an error (a LIST of 1,000 InferenceServices is ~5 MB). */
  maxBodyBytes?: number;
  connections?: number;
  fieldManager?: string;
}

export interface ListOptions {
  labelSelector?: string;
  resourceVersion?: string;
}

export interface DeleteOptions {
  /** Delete only if the live object still has this uid (and resourceVersion): never a same-named successor. */
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

export interface WatchOptions {
  labelSelector?: string;
  /** Start after this version; omitted = the current state as ADDED events first. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long (kube-apiserver honours timeoutSeconds). */
  timeoutSeconds?: number;
  /** No byte for this long (not even a bookmark) = a dead connection; the watch ends with 'idle'. */
  idleTimeoutMs?: number;
  maxLineBytes?: number;
  signal?: AbortSignal;
}

/** Why a watch ended without an error: the server closed it, it went silent, or the caller aborted. */
export type WatchEnd = 'closed' | 'idle' | 'aborted';

/** GET /version's answer (k8s.io/apimachinery pkg/version/types.go Info), as the server sends it. */
export interface VersionInfo {
  major?: string;
  minor?: string;
  gitVersion?: string;
  [key: string]: unknown;
}

export interface KubeClient {
  readonly server: string;
  /**
   * The API server's version (GET /version). Every identity may read it, even without RBAC rules: the
   * bootstrap ClusterRole system:public-info-viewer grants it to system:authenticated and system:unauthenticated
   * (Kubernetes v1.28.7 plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go).
   */
  version(): Promise<VersionInfo>;
  get<T = KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource?: string,
  ): Promise<T>;
  list<T = KubeObject>(type: ResourceType, namespace?: string, opts?: ListOptions): Promise<KubeList<T>>;
  create<T = KubeObject>(type: ResourceType, namespace: string | undefined, body: unknown): Promise<T>;
  replace<T = KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource?: string,
  ): Promise<T>;
  patch<T = KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: { type: PatchType; subresource?: string },
  ): Promise<T>;
  delete(type: ResourceType, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;
  /**
   * One watch request: events go to onEvent in order (ERROR events included, for the caller to judge);
   * resolves when the stream ends, rejects on a non-2xx answer (ApiError), a connection error or a line
   * that is not a watch event (WatchStreamError). The body is always consumed or destroyed.
   */
  watch(
    type: ResourceType,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (e: WatchEvent) => void,
  ): Promise<WatchEnd>;
  close(): Promise<void>;
}

/**
 * Credentials, in client-go's order (controller-runtime's GetConfig): an explicit kubeconfig path, else
 * $KUBECONFIG, else the in-cluster service account when this runs in a pod (KUBERNETES_SERVICE_HOST/PORT
 * set and the token mounted), else ~/.kube/config. client-node is imported only for kubeconfig files.
 */
export async function loadKubeConfig(
  opts: { kubeconfig?: string; env?: NodeJS.ProcessEnv; serviceAccountDir?: string } = {},
): Promise<KubeAuth> {
  const env = opts.env ?? process.env;
  if (!opts.kubeconfig && !env.KUBECONFIG) {
    const inCluster = loadInClusterConfig({ env, dir: opts.serviceAccountDir });
    if (inCluster) return inCluster;
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc: KubeConfig = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (cause) {
    throw new Error(
      `cannot load Kubernetes credentials ` +
        `(kubeconfig ${opts.kubeconfig ?? env.KUBECONFIG ?? '~/.kube/config'} ` +
        `or in-cluster)`,
      { cause },
    );
  }
  if (!kc.getCurrentCluster())
    throw new Error('no Kubernetes cluster configured: set KUBECONFIG or run in a pod with a service account');
  return kc;
}

/** Credentials for a loopback server (tests, benchmarks): a fixed bearer token, TLS not verified. */
export function kubeConfigForServer(
  server: string,
  namespace = 'default',
  token = 'test-token',
): KubeAuth & { namespace: string } {
  return {
    namespace,
    getCurrentCluster: () => ({ server, skipTLSVerify: true }),
    async applyToHTTPSOptions(o) {
      o.headers = { ...(Array.isArray(o.headers) ? {} : o.headers), Authorization: `Bearer ${token}` };
    },
  };
}

function toQuery(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function readBody(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new Error(`response body larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function apiError(status: number, text: string, what: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const reason = isRecord(parsed) && typeof parsed.reason === 'string' ? parsed.reason : `HTTP${status}`;
  const message = isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : text.slice(0, 200);
  return new ApiError(status, reason, `${what}: ${status} ${reason}: ${message}`, parsed);
}

/** Decodes a watch body into events; always leaves the body consumed or destroyed. */
async function readWatchBody(
  body: Dispatcher.ResponseData['body'],
  o: WatchOptions,
  what: string,
  onEvent: (e: WatchEvent) => void,
): Promise<WatchEnd> {
  const decoder = new WatchDecoder(o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  let fromHandler: { err: unknown } | undefined;
  const deliver = (e: WatchEvent): void => {
    try {
      onEvent(e);
    } catch (err) {
      fromHandler = { err };
      throw err;
    }
  };
  try {
    for await (const chunk of body) decoder.push(chunk as Buffer, deliver);
    decoder.end(deliver);
    return 'closed';
  } catch (err) {
    if (fromHandler) throw fromHandler.err; // the caller's own error, unchanged
    if (o.signal?.aborted) return 'aborted';
    if (err instanceof errors.BodyTimeoutError) return 'idle';
    throw err instanceof WatchStreamError ? err : new Error(`${what}: ${(err as Error).message}`, { cause: err });
  } finally {
    if (!body.destroyed) body.destroy(); // never leave a watch body half-read (its socket is not reusable)
  }
}

/** A client with a deadline, a body limit and keep-alive on every call (style.md §4.6). */
export function createKubeClient(kc: KubeAuth, opts: ClientOptions = {}): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const server = cluster.server.replace(/\/$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBodyBytes = opts.maxBodyBytes ?? 64 * 2 ** 20;
  let agent: Agent | undefined;

  // TLS material and auth headers are resolved per call: in-cluster tokens rotate (bound SA tokens, ~1 h).
  async function prepare(): Promise<{ headers: Record<string, string>; dispatcher: Agent }> {
    const https: RequestOptions = {};
    await kc.applyToHTTPSOptions(https);
    if (!agent) {
      agent = new Agent({
        connections: opts.connections ?? 32,
        keepAliveTimeout: 30_000,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connect: {
          timeout: Math.min(timeoutMs, 5_000),
          ca: https.ca as string | undefined,
          cert: https.cert as string | undefined,
          key: https.key as string | undefined,
          rejectUnauthorized: cluster?.skipTLSVerify ? false : https.rejectUnauthorized,
          minVersion: 'TLSv1.2',
        },
      });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(https.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
    return { headers, dispatcher: agent };
  }

  async function call<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    what: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const { headers, dispatcher } = await prepare();
    headers.accept = 'application/json';
    if (body !== undefined) headers['content-type'] = contentType;
    let res: Dispatcher.ResponseData | undefined;
    // A GET is retried once on a connection error: a keep-alive connection the server closed (restart, LB
    // idle timeout) is only noticed on reuse. Writes are not retried here; the work queue retries them.
    for (let attempt = 0; res === undefined; attempt++) {
      try {
        res = await request(`${server}${path}`, {
          method,
          headers,
          dispatcher,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        if (method !== 'GET' || attempt > 0) throw new Error(`${what}: ${(cause as Error).message}`, { cause });
      }
    }
    const text = await readBody(res.body, maxBodyBytes);
    if (res.statusCode < 200 || res.statusCode > 299) throw apiError(res.statusCode, text, what);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async function watch(
    type: ResourceType,
    ns: string | undefined,
    o: WatchOptions,
    onEvent: (e: WatchEvent) => void,
  ): Promise<WatchEnd> {
    const { headers, dispatcher } = await prepare();
    headers.accept = 'application/json';
    const query = toQuery({
      watch: 'true',
      labelSelector: o.labelSelector,
      resourceVersion: o.resourceVersion,
      allowWatchBookmarks: o.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: o.timeoutSeconds === undefined ? undefined : String(o.timeoutSeconds),
    });
    const what = label('watch', type, ns);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${server}${resourcePath(type, ns)}${query}`, {
        method: 'GET',
        headers,
        dispatcher,
        signal: o.signal,
        // The server answers a watch at once; after that, bodyTimeout is the inactivity deadline.
        headersTimeout: timeoutMs,
        bodyTimeout: o.idleTimeoutMs ?? 0,
      });
    } catch (cause) {
      if (o.signal?.aborted) return 'aborted';
      throw new Error(`${what}: ${(cause as Error).message}`, { cause });
    }
    if (res.statusCode < 200 || res.statusCode > 299)
      throw apiError(res.statusCode, await readBody(res.body, maxBodyBytes), what);
    return readWatchBody(res.body, o, what, onEvent);
  }

  const fm = opts.fieldManager ? { fieldManager: opts.fieldManager } : {};
  const label = (verb: string, type: ResourceType, ns: string | undefined, name?: string): string =>
    `${verb} ${type.plural}${ns && type.namespaced ? ` ${ns}/` : ' '}${name ?? ''}`.trimEnd();

  return {
    server,
    version: () => call('GET', '/version', 'get /version'),
    get: (type, ns, name, sub) => call('GET', resourcePath(type, ns, name, sub), label('get', type, ns, name)),
    list: (type, ns, o = {}) =>
      call(
        'GET',
        resourcePath(type, ns) + toQuery({ labelSelector: o.labelSelector, resourceVersion: o.resourceVersion }),
        label('list', type, ns),
      ),
    create: (type, ns, body) =>
      call(
        'POST',
        resourcePath(type, ns) + toQuery(fm),
        label('create', type, ns, (body as KubeObject)?.metadata?.name),
        body,
      ),
    replace: (type, ns, name, body, sub) =>
      call('PUT', resourcePath(type, ns, name, sub) + toQuery(fm), label('update', type, ns, name), body),
    patch: (type, ns, name, patch, o) =>
      call(
        'PATCH',
        resourcePath(type, ns, name, o.subresource) + toQuery(fm),
        label('patch', type, ns, name),
        patch,
        PATCH_CONTENT_TYPE[o.type],
      ),
    async delete(type, ns, name, o = {}) {
      const body = {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(o.preconditions ? { preconditions: o.preconditions } : {}),
        propagationPolicy: o.propagationPolicy ?? 'Background',
      };
      await call('DELETE', resourcePath(type, ns, name), label('delete', type, ns, name), body);
    },
    watch,
    async close() {
      await agent?.close();
      agent = undefined;
    },
  };
}
