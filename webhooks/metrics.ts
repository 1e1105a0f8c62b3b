/**
 * The admission webhooks' Prometheus metrics, on the process's one Registry (src/metrics.ts createRegistry).
 *
 * Names follow controller-runtime's webhook metrics (pkg/webhook/internal/metrics/metrics.go:
 * controller_runtime_webhook_latency_seconds{webhook}, _requests_total{webhook,code},
 * _requests_in_flight{webhook}), with our prefix and a `result` label so patched/denied are visible.
 */
import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';

export type AdmissionResult = 'allowed' | 'patched' | 'denied' | 'error';
export type ReloadResult = 'success' | 'failure';

export interface WebhookMetrics {
  requests: Counter<'webhook' | 'code' | 'result'>;
  latency: Histogram<'webhook'>;
  inFlight: Gauge<'webhook'>;
  denials: Counter<'webhook' | 'reason'>;
  certificateReloads: Counter<'result'>;
  bufferedBytes: Gauge;
}

export function webhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'kserve_llmd_webhook_requests_total',
      help: 'Admission requests by webhook path, HTTP status code and result (allowed|patched|denied|error).',
      labelNames: ['webhook', 'code', 'result'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'kserve_llmd_webhook_latency_seconds',
      help: 'Time to answer an admission request, from body parsed to response written.',
      labelNames: ['webhook'] as const,
      // 0.5 ms … ~1 s: the decision cores are synchronous and should answer well under 5 ms.
      buckets: exponentialBuckets(0.0005, 2, 12),
      registers,
    }),
    inFlight: new Gauge({
      name: 'kserve_llmd_webhook_requests_in_flight',
      help: 'Admission requests currently being handled.',
      labelNames: ['webhook'] as const,
      registers,
    }),
    denials: new Counter({
      name: 'kserve_llmd_webhook_denials_total',
      help: 'Denied admission requests by webhook and reason (the response status.reason).',
      labelNames: ['webhook', 'reason'] as const,
      registers,
    }),
    certificateReloads: new Counter({
      name: 'kserve_llmd_webhook_certificate_reloads_total',
      help: 'Serving certificate (re)loads from the certificate directory, by result.',
      labelNames: ['result'] as const,
      registers,
    }),
    bufferedBytes: new Gauge({
      name: 'kserve_llmd_webhook_buffered_body_bytes',
      help: 'Request body bytes reserved by admission uploads in progress (bounded; over the bound: HTTP 429).',
      registers,
    }),
  };
}

export interface PodWebhookMetrics {
  mutationErrors: Counter;
  nativeSidecars: Gauge;
}

/** The pod webhook's own metrics (webhooks/pod/handler.ts, webhooks/pod/native-sidecars.ts). */
export function podWebhookMetrics(registry: Registry): PodWebhookMetrics {
  const registers = [registry];
  return {
    mutationErrors: new Counter({
      name: 'kserve_llmd_webhook_pod_mutation_errors_total',
      help: 'Pods the pod webhook failed to mutate (a bug): each was admitted unchanged, with a warning.',
      registers,
    }),
    nativeSidecars: new Gauge({
      name: 'kserve_llmd_webhook_native_sidecars',
      help: 'Whether decode pods get the routing sidecar as a native sidecar (1) or a regular container (0).',
      registers,
    }),
  };
}
