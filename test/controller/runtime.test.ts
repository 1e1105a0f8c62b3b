/** The shared runtime pieces: informer, work queue, leader election, CloudEvents emitter. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventEmitter } from '../../src/events.js';
import { createInformer, type InformerEvent } from '../../src/informer.js';
import { createKubeClient, RESOURCES, type KubeClient } from '../../src/kube.js';
import { LeaderElector } from '../../src/leader.js';
import { createRegistry } from '../../src/metrics.js';
import { WorkQueue } from '../../src/workqueue.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver/index.js';
import { fakeApiPerTest } from '../support/fake-api-per-test.js';
import { eventually } from '../support/eventually.js';

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } });

describe('informer', () => {
  let api: FakeApiServer;
  let client: KubeClient;
  fakeApiPerTest({ bookmarkIntervalMs: 100 }, (c) => ({ api, client } = c));

  it('lists, watches, resyncs, and comes back after a server restart with compacted history', async () => {
    api.seed(cm('a'));
    const seen: Array<[InformerEvent, string]> = [];
    const inf = createInformer({
      client,
      resource: RESOURCES.configMaps,
      namespace: 'ns',
      resyncMs: 200,
      restartBaseMs: 50,
      onEvent: (t, o) => seen.push([t, o.metadata?.name ?? '']),
    });
    await inf.start();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['a']);
    await client.create(RESOURCES.configMaps, 'ns', cm('b'));
    await eventually('b in the cache', () => inf.get('b', 'ns') !== undefined);
    await eventually('a resync of b', () => seen.some(([t, n]) => t === 'resync' && n === 'b'));

    await api.restart({ compact: true, downMs: 100 });
    api.seed(cm('c')); // written while the informer was disconnected
    await eventually('c in the cache', () => inf.get('c', 'ns') !== undefined);
    expect(
      inf
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    await inf.stop();
  });

  it('restarts with backoff when the list fails', async () => {
    api.failNext(2, 500, (c) => c.verb === 'list');
    const inf = createInformer({
      client,
      resource: RESOURCES.configMaps,
      resyncMs: 0,
      restartBaseMs: 20,
      onEvent: () => undefined,
    });
    await inf.start();
    expect(inf.restarts()).toBe(2);
    expect(api.calls.filter((c) => c.verb === 'list')).toHaveLength(3);
    await inf.stop();
  });
});

describe('WorkQueue', () => {
  it('dedupes, serializes per key, and retries failures with exponential backoff', async () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 40 });
    const log: string[] = [];
    let concurrent = 0;
    let maxConcurrentA = 0;
    let failuresLeft = 3;
    q.run(async (key) => {
      if (key === 'a') {
        concurrent++;
        maxConcurrentA = Math.max(maxConcurrentA, concurrent);
        await new Promise((r) => setTimeout(r, 20));
        concurrent--;
      }
      log.push(key);
      if (key === 'f' && failuresLeft-- > 0) throw new Error('boom');
    }, 4);
    q.add('a');
    q.add('a'); // dedupe while queued
    await new Promise((r) => setTimeout(r, 5));
    q.add('a'); // while processing: runs once more, after
    q.add('f');
    await eventually(
      'f run 4 times and a twice',
      () => log.filter((k) => k === 'f').length === 4 && log.filter((k) => k === 'a').length === 2,
    );
    expect(maxConcurrentA).toBe(1);
    expect(q.failuresOf('f')).toBe(0); // forgotten after success
    // A failure's short backoff is not held up by an earlier long requeue of the same key.
    let ran = 0;
    const q2 = new WorkQueue();
    q2.run(async () => void ran++);
    q2.addAfter('k', 60_000);
    q2.addAfter('k', 10);
    await eventually('the short requeue to run', () => ran === 1);
    await q2.shutDown();
    const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited('x'));
    expect(delays).toEqual([10, 20, 40, 40, 40]);
    await q.shutDown();
  });
});

describe('LeaderElector', () => {
  it('one of two replicas leads; the other takes over after release', async () => {
    const api = await startFakeApiServer();
    const client = createKubeClient(api.kubeConfig());
    const state: Record<string, boolean> = { a: false, b: false };
    // The electors' clock stands still: a lease cannot expire or miss its renew deadline because the machine is
    // slow, so only the release hands it over (retries stay on real 50 ms timers).
    const now = (): number => 1_000_000;
    const make = (id: string) =>
      new LeaderElector({
        client,
        namespace: 'ns',
        name: 'ctl',
        identity: id,
        leaseDurationMs: 600,
        renewDeadlineMs: 400,
        retryPeriodMs: 50,
        now,
        onStartedLeading: () => (state[id] = true),
        onStoppedLeading: () => (state[id] = false),
      });
    const a = make('a');
    const b = make('b');
    a.run();
    await eventually('a to lead', () => state.a === true);
    b.run();
    await new Promise((r) => setTimeout(r, 300));
    expect(state).toEqual({ a: true, b: false });
    const lease: any = api.object('coordination.k8s.io/v1', 'Lease', 'ns', 'ctl');
    expect(lease.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 1 });
    await a.stop(); // releases
    await eventually('b to lead', () => state.b === true);
    expect(state.a).toBe(false);
    expect(
      api.calls
        .filter((c) => c.resource === 'leases')
        .map((c) => c.verb)
        .sort()
        .filter((v, i, all) => all.indexOf(v) === i),
    ).toEqual(['create', 'get', 'update']);
    await b.stop();
    await client.close();
    await api.close();
  });

  it('stops leading when renewals fail past the renew deadline', async () => {
    const api = await startFakeApiServer();
    const client = createKubeClient(api.kubeConfig());
    let leading = false;
    let now = 1_000_000; // virtual: the renew deadline passes when the test says so
    const le = new LeaderElector({
      client,
      namespace: 'ns',
      name: 'ctl',
      identity: 'a',
      leaseDurationMs: 600,
      renewDeadlineMs: 300,
      retryPeriodMs: 50,
      now: () => now,
      onStartedLeading: () => (leading = true),
      onStoppedLeading: () => (leading = false),
    });
    le.run();
    await eventually('the elector to lead', () => leading);
    api.failNext(1_000, 500, (c) => c.resource === 'leases');
    now += 299; // failed renewals within the deadline keep the lead
    const failed = api.calls.length;
    await eventually('two failed renewals', () => api.calls.slice(failed).filter((c) => c.code === 500).length >= 2);
    expect(leading).toBe(true);
    now += 1; // the deadline has passed since the last renewal
    await eventually('the elector to stop leading', () => !leading);
    await le.stop();
    await client.close();
    await api.close();
  });
});

describe('CloudEvents emitter', () => {
  it('sends binary-mode events without blocking, and counts failures instead of throwing', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    let status = 202;
    // The sink holds its first answer until the test releases it.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        void held.then(() => res.writeHead(status).end());
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const registry = createRegistry();
    const events = createEventEmitter({
      sink: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/events`,
      source: 'kserve-llmd/test',
      registry,
    });
    const counted = async (type: string, result: string): Promise<boolean> =>
      (await registry.metrics()).includes(`kserve_llmd_cloudevents_total{type="${type}",result="${result}"} 1`);
    expect(events.emit('dev.kserve-llmd.routing.ready', 'ns/llama', { objects: 3 })).toBeUndefined();
    // Not blocking: the caller goes on while the sink has the event and has not answered it yet.
    await eventually('the first CloudEvent', () => received.length === 1);
    expect(await counted('dev.kserve-llmd.routing.ready', 'sent')).toBe(false);
    release();
    await eventually('the answer counted', () => counted('dev.kserve-llmd.routing.ready', 'sent'));
    expect(received[0]!.headers).toMatchObject({
      'ce-type': 'dev.kserve-llmd.routing.ready',
      'ce-source': 'kserve-llmd/test',
      'ce-subject': 'ns/llama',
      'ce-specversion': '1.0',
      'content-type': 'application/json',
    });
    expect(JSON.parse(received[0]!.body)).toEqual({ objects: 3 });
    status = 500;
    events.emit('dev.kserve-llmd.routing.failed', 'ns/llama', {});
    await eventually('the second CloudEvent', () => received.length === 2);
    await events.close();
    const text = await registry.metrics();
    expect(text).toMatch(/kserve_llmd_cloudevents_total\{type="dev.kserve-llmd.routing.ready",result="sent"\} 1/);
    expect(text).toMatch(/kserve_llmd_cloudevents_total\{type="dev.kserve-llmd.routing.failed",result="failed"\} 1/);
    sink.close();

    const nowhere = createEventEmitter({
      sink: 'http://127.0.0.1:1/',
      source: 's',
      registry: createRegistry(),
      timeoutMs: 200,
    });
    expect(() => nowhere.emit('t', 's', {})).not.toThrow();
    await nowhere.close();
    expect(createEventEmitter({ source: 's' }).enabled).toBe(false);
  });
});
