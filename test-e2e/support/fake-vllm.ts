/**
 * vLLM /metrics for fake pods: one HTTP server per pod on the host's address and a port of its own (the pod's
 * kserve-llmd.io/vllm-port), the page rendered by the unit tests' fake (test/autoscaler/support/fake-vllm.ts)
 * from a state shared by every pod of a role, counters advancing in real time. A pod can be broken on its own
 * (answers an HTML error page: a failed scrape) to drive fail-static.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderVllm, type VllmState } from '../../test/autoscaler/support/fake-vllm.js';

export type { VllmState };

export const idle = (): VllmState => ({
  waiting: 0,
  running: 0,
  kv: 0.05,
  promptRate: 0,
  genRate: 0,
  reqRate: 0,
  meanPrompt: 1000,
  mode: 'ok',
});

export class PodMetrics {
  broken = false;
  port = 0;
  private server!: Server;
  private readonly counters = { prompt: 0, gen: 0, req: 0 };
  private last = Date.now();

  /** `state` is read on every scrape (shared by reference among a role's pods). */
  constructor(
    private readonly host: string,
    readonly state: () => VllmState,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((_req, res) => {
      const s = this.state();
      const now = Date.now();
      const dt = (now - this.last) / 1000;
      this.last = now;
      this.counters.prompt += s.promptRate * dt;
      this.counters.gen += s.genRate * dt;
      this.counters.req += s.reqRate * dt;
      if (this.broken) {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><h1>502 Bad Gateway</h1></html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderVllm(s, this.counters));
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, this.host, r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A page of fixed text on 127.0.0.1 (the Knative activator's metrics), changed by the test. */
export class TextPage {
  text = '';
  url = '';
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(this.text));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/metrics`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A CloudEvents sink on 127.0.0.1: every event received (binary mode: ce-* headers and the JSON data). */
export class EventSink {
  readonly events: Array<{ type: string; source: string; subject: string; data: any; at: number }> = [];
  url = '';
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const h = req.headers;
        let data: unknown = null;
        try {
          data = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
        } catch {
          data = Buffer.concat(chunks).toString('utf8');
        }
        this.events.push({
          type: String(h['ce-type'] ?? ''),
          source: String(h['ce-source'] ?? ''),
          subject: String(h['ce-subject'] ?? ''),
          data,
          at: Date.now(),
        });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
