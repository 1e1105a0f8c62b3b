/**
 * The gateway implementation setting end to end: with `istio` the controller keeps a DestinationRule that makes
 * the gateway dial the EPP with TLS (upstream's router chart, v0.9.0); a cluster that does not serve the
 * implementation's kinds stops the controller at start with a message naming the setting, instead of an
 * informer retrying a 404 forever.
 */
import { defaultControllerConfig } from '../../controller/config.js';
import { RoutingController } from '../../controller/loop.js';
import { resolveControllerConfig } from '../../controller/main.js';
import { createEventEmitter } from '../../src/events.js';
import { ApiError, type KubeClient } from '../../src/kube.js';
import { createRegistry } from '../../src/metrics.js';
import { example } from '../support/fixtures.js';
import { eventually } from '../support/eventually.js';
import { captureLogger, startHarness, type Harness } from './harness.js';

describe('gateway implementation', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('istio: a DestinationRule with TLS to the EPP Service, owned by the service, schema-valid', async () => {
    h = await startHarness({ gatewayImplementation: 'istio' });
    const isvc = await h.apply(example('nvidia-basic'));
    const get = () => h!.api.object('networking.istio.io/v1', 'DestinationRule', 'models', 'llama-8b-epp');
    await eventually('the DestinationRule', () => get() !== undefined);
    expect(get()!.spec).toEqual({
      host: 'llama-8b-epp.models.svc.cluster.local',
      trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } },
    });
    expect(get()!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'InferenceService', name: 'llama-8b', uid: isvc.metadata.uid }),
    ]);
  });

  it('a cluster without the kind: start fails at once, naming the flag and the missing kind', async () => {
    const notServed = new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const client = { list: () => Promise.reject(notServed) } as unknown as KubeClient;
    const controller = new RoutingController({
      client,
      config: { ...defaultControllerConfig(), gatewayImplementation: 'gke' },
      registry: createRegistry(),
      events: createEventEmitter({ source: 's' }),
      logger: captureLogger([]),
    });
    await expect(controller.start()).rejects.toThrow(
      '--gateway-implementation=gke needs HealthCheckPolicy (networking.gke.io/v1), which this cluster does not serve',
    );
  });

  it('--gateway-implementation and --cluster-domain reach the config; the default is none', () => {
    expect(resolveControllerConfig({}, {}).gatewayImplementation).toBe('none');
    expect(
      resolveControllerConfig({ 'gateway-implementation': 'istio', 'cluster-domain': 'corp.example' }, {}),
    ).toMatchObject({ gatewayImplementation: 'istio', clusterDomain: 'corp.example' });
  });
});
