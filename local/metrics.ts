/**
 * The gateway's /metrics (prom-client, one registry per process, src/metrics.ts): requests by code, buffering,
 * replicas per role and state, decisions by reason (the cluster autoscaler's `decisions_total{reason}`), engine
 * restarts and P/D handoffs.
 */
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';

export interface LocalMetrics {
  requests: Counter<'route' | 'code'>;
  latency: Histogram<'route'>;
  queued: Gauge;
  replicas: Gauge<'role' | 'state'>;
  desired: Gauge<'role'>;
  decisions: Counter<'role' | 'reason' | 'clamp'>;
  restarts: Counter<'role'>;
  remotePrefills: Counter<'result'>;
}

export function localMetrics(registry: Registry): LocalMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'kserve_llmd_local_requests_total',
      help: 'Gateway requests by route and HTTP status code.',
      labelNames: ['route', 'code'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'kserve_llmd_local_request_duration_seconds',
      help: 'Gateway request time, buffering at zero included, to the last byte.',
      labelNames: ['route'] as const,
      buckets: exponentialBuckets(0.005, 2, 14),
      registers,
    }),
    queued: new Gauge({
      name: 'kserve_llmd_local_queued_requests',
      help: 'Requests buffered while no decode replica is ready.',
      registers,
    }),
    replicas: new Gauge({
      name: 'kserve_llmd_local_replicas',
      help: 'Engine replicas by role and state (starting, ready, draining).',
      labelNames: ['role', 'state'] as const,
      registers,
    }),
    desired: new Gauge({
      name: 'kserve_llmd_local_desired_replicas',
      help: 'Replicas the decider asked for, by role.',
      labelNames: ['role'] as const,
      registers,
    }),
    decisions: new Counter({
      name: 'kserve_llmd_local_decisions_total',
      help:
        'Decider decisions by role, reason and the bound that ' +
        'changed the count (clamp: ' +
        'none|min-scale|max-scale|rate-limited).',
      labelNames: ['role', 'reason', 'clamp'] as const,
      registers,
    }),
    restarts: new Counter({
      name: 'kserve_llmd_local_engine_restarts_total',
      help: 'Engines that died unasked (crash or failed start) and were replaced.',
      labelNames: ['role'] as const,
      registers,
    }),
    remotePrefills: new Counter({
      name: 'kserve_llmd_local_remote_prefills_total',
      help: 'P/D handoffs by result (ok, fallback: decode prefilled locally).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}
