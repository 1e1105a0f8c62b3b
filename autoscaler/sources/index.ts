/**
 * Demand seen outside the pods, per target: the EPP flow-control queue of the target's pool and the Knative
 * activator's queue for the target's revision. These are what wake a role at zero (no pods to scrape).
 * Failures are counted and read as "no news" (zero): they can delay a wake, never cause a scale-down, because
 * the decider only scales down on pod metrics.
 */
import { eppServiceName } from '../../core/names.js';
import type { HttpText } from '../collector/http.js';
import type { AutoscalerMetrics } from '../own-metrics.js';
import type { ScaleTarget } from '../targets.js';
import { activatorDemand, mergeDemand } from './activator.js';
import { eppDemand, type EppDemand } from './epp.js';

export interface Demand {
  queuedRequests: number;
  queuedPromptTokens: number;
}

export interface DemandSources {
  collect(targets: ScaleTarget[]): Promise<Map<string, Demand>>;
}

export interface DemandOptions {
  http: HttpText;
  /** A template like core/names.ts EPP_METRICS_URL_TEMPLATE (`{service}`, `{pool}`, `{namespace}`); empty = off. */
  eppMetricsUrl: string;
  activatorMetricsUrls: string[];
  metrics?: AutoscalerMetrics;
}

/**
 * The EPP metrics URL of a target's pool. `{service}` is the EPP Service the routing controller creates
 * (core/names.ts eppServiceName: `<pool>-epp`, shortened with a hash past 63 characters), so
 * EPP_METRICS_URL_TEMPLATE reaches it for every pool name; `{pool}` and `{namespace}` are the raw values.
 */
export function eppUrl(template: string, t: Pick<ScaleTarget, 'pool' | 'namespace'>): string {
  return template
    .replaceAll('{service}', encodeURIComponent(eppServiceName(t.pool)))
    .replaceAll('{pool}', encodeURIComponent(t.pool))
    .replaceAll('{namespace}', encodeURIComponent(t.namespace));
}

export function createDemandSources(o: DemandOptions): DemandSources {
  const fetch = async <T>(source: string, url: string, parse: (text: string) => T): Promise<T | undefined> => {
    o.metrics?.scrapes.inc({ source });
    try {
      return parse(await o.http.get(url));
    } catch (err) {
      o.metrics?.scrapeErrors.inc({ source, kind: (err as { kind?: string }).kind ?? 'parse' });
      return undefined;
    }
  };
  return {
    async collect(targets) {
      const pools = new Map<string, string>();
      if (o.eppMetricsUrl) for (const t of targets) pools.set(t.poolKey, eppUrl(o.eppMetricsUrl, t));
      const [eppPages, activatorPages] = await Promise.all([
        o.http.map([...pools], async ([key, url]) => [key, await fetch('epp', url, eppDemand)] as const),
        o.http.map(o.activatorMetricsUrls, (url) => fetch('activator', url, activatorDemand)),
      ]);
      const epp = new Map<string, EppDemand | undefined>(eppPages);
      const activator = mergeDemand(activatorPages.filter((p): p is Map<string, number> => p !== undefined));
      const out = new Map<string, Demand>();
      for (const t of targets) {
        const e = epp.get(t.poolKey);
        out.set(t.key, {
          queuedRequests: (e?.queuedRequests ?? 0) + (activator.get(`${t.namespace}/${t.name}`) ?? 0),
          queuedPromptTokens: e?.queuedPromptTokens ?? 0,
        });
      }
      return out;
    },
  };
}
