/**
 * A loopback fake Kubernetes API server speaking the REST protocol client-node and src/kube.ts use, so
 * production code runs unchanged over real HTTP.
 *
 * Usage:
 *   const api = await startFakeApiServer({ validate: validateObject });   // schema-check every write
 *   const kc = api.kubeConfig();                                           // → createKubeClient(kc),
 *                                                                          //   makeInformer(kc, …)
 *   api.seed(obj)                                                          // insert directly (no call logged)
 *   api.calls                                                              // [{verb, group, resource, subresource,
 *                                                                          //   namespace, name, code}]
 *   api.failNext(3, 500)  /  api.failNext(1, 409, (c) => c.verb === 'update')
 *   api.dropWatches()     /  await api.restart({ compact: true })         // next watches resume → 410 → relist
 *   await api.close()
 *
 * What it enforces (as the real server does): discovery; get/list/watch/create/update/patch/delete; merge,
 * JSON and (subset) strategic merge patch; 409 AlreadyExists and 409 Conflict on a stale resourceVersion
 * (update, patch with metadata.resourceVersion, delete preconditions); 404; 410 Gone (as a watch ERROR event)
 * for a resourceVersion older than the kept history; BOOKMARK events with allowWatchBookmarks; label
 * selectors on list and watch (objects leaving a selector arrive as DELETED); uid, creationTimestamp,
 * resourceVersion and generation bookkeeping; no-op updates keep the resourceVersion; /status and /scale
 * subresources; finalizers + deletionTimestamp; background/orphan ownerReference garbage collection; a 3 MiB
 * request body limit (413).
 *
 * What it does not do (documented limits): authentication/authorization (every token is admitted; RBAC is
 * checked from the call log instead, see test/controller/rbac.test.ts), admission webhooks and defaulting
 * (tests call the webhook's pure mutation themselves), server-side apply, field selectors, list pagination
 * (limit/continue are ignored: one page), dry-run, foreground deletion (treated as background), CEL
 * validation, and the Event/Lease/… defaulting of built-ins. Schema validation runs only when `validate` is
 * passed (test/support/schema.ts validateObject); admission runs only when `admit` is passed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { apiVersionOf, BUILTIN_KINDS, kindKey, PROJECT_KINDS, type KindSpec } from './kinds.js';
import { Handlers, type Admit, type Target, type Validate } from './handlers.js';
import { parseSelector, SelectorError } from './selector.js';
import { ApiStatus, deliver, Store, type Obj, type Watcher } from './store.js';

export interface CallRecord {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  code: number;
  /** Set for discovery and other non-resource paths. */
  nonResourceURL?: string;
}

export interface FakeApiServerOptions {
  kinds?: KindSpec[];
  validate?: Validate;
  /** Mutating admission (e.g. the kserve-llmd webhook's pure mutation) run on create and update. */
  admit?: Admit;
  /** Reject creates in namespaces that do not exist (the NamespaceLifecycle admission plugin). */
  requireNamespace?: boolean;
  bookmarkIntervalMs?: number;
  historyLimit?: number;
  port?: number;
}

interface Fault {
  remaining: number;
  code: number;
  match: (c: CallRecord) => boolean;
}

const BODY_LIMIT = 3 * 2 ** 20;

function status(code: number, reason: string, message: string): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    reason,
    code,
  };
}

export class FakeApiServer {
  readonly store: Store;
  readonly calls: CallRecord[] = [];
  private readonly kinds: KindSpec[];
  private readonly handlers: Handlers;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<ServerResponse>();
  private faults: Fault[] = [];
  private port = 0;

  constructor(private readonly opts: FakeApiServerOptions = {}) {
    this.kinds = [...BUILTIN_KINDS, ...PROJECT_KINDS, ...(opts.kinds ?? [])];
    this.store = new Store(opts.historyLimit);
    this.handlers = new Handlers(this.store, () => this.kinds, opts.validate, opts.requireNamespace, opts.admit);
    this.server = this.makeServer();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  register(kind: KindSpec): void {
    this.kinds.push(kind);
  }

  kubeConfig(namespace = 'default'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', namespace }],
      currentContext: 'fake',
    });
    return kc;
  }

  async listen(port = this.opts.port ?? 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Fail the next `n` requests matching `match` with `code` (before they touch the store). */
  failNext(n: number, code: number, match: (c: CallRecord) => boolean = () => true): void {
    this.faults.push({ remaining: n, code, match });
  }

  /** End every open watch stream (a load balancer or API server restart does this). */
  dropWatches(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
    this.store.watchers.clear();
  }

  /** Stop listening, drop every connection, optionally compact history, and listen again on the same port. */
  async restart(opts: { compact?: boolean; downMs?: number } = {}): Promise<void> {
    this.dropWatches();
    await this.stop();
    if (opts.compact) this.store.compact();
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  /** Insert an object directly, as another client would have (no call logged). */
  seed(obj: Obj): Obj {
    const kind = this.kindFor(obj.apiVersion, obj.kind);
    return this.handlers.create({ kind, namespace: obj.metadata?.namespace ?? '' }, obj);
  }

  /** The stored object, or undefined. */
  object(apiVersion: string, kind: string, namespace: string, name: string): Obj | undefined {
    const spec = this.kindFor(apiVersion, kind);
    return this.store.get(spec, spec.namespaced ? namespace : '', name);
  }

  objects(apiVersion: string, kind: string, namespace?: string): Obj[] {
    return this.store.list(this.kindFor(apiVersion, kind), namespace);
  }

  /** Write as another client would (no call logged): update, status, delete. */
  direct(): Handlers {
    return this.handlers;
  }

  target(apiVersion: string, kind: string, namespace: string, name?: string, subresource?: string): Target {
    return { kind: this.kindFor(apiVersion, kind), namespace, name, subresource };
  }

  kindFor(apiVersion: string, kind: string): KindSpec {
    const spec = this.kinds.find((k) => apiVersionOf(k) === apiVersion && k.kind === kind);
    if (!spec) throw new Error(`fake API server: ${apiVersion} ${kind} is not registered`);
    return spec;
  }

  async close(): Promise<void> {
    this.dropWatches();
    await this.stop();
  }

  private async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private makeServer(): Server {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.reply(res, 500, status(500, 'InternalError', String(err))));
    });
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private reply(res: ServerResponse, code: number, body: unknown): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > BODY_LIMIT)
        throw new ApiStatus(413, 'RequestEntityTooLarge', 'request entity too large: limit is 3145728');
      chunks.push(c as Buffer);
    }
    if (size === 0) return undefined;
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new ApiStatus(400, 'BadRequest', 'the request body is not JSON');
    }
  }

  // Complexity over the lint limit on purpose (test code): one request's whole path in order (record the call,
  // injected fault, dispatch, error → Status), so a test's view of the server reads top to bottom.
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = this.route(url.pathname);
    const method = req.method ?? 'GET';
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const call: CallRecord = route.nonResource
      ? {
          verb: method.toLowerCase(),
          group: '',
          resource: '',
          subresource: '',
          namespace: '',
          name: '',
          code: 200,
          nonResourceURL: url.pathname,
        }
      : {
          verb: verbOf(method, route.target?.name, watch),
          group: route.target?.kind.group ?? '',
          resource: route.target?.kind.plural ?? route.plural ?? '',
          subresource: route.target?.subresource ?? '',
          namespace: route.target?.namespace ?? '',
          name: route.target?.name ?? '',
          code: 200,
        };
    this.calls.push(call);
    const fault = this.faults.find((f) => f.remaining > 0 && f.match(call));
    if (fault) {
      fault.remaining -= 1;
      call.code = fault.code;
      this.reply(
        res,
        fault.code,
        status(
          fault.code,
          fault.code === 409 ? 'Conflict' : fault.code === 429 ? 'TooManyRequests' : 'InternalError',
          'injected fault',
        ),
      );
      return;
    }
    try {
      const out = await this.dispatch({ req, res, url, route, method, watch });
      if (out === undefined) return; // a watch stream
      call.code = out.code;
      this.reply(res, out.code, out.body);
    } catch (err) {
      const s =
        err instanceof ApiStatus
          ? err
          : err instanceof SelectorError
            ? new ApiStatus(400, 'BadRequest', err.message)
            : new ApiStatus(500, 'InternalError', String(err));
      call.code = s.code;
      this.reply(res, s.code, status(s.code, s.reason, s.message));
    }
  }

  private route(path: string): { nonResource?: boolean; discovery?: Obj; target?: Target; plural?: string } {
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (segs[0] === 'version')
      return { nonResource: true, discovery: { major: '1', minor: '28', gitVersion: 'v1.28.0-fake' } };
    let group = '';
    let version = '';
    let rest: string[];
    if (segs[0] === 'api') {
      if (segs.length === 1)
        return {
          nonResource: true,
          discovery: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
        };
      version = segs[1] as string;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      if (segs.length === 1) return { nonResource: true, discovery: this.groupList() };
      group = segs[1] as string;
      version = segs[2] ?? '';
      rest = segs.slice(3);
      if (!version) return { nonResource: true, discovery: this.groupList().groups.find((g: Obj) => g.name === group) };
    } else return { nonResource: true };
    if (rest.length === 0) return { nonResource: true, discovery: this.resourceList(group, version) };
    const find = (plural: string | undefined): KindSpec | undefined =>
      this.kinds.find((k) => k.group === group && k.version === version && k.plural === plural);
    if (rest[0] === 'namespaces' && rest.length >= 3 && find(rest[2])?.namespaced) {
      return {
        target: { kind: find(rest[2]) as KindSpec, namespace: rest[1] as string, name: rest[3], subresource: rest[4] },
        plural: rest[2],
      };
    }
    const kind = find(rest[0]);
    if (!kind) return { plural: rest[0] };
    return { target: { kind, namespace: '', name: rest[1], subresource: rest[2] }, plural: rest[0] };
  }

  private groupList(): Obj {
    const groups = new Map<string, Set<string>>();
    for (const k of this.kinds) if (k.group) groups.set(k.group, (groups.get(k.group) ?? new Set()).add(k.version));
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${[...versions][0]}`, version: [...versions][0] },
      })),
    };
  }

  private resourceList(group: string, version: string): Obj | undefined {
    const kinds = this.kinds.filter((k) => k.group === group && k.version === version);
    if (kinds.length === 0) return undefined;
    const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    const resources = kinds.flatMap((k) => [
      {
        name: k.plural,
        singularName: k.kind.toLowerCase(),
        namespaced: k.namespaced,
        kind: k.kind,
        verbs,
        ...(k.shortNames ? { shortNames: k.shortNames } : {}),
      },
      ...(k.status
        ? [
            {
              name: `${k.plural}/status`,
              singularName: '',
              namespaced: k.namespaced,
              kind: k.kind,
              verbs: ['get', 'patch', 'update'],
            },
          ]
        : []),
      ...(k.scale
        ? [
            {
              name: `${k.plural}/scale`,
              singularName: '',
              namespaced: k.namespaced,
              group: 'autoscaling',
              version: 'v1',
              kind: 'Scale',
              verbs: ['get', 'patch', 'update'],
            },
          ]
        : []),
    ]);
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources,
    };
  }

  // Complexity over the lint limit on purpose (test code): the verb table (discovery; get/list/watch/create on
  // collections; get/put/patch/delete on objects and their status/scale) in one place, like the REST routes.
  private async dispatch(r: {
    req: IncomingMessage;
    res: ServerResponse;
    url: URL;
    route: ReturnType<FakeApiServer['route']>;
    method: string;
    watch: boolean;
  }): Promise<{ code: number; body: unknown } | undefined> {
    const { req, res, url, route, method, watch } = r;
    if (route.nonResource) {
      if (method !== 'GET' || route.discovery === undefined)
        throw new ApiStatus(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      return { code: 200, body: route.discovery };
    }
    const t = route.target;
    if (!t) throw new ApiStatus(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    if (t.subresource && !['status', 'scale'].includes(t.subresource))
      throw new ApiStatus(404, 'NotFound', `no subresource ${t.subresource}`);
    if (t.subresource === 'status' && !t.kind.status)
      throw new ApiStatus(404, 'NotFound', `${kindKey(t.kind)} has no status subresource`);
    const body = await this.readBody(req);
    const h = this.handlers;
    if (!t.name) {
      if (method === 'GET' && watch) return this.watch(req, res, t, url);
      if (method === 'GET') return { code: 200, body: this.list(t, url) };
      if (method === 'POST') return { code: 201, body: h.create(t, (body ?? {}) as Obj) };
      throw new ApiStatus(405, 'MethodNotAllowed', `${method} on a collection is not supported by the fake`);
    }
    if (method === 'GET') return { code: 200, body: t.subresource === 'scale' ? h.scale(t) : this.getOne(t) };
    if (method === 'PUT')
      return {
        code: 200,
        body: t.subresource === 'scale' ? h.putScale(t, body as Obj) : h.update(t, (body ?? {}) as Obj),
      };
    if (method === 'PATCH') return { code: 200, body: h.patch(t, req.headers['content-type'] ?? '', body) };
    if (method === 'DELETE') return { code: 200, body: h.delete(t, body as Obj | undefined) };
    throw new ApiStatus(405, 'MethodNotAllowed', `${method} is not supported`);
  }

  private getOne(t: Target): Obj {
    const obj = this.store.get(t.kind, t.kind.namespaced ? t.namespace : '', t.name as string);
    if (!obj) throw new ApiStatus(404, 'NotFound', `${kindKey(t.kind)} "${t.name}" not found`);
    return obj;
  }

  private list(t: Target, url: URL): Obj {
    const items = this.store.list(
      t.kind,
      t.kind.namespaced && t.namespace ? t.namespace : undefined,
      url.searchParams.get('labelSelector'),
    );
    return {
      apiVersion: apiVersionOf(t.kind),
      kind: `${t.kind.kind}List`,
      metadata: { resourceVersion: String(this.store.currentRv()) },
      items,
    };
  }

  private watch(req: IncomingMessage, res: ServerResponse, t: Target, url: URL): undefined {
    const matches = parseSelector(url.searchParams.get('labelSelector'));
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // the real server answers a watch at once, before any event
    const send = (type: string, object: Obj): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const rvParam = url.searchParams.get('resourceVersion');
    const w: Watcher = {
      kind: kindKey(t.kind),
      namespace: t.kind.namespaced && t.namespace ? t.namespace : undefined,
      matches,
      send,
    };
    if (!rvParam || rvParam === '0') {
      for (const obj of this.store.list(t.kind, w.namespace))
        if (matches(obj.metadata.labels ?? {})) send('ADDED', obj);
    } else {
      const events = this.store.since(w.kind, Number(rvParam));
      if (!events) {
        send('ERROR', status(410, 'Expired', `too old resource version: ${rvParam} (${this.store.currentRv()})`));
        res.end();
        return undefined;
      }
      for (const e of events) deliver(w, e);
    }
    this.store.watchers.add(w);
    this.streams.add(res);
    const timers: NodeJS.Timeout[] = [];
    if (url.searchParams.get('allowWatchBookmarks') === 'true') {
      const every = this.opts.bookmarkIntervalMs ?? 1_000;
      timers.push(
        setInterval(
          () =>
            send('BOOKMARK', {
              kind: t.kind.kind,
              apiVersion: apiVersionOf(t.kind),
              metadata: { resourceVersion: String(this.store.currentRv()) },
            }),
          every,
        ),
      );
    }
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    const done = (): void => {
      timers.forEach((x) => clearTimeout(x));
      this.store.watchers.delete(w);
      this.streams.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
    return undefined;
  }
}

function verbOf(method: string, name: string | undefined, watch: boolean): string {
  switch (method) {
    case 'GET':
      return name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const server = new FakeApiServer(opts);
  await server.listen();
  return server;
}
