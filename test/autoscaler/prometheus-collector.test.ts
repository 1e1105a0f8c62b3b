/** The Prometheus HTTP API as the pod collector, against a loopback server that answers /api/v1/query. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpText } from '../../autoscaler/collector/http.js';
import { PrometheusCollector } from '../../autoscaler/collector/prometheus.js';
import { defaultAutoscalerConfig } from '../../autoscaler/config.js';

let server: Server;
let base = '';
const queries: string[] = [];
let answer: (namespace: string) => { status: number; body: string } = () => ({ status: 200, body: '' });

const vector = (pods: Record<string, Record<string, number>>) =>
  JSON.stringify({
    status: 'success',
    data: {
      resultType: 'vector',
      result: Object.entries(pods).flatMap(([pod, series]) =>
        Object.entries(series).map(([name, v]) => ({
          metric: { __name__: name, pod, namespace: 'models' },
          value: [1, String(v)],
        })),
      ),
    },
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    const query = url.searchParams.get('query') ?? '';
    queries.push(query);
    const ns = /namespace="([^"]+)"/.exec(query)?.[1] ?? '';
    const { status, body } = url.pathname === '/api/v1/query' ? answer(ns) : { status: 404, body: '' };
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function collector(now: () => number): PrometheusCollector {
  return new PrometheusCollector(base, new HttpText(defaultAutoscalerConfig().scrape), now);
}

const series = (waiting: number) => ({
  'vllm:num_requests_waiting': waiting,
  'vllm:num_requests_running': 4,
  'vllm:kv_cache_usage_perc': 0.5,
});

describe('PrometheusCollector', () => {
  it('one query per namespace; each pod gets the same snapshot a direct scrape would give', async () => {
    queries.length = 0;
    answer = () => ({ status: 200, body: vector({ 'p-1': series(3), 'p-2': series(0) }) });
    let t = 1000;
    const c = collector(() => t);
    const targets = [
      { key: 'models/p-1/u1', url: 'unused' },
      { key: 'models/p-2/u2', url: 'unused' },
      { key: 'models/p-3/u3', url: 'unused' },
    ];
    const first = await c.scrape(targets);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toContain('namespace="models"');
    expect(first[0]).toMatchObject({
      key: 'models/p-1/u1',
      ok: true,
      observation: { atMs: 1000, snap: { waiting: 3, running: 4, kvUsage: 0.5 } },
    });
    // A pod Prometheus has no series for fails like a failed scrape: the decider holds (fail static).
    expect(first[2]).toMatchObject({ key: 'models/p-3/u3', ok: false, error: 'not-vllm' });
    t = 2000;
    answer = () => ({ status: 200, body: vector({ 'p-1': series(5), 'p-2': series(0) }) });
    const second = await c.scrape(targets.slice(0, 2));
    expect(second[0]).toMatchObject({
      ok: true,
      observation: { atMs: 2000, snap: { waiting: 5 }, prev: { atMs: 1000 } },
    });
    // p-2's sample did not change: Prometheus has not scraped again, so it is not a new observation.
    expect(second[1]).toMatchObject({ ok: true, observation: { atMs: 1000 } });
    expect((second[1] as { observation: { prev?: unknown } }).observation.prev).toBeUndefined();
    await c.close();
  });

  it('a failing Prometheus marks every pod of that namespace failed, never silently empty', async () => {
    answer = () => ({ status: 503, body: 'down' });
    const c = collector(() => 0);
    const r = await c.scrape([{ key: 'models/p-1/u1', url: 'unused' }]);
    expect(r[0]).toMatchObject({ ok: false, message: expect.stringMatching(/^prometheus: /) });
    answer = () => ({ status: 200, body: JSON.stringify({ status: 'error', error: 'parse error at char 3' }) });
    expect((await c.scrape([{ key: 'models/p-1/u1', url: 'unused' }]))[0]).toMatchObject({
      ok: false,
      error: 'parse',
      message: expect.stringMatching(/parse error at char 3/),
    });
    await c.close();
  });
});
