/**
 * Issue 14, item 7: the local stack under clients that misbehave and on shutdown. Real loopback servers: the
 * gateway, and either a fake engine that streams until backpressure stops it (urls mode, no processes) or the
 * bundled engines as child processes.
 */
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createLogger } from '../../src/log.js';
import { retryAfterSeconds } from '../../local/retry-after.js';
import { startLocal, type LocalHandle } from '../../local/run.js';
import { eventually } from '../support/eventually.js';
import { alive, fastConfig, postJson, service } from '../local/support.js';

const logger = createLogger({ level: 'error' });

/** An engine that streams SSE chunks as fast as it may, and says when backpressure has stopped it. */
class FloodEngine {
  readonly server: Server;
  blocked = false;
  private streams = new Set<ServerResponse>();

  constructor() {
    this.server = createHttpServer((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('');
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        this.streams.add(res);
        res.on('close', () => this.streams.delete(res));
        const chunk = `data: ${JSON.stringify({ choices: [{ text: 'x'.repeat(1000) }] })}\n\n`;
        const pump = (): void => {
          while (!res.destroyed) {
            if (!res.write(chunk)) {
              this.blocked = true;
              res.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A raw client: sends `body` to `path` and returns the socket (the test decides whether it reads). */
function rawPost(port: number, path: string, body: string, headers = ''): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('local stack with a flooding engine (urls mode)', () => {
  let engine: FloodEngine;
  let h: LocalHandle;

  beforeAll(async () => {
    engine = new FloodEngine();
    const url = await engine.listen();
    const cfg = fastConfig({
      engine: { mode: 'urls', urls: { decode: [url], prefill: [] } },
    });
    h = await startLocal(cfg, service({ 'kserve-llmd.io/decode-replicas': '1-1' }, cfg), logger);
    await eventually('the decode replica to be ready', () => h.supervisor.ready('decode').length === 1);
  });

  afterAll(async () => {
    await h?.stop();
    await engine?.close();
  }, 30_000);

  it('a streaming client that stops reading and then disconnects does not leave the replica in flight', async () => {
    const replica = h.supervisor.ready('decode')[0]!;
    const socket = await rawPost(
      h.port,
      '/v1/completions',
      JSON.stringify({ model: 'tiny', prompt: 'flood', max_tokens: 1_000_000, stream: true }),
    );
    socket.once('data', () => socket.pause()); // read the first bytes, then stop reading
    await eventually('backpressure to reach the engine', () => engine.blocked && replica.inflight === 1);
    socket.destroy();
    // Before the fix the forward waited for 'drain' forever and inflight stayed 1.
    await eventually('the replica to have nothing in flight', () => replica.inflight === 0);
    await eventually('the gateway to have nothing in flight', () => h.gateway.inFlight === 0);
  });

  it('/metrics has kserve_llmd_local_replicas without the terminal view (--view plain)', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/^kserve_llmd_local_replicas\{role="decode",state="ready"\} 1$/m);
    expect(text).toMatch(/^kserve_llmd_local_replicas\{role="decode",state="starting"\} 0$/m);
    expect(text).toMatch(/^kserve_llmd_local_queued_requests 0$/m);
  });
});

/** Headers and the first bytes of a body that never arrives in full. */
function slowPost(port: number): Promise<{ socket: Socket; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n');
      socket.write('Content-Length: 1000\r\n\r\n{"prompt":"');
      const answer = new Promise<string>((done) => {
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('close', () => done(text));
      });
      resolve({ socket, answer });
    });
    socket.on('error', (err) => reject(err));
  });
}

describe('local stack under a slow-body flood (urls mode)', () => {
  let engine: FloodEngine;
  let h: LocalHandle;

  beforeAll(async () => {
    engine = new FloodEngine();
    const url = await engine.listen();
    const cfg = fastConfig({
      engine: { mode: 'urls', urls: { decode: [url], prefill: [] } },
      gateway: { maxConnections: 4, headersTimeoutMs: 300, bodyTimeoutMs: 500 },
    });
    h = await startLocal(cfg, service({ 'kserve-llmd.io/decode-replicas': '1-1' }, cfg), logger);
  });

  afterAll(async () => {
    await h?.stop();
    await engine?.close();
  }, 30_000);

  /**
   * Real time: the 408s come from Node's request timeout (500 ms here, checked every second); the test waits
   * for them without asserting how long they took.
   */
  it('caps connections, cuts slow bodies at bodyTimeoutMs, and then serves again', async () => {
    const slow = await Promise.all(Array.from({ length: 4 }, () => slowPost(h.port)));
    await eventually('the gateway to hold four requests', () => h.gateway.inFlight === 4);
    // A fifth connection is dropped at once: the flood cannot take every file descriptor.
    const fifth = connect(h.port, '127.0.0.1');
    const fifthAnswer = await new Promise<string>((resolve) => {
      let text = '';
      fifth.on('data', (d: Buffer) => (text += d.toString()));
      fifth.on('close', () => resolve(text));
      fifth.on('error', () => undefined);
    });
    expect(fifthAnswer).toBe('');
    for (const answer of await Promise.all(slow.map((x) => x.answer))) expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
  });
});

describe('local stack shutdown with bundled engines', () => {
  it('SIGTERM (stop) mid-request: the request is answered in full before the engines stop', async () => {
    const cfg = fastConfig({ engine: { coldStartMs: 100, drainMs: 30_000 } });
    const h = await startLocal(cfg, service({ 'kserve-llmd.io/decode-replicas': '1-1' }, cfg), logger);
    try {
      const replica = (await eventually('a ready decode replica', () => h.supervisor.ready('decode')[0]))!;
      const pid = replica.proc?.pid;
      // About 300 decode steps of the bundled llama3-8b model: long enough to be in flight when stop() runs.
      const pending = postJson(`${h.url}/v1/completions`, { prompt: 'a long answer', max_tokens: 300 });
      await eventually('the request to be in flight', () => replica.inflight === 1);
      const stopping = h.stop();
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.json.usage.completion_tokens).toBe(300);
      // Nothing new is accepted while it drains.
      await expect(fetch(`${h.url}/health`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
      await stopping;
      expect(alive(pid)).toBe(false);
    } finally {
      await h.stop();
    }
  }, 60_000);
});

describe('Retry-After while decode is at zero', () => {
  it('a full queue answers 429 with the time until a replica is expected, not the 20 s queue timeout', async () => {
    // An engine that never becomes ready: the request that woke decode stays queued.
    const engine = createHttpServer((_req, res) => void res.writeHead(503).end());
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(engine.address() as { port: number }).port}`;
    const cfg = fastConfig({
      engine: { mode: 'urls', urls: { decode: [url], prefill: [] } },
      queue: { capacity: 1, timeoutMs: 20_000 },
    });
    const h = await startLocal(cfg, service({ 'kserve-llmd.io/decode-replicas': '0-1' }, cfg), logger);
    try {
      const first = postJson(`${h.url}/v1/completions`, { prompt: 'wake', max_tokens: 1 });
      await eventually('the first request to be queued', () => h.queue.stats().queued === 1);
      const second = await postJson(`${h.url}/v1/completions`, { prompt: 'full', max_tokens: 1 });
      expect(second.status).toBe(429);
      // Engines given by URL are already running: retry in a second (was 20, the queue timeout).
      expect(second.headers.get('retry-after')).toBe('1');
      await h.stop();
      expect((await first).status).toBe(503);
    } finally {
      await h.stop();
      engine.closeAllConnections();
      await new Promise<void>((resolve) => engine.close(() => resolve()));
    }
  });

  const base = { nowMs: 100_000, startingSinceMs: [], queueTimeoutMs: 120_000 };
  it('is the expected cold start (observed, else configured), not the queue timeout', () => {
    expect(retryAfterSeconds({ ...base, configuredColdStartMs: 2_000 })).toBe(2);
    expect(retryAfterSeconds({ ...base, observedColdStartMs: 4_500, configuredColdStartMs: 2_000 })).toBe(5);
    expect(retryAfterSeconds({ ...base })).toBe(30); // nothing known: 30 s, still far below 120 s
  });

  it('counts what a starting replica has behind it, at least 1 s, at most the queue timeout', () => {
    expect(retryAfterSeconds({ ...base, observedColdStartMs: 10_000, startingSinceMs: [93_000] })).toBe(3);
    expect(retryAfterSeconds({ ...base, observedColdStartMs: 10_000, startingSinceMs: [50_000] })).toBe(1);
    expect(retryAfterSeconds({ ...base, observedColdStartMs: 600_000, queueTimeoutMs: 20_000 })).toBe(20);
  });
});
