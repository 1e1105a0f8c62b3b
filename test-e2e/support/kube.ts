/**
 * A small REST client for the end-to-end suite: any kind the API server serves (kinds are resolved through
 * discovery, so CRDs, Knative's and the kit's own objects need no table), server-side apply, subresources
 * (status, scale, binding), force deletion. The product's client (src/kube.ts) covers only the kinds the
 * product uses; the suite needs more, and it must not widen the product's surface for a test.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import yaml from 'js-yaml';

export type Obj = Record<string, any> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, any> & { name?: string; namespace?: string };
};

/** A non-2xx answer: the HTTP status, the metav1.Status reason and message. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

interface Credentials {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
}

/** The current context of a kubeconfig file (client certificates or a token, embedded data only). */
export function readKubeconfig(file: string): Credentials {
  const kc = yaml.load(readFileSync(file, 'utf8')) as Record<string, any>;
  const ctx = (kc.contexts ?? []).find((c: any) => c.name === kc['current-context'])?.context ?? {};
  const cluster = (kc.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster;
  const user = (kc.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`${file}: no cluster for the current context`);
  const b64 = (s: unknown): string | undefined =>
    typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : undefined;
  return {
    server: String(cluster.server).replace(/\/$/, ''),
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
    token: typeof user.token === 'string' ? user.token : undefined,
  };
}

/** A kubeconfig (YAML text) for a bearer token against the same server and CA. */
export function tokenKubeconfig(creds: Credentials, token: string, namespace = 'default'): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'e2e',
        cluster: {
          server: creds.server,
          'certificate-authority-data': Buffer.from(creds.ca ?? '').toString('base64'),
        },
      },
    ],
    users: [{ name: 'e2e', user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'e2e', namespace } }],
    'current-context': 'e2e',
  });
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

export class Kube {
  private readonly agent: Agent;
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(readonly creds: Credentials) {
    this.agent = new Agent({
      connections: 16,
      connect: { ca: creds.ca, cert: creds.cert, key: creds.key, minVersion: 'TLSv1.2', timeout: 5_000 },
    });
  }

  static fromFile(file: string): Kube {
    return new Kube(readKubeconfig(file));
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** One request; non-2xx answers become KubeError. */
  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    accept = 'application/json',
  ): Promise<T> {
    const headers: Record<string, string> = { accept };
    if (this.creds.token) headers.authorization = `Bearer ${this.creds.token}`;
    if (body !== undefined) headers['content-type'] = contentType;
    const res = await request(`${this.creds.server}${path}`, {
      method: method as 'GET',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.agent,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) {
      let status: any = {};
      try {
        status = JSON.parse(text);
      } catch {
        status = { message: text };
      }
      throw new KubeError(
        res.statusCode,
        String(status.reason ?? ''),
        `${method} ${path}: ${res.statusCode} ${status.message ?? text}`,
      );
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Plural and scope of a kind, from discovery (re-read once on a miss: a CRD may have just been added). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let kinds = this.discovery.get(apiVersion);
      if (!kinds || attempt > 0) {
        const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const list = await this.call<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>(
          'GET',
          path,
        ).catch((err: unknown) => {
          if (err instanceof KubeError && err.status === 404) return { resources: [] };
          throw err;
        });
        kinds = new Map(
          list.resources
            .filter((r) => !r.name.includes('/'))
            .map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
        );
        this.discovery.set(apiVersion, kinds);
      }
      const hit = kinds.get(kind);
      if (hit) return hit;
    }
    throw new Error(`the API server does not serve ${apiVersion} ${kind}`);
  }

  async path(apiVersion: string, kind: string, ns?: string, name?: string, sub?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const scope = r.namespaced && ns ? `/namespaces/${ns}` : '';
    return `${root}${scope}/${r.plural}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
  }

  async get(apiVersion: string, kind: string, ns: string | undefined, name: string): Promise<Obj | undefined> {
    try {
      return await this.call('GET', await this.path(apiVersion, kind, ns, name));
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Metadata only (PartialObjectMetadata): cheap for large objects such as CRDs. */
  async getMeta(apiVersion: string, kind: string, ns: string | undefined, name: string): Promise<Obj | undefined> {
    const accept = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
    try {
      return await this.call('GET', await this.path(apiVersion, kind, ns, name), undefined, undefined, accept);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list(apiVersion: string, kind: string, ns?: string, labelSelector?: string): Promise<Obj[]> {
    const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const list = await this.call<{ items: Obj[] }>('GET', `${await this.path(apiVersion, kind, ns)}${q}`);
    return list.items.map((o) => ({ ...o, apiVersion, kind }));
  }

  async create(obj: Obj, opts: { dryRun?: boolean; fieldManager?: string } = {}): Promise<Obj> {
    const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? 'kserve-llmd-e2e' });
    if (opts.dryRun) q.set('dryRun', 'All');
    const path = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace);
    return this.call('POST', `${path}?${q}`, obj);
  }

  /** Server-side apply (what `kubectl apply --server-side` and Argo CD's ServerSideApply send). */
  async apply(obj: Obj, fieldManager = 'kserve-llmd-e2e', sub?: string): Promise<Obj> {
    const path = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name, sub);
    const q = new URLSearchParams({ fieldManager, force: 'true' });
    return this.call('PATCH', `${path}?${q}`, obj, 'application/apply-patch+yaml');
  }

  async replace(obj: Obj): Promise<Obj> {
    const path = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    return this.call('PUT', `${path}?fieldManager=kserve-llmd-e2e`, obj);
  }

  async patch(
    ref: { apiVersion: string; kind: string; namespace?: string; name: string },
    patch: unknown,
    opts: { type?: 'merge' | 'json' | 'strategic'; sub?: string } = {},
  ): Promise<Obj> {
    const type = {
      merge: 'application/merge-patch+json',
      json: 'application/json-patch+json',
      strategic: 'application/strategic-merge-patch+json',
    }[opts.type ?? 'merge'];
    const path = await this.path(ref.apiVersion, ref.kind, ref.namespace, ref.name, opts.sub);
    return this.call('PATCH', `${path}?fieldManager=kserve-llmd-e2e`, patch, type);
  }

  /** Delete; a missing object is not an error. */
  async delete(
    ref: { apiVersion: string; kind: string; namespace?: string; name: string },
    opts: DeleteOptions = {},
  ): Promise<void> {
    const path = await this.path(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    try {
      await this.call('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', ...opts });
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
  }
}

/** `ref` of an object, for patch/delete. */
export function ref(o: Obj): { apiVersion: string; kind: string; namespace?: string; name: string } {
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name ?? '' };
}

/**
 * Poll `probe` until it returns a value other than undefined/false, or fail after `timeoutMs` with the last
 * value seen (what the test was waiting for, and where it stood).
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
