/**
 * A loopback vLLM /metrics endpoint whose values the test drives. Counters advance by the rates set, per
 * scrape, from the time the test passes in (so virtual-time tests stay deterministic). Modes: ok, garbage
 * (an HTML error page), hang (never answers: the collector's timeout must fire), not-vllm.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VllmState {
  waiting: number;
  running: number;
  kv: number;
  /** Tokens/s and requests/s the counters advance at. */
  promptRate: number;
  genRate: number;
  reqRate: number;
  /** Mean prompt length (request_prompt_tokens histogram sum/count). */
  meanPrompt: number;
  mode: 'ok' | 'garbage' | 'hang' | 'not-vllm';
}

const MODEL = 'engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"';

export function renderVllm(s: VllmState, c: { prompt: number; gen: number; req: number }): string {
  const n = Math.floor(c.req);
  return [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{${MODEL}} ${s.running}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${MODEL}} ${s.waiting}`,
    '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc{${MODEL}} ${s.kv}`,
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total{${MODEL}} ${Math.floor(c.prompt)}`,
    '# TYPE vllm:generation_tokens_total counter',
    `vllm:generation_tokens_total{${MODEL}} ${Math.floor(c.gen)}`,
    '# TYPE vllm:request_success_total counter',
    `vllm:request_success_total{${MODEL},finished_reason="stop"} ${n}`,
    '# TYPE vllm:request_prompt_tokens histogram',
    `vllm:request_prompt_tokens_bucket{${MODEL},le="+Inf"} ${n}`,
    `vllm:request_prompt_tokens_count{${MODEL}} ${n}`,
    `vllm:request_prompt_tokens_sum{${MODEL}} ${n * s.meanPrompt}`,
    '# TYPE vllm:cache_config_info gauge',
    'vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",engine="0",' +
      'gpu_memory_utilization="0.9",num_gpu_blocks="27454"} 1.0',
    '',
  ].join('\n');
}

export class FakeVllm {
  state: VllmState = {
    waiting: 0,
    running: 0,
    kv: 0,
    promptRate: 0,
    genRate: 0,
    reqRate: 0,
    meanPrompt: 1000,
    mode: 'ok',
  };
  scrapes = 0;
  private counters = { prompt: 0, gen: 0, req: 0 };
  private lastMs?: number;
  private readonly hung = new Set<ServerResponse>();
  private server!: Server;
  port = 0;

  /** `clock` gives the (virtual) time used to advance counters. */
  constructor(private readonly clock: () => number) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  set(patch: Partial<VllmState>): void {
    this.state = { ...this.state, ...patch };
  }

  private handle(res: ServerResponse): void {
    this.scrapes++;
    const now = this.clock();
    if (this.lastMs !== undefined) {
      const dt = Math.max(0, now - this.lastMs) / 1000;
      this.counters.prompt += this.state.promptRate * dt;
      this.counters.gen += this.state.genRate * dt;
      this.counters.req += this.state.reqRate * dt;
    }
    this.lastMs = now;
    switch (this.state.mode) {
      case 'hang':
        this.hung.add(res);
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'not-vllm':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('process_cpu_seconds_total 1\n');
        return;
      default:
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderVllm(this.state, this.counters));
    }
  }

  async close(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A loopback page with fixed text (EPP, activator) the test can change. */
export class FakePage {
  text = '';
  private server!: Server;
  url = '';

  async start(path = '/metrics'): Promise<this> {
    this.server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(this.text));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
