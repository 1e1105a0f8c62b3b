/**
 * Demand held by an endpoint picker (llm-d.md §5, §7): EPP flow control buffers requests in memory while a
 * pool has no endpoints; its queue is the scale-from-zero signal llm-d's own KEDA guide and WVA use. Metric
 * names: `llm_d_epp_*`, with the older `inference_extension_*` names still dual-emitted (llm-d.md §0).
 * Queued prompt tokens come from the queue's bytes at 4 bytes/token (the EPP's own `estimate` tokenizer and
 * WVA v2 use the same conversion, llm-d.md §2, §7).
 */
import { parsePrometheusText, type Sample } from '../metrics/prom-text.js';

export const EPP_METRICS = {
  queueSize: ['llm_d_epp_flow_control_queue_size', 'inference_extension_flow_control_queue_size'],
  queueBytes: ['llm_d_epp_flow_control_queue_bytes', 'inference_extension_flow_control_queue_bytes'],
  running: ['llm_d_epp_request_running', 'inference_objective_running_requests'],
} as const;

export const BYTES_PER_TOKEN = 4;

export interface EppDemand {
  queuedRequests: number;
  queuedPromptTokens: number;
  runningRequests: number;
}

const WANTED = new Set<string>(Object.values(EPP_METRICS).flat());

/** Sum the first name of each family that is present (new name preferred; never both, they are duplicates). */
function total(samples: Sample[], names: readonly string[]): number {
  for (const n of names) {
    const hits = samples.filter((s) => s.name === n && Number.isFinite(s.value));
    if (hits.length > 0) return hits.reduce((a, s) => a + s.value, 0);
  }
  return 0;
}

/** One EPP serves one pool (llm-d.md §1), so every series on its page is that pool's. */
export function eppDemand(text: string): EppDemand {
  const samples = parsePrometheusText(text, (n) => WANTED.has(n));
  return {
    queuedRequests: total(samples, EPP_METRICS.queueSize),
    queuedPromptTokens: total(samples, EPP_METRICS.queueBytes) / BYTES_PER_TOKEN,
    runningRequests: total(samples, EPP_METRICS.running),
  };
}
