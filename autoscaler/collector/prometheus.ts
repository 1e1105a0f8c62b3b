/**
 * A pod collector backed by the Prometheus HTTP API instead of direct scrapes (config `prometheusUrl`), for
 * clusters where only Prometheus may reach the pods. One instant query per namespace per tick
 * (sources/prometheus-api.ts); each pod's series go through the same vLLM extraction as a direct scrape, so
 * the windows and the decider see the same observations. A pod Prometheus has no series for is a failed
 * scrape (`not-vllm`): the decider fails static on it, exactly as with a direct scrape that fails.
 * Freshness follows Prometheus's own scrape interval (typically 15–30 s), slower than direct scrapes.
 */
import type { PodSnapshot } from '../metrics/vllm-signals.js';
import { PrometheusApiSource } from '../sources/prometheus-api.js';
import { FetchError, type HttpText } from './http.js';
import type { PodCollector, ScrapeResult, ScrapeTarget } from './index.js';

/** `namespace/pod/uid` → its namespace and pod name (the key ScrapeTarget documents). */
function parseKey(key: string): { namespace: string; pod: string } {
  const [namespace = '', pod = ''] = key.split('/');
  return { namespace, pod };
}

export class PrometheusCollector implements PodCollector {
  private readonly source: PrometheusApiSource;
  private last = new Map<string, { atMs: number; snap: PodSnapshot }>();

  constructor(
    baseUrl: string,
    readonly http: HttpText,
    private readonly now: () => number = Date.now,
    podLabel = 'pod',
  ) {
    this.source = new PrometheusApiSource(baseUrl, http, podLabel);
  }

  async scrape(targets: readonly ScrapeTarget[]): Promise<ScrapeResult[]> {
    const namespaces = [...new Set(targets.map((t) => parseKey(t.key).namespace))];
    const pages = new Map<string, Map<string, PodSnapshot> | Error>();
    await Promise.all(
      namespaces.map(async (ns) => {
        try {
          pages.set(ns, await this.source.snapshots(ns));
        } catch (err) {
          pages.set(ns, err as Error);
        }
      }),
    );
    const atMs = this.now();
    const live = new Set(targets.map((t) => t.key));
    for (const k of this.last.keys()) if (!live.has(k)) this.last.delete(k);
    return targets.map((t) => this.result(t, pages.get(parseKey(t.key).namespace), atMs));
  }

  private result(t: ScrapeTarget, page: Map<string, PodSnapshot> | Error | undefined, atMs: number): ScrapeResult {
    if (page === undefined || page instanceof Error) {
      const kind = page instanceof FetchError ? page.kind : 'parse';
      return { key: t.key, ok: false, error: kind, message: `prometheus: ${page?.message ?? 'no answer'}` };
    }
    const snap = page.get(parseKey(t.key).pod);
    if (!snap)
      return { key: t.key, ok: false, error: 'not-vllm', message: `prometheus has no vLLM series for pod ${t.key}` };
    const prev = this.last.get(t.key);
    // Prometheus answers the same sample until its next scrape; a repeated sample is not a new observation.
    if (prev && JSON.stringify(prev.snap) === JSON.stringify(snap))
      return { key: t.key, ok: true, observation: { atMs: prev.atMs, snap } };
    this.last.set(t.key, { atMs, snap });
    return { key: t.key, ok: true, observation: prev ? { atMs, snap, prev } : { atMs, snap } };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
