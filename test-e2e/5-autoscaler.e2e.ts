/**
 * Scenario 5, the autoscaler on real Knative Serving (its Revision, PodAutoscaler and ServerlessService
 * reconcilers), two `kserve-llmd autoscaler` processes as their ServiceAccount, fake pods made Ready through the
 * API, each serving vLLM metrics on the host's address and a port of its own (kserve-llmd.io/vllm-port):
 *   Revision Ready from our PA status → decode load: scale up within seconds and a CloudEvent, prefill apart →
 *   a failing scrape: no scale-down (fail static) → idle: prefill, then decode, to zero after
 *   scale-to-zero-after + grace, the SKS in Proxy and the Revision still Ready → the activator's queue metric:
 *   wake within 1 s → the leader killed: the other process leads within the Lease duration and acts.
 * Settings (stated in docs/e2e.md): scale-to-zero-after 30s (the annotation's minimum), scaleToZeroGraceMs 5000
 * (Knative's is 30 s), tickMs 500 (the default 1000 wakes on the next tick, up to ~1.1 s), no EPP source (the
 * EPP Deployment never runs here), the activator's metrics from a page the test writes.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { parsePrometheusText } from '../autoscaler/metrics/prom-text.js';
import { INSTALL_NAMESPACE, LEASE_NAMES } from '../core/names.js';
import { describeE2E, hostIPv4 } from './support/env.js';
import { FakeKubelet, WEBHOOK_PORT_ANNOTATION } from './support/fake-kubelet.js';
import { EventSink, idle, PodMetrics, TextPage, type VllmState } from './support/fake-vllm.js';
import { applyKserveStep, condition, knativeObjects, revisionPods } from './support/knative.js';
import { eventually, sleep, type Obj } from './support/kube.js';
import { Timeline } from './support/timeline.js';
import type { Component } from './support/process.js';
import {
  httpText,
  startAutoscaler,
  startController,
  startStack,
  type AutoscalerProcess,
  type Stack,
} from './support/stack.js';

const NAME = 'llama';
const DECODE = `${NAME}-predictor-00001`;
const PREFILL = `${NAME}-prefill-predictor-00001`;
const PA = 'autoscaling.internal.knative.dev/v1alpha1';
const SKS = 'networking.internal.knative.dev/v1alpha1';
const GRACE_MS = 5_000;
const SCALE_TO_ZERO_AFTER_MS = 30_000;
/**
 * Real time on a shared 2-core machine: the bounds below allow this much for the sampling of the timeline
 * (200 ms period plus API latency on each side). Without the rule they check, the measured gap would be
 * about one autoscaler tick (500 ms), so the rule still decides the outcome.
 */
const SAMPLING_SLACK_MS = 2_000;

const service = (ns: string): Obj => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: {
    name: NAME,
    namespace: ns,
    annotations: {
      'kserve-llmd.io/disaggregation': 'prefill-decode',
      'kserve-llmd.io/decode-replicas': '0-3',
      'kserve-llmd.io/prefill-replicas': '0-2',
      'kserve-llmd.io/scale-to-zero-after': '30s',
    },
  },
  spec: {
    predictor: {
      model: {
        modelFormat: { name: 'vLLM' },
        storageUri: 'hf://meta-llama/Llama-3.1-8B-Instruct',
        resources: { limits: { 'nvidia.com/gpu': '1', memory: '48Gi' }, requests: { cpu: '4', memory: '48Gi' } },
      },
    },
  },
});

describeE2E('5 autoscaler on real Knative', () => {
  let s: Stack;
  let ns: string;
  let controller: Component;
  let kubelet: FakeKubelet;
  const autoscalers: AutoscalerProcess[] = [];
  const sink = new EventSink();
  const activator = new TextPage();
  const pods = new Map<string, PodMetrics>();
  const state: Record<'decode' | 'prefill', VllmState> = { decode: idle(), prefill: idle() };
  let activatorEndpoints: Obj | undefined;
  let timeline: Timeline;
  let appliedAt = 0;

  const replicas = async (rev: string): Promise<number> =>
    (await s.kube.get('apps/v1', 'Deployment', ns, `${rev}-deployment`))?.spec.replicas;
  const revisionReady = async (rev: string): Promise<boolean> =>
    condition(await s.kube.get('serving.knative.dev/v1', 'Revision', ns, rev), 'Ready')?.status === 'True';
  const leader = async (): Promise<string | undefined> =>
    (await s.kube.get('coordination.k8s.io/v1', 'Lease', INSTALL_NAMESPACE, LEASE_NAMES.autoscaler))?.spec
      .holderIdentity;
  const gauge = async (a: AutoscalerProcess, name: string, labels: Record<string, string>): Promise<number> => {
    const text = (await httpText(a.metricsUrl)) ?? '';
    const hit = parsePrometheusText(text, (n) => n === name).find((x) =>
      Object.entries(labels).every(([k, v]) => x.labels[k] === v),
    );
    return hit?.value ?? Number.NaN;
  };
  const leading = async (): Promise<AutoscalerProcess> => {
    const id = await eventually('a leader', leader, 30_000);
    return autoscalers.find((a) => a.identity === id)!;
  };

  beforeAll(async () => {
    s = await startStack();
    ns = await s.namespace('autoscaler');
    await sink.start();
    await activator.start();
    // The activator is not running, but Knative's SKS must see activator endpoints to go to Proxy with
    // ActivatorEndpointsPopulated (what our autoscaler waits for before /scale 0): the host's address.
    activatorEndpoints = await s.kube.get('v1', 'Endpoints', 'knative-serving', 'activator-service');
    await s.kube.patch(
      { apiVersion: 'v1', kind: 'Endpoints', namespace: 'knative-serving', name: 'activator-service' },
      {
        subsets: [
          {
            addresses: [{ ip: hostIPv4() }],
            ports: [
              { name: 'http', port: 8012, protocol: 'TCP' },
              { name: 'http2', port: 8013, protocol: 'TCP' },
            ],
          },
        ],
      },
    );
    kubelet = await new FakeKubelet(s.kube, ns, async (pod) => {
      const role = pod.metadata.labels?.['llm-d.ai/role'] === 'prefill' ? 'prefill' : 'decode';
      const m = await new PodMetrics(hostIPv4(), () => state[role]).start();
      pods.set(pod.metadata.name!, m);
      return m.port;
    }).start();
    controller = await startController(s.kube, ns);
    const overrides = {
      namespace: ns,
      tickMs: 500,
      scaleToZeroGraceMs: GRACE_MS,
      eppMetricsUrl: '',
      activatorMetricsUrls: [activator.url],
      sink: sink.url,
    };
    autoscalers.push(await startAutoscaler(s.kube, 'autoscaler-a', overrides));
    autoscalers.push(await startAutoscaler(s.kube, 'autoscaler-b', overrides));
    timeline = new Timeline(s.kube, ns, [DECODE, PREFILL]).start();
  });

  afterAll(async () => {
    await timeline?.stop();
    await Promise.all(autoscalers.map((a) => a.stop()));
    await controller?.stop();
    await kubelet?.stop();
    if (activatorEndpoints)
      await s.kube.patch(
        { apiVersion: 'v1', kind: 'Endpoints', namespace: 'knative-serving', name: 'activator-service' },
        { subsets: activatorEndpoints.subsets ?? [] },
      );
    await Promise.all([...pods.values()].map((p) => p.close()));
    await sink.close();
    await activator.close();
    await s?.close();
  });

  it('one leader; both Revisions become Ready from our PodAutoscaler status', async () => {
    appliedAt = Date.now();
    await s.kube.apply(service(ns), 'e2e-gitops');
    await applyKserveStep(s.kube, ns, [NAME, `${NAME}-prefill`]);
    const leaderId = await eventually('a leader', leader, 30_000);
    expect(autoscalers.map((a) => a.identity)).toContain(leaderId);
    for (const rev of [DECODE, PREFILL]) {
      await knativeObjects(s.kube, ns, rev.replace(/-00001$/, ''));
      await eventually(`Revision ${rev} Ready`, () => revisionReady(rev), 90_000, 500);
      // Ready = Active ∧ ScaleTargetInitialized ∧ SKSReady (docs/autoscaler.md); SKSReady follows Knative's
      // SKS reconciler, once the private Service has the pod's endpoint.
      const pa = await eventually(`PodAutoscaler ${rev} Ready`, async () => {
        const o = await s.kube.get(PA, 'PodAutoscaler', ns, rev);
        return condition(o, 'Ready')?.status === 'True' ? o : undefined;
      });
      expect(pa.status).toMatchObject({ serviceName: rev, metricsServiceName: `${rev}-private` });
      const sks = (await s.kube.get(SKS, 'ServerlessService', ns, rev))!;
      expect(sks.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'PodAutoscaler', name: rev })]);
    }
    // The fake pods serve on their own ports; the webhook had put vLLM where the port layout says.
    const started = await revisionPods(s.kube, ns, DECODE);
    expect(started[0]!.metadata.annotations[WEBHOOK_PORT_ANNOTATION]).toBe('8200');
  });

  it('decode under load scales up within seconds (CloudEvent), prefill unaffected', async () => {
    // Deadlines here are generous (real time, a shared 2-core machine, a real API server and Knative beside
    // us): waits give up late, and the one timed assertion, "within seconds", allows 10 s for what takes
    // two to three autoscaler ticks (500 ms each) plus a /scale patch.
    const t0 = Date.now();
    state.decode = { ...idle(), kv: 0.95, waiting: 8, running: 8 };
    await eventually('decode scaled up', async () => (await replicas(DECODE)) > 1, 20_000, 100);
    const event = await eventually('a scale-up CloudEvent', () =>
      sink.events.find((e) => e.data?.role === 'decode' && e.data?.transition === 'scale-up'),
    );
    expect(event).toMatchObject({
      type: 'dev.kserve-llmd.autoscaler.scaled',
      source: `/apis/${PA}/namespaces/${ns}/podautoscalers/${DECODE}`,
      subject: `/apis/apps/v1/namespaces/${ns}/deployments/${DECODE}-deployment`,
      data: { namespace: ns, name: DECODE, pool: NAME, from: 1 },
    });
    expect(event.data.to).toBeGreaterThan(1);
    expect(event.at - t0).toBeLessThan(10_000);
    expect(await replicas(PREFILL)).toBe(1);
    await eventually(
      'decode at max-scale 3 with every pod Ready',
      async () => {
        const ready = (await revisionPods(s.kube, ns, DECODE)).filter((p) => condition(p, 'Ready')?.status === 'True');
        return (await replicas(DECODE)) === 3 && ready.length === 3;
      },
      30_000,
    );
  });

  it('a failing scrape holds the replicas (fail static); idle prefill goes to zero behind the activator', async () => {
    const a = await leading();
    state.decode = idle();
    const decodePods = await revisionPods(s.kube, ns, DECODE);
    const broken = pods.get(decodePods[0]!.metadata.name!)!;
    broken.broken = true;
    // Longer than the scale-down delay (30 s): without fail static, idle decode would have shrunk by now.
    // docs/autoscaler.md: the decision is fail-static and kserve_llmd_autoscaler_fail_static=1 meanwhile.
    const gaugeValues = new Set<number>();
    try {
      const until = Date.now() + 35_000;
      while (Date.now() < until) {
        expect(await replicas(DECODE)).toBe(3);
        gaugeValues.add(await gauge(a, 'kserve_llmd_autoscaler_fail_static', { name: DECODE }));
        await sleep(1_000);
      }
    } finally {
      broken.broken = false;
    }
    // Prefill has been idle since the start: scale-to-zero-after (30 s) + grace → 0, SKS in Proxy, Revision Ready.
    await eventually('prefill at zero', async () => (await replicas(PREFILL)) === 0, 30_000, 250);
    const sks = await s.kube.get(SKS, 'ServerlessService', ns, PREFILL);
    expect(sks?.spec.mode).toBe('Proxy');
    expect(await revisionReady(PREFILL)).toBe(true);
    expect([...gaugeValues]).toContain(1);
    // Not before: the decision to go to zero (the SKS to Proxy) waited scale-to-zero-after since the autoscaler
    // first saw prefill (after the service was applied), and the replicas waited the grace after that.
    const t = await timeline.lastScaleToZero(PREFILL);
    expect(t.proxyAfter - appliedAt).toBeGreaterThanOrEqual(SCALE_TO_ZERO_AFTER_MS - SAMPLING_SLACK_MS);
    expect(t.zeroAfter - t.proxyBefore).toBeGreaterThanOrEqual(GRACE_MS - SAMPLING_SLACK_MS);
  });

  it('idle decode goes to zero with the SKS in Proxy; the activator queue metric wakes it within 1 s', async () => {
    await eventually('decode at zero', async () => (await replicas(DECODE)) === 0, 60_000, 250);
    expect((await s.kube.get(SKS, 'ServerlessService', ns, DECODE))?.spec.mode).toBe('Proxy');
    expect(await revisionReady(DECODE)).toBe(true);
    expect(sink.events.some((e) => e.data?.role === 'decode' && e.data?.transition === 'sleep')).toBe(true);
    // The replicas stayed until the grace had passed since the SKS went to Proxy (Knative's rule, kpa/scaler.go).
    const t = await timeline.lastScaleToZero(DECODE);
    expect(t.zeroAfter - t.proxyBefore).toBeGreaterThanOrEqual(GRACE_MS - SAMPLING_SLACK_MS);

    // The bound, kept strict: 1 s against a 500 ms tick leaves one tick plus a /scale patch of headroom.
    activator.text = `kn_revision_request_queued{k8s_namespace_name="${ns}",kn_revision_name="${DECODE}"} 1\n`;
    const t0 = Date.now();
    await eventually('decode woken', async () => (await replicas(DECODE)) >= 1, 5_000, 50);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThanOrEqual(1_000);
    activator.text = '';
  });

  it('the leader killed: the other process takes the Lease within its duration and acts', async () => {
    await eventually('decode Ready again', () => revisionReady(DECODE), 30_000);
    const old = await leading();
    const other = autoscalers.find((a) => a !== old)!;
    const lease = await s.kube.get('coordination.k8s.io/v1', 'Lease', INSTALL_NAMESPACE, LEASE_NAMES.autoscaler);
    const durationMs = lease!.spec.leaseDurationSeconds * 1000;
    await old.kill();
    const t0 = Date.now();
    await eventually('the other autoscaler leading', async () => (await leader()) === other.identity, 30_000, 100);
    const elapsed = Date.now() - t0;
    // src/leader.ts (client-go's rule): a candidate takes the Lease once its record has not changed for the
    // Lease duration *since the candidate saw it change*. Candidates look every retry period (2 s, after the
    // previous attempt): the dead leader's last renewal is seen up to one period after the kill, the expiry up to
    // one period after it passed. So: duration + 2 retry periods, plus 1 s for the API calls and this poll on a
    // shared machine (a run measured 17.9 s with a 15 s Lease).
    expect(elapsed).toBeLessThanOrEqual(durationMs + 2 * 2_000 + 1_000);
    // And it acts: decode load scales up again.
    state.decode = { ...idle(), kv: 0.95, waiting: 8, running: 8 };
    expect(await replicas(DECODE)).toBe(1);
    await eventually('the new leader scaling decode up', async () => (await replicas(DECODE)) > 1, 20_000, 100);
    await eventually('the scale-up in the log of the new leader', () =>
      other.records().some((r) => r.msg === 'scaled' && r.role === 'decode'),
    );
    state.decode = idle();
  });
});
