import { eppService } from '../../controller/objects/epp-access.js';
import type { BuildContext } from '../../controller/objects/meta.js';
import { eppUrl } from '../../autoscaler/sources/index.js';
import { EPP_METRICS_URL_TEMPLATE, eppServiceName } from '../../core/names.js';

// The autoscaler reads the EPP's flow-control queue through the Service the routing controller creates: the
// two must agree on its name and metrics port for every InferenceService name, long ones included.
const ctx = (name: string): BuildContext =>
  ({
    isvc: {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name, namespace: 'team-a', uid: 'u-1' },
    },
    name,
    namespace: 'team-a',
    settings: {} as BuildContext['settings'],
    config: {} as BuildContext['config'],
  }) as BuildContext;

describe('EPP metrics address = the Service the routing controller creates', () => {
  it.each([
    ['llama', 'llama-epp'],
    ['a'.repeat(59), `${'a'.repeat(59)}-epp`],
    ['m'.repeat(63), undefined],
    [`${'x'.repeat(50)}-----${'y'.repeat(8)}`, undefined],
  ])('pool %s', (pool, exact) => {
    const svc = eppService(ctx(pool));
    const name = svc.metadata?.name as string;
    expect(name).toBe(eppServiceName(pool));
    if (exact) expect(name).toBe(exact);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/); // DNS-1035: a Service name
    const metricsPort = (svc.spec as { ports: Array<{ name: string; port: number }> }).ports.find(
      (p) => p.name === 'http-metrics',
    )?.port;
    const url = new URL(eppUrl(EPP_METRICS_URL_TEMPLATE, { pool, namespace: 'team-a' }));
    expect(url.hostname).toBe(`${name}.team-a.svc`);
    expect(Number(url.port)).toBe(metricsPort);
    expect(url.pathname).toBe('/metrics');
  });

  it('two long names that share a prefix get different Services', () => {
    expect(eppServiceName(`${'p'.repeat(60)}-one`)).not.toBe(eppServiceName(`${'p'.repeat(60)}-two`));
  });
});
