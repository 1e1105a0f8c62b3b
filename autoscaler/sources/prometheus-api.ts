/**
 * Optional source for clusters that prefer Prometheus to direct scrapes: one instant query per namespace
 * (`/api/v1/query`, Prometheus HTTP API) for the same vLLM series the collector reads, grouped by pod, then
 * the same extraction as a direct scrape (vllm-signals.ts). Staleness follows Prometheus's scrape interval,
 * so wake-from-zero is slower than with direct scrapes; the EPP/activator sources still apply.
 */
import { snapshotFromSamples, VLLM, type PodSnapshot } from '../metrics/vllm-signals.js';
import type { Sample } from '../metrics/prom-text.js';
import type { HttpText } from '../collector/http.js';

const SERIES = [
  VLLM.waiting,
  VLLM.running,
  VLLM.kvUsage,
  VLLM.kvUsageV0,
  VLLM.promptTokens,
  VLLM.generationTokens,
  VLLM.success,
  VLLM.prefixCacheQueries,
  VLLM.prefixCacheHits,
  `${VLLM.ttft}_bucket`,
  `${VLLM.itl}_bucket`,
  `${VLLM.itlV0}_bucket`,
  `${VLLM.promptLength}_sum`,
  `${VLLM.promptLength}_count`,
];

const quote = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function podQuery(namespace: string, podLabel = 'pod'): string {
  const names = SERIES.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return `{__name__=~"${names}",namespace="${quote(namespace)}",${podLabel}!=""}`;
}

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** Parse a `/api/v1/query` answer into samples per pod (the `pod` label). */
export function samplesByPod(body: string, podLabel = 'pod'): Map<string, Sample[]> {
  const parsed = JSON.parse(body) as {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: VectorResult[] };
  };
  if (parsed.status !== 'success') throw new Error(`prometheus query failed: ${parsed.error ?? 'unknown error'}`);
  if (parsed.data?.resultType !== 'vector')
    throw new Error(`prometheus query returned ${parsed.data?.resultType ?? 'nothing'}, expected a vector`);
  const out = new Map<string, Sample[]>();
  for (const r of parsed.data.result ?? []) {
    const { __name__: name, [podLabel]: pod, ...labels } = r.metric;
    if (!name || !pod) continue;
    const list = out.get(pod) ?? [];
    list.push({ name, labels, value: Number(r.value[1]) });
    out.set(pod, list);
  }
  return out;
}

export class PrometheusApiSource {
  constructor(
    private readonly baseUrl: string,
    private readonly http: HttpText,
    private readonly podLabel = 'pod',
  ) {}

  /** Snapshots per pod name in one namespace; pods without vLLM series are absent (the loop counts them missing). */
  async snapshots(namespace: string): Promise<Map<string, PodSnapshot>> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(podQuery(namespace, this.podLabel))}`;
    const out = new Map<string, PodSnapshot>();
    for (const [pod, samples] of samplesByPod(await this.http.get(url), this.podLabel)) {
      try {
        out.set(pod, snapshotFromSamples(samples));
      } catch {
        // a pod with partial series: absent → counted as missing by the loop
      }
    }
    return out;
  }
}
