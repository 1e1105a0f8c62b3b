/**
 * The autoscaler's own Prometheus metrics (knative's autoscaler exports desired/actual pods and the observed
 * signals; style.md §4.5). One registry per process, passed in.
 * (Named own-metrics so it is not mistaken for metrics/, which parses the vLLM pages we scrape.)
 */
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';

export interface AutoscalerMetrics {
  desired: Gauge<'namespace' | 'name' | 'role'>;
  actual: Gauge<'namespace' | 'name' | 'role'>;
  signal: Gauge<'namespace' | 'name' | 'role' | 'signal'>;
  decisions: Counter<'role' | 'reason' | 'clamp'>;
  scrapeErrors: Counter<'source' | 'kind'>;
  scrapes: Counter<'source'>;
  actuationErrors: Counter<'namespace' | 'name'>;
  failStatic: Gauge<'namespace' | 'name' | 'role'>;
  tick: Histogram<'phase'>;
}

export function autoscalerMetrics(registry: Registry): AutoscalerMetrics {
  const registers = [registry];
  const pa = ['namespace', 'name', 'role'] as const;
  return {
    desired: new Gauge({
      name: 'kserve_llmd_autoscaler_desired_replicas',
      help: 'Replicas the decider wants, per scale target and role.',
      labelNames: pa,
      registers,
    }),
    actual: new Gauge({
      name: 'kserve_llmd_autoscaler_actual_replicas',
      help: 'Ready replicas observed, per scale target and role.',
      labelNames: pa,
      registers,
    }),
    signal: new Gauge({
      name: 'kserve_llmd_autoscaler_signal',
      help: 'Signals behind the last decision (stable window unless the name says panic).',
      labelNames: [...pa, 'signal'] as const,
      registers,
    }),
    decisions: new Counter({
      name: 'kserve_llmd_autoscaler_decisions_total',
      help:
        'Decisions by role, the rule that decided, and the bound that changed its count ' +
        '(clamp: none|min-scale|max-scale|rate-limited).',
      labelNames: ['role', 'reason', 'clamp'] as const,
      registers,
    }),
    scrapeErrors: new Counter({
      name: 'kserve_llmd_autoscaler_scrape_errors_total',
      help:
        'Failed scrapes by source (vllm|epp|activator|prometheus) ' +
        'and kind (timeout|connect|http|too-large|parse|not-vllm).',
      labelNames: ['source', 'kind'] as const,
      registers,
    }),
    scrapes: new Counter({
      name: 'kserve_llmd_autoscaler_scrapes_total',
      help: 'Scrapes attempted by source.',
      labelNames: ['source'] as const,
      registers,
    }),
    actuationErrors: new Counter({
      name: 'kserve_llmd_autoscaler_actuation_errors_total',
      help: 'Failed writes (scale, SKS, PA status) per scale target.',
      labelNames: ['namespace', 'name'] as const,
      registers,
    }),
    failStatic: new Gauge({
      name: 'kserve_llmd_autoscaler_fail_static',
      help: "1 while a target fails static: a Ready pod's metrics are missing or stale (no scale-down).",
      labelNames: pa,
      registers,
    }),
    tick: new Histogram({
      name: 'kserve_llmd_autoscaler_tick_seconds',
      help: 'Tick latency by phase (scrape|decide|actuate|total).',
      labelNames: ['phase'] as const,
      buckets: exponentialBuckets(0.001, 2, 14),
      registers,
    }),
  };
}
