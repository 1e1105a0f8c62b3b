/**
 * Leader failover on the fake API server's Lease: two autoscaler replicas, only the leader acts; when it shuts
 * down gracefully it releases the Lease and the other takes over and keeps scaling. Real timers (200 ms ticks).
 */
import { INSTALL_NAMESPACE, LEASE_NAMES } from '../../core/names.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver/index.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from './support/cluster.js';
import { buildAutoscaler, testConfig, type Harness } from './support/harness.js';

const REV = 'chat-predictor-00001';

describe('autoscaler leader election', () => {
  let api: FakeApiServer;
  let cluster: FakeCluster;
  let a: Harness | undefined;
  let b: Harness | undefined;
  let sync: NodeJS.Timeout | undefined;

  afterEach(async () => {
    if (sync) clearInterval(sync);
    await a?.close();
    await b?.close();
    await cluster.close();
    await api.close();
  });

  it('only the leader scales; after it stops, the standby takes over within a retry period and scales', async () => {
    api = await startFakeApiServer();
    api.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: INSTALL_NAMESPACE } });
    cluster = new FakeCluster(api, Date.now);
    await cluster.addRevision({
      name: REV,
      role: 'decode',
      pool: 'chat',
      replicas: 1,
      annotations: { 'autoscaling.knative.dev/min-scale': '1', 'autoscaling.knative.dev/max-scale': '6' },
    });
    cluster.load(REV, { kv: 0.2, running: 4, reqRate: 1 });
    sync = setInterval(() => void cluster.sync(), 50);
    const config = testConfig({
      tickMs: 200,
      leaderElection: { enabled: true, namespace: INSTALL_NAMESPACE, name: LEASE_NAMES.autoscaler },
    });
    a = buildAutoscaler(api, config, { identity: 'replica-a' });
    await a.autoscaler.start();
    await eventually('replica-a to lead', () => a?.autoscaler.isLeader() === true);
    b = buildAutoscaler(api, config, { identity: 'replica-b' });
    await b.autoscaler.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(b.autoscaler.isLeader()).toBe(false);
    const lease = api.object('coordination.k8s.io/v1', 'Lease', INSTALL_NAMESPACE, LEASE_NAMES.autoscaler);
    expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe('replica-a');

    cluster.load(REV, { kv: 1, running: 64, waiting: 30 });
    await eventually('the leader to scale up', () => cluster.replicas(REV) >= 2);

    await a.close();
    a = undefined;
    await eventually('replica-b to take over', () => b?.autoscaler.isLeader() === true);
    const before = cluster.replicas(REV);
    cluster.load(REV, { kv: 1, running: 64, waiting: 200 });
    await eventually('the new leader to scale', () => cluster.replicas(REV) > before);
    expect(
      (
        api.object('coordination.k8s.io/v1', 'Lease', INSTALL_NAMESPACE, LEASE_NAMES.autoscaler)?.spec as {
          holderIdentity?: string;
        }
      ).holderIdentity,
    ).toBe('replica-b');
  });
});
