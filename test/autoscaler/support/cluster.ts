/**
 * The parts of a cluster the autoscaler talks to but does not run, played on the fake API server:
 * Knative's revision objects (PA, Deployment), a ReplicaSet+kubelet that turns Deployment replicas into
 * pods (each serving a FakeVllm on loopback; a new pod is Ready one sync later), and Knative's SKS reconciler
 * (service names, Ready, ActivatorEndpointsPopulated in Proxy mode).
 */
import type { FakeApiServer } from '../../support/fake-apiserver/index.js';
import { AUTOSCALER_CLASS, KNATIVE_CLASS_ANNOTATION, LABELS, POD_ANNOTATIONS } from '../../../core/names.js';
import { FakeVllm } from './fake-vllm.js';

export const NS = 'models';
const PA_V = 'autoscaling.internal.knative.dev/v1alpha1';
const SKS_V = 'networking.internal.knative.dev/v1alpha1';

export interface Revision {
  name: string;
  role: 'decode' | 'prefill';
  pool: string;
  annotations: Record<string, string>;
  replicas: number;
}

export class FakeCluster {
  readonly pods = new Map<string, { rev: string; vllm: FakeVllm; ready: boolean }>();
  private seq = 0;

  constructor(
    private readonly api: FakeApiServer,
    private readonly clock: () => number,
  ) {}

  async addRevision(r: Revision): Promise<void> {
    const labels = {
      [LABELS.role]: r.role,
      [LABELS.pool]: r.pool,
      'serving.knative.dev/revision': r.name,
      [LABELS.kserveIsvc]: r.pool,
    };
    this.api.seed({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${r.name}-deployment`, namespace: NS, labels },
      spec: {
        replicas: r.replicas,
        selector: { matchLabels: { 'serving.knative.dev/revision': r.name } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'kserve-container', image: 'vllm/vllm-openai:v0.27.1' }] },
        },
      },
    });
    this.api.seed({
      apiVersion: PA_V,
      kind: 'PodAutoscaler',
      metadata: {
        name: r.name,
        namespace: NS,
        labels,
        annotations: { [KNATIVE_CLASS_ANNOTATION]: AUTOSCALER_CLASS, ...r.annotations },
      },
      spec: {
        protocolType: 'http1',
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${r.name}-deployment` },
      },
    });
    await this.sync();
  }

  replicas(rev: string): number {
    return (this.api.object('apps/v1', 'Deployment', NS, `${rev}-deployment`)?.spec as { replicas: number }).replicas;
  }

  pa(rev: string): any {
    return this.api.object(PA_V, 'PodAutoscaler', NS, rev);
  }

  sks(rev: string): any {
    return this.api.object(SKS_V, 'ServerlessService', NS, rev);
  }

  vllms(rev: string): FakeVllm[] {
    return [...this.pods.values()].filter((p) => p.rev === rev).map((p) => p.vllm);
  }

  /** Set the same metrics on every pod of a revision (and on pods created later). */
  load(rev: string, patch: Partial<FakeVllm['state']>): void {
    this.defaults.set(rev, { ...(this.defaults.get(rev) ?? {}), ...patch });
    for (const v of this.vllms(rev)) v.set(patch);
  }

  private readonly defaults = new Map<string, Partial<FakeVllm['state']>>();

  /** One reconcile round of the ReplicaSet, kubelet and SKS controllers. */
  async sync(): Promise<void> {
    const h = this.api.direct();
    for (const d of this.api.objects('apps/v1', 'Deployment', NS)) {
      const rev = d.metadata.labels['serving.knative.dev/revision'] as string;
      const want = (d.spec as { replicas: number }).replicas;
      const mine = [...this.pods].filter(([, p]) => p.rev === rev);
      for (const [name, p] of mine) {
        if (!p.ready) {
          p.ready = true;
          h.patch(this.api.target('v1', 'Pod', NS, name, 'status'), 'application/merge-patch+json', {
            status: { conditions: [{ type: 'Ready', status: 'True' }] },
          });
        }
      }
      for (let i = mine.length; i < want; i++) await this.createPod(rev, d.metadata.labels as Record<string, string>);
      for (const [name, p] of mine.slice(want)) {
        this.pods.delete(name);
        h.delete(this.api.target('v1', 'Pod', NS, name), undefined);
        await p.vllm.close();
      }
    }
    for (const s of this.api.objects(SKS_V, 'ServerlessService', NS)) {
      const proxy = (s.spec as { mode?: string }).mode === 'Proxy';
      h.patch(
        this.api.target(SKS_V, 'ServerlessService', NS, s.metadata.name, 'status'),
        'application/merge-patch+json',
        {
          status: {
            serviceName: s.metadata.name,
            privateServiceName: `${s.metadata.name}-private`,
            conditions: [
              { type: 'Ready', status: 'True' },
              { type: 'EndpointsPopulated', status: proxy ? 'False' : 'True' },
              { type: 'ActivatorEndpointsPopulated', status: proxy ? 'True' : 'False' },
            ],
          },
        },
      );
    }
  }

  private async createPod(rev: string, labels: Record<string, string>): Promise<void> {
    const vllm = await new FakeVllm(this.clock).start();
    vllm.set(this.defaults.get(rev) ?? {});
    const name = `${rev}-deployment-${++this.seq}`;
    this.pods.set(name, { rev, vllm, ready: false });
    this.api.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS, labels, annotations: { [POD_ANNOTATIONS.vllmPort]: String(vllm.port) } },
      spec: { containers: [{ name: 'kserve-container', image: 'vllm/vllm-openai:v0.27.1' }] },
      status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'False' }] },
    });
    // Pod status is not settable on create (status subresource): write it as the kubelet would.
    this.api.direct().patch(this.api.target('v1', 'Pod', NS, name, 'status'), 'application/merge-patch+json', {
      status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'False' }] },
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.pods.values()].map((p) => p.vllm.close()));
    this.pods.clear();
  }
}
