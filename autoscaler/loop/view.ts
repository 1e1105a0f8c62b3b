/**
 * What the loop needs to know about the cluster, as an interface: informers implement it in production
 * (./informer-view.ts), a plain object in benchmarks. Pods come with their readiness and metrics port.
 */
import type { KubeObject } from '../../src/kube.js';
import { POD_ANNOTATIONS } from '../../core/names.js';
import type { ScaleTarget } from '../targets.js';

export interface PodInfo {
  /** namespace/name/uid: a replacement pod with the same name starts a fresh counter history. */
  key: string;
  ip: string;
  ready: boolean;
  /** Where vLLM serves /metrics (pod annotation kserve-llmd.io/vllm-port; 8200 behind the routing sidecar). */
  metricsPort: number;
}

export interface ClusterView {
  targets(): ScaleTarget[];
  pods(t: ScaleTarget): PodInfo[];
  /** spec.replicas of the scale target; undefined when the Deployment is not (yet) known. */
  specReplicas(t: ScaleTarget): number | undefined;
  sks(t: ScaleTarget): KubeObject | undefined;
}

interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  status?: { podIP?: string; phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/** A pod → PodInfo: Ready condition True, not terminating, has an IP. */
export function podInfo(pod: PodLike, defaultPort: number): PodInfo {
  const m = pod.metadata ?? {};
  const ready =
    !m.deletionTimestamp &&
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const annotated = Number(m.annotations?.[POD_ANNOTATIONS.vllmPort]);
  const metricsPort = Number.isInteger(annotated) && annotated > 0 && annotated < 65536 ? annotated : defaultPort;
  return {
    key: `${m.namespace}/${m.name}/${m.uid ?? ''}`,
    ip: pod.status?.podIP ?? '',
    ready: ready && !!pod.status?.podIP,
    metricsPort,
  };
}

export function metricsUrl(p: PodInfo): string {
  const host = p.ip.includes(':') ? `[${p.ip}]` : p.ip;
  return `http://${host}:${p.metricsPort}/metrics`;
}
