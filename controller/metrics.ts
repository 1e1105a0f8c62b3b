/**
 * Controller metrics, named after controller-runtime's (controller_runtime_reconcile_total{result},
 * _reconcile_time_seconds, workqueue_depth) with our prefix.
 */
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';

export interface ControllerMetrics {
  reconciles: Counter<'result'>;
  duration: Histogram<'result'>;
  queueDepth: Gauge;
  conflicts: Gauge;
  writes: Counter<'kind' | 'op'>;
  leader: Gauge;
}

export function controllerMetrics(registry: Registry, queueDepth: () => number): ControllerMetrics {
  const registers = [registry];
  return {
    reconciles: new Counter({
      name: 'kserve_llmd_controller_reconciles_total',
      help: 'Reconciles by result (success|error|requeue).',
      labelNames: ['result'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'kserve_llmd_controller_reconcile_duration_seconds',
      help: 'Time per reconcile, including its API calls.',
      labelNames: ['result'] as const,
      buckets: exponentialBuckets(0.0005, 2, 14),
      registers,
    }),
    queueDepth: new Gauge({
      name: 'kserve_llmd_controller_queue_depth',
      help: 'InferenceServices waiting in the work queue.',
      registers,
      collect() {
        this.set(queueDepth());
      },
    }),
    conflicts: new Gauge({
      name: 'kserve_llmd_controller_conflicts',
      help: 'InferenceServices whose objects are blocked by an object kserve-llmd does not own.',
      registers,
    }),
    writes: new Counter({
      name: 'kserve_llmd_controller_writes_total',
      help: 'Objects written, by kind and operation (create|update|delete).',
      labelNames: ['kind', 'op'] as const,
      registers,
    }),
    leader: new Gauge({
      name: 'kserve_llmd_controller_leader',
      help: '1 while this replica holds the leader Lease.',
      registers,
    }),
  };
}
