/**
 * The informer's list + watch on the project's client (src/informer.ts): resume points, 410 relists with
 * synthesized deletes, stream errors and silent connections, against a scripted loopback API server (to
 * see each watch's query) and the fake API server (real store semantics).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInformer, type InformerEvent } from '../../src/informer.js';
import { createKubeClient, kubeConfigForServer, RESOURCES, type KubeClient } from '../../src/kube.js';
import type { FakeApiServer } from '../support/fake-apiserver/index.js';
import { fakeApiPerTest } from '../support/fake-api-per-test.js';
import { eventually } from '../support/eventually.js';

const cm = (name: string, rv: string, labels: Record<string, string> = {}) => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, labels },
});
const ev = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

describe('informer against a scripted API server', () => {
  let server: Server;
  let client: KubeClient;
  const watches: URLSearchParams[] = [];
  let lists = 0;
  let listItems = [cm('a', '5'), cm('b', '6')];
  let listRv = '10';
  const open = new Set<ServerResponse>();
  // One entry per watch request, in order: what the server does with it.
  const script: Array<(res: ServerResponse) => void> = [
    (res) =>
      res.end(ev('ADDED', cm('c', '11')) + ev('BOOKMARK', { metadata: { resourceVersion: '12' } }) + 'garbage{\n'),
    () => undefined, // silent: the client's inactivity deadline ends it
    (res) =>
      res.end(
        ev('ERROR', {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Expired',
          code: 410,
          message: 'too old resource version: 12 (30)',
        }),
      ),
  ];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ metadata: { resourceVersion: listRv }, items: listItems }));
        return;
      }
      watches.push(url.searchParams);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      open.add(res);
      res.on('close', () => open.delete(res));
      (script[watches.length - 1] ?? (() => undefined))(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = createKubeClient(kubeConfigForServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), {
      timeoutMs: 2_000,
    });
  });
  afterAll(async () => {
    await client.close();
    for (const r of open) r.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it(
    'resumes from the last seen resourceVersion after garbage ' +
      'and silence, relists on 410 and delivers the deletes it missed',
    async () => {
      const seen: Array<[InformerEvent, string]> = [];
      const inf = createInformer({
        client,
        resource: RESOURCES.configMaps,
        namespace: 'ns',
        labelSelector: 'app=x',
        resyncMs: 0,
        restartBaseMs: 20,
        watchIdleMs: 300,
        watchTimeoutSeconds: 120,
        onEvent: (t, o) => {
          seen.push([t, o.metadata?.name ?? '']);
          if (t === 'add' && o.metadata?.name === 'c') {
            // By the relist, the server has lost 'a' and 'c' (deleted while this client was not watching).
            listItems = [cm('b', '29')];
            listRv = '30';
          }
        },
      });
      await inf.start();
      await eventually('4 watches', () => watches.length >= 4);
      expect(watches.map((q) => q.get('resourceVersion'))).toEqual(['10', '12', '12', '30']);
      expect(
        watches.every(
          (q) =>
            q.get('allowWatchBookmarks') === 'true' &&
            q.get('timeoutSeconds') === '120' &&
            q.get('labelSelector') === 'app=x',
        ),
      ).toBe(true);
      expect(lists).toBe(2);
      expect(inf.restarts()).toBe(1); // the garbage line; silence and 410 are not errors
      expect(seen).toEqual([
        ['add', 'a'],
        ['add', 'b'],
        ['add', 'c'],
        ['update', 'b'],
        ['delete', 'a'],
        ['delete', 'c'],
      ]);
      expect(inf.list().map((o) => o.metadata?.name)).toEqual(['b']);
      await inf.stop();
      await eventually('the open watch to end', () => open.size === 0); // stop() ends the open watch
    },
  );
});

describe('informer against the fake API server', () => {
  let api: FakeApiServer;
  let client: KubeClient;
  fakeApiPerTest({ bookmarkIntervalMs: 100 }, (c) => ({ api, client } = c));

  const obj = (name: string, labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', labels },
  });

  it('keeps to its label selector: an object relabelled out of it is deleted from the cache', async () => {
    api.seed(obj('in', { app: 'x' }));
    api.seed(obj('out', { app: 'y' }));
    const seen: string[] = [];
    const inf = createInformer({
      client,
      resource: RESOURCES.configMaps,
      labelSelector: 'app=x',
      resyncMs: 0,
      onEvent: (t, o) => seen.push(`${t} ${o.metadata?.name}`),
    });
    await inf.start();
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['in']);
    await client.patch(RESOURCES.configMaps, 'ns', 'in', { metadata: { labels: { app: 'z' } } }, { type: 'merge' });
    await eventually('the delete of in', () => inf.get('in', 'ns') === undefined);
    expect(seen).toEqual(['add in', 'delete in']);
    await inf.stop();
  });

  it('after a restart with compacted history, objects deleted while it was away arrive as deletes', async () => {
    api.seed(obj('keep', {}));
    api.seed(obj('gone', {}));
    const seen: string[] = [];
    const inf = createInformer({
      client,
      resource: RESOURCES.configMaps,
      namespace: 'ns',
      resyncMs: 0,
      restartBaseMs: 50,
      onEvent: (t, o) => seen.push(`${t} ${o.metadata?.name}`),
    });
    await inf.start();
    api.dropWatches(); // a dropped watch resumes without a relist
    await client.create(RESOURCES.configMaps, 'ns', obj('new', {}));
    await eventually('new in the cache', () => inf.get('new', 'ns') !== undefined);
    expect(api.calls.filter((c) => c.verb === 'list')).toHaveLength(1);

    await api.restart({ compact: true, downMs: 100 });
    api.direct().delete(api.target('v1', 'ConfigMap', 'ns', 'gone'), undefined);
    await eventually('the delete of gone', () => inf.get('gone', 'ns') === undefined);
    expect(seen).toEqual(['add keep', 'add gone', 'add new', 'delete gone']);
    expect(
      inf
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['keep', 'new']);
    await inf.stop();
  });

  it('caches what its transform returns, for listed and watched objects alike', async () => {
    api.seed({ ...obj('a', {}), data: { big: 'x'.repeat(1000) } });
    const seen: unknown[] = [];
    const slim = (o: { metadata?: object }) => ({ metadata: o.metadata, slim: true }) as never;
    const inf = createInformer({
      client,
      resource: RESOURCES.configMaps,
      namespace: 'ns',
      resyncMs: 0,
      transform: slim,
      onEvent: (_t, o) => seen.push(o),
    });
    await inf.start();
    await client.create(RESOURCES.configMaps, 'ns', { ...obj('b', {}), data: { big: 'y' } });
    await eventually('b in the cache', () => inf.get('b', 'ns') !== undefined);
    for (const o of [inf.get('a', 'ns'), inf.get('b', 'ns'), ...seen]) expect(o).toMatchObject({ slim: true });
    expect(inf.get('a', 'ns')).not.toHaveProperty('data');
    await inf.stop();
  });
});
