/**
 * ClusterView from informers: PodAutoscalers (Knative) or Deployments (Standard), their pods, Deployments and
 * ServerlessServices, all from watch caches (no API call per tick). Pods and Deployments are indexed by the
 * revision label, so a tick over 1,000 PAs does not scan every pod 1,000 times.
 */
import { createInformer, type RestartableInformer } from '../../src/informer.js';
import { RESOURCES, type KubeClient, type KubeObject } from '../../src/kube.js';
import type { Logger } from '../../src/log.js';
import { LABELS, POD_ANNOTATIONS } from '../../core/names.js';
import type { AutoscalerConfig } from '../config.js';
import { deploymentTarget, paTarget, type ScaleTarget } from '../targets.js';
import { podInfo, type ClusterView, type PodInfo } from './view.js';

const REVISION = 'serving.knative.dev/revision';

export class InformerView implements ClusterView {
  private readonly informers: RestartableInformer[] = [];
  private pas?: RestartableInformer;
  private deployments!: RestartableInformer;
  private podInf!: RestartableInformer;
  private sksInf?: RestartableInformer;
  private podIndex?: { at: number; byNs: Map<string, KubeObject[]> };

  constructor(
    private readonly client: KubeClient,
    private readonly cfg: AutoscalerConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const ns = this.cfg.namespace || undefined;
    const selector = this.cfg.mode === 'Knative' ? REVISION : LABELS.kserveIsvc;
    const make = (
      resource: (typeof RESOURCES)[keyof typeof RESOURCES],
      labelSelector?: string,
      transform?: (o: KubeObject) => KubeObject,
    ): RestartableInformer => {
      const inf = createInformer({
        client: this.client,
        resource,
        namespace: ns,
        labelSelector,
        resyncMs: 0,
        logger: this.logger,
        transform,
        onEvent: () => {
          this.podIndex = undefined;
        },
      });
      this.informers.push(inf);
      return inf;
    };
    this.deployments = make(RESOURCES.deployments, selector);
    this.podInf = make(RESOURCES.pods, selector, slimPod);
    if (this.cfg.mode === 'Knative') {
      this.pas = make(RESOURCES.podAutoscalers);
      this.sksInf = make(RESOURCES.serverlessServices);
    }
    await Promise.all(this.informers.map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  targets(): ScaleTarget[] {
    const opts = { maxReplicasCap: this.cfg.maxReplicasCap, stableWindowMs: this.cfg.stableWindowMs };
    if (this.pas) return this.pas.list().flatMap((pa) => paTarget(pa, opts) ?? []);
    const eppBuffers = this.cfg.eppMetricsUrl !== '';
    return this.deployments.list().flatMap((d) => deploymentTarget(d, { ...opts, eppBuffers }) ?? []);
  }

  pods(t: ScaleTarget): PodInfo[] {
    if (!this.podIndex) {
      const byNs = new Map<string, KubeObject[]>();
      for (const p of this.podInf.list()) {
        const key = p.metadata?.namespace ?? '';
        const list = byNs.get(key) ?? [];
        list.push(p);
        byNs.set(key, list);
      }
      this.podIndex = { at: Date.now(), byNs };
    }
    const sel = Object.entries(t.podSelector);
    return (this.podIndex.byNs.get(t.namespace) ?? [])
      .filter((p) => sel.every(([k, v]) => p.metadata?.labels?.[k] === v))
      .map((p) => podInfo(p as Parameters<typeof podInfo>[0], this.cfg.defaultVllmPort));
  }

  specReplicas(t: ScaleTarget): number | undefined {
    const d = this.deployments.get(t.deployment, t.namespace);
    if (!d) return undefined;
    const r = (d.spec as { replicas?: number } | undefined)?.replicas;
    return typeof r === 'number' ? r : 1;
  }

  sks(t: ScaleTarget): KubeObject | undefined {
    return this.sksInf?.get(t.name, t.namespace);
  }
}

/**
 * A pod as the autoscaler caches it: identity, labels, the vLLM port annotation and what readiness needs
 * (view.ts podInfo). A Knative pod is several KB of spec the autoscaler never reads; at thousands of pods the
 * full objects were the largest part of the informer cache.
 */
export function slimPod(pod: KubeObject): KubeObject {
  const m = pod.metadata ?? {};
  const status = (
    pod as { status?: { podIP?: string; phase?: string; conditions?: Array<{ type: string; status: string }> } }
  ).status;
  const port = m.annotations?.[POD_ANNOTATIONS.vllmPort];
  return {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      labels: m.labels,
      ...(port !== undefined ? { annotations: { [POD_ANNOTATIONS.vllmPort]: port } } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    status: {
      podIP: status?.podIP,
      phase: status?.phase,
      conditions: (status?.conditions ?? [])
        .filter((c) => c.type === 'Ready')
        .map((c) => ({ type: c.type, status: c.status })),
    },
  } as KubeObject;
}
