/**
 * Requests the Knative activator buffers for a revision at zero (kserve-knative.md §4): the activator exports
 * per-revision OTel metrics `kn.revision.request.queued` / `.concurrency`, which the Prometheus exporter
 * names `kn_revision_request_queued` etc. with attributes as labels (`kn_revision_name`,
 * `k8s_namespace_name`). Older (OpenCensus) activators export `activator_request_concurrency` with
 * `revision_name`/`namespace_name`. The activator's wake-up poke only reaches the KPA, so a custom class reads
 * these to wake a revision at zero.
 */
import { parsePrometheusText } from '../metrics/prom-text.js';

const QUEUED = ['kn_revision_request_queued', 'kn_revision_request_concurrency', 'activator_request_concurrency'];
const WANTED = new Set<string>(QUEUED);

/** Queued (or in-flight) requests per `namespace/revision` across one activator page. */
export function activatorDemand(text: string): Map<string, number> {
  const families = QUEUED.map(() => new Map<string, number>());
  for (const s of parsePrometheusText(text, (n) => WANTED.has(n))) {
    const ns = s.labels.k8s_namespace_name ?? s.labels.namespace_name ?? s.labels.namespace;
    const rev = s.labels.kn_revision_name ?? s.labels.revision_name ?? s.labels.revision;
    if (!ns || !rev || !Number.isFinite(s.value)) continue;
    const fam = families[QUEUED.indexOf(s.name)] as Map<string, number>;
    fam.set(`${ns}/${rev}`, (fam.get(`${ns}/${rev}`) ?? 0) + s.value);
  }
  // Per revision, the first family present wins (queued over concurrency over the legacy name).
  const out = new Map<string, number>();
  for (const fam of families) for (const [k, v] of fam) if (!out.has(k)) out.set(k, v);
  return out;
}

/** Sum the pages of every activator replica (each buffers its own share). */
export function mergeDemand(pages: Map<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pages) for (const [k, v] of p) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}
