/**
 * The collector: scrape each ready pod's vLLM /metrics and keep each pod's previous snapshot (for counter
 * rates and histogram deltas). Failures are results, not exceptions: the loop reports them and the decider
 * fails static on the PA whose pod failed.
 */
import { ExpositionError } from '../metrics/prom-text.js';
import { MissingMetricError, type PodSnapshot } from '../metrics/vllm-signals.js';
import { VllmPageParser } from '../metrics/vllm-stream.js';
import type { PodObservation } from '../windows/tick.js';
import { FetchError, HttpText, type HttpTextOptions } from './http.js';

export interface ScrapeTarget {
  /** Stable identity across ticks: namespace/pod/uid (a new pod with the same name starts fresh). */
  key: string;
  url: string;
}

export type ScrapeErrorKind = 'timeout' | 'connect' | 'http' | 'too-large' | 'parse' | 'not-vllm';

/** What the loop needs from a pod collector: direct scrapes (Collector) or Prometheus (PrometheusCollector). */
export interface PodCollector {
  readonly http: HttpText;
  scrape(targets: readonly ScrapeTarget[]): Promise<ScrapeResult[]>;
  close(): Promise<void>;
}

export type ScrapeResult =
  | { key: string; ok: true; observation: PodObservation }
  | { key: string; ok: false; error: ScrapeErrorKind; message: string };

export class Collector implements PodCollector {
  readonly http: HttpText;
  private last = new Map<string, { atMs: number; snap: PodSnapshot }>();

  constructor(
    opts: HttpTextOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.http = new HttpText(opts);
  }

  async scrape(targets: readonly ScrapeTarget[]): Promise<ScrapeResult[]> {
    const results = await this.http.map(targets, (t) => this.one(t));
    // Forget pods that are gone, so memory tracks the live fleet.
    const live = new Set(targets.map((t) => t.key));
    for (const k of this.last.keys()) if (!live.has(k)) this.last.delete(k);
    return results;
  }

  private async one(t: ScrapeTarget): Promise<ScrapeResult> {
    let snap: PodSnapshot;
    try {
      // Parsed as it arrives (vllm-stream.ts): no page string, no per-line objects.
      snap = await this.http.stream(t.url, new VllmPageParser());
    } catch (err) {
      const kind: ScrapeErrorKind =
        err instanceof FetchError
          ? err.kind
          : err instanceof MissingMetricError
            ? 'not-vllm'
            : err instanceof ExpositionError
              ? 'parse'
              : 'connect';
      const message = err instanceof FetchError ? err.message : `${t.url}: ${(err as Error).message}`;
      return { key: t.key, ok: false, error: kind, message };
    }
    const atMs = this.now();
    const prev = this.last.get(t.key);
    this.last.set(t.key, { atMs, snap });
    return { key: t.key, ok: true, observation: prev ? { atMs, snap, prev } : { atMs, snap } };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
