/** Two controller replicas with Lease leader election: one acts; when it stops, the other takes over. */
import { defaultControllerConfig } from '../../controller/config.js';
import { RoutingController } from '../../controller/loop.js';
import { createEventEmitter } from '../../src/events.js';
import { createKubeClient } from '../../src/kube.js';
import { LeaderElector } from '../../src/leader.js';
import { createRegistry } from '../../src/metrics.js';
import { INSTALL_NAMESPACE, LEASE_NAMES } from '../../core/names.js';
import { example } from '../support/fixtures.js';
import { startFakeApiServer } from '../support/fake-apiserver/index.js';
import { eventually } from '../support/eventually.js';
import { captureLogger, webhookAdmit } from './harness.js';

it('only the leader reconciles; the follower takes over after the leader releases the Lease', async () => {
  const config = { ...defaultControllerConfig(), workers: 2 };
  const api = await startFakeApiServer({ admit: webhookAdmit(config) });
  const replicas = ['a', 'b'].map((id) => {
    const client = createKubeClient(api.kubeConfig());
    const registry = createRegistry();
    const controller = new RoutingController({
      client,
      config,
      registry,
      events: createEventEmitter({ source: 's' }),
      logger: captureLogger([]),
    });
    const state = { leading: false, started: false };
    const elector = new LeaderElector({
      client,
      namespace: INSTALL_NAMESPACE,
      name: LEASE_NAMES.controller,
      identity: id,
      leaseDurationMs: 900,
      renewDeadlineMs: 600,
      retryPeriodMs: 50,
      // A clock that stands still: the lease cannot expire because the machine is slow; only the release
      // hands it over (retries stay on real 50 ms timers).
      now: () => 1_000_000,
      onStartedLeading: () => {
        state.leading = true;
        void controller.start().then(() => (state.started = true));
      },
      onStoppedLeading: () => (state.leading = false),
    });
    return { id, client, controller, elector, state, registry };
  });
  try {
    replicas[0]!.elector.run();
    await eventually('the first replica to start', () => replicas[0]!.state.started);
    replicas[1]!.elector.run();
    api.seed(example('nvidia-basic') as any);
    await eventually(
      'the InferencePool llama-8b',
      () => api.object('inference.networking.k8s.io/v1', 'InferencePool', 'models', 'llama-8b') !== undefined,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(replicas.map((r) => r.state.leading)).toEqual([true, false]);
    const writes = async (i: number) =>
      (await replicas[i]!.registry.getSingleMetricAsString('kserve_llmd_controller_writes_total')).match(/ \d+$/gm)
        ?.length ?? 0;
    expect(await writes(0)).toBeGreaterThan(0);
    expect(await writes(1)).toBe(0);

    await replicas[0]!.controller.stop();
    await replicas[0]!.elector.stop(); // releases the Lease
    await eventually('follower takes over', () => replicas[1]!.state.started);
    api.seed({ ...example('nvidia-basic'), metadata: { ...example('nvidia-basic').metadata, name: 'second' } } as any);
    await eventually(
      'the InferencePool second',
      () => api.object('inference.networking.k8s.io/v1', 'InferencePool', 'models', 'second') !== undefined,
    );
    expect(await writes(1)).toBeGreaterThan(0);
  } finally {
    for (const r of replicas) {
      await r.controller.stop();
      await r.elector.stop();
      await r.client.close();
    }
    await api.close();
  }
});
