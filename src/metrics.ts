/**
 * Prometheus registries. One Registry per process (created here, passed in everywhere) so tests stay
 * isolated: prom-client throws on a duplicate name in one registry. Each component defines its own metrics
 * on it (webhooks/metrics.ts, controller/metrics.ts, autoscaler's, local's).
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

/** A fresh registry with Node's default process metrics (heap, event loop lag, fds) on it. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
