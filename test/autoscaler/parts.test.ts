import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { desiredSks } from '../../autoscaler/actuator/sks.js';
import { paStatus } from '../../autoscaler/actuator/pa-status.js';
import { Collector } from '../../autoscaler/collector/index.js';
import { parseAutoscalerConfig } from '../../autoscaler/config.js';
import { activatorDemand } from '../../autoscaler/sources/activator.js';
import { eppDemand } from '../../autoscaler/sources/epp.js';
import { podQuery, samplesByPod } from '../../autoscaler/sources/prometheus-api.js';
import { paTarget } from '../../autoscaler/targets.js';
import { podInfo } from '../../autoscaler/loop/view.js';
import { snapshotFromSamples } from '../../autoscaler/metrics/vllm-signals.js';
import { expectValid } from '../support/schema.js';
import { renderVllm } from './support/fake-vllm.js';

const pa = (
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
  spec: Record<string, unknown> = {},
) => ({
  apiVersion: 'autoscaling.internal.knative.dev/v1alpha1',
  kind: 'PodAutoscaler',
  metadata: {
    name: 'm-predictor-00001',
    namespace: 'ns',
    uid: 'u-1',
    generation: 3,
    labels,
    annotations: { 'autoscaling.knative.dev/class': 'autoscaler.kserve-llmd.io', ...annotations },
  },
  spec: {
    protocolType: 'http1',
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'm-predictor-00001-deployment' },
    ...spec,
  },
});
const opts = { maxReplicasCap: 1000, stableWindowMs: 60_000 };

describe('PodAutoscaler → scale target', () => {
  it.each([
    [
      'no kserve-llmd annotations: Knative bounds, default SLO',
      { 'autoscaling.knative.dev/min-scale': '1', 'autoscaling.knative.dev/max-scale': '3' },
      {},
      { role: 'decode', minReplicas: 1, maxReplicas: 3, slo: { ttftMs: 2000, itlMs: 100 } },
    ],
    [
      'slo and scale-to-zero-after from kserve-llmd annotations',
      {
        'autoscaling.knative.dev/min-scale': '0',
        'kserve-llmd.io/slo': 'ttft=500ms,itl=40ms',
        'kserve-llmd.io/scale-to-zero-after': '2m',
        'kserve-llmd.io/decode-replicas': '0-6',
      },
      {},
      { minReplicas: 0, maxReplicas: 6, slo: { ttftMs: 500, itlMs: 40 }, scaleToZeroAfterMs: 120_000 },
    ],
    [
      'prefill role from llm-d.ai/role',
      { 'autoscaling.knative.dev/min-scale': '0', 'autoscaling.knative.dev/max-scale': '8' },
      { 'llm-d.ai/role': 'prefill' },
      { role: 'prefill', maxReplicas: 8 },
    ],
    ['max-scale 0 (unlimited) is capped', { 'autoscaling.knative.dev/max-scale': '0' }, {}, { maxReplicas: 1000 }],
    [
      'prefill-throughput sets the prefill profile of both roles',
      { 'kserve-llmd.io/prefill-throughput': '38000' },
      { 'llm-d.ai/role': 'prefill' },
      { capacity: { prefillTokensPerSec: 38_000 } },
    ],
    [
      'without it the documented default',
      { 'kserve-llmd.io/slo': 'ttft=1s' },
      {},
      { capacity: { prefillTokensPerSec: 15_000 } },
    ],
  ])('%s', (_n, annotations, labels, want) => {
    expect(paTarget(pa(annotations, labels), opts)?.spec).toMatchObject(want);
  });

  it('ignores other classes, reports bad annotations and keeps defaults for them', () => {
    expect(
      paTarget(
        {
          ...pa({}),
          metadata: {
            ...pa({}).metadata,
            annotations: { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' },
          },
        },
        opts,
      ),
    ).toBeUndefined();
    const t = paTarget(pa({ 'autoscaling.knative.dev/min-scale': 'two', 'kserve-llmd.io/slo': 'ttft=fast' }), opts);
    expect(t?.problems.join('\n')).toMatch(/min-scale: "two" is not a non-negative integer/);
    expect(t?.problems.join('\n')).toMatch(/kserve-llmd.io\/slo: "ttft=fast" is not valid/);
    expect(t?.spec.slo.ttftMs).toBe(2000);
  });

  it('Unreachable revisions ignore min-scale (Knative)', () => {
    expect(
      paTarget(pa({ 'autoscaling.knative.dev/min-scale': '2' }, {}, { reachability: 'Unreachable' }), opts)?.spec
        .minReplicas,
    ).toBe(0);
  });

  it('builds a schema-valid ServerlessService and PA status', () => {
    const p = pa({});
    expectValid(desiredSks(p, 'm-predictor-00001-deployment', 'Proxy'));
    const status = paStatus({
      pa: p,
      sks: undefined,
      desired: 1,
      ready: 0,
      specReplicas: 1,
      minScale: 1,
      nowIso: '2026-01-01T00:00:00Z',
    });
    expectValid({ ...p, status });
    expect(status).toMatchObject({ desiredScale: 1, actualScale: 0, serviceName: '', observedGeneration: 3 });
  });
});

describe('demand sources', () => {
  it(
    'reads the EPP flow-control queue (new names preferred, old ' + 'names as fallback) and converts bytes to tokens',
    () => {
      expect(
        eppDemand(
          'llm_d_epp_flow_control_queue_size{priority="0"} ' +
            '2\nllm_d_epp_flow_control_queue_size{priority="1"} ' +
            '1\nllm_d_epp_flow_control_queue_bytes ' +
            '8000\ninference_extension_flow_control_queue_size 3\n',
        ),
      ).toEqual({ queuedRequests: 3, queuedPromptTokens: 2000, runningRequests: 0 });
      expect(eppDemand('inference_extension_flow_control_queue_size 4\n').queuedRequests).toBe(4);
    },
  );

  it('reads the activator queue per revision, OTel and OpenCensus label names', () => {
    const d = activatorDemand(
      [
        'kn_revision_request_queued{k8s_namespace_name="ns",kn_revision_name="a-00001"} 2',
        'kn_revision_request_concurrency{k8s_namespace_name="ns",kn_revision_name="a-00001"} 9',
        'activator_request_concurrency{namespace_name="ns",revision_name="b-00002"} 1',
      ].join('\n'),
    );
    expect(Object.fromEntries(d)).toEqual({ 'ns/a-00001': 2, 'ns/b-00002': 1 });
  });

  it('Prometheus HTTP API: builds the query and groups a vector by pod into snapshots', () => {
    expect(podQuery('models')).toContain('namespace="models"');
    const body = JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { __name__: 'vllm:num_requests_waiting', pod: 'p1' }, value: [1, '3'] },
          { metric: { __name__: 'vllm:num_requests_running', pod: 'p1' }, value: [1, '7'] },
          { metric: { __name__: 'vllm:gpu_cache_usage_perc', pod: 'p1' }, value: [1, '0.5'] },
        ],
      },
    });
    const byPod = samplesByPod(body);
    expect(snapshotFromSamples(byPod.get('p1') ?? [])).toMatchObject({ waiting: 3, running: 7, kvUsage: 0.5 });
    expect(() => samplesByPod(JSON.stringify({ status: 'error', error: 'bad query' }))).toThrow(/bad query/);
  });
});

describe('config', () => {
  it('rejects unknown keys and out-of-range values, naming the range', () => {
    expect(() => parseAutoscalerConfig({ tickMs: 5 })).toThrow(
      /autoscaler config tickMs=5: must be an integer in \[100, 10000\]/,
    );
    expect(() => parseAutoscalerConfig({ scrape: { timeoutMs: 0 } })).toThrow(/scrape.timeoutMs/);
    expect(() => parseAutoscalerConfig({ tickMS: 1000 })).toThrow(/tickMS: unknown key/);
    expect(parseAutoscalerConfig({ mode: 'Standard' }).mode).toBe('Standard');
  });

  it('reads the vLLM port from the pod annotation, else the default', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'n', uid: 'u', annotations: { 'kserve-llmd.io/vllm-port': '8200' } },
      status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    expect(podInfo(pod, 8000)).toEqual({ key: 'n/p/u', ip: '10.0.0.1', ready: true, metricsPort: 8200 });
    expect(podInfo({ ...pod, metadata: { ...pod.metadata, annotations: {} } }, 8000).metricsPort).toBe(8000);
    expect(podInfo({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: 'x' } }, 8000).ready).toBe(false);
  });
});

describe('collector over loopback HTTP', () => {
  let server: Server;
  let base = '';
  const sockets = new Set<unknown>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok')
        res.end(
          renderVllm(
            { waiting: 1, running: 2, kv: 0.25, promptRate: 0, genRate: 0, reqRate: 0, meanPrompt: 100, mode: 'ok' },
            { prompt: 10, gen: 5, req: 1 },
          ),
        );
      else if (req.url === '/big') res.end('x'.repeat(5000));
      else res.writeHead(503).end('unavailable');
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reuses one keep-alive connection across ticks, reports HTTP errors and oversize bodies as results', async () => {
    // No scrape here should time out: a generous deadline, so a loaded machine cannot fail the 'ok' ones.
    const c = new Collector({ concurrency: 4, timeoutMs: 30_000, maxBodyBytes: 4096, keepAliveMs: 60_000 });
    try {
      for (let i = 0; i < 5; i++) {
        const [ok] = await c.scrape([{ key: 'a', url: `${base}/ok` }]);
        expect(ok?.ok).toBe(true);
      }
      expect(sockets.size).toBe(1);
      const [bad, big] = await c.scrape([
        { key: 'b', url: `${base}/down` },
        { key: 'c', url: `${base}/big` },
      ]);
      expect(bad).toMatchObject({ ok: false, error: 'http' });
      expect(big).toMatchObject({ ok: false, error: 'too-large' });
      const [again] = await c.scrape([{ key: 'a', url: `${base}/ok` }]);
      expect(again?.ok && again.observation.prev).toBeUndefined(); // 'a' was forgotten when it left the target list
    } finally {
      await c.close();
    }
  });
});
