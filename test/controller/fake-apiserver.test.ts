import { request, type Dispatcher } from 'undici';
import { ApiError, createKubeClient, RESOURCES, type KubeClient } from '../../src/kube.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver/index.js';
import { fakeApiPerTest } from '../support/fake-api-per-test.js';

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', labels },
  data,
});

/**
 * Open a watch on the raw HTTP stream. It resolves with the answer's head, which the server sends once it has
 * registered the watch: every later write reaches it. The deadline is a generous backstop (real time).
 */
function openWatch(api: FakeApiServer, path: string): Promise<Dispatcher.ResponseData> {
  return request(`${api.url}${path}`, { signal: AbortSignal.timeout(60_000) });
}

/** Read watch lines until `count` arrived (or the stream ended). */
async function watchLines(api: FakeApiServer, path: string, count: number): Promise<any[]> {
  return readLines(await openWatch(api, path), count);
}

async function readLines(res: Dispatcher.ResponseData, count: number): Promise<any[]> {
  const out: any[] = [];
  let buf = '';
  for await (const chunk of res.body) {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
      if (out.length >= count) {
        res.body.destroy();
        return out;
      }
    }
  }
  return out;
}

describe('fake API server over real HTTP (src/kube.ts client)', () => {
  let api: FakeApiServer;
  let client: KubeClient;
  fakeApiPerTest({ bookmarkIntervalMs: 50 }, (c) => ({ api, client } = c));

  it('serves discovery for built-in and custom kinds, with subresources', async () => {
    const res = await request(`${api.url}/apis/serving.kserve.io/v1beta1`);
    const body: any = await res.body.json();
    expect(body.resources.map((r: any) => r.name)).toEqual(
      expect.arrayContaining(['inferenceservices', 'inferenceservices/status']),
    );
    const apps: any = await (await request(`${api.url}/apis/apps/v1`)).body.json();
    expect(apps.resources.find((r: any) => r.name === 'deployments/scale').kind).toBe('Scale');
    expect(api.calls.at(-1)?.nonResourceURL).toBe('/apis/apps/v1');
  });

  it('create sets uid/resourceVersion/generation; duplicate is 409 AlreadyExists; missing is 404', async () => {
    const created: any = await client.create(RESOURCES.inferencePools, 'ns', {
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: { name: 'p' },
      spec: { a: 1 },
      status: { x: 1 },
    });
    expect(created.metadata).toMatchObject({ name: 'p', namespace: 'ns', generation: 1 });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.status).toBeUndefined(); // status is not settable on create with a status subresource
    await expect(client.create(RESOURCES.inferencePools, 'ns', created)).rejects.toMatchObject({
      status: 409,
      reason: 'AlreadyExists',
    });
    await expect(client.get(RESOURCES.inferencePools, 'ns', 'nope')).rejects.toBeInstanceOf(ApiError);
    await expect(client.get(RESOURCES.inferencePools, 'ns', 'nope')).rejects.toMatchObject({
      status: 404,
      reason: 'NotFound',
    });
  });

  it(
    'update with a stale resourceVersion is 409 Conflict; spec ' + 'changes bump generation, metadata-only do not',
    async () => {
      const v1: any = await client.create(RESOURCES.deployments, 'ns', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { replicas: 1 },
      });
      const v2: any = await client.replace(RESOURCES.deployments, 'ns', 'd', { ...v1, spec: { replicas: 2 } });
      expect(v2.metadata.generation).toBe(2);
      await expect(
        client.replace(RESOURCES.deployments, 'ns', 'd', { ...v1, spec: { replicas: 3 } }),
      ).rejects.toMatchObject({ status: 409, reason: 'Conflict' });
      const v3: any = await client.replace(RESOURCES.deployments, 'ns', 'd', {
        ...v2,
        metadata: { ...v2.metadata, labels: { a: 'b' } },
      });
      expect(v3.metadata.generation).toBe(2);
      // A no-op write keeps the resourceVersion (no event, like the real server).
      const v4: any = await client.replace(RESOURCES.deployments, 'ns', 'd', v3);
      expect(v4.metadata.resourceVersion).toBe(v3.metadata.resourceVersion);
    },
  );

  it('merge patch, JSON patch, strategic merge by name; /status and /scale', async () => {
    await client.create(RESOURCES.deployments, 'ns', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', annotations: { keep: '1', drop: '2' } },
      spec: {
        replicas: 1,
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'x:1' },
              { name: 'b', image: 'y:1' },
            ],
          },
        },
      },
    });
    await client.patch(
      RESOURCES.deployments,
      'ns',
      'd',
      { metadata: { annotations: { drop: null, add: '3' } } },
      { type: 'merge' },
    );
    await client.patch(RESOURCES.deployments, 'ns', 'd', [{ op: 'replace', path: '/spec/replicas', value: 4 }], {
      type: 'json',
    });
    const d: any = await client.patch(
      RESOURCES.deployments,
      'ns',
      'd',
      { spec: { template: { spec: { containers: [{ name: 'b', image: 'y:2' }] } } } },
      { type: 'strategic' },
    );
    expect(d.metadata.annotations).toEqual({ keep: '1', add: '3' });
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.template.spec.containers).toEqual([
      { name: 'a', image: 'x:1' },
      { name: 'b', image: 'y:2' },
    ]);
    await expect(
      client.patch(RESOURCES.deployments, 'ns', 'd', [{ op: 'test', path: '/spec/replicas', value: 9 }], {
        type: 'json',
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      client.patch(RESOURCES.deployments, 'ns', 'd', { metadata: { resourceVersion: '1' } }, { type: 'merge' }),
    ).rejects.toMatchObject({ status: 409 });

    const withStatus: any = await client.patch(
      RESOURCES.deployments,
      'ns',
      'd',
      { status: { replicas: 4 }, spec: { replicas: 99 } },
      { type: 'merge', subresource: 'status' },
    );
    expect(withStatus.status.replicas).toBe(4);
    expect(withStatus.spec.replicas).toBe(4); // /status ignores spec
    const scale: any = await client.patch(
      RESOURCES.deployments,
      'ns',
      'd',
      [{ op: 'replace', path: '/spec/replicas', value: 0 }],
      { type: 'json', subresource: 'scale' },
    );
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 0 }, status: { replicas: 4 } });
    expect(((await client.get(RESOURCES.deployments, 'ns', 'd')) as any).spec.replicas).toBe(0);
  });

  it('label selectors on list; calls are logged as RBAC verbs', async () => {
    await client.create(RESOURCES.configMaps, 'ns', cm('a', { app: 'x', tier: 'web' }));
    await client.create(RESOURCES.configMaps, 'ns', cm('b', { app: 'y' }));
    await client.create(RESOURCES.configMaps, 'ns', cm('c'));
    const names = async (sel: string) =>
      (await client.list(RESOURCES.configMaps, 'ns', { labelSelector: sel })).items.map((i) => i.metadata?.name);
    expect(await names('app=x')).toEqual(['a']);
    expect(await names('app in (x,y),tier!=db')).toEqual(['a', 'b']);
    expect(await names('!app')).toEqual(['c']);
    expect(await names('app notin (x)')).toEqual(['b', 'c']);
    await expect(client.list(RESOURCES.configMaps, 'ns', { labelSelector: 'bad key=1' })).rejects.toMatchObject({
      status: 400,
    });
    expect(api.calls.slice(0, 3).map((c) => `${c.verb} ${c.resource} ${c.namespace}/${c.name}`)).toEqual([
      'create configmaps ns/',
      'create configmaps ns/',
      'create configmaps ns/',
    ]);
    expect(api.calls[3]).toMatchObject({ verb: 'list', group: '', resource: 'configmaps', namespace: 'ns' });
  });

  it(
    'watch: replays from a resourceVersion, sends bookmarks, ' + 'filters by selector, answers 410 after compaction',
    async () => {
      const a: any = await client.create(RESOURCES.configMaps, 'ns', cm('a', { app: 'x' }));
      await client.create(RESOURCES.configMaps, 'ns', cm('b', { app: 'x' }));
      const events = await watchLines(
        api,
        `/api/v1/namespaces/ns/configmaps?watch=true&resourceVersion=` +
          `${a.metadata.resourceVersion}&allowWatchBookmarks=true`,
        2,
      );
      expect(events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`)).toEqual(['ADDED b', 'BOOKMARK ']);

      const open = await openWatch(api, '/api/v1/namespaces/ns/configmaps?watch=true&labelSelector=app%3Dx');
      await client.patch(RESOURCES.configMaps, 'ns', 'a', { metadata: { labels: { app: 'gone' } } }, { type: 'merge' });
      const seen = await readLines(open, 3);
      expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b', 'DELETED a']);

      await api.restart({ compact: true });
      const expired = await watchLines(
        api,
        `/api/v1/namespaces/ns/configmaps?watch=true&resourceVersion=${a.metadata.resourceVersion}`,
        1,
      );
      expect(expired[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    },
  );

  it('deleting an owner garbage-collects its dependents; delete preconditions guard against successors', async () => {
    const owner: any = await client.create(RESOURCES.configMaps, 'ns', cm('owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid, controller: true };
    await client.create(RESOURCES.configMaps, 'ns', {
      ...cm('child'),
      metadata: { name: 'child', ownerReferences: [ref] },
    });
    const other: any = await client.create(RESOURCES.configMaps, 'ns', cm('other-owner'));
    await client.create(RESOURCES.configMaps, 'ns', {
      ...cm('shared'),
      metadata: { name: 'shared', ownerReferences: [ref, { ...ref, name: 'other-owner', uid: other.metadata.uid }] },
    });
    await expect(
      client.delete(RESOURCES.configMaps, 'ns', 'owner', { preconditions: { uid: 'not-it' } }),
    ).rejects.toMatchObject({ status: 409 });
    await client.delete(RESOURCES.configMaps, 'ns', 'owner', { preconditions: { uid: owner.metadata.uid } });
    await new Promise((r) => setImmediate(r));
    await expect(client.get(RESOURCES.configMaps, 'ns', 'child')).rejects.toMatchObject({ status: 404 });
    const shared: any = await client.get(RESOURCES.configMaps, 'ns', 'shared');
    expect(shared.metadata.ownerReferences.map((r: any) => r.name)).toEqual(['other-owner']);
  });

  it('fault injection: fail the next N matching calls; a restart keeps the data', async () => {
    api.failNext(2, 500, (c) => c.verb === 'create');
    await expect(client.create(RESOURCES.configMaps, 'ns', cm('x'))).rejects.toMatchObject({ status: 500 });
    await expect(client.create(RESOURCES.configMaps, 'ns', cm('x'))).rejects.toMatchObject({ status: 500 });
    await client.create(RESOURCES.configMaps, 'ns', cm('x'));
    await api.restart();
    expect(((await client.get(RESOURCES.configMaps, 'ns', 'x')) as any).metadata.name).toBe('x');
    expect(api.calls.filter((c) => c.code === 500)).toHaveLength(2);
  });

  it('validates writes with the given validator (422) and limits bodies (413)', async () => {
    const strict = await startFakeApiServer({ validate: (o) => (o.data?.bad ? ['data.bad: forbidden'] : []) });
    const c = createKubeClient(strict.kubeConfig());
    await expect(c.create(RESOURCES.configMaps, 'ns', cm('v', {}, { bad: '1' }))).rejects.toMatchObject({
      status: 422,
      reason: 'Invalid',
    });
    await expect(
      c.create(RESOURCES.configMaps, 'ns', cm('big', {}, { x: 'a'.repeat(4 * 2 ** 20) })),
    ).rejects.toMatchObject({ status: 413 });
    await c.close();
    await strict.close();
  });
});
