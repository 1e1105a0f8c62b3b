/**
 * The ops server every component runs (src/ops-server.ts): /metrics from the registry, /healthz and /readyz where
 * the component serves probes, 404/405 for anything else, the bounds of docs/reliability.md, and the drain:
 * readiness 503 and connection close first, then close.
 */
import { Counter, Registry } from 'prom-client';
import { createRegistry } from '../../src/metrics.js';
import { startOpsServer, type OpsServer } from '../../src/ops-server.js';

const get = (s: OpsServer, path: string, method = 'GET'): Promise<Response> =>
  fetch(`${s.url}${path}`, { method, signal: AbortSignal.timeout(10_000) });

describe('ops server', () => {
  it('serves the registry on /metrics, probes, 404 for other paths and 405 for other methods', async () => {
    const registry = new Registry(); // no process metrics: the page is the same on every read
    new Counter({ name: 'ops_test_total', help: 'x', registers: [registry] }).inc(3);
    let ready = false;
    const s = await startOpsServer({ registry, host: '127.0.0.1', port: 0, ready: () => ready });
    try {
      const metrics = await get(s, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toBe(registry.contentType);
      expect(await metrics.text()).toBe(await registry.metrics());
      expect(await (await get(s, '/healthz')).text()).toBe('ok');
      expect((await get(s, '/readyz')).status).toBe(503);
      ready = true;
      expect(await (await get(s, '/readyz')).text()).toBe('ok');
      expect((await get(s, '/nope')).status).toBe(404);
      const post = await get(s, '/metrics', 'POST');
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET');
      expect(post.headers.get('x-powered-by')).toBeNull();
    } finally {
      await s.close();
    }
  });

  it('without probes serves /metrics alone (the webhook: its probes are on the admission port)', async () => {
    const s = await startOpsServer({ registry: createRegistry(), host: '127.0.0.1', port: 0 });
    try {
      expect((await get(s, '/metrics')).status).toBe(200);
      expect((await get(s, '/healthz')).status).toBe(404);
      expect((await get(s, '/readyz')).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('is bounded: header and request timeouts, few connections', async () => {
    const s = await startOpsServer({ registry: createRegistry(), host: '127.0.0.1', port: 0, ready: () => true });
    try {
      expect(s.server.headersTimeout).toBe(5_000);
      expect(s.server.requestTimeout).toBe(10_000);
      expect(s.server.keepAliveTimeout).toBe(5_000);
      expect(s.server.maxConnections).toBe(16);
    } finally {
      await s.close();
    }
  });

  it('drain: /readyz 503 and connection close at once, metrics still served; close frees the port', async () => {
    const s = await startOpsServer({ registry: createRegistry(), host: '127.0.0.1', port: 0, ready: () => true });
    s.drain();
    const readyz = await get(s, '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.headers.get('connection')).toBe('close');
    expect((await get(s, '/metrics')).status).toBe(200);
    await s.close();
    await expect(get(s, '/healthz')).rejects.toThrow();
  });

  it('a port in use is an error naming it', async () => {
    const a = await startOpsServer({ registry: createRegistry(), host: '127.0.0.1', port: 0 });
    try {
      await expect(startOpsServer({ registry: createRegistry(), host: '127.0.0.1', port: a.port })).rejects.toThrow(
        `metrics listen on 127.0.0.1:${a.port}`,
      );
    } finally {
      await a.close();
    }
  });
});
