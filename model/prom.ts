/**
 * An engine's state as vLLM's /metrics text (Prometheus exposition format, vLLM V1 metric names), so
 * the autoscaler's real scrape parser and signal extraction read a simulated engine exactly as they read
 * a real one. Labels follow vLLM: model_name and engine.
 */
import type { Engine } from './engine.js';
import type { Histogram } from './histogram.js';

function fmt(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

function histogramLines(name: string, help: string, h: Histogram, labels: string): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  const cum = h.cumulative();
  h.bounds.forEach((b, i) => lines.push(`${name}_bucket{${labels},le="${fmt(b)}"} ${fmt(cum[i] as number)}`));
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${fmt(h.count)}`);
  lines.push(`${name}_count{${labels}} ${fmt(h.count)}`, `${name}_sum{${labels}} ${fmt(h.sum)}`);
  return lines;
}

function scalar(name: string, type: 'gauge' | 'counter', help: string, labels: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}{${labels}} ${fmt(value)}`];
}

export function renderVllmMetrics(e: Engine): string {
  const L = `engine="0",model_name="${e.preset.model}"`;
  const c = e.counters;
  const p = e.preset;
  const lines = [
    '# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig',
    '# TYPE vllm:cache_config_info gauge',
    `vllm:cache_config_info{block_size="` +
      `${p.blockSize}",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_gpu_blocks="` +
      `${e.kv.totalBlocks}"} 1.0`,
    ...scalar(
      'vllm:num_requests_running',
      'gauge',
      'Number of requests in model execution batches.',
      L,
      e.running.length,
    ),
    ...scalar('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', L, e.waiting.length),
    ...scalar('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', L, e.kv.usage()),
    ...scalar(
      'vllm:prefix_cache_queries_total',
      'counter',
      'Prefix cache queries, in terms of number of queried tokens.',
      L,
      e.kv.queries,
    ),
    ...scalar(
      'vllm:prefix_cache_hits_total',
      'counter',
      'Prefix cache hits, in terms of number of cached tokens.',
      L,
      e.kv.hits,
    ),
    ...scalar(
      'vllm:num_preemptions_total',
      'counter',
      'Cumulative number of preemption from the engine.',
      L,
      c.preemptions,
    ),
    ...scalar('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', L, c.promptTokens),
    ...scalar(
      'vllm:generation_tokens_total',
      'counter',
      'Number of generation tokens processed.',
      L,
      c.generationTokens,
    ),
    ...scalar(
      'vllm:request_success_total',
      'counter',
      'Count of successfully processed requests.',
      `${L},finished_reason="length"`,
      c.requestSuccess,
    ),
    ...histogramLines('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', e.ttft, L),
    ...histogramLines('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', e.itl, L),
    ...histogramLines('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', e.promptLength, L),
    ...histogramLines('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', e.e2e, L),
  ];
  return `${lines.join('\n')}\n`;
}
