/**
 * End to end on the fake API server: real informers, real HTTP scrapes of loopback vLLM endpoints, real
 * patches; time is virtual (loop.tick() with a clock the test advances), so a 30 s idle window takes ms.
 */
import { requestAttributes as _unused, allows, RBAC } from '../../core/rbac.js';
import { INSTALL_NAMESPACE } from '../../core/names.js';
import { validateObject } from '../support/schema.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver/index.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster, NS } from './support/cluster.js';
import { FakePage } from './support/fake-vllm.js';
import { buildAutoscaler, counterValue, eventReceiver, testConfig, type Harness } from './support/harness.js';
import type { TickReport } from '../../autoscaler/loop/index.js';

void _unused;
const DECODE = 'llama-predictor-00001';
const PREFILL = 'llama-prefill-predictor-00001';
const KN = 'autoscaling.knative.dev/';

describe('autoscaler end to end (fake API server, loopback vLLM metrics)', () => {
  let api: FakeApiServer;
  let cluster: FakeCluster;
  let h: Harness;
  let epp: FakePage;
  let now = 1_000_000;
  const clock = (): number => now;

  beforeEach(async () => {
    now = 1_000_000;
    api = await startFakeApiServer({ validate: (o) => validateObject(o) });
    cluster = new FakeCluster(api, clock);
    epp = await new FakePage().start();
  });

  afterEach(async () => {
    await h?.close();
    await cluster.close();
    await epp.close();
    await api.close();
  });

  /** The informer cache agrees with the store (pods, readiness, replicas, SKS). */
  async function settle(): Promise<void> {
    await eventually('the informers to catch up', () =>
      h.autoscaler.view.targets().every((t) => {
        const want = cluster.replicas(t.name);
        const readyInStore = api
          .objects('v1', 'Pod', NS)
          .filter(
            (p) =>
              p.metadata.labels['serving.knative.dev/revision'] === t.name &&
              (p.status as any)?.conditions?.[0]?.status === 'True',
          ).length;
        const pods = h.autoscaler.view.pods(t);
        const sksStore = cluster.sks(t.name);
        const sksView = h.autoscaler.view.sks(t);
        return (
          h.autoscaler.view.specReplicas(t) === want &&
          pods.filter((p) => p.ready).length === readyInStore &&
          pods.length ===
            api.objects('v1', 'Pod', NS).filter((p) => p.metadata.labels['serving.knative.dev/revision'] === t.name)
              .length &&
          (sksStore?.metadata.resourceVersion ?? '') === (sksView?.metadata?.resourceVersion ?? '') &&
          (cluster.pa(t.name)?.metadata.resourceVersion ?? '') === (t.pa?.metadata?.resourceVersion ?? '')
        );
      }),
    );
  }

  async function tick(stepMs = 1000): Promise<TickReport> {
    now += stepMs;
    await cluster.sync();
    await settle();
    return h.autoscaler.loop.tick();
  }

  async function seedPool(
    decodeAnn: Record<string, string> = {},
    prefillAnn: Record<string, string> = {},
  ): Promise<void> {
    await cluster.addRevision({
      name: DECODE,
      role: 'decode',
      pool: 'llama',
      replicas: 1,
      annotations: {
        [`${KN}min-scale`]: '0',
        [`${KN}max-scale`]: '4',
        'kserve-llmd.io/disaggregation': 'prefill-decode',
        'kserve-llmd.io/scale-to-zero-after': '30s',
        ...decodeAnn,
      },
    });
    await cluster.addRevision({
      name: PREFILL,
      role: 'prefill',
      pool: 'llama',
      replicas: 1,
      annotations: {
        [`${KN}min-scale`]: '0',
        [`${KN}max-scale`]: '4',
        'kserve-llmd.io/prefill-for': 'llama',
        'kserve-llmd.io/scale-to-zero-after': '10m',
        ...prefillAnn,
      },
    });
  }

  it(
    'scales decode on KV pressure and prefill on long prompts, ' +
      'sleeps both in order, wakes decode on a queued request',
    async () => {
      const sink = await eventReceiver();
      try {
        await seedPool();
        h = buildAutoscaler(api, testConfig({ eppMetricsUrl: epp.url }), { now: clock, sink: sink.url });
        await h.autoscaler.startView();
        cluster.load(DECODE, { kv: 0.3, running: 5, reqRate: 1, genRate: 50, promptRate: 1000 });
        cluster.load(PREFILL, { running: 1, reqRate: 1, promptRate: 3000, meanPrompt: 3000 });
        for (let i = 0; i < 3; i++) await tick();

        // The custom-class contract: SKS created in Serve, PA status filled so the Revision becomes Ready.
        expect(cluster.sks(DECODE).spec).toMatchObject({
          mode: 'Serve',
          objectRef: { kind: 'Deployment', name: `${DECODE}-deployment` },
        });
        expect(cluster.sks(DECODE).metadata.ownerReferences[0]).toMatchObject({
          kind: 'PodAutoscaler',
          name: DECODE,
          controller: true,
        });
        const st = cluster.pa(DECODE).status;
        expect(st).toMatchObject({
          serviceName: DECODE,
          metricsServiceName: `${DECODE}-private`,
          desiredScale: 1,
          actualScale: 1,
        });
        expect(Object.fromEntries(st.conditions.map((c: any) => [c.type, c.status]))).toEqual({
          Active: 'True',
          Ready: 'True',
          ScaleTargetInitialized: 'True',
          SKSReady: 'True',
        });
        expect(validateObject(cluster.pa(DECODE))).toEqual([]);
        expect(validateObject(cluster.sks(DECODE))).toEqual([]);

        // Load rises on decode: KV 0.95 on one replica → 2 replicas within the 6 s panic window (not the 60 s stable
        // one).
        cluster.load(DECODE, { kv: 0.95, running: 40 });
        let ticks = 0;
        while (cluster.replicas(DECODE) === 1 && ticks < 10) {
          await tick();
          ticks++;
        }
        expect(cluster.replicas(DECODE)).toBe(2);
        expect(ticks).toBeLessThanOrEqual(6);

        // Long prompts back up on prefill: 20 waiting × 8,000 tokens must drain within 1 s at 15k tok/s.
        cluster.load(PREFILL, { waiting: 20, meanPrompt: 8000, running: 4 });
        for (let i = 0; i < 6 && cluster.replicas(PREFILL) < 4; i++) await tick();
        expect(cluster.replicas(PREFILL)).toBe(4);

        // Idle: everything stops. Decode reaches zero once its 30 s idle window has passed and Knative panic mode (held
        // a stable window after the burst) has ended; prefill (10 m window of its own) follows decode.
        cluster.load(DECODE, { kv: 0, running: 0, waiting: 0, reqRate: 0, genRate: 0, promptRate: 0 });
        cluster.load(PREFILL, { running: 0, waiting: 0, reqRate: 0, promptRate: 0 });
        const zeroDecided: Record<string, number> = {};
        const recordZero = (r: TickReport): void => {
          for (const name of [DECODE, PREFILL]) {
            const d = r.decisions.get(`${NS}/${name}`);
            if (d?.desired !== 0 || zeroDecided[name] !== undefined) continue;
            zeroDecided[name] = now;
            expect(d.reason).toBe(name === PREFILL ? 'decode-at-zero' : 'idle-to-zero');
            // Desired 0 is published at once, but replicas stay until the activator is in the path.
            expect(cluster.replicas(name)).toBeGreaterThan(0);
          }
        };
        for (let i = 0; i < 100 && !(cluster.replicas(DECODE) === 0 && cluster.replicas(PREFILL) === 0); i++)
          recordZero(await tick());
        expect(cluster.replicas(DECODE)).toBe(0);
        expect(cluster.replicas(PREFILL)).toBe(0);
        expect(zeroDecided[DECODE]).toBeLessThanOrEqual(zeroDecided[PREFILL] as number);
        await tick();
        const zero = cluster.pa(DECODE).status;
        expect(zero).toMatchObject({ desiredScale: 0, actualScale: 0, serviceName: DECODE });
        expect(Object.fromEntries(zero.conditions.map((c: any) => [c.type, c.status]))).toEqual({
          Active: 'False',
          Ready: 'False',
          ScaleTargetInitialized: 'True',
          SKSReady: 'True',
        });
        expect(zero.conditions.find((c: any) => c.type === 'Active').reason).toBe('NoTraffic');
        expect(cluster.sks(DECODE).spec.mode).toBe('Proxy');
        expect(cluster.sks(PREFILL).spec.mode).toBe('Proxy');

        // A request at zero: the EPP queues it; the very next tick (≤ 1 s) wakes decode; a short prompt leaves prefill
        // asleep.
        for (let i = 0; i < 3; i++) await tick();
        epp.text =
          'llm_d_epp_flow_control_queue_size{fairness_id="default",priority="0",inference_pool="llama"} ' +
          '1\nllm_d_epp_flow_control_queue_bytes{inference_pool="llama"} ' +
          '1600\n';
        const queuedAt = now;
        await tick(1000);
        expect(cluster.replicas(DECODE)).toBe(1);
        expect(now - queuedAt).toBeLessThanOrEqual(1000);
        expect(cluster.replicas(PREFILL)).toBe(0);
        expect(cluster.pa(DECODE).status.conditions.find((c: any) => c.type === 'Active')).toMatchObject({
          status: 'Unknown',
          reason: 'Queued',
        });
        epp.text = '';
        await tick();
        await tick();
        expect(cluster.sks(DECODE).spec.mode).toBe('Serve');
        expect(cluster.pa(DECODE).status.conditions.find((c: any) => c.type === 'Active').status).toBe('True');

        // CloudEvents, binary mode, one per replica change, with sleep and wake marked.
        await eventually('the wake event', () => sink.events.some((e) => e.data?.transition === 'wake'));
        const up = sink.events.find((e) => e.data.role === 'decode' && e.data.transition === 'scale-up');
        expect(up?.headers).toMatchObject({
          // source: the PodAutoscaler that decided (issue 5); subject: the Deployment it scaled.
          'ce-specversion': '1.0',
          'ce-type': 'dev.kserve-llmd.autoscaler.scaled',
          'ce-source': `/apis/autoscaling.internal.knative.dev/v1alpha1/namespaces/${NS}/podautoscalers/${DECODE}`,
          'ce-subject': `/apis/apps/v1/namespaces/${NS}/deployments/${DECODE}-deployment`,
        });
        expect(up?.headers['ce-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(up?.data).toMatchObject({
          from: 1,
          to: 2,
          reason: expect.stringMatching(/kv-pressure|queue/),
          pool: 'llama',
        });
        expect(up?.data.signals.panicKvUsage).toBeGreaterThan(0.8);
        const sleeps = sink.events.filter((e) => e.data.transition === 'sleep').map((e) => e.data.role);
        expect(sleeps.sort()).toEqual(['decode', 'prefill']);
        expect(sink.events.filter((e) => e.data.transition === 'wake').map((e) => e.data.role)).toEqual(['decode']);

        // Least privilege: every call the autoscaler made is covered by its RBAC rules (core/rbac.ts).
        const uncovered = api.calls
          .filter((c) => !c.nonResourceURL)
          .filter(
            (c) =>
              !allows(
                RBAC.autoscaler,
                {
                  apiGroup: c.group,
                  resource: c.subresource ? `${c.resource}/${c.subresource}` : c.resource,
                  verb: c.verb as any,
                  ...(c.namespace ? { namespace: c.namespace } : {}),
                  ...(c.name ? { name: c.name } : {}),
                },
                INSTALL_NAMESPACE,
              ),
          );
        expect(uncovered).toEqual([]);
        expect(api.calls.filter((c) => c.verb === 'delete')).toEqual([]);
      } finally {
        await sink.close();
      }
    },
  );

  it(
    'a metrics endpoint that returns garbage or times out never ' + 'causes a scale-down, and the error metric rises',
    async () => {
      await cluster.addRevision({
        name: DECODE,
        role: 'decode',
        pool: 'llama',
        replicas: 2,
        annotations: { [`${KN}min-scale`]: '0', [`${KN}max-scale`]: '4', 'kserve-llmd.io/scale-to-zero-after': '30s' },
      });
      // A short scrape timeout: the hanging pod costs it on every tick (real time), and every scrape here either
      // fails on purpose or, if a healthy one is slow, holds the count the test expects anyway (fail-static).
      const scrape = { concurrency: 16, timeoutMs: 150, maxBodyBytes: 1 << 20, keepAliveMs: 30_000 };
      h = buildAutoscaler(api, testConfig({ scrape }), { now: clock });
      await h.autoscaler.startView();
      cluster.load(DECODE, { kv: 0.5, running: 10, reqRate: 1 });
      // Past the start-up panic (Knative: a new autoscaler holds a fleet of 2+ for a stable window).
      for (let i = 0; i < 14; i++) await tick(5000);
      expect(cluster.replicas(DECODE)).toBe(2);
      const [a, b] = cluster.vllms(DECODE);
      a?.set({ mode: 'garbage', kv: 0, running: 0, reqRate: 0 });
      b?.set({ mode: 'hang', kv: 0, running: 0, reqRate: 0 });
      const reasons = new Set<string>();
      for (let i = 0; i < 12; i++) reasons.add((await tick(5000)).decisions.get(`${NS}/${DECODE}`)?.reason ?? '');
      expect(cluster.replicas(DECODE)).toBe(2);
      expect([...reasons]).toEqual(['fail-static']);
      // Both pods fail on every tick: the hanging one always by timeout; the garbage one by parse error, unless
      // the machine stalled past the 150 ms deadline before its answer was read (then it counts as a timeout:
      // seen with every core busy, 11 parse errors of 12).
      const errors = async (kind: string): Promise<number> =>
        counterValue(h.registry, 'kserve_llmd_autoscaler_scrape_errors_total', { kind });
      expect(await errors('timeout')).toBeGreaterThanOrEqual(12);
      expect(await errors('parse')).toBeGreaterThanOrEqual(1);
      expect((await errors('parse')) + (await errors('timeout'))).toBeGreaterThanOrEqual(24);
      expect(
        await counterValue(h.registry, 'kserve_llmd_autoscaler_decisions_total', { reason: 'fail-static' }),
      ).toBeGreaterThanOrEqual(12);
    },
  );

  it('a PA without kserve-llmd annotations (our runtime, defaults) is scaled within its Knative bounds', async () => {
    await cluster.addRevision({
      name: 'plain-predictor-00001',
      role: 'decode',
      pool: 'plain',
      replicas: 1,
      annotations: { [`${KN}min-scale`]: '1', [`${KN}max-scale`]: '3' },
    });
    h = buildAutoscaler(api, testConfig(), { now: clock });
    await h.autoscaler.startView();
    cluster.load('plain-predictor-00001', { kv: 1, running: 64, waiting: 200, reqRate: 5 });
    await tick();
    expect(cluster.replicas('plain-predictor-00001')).toBe(3);
  });
});
